// Package supervisor owns the live state of every supervised team: one owner
// loop per team that holds the team's supervisor lock, one tmux control-mode
// connection, the teammates' state machines, restart policy, health checks,
// output capture, lead notifications and the status socket.
//
// A Manager (one per claude-teams process) routes each call for a team:
// to its own owner loop when this process holds the team's flock
// (OwnDir/supervisor.lock), to a new owner loop when nobody holds it (the
// new owner re-adopts the panes recorded in config.json), or over the
// status socket to the process that holds it.
//
// The owner loop (team.run) is the only goroutine that touches teammate
// state. It selects on its context, the tmux connection's events
// (tmuxcc.PaneExited above all), typed requests with reply channels and
// its timers. Exits are classified in one place (classifyExit) and turned
// into lead notifications in one place (notifyExit); the notifier writes
// them from its own goroutine. What a later owner or the status CLI needs
// is kept in the state file (TeamState, OwnDir/state.json).
//
// Where panes live (DESIGN.md "tmux topology"): without $TMUX, a private
// server with one session per team, named after the team; inside tmux, the
// lead's server, splitting the lead's window or a window per teammate, with
// our control client attached to a session of our own
// ("claude-teams-<team>") into which the teammates' windows are linked.
//
// It may import tmuxcc, backends and protocol, and nothing else of ours.
// Nothing here reads the environment: cmd passes everything in Config.
package supervisor
