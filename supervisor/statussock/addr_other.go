//go:build !linux

package statussock

// socketAddr is the address bind and connect take for the socket file at
// path: path itself (it must fit in sun_path; see longSocketPaths).
func socketAddr(path string) (addr string, release func(), err error) {
	return path, func() {}, nil
}

// longSocketPaths: without /proc/self/fd a socket path must fit in
// sun_path (maxSocketPath).
const longSocketPaths = false
