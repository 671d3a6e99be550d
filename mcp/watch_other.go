//go:build !linux

package mcp

import "errors"

// fileWatch is the inotify watch of watch_linux.go; elsewhere there is
// none and poll_inbox polls.
type fileWatch struct {
	C chan struct{}
}

// watchFile reports that no file watch is available here.
func watchFile(dir, name string) (*fileWatch, error) {
	return nil, errors.New("mcp: file watching needs inotify (linux)")
}

// Close does nothing.
func (w *fileWatch) Close() error { return nil }
