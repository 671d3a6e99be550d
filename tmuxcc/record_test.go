package tmuxcc

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
)

// The recorder captures what a real tmux sends to a control client, as raw
// bytes, into testdata/tmuxcc/*.raw. It does not use Conn: it drives tmux
// by hand so the transcripts show tmux's own framing. Run it with
//
//	go test ./tmuxcc -run TestRecordTranscripts -record
//
// and review the diff of testdata/tmuxcc before committing.
var record = flag.Bool("record", false, "record real tmux transcripts into testdata/tmuxcc")

const transcriptDir = "../testdata/tmuxcc"

// rawClient is a hand-driven control client.
type rawClient struct {
	cmd    *exec.Cmd
	w      io.Writer
	closer []io.Closer
	mu     sync.Mutex
	buf    bytes.Buffer
	paused chan struct{} // non-nil while reading is held back
	done   chan struct{}
}

func startRawClient(t *testing.T, s *testServer, mode Mode, args ...string) *rawClient {
	t.Helper()
	cmd := exec.Command("tmux", append([]string{"-u", "-S", s.socket, "-f", "/dev/null", mode.String()}, args...)...)
	cmd.Env = s.env
	rc := &rawClient{cmd: cmd, done: make(chan struct{})}
	var r io.Reader
	if mode == ModeCC {
		attrs := clientProcAttr()
		attrs.Setsid, attrs.Setctty = true, true
		f, err := pty.StartWithAttrs(cmd, &pty.Winsize{Rows: 24, Cols: 80}, attrs)
		if err != nil {
			t.Fatal(err)
		}
		r, rc.w, rc.closer = f, f, []io.Closer{f}
	} else {
		in, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.SysProcAttr = clientProcAttr()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		r, rc.w, rc.closer = out, in, []io.Closer{in}
	}
	go func() {
		defer close(rc.done)
		b := make([]byte, 4096)
		for {
			rc.mu.Lock()
			p := rc.paused
			rc.mu.Unlock()
			if p != nil {
				<-p
			}
			n, err := r.Read(b)
			rc.mu.Lock()
			rc.buf.Write(b[:n])
			rc.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return rc
}

func (rc *rawClient) send(line string) { fmt.Fprintf(rc.w, "%s\n", line) }

func (rc *rawClient) waitFor(t *testing.T, s string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		rc.mu.Lock()
		ok := bytes.Contains(rc.buf.Bytes(), []byte(s))
		rc.mu.Unlock()
		if ok {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timeout waiting for %q", s)
}

func (rc *rawClient) bytes() []byte {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]byte(nil), rc.buf.Bytes()...)
}

func TestRecordTranscripts(t *testing.T) {
	if !*record {
		t.Skip("run with -record to capture transcripts from real tmux")
	}
	for _, m := range modes {
		name := map[Mode]string{ModeCC: "cc", ModeC: "c"}[m]
		t.Run("session-"+name, func(t *testing.T) { recordSession(t, m, "session."+name+".raw") })
		t.Run("serverkill-"+name, func(t *testing.T) { recordServerKill(t, m, "serverkill."+name+".raw") })
	}
	t.Run("echo-cc", func(t *testing.T) { recordEcho(t, "echo.cc.raw") })
}

func writeTranscript(t *testing.T, name string, data []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(transcriptDir, name), data, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d bytes)", name, len(data))
}

