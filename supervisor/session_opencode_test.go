package supervisor

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/f9449b24/claude-teams/backends"
	"github.com/f9449b24/claude-teams/protocol"
)

// openCodeDB plays opencode's `session list` and `export` (the output
// shapes of backends/testdata/opencode) for backends.Config.Run: the
// sessions it holds, as the real binary would print them.
type openCodeDB struct {
	mu       sync.Mutex
	sessions map[string]openCodeRow // by id
	lists    int
}

type openCodeRow struct {
	dir, firstMessage string
	created           time.Time
}

func (db *openCodeDB) put(id string, r openCodeRow) {
	db.mu.Lock()
	defer db.mu.Unlock()
	db.sessions[id] = r
}

func (db *openCodeDB) drop(id string) {
	db.mu.Lock()
	defer db.mu.Unlock()
	delete(db.sessions, id)
}

func (db *openCodeDB) listed() int {
	db.mu.Lock()
	defer db.mu.Unlock()
	return db.lists
}

func (db *openCodeDB) run(_ context.Context, argv, _ []string, _ string) ([]byte, []byte, error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	switch {
	case slices.Equal(argv[1:], []string{"session", "list", "--pure", "--format", "json"}):
		db.lists++
		if len(db.sessions) == 0 {
			return nil, nil, nil // what opencode prints then
		}
		var l []map[string]any
		for id, r := range db.sessions {
			l = append(l, map[string]any{"id": id, "title": "ok", "updated": r.created.UnixMilli(),
				"created": r.created.UnixMilli(), "projectId": "global", "directory": r.dir})
		}
		out, err := json.MarshalIndent(l, "", "  ")
		return out, nil, err
	case len(argv) == 4 && argv[1] == "export":
		r, ok := db.sessions[argv[3]]
		if !ok {
			return nil, []byte("Exporting session: " + argv[3] + "\nError: Session not found: " + argv[3] + "\n"), fmt.Errorf("exit status 1")
		}
		out, err := json.Marshal(map[string]any{
			"info": map[string]any{"id": argv[3], "directory": r.dir, "time": map[string]any{"created": r.created.UnixMilli()}},
			"messages": []any{map[string]any{"info": map[string]any{"role": "user"},
				"parts": []any{map[string]any{"type": "text", "text": r.firstMessage}}}},
		})
		return out, nil, err
	}
	return nil, nil, fmt.Errorf("unexpected opencode argv %q", argv)
}

// openCodeTeammate spawns w1 as an opencode teammate (restart
// on-failure) run by the fake agent with script, under a supervisor whose
// opencode helper processes are answered by the returned database.
func (h *harness) openCodeTeammate(script string) (*openCodeDB, *Manager, protocol.Member) {
	h.t.Helper()
	h.env = append(h.env, "CT_FAKE_AGENT=1", "CT_AGENT_SCRIPT="+script)
	db := &openCodeDB{sessions: map[string]openCodeRow{}}
	bc := fakeClaudeBackends(h.root)
	bc.Run = db.run
	m := h.manager(func(c *Config) {
		c.Backends = bc
		c.Health.IdleAfter = 300 * time.Millisecond
	})
	mem, err := m.Spawn(ctxT(h.t), h.team, protocol.Member{Name: "w1", Prompt: "do w1", Cwd: h.dir, BackendType: backends.OpenCode}, protocol.RestartOnFailure)
	if err != nil {
		h.t.Fatal(err)
	}
	return db, m, mem
}

