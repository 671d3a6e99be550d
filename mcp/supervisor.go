package mcp

import (
	"context"

	"github.com/f9449b24/claude-teams/protocol"
)

// Supervisor is all the MCP tools need of the process supervisor. It is
// declared here so that mcp never imports supervisor; cmd/claude-teams wires
// a *supervisor.Manager in. A nil Supervisor means no pane tools are
// registered.
type Supervisor interface {
	// Spawn adds m to the team's config, seeds its inbox with m.Prompt from
	// team-lead, starts its pane and supervises it. restart is "", "never",
	// "on-failure" or "always" ("" = the configured default). On any failure
	// it rolls back: no member, no inbox residue, no pane. It returns the
	// member as recorded (agent id, colour, pane id filled in).
	Spawn(ctx context.Context, team string, m protocol.Member, restart protocol.RestartPolicy) (protocol.Member, error)
	// Stop ends a teammate on purpose (reason "killed" or "shutdown"): its
	// pane and process are gone when Stop returns, and the exit is never
	// reported as a crash. It does not touch config or tasks.
	Stop(ctx context.Context, team, agent string, reason protocol.StopReason) error
	// Remove stops a teammate on purpose (reason "killed" or "shutdown"),
	// tells the team's owner it left, removes it from the config (the
	// owner is the only writer of membership) and returns its unfinished
	// tasks, owned by name or agent id, to pending. A member already gone
	// is not an error.
	Remove(ctx context.Context, team, agent string, reason protocol.StopReason) (protocol.Removal, error)
	// Restart restarts a teammate now (also one that is failed or stopped),
	// resuming its conversation where its backend can, unless fresh.
	Restart(ctx context.Context, team, agent string, fresh bool) (protocol.TeammateStatus, error)
	// Status reports every teammate of the team.
	Status(ctx context.Context, team string) (protocol.TeamStatus, error)
	// Capture returns the teammate's rendered screen, ANSI stripped, at most
	// lines lines, also after the pane died.
	Capture(ctx context.Context, team, agent string, lines int) (string, error)
	// Teardown removes every pane and tmux session the team still has; it is
	// called by team_delete once no teammate remains.
	Teardown(ctx context.Context, team string) error
}
