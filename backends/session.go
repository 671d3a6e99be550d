package backends

import (
	"context"
	"crypto/rand"
	"fmt"
	"path/filepath"
	"regexp"
)

// Conversation resume (PROTOCOL.md §10, measured with the real CLIs
// against shared/tools/mockllm, 2026-12-03):
//
//   - claude (2.1.197, 2.1.332): a fresh launch passes --session-id <new
//     uuid>, a resume the same flags plus --resume <uuid>. The transcript
//     is <data root>/projects/<cwd slug>/<uuid>.jsonl; it appears with the
//     first turn and --resume needs a user entry in it ("No conversation
//     found" otherwise). Reusing --session-id fails ("already in use").
//   - gemini (0.61.0): --session-id <new uuid>, --resume <uuid>; the session
//     file appears at start but resumes only once it holds a real turn.
//   - codex (0.169.0): `codex resume <id> [flags] [prompt]`; codex picks the
//     id (a UUIDv7 in its rollout file name), found with FindSession.
//   - opencode (1.18.33): `opencode run --session <id> --interactive
//     <prompt>` (the TUI's --session drops --prompt); opencode picks the id
//     (ses_…) and keeps it in its database, found with FindSession by
//     running opencode (opencodesession.go).
//   - command backends: {session_id} in argv and env, and resume_argv.

var (
	// uuidRE is what Claude Code, Gemini CLI and Codex take as a session
	// id ("Invalid session ID. Must be a valid UUID." otherwise).
	uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	// openCodeSessionRE is opencode's id shape (ses_ and base62).
	openCodeSessionRE = regexp.MustCompile(`^ses_[A-Za-z0-9]{1,64}$`)
)

// NewSessionID returns a random (version 4) UUID.
func NewSessionID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on Linux
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// session is the conversation decision for one launch.
type session struct {
	id          string // "" when the CLI picks its own
	resume      bool
	freshReason string
}

// chooseID reports whether the backend takes an id we choose on a fresh
// launch.
func (c Config) chooseID(backend string) bool {
	return backend != Codex && backend != OpenCode
}

func (c Config) newID() string {
	if c.NewSessionID != nil {
		return c.NewSessionID()
	}
	return NewSessionID()
}

// session decides, for a validated teammate, whether this launch resumes
// t.SessionID or starts fresh, and with which id.
func (c Config) session(ctx context.Context, backend string, t Teammate) (session, error) {
	if t.Resume && t.SessionID != "" {
		if err := checkSessionID(backend, t.SessionID); err != nil {
			return session{}, err
		}
		ok, why := c.ResumableContext(ctx, backend, t)
		if ok {
			return session{id: t.SessionID, resume: true}, nil
		}
		return c.fresh(backend, why), nil
	}
	if t.Resume {
		return c.fresh(backend, "no session id is recorded for this teammate"), nil
	}
	return c.fresh(backend, ""), nil
}

func (c Config) fresh(backend, why string) session {
	s := session{freshReason: why}
	if c.chooseID(backend) {
		s.id = c.newID()
	}
	return s
}

// checkSessionID validates a recorded session id for its backend before
// it reaches a path or an argv word.
func checkSessionID(backend, id string) error {
	switch backend {
	case Claude, Gemini, Codex:
		if !uuidRE.MatchString(id) {
			return fmt.Errorf("%w: session id %q must be a UUID for %s", ErrInvalidTeammate, id, backend)
		}
	case OpenCode:
		if !openCodeSessionRE.MatchString(id) {
			return fmt.Errorf("%w: session id %q must look like ses_<letters and digits> for opencode", ErrInvalidTeammate, id)
		}
	default:
		if !sessionIDRE.MatchString(id) {
			return fmt.Errorf("%w: session id %q must be an id (letters, digits and . _ : -, at most 128)", ErrInvalidTeammate, id)
		}
	}
	return nil
}

// Resumable reports whether a launch of t with the backend can continue
// t.SessionID, and when not, why (a sentence for the lead). For claude,
// gemini and codex it looks for a transcript holding a turn (a crash
// before the first turn leaves none); for opencode it asks opencode
// (`opencode session list` in t's cwd, seconds) whether the session is
// still there in t's directory, and trusts the id when opencode cannot
// tell or the teammate attaches to a server; a command backend's id with
// resume_argv is taken on trust. t must have passed validation (Launch does
// that); Resumable refuses symlinks and non-regular transcript files.
func (c Config) Resumable(backend string, t Teammate) (bool, string) {
	return c.ResumableContext(context.Background(), backend, t)
}

// ResumableContext is Resumable; ctx bounds the opencode helper process.
func (c Config) ResumableContext(ctx context.Context, backend string, t Teammate) (bool, string) {
	if t.SessionID == "" {
		return false, "no session id is recorded"
	}
	if err := checkSessionID(backend, t.SessionID); err != nil {
		return false, err.Error()
	}
	switch backend {
	case Claude:
		return claudeResumable(c.claudeRoot(t), t.Cwd, t.SessionID)
	case Gemini:
		return geminiResumable(c.geminiDir(), t.Cwd, t.SessionID)
	case Codex:
		return codexResumable(c.codexHome(), t.SessionID)
	case OpenCode:
		return c.openCodeResumable(ctx, t)
	}
	if spec, ok := c.Commands[backend]; ok && len(spec.ResumeArgv) > 0 {
		return true, ""
	}
	return false, fmt.Sprintf("command backend %q has no resume_argv", backend)
}

// claudeRoot is where Claude Code keeps its state for t: DataRoot, else
// CLAUDE_CONFIG_DIR or ~/.claude from the caller's environment.
func (c Config) claudeRoot(t Teammate) string {
	if t.DataRoot != "" {
		return t.DataRoot
	}
	env := c.environ()
	if v := env["CLAUDE_CONFIG_DIR"]; isAbs(v) {
		return filepath.Clean(v)
	}
	if h := env["HOME"]; isAbs(h) {
		return filepath.Join(h, ".claude")
	}
	return ""
}

// codexHome is $CODEX_HOME, else ~/.codex ("" when unknown).
func (c Config) codexHome() string {
	env := c.environ()
	if v := env["CODEX_HOME"]; isAbs(v) {
		return filepath.Clean(v)
	}
	if h := env["HOME"]; isAbs(h) {
		return filepath.Join(h, ".codex")
	}
	return ""
}

// geminiDir is Gemini CLI's state directory: $GEMINI_CLI_HOME/.gemini,
// else ~/.gemini ("" when unknown).
func (c Config) geminiDir() string {
	env := c.environ()
	for _, k := range []string{"GEMINI_CLI_HOME", "HOME"} {
		if v := env[k]; isAbs(v) {
			return filepath.Join(v, ".gemini")
		}
	}
	return ""
}

// claudeFlags are Claude Code's session flags for this launch.
func (s session) claudeFlags() []string {
	switch {
	case s.resume:
		return []string{"--resume", s.id}
	case s.id != "":
		return []string{"--session-id", s.id}
	}
	return nil
}

// instructions is the first prompt of a non-claude teammate: the full
// instruction on a fresh launch, a short one after a resume.
func (s session) instructions(t Teammate) string {
	if s.resume {
		return resumeInstructions(t)
	}
	return instructions(t)
}
