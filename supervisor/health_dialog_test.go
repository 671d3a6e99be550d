package supervisor

import (
	"strings"
	"testing"
	"time"

	"github.com/f9449b24/claude-teams/protocol"
	"github.com/f9449b24/claude-teams/supervisor/policy"
	"github.com/f9449b24/claude-teams/supervisor/statefile"
)

// busyHealth makes busy panes' screens read often (the tests' spinners
// never pause).
func busyHealth(c *Config) {
	c.Health.BusyScreenEvery = 100 * time.Millisecond
}

// TestHealthDialogWhileBusy: a dialog drawn above a spinner that never
// stops (OpenCode's permission prompt, Codex's MCP tool approval; recorded
// screens of the real CLIs) is needs_input although the pane never goes
// quiet; once the dialog is answered (gone from the screen, the spinner
// still turning) the teammate has recovered.
func TestHealthDialogWhileBusy(t *testing.T) {
	h := newHarness(t)
	m := h.manager(busyHealth)
	cases := []struct{ name, backend, file, prompt string }{
		{"oc", "opencode", "permission-external-dir.txt", "Permission required"},
		{"cx", "codex", "mcp-tool-approval.txt", "MCP server to run tool"},
		{"gm", "gemini", "auth-chooser.txt", "How would you like to authenticate"},
	}
	for _, c := range cases {
		h.spawnAs(m, c.name, c.backend, "cat "+screenFile(t, c.backend, c.file), "spin 10", "wait")
	}
	for _, c := range cases {
		ts := h.waitState(m, c.name, protocol.StateNeedsInput)
		if ts.Health != string(policy.HealthNeedsInput) || !ts.Alive || !strings.Contains(ts.HealthReason, c.prompt) {
			t.Errorf("%s: status = %+v", c.name, ts)
		}
		msg := h.leadMessageWith(c.name, "needs input")
		if !strings.Contains(msg.Summary, c.prompt) {
			t.Errorf("%s: summary %q lacks the prompt %q", c.name, msg.Summary, c.prompt)
		}
		for _, want := range []string{"claude-teams supervisor attach --team " + h.team, "pane: %"} {
			if !strings.Contains(msg.Text, want) {
				t.Errorf("%s: message lacks %q:\n%s", c.name, want, msg.Text)
			}
		}
		if strings.Contains(msg.Text, "send it a message") {
			t.Errorf("%s: dialog advice suggests a message:\n%s", c.name, msg.Text)
		}
	}
	// The person answers OpenCode's dialog; the spinner goes on.
	h.ctl("oc", "clear")
	h.ctl("oc", "print reading ../outside")
	h.waitState(m, "oc", protocol.StateRunning)
	h.leadMessageWith("oc", "oc recovered (was needs input)")
}

