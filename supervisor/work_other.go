//go:build !linux

package supervisor

import "errors"

// watchDirs has no change notification here: the work watcher polls.
func watchDirs(dirs []string) (<-chan struct{}, func(), error) {
	return nil, nil, errors.New("no inotify on this system")
}