// recordSession drives one session through every notification 3.3a sends.
func recordSession(t *testing.T, m Mode, file string) {
	s := newTestServer(t)
	script := filepath.Join(s.dir, "out.sh")
	os.WriteFile(script, []byte(`printf '%%end 1 2 1\n\001\002\033[1mbold\033[0m \\ \377\376 caf\303'; sleep 0.2; printf '\251 done\n'; sleep 30`), 0o755)
	rc := startRawClient(t, s, m, "new-session", "-s", "main", "-x", "80", "-y", "24")
	rc.waitFor(t, "%session-changed")
	time.Sleep(300 * time.Millisecond)
	step := func(line string, wait time.Duration) {
		rc.send(line)
		time.Sleep(wait)
	}
	d := 150 * time.Millisecond
	step(`display-message -p 'hello é it'\''s'`, d)
	step(`list-panes -F '#{pane_id} %end'`, d)
	step(`display-message -p a ; select-window -t :99 ; display-message -p c`, d)
	step(`display-message -p 'unterminated`, d)
	step(`display-message -p a ; display-message -p }`, d)
	step(`new-window -d -n w1 -P -F '#{pane_id} #{window_id}'`, d)
	step(`rename-window -t :1 renamed`, d)
	step(`select-window -t :1`, d)
	step(`split-window -d -t :1`, d)
	step(`select-pane -t :1.1`, d)
	step(`copy-mode -t :1.0`, d)
	step(`send-keys -X -t :1.0 cancel`, d)
	step(`refresh-client -B 'sub:%*:#{pane_dead} #{window_name}'`, 1300*time.Millisecond)
	step(`new-session -d -s other -x 80 -y 24`, d)
	step(`new-window -d -t other:`, d)
	step(`rename-window -t other:0 oth`, d)
	step(`rename-session -t other other2`, d)
	step(`link-window -d -s main:1 -t other2:5`, d)
	step(`unlink-window -t other2:5`, d)
	step(`link-window -d -s other2:0 -t main:7`, d)
	step(`unlink-window -t main:7`, d)
	step(`kill-window -t other2:1`, d)
	step(`set-hook -g after-rename-window 'display-message -p hook-said-hi'`, d)
	step(`rename-window -t main:1 hooked`, d)
	step(`set-hook -gu after-rename-window`, d)
	step(`new-window -d -n out 'sh `+script+`'`, 600*time.Millisecond)
	step(`capture-pane -p -J -t :out`, d)
	step(`set-buffer -b big '`+strings.Repeat("0123456789", 7000)+`'`, d)
	step(`show-buffer -b big`, d)
	step(`delete-buffer -b big`, d)
	// A second client changes session and detaches.
	rc2 := startRawClient(t, s, ModeC, "attach-session", "-t", "main")
	rc2.waitFor(t, "%session-changed")
	rc2.send("switch-client -t other2")
	time.Sleep(d)
	rc2.closer[0].Close()
	<-rc2.done
	time.Sleep(d)
	// Flow control: with a person attached too, tmux queues a slow control
	// client's output; pause-after makes it drop the backlog with %pause.
	human := exec.Command("tmux", "-S", s.socket, "-f", "/dev/null", "attach-session", "-t", "main")
	human.Env = append(s.env, "TERM=xterm")
	hf, err := pty.StartWithSize(human, &pty.Winsize{Rows: 30, Cols: 100})
	if err != nil {
		t.Fatal(err)
	}
	go io.Copy(io.Discard, hf)
	defer func() { human.Process.Kill(); human.Wait(); hf.Close() }()
	time.Sleep(300 * time.Millisecond)
	step(`refresh-client -f pause-after=1`, d)
	step(`new-window -d -n flood 'yes flood'`, 0)
	rc.mu.Lock()
	hold := make(chan struct{})
	rc.paused = hold
	rc.mu.Unlock()
	time.Sleep(2500 * time.Millisecond)
	rc.mu.Lock()
	rc.paused = nil
	rc.mu.Unlock()
	close(hold)
	rc.waitFor(t, "%pause")
	time.Sleep(300 * time.Millisecond)
	out := rc.bytes()
	pane := string(bytes.Fields(out[bytes.Index(out, []byte("%pause "))+7:])[0])
	step(`refresh-client -A '`+pane+`:continue'`, 500*time.Millisecond)
	step(`kill-window -t :flood`, d)
	step(`kill-server`, 0)
	<-rc.done
	writeTranscript(t, file, trimFlood(rc.bytes()))
}

// trimFlood keeps the first and last few lines of the flood pane's output
// and drops the middle (megabytes of identical lines).
func trimFlood(data []byte) []byte {
	lines := bytes.SplitAfter(data, []byte("\n"))
	var out [][]byte
	var run [][]byte
	flush := func() {
		if len(run) > 8 {
			run = append(run[:4], run[len(run)-4:]...)
		}
		out = append(out, run...)
		run = nil
	}
	for _, l := range lines {
		if bytes.Contains(l, []byte("output ")) && bytes.Contains(l, []byte("flood\\015")) {
			run = append(run, l)
			continue
		}
		flush()
		out = append(out, l)
	}
	flush()
	return bytes.Join(out, nil)
}

// recordServerKill ends the server with SIGKILL under a client.
func recordServerKill(t *testing.T, m Mode, file string) {
	s := newTestServer(t)
	rc := startRawClient(t, s, m, "new-session", "-s", "main", "-x", "80", "-y", "24")
	rc.waitFor(t, "%session-changed")
	rc.send(`display-message -p '#{pid}'`)
	time.Sleep(200 * time.Millisecond)
	out, err := s.tmux("display-message", "-p", "#{pid}")
	if err != nil {
		t.Fatal(err)
	}
	var pid int
	fmt.Sscan(out, &pid)
	syscall.Kill(pid, syscall.SIGKILL)
	<-rc.done
	writeTranscript(t, file, rc.bytes())
}

// recordEcho writes a command before tmux has set up the terminal: the tty
// echoes it ahead of the DCS prefix.
func recordEcho(t *testing.T, file string) {
	s := newTestServer(t)
	rc := startRawClient(t, s, ModeCC, "new-session", "-s", "main", "-x", "80", "-y", "24")
	rc.send(`display-message -p early`)
	rc.waitFor(t, "%session-changed")
	time.Sleep(300 * time.Millisecond)
	rc.send(`kill-server`)
	<-rc.done
	writeTranscript(t, file, rc.bytes())
}
