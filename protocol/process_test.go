package protocol

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Lock tests across processes: the test binary re-executes itself in a
// helper mode (go-plugin's helperProcess pattern), selected by an
// environment variable that only this file sets.

const helperEnv = "PROTOCOL_TEST_HELPER"

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(runHelper(mode))
	}
	os.Exit(m.Run())
}

// helperArgs are passed to a helper as JSON in PROTOCOL_TEST_ARGS.
type helperArgs struct {
	Root   string `json:"root"`
	Team   string `json:"team"`
	To     string `json:"to"`
	From   string `json:"from"`
	Count  int    `json:"count"`
	Expect int    `json:"expect"` // reader: messages to collect
}

func runHelper(mode string) int {
	var a helperArgs
	if err := json.Unmarshal([]byte(os.Getenv("PROTOCOL_TEST_ARGS")), &a); err != nil {
		fmt.Fprintln(os.Stderr, "helper args:", err)
		return 2
	}
	s := NewStore(a.Root)
	out := bufio.NewWriter(os.Stdout)
	say := func(format string, args ...any) {
		fmt.Fprintf(out, format+"\n", args...)
		out.Flush()
	}
	fail := func(err error) int {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	switch mode {
	case "send", "send-report-busy": // send Count messages "<from>-<i>"
		if mode == "send-report-busy" {
			s.hook = func(st string) {
				if st == "lock-busy" {
					say("busy")
				}
			}
		}
		for i := range a.Count {
			if _, err := s.Send(a.Team, a.To, Message{From: a.From, Text: fmt.Sprintf("%s-%d", a.From, i)}); err != nil {
				return fail(err)
			}
		}
		say("done")
	case "send-on-go": // print ready, wait for a line on stdin, then send
		say("ready")
		if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
			return fail(err)
		}
		for i := range a.Count {
			if _, err := s.Send(a.Team, a.To, Message{From: a.From, Text: strconv.Itoa(i)}); err != nil {
				return fail(err)
			}
		}
		say("done")
	case "read": // mark read until Expect messages were seen; print each text
		deadline := time.Now().Add(2 * time.Minute)
		seen := 0
		for seen < a.Expect {
			if time.Now().After(deadline) {
				return fail(fmt.Errorf("reader saw %d of %d", seen, a.Expect))
			}
			res, err := s.ReadInbox(a.Team, a.To, ReadOptions{UnreadOnly: true, MarkRead: true})
			if err != nil {
				return fail(err)
			}
			for _, m := range res.Messages {
				say("got %s", m.Text)
			}
			seen += len(res.Messages)
			time.Sleep(time.Millisecond)
		}
		say("done")
	case "hang-locked", "hang-temp": // stop forever at a point of a Send
		stage := map[string]string{"hang-locked": "locked", "hang-temp": "temp-written"}[mode]
		s.hook = func(st string) {
			if st == stage {
				say("stopped at %s", st)
				select {}
			}
		}
		if _, err := s.Send(a.Team, a.To, Message{From: a.From, Text: "never"}); err != nil {
			return fail(err)
		}
	case "send-forever":
		for i := 0; ; i++ {
			if _, err := s.Send(a.Team, a.To, Message{From: a.From, Text: strconv.Itoa(i)}); err != nil {
				return fail(err)
			}
			if i == 0 {
				say("sending")
			}
		}
	default:
		if h, ok := moreHelpers[mode]; ok {
			return h(s, a, say, fail)
		}
		return fail(fmt.Errorf("unknown helper mode %q", mode))
	}
	return 0
}

// helper is one running helper process.
type helper struct {
	cmd   *exec.Cmd
	lines chan string
	stdin io.WriteCloser
}

