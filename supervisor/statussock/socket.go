package statussock

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/f9449b24/claude-teams/protocol"
	"github.com/f9449b24/claude-teams/supervisor/tmuxconv"
)

// The status socket speaks JSON lines: one request object per line, one
// response object per line, matched by id. Requests on one connection may be
// answered out of order (they are served concurrently).
//
//	→ {"id":1,"method":"status","team":"alpha"}
//	← {"id":1,"result":{"name":"alpha","supervised":true,...}}
//	→ {"id":2,"method":"capture","team":"alpha","agent":"w1","lines":20}
//	← {"id":2,"error":{"message":"capture w1: ..."}}
//
// Methods and their parameters:
//
//	ping                                   → {"pid","version","proto","root"}
//	status   team                          → protocol.TeamStatus
//	capture  team agent lines              → string
//	restart  team agent                    → protocol.TeammateStatus
//	stop     team agent reason             → null   (reason killed|shutdown, default killed)
//	kill     team agent                    → null   (stop with reason killed)
//	remove   team agent reason             → protocol.Removal (stop, forget, remove the member, release its tasks)
//	spawn    team member restart           → protocol.Member
//	teardown team                          → null
//
// Every request may carry timeout_ms: the server then gives up on the call
// after that long (the client sets it from its context deadline).

// SocketProto is the version of the socket protocol, reported by ping.
const SocketProto = 1

// MaxSocketLine bounds one request or response line (16 MiB). A longer
// request line is answered with an error and the connection is closed.
const MaxSocketLine = 16 << 20

// maxSocketPath keeps socket paths below the sun_path limit (108 bytes on
// Linux, 104 on macOS) with room to spare.
const maxSocketPath = 100

// Socket method names.
const (
	methodPing     = "ping"
	methodStatus   = "status"
	methodCapture  = "capture"
	methodRestart  = "restart"
	methodStop     = "stop"
	methodKill     = "kill"
	methodSpawn    = "spawn"
	methodTeardown = "teardown"
	methodRemove   = "remove"
)

// Service is what the status socket serves: exactly the method set of
// mcp.Supervisor (declared again here because supervisor must not import
// mcp). A *Manager satisfies it, and so does a *SocketClient, which is how a
// process that does not own a team forwards calls to the one that does.
//
// The Service given to ServeSocket must answer from local state only (never
// forward over a socket again), or two processes could bounce a call forever.
type Service interface {
	Spawn(ctx context.Context, team string, m protocol.Member, restart protocol.RestartPolicy) (protocol.Member, error)
	Stop(ctx context.Context, team, agent string, reason protocol.StopReason) error
	Remove(ctx context.Context, team, agent string, reason protocol.StopReason) (protocol.Removal, error)
	Restart(ctx context.Context, team, agent string, fresh bool) (protocol.TeammateStatus, error)
	Status(ctx context.Context, team string) (protocol.TeamStatus, error)
	Capture(ctx context.Context, team, agent string, lines int) (string, error)
	Teardown(ctx context.Context, team string) error
}

// VersionReporter may be implemented by a Service to name the program
// version that ping reports. Without it ping reports the main module's build
// version.
type VersionReporter interface {
	Version() string
}

// DataRootReporter may be implemented by a Service to name the data root
// it supervises, which ping reports. Socket paths are keyed by team name
// and a hash of the root (SocketPath); DialTeam still compares the root a
// supervisor reports with its own, so it never talks to another root's
// supervisor.
type DataRootReporter interface {
	DataRoot() string
}

// PingResult is the answer to ping: who is supervising.
type PingResult struct {
	PID     int    `json:"pid"`
	Version string `json:"version"`
	Proto   int    `json:"proto"`
	// Root is the data root the supervisor serves ("" if it did not say).
	Root string `json:"root,omitempty"`
}

// socketRequest is one request line. Only the fields a method needs are set.
type socketRequest struct {
	ID        json.RawMessage        `json:"id,omitempty"`
	Method    string                 `json:"method"`
	Team      string                 `json:"team,omitempty"`
	Agent     string                 `json:"agent,omitempty"`
	Lines     int                    `json:"lines,omitempty"`
	Reason    protocol.StopReason    `json:"reason,omitempty"`
	Restart   protocol.RestartPolicy `json:"restart,omitempty"`
	Member    *protocol.Member       `json:"member,omitempty"`
	TimeoutMS int64                  `json:"timeout_ms,omitempty"`

	// Fresh asks a restart to drop the teammate's conversation.
	Fresh bool `json:"fresh,omitempty"`
}

