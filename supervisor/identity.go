package supervisor

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/f9449b24/claude-teams/supervisor/proctree"
	"github.com/f9449b24/claude-teams/supervisor/statefile"
	"github.com/f9449b24/claude-teams/supervisor/tmuxconv"
	"github.com/f9449b24/claude-teams/tmuxcc"
)

// Pane identity. A pane id (%N) names a pane only within one tmux server's
// life: after the server restarts, %1 may be the person's editor, or
// another teammate of ours. So a recorded id is never enough. A pane is
// ours only when it carries our agent id and data root tags, or (a pane we
// did not tag, such as a native Claude Code teammate's) when it runs the
// very process we recorded: same pid and same process start time. On a
// tmux server other than the recorded one (another pid or start time)
// nothing is adopted by id at all. We never signal or remove a pane that
// fails these checks.

// procStart is the start time of process pid in clock ticks since boot, 0
// when it cannot be read (no such process, no /proc).
func procStart(pid int) uint64 {
	if pid <= 0 {
		return 0
	}
	p, ok := proctree.Read(pid)
	if !ok || p.Zombie {
		return 0
	}
	return p.Start
}

// paneIdentity is what makes a pane one teammate's: its tags, or its
// process.
type paneIdentity struct {
	agentID, root string
	pid           int
	pidStart      uint64
}

// identity is the pane identity we recorded for m.
func (t *team) identity(m *mate) paneIdentity {
	return paneIdentity{agentID: m.agentID, root: t.rootTag, pid: m.pid, pidStart: m.pidStart}
}

// proves reports whether row is the pane of id; when it is not, why says
// so (for the log and the refusal).
func (id paneIdentity) proves(row tmuxconv.Pane) (ok bool, why string) {
	switch {
	case row.Agent == id.agentID && row.Root == id.root && id.agentID != "":
		return true, ""
	case row.Agent != "" || row.Root != "":
		return false, fmt.Sprintf("tagged as %q of root %q", row.Agent, row.Root)
	case row.Dead:
		return false, "untagged and dead: its process cannot be told apart"
	case id.pid <= 0 || id.pidStart == 0:
		return false, "untagged, and no process of ours was recorded for it"
	case row.PID != id.pid:
		return false, fmt.Sprintf("untagged, runs pid %d, not our pid %d", row.PID, id.pid)
	case procStart(row.PID) != id.pidStart:
		return false, fmt.Sprintf("untagged, pid %d started at another time than ours", row.PID)
	}
	return true, ""
}

// paneRowFormat is PaneListFormat for display-message -t (one pane).
const paneRowFormat = tmuxconv.PaneListFormat

// checkPaneOn asks tmux over conn for pane and reports whether it is id's
// (with the row tmux gave, and why not when it is not).
func checkPaneOn(ctx context.Context, conn *tmuxcc.Conn, pane string, id paneIdentity) (tmuxconv.Pane, bool, string) {
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
	ok, why := id.proves(row)
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
	info.ServerStart = procStart(info.ServerPID)
	t.serverChanged = prev.ServerPID != 0 && (prev.ServerPID != info.ServerPID ||
		(prev.ServerStart != 0 && info.ServerStart != 0 && prev.ServerStart != info.ServerStart))
	return info
}

// serverText names a recorded server identity for the log.
func serverText(s statefile.ServerInfo) string {
	return strings.Join([]string{s.SocketPath, "pid " + strconv.Itoa(s.ServerPID),
		"start " + strconv.FormatUint(s.ServerStart, 10)}, " ")
}
