package backends

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// OpenCode's sessions (measured with opencode 1.18.33 against
// shared/tools/mockllm, 2026-12-03). OpenCode keeps them in a SQLite
// database ($XDG_DATA_HOME/opencode/opencode.db, or $OPENCODE_DB), not in
// plain files, so we read them the way opencode documents: by running the
// teammate's own opencode binary (the one Launch starts) as a child
// process, fixed argv and never a shell, with the teammate's HOME, XDG_*
// and OPENCODE_* variables, --pure (no external plugins), a timeout and
// bounded output. Neither command needs the network; each took 3-12 s on
// a loaded 2-core VM.
//
//   - `opencode session list --pure --format json`, run in the teammate's
//     cwd, prints the sessions of that directory's project (a git
//     repository, or "global"), newest first:
//     [{"id":"ses_…","title":…,"updated":ms,"created":ms,"projectId":…,
//     "directory":"/abs/cwd"}], and nothing at all when there is none.
//   - `opencode export --pure <id>` prints {"info":{"id","directory",
//     "parentID" (subagent sessions),…},"messages":[{"info":{"role"},
//     "parts":[{"type":"text","text":…}]}]}; for an unknown id it exits 1
//     with "Session not found: <id>" on standard error.
//
// A teammate's session is created when its first prompt (our instruction,
// which names the agent id) is submitted; a resume (`opencode run
// --session <id>`) continues the same id.

// openCodeLookupTimeout bounds one opencode helper process, and
// openCodeFindTimeout one whole FindSession (a list and the exports).
const (
	openCodeLookupTimeout = 60 * time.Second
	openCodeFindTimeout   = 2 * time.Minute
)

// maxOpenCodeExports is how many candidate sessions FindSession exports
// at most (oldest first) before it gives up for this time.
const maxOpenCodeExports = 8

// Limits on what a helper process may print: more standard output is an
// error, more standard error is cut.
const (
	maxHelperStdout = 16 << 20
	maxHelperStderr = 64 << 10
)

// RunFunc runs a helper process of an agent CLI: argv[0] is the binary
// (never a shell), env is its whole environment and dir its working
// directory. It returns the standard output, an error when the process
// failed or printed more than the limit, and the standard error (cut).
type RunFunc func(ctx context.Context, argv, env []string, dir string) (stdout, stderr []byte, err error)

func (c Config) runHelper(ctx context.Context, argv, env []string, dir string) ([]byte, []byte, error) {
	if c.Run != nil {
		return c.Run(ctx, argv, env, dir)
	}
	return RunBounded(ctx, argv, env, dir)
}

