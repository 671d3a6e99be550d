package backends

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestClaudeProjectSlug: the directory names the real Claude Code
// (2.1.197 and 2.1.332, same names) created for these working directories.
func TestClaudeProjectSlug(t *testing.T) {
	long := "/tmp/i13/long/" + strings.Repeat("a", 120) + "/" + strings.Repeat("b", 120)
	cases := []struct{ cwd, want string }{
		{"/work/proj", "-work-proj"},
		{"/tmp/i13/My proj.v2_a/ü-x", "-tmp-i13-My-proj-v2-a---x"},
		{"/tmp/i13/e😀x", "-tmp-i13-e--x"}, // an astral rune is two UTF-16 units
		{long, "-tmp-i13-long-" + strings.Repeat("a", 120) + "-" + strings.Repeat("b", 65) + "-qsrunt"},
	}
	for _, tc := range cases {
		if got := ClaudeProjectSlug(tc.cwd); got != tc.want {
			t.Errorf("ClaudeProjectSlug(%q) = %q, want %q", tc.cwd, got, tc.want)
		}
	}
}

// Transcript lines shaped as the real CLIs write them (trimmed).
const (
	claudeMeta = `{"type":"agent-setting","agentSetting":"general-purpose","sessionId":"S"}` + "\n" +
		`{"type":"mode","mode":"normal","sessionId":"S"}` + "\n" +
		`{"type":"permission-mode","permissionMode":"default","sessionId":"S"}` + "\n"
	claudeUser = `{"parentUuid":null,"isSidechain":false,"type":"user","message":{"role":"user","content":"<teammate-message teammate_id=\"team-lead\">hi</teammate-message>"},"uuid":"u1","sessionId":"S"}` + "\n"
	geminiHead = `{"sessionId":"S","projectHash":"3bfc","startTime":"2026-12-03T12:46:22.255Z","lastUpdated":"2026-12-03T12:46:22.255Z","kind":"main"}` + "\n" +
		`{"$set":{"messages":[{"id":"d049","timestamp":"2026-12-03T12:46:22.256Z","type":"user","content":[{"text":"<session_context>\nThis is the Gemini CLI."}]}],"lastUpdated":"2026-12-03T12:46:22.256Z"}}` + "\n"
	geminiTurn = `{"id":"m2","timestamp":"2026-12-03T12:45:14.400Z","type":"user","content":[{"text":"GM-PROMPT-1 hi"}]}` + "\n"
	codexMeta  = `{"timestamp":"2026-12-03T12:43:46.224Z","ordinal":0,"type":"session_meta","payload":{"session_id":"S","id":"S","cwd":"CWD","originator":"codex-tui","cli_version":"0.169.0"}}` + "\n" +
		`{"timestamp":"2026-12-03T12:43:46.300Z","type":"response_item","payload":{"type":"message","role":"developer","content":[{"type":"input_text","text":"<permissions>"}]}}` + "\n"
	codexUser = `{"timestamp":"2026-12-03T12:43:47.000Z","type":"response_item","payload":{"type":"message","id":"msg_1","role":"user","content":[{"type":"input_text","text":"TEXT"}]}}` + "\n"
)

const (
	sidA = "b7625504-dfcb-413e-aae3-97418354a1aa"
	sidB = "01a23bee-a7f0-77a0-a6e7-09cf967a4030"
)

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// resumeEnv is a scratch HOME, data root and cwd with a config whose
// environment points the CLIs' state there.
type resumeEnv struct {
	home, root, cwd string
	c               Config
	m               Teammate
}

func newResumeEnv(t *testing.T) resumeEnv {
	dir := t.TempDir()
	e := resumeEnv{home: filepath.Join(dir, "home"), root: filepath.Join(dir, "home", ".claude"), cwd: filepath.Join(dir, "proj")}
	if err := os.MkdirAll(e.cwd, 0o755); err != nil {
		t.Fatal(err)
	}
	e.c = baseConfig()
	e.c.Environ = []string{"HOME=" + e.home, "PATH=/usr/bin"}
	e.m = baseTeammate()
	e.m.AgentID, e.m.Cwd, e.m.DataRoot = "worker-1@alpha", e.cwd, e.root
	return e
}

