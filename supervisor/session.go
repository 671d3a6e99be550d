package supervisor

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/f9449b24/claude-teams/backends"
	"github.com/f9449b24/claude-teams/protocol"
	"github.com/f9449b24/claude-teams/supervisor/policy"
	"github.com/f9449b24/claude-teams/supervisor/statefile"
)

// Conversations (issue 13). Every launch runs one conversation (agent CLI
// session): backends.Launch says which (SessionID), whether it continues an
// earlier one (Resumed) and, when a resume was asked for but is not
// possible, why not (FreshReason). The owner loop keeps that per teammate
// (sessionState), in the state file and, in the same write as the pane id,
// in the member record (protocol.Member.SessionID), so that a restart, and a
// later owner after a takeover, resumes the same conversation. A resumed run
// that fails its start (shorter than RestartConfig.MinRun) twice in a row
// makes the next restart start fresh once, and the lead is told why.

// freshAfterFailedResumes is how many resumed runs in a row must fail their
// start before the next start drops the conversation.
const freshAfterFailedResumes = 2

// sessionState is a teammate's conversation as the owner loop knows it.
// Owned by the team's run goroutine.
type sessionState struct {
	// id is the conversation of the current (or last) run; "" while a CLI
	// that picks its own id (codex, opencode) has not been looked up yet.
	id      string
	resumed bool
	// freshReason says why the current run started fresh although a resume
	// was asked for.
	freshReason string
	// resumeFails counts resumed runs in a row that failed their start.
	resumeFails int
	// fresh makes the next start drop the conversation; fallback says why
	// (the lead hears it when that start happens).
	fresh    bool
	fallback string
	// finding is set while a FindSession goroutine runs (codex, opencode).
	finding bool
}

// withSession asks a launch of tm to resume conversation id (the state
// file's, else the member record's), unless fresh.
func withSession(tm backends.Teammate, mem protocol.Member, id string, fresh bool) backends.Teammate {
	tm.SessionID = cmp.Or(id, mem.SessionID)
	tm.Resume = !fresh
	return tm
}

// startSession records the conversation of a new run of m (doSpawn); old
// is the mate of the previous run under the name, if any.
func (t *team) startSession(m, old *mate, l backends.Launch, respawn bool) {
	m.session = sessionState{id: l.SessionID, resumed: l.Resumed, freshReason: l.FreshReason}
	if respawn && old != nil && l.Resumed {
		m.session.resumeFails = old.session.resumeFails
	}
	t.log.Info("teammate conversation", zap.String("agent", m.name), zap.String("session_id", l.SessionID),
		zap.Bool("resumed", l.Resumed), zap.String("fresh_reason", l.FreshReason))
}

// sessionExited counts a resumed run that failed its start: it ended
// within RestartConfig.MinRun, not on purpose, and never showed its ready
// screen (still starting; a teammate killed after it got going is no
// failed resume). After freshAfterFailedResumes in a row the next start is
// fresh. It runs before m's state is set from the exit.
func (t *team) sessionExited(m *mate, x exitInfo, d policy.RestartDecision, deliberate bool) {
	if deliberate || !m.session.resumed || !d.FailedStart || m.state != protocol.StateStarting {
		m.session.resumeFails = 0
		return
	}
	m.session.resumeFails++
	if m.session.resumeFails < freshAfterFailedResumes {
		return
	}
	minRun := t.cfg.Restarts.WithDefaults().MinRun
	m.session.fresh = true
	m.session.fallback = fmt.Sprintf("its resumed process ended within %s of its start %d times in a row (last: %s)",
		minRun, m.session.resumeFails, x.String())
	t.log.Warn("teammate conversation not resumable", append(t.mateFields(m),
		zap.String("session_id", m.session.id), zap.Int("failed_resumes", m.session.resumeFails))...)
}

// freshFallback is the fresh-start reason for a start that drops the
// conversation after failed resumes ("" for any other start).
func freshFallback(s sessionState) string {
	if !s.fresh {
		return ""
	}
	return s.fallback
}

// sessionToState and sessionFromState carry the conversation through the
// state file.
func sessionToState(ts *statefile.TeammateState, s sessionState) {
	ts.SessionID, ts.Resumed, ts.ResumeFailures = s.id, s.resumed, s.resumeFails
	ts.Fresh, ts.FreshReason = s.fresh, s.fallback
}

// sessionFromState is what a new owner knows of mem's conversation: the
// state file's entry first, then the member record. An entry about another
// pane than the member's is older than the member record, whose session
// id is written with its pane id: the record wins then.
func sessionFromState(ts statefile.TeammateState, mem protocol.Member) sessionState {
	if ts.PaneID != mem.TmuxPaneID && mem.SessionID != "" {
		return sessionState{id: mem.SessionID}
	}
	return sessionState{
		id:      cmp.Or(ts.SessionID, mem.SessionID),
		resumed: ts.Resumed && ts.SessionID != "", resumeFails: ts.ResumeFailures,
		fresh: ts.Fresh, fallback: ts.FreshReason,
	}
}

