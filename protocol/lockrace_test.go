package protocol

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The lock race of issue 9: many processes find one stale lock at once
// and break it together. Exactly one may win; every task and message
// acknowledged to a caller must be on disk exactly once, and nothing
// refused may be.

// staleEnv, when set, is the race helpers' stale limit in milliseconds.
const staleEnv = "PROTOCOL_TEST_STALE_MS"

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
	if ms, err := strconv.Atoi(os.Getenv(staleEnv)); err == nil {
		s.staleAfter = time.Duration(ms) * time.Millisecond
		s.refresh = s.staleAfter / 5
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

// raceTally is what the processes of one race round said and did.
type raceTally struct {
	ops, acked, found, refused int
}

func (a *raceTally) add(b raceTally) {
	a.ops += b.ops
	a.acked += b.acked
	a.found += b.found
	a.refused += b.refused
}

// raceRound runs one round: procs helpers on a fresh team with stale
// task-list and inbox locks, all released at once; kill of them are
// SIGKILLed at random points. It checks that every acknowledged task
// and message is on disk exactly once, no refused one is, and nothing
// is on disk twice.
func raceRound(t *testing.T, round, procs, each, kill int) raceTally {
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
	for _, p := range rand.Perm(procs)[:kill] {
		time.Sleep(time.Duration(rand.IntN(20)) * time.Millisecond)
		_ = hs[p].cmd.Process.Signal(syscall.SIGKILL)
	}
	okTask := map[string]string{} // subject -> acknowledged id
	okMsg := map[string]bool{}
	refusedWhat := map[string]bool{}
	for _, h := range hs {
		for line := range h.lines {
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
		if err := h.cmd.Wait(); err != nil && kill == 0 {
			t.Fatalf("helper failed: %v", err)
		}
	}
	tally := raceTally{ops: procs * each * 2, acked: len(okTask) + len(okMsg), refused: len(refusedWhat)}

	tasks, err := s.ListTasks("t1")
	if err != nil {
		t.Fatal(err)
	}
	onDisk := map[string][]string{} // subject -> ids holding it
	for _, x := range tasks {
		onDisk[x.Subject] = append(onDisk[x.Subject], x.ID)
	}
	for subject, ids := range onDisk {
		if len(ids) > 1 {
			t.Errorf("round %d: task %q on disk %d times (%v)", round, subject, len(ids), ids)
		}
	}
	for subject, id := range okTask {
		if got := onDisk[subject]; len(got) != 1 || got[0] != id {
			t.Errorf("round %d: task %q acknowledged as id %s, on disk as %v", round, subject, id, got)
		} else {
			tally.found++
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
	for text, n := range inInbox {
		if n > 1 {
			t.Errorf("round %d: message %q in the inbox %d times", round, text, n)
		}
	}
	for text := range okMsg {
		if inInbox[text] == 1 {
			tally.found++
		} else {
			t.Errorf("round %d: message %q acknowledged, in the inbox %d times", round, text, inInbox[text])
		}
	}
	for what := range refusedWhat {
		if len(onDisk[what]) != 0 || inInbox[what] != 0 {
			t.Errorf("round %d: %q was refused but written", round, what)
		}
	}
	if kill > 0 {
		return tally // the killed processes' locks and temp files stay behind
	}
	if locks := lockDirs(t, s.Root()); len(locks) != 0 {
		t.Errorf("round %d: locks left: %v", round, locks)
	}
	temps, _ := filepath.Glob(filepath.Join(s.TasksDir("t1"), ".*.tmp-*"))
	inboxTemps, _ := filepath.Glob(filepath.Join(s.InboxDir("t1"), ".*.tmp-*"))
	if left := append(temps, inboxTemps...); len(left) != 0 {
		t.Errorf("round %d: temp files left: %v", round, left)
	}
	return tally
}

func TestLockRaceManyBreakers(t *testing.T) {
	const procs, each = 8, 3
	rounds := raceRounds(t)
	var sum raceTally
	for round := range rounds {
		sum.add(raceRound(t, round, procs, each, 0))
		if t.Failed() {
			break
		}
	}
	t.Logf("lock race: %d rounds, %d processes, %d operations: %d acknowledged, %d found exactly once, %d refused",
		rounds, procs, sum.ops, sum.acked, sum.found, sum.refused)
}

// TestLockRaceWithKills is the race with SIGKILLs during the writes: the
// dead processes' locks go stale (after 1 s here) and are broken by the
// living while they race each other for them.
func TestLockRaceWithKills(t *testing.T) {
	const procs, each, kill = 8, 4, 3
	t.Setenv(staleEnv, "1000")
	rounds := max(raceRounds(t)/2, 2)
	var sum raceTally
	for round := range rounds {
		sum.add(raceRound(t, round, procs, each, kill))
		if t.Failed() {
			break
		}
	}
	t.Logf("lock race with kills: %d rounds, %d processes (%d killed per round), %d operations: %d acknowledged, %d found exactly once, %d refused",
		rounds, procs, kill, sum.ops, sum.acked, sum.found, sum.refused)
}
