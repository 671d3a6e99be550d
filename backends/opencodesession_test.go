package backends

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// The sessions recorded in testdata/opencode (see its README).
const (
	ocOld = "ses_dc37b2bf6ffePAtZRrcki5ztDh" // "hello OC-FIRST (agent id w1@alpha)"
	ocW1  = "ses_dc376e222ffecEQfUNmJg2r1Q0" // w1's instruction
	ocW3  = "ses_dc376aaeeffeax0X3daSSz5khI" // w3's instruction
	// ocW1Created is the "created" of ocW1 in session-list.json (ms).
	ocW1Created = 1796311948766
	ocRecDir    = "/tmp/ocm/w/proj"
)

// ocReplay plays recorded opencode output: files maps "list" or an
// exported id to a testdata file ("" = no output), with cwd in place of
// the recorded directory; fail maps them to an error with stderr.
type ocReplay struct {
	t     *testing.T
	cwd   string
	files map[string]string
	edit  func(key string, out []byte) []byte
	fail  map[string]string
	calls [][]string
	envs  [][]string
	dirs  []string
}

func (r *ocReplay) run(_ context.Context, argv, env []string, dir string) ([]byte, []byte, error) {
	r.calls, r.envs, r.dirs = append(r.calls, argv), append(r.envs, env), append(r.dirs, dir)
	var key string
	switch {
	case slices.Equal(argv[1:], []string{"session", "list", "--pure", "--format", "json"}):
		key = "list"
	case len(argv) == 4 && argv[1] == "export" && argv[2] == "--pure":
		key = argv[3]
	default:
		r.t.Fatalf("unexpected opencode argv %q", argv)
	}
	if stderr, ok := r.fail[key]; ok {
		return nil, []byte(stderr), errors.New("exit status 1")
	}
	name, ok := r.files[key]
	if !ok {
		data, _ := os.ReadFile("testdata/opencode/export-missing.stderr")
		return nil, []byte(strings.ReplaceAll(string(data), "ses_missing0000", key)), errors.New("exit status 1")
	}
	if name == "" {
		return nil, nil, nil
	}
	data, err := os.ReadFile(filepath.Join("testdata", "opencode", name))
	if err != nil {
		r.t.Fatal(err)
	}
	data = []byte(strings.ReplaceAll(string(data), ocRecDir, r.cwd))
	if r.edit != nil {
		data = r.edit(key, data)
	}
	return data, nil, nil
}

