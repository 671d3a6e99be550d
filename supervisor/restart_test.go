package supervisor

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/f9449b24/claude-teams/protocol"
	"github.com/f9449b24/claude-teams/supervisor/policy"
	"github.com/f9449b24/claude-teams/supervisor/statefile"
	"github.com/f9449b24/claude-teams/supervisor/statussock"
)

// spawnPolicy starts teammate name with a restart policy of its own.
func (h *harness) spawnPolicy(m *Manager, name string, policy protocol.RestartPolicy, script ...string) protocol.Member {
	h.t.Helper()
	h.launch.set(name, script)
	mem, err := m.Spawn(ctxT(h.t), h.team, protocol.Member{Name: name, Prompt: "do " + name, Cwd: h.dir, BackendType: "fake"}, policy)
	if err != nil {
		h.t.Fatalf("spawn %s: %v", name, err)
	}
	return mem
}

// runs is how many times name was launched.
func (f *fakeLauncher) runCount(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.runs[name]
}

// member returns name's entry of config.json.
func (h *harness) member(name string) protocol.Member {
	h.t.Helper()
	cfg, err := h.store.ReadConfig(h.team)
	if err != nil {
		h.t.Fatal(err)
	}
	mem, ok := cfg.FindMember(name)
	if !ok {
		h.t.Fatalf("no member %s", name)
	}
	return mem
}

// inbox returns name's inbox entries.
func (h *harness) inbox(name string) []protocol.Message {
	h.t.Helper()
	res, err := h.store.ReadInbox(h.team, name, protocol.ReadOptions{})
	if err != nil {
		h.t.Fatal(err)
	}
	return res.Messages
}