// TestHealthFrozenDuringStop: force killing a stalled teammate that prints
// while it dies sends the lead no "recovered (was stalled)": health stops
// once a stop is under way.
func TestHealthFrozenDuringStop(t *testing.T) {
	h := newHarness(t)
	m := h.manager(func(c *Config) { c.Health.StallAfter = 300 * time.Millisecond })
	h.spawn(m, "w1", "noisy-term", "print working", "wait")
	h.markRead("w1")
	if _, err := h.store.CreateTask(h.team, protocol.TaskInput{Subject: "Long job", Description: "d"}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.store.UpdateTask(h.team, "1", protocol.TaskUpdate{Owner: protocol.Ptr("w1"), Status: protocol.Ptr("in_progress")}); err != nil {
		t.Fatal(err)
	}
	h.waitState(m, "w1", protocol.StateStalled)
	stall := h.leadMessageWith("w1", "w1 stalled")
	if !strings.Contains(stall.Text, "attach: claude-teams supervisor attach --team "+h.team) {
		t.Errorf("stall message lacks how to attach:\n%s", stall.Text)
	}
	if err := m.Stop(ctxT(t), h.team, "w1", protocol.StopKilled); err != nil {
		t.Fatal(err)
	}
	if ts := h.status(m, "w1"); ts.State != protocol.StateStopped {
		t.Fatalf("after the stop: %+v", ts)
	}
	// Lead notes are delivered in order: once a later one is in, any
	// note about w1's dying output would be too.
	h.spawn(m, "probe", "exit 3")
	h.leadMessageWith("probe", "probe crashed")
	for _, msg := range h.leadMessages("w1") {
		if strings.Contains(msg.Summary, "recovered") {
			t.Errorf("lead told: %q", msg.Summary)
		}
	}
	for _, e := range h.logs.FilterMessage("teammate running").All() {
		if e.ContextMap()["agent"] == "w1" && e.ContextMap()["from"] == string(protocol.StateStalled) {
			t.Errorf("w1 left stalled for running during its stop: %v", e.ContextMap())
		}
	}
}

// TestHealthAutoModeRefusal: Claude Code 2.1.332 in auto mode behind a
// gateway refuses every tool call and says so in the result of its
// idle_notification: the teammate needs input, and the lead is told the
// fix (another permission mode).
func TestHealthAutoModeRefusal(t *testing.T) {
	h := newHarness(t)
	m := h.manager(func(c *Config) { c.Health.IdleAfter = time.Hour })
	h.spawnAs(m, "native", "claude", "cat "+screenFile(t, "claude", "teammate-ready.txt"), "wait")
	h.waitState(m, "native", protocol.StateRunning)
	h.markRead("native")
	refusal := "Auto mode is unavailable: its safety check does not run for this session, so SendMessage was not run. " +
		"Other actions that need the check will be denied too, and retrying won't help."
	idle := protocol.Encode(protocol.IdleNotification{From: "native", Timestamp: protocol.FormatTimestamp(time.Now()),
		IdleReason: "available", Result: refusal})
	if _, err := h.store.Send(h.team, protocol.LeadName, protocol.Message{From: "native", Text: idle}); err != nil {
		t.Fatal(err)
	}
	ts := h.waitState(m, "native", protocol.StateNeedsInput)
	if !strings.Contains(ts.HealthReason, "Auto mode is unavailable") {
		t.Errorf("status = %+v", ts)
	}
	msg := h.leadMessageWith("native", "needs input")
	for _, want := range []string{"Auto mode is unavailable", "permission_mode", "CLAUDE_TEAMS_PERMISSION_MODE=default"} {
		if !strings.Contains(msg.Summary+msg.Text, want) {
			t.Errorf("message lacks %q:\n%s\n%s", want, msg.Summary, msg.Text)
		}
	}
	// A later idle_notification without the refusal (it was given another
	// mode some other way) ends it.
	later := protocol.Encode(protocol.IdleNotification{From: "native", Timestamp: protocol.FormatTimestamp(time.Now().Add(time.Second)),
		IdleReason: "available", Result: "done"})
	if _, err := h.store.Send(h.team, protocol.LeadName, protocol.Message{From: "native", Text: later}); err != nil {
		t.Fatal(err)
	}
	h.waitState(m, "native", protocol.StateIdle)
	h.leadMessageWith("native", "native recovered (was needs input)")
}

// needsInputMessages counts the lead's needs-input messages from name.
func (h *harness) needsInputMessages(name string) int {
	h.t.Helper()
	n := 0
	for _, msg := range h.leadMessages(name) {
		if strings.Contains(msg.Summary, " needs input: ") {
			n++
		}
	}
	return n
}

// TestNeedsInputAcrossAdoption: the supervising process is SIGKILLed while
// w1 waits on a prompt the lead was told about, and w2 draws a prompt
// while nobody supervises. The next owner reads the screens of the panes
// it adopts: both are needs_input at once, w2's prompt is reported, w1's
// is not reported a second time (the state file says the lead knows), and
// once answered both have recovered.
func TestNeedsInputAcrossAdoption(t *testing.T) {
	h := newHarness(t)
	helper := h.startHelper(map[string][]string{
		"w1": {"print Overwrite notes.md? [y/N]", "wait"},
		"w2": {"print hello from w2", "wait"},
	}, "")
	if l := helper.expect(t, "owner="); l != "owner=true" {
		t.Fatalf("helper: %s", l)
	}
	helper.expect(t, "ready")
	h.leadMessageWith("w1", "w1 needs input: Overwrite notes.md? [y/N]")
	eventually(t, func() bool {
		st, err := statefile.LoadTeamState(h.store, h.team)
		told := st.Teammates["w1"].HealthTold
		return err == nil && told != nil && told.Prompt == "Overwrite notes.md? [y/N]"
	}, "the state file to record what the lead was told about w1")

	helper.kill()
	st, err := statefile.LoadTeamState(h.store, h.team)
	if err != nil {
		t.Fatal(err)
	}
	h.ctl("w2", "print Overwrite other.md? [y/N]")
	eventually(t, func() bool {
		out, _ := h.tmux("capture-pane", "-p", "-t", st.Teammates["w2"].PaneID)
		return strings.Contains(out, "Overwrite other.md?")
	}, "w2 to draw its prompt unsupervised")

	m := h.manager()
	if own, err := m.Supervise(ctxT(t), h.team); err != nil || !own {
		t.Fatalf("takeover: owner=%v err=%v", own, err)
	}
	for name, prompt := range map[string]string{"w1": "Overwrite notes.md?", "w2": "Overwrite other.md?"} {
		ts := h.waitState(m, name, protocol.StateNeedsInput)
		if !strings.Contains(ts.HealthReason, prompt) {
			t.Errorf("%s after adoption: %+v", name, ts)
		}
	}
	h.leadMessageWith("w2", "w2 needs input: Overwrite other.md? [y/N]")

	// Answered: both recover, and the lead has heard of each prompt once.
	for _, name := range []string{"w1", "w2"} {
		h.ctl(name, "clear")
		h.ctl(name, "print answered")
	}
	h.leadMessageWith("w1", "w1 recovered (was needs input)")
	h.leadMessageWith("w2", "w2 recovered (was needs input)")
	if n1, n2 := h.needsInputMessages("w1"), h.needsInputMessages("w2"); n1 != 1 || n2 != 1 {
		t.Errorf("needs-input messages: w1 %d, w2 %d (want 1 each)", n1, n2)
		for _, name := range []string{"w1", "w2"} {
			for _, msg := range h.leadMessages(name) {
				t.Logf("%s: %s\n%s", name, msg.Summary, msg.Text)
			}
		}
	}
	if st, _ := statefile.LoadTeamState(h.store, h.team); st.Teammates["w1"].HealthTold != nil {
		t.Errorf("state file still records a dialog for w1: %+v", st.Teammates["w1"].HealthTold)
	}
}
