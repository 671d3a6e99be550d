package supervisor

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/f9449b24/claude-teams/backends"
	"github.com/f9449b24/claude-teams/protocol"
	"github.com/f9449b24/claude-teams/supervisor/statefile"
)

// TestClaudeResumeAfterCrash: a claude teammate starts with --session-id,
// recorded in status, state file and member record; SIGKILLed, it is
// restarted with the same flags plus --resume of that id (and no
// --session-id), reports resumed, and finds the short restart note.
func TestClaudeResumeAfterCrash(t *testing.T) {
	h := newHarness(t)
	dir := h.claudeWorld()
	m := h.manager(func(c *Config) { c.Backends = fakeClaudeBackends(h.root) })
	h.spawnClaude(m, "w1", protocol.RestartOnFailure)
	first := h.waitRun(m, dir, "w1", 1)
	sid := argFlag(fakeClaudeRuns(dir, "w1")[0], "--session-id")
	if sid == "" || first.SessionID != sid || first.Resumed {
		t.Fatalf("first run: argv %q, status %+v", fakeClaudeRuns(dir, "w1")[0], first)
	}
	if mem := h.member("w1"); mem.SessionID != sid {
		t.Errorf("member sessionId = %q, want %q", mem.SessionID, sid)
	}
	if ts := h.savedState("w1"); ts.SessionID != sid || ts.Resumed {
		t.Errorf("state file: session %q resumed %v, want %q false", ts.SessionID, ts.Resumed, sid)
	}

	kill(t, first.PID)
	second := h.waitRun(m, dir, "w1", 2)
	runs := fakeClaudeRuns(dir, "w1")
	if argFlag(runs[1], "--resume") != sid || slices.Contains(runs[1], "--session-id") {
		t.Errorf("restart argv %q, want --resume %s and no --session-id", runs[1], sid)
	}
	withoutSession := func(a []string) []string {
		for _, f := range []string{"--session-id", "--resume"} {
			if i := slices.Index(a, f); i >= 0 {
				a = slices.Delete(slices.Clone(a), i, i+2)
			}
		}
		return a
	}
	if !slices.Equal(withoutSession(runs[0]), withoutSession(runs[1])) {
		t.Errorf("teammate flags changed:\n%q\n%q", runs[0], runs[1])
	}
	if second.SessionID != sid || !second.Resumed {
		t.Errorf("status after restart: %+v", second)
	}
	// The member record follows (one write with the pane id).
	var mem protocol.Member
	eventually(t, func() bool {
		mem = h.member("w1")
		return mem.TmuxPaneID == second.PaneID
	}, "the member record to name pane %s", second.PaneID)
	if mem.SessionID != sid {
		t.Errorf("member after restart: session %q, want %q", mem.SessionID, sid)
	}
	if ts := h.savedState("w1"); ts.SessionID != sid || !ts.Resumed {
		t.Errorf("state file after restart: %+v", ts)
	}
	notes := h.restartNotes("w1")
	if len(notes) != 1 || !strings.Contains(notes[0], "your conversation is kept") ||
		!strings.Contains(notes[0], "killed by SIGKILL") || strings.Contains(notes[0], "original assignment") {
		t.Errorf("restart notes: %q", notes)
	}
}

// TestClaudeCrashBeforeFirstTurn: a teammate that dies before its first
// turn leaves no transcript; its restart starts a new conversation (a new
// --session-id, never --resume, so no "No conversation found" loop) and
// gets the full note saying why.
func TestClaudeCrashBeforeFirstTurn(t *testing.T) {
	h := newHarness(t)
	dir := h.claudeWorld()
	plan(t, dir, "w1", "crash", "turn")
	m := h.manager(func(c *Config) { c.Backends = fakeClaudeBackends(h.root) })
	h.spawnClaude(m, "w1", protocol.RestartOnFailure)
	ts := h.waitRun(m, dir, "w1", 2)
	runs := fakeClaudeRuns(dir, "w1")
	s1, s2 := argFlag(runs[0], "--session-id"), argFlag(runs[1], "--session-id")
	if s1 == "" || s2 == "" || s1 == s2 || slices.Contains(runs[1], "--resume") {
		t.Fatalf("runs %q: want two different --session-id and no --resume", runs)
	}
	if ts.SessionID != s2 || ts.Resumed || ts.Failures != 1 {
		t.Errorf("status %+v, want session %s, not resumed, 1 failure", ts, s2)
	}
	eventually(t, func() bool { return h.member("w1").SessionID == s2 }, "the member record to hold session %s", s2)
	notes := h.restartNotes("w1")
	if len(notes) != 1 || !strings.Contains(notes[0], "Your original assignment") || !strings.Contains(notes[0], "do w1") ||
		!strings.Contains(notes[0], "could not be resumed: no transcript") {
		t.Errorf("restart notes: %q", notes)
	}
}