func (e resumeEnv) claudeTranscript(id string) string { return ClaudeTranscript(e.root, e.cwd, id) }

func TestClaudeResumable(t *testing.T) {
	cases := []struct {
		name    string
		content string // "" = no file
		want    bool
		why     string
	}{
		{"no transcript (crash before the first turn)", "", false, "no transcript"},
		{"empty transcript", "\n", false, "holds no turn"},
		{"metadata only", claudeMeta, false, "holds no turn"},
		{"user entry", claudeMeta + claudeUser, true, ""},
		{"user entry then a torn line", claudeUser + `{"type":"assis`, true, ""},
		{"garbage then user entry", "not json\n" + claudeUser, true, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newResumeEnv(t)
			if tc.content != "" {
				writeFile(t, e.claudeTranscript(sidA), tc.content)
			}
			e.m.SessionID = sidA
			ok, why := e.c.Resumable(Claude, e.m)
			if ok != tc.want || !strings.Contains(why, tc.why) {
				t.Errorf("Resumable = %v, %q; want %v, %q", ok, why, tc.want, tc.why)
			}
		})
	}
}

// TestClaudeResumableRefuses: a symlinked or FIFO transcript is not read
// (a FIFO would block the supervisor), and the reason says so.
func TestClaudeResumableRefuses(t *testing.T) {
	e := newResumeEnv(t)
	real := filepath.Join(e.home, "elsewhere.jsonl")
	writeFile(t, real, claudeUser)
	path := e.claudeTranscript(sidA)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(real, path); err != nil {
		t.Fatal(err)
	}
	e.m.SessionID = sidA
	if ok, why := e.c.Resumable(Claude, e.m); ok || !strings.Contains(why, "symlink") {
		t.Errorf("symlink: Resumable = %v, %q", ok, why)
	}
	fifo := e.claudeTranscript(sidB)
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	e.m.SessionID = sidB
	if ok, why := e.c.Resumable(Claude, e.m); ok || !strings.Contains(why, "not a regular file") {
		t.Errorf("fifo: Resumable = %v, %q", ok, why)
	}
}

// TestClaudeResumableSymlinkedCwd: Claude Code files the transcript under
// the real path of its cwd.
func TestClaudeResumableSymlinkedCwd(t *testing.T) {
	e := newResumeEnv(t)
	writeFile(t, e.claudeTranscript(sidA), claudeUser)
	link := filepath.Join(filepath.Dir(e.cwd), "link")
	if err := os.Symlink(e.cwd, link); err != nil {
		t.Fatal(err)
	}
	e.m.Cwd, e.m.SessionID = link, sidA
	if ok, why := e.c.Resumable(Claude, e.m); !ok {
		t.Errorf("Resumable via symlinked cwd = false, %q", why)
	}
}

// TestClaudeResumableLongCwdOtherHash: for a cwd beyond 200 slug units a
// build hashing the path differently (Bun.hash) is found by the cut prefix.
func TestClaudeResumableLongCwdOtherHash(t *testing.T) {
	e := newResumeEnv(t)
	e.cwd = filepath.Join(e.cwd, strings.Repeat("x", 150), strings.Repeat("y", 150))
	if err := os.MkdirAll(e.cwd, 0o755); err != nil {
		t.Fatal(err)
	}
	e.m.Cwd, e.m.SessionID = e.cwd, sidA
	slug := ClaudeProjectSlug(e.cwd)
	writeFile(t, filepath.Join(e.root, "projects", slug[:claudeSlugMax]+"-otherhash", sidA+".jsonl"), claudeUser)
	if ok, why := e.c.Resumable(Claude, e.m); !ok {
		t.Errorf("Resumable = false, %q", why)
	}
}

