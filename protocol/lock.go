package protocol

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Claude Code's proper-lockfile locks (PROTOCOL.md §3): the lock of file F
// is the directory F.lock. mkdir succeeds = held; rmdir = released. A lock
// directory whose mtime is older than the stale limit belongs to a dead
// holder and is removed; live holders refresh the mtime while they work.
//
// Breaking a stale lock is check-then-act (stat, rmdir, mkdir), so two
// breakers could both win: the second removes the first one's fresh
// lock. Among our processes exactly one breaker wins: breaking happens
// only under an flock on the directory's break file (breakFileName), and
// the breaker looks again, under that flock, that the lock is still the
// very directory it judged stale (same inode, same mtime). A holder knows
// its lock by inode and an mtime it set itself with nanoseconds, so a
// lock made by someone else in the same kernel tick is not mistaken for
// ours.
//
// Like proper-lockfile, we never remove what is not an empty lock
// directory: a stale lock directory with entries, or a regular file,
// symbolic link or other non-directory at a lock path, fails the lock
// with an error naming it (Claude Code fails there too: its rmdir gets
// ENOTEMPTY or ENOTDIR).

// breakFileName is the file, beside the lock directories of a directory,
// whose flock serialises breaking stale locks there. It starts with a dot
// and does not end in .json, so no listing of ours or Claude Code's takes
// it for an inbox or a task.
const breakFileName = ".claude-teams-lockbreak"

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
	fi   fs.FileInfo // the directory as we made it (its inode)
	mod  time.Time   // mtime we last set; owned by the refresher
	lost error       // set when the directory vanished or was replaced
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
		l, err := mkdirLock(dir)
		if err == nil {
			return l, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("lock %s: %w", dir, err)
		}
		if attempt == 0 {
			s.callHook("lock-busy")
		}
		fi, err := os.Lstat(dir)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			continue // released between our mkdir and stat: try again now
		case err != nil:
			return nil, fmt.Errorf("lock %s: %w", dir, err)
		case !fi.IsDir():
			return nil, notLockError(dir, fi)
		case time.Since(fi.ModTime()) > s.staleAfter:
			s.callHook("lock-stale")
			l, err := s.breakStale(dir, fi, start)
			if err != nil || l != nil {
				return l, err
			}
			// Someone else broke or refreshed it: wait as usual.
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

// mkdirLock makes the lock directory dir and marks it as ours: an mtime
// of our own, to the nanosecond. The error wraps fs.ErrExist when dir
// exists.
func mkdirLock(dir string) (*heldLock, error) {
	if err := os.Mkdir(dir, dirPerm); err != nil {
		return nil, err
	}
	now := time.Now()
	_ = os.Chtimes(dir, now, now) // best effort: the inode alone still tells
	fi, err := os.Lstat(dir)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	return &heldLock{dir: dir, fi: fi, mod: fi.ModTime()}, nil
}

// breakStale removes the stale lock directory dir, seen as seen, and takes
// the lock, if it still is that stale directory once we hold the break
// flock of its directory. It returns nil and no error when someone else
// got there first.
func (s *Store) breakStale(dir string, seen fs.FileInfo, start time.Time) (*heldLock, error) {
	unlock, err := s.lockBreaking(filepath.Dir(dir), start)
	if err != nil {
		return nil, fmt.Errorf("lock %s: break stale lock: %w", dir, err)
	}
	defer unlock()
	now, err := os.Lstat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	case !os.SameFile(now, seen) || !now.ModTime().Equal(seen.ModTime()):
		return nil, nil // broken by another breaker, or refreshed
	default:
		if err := syscall.Rmdir(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
			if errors.Is(err, syscall.ENOTEMPTY) || errors.Is(err, syscall.EEXIST) {
				return nil, notEmptyError(dir)
			}
			return nil, fmt.Errorf("lock %s: remove stale lock: %w", dir, err)
		}
	}
	l, err := mkdirLock(dir)
	if errors.Is(err, fs.ErrExist) {
		return nil, nil // a process outside our break flock (Claude Code) won
	}
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	return l, nil
}

// lockBreaking takes the break flock of dir (see breakFileName), waiting
// at most until the store's lock timeout from start. It returns the
// function that releases it. The break file is opened without following
// a symbolic link.
func (s *Store) lockBreaking(dir string, start time.Time) (func(), error) {
	path := filepath.Join(dir, breakFileName)
	fd, err := syscall.Open(path, syscall.O_RDWR|syscall.O_CREAT|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, filePerm)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	for attempt := 0; ; attempt++ {
		err = syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { _ = syscall.Close(fd) }, nil // closing releases the flock
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			_ = syscall.Close(fd)
			return nil, fmt.Errorf("flock %s: %w", path, err)
		}
		if time.Since(start) >= s.lockTimeout {
			_ = syscall.Close(fd)
			return nil, fmt.Errorf("flock %s: held by another process for more than %s: %w", path, s.lockTimeout, ErrLockTimeout)
		}
		time.Sleep(lockBackoff[min(attempt, 2)])
	}
}

// notLockError refuses a lock path that holds something other than a
// directory: we did not make it and do not remove it.
func notLockError(dir string, fi fs.FileInfo) error {
	return fmt.Errorf("lock %s: it is a %s, not a lock directory; neither claude-teams nor Claude Code made it, and it is left alone: remove or rename it by hand to unblock this file",
		dir, fileKind(fi.Mode()))
}

// notEmptyError refuses to break a stale lock directory that has entries.
func notEmptyError(dir string) error {
	var names []string
	if entries, err := os.ReadDir(dir); err == nil {
		for i, e := range entries {
			if i == 3 {
				names = append(names, "…")
				break
			}
			names = append(names, e.Name())
		}
	}
	return fmt.Errorf("lock %s: the lock is stale but its directory is not empty (%s); a lock of claude-teams or Claude Code is always empty, so it is left alone: remove it by hand to unblock this file",
		dir, strings.Join(names, ", "))
}

// touch refreshes the lock's mtime. If the directory is gone or another
// process replaced it, the lock was broken under us: remember it.
func (l *heldLock) touch() {
	if !l.check() {
		return
	}
	now := time.Now()
	if err := os.Chtimes(l.dir, now, now); err != nil {
		l.lost = fmt.Errorf("lock %s: %w", l.dir, ErrLockLost)
		return
	}
	if fi, err := os.Lstat(l.dir); err == nil {
		l.mod = fi.ModTime()
	}
}

// check reports whether the lock is still ours: the directory we made
// (same inode) with the mtime we last set. If not, it remembers the loss.
func (l *heldLock) check() bool {
	if l.lost != nil {
		return false
	}
	fi, err := os.Lstat(l.dir)
	if err != nil || !os.SameFile(fi, l.fi) || !fi.ModTime().Equal(l.mod) {
		l.lost = fmt.Errorf("lock %s: %w", l.dir, ErrLockLost)
		return false
	}
	return true
}

// release removes the lock directory if it is still ours; one that was
// broken and taken by another process is left to its new holder. It
// reports a lock lost while held.
func (l *heldLock) release() error {
	if !l.check() {
		return l.lost
	}
	err := syscall.Rmdir(l.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("unlock %s: %w", l.dir, ErrLockLost)
	}
	if err != nil {
		return fmt.Errorf("unlock %s: %w", l.dir, err)
	}
	return nil
}
