package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// updateCLI rewrites the golden files of testdata/cli:
//
//	go test ./cmd/claude-teams -run 'Supervisor|Status' -update-cli
var updateCLI = flag.Bool("update-cli", false, "rewrite testdata/cli golden files")

// golden compares got with testdata/cli/<name>, or rewrites it under
// -update-cli.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("..", "..", "testdata", "cli", name)
	if *updateCLI {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update-cli to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run with -update-cli to accept):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// shortTempDir is a directory under /tmp, removed at the end: short enough
// for a unix socket path below it (t.TempDir's can be too long).
func shortTempDir(t *testing.T, prefix string) string {
	t.Helper()
	dir, err := os.MkdirTemp("/tmp", prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// waitOutput polls until ok(w's text) holds, failing the test when the
// command writing to w ends first (its result arrives on done) or after 30s.
// logs is shown on failure.
func waitOutput(t *testing.T, w, logs *lockedBuffer, done <-chan error, what string, ok func(string) bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !ok(w.String()) {
		select {
		case err := <-done:
			t.Fatalf("%s: command returned early: %v\nstdout %q\nstderr %s", what, err, w, logs)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after 30s\nstdout %q\nstderr %s", what, w, logs)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// runSup runs `claude-teams supervisor args...` with cfg.
func runSup(t *testing.T, cfg Config, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	err = runSupervisorCmd(context.Background(), args, &out, &errb, cfg)
	return out.String(), errb.String(), err
}

func TestSupervisorHelp(t *testing.T) {
	cfg := Config{DataRoot: t.TempDir(), TmuxSocket: "claude-teams"}
	tests := []struct {
		golden string
		args   [][]string
	}{
		{"supervisor-help.golden", [][]string{{"help"}, {"--help"}, {"-h"}}},
		{"supervisor-status-help.golden", [][]string{{"status", "--help"}, {"status", "-h"}, {"help", "status"}}},
		{"supervisor-restart-help.golden", [][]string{{"restart", "--help"}, {"help", "restart"}}},
		{"supervisor-attach-help.golden", [][]string{{"attach", "--help"}, {"attach", "-h"}, {"help", "attach"}}},
	}
	for _, tt := range tests {
		var first string
		for i, args := range tt.args {
			out, errOut, err := runSup(t, cfg, args...)
			if err != nil || errOut != "" {
				t.Errorf("%q: err=%v stderr=%q", args, err, errOut)
			}
			if i == 0 {
				first = out
				golden(t, tt.golden, []byte(out))
			} else if out != first {
				t.Errorf("%q prints other help than %q", args, tt.args[0])
			}
		}
	}
}

func TestSupervisorUsageErrors(t *testing.T) {
	cfg := Config{DataRoot: t.TempDir(), TmuxSocket: "claude-teams"}
	tests := []struct {
		args []string
		want string // in stderr
	}{
		{nil, "Usage: claude-teams supervisor <command>"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"help", "frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"status", "--bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"status", "extra"}, `unexpected argument "extra"`},
		{[]string{"status", "--interval", "1ms"}, "too short"},
		{[]string{"restart"}, "name exactly one teammate"},
		{[]string{"restart", "a", "b"}, "name exactly one teammate"},
	}
	for _, tt := range tests {
		out, errOut, err := runSup(t, cfg, tt.args...)
		if !errors.Is(err, errUsage) || out != "" || !strings.Contains(errOut, tt.want) {
			t.Errorf("%q: err=%v stdout=%q stderr=%q", tt.args, err, out, errOut)
		}
	}
	// Errors that are not about usage are returned, not printed.
	if _, _, err := runSup(t, cfg, "status", "--team", "Bad/Name"); err == nil || errors.Is(err, errUsage) {
		t.Errorf("bad team: %v", err)
	}
	if _, _, err := runSup(t, cfg, "status", "--team", "nope"); err == nil || !strings.Contains(err.Error(), "team nope not found") {
		t.Errorf("missing team: %v", err)
	}
	if _, _, err := runSup(t, cfg, "restart", "../w1"); err == nil {
		t.Error("bad agent name accepted")
	}
}

func TestParseFlagsInterleaved(t *testing.T) {
	fs := flag.NewFlagSet("restart", flag.ContinueOnError)
	team := fs.String("team", "", "")
	pos, err := parseFlags(fs, "", []string{"w1", "--team", "alpha", "--", "-x"}, &bytes.Buffer{}, &bytes.Buffer{})
	if err != nil || *team != "alpha" || strings.Join(pos, " ") != "w1 -x" {
		t.Fatalf("pos=%q team=%q err=%v", pos, *team, err)
	}
}