// writeRestartNote puts the restart note into the teammate's inbox: a short
// one when l resumes its conversation (why, and how many unread messages
// wait), else the full one (assignment and tasks), saying why a resume
// asked for did not happen.
func (t *team) writeRestartNote(mem protocol.Member, manual bool, lastExit string, restarts int, l backends.Launch) (protocol.Message, error) {
	var text string
	if l.Resumed {
		unread, _, _ := t.store.Unread(t.name, mem.Name)
		text = resumedNote(manual, lastExit, unread)
	} else {
		text = restartNote(manual, lastExit, restarts, mem.Prompt, t.ownedTaskLines(mem))
		if l.FreshReason != "" {
			text += "\n\n(Your earlier conversation could not be resumed: " + strings.TrimSuffix(l.FreshReason, ".") + ".)"
		}
	}
	return t.store.Send(t.name, mem.Name, protocol.Message{From: protocol.LeadName, Text: text, Summary: restartSummary(manual, lastExit)})
}

// resumedNote is the note of a restart that kept the conversation.
func resumedNote(manual bool, lastExit string, unread int) string {
	why := "You were restarted"
	switch {
	case manual:
		why += " by the team lead"
	case lastExit != "":
		why += " after your previous process ended (" + lastExit + ")"
	}
	msgs := "no unread messages are in your inbox"
	switch {
	case unread == 1:
		msgs = "1 message you have not read yet is in your inbox"
	case unread > 1:
		msgs = fmt.Sprintf("%d messages you have not read yet are in your inbox", unread)
	}
	return why + "; your conversation is kept; " + msgs + ". Check your inbox and the task list, then carry on."
}

// sessionFound reports a session id looked up after the first turn
// (FindSession, codex and opencode) for the run of pane.
type sessionFound struct {
	name, pane, id string
	err            error
}

func (*sessionFound) isRequest() {}

// sessionLookupDelay is the least time between two lookups of one run's
// session id.
const sessionLookupDelay = 2 * time.Second

// findSession looks up, outside the loop, the id a CLI that picks its own
// (codex, opencode) gave m's current run, once m has done a turn (it went
// idle). Not found yet, it is looked up again a few times
// (sessionLookupAttempts), then the next time m goes idle.
// An opencode lookup runs the opencode binary (seconds).
func (t *team) findSession(m *mate) {
	if !picksOwnSession(m.backend) || m.session.id != "" || m.session.finding || m.paneID == "" {
		return
	}
	finder, ok := t.cfg.Backends.(sessionFinder)
	if !ok {
		return
	}
	m.session.finding = true
	name, pane, since := m.name, m.paneID, m.startedAt.Add(-sessionLookupDelay)
	ctx := t.loopCtx()
	t.goHelper(func() {
		r := &sessionFound{name: name, pane: pane}
		for attempt := 1; ; attempt++ {
			r.id, r.err = t.lookUpSession(ctx, finder, name, since)
			if !errors.Is(r.err, backends.ErrSessionNotFound) || attempt == sessionLookupAttempts {
				break
			}
			// The CLI may not have written its session yet: a little later,
			// unless the owner loop ends first.
			select {
			case <-ctx.Done():
			case <-time.After(sessionLookupRetry):
			}
			if ctx.Err() != nil {
				break
			}
		}
		t.report(r)
	})
}

// sessionLookupAttempts and sessionLookupRetry: a session not found yet is
// looked up again, at most this many times in all, so long apart (and then
// again the next time the teammate goes idle).
const (
	sessionLookupAttempts = 3
	sessionLookupRetry    = 5 * time.Second
)

// lookUpSession asks finder for the session of member name's run since
// then.
func (t *team) lookUpSession(ctx context.Context, finder sessionFinder, name string, since time.Time) (string, error) {
	cfg, err := t.store.ReadConfig(t.name)
	if err != nil {
		return "", err
	}
	mem, ok := cfg.FindMember(name)
	if !ok {
		return "", protocol.ErrMemberNotFound
	}
	return finder.FindSessionContext(ctx, mem.BackendType, teammateOf(mem, cfg, t.store.Root()), since)
}

// picksOwnSession reports whether the backend's CLI picks its session id
// itself, so that it must be looked up (FindSession).
func picksOwnSession(backend string) bool {
	return backend == backends.Codex || backend == backends.OpenCode
}

// sessionFinder is the part of backends.Config that finds a session id a
// CLI chose itself.
type sessionFinder interface {
	FindSessionContext(ctx context.Context, backend string, t backends.Teammate, since time.Time) (string, error)
}

// onSessionFound records a looked-up id for the run it was looked up for.
func (t *team) onSessionFound(r *sessionFound) {
	m := t.mates[r.name]
	if m == nil || m.paneID != r.pane {
		return
	}
	m.session.finding = false
	if r.err != nil {
		if !errors.Is(r.err, backends.ErrSessionNotFound) {
			t.log.Warn("session lookup", zap.String("agent", r.name), zap.Error(r.err))
		}
		return
	}
	m.session.id = r.id
	t.log.Info("teammate conversation found", zap.String("agent", m.name), zap.String("session_id", r.id))
	t.persist()
	t.goHelper(func() { t.recordPane(m.name, r.pane, r.pane, r.id) })
}
