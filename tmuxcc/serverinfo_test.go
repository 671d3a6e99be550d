package tmuxcc

import (
	"strconv"
	"strings"
	"testing"
)

// TestServerInfo: Dial asks the server its pid and socket path once, and
// the Conn reports them (the supervisor does not ask again).
func TestServerInfo(t *testing.T) {
	s := newTestServer(t)
	c := s.dial(ModeC)
	out, err := s.tmux("display-message", "-p", "#{pid} #{socket_path}")
	if err != nil {
		t.Fatal(err)
	}
	pid, path, _ := strings.Cut(strings.TrimSpace(out), " ")
	if got := strconv.Itoa(c.ServerPID()); got != pid {
		t.Errorf("ServerPID = %s, want %s", got, pid)
	}
	if got := c.ServerSocket(); got != path || got != s.socket {
		t.Errorf("ServerSocket = %q, want %q (%q)", got, path, s.socket)
	}
}
