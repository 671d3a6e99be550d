package protocol

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"path/filepath"
	"time"
)

// Default lock timings (PROTOCOL.md §3). A lock directory whose mtime is
// older than LockStaleAfter is abandoned and may be broken; holders refresh
// it every lockRefreshEvery.
const (
	LockStaleAfter     = 10 * time.Second
	DefaultLockTimeout = 30 * time.Second
	lockRefreshEvery   = 2 * time.Second
)

// Store reads and writes the agent-teams files under one data root
// ($CLAUDE_CONFIG_DIR or ~/.claude, chosen by the caller). It is safe for
// concurrent use by several goroutines and several processes: every write
// goes through Claude Code's lock directories and an atomic rename.
type Store struct {
	root        string
	now         func() time.Time
	newID       func() string
	lockTimeout time.Duration
	staleAfter  time.Duration
	refresh     time.Duration
	// valid remembers the inboxes this Store wrote (inboxappend.go).
	valid *validCache

	// hook, when set (tests only), is called at named points of a write:
	// "lock-busy" when a lock is found held, "lock-stale" when one is
	// found stale (before breaking it), "locked" once the locks are held,
	// "verified" once they are checked still ours before the writes,
	// "temp-written" after a temp file is fsynced and before it is
	// renamed over its target.
	hook func(stage string)
}

// Option configures a Store.
type Option func(*Store)

// WithClock sets the clock used for timestamps (createdAt, joinedAt,
// message timestamps). Lock staleness always uses the wall clock, because it
// is compared with file modification times.
func WithClock(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// WithLockTimeout bounds how long an operation waits for a lock directory
// held by a live holder (default DefaultLockTimeout).
func WithLockTimeout(d time.Duration) Option { return func(s *Store) { s.lockTimeout = d } }

// WithIDSource replaces the UUID generator used for msg_id and
// leadSessionId (tests use it for stable golden files).
func WithIDSource(newID func() string) Option { return func(s *Store) { s.newID = newID } }

// NewStore returns a Store for the data root root.
func NewStore(root string, opts ...Option) *Store {
	s := &Store{
		root:        filepath.Clean(root),
		now:         time.Now,
		newID:       NewUUID,
		lockTimeout: DefaultLockTimeout,
		staleAfter:  LockStaleAfter,
		refresh:     lockRefreshEvery,
		valid:       &validCache{},
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Root returns the data root.
func (s *Store) Root() string { return s.root }

// TeamDir returns R/teams/<team>.
func (s *Store) TeamDir(team string) string { return filepath.Join(s.root, "teams", team) }

// ConfigPath returns R/teams/<team>/config.json.
func (s *Store) ConfigPath(team string) string { return filepath.Join(s.TeamDir(team), "config.json") }

// InboxDir returns R/teams/<team>/inboxes.
func (s *Store) InboxDir(team string) string { return filepath.Join(s.TeamDir(team), "inboxes") }

// InboxPath returns R/teams/<team>/inboxes/<agent>.json.
func (s *Store) InboxPath(team, agent string) string {
	return filepath.Join(s.InboxDir(team), agent+".json")
}

// TasksDir returns R/tasks/<team>.
func (s *Store) TasksDir(team string) string { return filepath.Join(s.root, "tasks", team) }

// TaskPath returns R/tasks/<team>/<id>.json.
func (s *Store) TaskPath(team, id string) string { return filepath.Join(s.TasksDir(team), id+".json") }

// OwnDir returns R/teams/<team>/claude-teams, the directory of our own
// files (supervisor lock, state, settings, inbox history, corrupt copies).
// Claude Code ignores it.
func (s *Store) OwnDir(team string) string { return filepath.Join(s.TeamDir(team), "claude-teams") }

// HistoryPath returns the file that keeps agent's read messages:
// OwnDir/history/<agent>.jsonl, one JSON entry per line.
func (s *Store) HistoryPath(team, agent string) string {
	return filepath.Join(s.OwnDir(team), "history", agent+".jsonl")
}

// SettingsPath returns OwnDir/settings.json.
func (s *Store) SettingsPath(team string) string {
	return filepath.Join(s.OwnDir(team), "settings.json")
}

// TimestampLayout is the message timestamp format Claude Code writes and
// validates: UTC with milliseconds and a Z.
const TimestampLayout = "2006-01-02T15:04:05.000Z"

// FormatTimestamp formats t as Claude Code's message timestamps.
func FormatTimestamp(t time.Time) string { return t.UTC().Format(TimestampLayout) }

// ParseTimestamp parses a message timestamp (any RFC 3339 form is
// accepted, Claude Code's own is the usual one).
func ParseTimestamp(s string) (time.Time, error) { return time.Parse(time.RFC3339Nano, s) }

func (s *Store) timestamp() string { return FormatTimestamp(s.now()) }

// NewUUID returns a random (version 4) UUID in its canonical text form.
func NewUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	return string(out[:])
}

func (s *Store) callHook(stage string) {
	if s.hook != nil {
		s.hook(stage)
	}
}

// Sentinel errors. Operations wrap them with the team, member or task
// concerned; test for them with errors.Is.
var (
	// ErrInvalidName is wrapped by every *NameError.
	ErrInvalidName = errors.New("protocol: invalid name")
	// ErrTeamExists is returned when creating a team whose config.json exists.
	ErrTeamExists = errors.New("protocol: team already exists")
	// ErrTeamNotFound is returned when a team has no config.json.
	ErrTeamNotFound = errors.New("protocol: team not found")
	// ErrMemberExists is returned when adding a member whose name is taken.
	ErrMemberExists = errors.New("protocol: member already exists")
	// ErrMemberNotFound is returned when a named member is not in the config.
	ErrMemberNotFound = errors.New("protocol: member not found")
	// ErrTaskNotFound is returned when a task file does not exist.
	ErrTaskNotFound = errors.New("protocol: task not found")
	// ErrInvalidTask is returned for a refused task change: empty subject,
	// unknown status, status moving backwards, self reference, missing id,
	// cycle, or starting a task whose blocker is unfinished.
	ErrInvalidTask = errors.New("protocol: invalid task change")
	// ErrInvalidMessage is returned for a message missing its sender.
	ErrInvalidMessage = errors.New("protocol: invalid message")
	// ErrMessageTooLarge is returned for a message text over MaxMessageBytes.
	ErrMessageTooLarge = errors.New("protocol: message too large")
	// ErrCorrupt is returned when a file is not the JSON it should be and
	// cannot be set aside (config.json, a task file, or an inbox read
	// without a lock).
	ErrCorrupt = errors.New("protocol: corrupt file")
	// ErrLockTimeout is returned when a lock directory stays held by a live
	// holder for longer than the store's lock timeout.
	ErrLockTimeout = errors.New("protocol: lock timeout")
	// ErrLockLost is returned when a held lock directory vanished or was
	// replaced while we held it (someone judged it stale and broke it).
	ErrLockLost = errors.New("protocol: lock lost while held")
)
