package supervisor

import (
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/f9449b24/claude-teams/protocol"
)

// TestExitClassification: a crash (status or signal) is crashed, reported
// once to the lead with the facts and last lines, and logged; a clean exit
// is exited and not reported; a deliberate stop is stopped, never a crash.
func TestExitClassification(t *testing.T) {
	h := newHarness(t)
	m := h.manager()
	h.spawn(m, "crash3", "print starting work", "print something broke", "wait")
	h.spawn(m, "sigkill", "print about to die", "wait")
	h.spawn(m, "clean", "print all done", "wait")
	h.spawn(m, "victim", "print working", "wait")
	for _, n := range []string{"crash3", "sigkill", "clean", "victim"} {
		h.waitState(m, n, protocol.StateRunning)
	}
	h.ctl("crash3", "exit 3")
	h.ctl("sigkill", "signal SIGKILL")
	h.ctl("clean", "exit 0")
	if err := m.Stop(ctxT(t), h.team, "victim", "killed"); err != nil {
		t.Fatal(err)
	}

	ts := h.waitState(m, "crash3", protocol.StateCrashed)
	if ts.ExitStatus == nil || *ts.ExitStatus != 3 || ts.Signal != "" || ts.Alive {
		t.Errorf("crash3 status = %+v", ts)
	}
	ts = h.waitState(m, "sigkill", protocol.StateCrashed)
	if ts.ExitStatus != nil || ts.Signal != "SIGKILL" {
		t.Errorf("sigkill status = %+v", ts)
	}
	ts = h.waitState(m, "clean", protocol.StateExited)
	if ts.ExitStatus == nil || *ts.ExitStatus != 0 {
		t.Errorf("clean status = %+v", ts)
	}
	h.waitState(m, "victim", protocol.StateStopped) // already stopped when Stop returned

	var msgs []string
	eventually(t, func() bool {
		return len(h.leadMessages("crash3")) == 1 && len(h.leadMessages("sigkill")) == 1
	}, "crash notifications")
	c := h.leadMessages("crash3")[0]
	if !strings.Contains(c.Summary, "crash3 crashed (exit 3)") || !strings.Contains(c.Text, "exit status: 3") ||
		!strings.Contains(c.Text, "something broke") || c.Color == "" {
		t.Errorf("crash3 message = %+v", c)
	}
	s := h.leadMessages("sigkill")[0]
	if !strings.Contains(s.Text, "signal: SIGKILL") || !strings.Contains(s.Text, "about to die") ||
		strings.Contains(s.Text, deadNotice) {
		t.Errorf("sigkill message = %+v", s)
	}
	if n := len(h.leadMessages("clean")) + len(h.leadMessages("victim")); n != 0 {
		t.Errorf("%d messages for a clean exit or a deliberate stop", n)
	}
	for _, m := range h.leadMessages("crash3") {
		msgs = append(msgs, m.Text)
	}
	if strings.Contains(strings.Join(msgs, ""), "\x1b") {
		t.Error("escape sequences in a lead message")
	}

	// One log event per state change, with the facts in fields.
	crashes := h.logs.FilterMessage("teammate crashed").FilterField(zap.String("agent", "crash3")).All()
	if len(crashes) != 1 {
		t.Fatalf("crash3 crash events = %d", len(crashes))
	}
	f := crashes[0].ContextMap()
	if f["team"] != "alpha" || f["exit_status"] != int64(3) || f["pane"] == "" || f["pid"] == int64(0) {
		t.Errorf("crash event fields = %v", f)
	}
	sig := h.logs.FilterMessage("teammate crashed").FilterField(zap.String("agent", "sigkill")).All()
	if len(sig) != 1 || sig[0].ContextMap()["signal"] != "SIGKILL" {
		t.Errorf("sigkill crash events = %v", sig)
	}
	if n := h.logs.FilterMessage("teammate crashed").FilterField(zap.String("agent", "victim")).Len(); n != 0 {
		t.Errorf("deliberate stop logged as crash %d times", n)
	}
	if n := h.logs.FilterMessage("teammate stopped").FilterField(zap.String("agent", "victim")).Len(); n != 1 {
		t.Errorf("stopped events for victim = %d", n)
	}
}

// TestCaptureBeforeAndAfterDeath: the rendered screen is readable while the
// pane lives and still available, with the last words, once it died.
func TestCaptureBeforeAndAfterDeath(t *testing.T) {
	h := newHarness(t)
	m := h.manager()
	h.spawn(m, "w1", "print \x1b[31mred\x1b[0m line", "print second line", "wait")
	out := h.waitOutput(m, "w1", "second line")
	if strings.Contains(out, "\x1b") || !strings.Contains(out, "red line") {
		t.Fatalf("live capture = %q", out)
	}
	if strings.HasSuffix(out, "\n") || strings.HasSuffix(out, " ") {
		t.Errorf("trailing blanks not trimmed: %q", out)
	}
	if got, _ := m.Capture(ctxT(t), h.team, "w1", 1); got != "second line" {
		t.Errorf("capture of 1 line = %q", got)
	}
	h.ctl("w1", "print last words")
	h.ctl("w1", "exit 1")
	h.waitState(m, "w1", protocol.StateCrashed)
	after, err := m.Capture(ctxT(t), h.team, "w1", 20)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(after, "last words") || !strings.Contains(after, "red line") {
		t.Fatalf("capture after death = %q", after)
	}
	// After the pane is removed on purpose the saved screen remains.
	if err := m.Stop(ctxT(t), h.team, "w1", "killed"); err != nil {
		t.Fatal(err)
	}
	after, err = m.Capture(ctxT(t), h.team, "w1", 20)
	if err != nil || !strings.Contains(after, "last words") {
		t.Fatalf("capture after stop = %q, %v", after, err)
	}
}
