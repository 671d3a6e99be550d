package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/f9449b24/claude-teams/protocol"
)

func TestRunHelp(t *testing.T) {
	cfg := Config{DataRoot: t.TempDir(), TmuxSocket: "claude-teams"}
	out, errOut, err := runSup(t, cfg, "run", "--help")
	if err != nil || errOut != "" {
		t.Fatalf("err=%v stderr=%q", err, errOut)
	}
	golden(t, "supervisor-run-help.golden", []byte(out))
	if _, errOut, err := runSup(t, cfg, "run"); err == nil || !strings.Contains(errOut, "--team is required") {
		t.Errorf("no team: %v %q", err, errOut)
	}
	if _, _, err := runSup(t, cfg, "run", "--team", "nope"); err == nil || !strings.Contains(err.Error(), "team nope not found") {
		t.Errorf("missing team: %v", err)
	}
}

// supervisor run takes the team's lock and answers on its socket until
// interrupted; a second one is refused while the first runs.
func TestRunForeground(t *testing.T) {
	cfg, _ := runFixture(t)
	supervised := func() (bool, int) {
		t.Helper()
		out, _, err := runSup(t, cfg, "status", "--json", "--team", "gamma")
		if err != nil {
			t.Fatal(err)
		}
		var doc statusJSON
		if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Teams) != 1 {
			t.Fatalf("%v: %s", err, out)
		}
		return doc.Teams[0].Supervised, doc.Teams[0].SupervisorPID
	}
	if ok, _ := supervised(); ok {
		t.Fatal("supervised before run")
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, logs := &lockedBuffer{}, &lockedBuffer{}
	done := make(chan error, 1)
	go func() { done <- runSupervisorCmd(ctx, []string{"run", "--team", "gamma"}, out, logs, cfg) }()
	waitOutput(t, out, logs, done, "run started", func(s string) bool {
		return strings.Contains(s, "supervising team gamma as pid")
	})
	if ok, pid := supervised(); !ok || pid != os.Getpid() {
		t.Errorf("during run: supervised=%v pid=%d", ok, pid)
	}
	_, _, err := runSup(t, cfg, "run", "--team", "gamma")
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("already supervised by pid %d", os.Getpid())) {
		t.Errorf("second run: %v", err)
	}

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v\n%s", err, logs)
	}
	if ok, _ := supervised(); ok {
		t.Error("still supervised after run stopped")
	}
}

// supervisor run ends cleanly when the lead deletes the team (team_delete:
// a teardown through its socket, then the files go).
func TestRunEndsWithTeamDelete(t *testing.T) {
	cfg, store := runFixture(t)
	out, logs := &lockedBuffer{}, &lockedBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- runSupervisorCmd(context.Background(), []string{"run", "--team", "gamma"}, out, logs, cfg)
	}()
	waitOutput(t, out, logs, done, "run started", func(s string) bool {
		return strings.Contains(s, "supervising team gamma as pid")
	})
	lead, err := newManager(cfg, zaptest.NewLogger(t), store)
	if err != nil {
		t.Fatal(err)
	}
	defer lead.Close()
	if err := lead.Teardown(context.Background(), "gamma"); err != nil {
		t.Fatal(err)
	}
	if err := store.DeleteTeam("gamma"); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil || !strings.Contains(out.String(), "team gamma was deleted") {
			t.Errorf("run: %v\nstdout %s\nstderr %s", err, out, logs)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("run did not end")
	}
}

// runFixture is a data root holding team gamma, with a short runtime
// directory of its own for the supervisor's socket.
func runFixture(t *testing.T) (Config, *protocol.Store) {
	t.Helper()
	runtime := shortTempDir(t, "ctr")
	cfg := Config{
		DataRoot:   t.TempDir(),
		TmuxSocket: fmt.Sprintf("cts-none-%d", os.Getpid()),
		Restart:    "never",
		Environ:    []string{"XDG_RUNTIME_DIR=" + runtime},
	}
	store := protocol.NewStore(cfg.DataRoot)
	if _, err := store.CreateTeam("gamma", "", protocol.Member{Cwd: "/"}); err != nil {
		t.Fatal(err)
	}
	return cfg, store
}
