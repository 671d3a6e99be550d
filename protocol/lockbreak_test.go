package protocol

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestLockTwoBreakersOneWinner: two stores find the same stale lock and
// both stop between judging it stale and acting; exactly one takes it,
// the other waits for it.
func TestLockTwoBreakersOneWinner(t *testing.T) {
	root := t.TempDir()
	file := filepath.Join(root, "f.json")
	plantStale(t, file)
	var judged sync.WaitGroup
	judged.Add(2)
	gate := make(chan struct{})
	hook := func(stage string) {
		if stage == "lock-stale" {
			judged.Done()
			<-gate
		}
	}
	held := make(chan *heldLock, 2)
	errs := make(chan error, 2)
	for range 2 {
		s := NewStore(root)
		s.hook = hook
		go func() {
			l, err := s.acquireLock(file)
			errs <- err
			held <- l
		}()
	}
	judged.Wait() // both saw the lock stale
	close(gate)
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	first := <-held
	select {
	case <-errs:
		t.Fatal("both breakers hold the lock")
	case <-time.After(200 * time.Millisecond):
	}
	if !first.check() {
		t.Fatal("the winner's lock was taken from it")
	}
	if err := first.release(); err != nil {
		t.Fatal(err)
	}
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	if err := (<-held).release(); err != nil {
		t.Fatal(err)
	}
}

// TestLockReplacedInSameTickIsLost: a lock directory removed and made
// again by someone else (same mtime to the tick, maybe the same inode) is
// not ours any more.
func TestLockReplacedInSameTickIsLost(t *testing.T) {
	file := filepath.Join(t.TempDir(), "f.json")
	l, err := mkdirLock(LockPath(file))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(l.dir); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(l.dir, 0o700); err != nil {
		t.Fatal(err)
	}
	tick := l.mod.Truncate(4 * time.Millisecond) // what a coarse mkdir mtime looks like
	if err := os.Chtimes(l.dir, tick, tick); err != nil {
		t.Fatal(err)
	}
	if l.check() {
		t.Fatal("a lock made by someone else is taken for ours")
	}
	if err := l.release(); !errors.Is(err, ErrLockLost) {
		t.Fatalf("release = %v, want ErrLockLost", err)
	}
	if _, err := os.Stat(l.dir); err != nil {
		t.Fatalf("release removed the other holder's lock: %v", err)
	}
}

// TestTransformAppliedIsNotFailed: a lock broken after the write was
// applied does not turn the applied write into a failure.
func TestTransformAppliedIsNotFailed(t *testing.T) {
	s := NewStore(t.TempDir())
	file := filepath.Join(s.Root(), "f.json")
	s.hook = func(stage string) {
		if stage == "temp-written" {
			_ = os.Remove(LockPath(file)) // broken while we write
		}
	}
	err := s.transform([]string{file}, func(t *tx) error {
		t.put(file, []byte("1"))
		return nil
	})
	if err != nil {
		t.Fatalf("transform whose write was applied = %v", err)
	}
	if got, _ := os.ReadFile(file); string(got) != "1" {
		t.Fatalf("file = %q", got)
	}
}

// TestCreateTaskNeverReplaces: a task file that appears under the next id
// (written without our lock) is kept; the new task takes the id after.
func TestCreateTaskNeverReplaces(t *testing.T) {
	s := newTeam(t)
	s.hook = func(stage string) {
		if stage == "locked" {
			if _, err := os.Stat(s.TaskPath("t1", "1")); err != nil {
				_ = os.WriteFile(s.TaskPath("t1", "1"), []byte(`{"id":"1","subject":"theirs","status":"pending","blocks":[],"blockedBy":[]}`), 0o600)
			}
		}
	}
	got, err := s.CreateTask("t1", TaskInput{Subject: "ours"})
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != "2" {
		t.Errorf("new task id = %s, want 2", got.ID)
	}
	theirs, err := s.GetTask("t1", "1")
	if err != nil || theirs.Subject != "theirs" {
		t.Errorf("task 1 = %+v, %v; want the other writer's", theirs, err)
	}
}

// TestLockPathNotALock: what Claude Code's proper-lockfile cannot remove
// (its rmdir fails with ENOTEMPTY or ENOTDIR), we do not remove either; the
// error names the path and what is there.
func TestLockPathNotALock(t *testing.T) {
	cases := []struct {
		name  string
		plant func(t *testing.T, lock string)
		want  string
	}{
		{"stale non-empty directory", func(t *testing.T, lock string) {
			if err := os.Mkdir(lock, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(lock, "keep"), []byte("x"), 0o600); err != nil {
				t.Fatal(err)
			}
			old := time.Now().Add(-time.Hour)
			if err := os.Chtimes(lock, old, old); err != nil {
				t.Fatal(err)
			}
		}, "not empty (keep)"},
		{"regular file", func(t *testing.T, lock string) {
			if err := os.WriteFile(lock, []byte("x"), 0o600); err != nil {
				t.Fatal(err)
			}
		}, "it is a regular file, not a lock directory"},
		{"symbolic link", func(t *testing.T, lock string) {
			if err := os.Symlink(t.TempDir(), lock); err != nil {
				t.Fatal(err)
			}
		}, "it is a symbolic link, not a lock directory"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newTeam(t, "w1")
			lock := LockPath(s.InboxPath("t1", "w1"))
			c.plant(t, lock)
			before, _ := os.Lstat(lock)
			_, err := s.Send("t1", "w1", Message{From: LeadName, Text: "x"})
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), lock) {
				t.Fatalf("Send = %v, want an error naming %s and saying %q", err, lock, c.want)
			}
			if errors.Is(err, ErrLockTimeout) {
				t.Errorf("refused only after the lock timeout: %v", err)
			}
			after, err := os.Lstat(lock)
			if err != nil || !os.SameFile(before, after) {
				t.Errorf("%s was removed or replaced (%v)", lock, err)
			}
		})
	}
}
