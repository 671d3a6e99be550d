package protocol

import (
	"errors"
	"os"
	"sync"
	"sync/atomic"
	"testing"
)

// TestReadConfigWaitsOutAnInPlaceRewrite: config.json is half written (as
// by a 2.1.332 teammate rewriting it in place) while its writer holds the
// lock. ReadConfig must not call it corrupt: it waits for the lock and
// reads the finished file. Before the fix it returned ErrCorrupt at once.
func TestReadConfigWaitsOutAnInPlaceRewrite(t *testing.T) {
	s := newTeam(t, "w1")
	path := s.ConfigPath("t1")
	full, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(LockPath(path), dirPerm); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, full[:len(full)/2], 0o600); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	s.hook = func(stage string) {
		if stage != "lock-busy" {
			return
		}
		// The writer finishes, in place, and lets go of the lock.
		once.Do(func() {
			if err := os.WriteFile(path, full, 0o600); err != nil {
				t.Error(err)
			}
			if err := os.Remove(LockPath(path)); err != nil {
				t.Error(err)
			}
		})
	}
	cfg, err := s.ReadConfig("t1")
	if err != nil {
		t.Fatalf("ReadConfig during an in-place rewrite: %v", err)
	}
	if _, ok := cfg.FindMember("w1"); !ok {
		t.Errorf("members = %v", cfg.Members)
	}
}

// TestReadConfigStillReportsCorruption: a file that stays bad is ErrCorrupt
// after the retries, and the lock taken for the last read is released.
func TestReadConfigStillReportsCorruption(t *testing.T) {
	for _, tc := range []struct{ name, content string }{
		{"empty", ""},
		{"torn", `{"name":"t1","members":[`},
		{"not json", "garbage"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newTeam(t)
			path := s.ConfigPath("t1")
			if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			var rereads atomic.Int32
			s.hook = func(stage string) {
				if stage == "config-reread" {
					rereads.Add(1)
				}
			}
			_, err := s.ReadConfig("t1")
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("err = %v, want ErrCorrupt", err)
			}
			if rereads.Load() == 0 {
				t.Error("reported corrupt without reading again")
			}
			if _, err := os.Stat(LockPath(path)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("lock left behind: %v", err)
			}
		})
	}
}

// TestReadConfigAgainstAnInPlaceWriter: a writer that keeps rewriting
// config.json in place under its lock (truncate, then two halves), as
// Claude Code 2.1.332 does, while we read it many times: no read fails.
func TestReadConfigAgainstAnInPlaceWriter(t *testing.T) {
	s := newTeam(t, "w1", "w2")
	path := s.ConfigPath("t1")
	full, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var rewrites atomic.Int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		writer := NewStore(s.Root())
		for {
			select {
			case <-stop:
				return
			default:
			}
			l, err := writer.acquireLock(path)
			if err != nil {
				t.Error(err)
				return
			}
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
			if err == nil {
				_, err = f.Write(full[:len(full)/2])
				if err == nil {
					_, err = f.Write(full[len(full)/2:])
				}
				if cerr := f.Close(); err == nil {
					err = cerr
				}
			}
			if rerr := l.release(); err == nil {
				err = rerr
			}
			if err != nil {
				t.Error(err)
				return
			}
			rewrites.Add(1)
		}
	}()
	for i := 0; i < 300; i++ {
		if _, err := s.ReadConfig("t1"); err != nil {
			t.Errorf("read %d (after %d rewrites): %v", i, rewrites.Load(), err)
			break
		}
	}
	close(stop)
	wg.Wait()
	if rewrites.Load() == 0 {
		t.Error("the writer never ran")
	}
}
