package supervisor

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/f9449b24/claude-teams/supervisor/statussock"
)

// TestSocketFallbackReachesOwnerAndLead: the usual socket directory was made
// first by another uid (mode 0777). The owner (another process) listens at
// the fallback and tells the lead; a second process forwards to it there at
// once instead of failing after DialTimeout with "no supervisor". (The
// attack with real second users is statussock's TestSocketTakeoverByAnotherUser.)
func TestSocketFallbackReachesOwnerAndLead(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to make a directory owned by another uid")
	}
	h := newHarness(t)
	usual := filepath.Dir(statussock.SocketPath(h.root, h.team, os.Getuid(), h.dir))
	if err := os.Mkdir(usual, 0o777); err != nil {
		t.Fatal(err)
	}
	os.Chmod(usual, 0o777)
	if err := os.Chown(usual, 54321, 54321); err != nil {
		t.Fatal(err)
	}
	helper := h.startHelper(map[string][]string{"w1": {"print hello from w1", "wait"}}, "")
	if l := helper.expect(t, "owner="); l != "owner=true" {
		t.Fatalf("helper: %s", l)
	}
	helper.expect(t, "ready")

	m := h.manager(func(c *Config) { c.DialTimeout = time.Minute })
	start := time.Now()
	st, err := m.Status(ctxT(t), h.team)
	took := time.Since(start)
	if err != nil || !st.Supervised || st.SupervisorPID != helper.cmd.Process.Pid {
		t.Fatalf("forwarded status = %+v, %v", st, err)
	}
	t.Logf("forwarded status through the fallback in %v", took)
	if m.ownedTeam(h.team) != nil {
		t.Fatal("the forwarding process became an owner")
	}
	fb, _ := statussock.FallbackSocketPath(h.root, h.team)
	var msgs []string
	eventually(t, func() bool {
		msgs = nil
		for _, msg := range h.leadMessages(socketNoteFrom) {
			msgs = append(msgs, msg.Text)
		}
		return len(msgs) > 0
	}, "the lead to be told about the fallback")
	if len(msgs) != 1 || !strings.Contains(msgs[0], usual) || !strings.Contains(msgs[0], fb) ||
		!strings.Contains(msgs[0], "owned by uid 54321") {
		t.Errorf("lead messages = %q, want one naming %s, uid 54321 and %s", msgs, usual, fb)
	}
}
