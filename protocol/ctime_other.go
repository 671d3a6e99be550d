//go:build !linux && !darwin && !freebsd && !netbsd

package protocol

import "syscall"

// ctimeOf reports no ctime: inboxes are validated on every append.
func ctimeOf(*syscall.Stat_t) (int64, bool) { return 0, false }
