//go:build !linux

package statussock

import "net"

// peerUID cannot ask the kernel for the peer's uid here: the socket's
// directory and file checks stand alone.
func peerUID(c net.Conn) (int, error) { return 0, errPeerCredUnsupported }