// TestClaudeRestartFresh: restart_teammate with fresh starts a new
// conversation (new --session-id, full note); without it the next manual
// restart resumes that new conversation (short note).
func TestClaudeRestartFresh(t *testing.T) {
	h := newHarness(t)
	dir := h.claudeWorld()
	m := h.manager(func(c *Config) { c.Backends = fakeClaudeBackends(h.root) })
	h.spawnClaude(m, "w1", "")
	first := h.waitRun(m, dir, "w1", 1)

	got, err := m.Restart(ctxT(t), h.team, "w1", true)
	if err != nil {
		t.Fatal(err)
	}
	h.waitRun(m, dir, "w1", 2)
	runs := fakeClaudeRuns(dir, "w1")
	s2 := argFlag(runs[1], "--session-id")
	if s2 == "" || s2 == first.SessionID || slices.Contains(runs[1], "--resume") {
		t.Fatalf("fresh restart argv %q (first session %s)", runs[1], first.SessionID)
	}
	if got.SessionID != s2 || got.Resumed || h.member("w1").SessionID != s2 {
		t.Errorf("after fresh restart: status %+v, member session %q, want %s", got, h.member("w1").SessionID, s2)
	}
	if notes := h.restartNotes("w1"); len(notes) != 1 || !strings.Contains(notes[0], "Your original assignment") {
		t.Errorf("notes after fresh restart: %q", notes)
	}

	got, err = m.Restart(ctxT(t), h.team, "w1", false)
	if err != nil {
		t.Fatal(err)
	}
	h.waitRun(m, dir, "w1", 3)
	runs = fakeClaudeRuns(dir, "w1")
	if argFlag(runs[2], "--resume") != s2 || slices.Contains(runs[2], "--session-id") {
		t.Errorf("restart argv %q, want --resume %s", runs[2], s2)
	}
	if got.SessionID != s2 || !got.Resumed {
		t.Errorf("after restart: %+v", got)
	}
	notes := h.restartNotes("w1")
	if len(notes) != 2 || !strings.HasPrefix(notes[1], "You were restarted by the team lead; your conversation is kept") {
		t.Errorf("notes: %q", notes)
	}
}

// TestClaudeResumeFallsBackToFresh: two resumed runs in a row that fail
// their start make the next restart start a new conversation, once; the
// lead is told why, and so is the teammate.
func TestClaudeResumeFallsBackToFresh(t *testing.T) {
	h := newHarness(t)
	dir := h.claudeWorld()
	plan(t, dir, "w1", "turn", "fail-resume", "fail-resume", "turn")
	m := h.manager(func(c *Config) {
		c.Backends = fakeClaudeBackends(h.root)
		c.Restarts.MinRun = time.Hour // every run here is a failed start
	})
	h.spawnClaude(m, "w1", protocol.RestartOnFailure)
	first := h.waitRun(m, dir, "w1", 1)
	kill(t, first.PID)
	ts := h.waitRun(m, dir, "w1", 4)
	runs := fakeClaudeRuns(dir, "w1")
	for i := 1; i <= 2; i++ {
		if argFlag(runs[i], "--resume") != first.SessionID {
			t.Errorf("run %d argv %q, want --resume %s", i+1, runs[i], first.SessionID)
		}
	}
	s4 := argFlag(runs[3], "--session-id")
	if s4 == "" || s4 == first.SessionID || slices.Contains(runs[3], "--resume") {
		t.Fatalf("run 4 argv %q: want a new --session-id", runs[3])
	}
	if ts.SessionID != s4 || ts.Resumed || ts.Restarts != 3 {
		t.Errorf("status %+v", ts)
	}
	var told bool
	eventually(t, func() bool {
		for _, msg := range h.leadMessages("w1") {
			told = told || strings.Contains(msg.Text, "conversation: could not be resumed: its resumed process ended within 1h0m0s of its start 2 times in a row (last: exit status 1); started fresh")
		}
		return told
	}, "the lead to be told of the fresh start")
	notes := h.restartNotes("w1")
	if len(notes) != 3 || !strings.Contains(notes[2], "Your original assignment") || !strings.Contains(notes[2], "could not be resumed: its resumed process ended") {
		t.Errorf("restart notes: %q", notes)
	}
	if st := h.savedState("w1"); st.Fresh || st.ResumeFailures != 0 {
		t.Errorf("state file after the fresh start: %+v", st)
	}
}

