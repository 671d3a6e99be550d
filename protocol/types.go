package protocol

import "encoding/json"

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

	Extra map[string]json.RawMessage `json:"-"`
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
	PID           int      `json:"pid"`
	State         string   `json:"state"`
	Health        string   `json:"health"`
	Alive         bool     `json:"alive"`
	ExitStatus    *int     `json:"exit_status"`
	Signal        string   `json:"signal"`
	Restarts      int      `json:"restarts"`
	Failures      int      `json:"failures"`
	StartedAt     string   `json:"started_at"`
	LastOutputAt  string   `json:"last_output_at"`
	NextRestartAt string   `json:"next_restart_at"`
	Unread        int      `json:"unread"`
	Tasks         []string `json:"tasks"`
}
