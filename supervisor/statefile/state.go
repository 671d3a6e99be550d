package statefile

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"time"

	"github.com/f9449b24/claude-teams/protocol"
)

// Topology modes: where teammates' panes live (DESIGN.md "tmux topology").
const (
	// ModePrivate is a private tmux server, one session per team ($TMUX unset).
	ModePrivate = "private"
	// ModeSplit splits the lead's window ($TMUX set, the default).
	ModeSplit = "split"
	// ModeWindows gives each teammate a window of the lead's session
	// ($TMUX set and USE_TMUX_WINDOWS).
	ModeWindows = "windows"
)

// File names in protocol.Store.OwnDir(team).
const (
	// LockFileName is the team's supervisor flock: its holder supervises.
	LockFileName = "supervisor.lock"
	// StateFileName is the supervisor's state file (TeamState).
	StateFileName = "state.json"
)

// TeamState is the supervisor's state file, OwnDir(team)/state.json. The
// owner rewrites it (atomically) on every state change, so that the status
// CLI without a supervisor and the next owner after a takeover know what
// the owner knew: the tmux server, restarts, the last exit of each teammate
// and which exits the lead was already told about.
type TeamState struct {
	// SupervisorPID is the pid of the process that wrote the file.
	SupervisorPID int `json:"supervisor_pid"`
	// UpdatedAt is when the file was written (RFC 3339, UTC, ms).
	UpdatedAt string `json:"updated_at"`
	// Server says where the teammates' panes live.
	Server ServerInfo `json:"server"`
	// Teammates is keyed by teammate name.
	Teammates map[string]TeammateState `json:"teammates"`
}

// ServerInfo locates a team's tmux server and our session on it.
type ServerInfo struct {
	// Mode is ModePrivate, ModeSplit or ModeWindows.
	Mode string `json:"mode"`
	// SocketPath is the server's socket (#{socket_path}).
	SocketPath string `json:"socket_path"`
	// Session is the session our control client attaches to.
	Session string `json:"session"`
	// LeadPane is the lead's pane (split and windows modes).
	LeadPane string `json:"lead_pane,omitempty"`
	// ServerPID and ServerStart identify the tmux server the pane ids
	// belong to (its pid and process start time in clock ticks since
	// boot): on another server the same ids name other panes.
	ServerPID   int    `json:"server_pid,omitempty"`
	ServerStart uint64 `json:"server_start,omitempty"`
}

