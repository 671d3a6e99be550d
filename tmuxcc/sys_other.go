//go:build !linux

package tmuxcc

import (
	"errors"
	"syscall"
)

// clientProcAttr returns the tmux client's process attributes. Outside
// Linux there is no Pdeathsig: Close kills the client, and a stale client
// left by a crash is killed by the next Dial with the same Tag.
func clientProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{} }

// errNoPidfd says pidfds exist only on Linux; pane deaths then come from
// tmux itself (the pane-dead subscription and window events).
var errNoPidfd = errors.New("tmuxcc: pidfd not supported on this system")

func pidfdOpen(int) (int, error) { return -1, errNoPidfd }

func pidfdReadable(int, int) bool { return false }