func (r *ocReplay) exports() int {
	n := 0
	for _, c := range r.calls {
		n += btoi(c[1] == "export")
	}
	return n
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

var ocAll = map[string]string{"list": "session-list.json", ocW1: "export-w1.json", ocW3: "export-w3.json", ocOld: "export-w1-old.json"}

func ocEnv(t *testing.T, files map[string]string) (resumeEnv, *ocReplay) {
	e := newResumeEnv(t)
	r := &ocReplay{t: t, cwd: e.cwd, files: files}
	e.c.Run = r.run
	e.c.Environ = append(e.c.Environ, "XDG_DATA_HOME=/data/x", "OPENCODE_DB=/data/x/oc.db",
		`OPENCODE_CONFIG_CONTENT={"plugin":["evil"]}`, "OPENAI_API_KEY=sk-secret")
	e.m.Name, e.m.AgentID = "w1", "w1@alpha"
	return e, r
}

// TestFindOpenCodeSession: over recorded `opencode session list` and
// `opencode export` output, the oldest session since the launch in the
// teammate's directory, not a subagent's, whose first user message names
// its agent id.
func TestFindOpenCodeSession(t *testing.T) {
	since := time.UnixMilli(ocW1Created - 2000)
	cases := []struct {
		name      string
		files     map[string]string
		fail      map[string]string
		edit      func(key string, out []byte) []byte
		agent     string
		cwd       string // "" = the recorded one
		since     time.Time
		url       string
		want      string
		err       string // "" = found
		notFound  bool
		wantCalls int
	}{
		{name: "w1's session since the launch", files: ocAll, want: ocW1, wantCalls: 2},
		{name: "the older one too, oldest first", files: ocAll, since: time.UnixMilli(0), want: ocOld, wantCalls: 2},
		{name: "another teammate's only", files: ocAll, agent: "w2", err: "no opencode session", notFound: true, wantCalls: 3},
		{name: "w3 finds its own", files: ocAll, agent: "w3", want: ocW3, wantCalls: 3},
		{name: "nothing since then", files: ocAll, since: time.UnixMilli(ocW1Created + 3_600_000), err: "0 candidates", notFound: true, wantCalls: 1},
		{name: "another directory", files: ocAll, cwd: "/elsewhere", err: "3 listed, 0 candidates", notFound: true, wantCalls: 1},
		{name: "no session at all (empty output)", files: map[string]string{"list": ""}, err: "0 listed", notFound: true, wantCalls: 1},
		{name: "a subagent's session", files: ocAll, notFound: true, err: "no opencode session", wantCalls: 3,
			edit: func(key string, out []byte) []byte {
				return []byte(strings.Replace(string(out), `"slug":`, `"parentID": "ses_parent1", "slug":`, 1))
			}},
		{name: "a malformed id is skipped", files: ocAll, notFound: true, err: "no opencode session", wantCalls: 2,
			edit: func(key string, out []byte) []byte {
				return []byte(strings.ReplaceAll(string(out), `"id": "`+ocW1+`"`, `"id": "ses_../../x"`))
			}},
		{name: "the export says vanished", files: map[string]string{"list": "session-list.json"}, notFound: true, err: "no opencode session", wantCalls: 3},
		{name: "list fails", files: ocAll, fail: map[string]string{"list": "\x1b[91mError: \x1b[0mdatabase is locked\n"}, err: "database is locked", wantCalls: 1},
		{name: "list prints something else", files: ocAll, err: "unexpected output", wantCalls: 1,
			edit: func(key string, out []byte) []byte { return []byte("┌ sessions\n") }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, r := ocEnv(t, tc.files)
			r.fail, r.edit = tc.fail, tc.edit
			e.c.OpenCodeServerURL = tc.url
			if tc.agent != "" {
				e.m.Name, e.m.AgentID = tc.agent, tc.agent+"@alpha"
			}
			if tc.cwd != "" {
				e.m.Cwd = tc.cwd
			}
			s := since
			if !tc.since.IsZero() {
				s = tc.since
			}
			id, err := e.c.FindSession(OpenCode, e.m, s)
			if tc.err == "" && (err != nil || id != tc.want) {
				t.Errorf("FindSession = %q, %v; want %s", id, err, tc.want)
			}
			if tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err) || errors.Is(err, ErrSessionNotFound) != tc.notFound) {
				t.Errorf("FindSession = %q, %v; want an error with %q (not found: %v)", id, err, tc.err, tc.notFound)
			}
			if len(r.calls) != tc.wantCalls {
				t.Errorf("%d opencode runs %q, want %d", len(r.calls), r.calls, tc.wantCalls)
			}
			for i := range r.calls {
				checkHelperRun(t, r.calls[i], r.envs[i], r.dirs[i], e.m.Cwd)
			}
		})
	}
}

// checkHelperRun: the teammate's binary, in its cwd, with its database
// location but neither our nor the user's config content nor a key.
func checkHelperRun(t *testing.T, argv, env []string, dir, cwd string) {
	t.Helper()
	if argv[0] != "/opt/bin/opencode" || dir != cwd {
		t.Errorf("ran %q in %s, want /opt/bin/opencode in %s", argv, dir, cwd)
	}
	for _, want := range []string{"XDG_DATA_HOME=/data/x", "OPENCODE_DB=/data/x/oc.db", "HOME=", "NO_COLOR=1"} {
		if !slices.ContainsFunc(env, func(kv string) bool { return strings.HasPrefix(kv, want) }) {
			t.Errorf("helper env %q lacks %s", env, want)
		}
	}
	for _, bad := range []string{"OPENCODE_CONFIG_CONTENT=", "OPENAI_API_KEY=", EnvAgentName + "="} {
		if slices.ContainsFunc(env, func(kv string) bool { return strings.HasPrefix(kv, bad) }) {
			t.Errorf("helper env %q has %s", env, bad)
		}
	}
}