// TeammateState is what the state file keeps of one teammate.
type TeammateState struct {
	AgentID  string `json:"agent_id"`
	Backend  string `json:"backend"`
	PaneID   string `json:"pane_id"`
	WindowID string `json:"window_id"`
	PID      int    `json:"pid"`
	// PIDStart is PID's process start time (clock ticks since boot): a
	// pid reused by another process is told apart by it.
	PIDStart   uint64         `json:"pid_start,omitempty"`
	State      protocol.State `json:"state"`
	ExitStatus *int           `json:"exit_status"`
	Signal     string         `json:"signal"`
	Restarts   int            `json:"restarts"`
	Failures   int            `json:"failures"`
	// Restart is the teammate's restart policy ("" = the default).
	Restart   protocol.RestartPolicy `json:"restart,omitempty"`
	StartedAt string                 `json:"started_at,omitempty"`
	ExitedAt  string                 `json:"exited_at,omitempty"`
	// Reported is the exitKey of the last exit the lead was told about (or
	// that needed no telling); a new owner never reports it again.
	Reported string `json:"reported,omitempty"`
	// LeadVerifyKey is the --lead-verify-key the current run was launched
	// with ("" = none: it checks no lead entry and lead_signed is false).
	LeadVerifyKey string `json:"lead_verify_key,omitempty"`
	// ForgedReported names (protocol.EntryKey) the entries claiming the
	// lead but not signed by us that the lead was told about and that were
	// still in the teammate's inbox when last read; a new owner never
	// reports them again.
	ForgedReported []string `json:"forged_reported,omitempty"`
	// FailureTimes are the exits of failed runs still inside the failure
	// window; GaveUp says the restart policy gave up (failed); and
	// NextRestartAt is a pending automatic restart. A new owner continues
	// from them.
	FailureTimes  []string `json:"failure_times,omitempty"`
	GaveUp        bool     `json:"gave_up,omitempty"`
	NextRestartAt string   `json:"next_restart_at,omitempty"`
	// LastExit says how the last run ended, for the restart note.
	LastExit string `json:"last_exit,omitempty"`
	// StopReason is set while a deliberate stop is under way (written
	// before anything is signalled): an owner that takes over before the
	// stop completed classifies the exit as stopped and finishes the stop.
	StopReason protocol.StopReason `json:"stop_reason,omitempty"`
	// HealthTold is what the lead was told about the health of the
	// current run and is still true (a dialog it waits on); a new owner
	// that finds the same on screen does not tell it again.
	HealthTold *HealthTold `json:"health_told,omitempty"`
	// SessionID is the conversation of the current (or last) run, Resumed
	// whether that run continued an earlier one; a later owner resumes
	// SessionID (before the member record's sessionId). ResumeFailures
	// counts resumed runs in a row that failed their start, and Fresh says
	// the next start drops the conversation (after two of them), for
	// FreshReason.
	SessionID      string `json:"session_id,omitempty"`
	Resumed        bool   `json:"resumed,omitempty"`
	ResumeFailures int    `json:"resume_failures,omitempty"`
	Fresh          bool   `json:"fresh,omitempty"`
	FreshReason    string `json:"fresh_reason,omitempty"`
	// Joining is a spawn under way: the member the owner writes to
	// config.json once its pane exists (PaneID), and only then. An owner
	// that takes over finds it here and finishes the spawn: with a pane it
	// writes the member with its pane id and adopts the pane; without one it
	// drops the record.
	Joining *protocol.Member `json:"joining,omitempty"`
}

// HealthTold is one health report the lead got about one run of a
// teammate.
type HealthTold struct {
	// Run is the run it is about: "<pane id>:<pid>".
	Run string `json:"run"`
	// Health is the state reported (needs_input).
	Health protocol.State `json:"health"`
	// Prompt is the prompt line it was told.
	Prompt string `json:"prompt,omitempty"`
}

// StatePath returns the state file of team.
func StatePath(store *protocol.Store, team string) string {
	return filepath.Join(store.OwnDir(team), StateFileName)
}

// LockPath returns the supervisor lock file of team.
func LockPath(store *protocol.Store, team string) string {
	return filepath.Join(store.OwnDir(team), LockFileName)
}

// LoadTeamState reads the state file of team. A missing file gives an
// empty TeamState and no error.
func LoadTeamState(store *protocol.Store, team string) (TeamState, error) {
	var st TeamState
	err := protocol.ReadJSONFile(StatePath(store, team), &st)
	if errors.Is(err, fs.ErrNotExist) {
		return TeamState{Teammates: map[string]TeammateState{}}, nil
	}
	if err != nil {
		return TeamState{Teammates: map[string]TeammateState{}}, fmt.Errorf("load state of %s: %w", team, err)
	}
	if st.Teammates == nil {
		st.Teammates = map[string]TeammateState{}
	}
	return st, nil
}

// SaveTeamState writes the state file of team atomically.
func SaveTeamState(store *protocol.Store, team string, st TeamState) error {
	if err := protocol.WriteJSONFile(StatePath(store, team), st); err != nil {
		return fmt.Errorf("save state of %s: %w", team, err)
	}
	return nil
}

// FormatTime renders t for status and state files ("" for the zero time).
func FormatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return protocol.FormatTimestamp(t)
}

// ParseTime is the inverse of FormatTime (zero time for "" or garbage).
func ParseTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := protocol.ParseTimestamp(s)
	if err != nil {
		return time.Time{}
	}
	return t
}
