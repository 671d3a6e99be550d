package protocol

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Claude Code's proper-lockfile locks (PROTOCOL.md §3): the lock of file F
// is the directory F.lock. mkdir succeeds = held; rmdir = released. A lock
// directory whose mtime is older than the stale limit belongs to a dead
// holder and is removed; live holders refresh the mtime while they work.

// lockBackoff is the wait between attempts on a held lock, in order; the
// last value repeats.
var lockBackoff = []time.Duration{
	5 * time.Millisecond, 10 * time.Millisecond, 20 * time.Millisecond,
	40 * time.Millisecond, 80 * time.Millisecond, 100 * time.Millisecond,
}

// LockPath returns the lock directory that guards file: file + ".lock".
func LockPath(file string) string { return file + ".lock" }

// heldLock is one acquired lock directory.
type heldLock struct {
	dir  string
	mod  time.Time // mtime we last set or saw; owned by the refresher
	lost error     // set when the directory vanished under us
}

// realLockPath returns the lock directory of file as Claude Code's
// proper-lockfile names it: beside the file's real path, so both agree
// when the file is a symbolic link. (A symlinked directory on the way
// changes nothing: both names reach the same lock directory.)
func realLockPath(file string) string {
	if real, err := filepath.EvalSymlinks(file); err == nil {
		return LockPath(real)
	}
	return LockPath(file)
}

// acquireLock takes the lock directory of file, waiting with backoff while
// a live holder has it and breaking it when it is stale.
func (s *Store) acquireLock(file string) (*heldLock, error) {
	dir := realLockPath(file)
	start := time.Now()
	for attempt := 0; ; attempt++ {
		err := os.Mkdir(dir, dirPerm)
		if err == nil {
			return s.held(dir), nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("lock %s: %w", dir, err)
		}
		if attempt == 0 {
			s.callHook("lock-busy")
		}
		fi, err := os.Stat(dir)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			continue // released between our mkdir and stat: try again now
		case err != nil:
			return nil, fmt.Errorf("lock %s: %w", dir, err)
		case time.Since(fi.ModTime()) > s.staleAfter:
			// Stale: its holder stopped refreshing it. Remove it and try
			// once more at once; if someone beats us to it, wait as usual.
			if err := os.Remove(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("lock %s: remove stale lock: %w", dir, err)
			}
			if err := os.Mkdir(dir, dirPerm); err == nil {
				return s.held(dir), nil
			}
		}
		waited := time.Since(start)
		if waited >= s.lockTimeout {
			return nil, fmt.Errorf("lock %s: held by another process for more than %s (a lock is broken only after %s without refresh): %w",
				dir, s.lockTimeout, s.staleAfter, ErrLockTimeout)
		}
		d := lockBackoff[min(attempt, len(lockBackoff)-1)]
		time.Sleep(min(d, s.lockTimeout-waited))
	}
}

func (s *Store) held(dir string) *heldLock {
	l := &heldLock{dir: dir}
	if fi, err := os.Stat(dir); err == nil {
		l.mod = fi.ModTime()
	}
	return l
}

// touch refreshes the lock's mtime. If the directory is gone or another
// process changed its mtime, the lock was broken under us: remember it.
func (l *heldLock) touch() {
	if !l.check() {
		return
	}
	now := time.Now()
	if err := os.Chtimes(l.dir, now, now); err != nil {
		l.lost = fmt.Errorf("lock %s: %w", l.dir, ErrLockLost)
		return
	}
	if fi, err := os.Stat(l.dir); err == nil {
		l.mod = fi.ModTime()
	}
}

// check reports whether the lock is still ours: its directory exists with
// the mtime we last saw. If not, it remembers the loss.
func (l *heldLock) check() bool {
	if l.lost != nil {
		return false
	}
	fi, err := os.Stat(l.dir)
	if err != nil || !l.mod.IsZero() && !fi.ModTime().Equal(l.mod) {
		l.lost = fmt.Errorf("lock %s: %w", l.dir, ErrLockLost)
		return false
	}
	return true
}

// release removes the lock directory. It reports a lock lost while held.
func (l *heldLock) release() error {
	if l.lost != nil {
		return l.lost
	}
	err := os.Remove(l.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("unlock %s: %w", l.dir, ErrLockLost)
	}
	if err != nil {
		return fmt.Errorf("unlock %s: %w", l.dir, err)
	}
	return nil
}

// lockSet is the locks of one operation and the goroutine that keeps them
// fresh. The goroutine lives only while the operation runs: stop waits for
// it to end.
type lockSet struct {
	mu    sync.Mutex // guards locks and each lock's mod/lost
	locks []*heldLock
	quit  chan struct{}
	done  chan struct{}
}

func (s *Store) newLockSet() *lockSet {
	ls := &lockSet{quit: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(ls.done)
		t := time.NewTicker(s.refresh)
		defer t.Stop()
		for {
			select {
			case <-ls.quit:
				return
			case <-t.C:
				ls.mu.Lock()
				for _, l := range ls.locks {
					l.touch()
				}
				ls.mu.Unlock()
			}
		}
	}()
	return ls
}

func (ls *lockSet) add(l *heldLock) {
	ls.mu.Lock()
	ls.locks = append(ls.locks, l)
	ls.mu.Unlock()
}

// verify reports a lock of the set that is no longer ours.
func (ls *lockSet) verify() error {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	for _, l := range ls.locks {
		if !l.check() {
			return l.lost
		}
	}
	return nil
}

// releaseAll stops the refresher and releases every lock, newest first.
func (ls *lockSet) releaseAll() error {
	close(ls.quit)
	<-ls.done
	var errs []error
	for i := len(ls.locks) - 1; i >= 0; i-- {
		if err := ls.locks[i].release(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
