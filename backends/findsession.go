package backends

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"time"
)

// ErrSessionNotFound is returned (wrapped) by Config.FindSession when no
// session of the teammate is found (yet).
var ErrSessionNotFound = errors.New("backends: session not found")

// FindSession returns the session id a CLI chose itself for teammate t
// (validated, as Launch does it), whose launch started at or after since.
// Codex and opencode pick their own ids:
//
//   - codex: it scans $CODEX_HOME/sessions for rollout files written since
//     then, whose session_meta names t's working directory and whose first
//     turn is t's instruction (it names the agent id), and returns the
//     newest one's;
//   - opencode: its sessions live in its SQLite database, so it runs the
//     opencode binary (`opencode session list`, then `opencode export` of
//     each candidate; see opencodesession.go) and returns the oldest
//     session since then in t's directory, not a subagent's, whose first
//     user message is t's instruction. An attached teammate's is asked of
//     the server at OPENCODE_SERVER_URL over its HTTP API (also titled
//     with t's agent id; see opencodeserver.go).
//
// Call it after the first turn (before it, the CLI may have written
// nothing); it can take seconds, so not on a hot path. For claude, gemini
// and command backends Launch.SessionID is already the id, and it fails
// with ErrSessionNotFound saying so.
func (c Config) FindSession(backend string, t Teammate, since time.Time) (string, error) {
	return c.FindSessionContext(context.Background(), backend, t, since)
}

// FindSessionContext is FindSession; the helper processes it runs
// (opencode) end when ctx does.
func (c Config) FindSessionContext(ctx context.Context, backend string, t Teammate, since time.Time) (string, error) {
	t, err := validateTeammate(t)
	if err != nil {
		return "", fmt.Errorf("find session: %w", err)
	}
	switch backend {
	case Codex:
		return findCodexSession(c.codexHome(), t, since)
	case OpenCode:
		return c.findOpenCodeSession(ctx, t, since)
	}
	return "", fmt.Errorf("find session: %w: %s takes the id we choose (Launch.SessionID)", ErrSessionNotFound, backend)
}

func findCodexSession(home string, t Teammate, since time.Time) (string, error) {
	if home == "" {
		return "", fmt.Errorf("find session: %w: the Codex home is unknown (no CODEX_HOME or HOME)", ErrSessionNotFound)
	}
	cwd := t.Cwd
	if real, err := filepath.EvalSymlinks(cwd); err == nil {
		cwd = real
	}
	marker := []byte("(agent id " + t.AgentID + ")")
	var best string
	var bestTime time.Time
	root := filepath.Join(home, "sessions")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == root {
				return err
			}
			return nil // an unreadable day directory: skip it
		}
		if d.IsDir() {
			return nil
		}
		name := d.Name()
		if !d.Type().IsRegular() || !strings.HasPrefix(name, "rollout-") || !strings.HasSuffix(name, ".jsonl") {
			return nil
		}
		info, err := d.Info()
		if err != nil || info.ModTime().Before(since) {
			return nil
		}
		id, ok := codexRolloutOf(path, cwd, marker)
		if ok && (best == "" || info.ModTime().After(bestTime)) {
			best, bestTime = id, info.ModTime()
		}
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("find session: %s: %w", root, err)
	}
	if best == "" {
		return "", fmt.Errorf("find session: %w: no Codex rollout under %s since %s for %s in %s", ErrSessionNotFound, root, since.Format(time.RFC3339), t.AgentID, cwd)
	}
	return best, nil
}

// codexRolloutOf reads a rollout file: its session_meta must name cwd and
// a user message must hold marker. It returns the session id.
func codexRolloutOf(path, cwd string, marker []byte) (string, bool) {
	var id string
	meta := false
	userMsg := codexUserMessage(marker)
	found, _ := scanLines(path, func(line []byte) bool {
		if !meta {
			var e struct {
				Type    string `json:"type"`
				Payload struct {
					ID  string `json:"id"`
					Cwd string `json:"cwd"`
				} `json:"payload"`
			}
			if json.Unmarshal(line, &e) == nil && e.Type == "session_meta" {
				meta = true
				if e.Payload.Cwd == cwd && uuidRE.MatchString(e.Payload.ID) {
					id = e.Payload.ID
				}
				return id == "" // not ours: stop reading
			}
			return false
		}
		return id != "" && userMsg(line)
	})
	return id, found && id != ""
}
