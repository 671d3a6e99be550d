//go:build !linux

package dirwatch

import "errors"

// New reports that no change notification is available here: callers poll.
func New(dirs []string, keep func(name string) bool) (*Watch, error) {
	return nil, errors.New("dirwatch: change notification needs inotify (linux)")
}
