package protocol

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The lock race of issue 9: many processes find one stale lock at once
// and break it together. Exactly one may win; every task and message
// acknowledged to a caller must be on disk exactly once, and nothing
// refused may be.

// moreHelpers are helper modes defined outside process_test.go.
var moreHelpers = map[string]func(s *Store, a helperArgs, say func(string, ...any), fail func(error) int) int{
	"race": raceHelper,
}

// raceHelper prints "ready", waits for a line on stdin, then creates
// Count tasks and sends Count messages to a.To, printing for each
// "ok task <subject> <id>", "ok msg <text>" or "refused <kind> <what>".
func raceHelper(s *Store, a helperArgs, say func(string, ...any), fail func(error) int) int {
	// Widen the window between finding the lock stale and acting on
	// it, where two breakers interleave.
	s.hook = func(stage string) {
		if stage == "lock-stale" {
			time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond)
		}
	}
	say("ready")
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		return fail(err)
	}
	for i := range a.Count {
		subject := fmt.Sprintf("%s-task-%d", a.From, i)
		if task, err := s.CreateTask(a.Team, TaskInput{Subject: subject}); err != nil {
			say("refused task %s %v", subject, err)
		} else {
			say("ok task %s %s", subject, task.ID)
		}
		text := fmt.Sprintf("%s-msg-%d", a.From, i)
		if _, err := s.Send(a.Team, a.To, Message{From: a.From, Text: text}); err != nil {
			say("refused msg %s %v", text, err)
		} else {
			say("ok msg %s", text)
		}
	}
	say("done")
	return 0
}

// plantStale makes the lock directory of file, as a dead holder would
// leave it: present, empty, its mtime past the stale limit.
func plantStale(t testing.TB, file string) {
	t.Helper()
	lock := LockPath(file)
	if err := os.Mkdir(lock, 0o700); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-LockStaleAfter - time.Minute)
	if err := os.Chtimes(lock, old, old); err != nil {
		t.Fatal(err)
	}
}

// raceRounds is the number of rounds of TestLockRaceManyBreakers:
// LOCKRACE_ROUNDS when set (for the figures), else 8.
func raceRounds(t testing.TB) int {
	if v := os.Getenv("LOCKRACE_ROUNDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("LOCKRACE_ROUNDS=%q: want a positive number", v)
		}
		return n
	}
	return 8
}

func TestLockRaceManyBreakers(t *testing.T) {
	const procs, each = 8, 3
	rounds := raceRounds(t)
	var ops, acked, found, refused int
	for round := range rounds {
		s := newTeam(t)
		plantStale(t, s.listLockFile("t1"))
		plantStale(t, s.InboxPath("t1", LeadName))
		hs := make([]*helper, procs)
		for p := range hs {
			hs[p] = startHelper(t, "race", helperArgs{Root: s.Root(), Team: "t1", To: LeadName, From: fmt.Sprintf("r%dp%d", round, p), Count: each})
		}
		for _, h := range hs {
			h.expect(t, "ready")
		}
		for _, h := range hs {
			fmt.Fprintln(h.stdin, "go")
		}
		okTask := map[string]string{} // subject -> acknowledged id
		okMsg := map[string]bool{}
		refusedWhat := map[string]bool{}
		for _, h := range hs {
			for _, line := range h.wait(t) {
				f := strings.Fields(line)
				switch {
				case len(f) >= 4 && f[0] == "ok" && f[1] == "task":
					okTask[f[2]] = f[3]
				case len(f) >= 3 && f[0] == "ok" && f[1] == "msg":
					okMsg[f[2]] = true
				case len(f) >= 3 && f[0] == "refused":
					refusedWhat[f[2]] = true
					t.Logf("round %d: %s", round, line)
				}
			}
		}
		ops += procs * each * 2
		acked += len(okTask) + len(okMsg)
		refused += len(refusedWhat)

		tasks, err := s.ListTasks("t1")
		if err != nil {
			t.Fatal(err)
		}
		onDisk := map[string][]string{} // subject -> ids holding it
		for _, x := range tasks {
			onDisk[x.Subject] = append(onDisk[x.Subject], x.ID)
		}
		for subject, id := range okTask {
			if got := onDisk[subject]; len(got) != 1 || got[0] != id {
				t.Errorf("round %d: task %q acknowledged as id %s, on disk as %v", round, subject, id, got)
			} else {
				found++
			}
		}
		res, err := s.ReadInbox("t1", LeadName, ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		inInbox := map[string]int{}
		for _, m := range res.Messages {
			inInbox[m.Text]++
		}
		for text := range okMsg {
			if n := inInbox[text]; n != 1 {
				t.Errorf("round %d: message %q acknowledged, in the inbox %d times", round, text, n)
			} else {
				found++
			}
		}
		for what := range refusedWhat {
			if len(onDisk[what]) != 0 || inInbox[what] != 0 {
				t.Errorf("round %d: %q was refused but written", round, what)
			}
		}
		if locks := lockDirs(t, s.Root()); len(locks) != 0 {
			t.Errorf("round %d: locks left: %v", round, locks)
		}
		temps, _ := filepath.Glob(filepath.Join(s.TasksDir("t1"), ".*.tmp-*"))
		inboxTemps, _ := filepath.Glob(filepath.Join(s.InboxDir("t1"), ".*.tmp-*"))
		if left := append(temps, inboxTemps...); len(left) != 0 {
			t.Errorf("round %d: temp files left: %v", round, left)
		}
		if t.Failed() {
			break
		}
	}
	t.Logf("lock race: %d rounds, %d processes, %d operations: %d acknowledged, %d found exactly once, %d refused",
		rounds, procs, ops, acked, found, refused)
}
