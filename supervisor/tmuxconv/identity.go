package tmuxconv

import (
	"fmt"

	"github.com/f9449b24/claude-teams/supervisor/proctree"
)

// Pane identity. A pane id (%N) names a pane only within one tmux server's
// life: after the server restarts, %1 may be the person's editor, or
// another teammate of ours. So a recorded id is never enough. A pane is
// one teammate's only when it carries that teammate's agent id and our
// data root tag, or (a pane we did not tag, such as a native Claude Code
// teammate's) when it runs the very process recorded for it: same pid and
// same process start time. The owner loop and the offline status use this
// one rule; neither signals, removes nor reports as the teammate's a pane
// that fails it.

// Identity is what makes a pane one teammate's: its tags, or its process.
type Identity struct {
	AgentID, Root string // the PaneAgentOption and PaneRootOption values
	PID           int    // the recorded process, 0 when none
	PIDStart      uint64 // its start time (ProcStart), 0 when unknown
}

// Proves reports whether row is the pane of id; when it is not, why says
// so (a phrase for the log and for the person: "untagged, runs pid 7, not
// our pid 9").
func (id Identity) Proves(row Pane) (ok bool, why string) {
	switch {
	case row.Agent == id.AgentID && row.Root == id.Root && id.AgentID != "":
		return true, ""
	case row.Agent != "" || row.Root != "":
		return false, fmt.Sprintf("tagged as %q of root %q", row.Agent, row.Root)
	case row.Dead:
		return false, "untagged and dead: its process cannot be told apart"
	case id.PID <= 0 || id.PIDStart == 0:
		return false, "untagged, and no process of ours was recorded for it"
	case row.PID != id.PID:
		return false, fmt.Sprintf("untagged, runs pid %d, not our pid %d", row.PID, id.PID)
	case ProcStart(row.PID) != id.PIDStart:
		return false, fmt.Sprintf("untagged, pid %d started at another time than ours", row.PID)
	}
	return true, ""
}

// ProcStart is the start time of process pid in clock ticks since boot, 0
// when it cannot be read (no such process, a zombie, no /proc).
func ProcStart(pid int) uint64 {
	if pid <= 0 {
		return 0
	}
	p, ok := proctree.Read(pid)
	if !ok || p.Zombie {
		return 0
	}
	return p.Start
}
