package dirwatch

import (
	"path/filepath"
	"strings"
	"sync"
)

// Watch reports changes to the files of some directories. C receives a
// value (coalesced) after each batch of events that touched a file Keep
// accepted; it is closed when the watch stops working (a watched directory
// went away), so a receiver falls back to polling. Take says which files.
type Watch struct {
	// C signals changes; see Take.
	C <-chan struct{}

	keep func(name string) bool
	stop func() error

	mu      sync.Mutex
	changed map[string]bool // dir/name
	all     bool
}

// Ordinary reports whether name is a file a reader cares about: not one of
// the writers' temporary files (".x.json.tmp-*", ".x.json.new-*"), a task
// list lock (".lock") or a file lock ("x.json.lock").
func Ordinary(name string) bool {
	return name != "" && !strings.HasPrefix(name, ".") && !strings.HasSuffix(name, ".lock")
}

// Take returns the files (dir/name) changed since the last Take, and
// whether anything may have changed (the event queue overflowed, or a
// watched directory itself moved): then the caller re-reads everything.
func (w *Watch) Take() (files map[string]bool, all bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	files, all = w.changed, w.all
	w.changed, w.all = map[string]bool{}, false
	return files, all
}

// note records one event; it reports whether the event counts.
func (w *Watch) note(dir, name string, everything bool) bool {
	if !everything && (w.keep == nil || !w.keep(name)) {
		return false
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if everything {
		w.all = true
	} else {
		w.changed[filepath.Join(dir, name)] = true
	}
	return true
}

// Close stops the watch and waits for its reader to end (C is closed when
// Close returns).
func (w *Watch) Close() error {
	return w.stop()
}
