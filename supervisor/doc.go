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
// three policy timers (the next automatic restart, the release of held-back
// lead notifications, the next health evaluation), re-armed before every
// wait. Exits are classified in one place (protocol.Exit.Classify), go
// through the restart policy (policy.TeamRestarts, restart.go) and are
// turned into lead notifications in one place (notifyExit) through the
// notification policy (policy.LeadNotifier); the notifier writes them from
// its own goroutine. Health
// (health.go) comes from %output times, the rendered screen once output
// settles (and, at a bounded rate, while it does not: health_busy.go), and
// the inbox and task facts a work watcher reads when those files change
// (work.go); it stops once a stop is under way. The same reads give the lead
// guard (leadguard.go) the entries in keyed teammates' inboxes that claim
// the lead without our signature, each told to the lead once. Slow or
// file-bound work (restart preparation,
// stops, the work watcher) runs in helper goroutines that report back as
// requests. What a later owner or the status CLI needs is kept in the
// state file (statefile.TeamState, OwnDir/state.json), restart counts, pending
// restarts and stops under way included: a stop begun by an owner that died
// is finished by the next one, never reported as a crash. The loop's own
// waits are tmux round trips (bounded per event by Config.CommandTimeout)
// and the state file write; see the team type.
//
// Conversations (session.go): each run's session id and whether it
// resumed are kept per teammate, in the state file and, written with the
// pane id, in the member record; restarts (automatic, manual, or by a later
// owner) ask the backend to resume that conversation unless told fresh, and
// two resumed runs in a row that fail their start make the next start
// fresh. The restart note is short for a resumed teammate, full otherwise.
//
// Ownership hand-over: the Manager gives up a team's flock only after the
// team's status socket is closed, so the next owner always finds the
// socket path free. A new owner that cannot reach the team's tmux server
// (which may still run) treats its teammates as unknown and redials
// (reconnect.go); only a server that is gone, or a tmux that answers
// without the pane, makes a teammate's end known.
//
// Two data roots ($CLAUDE_CONFIG_DIR) may hold teams of the same name: the
// status socket path (statussock.SocketPath), the control client's tag and
// a pane option (tmuxconv.PaneRootOption) carry a hash of the data root, so neither team
// touches the other's supervisor, control client or panes.
//
// Layers, one package each: pure policy (supervisor/policy: restart,
// stagger, health, notifications), the status-socket protocol
// (supervisor/statussock), offline status (supervisor/offline), the state
// file (supervisor/statefile), our tmux conventions without a control
// connection (supervisor/tmuxconv), process trees (supervisor/proctree) and
// the time source (supervisor/clock). This package is the owner loop and
// the Manager that wires them; deps_test.go states what each may import.
//
// Where panes live (DESIGN.md "tmux topology"): without $TMUX, a private
// server with one session per team, named after the team; inside tmux, the
// lead's server, beside the lead in its window (placed by
// supervisor/layout: the lead keeps its share, overflow windows
// "<team>-2"…, restarts take the dead pane's cell; placement.go) or a
// window per teammate, with our control client attached to a session of
// our own ("claude-teams-<team>") into which the teammates' windows are
// linked. Every teammate pane is titled with its name.
//
// Remote-ready seams: which tmux server (Config.TmuxSocket, TMUX, a
// recorded socket path) and which tmux command (Config.Tmux; tmuxcc runs
// it under a pty, so a wrapper such as `ssh -tt host tmux` works) are
// configuration; process signals are only sent to panes whose process is a
// child of a local tmux server (proctree.LocalChild), otherwise a stop removes the
// pane and waits for tmux to report the exit.
//
// It may import tmuxcc, backends, protocol and its own subpackages, and
// nothing else of ours.
// Nothing here reads the environment: cmd passes everything in Config.
package supervisor