// TestOpenCodeSessionFound: opencode picks its own session id; once its
// teammate has done a turn (it went idle), the supervisor asks opencode
// (backends.Config.FindSession), records the id (status, state file,
// member record) and resumes it on the next restart (`opencode run
// --session <id>`). Once opencode no longer has that session, the next
// restart starts fresh and tells the teammate why.
func TestOpenCodeSessionFound(t *testing.T) {
	h := newHarness(t)
	reports := filepath.Join(h.dir, "reports")
	if err := os.Mkdir(reports, 0o700); err != nil {
		t.Fatal(err)
	}
	db, m, mem := h.openCodeTeammate("report " + reports + ";print ready;wait")
	if ts := h.status(m, "w1"); ts.SessionID != "" {
		t.Errorf("opencode session before its first turn: %q", ts.SessionID)
	}
	// What the TUI's first prompt makes: a session in the cwd whose first
	// message is our instruction (it names the agent id), and another
	// teammate's in the same directory.
	const sid = "ses_dc376e222ffecEQfUNmJg2r1Q0"
	db.put("ses_dc376aaeeffeax0X3daSSz5khI", openCodeRow{dir: h.dir, created: time.Now(), firstMessage: "You are w3 (agent id w3@" + h.team + ")"})
	db.put(sid, openCodeRow{dir: h.dir, created: time.Now(), firstMessage: fmt.Sprintf("You are w1 (agent id %s) in team %s", mem.AgentID, h.team)})
	h.markRead("w1")
	after := h.waitSessionResumed(m, sid)
	if got := h.agentArgs(reports, after.PID); !slices.Equal(got[:4], []string{"run", "--session", sid, "--interactive"}) {
		t.Errorf("restart argv %q, want opencode run --session %s --interactive <prompt>", got, sid)
	}

	// The session is gone (deleted in opencode): the next restart is fresh.
	db.drop(sid)
	lists := db.listed()
	kill(t, after.PID)
	eventually(t, func() bool {
		after = h.status(m, "w1")
		return after.Restarts == 2 && after.Alive
	}, "w1 restarted again (last %+v)", &after)
	if after.Resumed || db.listed() == lists {
		t.Errorf("status after the session vanished %+v (opencode asked: %v)", after, db.listed() > lists)
	}
	// The member record drops the old id with the new pane.
	eventually(t, func() bool { return h.member("w1").SessionID == "" && h.status(m, "w1").SessionID == "" },
		"the vanished session %s to be forgotten", sid)
	if got := h.agentArgs(reports, after.PID); len(got) < 2 || got[0] != "--prompt" {
		t.Errorf("fresh restart argv %q, want the TUI with --prompt", got)
	}
	if !slices.ContainsFunc(h.inbox("w1"), func(msg protocol.Message) bool {
		return strings.Contains(msg.Text, "could not be resumed: opencode has no session "+sid)
	}) {
		t.Errorf("no restart note says why the conversation was dropped: %+v", h.inbox("w1"))
	}
}

// agentArgs waits for the fake agent of pid to report and returns its
// argv (without the binary).
func (h *harness) agentArgs(reports string, pid int) []string {
	h.t.Helper()
	var got agentReport
	p := filepath.Join(reports, fmt.Sprintf("report-%d.json", pid))
	eventually(h.t, func() bool {
		data, err := os.ReadFile(p)
		return err == nil && json.Unmarshal(data, &got) == nil
	}, "the report of pid %d", pid)
	return got.Args
}

// TestSessionLookupRetried: the CLI may write its session a moment after
// its teammate went idle. A lookup that finds nothing is tried again
// (sessionLookupAttempts) without waiting for the next idle, which may
// never come while the teammate waits for the lead.
func TestSessionLookupRetried(t *testing.T) {
	h := newHarness(t)
	db, m, mem := h.openCodeTeammate("print ready;wait")
	h.markRead("w1")
	eventually(t, func() bool { return db.listed() >= 1 }, "the first lookup (it finds nothing)")
	const sid = "ses_dc376e222ffecEQfUNmJg2r1Q0"
	db.put(sid, openCodeRow{dir: h.dir, created: time.Now(), firstMessage: fmt.Sprintf("You are w1 (agent id %s) in team %s", mem.AgentID, h.team)})
	var ts protocol.TeammateStatus
	eventually(t, func() bool {
		ts = h.status(m, "w1")
		return ts.SessionID == sid
	}, "the session found by a later attempt (last %+v)", &ts)
	if ts.State != protocol.StateIdle {
		t.Errorf("w1 is %s, want idle all along (found without a second idle)", ts.State)
	}
}
