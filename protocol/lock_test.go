package protocol

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// waitFor polls cond until it holds or a generous deadline passes.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestLockAcquireTimeoutNamesLock(t *testing.T) {
	s := NewStore(t.TempDir(), WithLockTimeout(150*time.Millisecond))
	file := filepath.Join(s.Root(), "f.json")
	l, err := s.acquireLock(file)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(file + ".lock"); err != nil || !fi.IsDir() {
		t.Fatalf("lock directory not created: %v", err)
	}
	_, err = s.acquireLock(file)
	if !errors.Is(err, ErrLockTimeout) || !strings.Contains(err.Error(), file+".lock") {
		t.Errorf("second acquire = %v, want ErrLockTimeout naming the lock", err)
	}
	if err := l.release(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(file + ".lock"); !os.IsNotExist(err) {
		t.Errorf("lock directory left after release: %v", err)
	}
	// No parent directory: an immediate error, not a timeout.
	if _, err := s.acquireLock(filepath.Join(s.Root(), "missing", "f.json")); err == nil || errors.Is(err, ErrLockTimeout) {
		t.Errorf("acquire in a missing directory = %v", err)
	}
}

func TestLockStaleIsBroken(t *testing.T) {
	s := newTeam(t, "w1")
	lock := LockPath(s.InboxPath("t1", "w1"))
	if err := os.Mkdir(lock, 0o700); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-LockStaleAfter - time.Second)
	if err := os.Chtimes(lock, old, old); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Send("t1", "w1", Message{From: LeadName, Text: "x"}); err != nil {
		t.Fatalf("Send past a stale lock: %v", err)
	}
	if _, err := os.Stat(lock); !os.IsNotExist(err) {
		t.Errorf("lock left after Send: %v", err)
	}
}

func TestLockFreshIsWaitedFor(t *testing.T) {
	s := newTeam(t, "w1")
	lock := LockPath(s.InboxPath("t1", "w1"))
	if err := os.Mkdir(lock, 0o700); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := s.Send("t1", "w1", Message{From: LeadName, Text: "waited"})
		done <- err
	}()
	time.Sleep(300 * time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("Send went through a held lock: %v", err)
	default:
	}
	if n, _, _ := s.Unread("t1", "w1"); n != 0 {
		t.Fatal("message written while the lock was held")
	}
	if err := os.Remove(lock); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n, _, _ := s.Unread("t1", "w1"); n != 1 {
		t.Errorf("unread = %d after release", n)
	}
}

func TestLockRefreshedWhileHeld(t *testing.T) {
	s := NewStore(t.TempDir())
	s.refresh = 20 * time.Millisecond
	file := filepath.Join(s.Root(), "f.json")
	err := s.transform([]string{file}, func(*tx) error {
		fi, err := os.Stat(LockPath(file))
		if err != nil {
			return err
		}
		start := fi.ModTime()
		waitFor(t, "the lock's mtime to be refreshed", func() bool {
			fi, err := os.Stat(LockPath(file))
			return err == nil && fi.ModTime().After(start)
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestLockLostIsReported(t *testing.T) {
	s := NewStore(t.TempDir())
	file := filepath.Join(s.Root(), "f.json")
	err := s.transform([]string{file}, func(t *tx) error {
		t.put(file, []byte("1"))
		return os.Remove(LockPath(file)) // someone judged it stale and broke it
	})
	if !errors.Is(err, ErrLockLost) {
		t.Errorf("transform with a broken lock = %v, want ErrLockLost", err)
	}
	// Whoever broke the lock may be writing now: ours is not applied.
	if _, err := os.Stat(file); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a transform whose lock was lost wrote its file (%v)", err)
	}
}

func TestTransformReleasesOnPanicAndError(t *testing.T) {
	s := NewStore(t.TempDir())
	file := filepath.Join(s.Root(), "f.json")
	if err := os.WriteFile(file, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("panic swallowed")
			}
		}()
		_ = s.transform([]string{file}, func(t *tx) error {
			t.put(file, []byte("new"))
			panic("boom")
		})
	}()
	boom := errors.New("refused")
	err := s.transform([]string{file}, func(t *tx) error {
		t.put(file, []byte("new"))
		return boom
	})
	if !errors.Is(err, boom) {
		t.Errorf("transform = %v", err)
	}
	if got, _ := os.ReadFile(file); string(got) != "old" {
		t.Errorf("file = %q after refused changes", got)
	}
	if _, err := os.Stat(LockPath(file)); !os.IsNotExist(err) {
		t.Errorf("lock left after panic/error: %v", err)
	}
}

func TestLockInProcessContention(t *testing.T) {
	s := newTeam(t, "w1")
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				if _, err := s.Send("t1", "w1", Message{From: LeadName, Text: string(rune('a'+g)) + string(rune('0'+i))}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if n, _, _ := s.Unread("t1", "w1"); n != 80 {
		t.Errorf("unread = %d, want 80", n)
	}
}

func TestLockBesideSymlinkTarget(t *testing.T) {
	// Claude Code's proper-lockfile locks beside the file's real path.
	s := newTeam(t)
	target := filepath.Join(t.TempDir(), "real-config.json")
	data, _ := os.ReadFile(s.ConfigPath("t1"))
	if err := os.WriteFile(target, data, 0o600); err != nil {
		t.Fatal(err)
	}
	os.Remove(s.ConfigPath("t1"))
	if err := os.Symlink(target, s.ConfigPath("t1")); err != nil {
		t.Skip("no symlinks:", err)
	}
	err := s.transform([]string{s.ConfigPath("t1")}, func(*tx) error {
		_, err := os.Stat(target + ".lock")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
