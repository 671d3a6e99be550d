package protocol

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidValue is wrapped by every refusal of a lifecycle word (state,
// restart policy, stop reason) that is not one of its words.
var ErrInvalidValue = errors.New("protocol: invalid value")

// State is a teammate's lifecycle state: one of the lower-case words of
// DESIGN.md ("Supervision"). Decoding a State from JSON validates it.
type State string

// The states of a teammate. StateUnknown is for a member nobody supervises
// and tmux cannot tell about.
const (
	StateStarting   State = "starting"
	StateRunning    State = "running"
	StateIdle       State = "idle"
	StateStalled    State = "stalled"
	StateNeedsInput State = "needs_input"
	StateExited     State = "exited"
	StateCrashed    State = "crashed"
	StateRestarting State = "restarting"
	StateFailed     State = "failed"
	StateStopped    State = "stopped"
	StateUnknown    State = "unknown"
)

// States lists every State, in the order DESIGN.md gives them.
var States = []State{
	StateStarting, StateRunning, StateIdle, StateStalled, StateNeedsInput,
	StateExited, StateCrashed, StateRestarting, StateFailed, StateStopped, StateUnknown,
}

// Alive reports whether a teammate in state s has a live process.
func (s State) Alive() bool {
	switch s {
	case StateStarting, StateRunning, StateIdle, StateStalled, StateNeedsInput:
		return true
	}
	return false
}

// Valid reports whether s is one of States.
func (s State) Valid() bool { return oneOf(s, States) }

// UnmarshalText accepts exactly one of States ("" too: a file written
// before the field existed).
func (s *State) UnmarshalText(b []byte) error {
	v := State(b)
	if v != "" && !v.Valid() {
		return fmt.Errorf("%w: teammate state %q: want %s", ErrInvalidValue, v, wordList(States))
	}
	*s = v
	return nil
}

// RestartPolicy says whether a teammate whose process ended is started
// again: never (the default), on-failure (exit status ≠ 0, a signal, or an
// unknown status) or always (any exit). A deliberate stop never restarts.
// RestartDefault ("") stands for the configured default.
type RestartPolicy string

// The restart policies, as CLAUDE_TEAMS_RESTART, the --restart flag, the
// spawn tool's restart parameter and the status socket spell them.
const (
	RestartDefault   RestartPolicy = ""
	RestartNever     RestartPolicy = "never"
	RestartOnFailure RestartPolicy = "on-failure"
	RestartAlways    RestartPolicy = "always"
)

// RestartPolicies lists the policy words, for schemas and messages.
var RestartPolicies = []RestartPolicy{RestartNever, RestartOnFailure, RestartAlways}

// ParseRestartPolicy is the one parser of policy words, used by every
// entry point (environment, flag, spawn tool, status socket, state file).
// The words are exact: lower case, no surrounding space ("Always" is
// refused, naming the words). "" is RestartDefault.
func ParseRestartPolicy(s string) (RestartPolicy, error) {
	p := RestartPolicy(s)
	if p == RestartDefault || oneOf(p, RestartPolicies) {
		return p, nil
	}
	return "", fmt.Errorf("%w: restart policy %q: want %s", ErrInvalidValue, s, wordList(RestartPolicies))
}

// Or returns p, or def when p is RestartDefault.
func (p RestartPolicy) Or(def RestartPolicy) RestartPolicy {
	if p == RestartDefault {
		return def
	}
	return p
}

// MarshalText returns the policy word (so a RestartPolicy is a flag.TextVar).
func (p RestartPolicy) MarshalText() ([]byte, error) { return []byte(p), nil }

// UnmarshalText parses with ParseRestartPolicy.
func (p *RestartPolicy) UnmarshalText(b []byte) error {
	v, err := ParseRestartPolicy(string(b))
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// StopReason says why a teammate was stopped on purpose; "" means it was
// not. A deliberate stop is never reported as a crash and never restarts.
type StopReason string

// The stop reasons.
const (
	// StopKilled is force_kill_teammate (and the CLI's kill).
	StopKilled StopReason = "killed"
	// StopShutdown is an approved shutdown request.
	StopShutdown StopReason = "shutdown"
	// StopRestart is a manual restart: the old process is stopped first.
	StopRestart StopReason = "restart"
	// StopTeardown is team_delete's teardown of the panes left.
	StopTeardown StopReason = "teardown"
)

// StopReasons lists every StopReason.
var StopReasons = []StopReason{StopKilled, StopShutdown, StopRestart, StopTeardown}

// ClientStopReasons are the reasons a client (MCP tool, status socket)
// may give; the others are the supervisor's own.
var ClientStopReasons = []StopReason{StopKilled, StopShutdown}

// ParseStopReason reads a stop reason a client gave: "" is StopKilled;
// anything but ClientStopReasons is refused.
func ParseStopReason(s string) (StopReason, error) {
	r := StopReason(s)
	switch {
	case r == "":
		return StopKilled, nil
	case oneOf(r, ClientStopReasons):
		return r, nil
	}
	return "", fmt.Errorf("%w: stop reason %q: want %s", ErrInvalidValue, s, wordList(ClientStopReasons))
}

// UnmarshalText accepts "" or one of StopReasons (the state file).
func (r *StopReason) UnmarshalText(b []byte) error {
	v := StopReason(b)
	if v != "" && !oneOf(v, StopReasons) {
		return fmt.Errorf("%w: stop reason %q: want %s", ErrInvalidValue, v, wordList(StopReasons))
	}
	*r = v
	return nil
}

func oneOf[T comparable](v T, list []T) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// wordList spells list as "a, b or c".
func wordList[T ~string](list []T) string {
	s := make([]string, len(list))
	for i, v := range list {
		s[i] = string(v)
	}
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}
