package supervisor

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/f9449b24/claude-teams/protocol"
	"github.com/f9449b24/claude-teams/supervisor/policy"
)

// screenFile is the absolute path of a recorded screen of backends.
func screenFile(t *testing.T, backend, name string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "backends", "testdata", "screens", backend, name))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// spawnAs starts name with a given backend (the fake agent stands in for
// the CLI; health reads that backend's screen patterns).
func (h *harness) spawnAs(m *Manager, name, backend string, script ...string) protocol.Member {
	h.t.Helper()
	h.launch.set(name, script)
	mem, err := m.Spawn(ctxT(h.t), h.team, protocol.Member{Name: name, Prompt: "do " + name, Cwd: h.dir, BackendType: backend}, "")
	if err != nil {
		h.t.Fatalf("spawn %s: %v", name, err)
	}
	return mem
}

// markRead empties name's inbox of unread messages (as the agent would).
func (h *harness) markRead(name string) {
	h.t.Helper()
	if _, err := h.store.ReadInbox(h.team, name, protocol.ReadOptions{MarkRead: true}); err != nil {
		h.t.Fatal(err)
	}
}

// leadMessageWith waits for a lead message from from whose summary
// contains want.
func (h *harness) leadMessageWith(from, want string) protocol.Message {
	h.t.Helper()
	var got protocol.Message
	var all []string
	eventually(h.t, func() bool {
		all = all[:0]
		for _, msg := range h.leadMessages(from) {
			all = append(all, msg.Summary)
			if strings.Contains(msg.Summary, want) {
				got = msg
				return true
			}
		}
		return false
	}, "a lead message from %s with %q (have %q)", from, want, &all)
	return got
}

// TestHealthNeedsInput: a prompt drawn on the screen (recorded screens of
// the real CLIs, a generic question for a command backend) makes the
// teammate needs_input and tells the lead the prompt line; once the screen
// no longer shows it, the teammate has recovered.
func TestHealthNeedsInput(t *testing.T) {
	h := newHarness(t)
	m := h.manager()
	cases := []struct{ name, backend, file, prompt string }{
		{"cl", "claude", "permission-bash.txt", "Do you want to proceed?"},
		{"cx", "codex", "permission-exec.txt", "Would you like to run the following command?"},
		{"oc", "opencode", "permission-bash.txt", "Permission required"},
		{"gen", "fake", "", "Overwrite notes.md? [y/N]"},
	}
	for _, c := range cases {
		first := "print " + c.prompt
		if c.file != "" {
			first = "cat " + screenFile(t, c.backend, c.file)
		}
		h.spawnAs(m, c.name, c.backend, first, "wait")
	}
	for _, c := range cases {
		ts := h.waitState(m, c.name, protocol.StateNeedsInput)
		if ts.Health != string(policy.HealthNeedsInput) || !ts.Alive {
			t.Errorf("%s: status = %+v", c.name, ts)
		}
		msg := h.leadMessageWith(c.name, "needs input")
		if !strings.Contains(msg.Summary, c.prompt) {
			t.Errorf("%s: message summary %q lacks the prompt %q", c.name, msg.Summary, c.prompt)
		}
	}
	// The person answers; the prompt goes away.
	h.ctl("gen", "clear")
	h.ctl("gen", "print writing notes.md")
	ts := h.waitState(m, "gen", protocol.StateRunning)
	if ts.Health != string(policy.HealthRunning) {
		t.Errorf("gen after the answer = %+v", ts)
	}
	h.leadMessageWith("gen", "gen recovered (was needs input)")
	if n := len(h.leadMessages("gen")); n != 2 {
		t.Errorf("%d messages from gen, want needs input + recovered", n)
	}
}