func startHelper(t testing.TB, mode string, a helperArgs) *helper {
	t.Helper()
	args, _ := json.Marshal(a)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+mode, "PROTOCOL_TEST_ARGS="+string(args))
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h := &helper{cmd: cmd, lines: make(chan string, 1024), stdin: stdin}
	go func() {
		defer close(h.lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			h.lines <- sc.Text()
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return h
}

// expect waits for a line starting with prefix and returns it.
func (h *helper) expect(t testing.TB, prefix string) string {
	t.Helper()
	timeout := time.After(2 * time.Minute)
	for {
		select {
		case line, ok := <-h.lines:
			if !ok {
				t.Fatalf("helper exited before printing %q", prefix)
			}
			if strings.HasPrefix(line, prefix) {
				return line
			}
		case <-timeout:
			t.Fatalf("timed out waiting for %q from helper", prefix)
		}
	}
}

// wait waits for the helper to exit successfully, collecting its output.
func (h *helper) wait(t testing.TB) []string {
	t.Helper()
	var out []string
	for line := range h.lines {
		out = append(out, line)
	}
	if err := h.cmd.Wait(); err != nil {
		t.Fatalf("helper failed: %v", err)
	}
	return out
}

func TestProcessesWritersAndReaderLoseNothing(t *testing.T) {
	const writers, each = 4, 40
	s := newTeam(t, "w1")
	reader := startHelper(t, "read", helperArgs{Root: s.Root(), Team: "t1", To: "w1", Expect: writers * each})
	var ws []*helper
	for i := range writers {
		ws = append(ws, startHelper(t, "send", helperArgs{Root: s.Root(), Team: "t1", To: "w1", From: fmt.Sprintf("p%d", i), Count: each}))
	}
	for _, w := range ws {
		w.wait(t)
	}
	got := map[string]int{}
	for _, line := range reader.wait(t) {
		if text, ok := strings.CutPrefix(line, "got "); ok {
			got[text]++
		}
	}
	res, err := s.ReadInbox("t1", "w1", ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	inHistory := map[string]int{}
	for _, m := range res.Messages {
		inHistory[m.Text]++
	}
	for i := range writers {
		for j := range each {
			text := fmt.Sprintf("p%d-%d", i, j)
			if got[text] != 1 || inHistory[text] != 1 {
				t.Errorf("%s: reader saw it %d times, history has it %d times; want 1 and 1", text, got[text], inHistory[text])
			}
		}
	}
	if len(res.Messages) != writers*each {
		t.Errorf("history has %d messages, want %d", len(res.Messages), writers*each)
	}
	if locks := lockDirs(t, s.Root()); len(locks) != 0 {
		t.Errorf("locks left: %v", locks)
	}
}

func TestProcessWaitsForHeldLock(t *testing.T) {
	s := newTeam(t, "w1")
	lock := LockPath(s.InboxPath("t1", "w1"))
	if err := os.Mkdir(lock, 0o700); err != nil { // "someone else" holds it
		t.Fatal(err)
	}
	h := startHelper(t, "send-report-busy", helperArgs{Root: s.Root(), Team: "t1", To: "w1", From: "p", Count: 1})
	h.expect(t, "busy") // it found the lock held
	for range 5 {       // keep it fresh, as a live holder does
		time.Sleep(100 * time.Millisecond)
		now := time.Now()
		_ = os.Chtimes(lock, now, now)
	}
	if n, _, _ := s.Unread("t1", "w1"); n != 0 {
		t.Fatal("helper wrote while the lock was held")
	}
	if err := os.Remove(lock); err != nil {
		t.Fatal(err)
	}
	h.wait(t)
	if n, _, _ := s.Unread("t1", "w1"); n != 1 {
		t.Errorf("unread = %d after the lock was released", n)
	}
}

func TestProcessBreaksStaleLock(t *testing.T) {
	s := newTeam(t, "w1")
	lock := LockPath(s.InboxPath("t1", "w1"))
	if err := os.Mkdir(lock, 0o700); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-LockStaleAfter - 2*time.Second)
	if err := os.Chtimes(lock, old, old); err != nil {
		t.Fatal(err)
	}
	startHelper(t, "send", helperArgs{Root: s.Root(), Team: "t1", To: "w1", From: "p", Count: 1}).wait(t)
	if n, _, _ := s.Unread("t1", "w1"); n != 1 {
		t.Errorf("unread = %d", n)
	}
}

// TestProcessKilledMidWrite kills a writer with SIGKILL while it holds the
// inbox lock (before and after writing its temp file, and at a random
// point of a send loop): the inbox stays whole, and the dead writer's lock
// becomes stale and is broken.
func TestProcessKilledMidWrite(t *testing.T) {
	for _, mode := range []string{"hang-locked", "hang-temp", "send-forever"} {
		t.Run(mode, func(t *testing.T) {
			s := newTeam(t, "w1")
			if _, err := s.Send("t1", "w1", Message{From: LeadName, Text: "before"}); err != nil {
				t.Fatal(err)
			}
			h := startHelper(t, mode, helperArgs{Root: s.Root(), Team: "t1", To: "w1", From: "p"})
			if mode == "send-forever" {
				h.expect(t, "sending")
				time.Sleep(20 * time.Millisecond)
			} else {
				h.expect(t, "stopped at")
			}
			if err := h.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			_ = h.cmd.Wait()

			res, err := s.ReadInbox("t1", "w1", ReadOptions{UnreadOnly: true})
			if err != nil || res.Corrupt != "" || len(res.Messages) == 0 || res.Messages[0].Text != "before" {
				t.Fatalf("inbox after kill: %+v, %v", res, err)
			}
			if mode != "send-forever" {
				if _, err := os.Stat(LockPath(s.InboxPath("t1", "w1"))); err != nil {
					t.Fatalf("the dead writer's lock should still be there: %v", err)
				}
			}
			// Nobody refreshes the dead writer's lock: with a short stale
			// limit the next writer breaks it.
			s2 := NewStore(s.Root())
			s2.staleAfter = 500 * time.Millisecond
			if _, err := s2.Send("t1", "w1", Message{From: LeadName, Text: "after"}); err != nil {
				t.Fatal(err)
			}
			res, err = s.ReadInbox("t1", "w1", ReadOptions{UnreadOnly: true})
			if err != nil || res.Messages[len(res.Messages)-1].Text != "after" {
				t.Fatalf("inbox = %+v, %v", res, err)
			}
			for _, m := range res.Messages {
				if m.Text == "never" {
					t.Error("the killed writer's message was written")
				}
			}
			leftovers, _ := filepath.Glob(filepath.Join(s.InboxDir("t1"), ".w1.json.tmp-*"))
			if len(leftovers) != 0 {
				t.Errorf("temp files left: %v", leftovers)
			}
			if locks := lockDirs(t, s.Root()); len(locks) != 0 {
				t.Errorf("locks left: %v", locks)
			}
		})
	}
}
