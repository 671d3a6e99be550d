package statussock

import (
	"fmt"
	"path/filepath"
	"strconv"
	"syscall"
)

// socketAddr is the address bind and connect take for the socket file at
// path: path itself when it fits in sun_path; for a longer path (a long
// data root's fallback) /proc/self/fd/<fd>/<name>, through a descriptor of
// path's directory opened without following a symbolic link. That
// descriptor pins the directory checked before (a directory swapped in
// later is not used); release closes it, once the socket is connected, or
// once a listener on it is closed (which unlinks the file through it).
func socketAddr(path string) (addr string, release func(), err error) {
	if len(path) < maxSocketPath {
		return path, func() {}, nil
	}
	dir := filepath.Dir(path)
	fd, err := syscall.Open(dir, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0)
	if err != nil {
		return "", nil, fmt.Errorf("open socket directory %s: %w", dir, err)
	}
	return "/proc/self/fd/" + strconv.Itoa(fd) + "/" + filepath.Base(path), func() { syscall.Close(fd) }, nil
}

// longSocketPaths: socket paths of any length work (socketAddr).
const longSocketPaths = true