// TestHealthStartingUntilReady: a CLI stays starting until its ready
// screen is drawn.
func TestHealthStartingUntilReady(t *testing.T) {
	h := newHarness(t)
	m := h.manager(func(c *Config) { c.Health.StartTimeout = time.Hour })
	h.spawnAs(m, "w1", "claude", "print loading…", "wait")
	h.waitOutput(m, "w1", "loading")
	// Several settle times later it is still starting.
	for i := 0; i < 5; i++ {
		time.Sleep(m.cfg.Health.ScreenSettle)
		if ts := h.status(m, "w1"); ts.State != protocol.StateStarting {
			t.Fatalf("before the ready screen: %+v", ts)
		}
	}
	h.ctl("w1", "clear")
	h.ctl("w1", "cat "+screenFile(t, "claude", "ready.txt"))
	h.waitState(m, "w1", protocol.StateRunning)
}

// TestHealthStalledAndRecovers: a teammate with a task in progress that
// prints nothing for StallAfter is stalled, and the lead is told; when it
// prints again it has recovered.
func TestHealthStalledAndRecovers(t *testing.T) {
	h := newHarness(t)
	m := h.manager(func(c *Config) { c.Health.StallAfter = 300 * time.Millisecond })
	h.spawn(m, "w1", "print working", "wait")
	h.markRead("w1")
	if _, err := h.store.CreateTask(h.team, protocol.TaskInput{Subject: "Long job", Description: "d"}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.store.UpdateTask(h.team, "1", protocol.TaskUpdate{Owner: protocol.Ptr("w1"), Status: protocol.Ptr("in_progress")}); err != nil {
		t.Fatal(err)
	}
	ts := h.waitState(m, "w1", protocol.StateStalled)
	if ts.Health != string(policy.HealthStalled) || !ts.Alive {
		t.Errorf("stalled status = %+v", ts)
	}
	msg := h.leadMessageWith("w1", "w1 stalled: no output for")
	if !strings.Contains(msg.Summary, "with 1 task in progress") || !strings.Contains(msg.Text, "#1 Long job") {
		t.Errorf("stall message = %+v", msg)
	}
	h.ctl("w1", "print back at it")
	h.waitState(m, "w1", protocol.StateRunning)
	h.leadMessageWith("w1", "w1 recovered (was stalled)")
}

// TestHealthIdleNotification: a native teammate's idle_notification in
// the lead's inbox makes it idle until new work arrives. Idleness is no
// news for the lead.
func TestHealthIdleNotification(t *testing.T) {
	h := newHarness(t)
	m := h.manager(func(c *Config) { c.Health.IdleAfter = time.Hour })
	h.spawn(m, "native", "print ready", "wait")
	h.waitState(m, "native", protocol.StateRunning)
	h.markRead("native")
	idle := protocol.Encode(protocol.IdleNotification{From: "native", Timestamp: protocol.FormatTimestamp(time.Now()), IdleReason: "available"})
	if _, err := h.store.Send(h.team, protocol.LeadName, protocol.Message{From: "native", Text: idle}); err != nil {
		t.Fatal(err)
	}
	h.waitState(m, "native", protocol.StateIdle)
	// A new message is work: it is running again.
	if _, err := h.store.Send(h.team, "native", protocol.Message{From: protocol.LeadName, Text: "one more thing"}); err != nil {
		t.Fatal(err)
	}
	h.waitState(m, "native", protocol.StateRunning)
	for _, msg := range h.leadMessages("native") {
		if msg.Text != idle {
			t.Errorf("lead message about native: %+v", msg)
		}
	}
}

// TestHealthIdleWhenQuiet: a teammate with no work that prints nothing
// for IdleAfter is idle; a message makes it running again.
func TestHealthIdleWhenQuiet(t *testing.T) {
	h := newHarness(t)
	m := h.manager(func(c *Config) { c.Health.IdleAfter = 300 * time.Millisecond })
	h.spawn(m, "quiet", "print ready", "wait")
	h.markRead("quiet")
	ts := h.waitState(m, "quiet", protocol.StateIdle)
	if ts.Health != string(policy.HealthIdle) || !ts.Alive {
		t.Errorf("idle status = %+v", ts)
	}
	if _, err := h.store.Send(h.team, "quiet", protocol.Message{From: protocol.LeadName, Text: "wake up"}); err != nil {
		t.Fatal(err)
	}
	h.waitState(m, "quiet", protocol.StateRunning)
	if n := len(h.leadMessages("quiet")); n != 0 {
		t.Errorf("%d lead messages about idleness", n)
	}
}