// TestClaudeKilledAfterReadyResumes: a resumed teammate killed after it
// got going (its ready screen showed) is no failed resume, however short
// its run: every restart resumes again.
func TestClaudeKilledAfterReadyResumes(t *testing.T) {
	h := newHarness(t)
	dir := h.claudeWorld()
	m := h.manager(func(c *Config) {
		c.Backends = fakeClaudeBackends(h.root)
		c.Restarts.MinRun = time.Hour // every run here is short
	})
	h.spawnClaude(m, "w1", protocol.RestartOnFailure)
	sid := h.waitRun(m, dir, "w1", 1).SessionID
	for run := 1; run <= 3; run++ {
		ts := h.waitState(m, "w1", protocol.StateRunning)
		kill(t, ts.PID)
		h.waitRun(m, dir, "w1", run+1)
	}
	ts := h.waitState(m, "w1", protocol.StateRunning)
	for i, args := range fakeClaudeRuns(dir, "w1")[1:] {
		if argFlag(args, "--resume") != sid {
			t.Errorf("run %d argv %q, want --resume %s", i+2, args, sid)
		}
	}
	if !ts.Resumed || ts.SessionID != sid {
		t.Errorf("status %+v", ts)
	}
}

// TestClaudeSuccessorResumes: a supervisor SIGKILLed after spawning a claude
// teammate leaves its session id in the state file and member record; the
// next supervisor adopts the pane and, when the teammate crashes, resumes
// that conversation.
func TestClaudeSuccessorResumes(t *testing.T) {
	h := newHarness(t)
	dir := h.claudeWorld()
	p := h.startHelperSpec(helperSpec{Spawn: map[string][]string{"w1": nil}, Claude: true, Restart: protocol.RestartOnFailure})
	p.expect(t, "ready")
	sid := h.member("w1").SessionID
	if sid == "" || h.savedState("w1").SessionID != sid {
		t.Fatalf("first supervisor recorded member %q, state %q", sid, h.savedState("w1").SessionID)
	}
	p.kill()

	m := h.manager(func(c *Config) { c.Backends = fakeClaudeBackends(h.root) })
	if _, err := m.Supervise(ctxT(t), h.team); err != nil {
		t.Fatal(err)
	}
	adopted := h.waitRun(m, dir, "w1", 1)
	if adopted.SessionID != sid {
		t.Errorf("adopted status %+v, want session %s", adopted, sid)
	}
	kill(t, adopted.PID)
	ts := h.waitRun(m, dir, "w1", 2)
	runs := fakeClaudeRuns(dir, "w1")
	if argFlag(runs[1], "--resume") != sid {
		t.Errorf("successor's restart argv %q, want --resume %s", runs[1], sid)
	}
	if ts.SessionID != sid || !ts.Resumed {
		t.Errorf("status %+v", ts)
	}
}

func TestSessionFromState(t *testing.T) {
	mem := protocol.Member{Name: "w1", SessionID: "from-member", TmuxPaneID: "%3"}
	for _, tc := range []struct {
		name string
		ts   statefile.TeammateState
		want sessionState
	}{
		{"state file first", statefile.TeammateState{PaneID: "%3", SessionID: "from-state", Resumed: true}, sessionState{id: "from-state", resumed: true}},
		{"member record else", statefile.TeammateState{PaneID: "%3"}, sessionState{id: "from-member"}},
		{"no state entry", statefile.TeammateState{}, sessionState{id: "from-member"}},
		{"an older pane's entry", statefile.TeammateState{PaneID: "%1", SessionID: "old", Resumed: true}, sessionState{id: "from-member"}},
		{"resumed needs the state's id", statefile.TeammateState{PaneID: "%3", Resumed: true}, sessionState{id: "from-member"}},
		{"fallback pending", statefile.TeammateState{PaneID: "%3", SessionID: "s", ResumeFailures: 2, Fresh: true, FreshReason: "why"},
			sessionState{id: "s", resumeFails: 2, fresh: true, fallback: "why"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := sessionFromState(tc.ts, mem)
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
			back := statefile.TeammateState{PaneID: "%3"}
			sessionToState(&back, got)
			if again := sessionFromState(back, mem); again != got {
				t.Errorf("round trip %+v -> %+v -> %+v", got, back, again)
			}
		})
	}
}

