package protocol

import (
	"encoding/json"
	"reflect"
)

// TeamConfig is R/teams/<team>/config.json. Field order is Claude Code's.
// Extra keeps every key we do not know, so a rewrite never loses what Claude
// Code (or a newer version of it) stored there.
type TeamConfig struct {
	Name          string   `json:"name"`
	Description   string   `json:"description"`
	CreatedAt     int64    `json:"createdAt"`
	LeadAgentID   string   `json:"leadAgentId"`
	LeadSessionID string   `json:"leadSessionId"`
	Members       []Member `json:"members"`

	Extra map[string]json.RawMessage `json:"-"`

	extraKeys []string // order of Extra's keys as read
}

// Member is one entry of TeamConfig.Members: the lead or a teammate.
// Extra keeps unknown keys (Claude Code teammates add "mode", newer versions
// more).
type Member struct {
	AgentID          string   `json:"agentId"`
	Name             string   `json:"name"`
	AgentType        string   `json:"agentType"`
	Model            string   `json:"model"`
	Prompt           string   `json:"prompt,omitempty"`
	Color            string   `json:"color,omitempty"`
	PlanModeRequired *bool    `json:"planModeRequired,omitempty"`
	JoinedAt         int64    `json:"joinedAt"`
	TmuxPaneID       string   `json:"tmuxPaneId"`
	Cwd              string   `json:"cwd"`
	Subscriptions    []string `json:"subscriptions"`
	BackendType      string   `json:"backendType,omitempty"`
	IsActive         *bool    `json:"isActive,omitempty"`
	// SessionID is the conversation (agent CLI session) our supervisor
	// last started the teammate with, for a later supervisor to resume;
	// Claude Code 2.1.197 and 2.1.332 keep it when they rewrite the member.
	SessionID string `json:"sessionId,omitempty"`

	Extra map[string]json.RawMessage `json:"-"`

	extraKeys []string // order of Extra's keys as read
}

// TeamStatus is what `claude-teams supervisor status --json` prints for one
// team, and what the supervisor's status socket answers.
type TeamStatus struct {
	Name          string           `json:"name"`
	Supervised    bool             `json:"supervised"`
	SupervisorPID int              `json:"supervisor_pid"`
	Teammates     []TeammateStatus `json:"teammates"`
}

// TeammateStatus is one teammate's live state as the supervisor sees it.
// State is one of the lower-case words of DESIGN.md: starting, running,
// idle, stalled, needs_input, exited, crashed, restarting, failed, stopped
// (or unknown when nobody supervises and tmux cannot tell).
type TeammateStatus struct {
	Name          string   `json:"name"`
	AgentID       string   `json:"agent_id"`
	Backend       string   `json:"backend"`
	PaneID        string   `json:"pane_id"`
	Window        string   `json:"window"` // the pane's window, "alpha-2 (@7)"
	PID           int      `json:"pid"`
	State         State    `json:"state"`
	Health        string   `json:"health"`
	Alive         bool     `json:"alive"`
	ExitStatus    *int     `json:"exit_status"`
	Signal        string   `json:"signal"`
	Restarts      int      `json:"restarts"`
	Failures      int      `json:"failures"`
	StartedAt     string   `json:"started_at"`
	LastOutputAt  string   `json:"last_output_at"`
	NextRestartAt string   `json:"next_restart_at"`
	RestartError  string   `json:"restart_error"` // why the last restart could not start its pane
	Unread        int      `json:"unread"`
	Tasks         []string `json:"tasks"`
	// SessionID is the conversation of the current (or last) run, and
	// Resumed whether that run continued an earlier conversation.
	SessionID string `json:"session_id,omitempty"`
	Resumed   bool   `json:"resumed"`
	// LeadSigned says the teammate's current (or last) launch got
	// --lead-verify-key (leadsig.go): it checks every lead entry and every
	// lead entry we write to it is signed. The supervisor fills it from
	// what it launched (the state file's lead_verify_key, which the
	// offline status reads too).
	LeadSigned bool `json:"lead_signed"`
	// HealthReason says why a live teammate is in its health: the prompt
	// on its screen, the silence and the work of a stall ("" when there is
	// nothing to say). The status read without a supervisor uses it to say
	// why a pane on a recorded id was not taken as the teammate's (or was
	// taken by its id alone).
	HealthReason string `json:"health_reason,omitempty"`
}

// Plain twins of the config types: the same fields without JSON methods.
type (
	plainConfig TeamConfig
	plainMember Member
)

var (
	configFields = jsonFields(reflect.TypeFor[plainConfig]())
	memberFields = jsonFields(reflect.TypeFor[plainMember]())
)

// MarshalJSON encodes the config with Claude Code's field order followed by
// the unknown fields it was read with. A nil Members encodes as [].
func (c TeamConfig) MarshalJSON() ([]byte, error) {
	p := plainConfig(c)
	if p.Members == nil {
		p.Members = []Member{}
	}
	return encodeWithExtra(p, configFields, c.extraKeys, c.Extra)
}

// UnmarshalJSON decodes a config, keeping unknown keys in Extra.
func (c *TeamConfig) UnmarshalJSON(data []byte) error {
	o, err := decodeObject(data)
	if err != nil {
		return err
	}
	var p plainConfig
	keys, extra, err := o.split(&p, configFields)
	if err != nil {
		return err
	}
	*c = TeamConfig(p)
	c.Extra, c.extraKeys = extra, keys
	return nil
}

// MarshalJSON encodes the member with Claude Code's field order followed by
// the unknown fields it was read with. A nil Subscriptions encodes as [].
func (m Member) MarshalJSON() ([]byte, error) {
	p := plainMember(m)
	if p.Subscriptions == nil {
		p.Subscriptions = []string{}
	}
	return encodeWithExtra(p, memberFields, m.extraKeys, m.Extra)
}

// UnmarshalJSON decodes a member, keeping unknown keys in Extra.
func (m *Member) UnmarshalJSON(data []byte) error {
	o, err := decodeObject(data)
	if err != nil {
		return err
	}
	var p plainMember
	keys, extra, err := o.split(&p, memberFields)
	if err != nil {
		return err
	}
	*m = Member(p)
	m.Extra, m.extraKeys = extra, keys
	return nil
}
