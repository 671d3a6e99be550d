//go:build darwin || freebsd || netbsd

package protocol

import "syscall"

// ctimeOf returns the status-change time of st in ns.
func ctimeOf(st *syscall.Stat_t) (int64, bool) { return st.Ctimespec.Nano(), true }
