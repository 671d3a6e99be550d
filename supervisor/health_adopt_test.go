package supervisor

import (
	"strings"
	"testing"

	"github.com/f9449b24/claude-teams/protocol"
	"github.com/f9449b24/claude-teams/supervisor/statefile"
)

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