func TestGeminiResumable(t *testing.T) {
	cases := []struct {
		name, content string
		want          bool
	}{
		{"context only (a start without a turn)", geminiHead, false},
		{"a turn", geminiHead + geminiTurn, true},
		{"another session's file", strings.Replace(geminiHead, `"S"`, `"`+sidB+`"`, 1) + geminiTurn, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newResumeEnv(t)
			dir := filepath.Join(e.home, ".gemini")
			writeFile(t, filepath.Join(dir, "projects.json"), `{"projects":{"`+e.cwd+`":"proj"}}`)
			writeFile(t, filepath.Join(dir, "tmp", "proj", "chats", "session-2026-12-03T12-45-"+sidA[:8]+".jsonl"),
				strings.ReplaceAll(tc.content, `"S"`, `"`+sidA+`"`))
			e.m.SessionID = sidA
			if ok, why := e.c.Resumable(Gemini, e.m); ok != tc.want {
				t.Errorf("Resumable = %v, %q; want %v", ok, why, tc.want)
			}
		})
	}
	e := newResumeEnv(t)
	e.m.SessionID = sidA
	if ok, why := e.c.Resumable(Gemini, e.m); ok || !strings.Contains(why, "no project") {
		t.Errorf("no projects.json: Resumable = %v, %q", ok, why)
	}
}

func codexRollout(t *testing.T, home, id, cwd, text string) string {
	path := filepath.Join(home, ".codex", "sessions", "2026", "12", "03", "rollout-2026-12-03T12-43-46-"+id+".jsonl")
	body := strings.NewReplacer(`"S"`, `"`+id+`"`, "CWD", cwd).Replace(codexMeta)
	if text != "" {
		q, _ := json.Marshal(text)
		body += strings.Replace(codexUser, `"TEXT"`, string(q), 1)
	}
	writeFile(t, path, body)
	return path
}

func TestCodexResumable(t *testing.T) {
	e := newResumeEnv(t)
	e.m.SessionID = sidB
	if ok, _ := e.c.Resumable(Codex, e.m); ok {
		t.Error("Resumable without a rollout")
	}
	codexRollout(t, e.home, sidB, e.cwd, "")
	if ok, why := e.c.Resumable(Codex, e.m); ok || !strings.Contains(why, "no Codex rollout") {
		t.Errorf("rollout without a turn: Resumable = %v, %q", ok, why)
	}
	codexRollout(t, e.home, sidB, e.cwd, instructions(e.m))
	if ok, why := e.c.Resumable(Codex, e.m); !ok {
		t.Errorf("Resumable = false, %q", why)
	}
}

// BenchmarkClaudeResumable: the restart path's transcript check on a
// 16 MiB transcript, when its first turn is near the top (the usual case)
// and when it holds none (the whole file is read).
func BenchmarkClaudeResumable(b *testing.B) {
	filler := strings.Repeat(`{"type":"attachment","attachment":{"type":"x","content":"`+strings.Repeat("z", 1000)+`"},"sessionId":"S"}`+"\n", 16<<10)
	for _, bc := range []struct{ name, text string }{
		{"turn_first", claudeMeta + claudeUser + filler},
		{"no_turn", claudeMeta + filler},
	} {
		b.Run(bc.name, func(b *testing.B) {
			dir := b.TempDir()
			c := Config{Environ: []string{"HOME=" + dir}}
			m := Teammate{Team: "alpha", Name: "w", Cwd: dir, DataRoot: filepath.Join(dir, ".claude"), SessionID: sidA}
			path := ClaudeTranscript(m.DataRoot, m.Cwd, sidA)
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				b.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(bc.text), 0o600); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(bc.text)))
			b.ResetTimer()
			for range b.N {
				c.Resumable(Claude, m)
			}
		})
	}
}
