package layout

import (
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestWhatThePersonSees renders the person's screen with a lead and four
// teammates: the person's client runs in a pane of an outer tmux server,
// whose capture-pane is exactly what a terminal would show (borders and
// titles included). Run with -v to see it (the README shows one).
func TestWhatThePersonSees(t *testing.T) {
	x := newWorld(t, 100, 44)
	l := x.layout()
	for i, n := range []string{"researcher", "coder", "tester", "reviewer"} {
		x.spawn(l, n, palette[i+2])
	}
	outer := x.socket + "o"
	run := func(args ...string) string {
		cmd := exec.Command("tmux", append([]string{"-S", outer, "-f", "/dev/null"}, args...)...)
		cmd.Env = x.env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("outer tmux %v: %v: %s", args, err, out)
		}
		return string(out)
	}
	t.Cleanup(func() { _ = exec.Command("tmux", "-S", outer, "kill-server").Run() })
	run("new-session", "-d", "-x", "100", "-y", "45", "-s", "o", "--",
		"tmux", "-S", x.socket, "-f", "/dev/null", "attach-session", "-t", "=person")
	run("set-option", "-g", "status", "off")
	var screen string
	for i := 0; i < 200; i++ {
		screen = run("capture-pane", "-p", "-t", "=o:")
		if strings.Contains(screen, "reviewer is up") && strings.Contains(screen, " reviewer ") {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, n := range []string{"researcher", "coder", "tester", "reviewer"} {
		if !strings.Contains(screen, " "+n+" ") || !strings.Contains(screen, n+" is up") {
			t.Errorf("%s's title or output not on the screen", n)
		}
	}
	t.Logf("the person's screen:\n%s", screen)
}
