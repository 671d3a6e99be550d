package supervisor

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/f9449b24/claude-teams/protocol"
)

// Restart stops the teammate if it runs and starts it again with the same
// identity (agent id, name, colour, cwd, backend), also when it is failed,
// stopped or waiting for an automatic restart. It resumes the teammate's
// conversation when its backend can (its inbox gets a short note), unless
// fresh is set or resumed starts kept failing; a fresh start gets a note
// with the original assignment and the tasks it still owns. The lead asked
// for it: no lead notification. A manual restart revives a failed teammate
// (its failure count starts afresh) and keeps its restart count.
func (t *team) Restart(ctx context.Context, team, agent string, fresh bool) (protocol.TeammateStatus, error) {
	if err := t.checkTeam(team); err != nil {
		return protocol.TeammateStatus{}, err
	}
	if err := protocol.ValidateAgentName(agent); err != nil {
		return protocol.TeammateStatus{}, fmt.Errorf("restart: %w", err)
	}
	cfg, err := t.store.ReadConfig(team)
	if err != nil {
		return protocol.TeammateStatus{}, fmt.Errorf("restart %s: %w", agent, err)
	}
	mem, ok := cfg.FindMember(agent)
	if !ok || agent == protocol.LeadName {
		return protocol.TeammateStatus{}, fmt.Errorf("restart %s: %w", agent, protocol.ErrMemberNotFound)
	}
	var session sessionState
	if cur, err := t.ownSnapshot(ctx, agent); err == nil && len(cur.mates) == 1 {
		session = cur.mates[0].session
	}
	tm := withSession(teammateOf(mem, cfg, t.store.Root()), mem, session.id, fresh || session.fresh)
	launch, err := t.cfg.launch(ctx, mem.BackendType, tm)
	if err != nil {
		return protocol.TeammateStatus{}, fmt.Errorf("restart %s: %w", agent, err)
	}
	if err := t.Stop(ctx, team, agent, protocol.StopRestart); err != nil {
		return protocol.TeammateStatus{}, fmt.Errorf("restart %s: %w", agent, err)
	}
	ch := make(chan time.Time, 1)
	at, err := ask(ctx, t, &reviveReq{name: agent, reply: ch}, ch)
	if err != nil {
		return protocol.TeammateStatus{}, fmt.Errorf("restart %s: %w", agent, err)
	}
	if err := t.sleepUntil(ctx, at); err != nil {
		return protocol.TeammateStatus{}, fmt.Errorf("restart %s: %w", agent, err)
	}
	before, _ := t.ownSnapshot(ctx, agent)
	n := 1
	if len(before.mates) == 1 {
		n = before.mates[0].restarts + 1
	}
	if why := freshFallback(session); why != "" && !fresh && !launch.Resumed {
		launch.FreshReason = why
	}
	msg, nerr := t.writeRestartNote(mem, true, "", n, launch)
	if nerr != nil {
		t.log.Warn("restart note not written", zap.String("agent", agent), zap.Error(nerr))
	}
	p, err := t.askSpawn(ctx, mem, "", launch, true)
	if err != nil {
		t.dropNote(agent, msg.MsgID)
		return protocol.TeammateStatus{}, fmt.Errorf("restart %s: %w", agent, err)
	}
	if _, err := t.setPaneID(agent, p.pane, launch.SessionID); err != nil {
		return protocol.TeammateStatus{}, fmt.Errorf("restart %s: record pane: %w", agent, err)
	}
	snap, err := t.ownSnapshot(ctx, agent)
	if err != nil || len(snap.mates) == 0 {
		return protocol.TeammateStatus{}, fmt.Errorf("restart %s: %w", agent, ErrNoTeammate)
	}
	mem.TmuxPaneID = p.pane
	return t.teammateStatus(team, mem, snap.mates[0], true, t.ownedTaskIDs(mem)), nil
}

// sleepUntil waits on the team's clock until at (at once if it passed).
func (t *team) sleepUntil(ctx context.Context, at time.Time) error {
	d := at.Sub(t.now())
	if d <= 0 {
		return nil
	}
	tm := t.cfg.Clock.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// restartSummary is the restart note's summary.
func restartSummary(manual bool, lastExit string) string {
	switch {
	case manual:
		return "you were restarted by the team lead"
	case lastExit != "":
		return "you were restarted (" + lastExit + ")"
	}
	return "you were restarted"
}

// restartNote is the message a restarted teammate finds in its inbox: why
// it was restarted, its original assignment, and the tasks it still owns.
func restartNote(manual bool, lastExit string, restart int, prompt string, tasks []string) string {
	var b strings.Builder
	switch {
	case manual:
		fmt.Fprintf(&b, "You were restarted by the team lead (restart %d).", restart)
	case lastExit != "":
		fmt.Fprintf(&b, "You were restarted automatically (restart %d) after your previous process ended: %s.", restart, lastExit)
	default:
		fmt.Fprintf(&b, "You were restarted automatically (restart %d).", restart)
	}
	b.WriteString(" Your earlier conversation is gone; this note, your inbox and the task list are what you have.\n")
	if strings.TrimSpace(prompt) != "" {
		b.WriteString("\nYour original assignment:\n\n")
		b.WriteString(strings.TrimRight(prompt, "\n"))
		b.WriteString("\n")
	}
	if len(tasks) > 0 {
		b.WriteString("\nTasks you still own (" + strconv.Itoa(len(tasks)) + "):\n")
		for _, l := range tasks {
			b.WriteString("- " + l + "\n")
		}
	} else {
		b.WriteString("\nYou own no unfinished tasks.\n")
	}
	b.WriteString("\nCheck your inbox and the task list, then carry on.")
	return b.String()
}
