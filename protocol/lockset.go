package protocol

import (
	"errors"
	"sync"
	"time"
)

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