// TestAutoRestartAfterCrash: a crash under on-failure is restarted after the
// backoff in a new pane with the same identity (agent id, name, colour,
// cwd, backend), config.json records the new pane, the dead pane is gone,
// the teammate's inbox has the restart note (exit status, original
// assignment, the tasks it still owns), and the lead hears "crashed,
// restarting" then "restarted".
func TestAutoRestartAfterCrash(t *testing.T) {
	h := newHarness(t)
	m := h.manager()
	first := h.spawnPolicy(m, "w1", "on-failure", "pwd", "env CT_AGENT_ID", "print ready", "wait")
	if _, err := h.store.CreateTask(h.team, protocol.TaskInput{Subject: "Write the parser", Description: "d"}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.store.UpdateTask(h.team, "1", protocol.TaskUpdate{Owner: protocol.Ptr("w1"), Status: protocol.Ptr("in_progress")}); err != nil {
		t.Fatal(err)
	}
	h.waitState(m, "w1", protocol.StateRunning)
	// The lead's message names the tasks the work watcher has seen.
	eventually(t, func() bool {
		snap, err := m.ownedTeam(h.team).ownSnapshot(ctxT(t), "w1")
		return err == nil && len(snap.mates) == 1 && len(snap.mates[0].working) == 1
	}, "the work watcher to see w1's task")
	h.ctl("w1", "print about to crash")
	h.ctl("w1", "exit 3")

	var ts protocol.TeammateStatus
	eventually(t, func() bool {
		ts = h.status(m, "w1")
		return ts.Restarts == 1 && ts.State == protocol.StateRunning
	}, "w1 restarted and running (last %+v)", &ts)
	if ts.PaneID == first.TmuxPaneID || !ts.Alive || ts.Failures != 1 || ts.Health != string(policy.HealthRunning) {
		t.Errorf("status after restart = %+v (first pane %s)", ts, first.TmuxPaneID)
	}
	mem := h.member("w1")
	if mem.TmuxPaneID != ts.PaneID || mem.AgentID != first.AgentID || mem.Color != first.Color ||
		mem.Cwd != first.Cwd || mem.BackendType != first.BackendType {
		t.Errorf("config member after restart = %+v, first %+v", mem, first)
	}
	out := h.waitOutput(m, "w1", "ready")
	for _, want := range []string{"PWD=" + h.dir, "CT_AGENT_ID=" + first.AgentID} {
		if !strings.Contains(out, want) {
			t.Errorf("restarted screen lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "about to crash") {
		t.Errorf("the new pane shows the old run's output:\n%s", out)
	}
	if left := h.agentPanes(); strings.Count(left, "w1@") != 1 || !strings.Contains(left, ts.PaneID+" ") {
		t.Errorf("panes after restart:\n%s", left)
	}

	var note *protocol.Message
	for _, msg := range h.inbox("w1") {
		if strings.Contains(msg.Text, "You were restarted") {
			note = &msg
		}
	}
	if note == nil {
		t.Fatalf("no restart note in the inbox: %+v", h.inbox("w1"))
	}
	for _, want := range []string{"exit status 3", "do w1", "#1 Write the parser (in_progress)"} {
		if !strings.Contains(note.Text, want) {
			t.Errorf("restart note lacks %q:\n%s", want, note.Text)
		}
	}

	var msgs []protocol.Message
	eventually(t, func() bool { msgs = h.leadMessages("w1"); return len(msgs) == 2 }, "crash and restart messages")
	if !strings.Contains(msgs[0].Summary, "w1 crashed (exit 3), restarting in") ||
		!strings.Contains(msgs[0].Text, "#1 Write the parser") || !strings.Contains(msgs[0].Text, "about to crash") {
		t.Errorf("crash message = %+v", msgs[0])
	}
	if msgs[1].Summary != "w1 restarted (restart 1)" {
		t.Errorf("restart message = %+v", msgs[1])
	}
	if ev := h.logs.FilterMessage("teammate restarting").FilterField(zap.String("agent", "w1")).All(); len(ev) != 1 ||
		ev[0].ContextMap()["backoff"] == nil {
		t.Errorf("restarting events = %v", ev)
	}
	// The state file carries the count for a later owner.
	st, err := statefile.LoadTeamState(h.store, h.team)
	if err != nil || st.Teammates["w1"].Restarts != 1 || len(st.Teammates["w1"].FailureTimes) != 1 {
		t.Errorf("state file = %+v, %v", st.Teammates["w1"], err)
	}
}

// TestAutoRestartCleanExit: status 0 is not restarted under on-failure (and
// the lead is not told), but is under always.
func TestAutoRestartCleanExit(t *testing.T) {
	h := newHarness(t)
	m := h.manager()
	h.spawnPolicy(m, "onfail", "on-failure", "print done", "exit 0")
	h.spawnPolicy(m, "always", "always", "print done", "wait")
	h.waitState(m, "always", protocol.StateRunning)
	h.ctl("always", "exit 0")

	ts := h.waitState(m, "onfail", protocol.StateExited)
	if ts.Restarts != 0 || ts.NextRestartAt != "" || h.launch.runCount("onfail") != 1 {
		t.Errorf("onfail = %+v, runs %d", ts, h.launch.runCount("onfail"))
	}
	eventually(t, func() bool { return h.status(m, "always").Restarts == 1 }, "always restarted")
	if n := h.launch.runCount("always"); n != 2 {
		t.Errorf("always launched %d times", n)
	}
	var msgs []protocol.Message
	eventually(t, func() bool { msgs = h.leadMessages("always"); return len(msgs) == 2 }, "exit and restart messages")
	if !strings.Contains(msgs[0].Summary, "always exited (exit 0), restarting in") {
		t.Errorf("exit message = %+v", msgs[0])
	}
	if n := len(h.leadMessages("onfail")); n != 0 {
		t.Errorf("%d messages for a clean exit under on-failure", n)
	}
	// A status round trip later, onfail is still down.
	if ts := h.status(m, "onfail"); ts.State != protocol.StateExited || h.launch.runCount("onfail") != 1 {
		t.Errorf("onfail later = %+v", ts)
	}
}

// TestAutoRestartCrashLoopFails: a teammate that crashes at every start is
// restarted until MaxFailures failed runs, then is failed: no restart is
// planned, nothing starts any more, the lead hears "failed" once, and the
// lead messages stay within the rate limit (burst, then one coalesced
// message with every held event when the supervisor stops). A manual
// restart revives it.
func TestAutoRestartCrashLoopFails(t *testing.T) {
	h := newHarness(t)
	m := h.manager(func(c *Config) {
		c.Restarts.MaxFailures = 3
		c.Notify = policy.NotifyConfig{Burst: 2, Every: time.Hour}
	})
	h.spawnPolicy(m, "w1", "on-failure", "print boom", "exit 2")
	ts := h.waitState(m, "w1", protocol.StateFailed)
	if ts.NextRestartAt != "" || ts.Failures != 3 || ts.Restarts != 2 || ts.Alive {
		t.Errorf("failed status = %+v", ts)
	}
	if n := h.launch.runCount("w1"); n != 3 {
		t.Errorf("launched %d times, want 3", n)
	}
	if ts := h.status(m, "w1"); ts.State != protocol.StateFailed || h.launch.runCount("w1") != 3 {
		t.Errorf("later = %+v, runs %d", ts, h.launch.runCount("w1"))
	}
	if n := h.logs.FilterMessage("teammate failed").FilterField(zap.String("agent", "w1")).Len(); n != 1 {
		t.Errorf("failed events = %d", n)
	}
	eventually(t, func() bool { return len(h.leadMessages("w1")) == 2 }, "the burst")
	_ = m.Close() // releases what the rate limit held back, in one message
	msgs := append(h.leadMessages("w1"), h.leadMessages(policy.DefaultNotifySummaryFrom)...)
	if len(msgs) != 3 {
		t.Fatalf("%d lead messages, want burst 2 + 1 coalesced: %+v", len(msgs), msgs)
	}
	// 5 events: crashed, restarted, crashed, restarted, failed.
	if !strings.HasPrefix(msgs[2].Summary, "3 updates: ") || strings.Count(msgs[2].Summary+msgs[0].Summary+msgs[1].Summary, "w1 failed") != 1 {
		t.Errorf("messages = %+v", msgs)
	}

	// The next owner finds it failed (state file) and leaves it down; a
	// manual restart revives it: it runs again, its failures start
	// afresh, and the lead, who asked for it, gets no message.
	m2 := h.manager()
	if ts := h.status(m2, "w1"); ts.State != protocol.StateFailed || ts.NextRestartAt != "" {
		t.Errorf("adopted failed teammate = %+v", ts)
	}
	h.launch.set("w1", []string{"print back", "wait"})
	// Through the status socket, as `claude-teams supervisor restart` does.
	c, _, err := statussock.DialTeam(ctxT(t), h.root, h.team, os.Getuid(), h.dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	st, err := c.Restart(ctxT(t), h.team, "w1", false)
	if err != nil {
		t.Fatal(err)
	}
	if st.Restarts != 3 || st.Failures != 0 || !st.Alive || st.PaneID == ts.PaneID {
		t.Errorf("after manual restart = %+v", st)
	}
	h.waitOutput(m2, "w1", "back")
	inbox := h.inbox("w1")
	if len(inbox) == 0 || !strings.Contains(inbox[len(inbox)-1].Text, "restarted by the team lead") {
		t.Errorf("inbox = %+v", inbox)
	}
	if n := len(h.leadMessages("w1")); n != len(msgs) {
		t.Errorf("%d messages from w1 after the manual restart, want still %d", n, len(msgs))
	}
}

// TestAutoRestartStaggered: teammates that crash together are restarted one
// after another, at least StartGap apart, in the order planned.
func TestAutoRestartStaggered(t *testing.T) {
	h := newHarness(t)
	const gap = 400 * time.Millisecond
	m := h.manager(func(c *Config) {
		c.Restarts.InitialBackoff = time.Second
		c.Restarts.Jitter = -1
		c.Restarts.StartGap = gap
	})
	names := []string{"a", "b", "c"}
	for _, n := range names {
		h.spawnPolicy(m, n, "on-failure", "print ready", "wait")
	}
	for _, n := range names {
		h.waitState(m, n, protocol.StateRunning)
	}
	for _, n := range names {
		h.ctl(n, "exit 1")
	}
	planned := map[string]time.Time{}
	eventually(t, func() bool {
		for _, n := range names {
			ts := h.status(m, n)
			at, err := protocol.ParseTimestamp(ts.NextRestartAt)
			if ts.State != protocol.StateRestarting || err != nil {
				return false
			}
			planned[n] = at
		}
		return true
	}, "all three restarting")
	order := slices.Clone(names)
	slices.SortFunc(order, func(a, b string) int { return planned[a].Compare(planned[b]) })
	for i := 1; i < len(order); i++ {
		if d := planned[order[i]].Sub(planned[order[i-1]]); d < gap-time.Millisecond {
			t.Errorf("restarts of %s and %s planned %s apart, want ≥ %s", order[i-1], order[i], d, gap)
		}
	}
	for _, n := range names {
		eventually(t, func() bool { return h.status(m, n).Restarts == 1 }, "%s restarted", n)
	}
	// Each started no earlier than planned (timers never fire early), so
	// in the planned order.
	started := map[string]time.Time{}
	for _, e := range h.logs.FilterMessage("teammate starting").All() {
		if e.ContextMap()["restarts"] == int64(1) {
			started[e.ContextMap()["agent"].(string)] = e.Time
		}
	}
	for i, n := range order {
		if started[n].Before(planned[n].Add(-time.Millisecond)) {
			t.Errorf("%s started at %s, before its plan %s", n, started[n], planned[n])
		}
		if i > 0 && started[n].Before(started[order[i-1]]) {
			t.Errorf("%s started before %s", n, order[i-1])
		}
	}
}

// TestStopCancelsRestart: a teammate stopped while it waits for its
// restart stays stopped.
func TestStopCancelsRestart(t *testing.T) {
	h := newHarness(t)
	m := h.manager(func(c *Config) { c.Restarts.InitialBackoff = time.Hour })
	h.spawnPolicy(m, "w1", "always", "print ready", "exit 1")
	ts := h.waitState(m, "w1", protocol.StateRestarting)
	if ts.NextRestartAt == "" {
		t.Errorf("restarting without a plan: %+v", ts)
	}
	if err := m.Stop(ctxT(t), h.team, "w1", "killed"); err != nil {
		t.Fatal(err)
	}
	if ts := h.status(m, "w1"); ts.State != protocol.StateStopped || ts.NextRestartAt != "" {
		t.Errorf("after stop = %+v", ts)
	}
	if left := h.agentPanes(); left != "" {
		t.Errorf("panes left:\n%s", left)
	}
}