// TestOpenCodeResumable: opencode is asked whether the recorded session is
// still in the teammate's project and directory; a vanished one starts
// fresh and says why, one opencode cannot tell about is trusted.
func TestOpenCodeResumable(t *testing.T) {
	cases := []struct {
		name, id string
		fail     map[string]string
		cwd      string
		url      string
		want     bool
		why      string
		runs     int
	}{
		{name: "listed", id: ocW1, want: true, runs: 1},
		{name: "vanished", id: "ses_gone1234", why: "opencode has no session ses_gone1234", runs: 1},
		{name: "in another directory", id: ocW1, cwd: "/elsewhere", why: "belongs to directory", runs: 1},
		{name: "opencode cannot tell", id: ocW1, fail: map[string]string{"list": "Error: boom"}, want: true, runs: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, r := ocEnv(t, ocAll)
			r.fail = tc.fail
			e.c.OpenCodeServerURL = tc.url
			e.m.SessionID = tc.id
			if tc.cwd != "" {
				e.m.Cwd, r.cwd = tc.cwd, e.cwd // the sessions stay where they were
			}
			ok, why := e.c.Resumable(OpenCode, e.m)
			if ok != tc.want || !strings.Contains(why, tc.why) {
				t.Errorf("Resumable = %v, %q; want %v, %q", ok, why, tc.want, tc.why)
			}
			if len(r.calls) != tc.runs {
				t.Errorf("%d opencode runs, want %d", len(r.calls), tc.runs)
			}
		})
	}
}

// TestOpenCodeResumeVanished: a launch asked to resume a session opencode
// no longer has starts the TUI fresh with the full prompt and says why.
func TestOpenCodeResumeVanished(t *testing.T) {
	e, _ := ocEnv(t, ocAll)
	e.m.SessionID, e.m.Resume = "ses_gone1234", true
	l, err := e.c.Launch(OpenCode, e.m)
	if err != nil {
		t.Fatal(err)
	}
	if l.Resumed || l.SessionID != "" || !strings.Contains(l.FreshReason, "no session ses_gone1234") ||
		slices.Contains(l.Argv, "--session") || !slices.Contains(l.Argv, "--prompt") {
		t.Errorf("launch %+v", l)
	}
}

func TestRunBounded(t *testing.T) {
	out, _, err := RunBounded(context.Background(), []string{"/bin/sh", "-c", "head -c 17000000 /dev/zero"}, nil, "/")
	if err == nil || !strings.Contains(err.Error(), "more than") || len(out) != maxHelperStdout {
		t.Errorf("over the limit: %d bytes, %v", len(out), err)
	}
	out, stderr, err := RunBounded(context.Background(), []string{"/bin/sh", "-c", "echo out; echo err >&2; exit 3"}, nil, "/")
	if err == nil || !strings.Contains(err.Error(), "exit status 3") || string(out) != "out\n" || string(stderr) != "err\n" {
		t.Errorf("failing: %q %q %v", out, stderr, err)
	}
	if got := lastLine([]byte("Exporting session: x\n\x1b[91m\x1b[1mError: \x1b[0mSession not found: x\n")); got != "Error: Session not found: x" {
		t.Errorf("lastLine = %q", got)
	}
}

// TestOpenCodeLookupEndsWithItsContext: the helper processes of a lookup
// and of a resume check run under the caller's context (the supervisor's
// owner loop), so that closing the supervisor ends them; a lookup whose
// context has ended runs no further export.
func TestOpenCodeLookupEndsWithItsContext(t *testing.T) {
	e, r := ocEnv(t, ocAll)
	ctx, cancel := context.WithCancel(context.Background())
	replay := e.c.Run
	var seen []context.Context
	e.c.Run = func(c context.Context, argv, env []string, dir string) ([]byte, []byte, error) {
		seen = append(seen, c)
		cancel() // the supervisor closes during the first helper
		return replay(c, argv, env, dir)
	}
	tm := e.m
	if _, err := e.c.FindSessionContext(ctx, OpenCode, tm, time.UnixMilli(0)); err == nil {
		t.Errorf("lookup after its context ended found a session")
	}
	if len(seen) != 1 || seen[0].Err() == nil || r.exports() != 0 {
		t.Errorf("%d helpers ran (%d exports); the first one's context: %v; want one, ended", len(seen), r.exports(), seen[0].Err())
	}
	tm.SessionID, tm.Resume = ocW1, true
	seen = nil
	e.c.ResumableContext(ctx, OpenCode, tm)
	if len(seen) != 1 || seen[0].Err() == nil {
		t.Errorf("resume check: %d helpers, context not the caller's", len(seen))
	}
}
