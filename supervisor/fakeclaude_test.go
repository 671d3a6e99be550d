package supervisor

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/f9449b24/claude-teams/backends"
	"github.com/f9449b24/claude-teams/protocol"
	"github.com/f9449b24/claude-teams/supervisor/statefile"
)

// fakeClaude stands in for Claude Code's conversation handling (PROTOCOL.md
// §10) when the real claude backend launches the test binary: it appends
// its argv to DIR/argv-<agent name> (one JSON array a line), then, as
// claude does, refuses --resume without a transcript holding a turn ("No
// conversation found", exit 1) and --session-id of an existing transcript
// ("already in use", exit 1). What each run does next is line N of
// DIR/plan-<agent name> (default "turn"):
//
//	turn         write a turn into the transcript, print "ready" and
//	             claude's input box (its ready screen), wait
//	crash        exit 1 before the first turn (no transcript)
//	fail-resume  exit 1 at once when resumed, else as turn
func fakeClaude(args []string, dir string) int {
	flag := func(name string) string {
		if i := slices.Index(args, name); i >= 0 && i+1 < len(args) {
			return args[i+1]
		}
		return ""
	}
	name, sid, rid := flag("--agent-name"), flag("--session-id"), flag("--resume")
	line, _ := json.Marshal(args)
	f, err := os.OpenFile(filepath.Join(dir, "argv-"+name), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		fmt.Println(err)
		return 2
	}
	_, _ = f.Write(append(line, '\n'))
	f.Close()
	runs := len(fakeClaudeRuns(dir, name))
	mode := "turn"
	if plan, err := os.ReadFile(filepath.Join(dir, "plan-"+name)); err == nil {
		if lines := strings.Fields(string(plan)); runs <= len(lines) {
			mode = lines[runs-1]
		}
	}
	cwd, _ := os.Getwd()
	id := cmp.Or(rid, sid)
	transcript := backends.ClaudeTranscript(os.Getenv("CLAUDE_CONFIG_DIR"), cwd, id)
	old, _ := os.ReadFile(transcript)
	switch {
	case rid != "" && !bytes.Contains(old, []byte(`"type":"user"`)):
		fmt.Printf("No conversation found with session ID: %s\n", rid)
		return 1
	case sid != "" && old != nil:
		fmt.Printf("Error: Session ID %s is already in use.\n", sid)
		return 1
	case mode == "crash":
		fmt.Println("crashing before the first turn")
		return 1
	case mode == "fail-resume" && rid != "":
		fmt.Println("resumed, and failing at once")
		return 1
	}
	if err := os.MkdirAll(filepath.Dir(transcript), 0o700); err != nil {
		fmt.Println(err)
		return 2
	}
	turn := fmt.Sprintf(`{"type":"user","sessionId":%q,"message":{"role":"user","content":"turn of run %d"}}`+"\n", id, runs)
	if err := os.WriteFile(transcript, append(old, turn...), 0o600); err != nil {
		fmt.Println(err)
		return 2
	}
	fmt.Print("ready\n" + strings.Repeat("─", 40) + "\n❯ \n")
	for {
		time.Sleep(time.Hour)
	}
}

// fakeClaudeRuns returns the argv of every run of name's fake claude.
func fakeClaudeRuns(dir, name string) [][]string {
	f, err := os.Open(filepath.Join(dir, "argv-"+name))
	if err != nil {
		return nil
	}
	defer f.Close()
	var runs [][]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var args []string
		if json.Unmarshal(sc.Bytes(), &args) == nil {
			runs = append(runs, args)
		}
	}
	return runs
}

// fakeClaudeBackends is the real backends configuration with the test
// binary as claude and root as CLAUDE_CONFIG_DIR.
func fakeClaudeBackends(root string) backends.Config {
	self, _ := os.Executable()
	return backends.Config{
		Self:     self,
		LookPath: func(string) (string, error) { return self, nil },
		Environ:  []string{"CLAUDE_CONFIG_DIR=" + root},
	}
}

// claudeWorld makes h's panes run the fake claude (recording into a
// directory of its own) and returns that directory.
func (h *harness) claudeWorld() string {
	h.t.Helper()
	dir := filepath.Join(h.dir, "claude")
	if err := os.Mkdir(dir, 0o700); err != nil {
		h.t.Fatal(err)
	}
	h.env = append(h.env, "CT_FAKE_CLAUDE="+dir)
	return dir
}

// plan sets what name's fake claude does on each run.
func plan(t testing.TB, dir, name string, modes ...string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "plan-"+name), []byte(strings.Join(modes, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

// argFlag returns the value after flag in args ("" when absent).
func argFlag(args []string, flag string) string {
	if i := slices.Index(args, flag); i >= 0 && i+1 < len(args) {
		return args[i+1]
	}
	return ""
}

// spawnClaude starts teammate name with the claude backend.
func (h *harness) spawnClaude(m *Manager, name string, policy protocol.RestartPolicy) protocol.Member {
	h.t.Helper()
	mem, err := m.Spawn(ctxT(h.t), h.team, protocol.Member{Name: name, Prompt: "do " + name, Cwd: h.dir, BackendType: backends.Claude}, policy)
	if err != nil {
		h.t.Fatalf("spawn %s: %v", name, err)
	}
	return mem
}

// waitRun waits until name's fake claude has run n times, its newest run
// is alive and printed "ready", and returns the newest run's status.
func (h *harness) waitRun(m *Manager, dir, name string, n int) protocol.TeammateStatus {
	h.t.Helper()
	var ts protocol.TeammateStatus
	eventually(h.t, func() bool {
		ts = h.status(m, name)
		return len(fakeClaudeRuns(dir, name)) == n && ts.Alive && ts.Restarts == n-1
	}, "run %d of %s to be alive (last %+v)", n, name, &ts)
	h.waitOutput(m, name, "ready")
	return ts
}

// savedState returns name's entry of the state file.
func (h *harness) savedState(name string) statefile.TeammateState {
	h.t.Helper()
	st, err := statefile.LoadTeamState(h.store, h.team)
	if err != nil {
		h.t.Fatal(err)
	}
	return st.Teammates[name]
}

// restartNotes returns the restart notes in name's inbox, oldest first.
func (h *harness) restartNotes(name string) []string {
	h.t.Helper()
	var notes []string
	for _, msg := range h.inbox(name) {
		if strings.HasPrefix(msg.Text, "You were restarted") {
			notes = append(notes, msg.Text)
		}
	}
	return notes
}

func kill(t testing.TB, pid int) {
	t.Helper()
	if pid <= 0 {
		t.Fatalf("no pid to kill")
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
}