// RunBounded is the RunFunc used when Config.Run is nil: it runs argv
// with exactly env in dir, keeps at most 16 MiB of standard output (more
// is an error) and 64 KiB of standard error, and kills the process when
// ctx ends.
func RunBounded(ctx context.Context, argv, env []string, dir string) ([]byte, []byte, error) {
	if len(argv) == 0 {
		return nil, nil, errors.New("run: empty argv")
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env, cmd.Dir = env, dir
	cmd.WaitDelay = 2 * time.Second // a grandchild holding the pipes
	stdout := &capWriter{max: maxHelperStdout}
	stderr := &capWriter{max: maxHelperStderr}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	err := cmd.Run()
	if err == nil && stdout.over {
		err = fmt.Errorf("printed more than %d bytes", maxHelperStdout)
	}
	if err != nil {
		return stdout.buf.Bytes(), stderr.buf.Bytes(), fmt.Errorf("run %s: %w", filepath.Base(argv[0]), err)
	}
	return stdout.buf.Bytes(), stderr.buf.Bytes(), nil
}

// capWriter keeps the first max bytes and drains the rest, so that the
// child never blocks on a full pipe.
type capWriter struct {
	buf  bytes.Buffer
	max  int
	over bool
}

func (w *capWriter) Write(p []byte) (int, error) {
	if room := w.max - w.buf.Len(); room < len(p) {
		w.over = true
		w.buf.Write(p[:max(room, 0)])
	} else {
		w.buf.Write(p)
	}
	return len(p), nil
}

// openCodeListed is one entry of `opencode session list --format json`.
type openCodeListed struct {
	ID        string `json:"id"`
	Created   int64  `json:"created"`
	Directory string `json:"directory"`
}

// openCodeExported is the part of `opencode export <id>` we read.
type openCodeExported struct {
	Info struct {
		ID        string `json:"id"`
		Directory string `json:"directory"`
		ParentID  string `json:"parentID"`
	} `json:"info"`
	Messages []struct {
		Info struct {
			Role string `json:"role"`
		} `json:"info"`
		Parts []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"parts"`
	} `json:"messages"`
}

// parseOpenCodeList reads `opencode session list --format json`; empty
// output means no sessions.
func parseOpenCodeList(out []byte) ([]openCodeListed, error) {
	if len(bytes.TrimSpace(out)) == 0 {
		return nil, nil
	}
	var l []openCodeListed
	if err := json.Unmarshal(out, &l); err != nil {
		return nil, fmt.Errorf("opencode session list: unexpected output (%d bytes): %w", len(out), err)
	}
	return l, nil
}

// parseOpenCodeExport reads `opencode export <id>`.
func parseOpenCodeExport(out []byte) (openCodeExported, error) {
	var e openCodeExported
	if err := json.Unmarshal(out, &e); err != nil {
		return e, fmt.Errorf("opencode export: unexpected output (%d bytes): %w", len(out), err)
	}
	return e, nil
}

// firstUserText is the text of the session's first user message.
func (e openCodeExported) firstUserText() string {
	for _, m := range e.Messages {
		if m.Info.Role != "user" {
			continue
		}
		var b strings.Builder
		for _, p := range m.Parts {
			if p.Type == "text" {
				b.WriteString(p.Text)
			}
		}
		return b.String()
	}
	return ""
}

// openCodeHelperEnv is the environment of an opencode helper process: what
// a teammate gets of the basics and OPENCODE_* (its database location),
// without our MCP server entry or any provider credential.
func (c Config) openCodeHelperEnv() []string {
	var b envBuilder
	b.set("NO_COLOR", "1")
	b.pass(c.environ(), []string{"OPENCODE_CONFIG_CONTENT"}, commonPass, openCodePass)
	return b.fixed
}

// openCodeDirs are the directories opencode may record for t's cwd.
func openCodeDirs(cwd string) []string {
	dirs := []string{cwd}
	if real, err := filepath.EvalSymlinks(cwd); err == nil && real != cwd {
		dirs = append(dirs, real)
	}
	return dirs
}

// openCodeList runs `opencode session list` in t's cwd.
func (c Config) openCodeList(ctx context.Context, bin string, t Teammate) ([]openCodeListed, error) {
	ctx, cancel := context.WithTimeout(ctx, openCodeLookupTimeout)
	defer cancel()
	out, stderr, err := c.runHelper(ctx, []string{bin, "session", "list", "--pure", "--format", "json"}, c.openCodeHelperEnv(), t.Cwd)
	if err != nil {
		return nil, fmt.Errorf("opencode session list in %s: %w: %s", t.Cwd, err, lastLine(stderr))
	}
	return parseOpenCodeList(out)
}

// openCodeExport runs `opencode export <id>` (id validated).
func (c Config) openCodeExport(ctx context.Context, bin string, t Teammate, id string) (openCodeExported, error) {
	ctx, cancel := context.WithTimeout(ctx, openCodeLookupTimeout)
	defer cancel()
	out, stderr, err := c.runHelper(ctx, []string{bin, "export", "--pure", id}, c.openCodeHelperEnv(), t.Cwd)
	if err != nil {
		return openCodeExported{}, fmt.Errorf("opencode export %s: %w: %s", id, err, lastLine(stderr))
	}
	return parseOpenCodeExport(out)
}

// findOpenCodeSession returns the id of t's session started since then:
// listed in t's project with t's directory, created since then, not a
// subagent's, and whose first user message names t's agent id. The oldest
// such session wins: it is the one the launch's prompt created. An
// attached teammate's session is looked up in its server instead
// (findOpenCodeServerSession).
func (c Config) findOpenCodeSession(ctx context.Context, t Teammate, since time.Time) (string, error) {
	if c.OpenCodeServerURL != "" {
		return c.findOpenCodeServerSession(ctx, t, since)
	}
	bin, err := c.binary(OpenCode)
	if err != nil {
		return "", fmt.Errorf("find session: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, openCodeFindTimeout)
	defer cancel()
	listed, err := c.openCodeList(ctx, bin, t)
	if err != nil {
		return "", fmt.Errorf("find session: %w", err)
	}
	dirs := openCodeDirs(t.Cwd)
	var cands []openCodeListed
	for _, s := range listed {
		if openCodeSessionRE.MatchString(s.ID) && slices.Contains(dirs, s.Directory) && s.Created >= since.UnixMilli() {
			cands = append(cands, s)
		}
	}
	slices.SortStableFunc(cands, func(a, b openCodeListed) int { return cmp.Compare(a.Created, b.Created) })
	marker := "(agent id " + t.AgentID + ")"
	for i, s := range cands {
		if i == maxOpenCodeExports {
			break
		}
		if ctx.Err() != nil {
			break
		}
		e, err := c.openCodeExport(ctx, bin, t, s.ID)
		if err != nil {
			continue // vanished meanwhile, or unreadable: not provably ours
		}
		if e.Info.ID == s.ID && slices.Contains(dirs, e.Info.Directory) && e.Info.ParentID == "" &&
			strings.Contains(e.firstUserText(), marker) {
			return s.ID, nil
		}
	}
	return "", fmt.Errorf("find session: %w: no opencode session in %s since %s whose first message names %s (%d listed, %d candidates)",
		ErrSessionNotFound, t.Cwd, since.Format(time.RFC3339), t.AgentID, len(listed), len(cands))
}

// openCodeResumable asks opencode whether t's project still has session
// t.SessionID in t's directory. When opencode cannot tell (it failed or
// printed something else) the id is trusted: a resume of a vanished
// session fails its start, and two failed starts fall back to fresh. An
// attached teammate's session is asked of its server
// (openCodeServerResumable).
func (c Config) openCodeResumable(ctx context.Context, t Teammate) (bool, string) {
	if c.OpenCodeServerURL != "" {
		return c.openCodeServerResumable(ctx, t)
	}
	bin, err := c.binary(OpenCode)
	if err != nil {
		return true, ""
	}
	listed, err := c.openCodeList(ctx, bin, t)
	if err != nil {
		return true, ""
	}
	dirs := openCodeDirs(t.Cwd)
	for _, s := range listed {
		if s.ID != t.SessionID {
			continue
		}
		if !slices.Contains(dirs, s.Directory) {
			return false, fmt.Sprintf("opencode session %s belongs to directory %s, not %s", s.ID, s.Directory, t.Cwd)
		}
		return true, ""
	}
	return false, fmt.Sprintf("opencode has no session %s in the project of %s (opencode session list)", t.SessionID, t.Cwd)
}

// lastLine is the last non-empty line of a helper's standard error,
// without terminal colours, for an error message.
func lastLine(stderr []byte) string {
	lines := strings.Split(strings.TrimSpace(string(stderr)), "\n")
	s := lines[len(lines)-1]
	for {
		i := strings.Index(s, "\x1b[")
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i:], 'm')
		if j < 0 {
			break
		}
		s = s[:i] + s[i+j+1:]
	}
	return strings.TrimSpace(s)
}
