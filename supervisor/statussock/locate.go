package statussock

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/f9449b24/claude-teams/supervisor/tmuxconv"
)

// Where a team's socket may be, and what makes a place trustworthy.
//
// The usual directory (SocketPath) is predictable: under /tmp anyone can
// create it first. Servers and clients therefore apply the same checks
// (checkSocketDir, checkSocketFile, the peer's uid) and, when the usual
// directory is unusable, the owner listens in a fallback directory under the
// data root (FallbackSocketPath), where clients look next. Only the process
// holding the team's flock listens, so at most one candidate answers.

// FallbackDirName is the directory under the data root that holds the
// status sockets of teams whose usual socket directory is unusable.
const FallbackDirName = ".claude-teams"

// FallbackSocketPath is where the supervisor of team in data root root
// listens when the usual directory (SocketPath) is not ours:
// root/.claude-teams/<team>-<root hash>.sock, or <16 hex digits of the
// SHA-256 of root and team>.sock when that would not fit. On Linux a path of
// any length works (socketAddr); elsewhere ok is false when even the short
// name makes a path of 100 bytes or more (a data root of 64 bytes or more).
func FallbackSocketPath(root, team string) (path string, ok bool) {
	croot := tmuxconv.CanonicalRoot(root)
	dir := filepath.Join(filepath.Clean(root), FallbackDirName)
	if p := filepath.Join(dir, team+"-"+tmuxconv.RootHash(croot)+".sock"); len(p) < maxSocketPath {
		return p, true
	}
	sum := sha256.Sum256([]byte(croot + "\x00" + team))
	p := filepath.Join(dir, hex.EncodeToString(sum[:8])+".sock")
	return p, len(p) < maxSocketPath || longSocketPaths
}

// SocketPaths lists where team's supervisor may listen, in the order
// clients look: the usual path, then the fallback (when it fits).
func SocketPaths(root, team string, uid int, runtimeDir string) []string {
	paths := []string{SocketPath(root, team, uid, runtimeDir)}
	if p, ok := FallbackSocketPath(root, team); ok && p != paths[0] {
		paths = append(paths, p)
	}
	return paths
}

// RefusedError says why a place for a socket was not used: the directory
// or the socket file is not ours, or the process answering is not ours.
type RefusedError struct {
	Path   string
	Reason string
	// tooOpen: a directory of ours whose only fault is its mode.
	tooOpen bool
}

func (e *RefusedError) Error() string { return e.Path + ": " + e.Reason }

// checkSocketDir checks, without changing anything, that dir is a real
// directory (not a symbolic link) owned by uid that nobody else may enter
// or write (no group or other permission bits). A missing dir is
// fs.ErrNotExist.
func checkSocketDir(dir string, uid int) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return &RefusedError{Path: dir, Reason: err.Error()}
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return &RefusedError{Path: dir, Reason: "a symbolic link, not a directory"}
	}
	if !fi.IsDir() {
		return &RefusedError{Path: dir, Reason: "not a directory"}
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != uid {
		return &RefusedError{Path: dir, Reason: fmt.Sprintf("owned by uid %d, not by us (uid %d)", st.Uid, uid)}
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return &RefusedError{Path: dir, Reason: fmt.Sprintf("mode %04o, not 0700", perm), tooOpen: true}
	}
	return nil
}

// checkSocketFile checks that path is a socket owned by uid (not a symbolic
// link). A missing file is fs.ErrNotExist.
func checkSocketFile(path string, uid int) error {
	fi, err := os.Lstat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return &RefusedError{Path: path, Reason: err.Error()}
	}
	if fi.Mode()&fs.ModeSocket == 0 {
		return &RefusedError{Path: path, Reason: fmt.Sprintf("not a socket (mode %s)", fi.Mode())}
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != uid {
		return &RefusedError{Path: path, Reason: fmt.Sprintf("socket owned by uid %d, not by us (uid %d)", st.Uid, uid)}
	}
	return nil
}

// checkPeer checks that the process at the other end of c runs as uid
// (SO_PEERCRED). Where the system cannot tell, the file checks stand alone.
func checkPeer(c net.Conn, uid int) error {
	puid, err := peerUID(c)
	if errors.Is(err, errPeerCredUnsupported) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("peer credentials: %w", err)
	}
	if puid != uid {
		return fmt.Errorf("the process answering runs as uid %d, not as us (uid %d)", puid, uid)
	}
	return nil
}

// errPeerCredUnsupported is returned by peerUID where the system has no
// SO_PEERCRED.
var errPeerCredUnsupported = errors.New("statussock: peer credentials not supported")

// refusalText joins refusals for a message.
func refusalText(refused []error) string {
	parts := make([]string, len(refused))
	for i, r := range refused {
		parts[i] = r.Error()
	}
	return strings.Join(parts, "; ")
}