func TestResumedNote(t *testing.T) {
	for _, tc := range []struct {
		manual   bool
		lastExit string
		unread   int
		want     string
	}{
		{false, "exit status 3", 0, "You were restarted after your previous process ended (exit status 3); your conversation is kept; no unread messages are in your inbox."},
		{false, "killed by SIGKILL", 1, "You were restarted after your previous process ended (killed by SIGKILL); your conversation is kept; 1 message you have not read yet is in your inbox."},
		{true, "", 4, "You were restarted by the team lead; your conversation is kept; 4 messages you have not read yet are in your inbox."},
	} {
		if got := resumedNote(tc.manual, tc.lastExit, tc.unread); !strings.HasPrefix(got, tc.want) {
			t.Errorf("resumedNote(%v, %q, %d) = %q, want prefix %q", tc.manual, tc.lastExit, tc.unread, got, tc.want)
		}
	}
}

// TestCodexSessionFound: codex picks its own session id; once its teammate
// has done a turn (it went idle), the supervisor finds the id in codex's
// rollout files, records it (status, state file, member record) and
// resumes it on the next restart (`codex resume <id>`).
func TestCodexSessionFound(t *testing.T) {
	h := newHarness(t)
	codexHome := filepath.Join(h.dir, "codex-home")
	reports := filepath.Join(h.dir, "reports")
	if err := os.Mkdir(reports, 0o700); err != nil {
		t.Fatal(err)
	}
	h.env = append(h.env, "CT_FAKE_AGENT=1", "CT_AGENT_SCRIPT=report "+reports+";print ready;wait")
	bc := fakeClaudeBackends(h.root)
	bc.Environ = append(bc.Environ, "CODEX_HOME="+codexHome)
	m := h.manager(func(c *Config) {
		c.Backends = bc
		c.Health.IdleAfter = 300 * time.Millisecond
	})
	mem, err := m.Spawn(ctxT(t), h.team, protocol.Member{Name: "w1", Prompt: "do w1", Cwd: h.dir, BackendType: backends.Codex}, protocol.RestartOnFailure)
	if err != nil {
		t.Fatal(err)
	}
	if ts := h.status(m, "w1"); ts.SessionID != "" {
		t.Errorf("codex session before its first turn: %q", ts.SessionID)
	}
	// What codex writes on its first turn: the rollout naming the cwd, with
	// our instruction (it names the agent id) as the user message.
	const sid = "01a23bee-a7f0-77a0-a6e7-09cf967a4030"
	rollout := filepath.Join(codexHome, "sessions", "2026", "12", "03", "rollout-2026-12-03T12-43-46-"+sid+".jsonl")
	if err := os.MkdirAll(filepath.Dir(rollout), 0o700); err != nil {
		t.Fatal(err)
	}
	meta := fmt.Sprintf(`{"type":"session_meta","payload":{"id":%q,"cwd":%q,"originator":"codex-tui"}}`, sid, h.dir)
	user := fmt.Sprintf(`{"type":"response_item","payload":{"type":"message","role":"user","content":[{"type":"input_text","text":"You are w1 (agent id %s) in team alpha"}]}}`, mem.AgentID)
	if err := os.WriteFile(rollout, []byte(meta+"\n"+user+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	h.markRead("w1")
	after := h.waitSessionResumed(m, sid)
	h.waitOutput(m, "w1", "ready")
	var got agentReport
	data, err := os.ReadFile(filepath.Join(reports, fmt.Sprintf("report-%d.json", after.PID)))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	// codex resume [flags] <id> <prompt>
	if len(got.Args) < 3 || got.Args[0] != "resume" || got.Args[len(got.Args)-2] != sid {
		t.Errorf("restart argv %q, want codex resume … %s <prompt>", got.Args, sid)
	}
}

// waitSessionResumed waits until w1's status, member record and state
// file hold session sid (looked up after its first turn), kills w1, waits
// for its first restart and checks that it resumed sid; it returns the
// status after the restart.
func (h *harness) waitSessionResumed(m *Manager, sid string) protocol.TeammateStatus {
	h.t.Helper()
	var ts protocol.TeammateStatus
	eventually(h.t, func() bool {
		ts = h.status(m, "w1")
		return ts.SessionID == sid
	}, "the session to be found (last %+v)", &ts)
	eventually(h.t, func() bool { return h.member("w1").SessionID == sid && h.savedState("w1").SessionID == sid },
		"member record and state file to hold %s", sid)

	kill(h.t, ts.PID)
	var after protocol.TeammateStatus
	eventually(h.t, func() bool {
		after = h.status(m, "w1")
		return after.Restarts == 1 && after.Alive
	}, "w1 restarted (last %+v)", &after)
	if after.SessionID != sid || !after.Resumed {
		h.t.Errorf("status after restart %+v, want resumed %s", after, sid)
	}
	return after
}
