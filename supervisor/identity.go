package supervisor

import (
	"context"
	"strconv"
	"strings"

	"github.com/f9449b24/claude-teams/supervisor/statefile"
	"github.com/f9449b24/claude-teams/supervisor/tmuxconv"
	"github.com/f9449b24/claude-teams/tmuxcc"
)

// Pane identity: the rule is tmuxconv.Identity's (one rule for the owner
// loop and the offline status). On a tmux server other than the recorded
// one (another pid or start time) nothing is adopted by id at all.

// identity is the pane identity we recorded for m.
func (t *team) identity(m *mate) tmuxconv.Identity {
	return tmuxconv.Identity{AgentID: m.agentID, Root: t.rootTag, PID: m.pid, PIDStart: m.pidStart}
}

// paneRowFormat is PaneListFormat for display-message -t (one pane).
const paneRowFormat = tmuxconv.PaneListFormat

// checkPaneOn asks tmux over conn for pane and reports whether it is id's
// (with the row tmux gave, and why not when it is not).
func checkPaneOn(ctx context.Context, conn *tmuxcc.Conn, pane string, id tmuxconv.Identity) (tmuxconv.Pane, bool, string) {
	if conn == nil || pane == "" {
		return tmuxconv.Pane{}, false, "no pane"
	}
	out, err := conn.Command(ctx, "display-message", "-p", "-t", pane, paneRowFormat)
	if err != nil || len(out) == 0 {
		return tmuxconv.Pane{}, false, "pane not found"
	}
	row, ok := tmuxconv.ParsePane(out[0])
	if !ok || row.ID != pane {
		return tmuxconv.Pane{}, false, "pane not found"
	}
	ok, why := id.Proves(row)
	return row, ok, why
}

// noteServer completes info with the identity of the server we are
// connected to (pid and start time) and sets serverChanged when a server
// was recorded and this is another one: pane ids recorded on it mean
// nothing here.
func (t *team) noteServer(info statefile.ServerInfo) statefile.ServerInfo {
	prev := t.server
	t.recordedServer = prev
	info.ServerPID = t.topo.serverPID
	info.ServerStart = tmuxconv.ProcStart(info.ServerPID)
	t.serverChanged = prev.ServerPID != 0 && (prev.ServerPID != info.ServerPID ||
		(prev.ServerStart != 0 && info.ServerStart != 0 && prev.ServerStart != info.ServerStart))
	return info
}

// serverText names a recorded server identity for the log.
func serverText(s statefile.ServerInfo) string {
	return strings.Join([]string{s.SocketPath, "pid " + strconv.Itoa(s.ServerPID),
		"start " + strconv.FormatUint(s.ServerStart, 10)}, " ")
}