// socketResponse is one response line: Result or Error, never both.
type socketResponse struct {
	ID     json.RawMessage `json:"id"`
	Result json.RawMessage `json:"result,omitempty"`
	Error  *socketError    `json:"error,omitempty"`
}

// socketError is the error member of a response. Code is one of the
// errCode* values; the message is the Service's error text unchanged.
type socketError struct {
	Message string `json:"message"`
	Code    string `json:"code,omitempty"`
}

// Error codes sent in socketError.Code.
const (
	errCodeBadRequest = "bad_request" // malformed line, bad name or parameter
	errCodeMethod     = "unknown_method"
	errCodeService    = "service" // the Service returned an error
	errCodeInternal   = "internal"
	errCodeTooLong    = "line_too_long"
)

// SocketPath is where the supervisor of team in data root root listens:
// runtimeDir/claude-teams/<team>-<root hash>.sock when runtimeDir (normally
// $XDG_RUNTIME_DIR) is set, else /tmp/claude-teams-<uid>/<team>-<root
// hash>.sock. The root hash (8 hex digits of the SHA-256 of the root with
// symbolic links resolved) keeps two data roots ($CLAUDE_CONFIG_DIR) with a
// team of the same name apart. The path is always shorter than 100 bytes: a
// name that would not fit is replaced by a prefix of the team name plus a
// hash of root and team, and a runtimeDir too long even for that falls back
// to /tmp.
func SocketPath(root, team string, uid int, runtimeDir string) string {
	tmpDir := filepath.Join("/tmp", "claude-teams-"+strconv.Itoa(uid))
	dir := tmpDir
	if runtimeDir != "" {
		dir = filepath.Join(runtimeDir, "claude-teams")
	}
	root = tmuxconv.CanonicalRoot(root)
	if p := filepath.Join(dir, team+"-"+tmuxconv.RootHash(root)+".sock"); len(p) < maxSocketPath {
		return p
	}
	short := hashedName(root, team)
	if p := filepath.Join(dir, short); len(p) < maxSocketPath {
		return p
	}
	return filepath.Join(tmpDir, short)
}

// hashedName is a short socket file name for a team whose name is too long:
// up to 16 bytes of the name (for people listing the directory), a dash and
// 16 hex digits of the SHA-256 of the root and the name.
func hashedName(root, team string) string {
	sum := sha256.Sum256([]byte(root + "\x00" + team))
	prefix := team
	if len(prefix) > 16 {
		prefix = prefix[:16]
	}
	return prefix + "-" + hex.EncodeToString(sum[:8]) + ".sock"
}

// sticky reports whether dir has the sticky bit (a directory meant to be
// shared, such as /tmp).
func sticky(dir string) bool {
	fi, err := os.Lstat(dir)
	return err == nil && fi.Mode()&os.ModeSticky != 0
}

// ErrSocketInUse is returned (wrapped) by ListenSocket when another process
// answers on the socket path.
var ErrSocketInUse = errors.New("supervisor: socket in use")

// ensureSocketDir creates dir 0700, or checks that an existing dir is a real
// directory owned by us and tightens its mode to 0700. Under /tmp anyone
// could have created it first; we never use a directory someone else owns.
func ensureSocketDir(dir string) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
		return fmt.Errorf("socket directory %s: %w", dir, err)
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("socket directory %s: %w", dir, err)
	}
	err := checkSocketDir(dir, os.Getuid())
	var re *RefusedError
	if errors.As(err, &re) && re.tooOpen && sticky(dir) {
		// Shared by design (/tmp itself, to root): refused, never changed.
		re.Reason += " (a shared, sticky directory: left as it is)"
	} else if errors.As(err, &re) && re.tooOpen {
		// Ours but too open (an old umask): tighten it.
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("socket directory %s: %w", dir, err)
		}
		err = checkSocketDir(dir, os.Getuid())
	}
	if err != nil {
		return fmt.Errorf("socket directory: %w", err)
	}
	return nil
}
