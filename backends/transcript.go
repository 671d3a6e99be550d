package backends

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"unicode/utf16"
)

// claudeSlugMax is Claude Code's limit for a project directory name; a
// longer slug is cut and gets a hash of the path.
const claudeSlugMax = 200

// ClaudeProjectSlug is the directory name Claude Code (2.1.197, 2.1.332)
// gives the project of cwd under <config dir>/projects: every UTF-16 code
// unit that is not an ASCII letter or digit becomes '-' (so "ü" gives one
// '-', an emoji two); beyond 200 units the slug is cut and
// "-<base36 of |Java-style hash of cwd|>" appended. cwd must be the real
// path (Claude Code resolves symlinks).
func ClaudeProjectSlug(cwd string) string {
	units := utf16.Encode([]rune(cwd))
	b := make([]byte, len(units))
	var h int32
	for i, u := range units {
		h = h*31 + int32(u)
		if u < 0x80 && (u >= 'a' && u <= 'z' || u >= 'A' && u <= 'Z' || u >= '0' && u <= '9') {
			b[i] = byte(u)
		} else {
			b[i] = '-'
		}
	}
	if len(b) <= claudeSlugMax {
		return string(b)
	}
	abs := int64(h)
	if abs < 0 {
		abs = -abs
	}
	return string(b[:claudeSlugMax]) + "-" + strconv.FormatInt(abs, 36)
}

// ClaudeTranscript returns the path of Claude Code's transcript of session
// id for a teammate with working directory cwd and state directory root
// (CLAUDE_CONFIG_DIR, or ~/.claude). Symlinks in cwd are resolved first.
func ClaudeTranscript(root, cwd, id string) string {
	if real, err := filepath.EvalSymlinks(cwd); err == nil {
		cwd = real
	}
	return filepath.Join(root, "projects", ClaudeProjectSlug(cwd), id+".jsonl")
}

// claudeResumable looks for the transcript of id with a user or assistant
// entry. For a long cwd, other builds hash the path differently
// (Bun.hash), so the cut slug with any hash is accepted too, as 2.1.332
// itself does.
func claudeResumable(root, cwd, id string) (bool, string) {
	if root == "" {
		return false, "the Claude Code state directory is unknown"
	}
	path := ClaudeTranscript(root, cwd, id)
	paths := []string{path}
	if slug := filepath.Base(filepath.Dir(path)); len(slug) > claudeSlugMax {
		more, _ := filepath.Glob(filepath.Join(root, "projects", globQuote(slug[:claudeSlugMax])+"-*", id+".jsonl"))
		paths = append(paths, more...)
	}
	why := ""
	for _, p := range paths {
		ok, err := scanLines(p, claudeTurn)
		if ok {
			return true, ""
		}
		if why == "" {
			why = transcriptWhy(p, err)
		}
	}
	return false, why
}

// claudeTurn matches a transcript line holding a conversation message.
func claudeTurn(line []byte) bool {
	if !bytes.Contains(line, []byte(`"type":"user"`)) && !bytes.Contains(line, []byte(`"type":"assistant"`)) {
		return false
	}
	var e struct {
		Type    string          `json:"type"`
		Message json.RawMessage `json:"message"`
	}
	return json.Unmarshal(line, &e) == nil && (e.Type == "user" || e.Type == "assistant") && len(e.Message) > 0
}

// geminiResumable looks for Gemini CLI's session file of id in the
// project of cwd (~/.gemini/projects.json maps a directory to its short
// name; the file is tmp/<short>/chats/session-<time>-<id[:8]>.jsonl, its
// first record names the session). Gemini writes the file at start with
// only its own context inside a "$set" record and refuses to resume it;
// a top-level user or model message is a real turn.
func geminiResumable(dir, cwd, id string) (bool, string) {
	if dir == "" {
		return false, "the Gemini CLI state directory is unknown (no HOME)"
	}
	if real, err := filepath.EvalSymlinks(cwd); err == nil {
		cwd = real
	}
	var projects struct {
		Projects map[string]string `json:"projects"`
	}
	if err := readSmallJSON(filepath.Join(dir, "projects.json"), &projects); err != nil {
		return false, fmt.Sprintf("gemini has no project for %s: %v", cwd, err)
	}
	short := projects.Projects[cwd]
	if short == "" || short != filepath.Base(short) || short == ".." {
		return false, fmt.Sprintf("gemini has no project for %s in %s", cwd, filepath.Join(dir, "projects.json"))
	}
	pattern := filepath.Join(dir, "tmp", globQuote(short), "chats", "session-*-"+strings.ToLower(id[:8])+".jsonl")
	files, _ := filepath.Glob(pattern)
	for _, f := range files {
		first := true
		mine := false
		ok, _ := scanLines(f, func(line []byte) bool {
			var e struct {
				SessionID string          `json:"sessionId"`
				Type      string          `json:"type"`
				Content   json.RawMessage `json:"content"`
			}
			if json.Unmarshal(line, &e) != nil {
				return false
			}
			if first {
				first, mine = false, strings.EqualFold(e.SessionID, id)
			}
			return mine && (e.Type == "user" || e.Type == "gemini") && len(e.Content) > 0
		})
		if ok {
			return true, ""
		}
	}
	return false, fmt.Sprintf("no Gemini session %s with a turn in %s (a crash before the first turn leaves none)", id, filepath.Dir(pattern))
}

// codexResumable looks for Codex's rollout file of id
// (sessions/YYYY/MM/DD/rollout-<time>-<id>.jsonl) holding a user message.
func codexResumable(home, id string) (bool, string) {
	if home == "" {
		return false, "the Codex home is unknown (no CODEX_HOME or HOME)"
	}
	files, _ := filepath.Glob(filepath.Join(home, "sessions", "*", "*", "*", "rollout-*-"+strings.ToLower(id)+".jsonl"))
	for _, f := range files {
		if ok, _ := scanLines(f, codexUserMessage(nil)); ok {
			return true, ""
		}
	}
	return false, fmt.Sprintf("no Codex rollout of session %s with a turn under %s (a crash before the first turn leaves none)", id, filepath.Join(home, "sessions"))
}

// codexUserMessage matches a rollout line with a user message; with want
// set, only one whose text holds want.
func codexUserMessage(want []byte) func([]byte) bool {
	return func(line []byte) bool {
		if !bytes.Contains(line, []byte(`"response_item"`)) || !bytes.Contains(line, []byte(`"user"`)) {
			return false
		}
		var e struct {
			Type    string `json:"type"`
			Payload struct {
				Type    string `json:"type"`
				Role    string `json:"role"`
				Content []struct {
					Text string `json:"text"`
				} `json:"content"`
			} `json:"payload"`
		}
		if json.Unmarshal(line, &e) != nil || e.Type != "response_item" || e.Payload.Type != "message" || e.Payload.Role != "user" {
			return false
		}
		if want == nil {
			return true
		}
		for _, c := range e.Payload.Content {
			if strings.Contains(c.Text, string(want)) {
				return true
			}
		}
		return false
	}
}

// maxLine is the longest transcript line scanLines decodes; longer lines
// (a huge pasted file) are skipped.
const maxLine = 8 << 20

// scanLines reports whether some line of the regular file path satisfies
// match. It refuses a symlink, FIFO or other non-regular file, and never
// blocks on one.
func scanLines(path string, match func([]byte) bool) (bool, error) {
	f, err := openRegular(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 64<<10)
	var line []byte
	skipping := false
	for {
		chunk, err := r.ReadSlice('\n')
		if !skipping {
			if len(line)+len(chunk) > maxLine {
				skipping, line = true, line[:0]
			} else {
				line = append(line, chunk...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if !skipping && match(bytes.TrimSpace(line)) {
			return true, nil
		}
		line, skipping = line[:0], false
		if err != nil {
			if errors.Is(err, io.EOF) {
				return false, nil
			}
			return false, err
		}
	}
}

// openRegular opens path for reading only if it is a regular file and not
// a symlink.
func openRegular(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return nil, fmt.Errorf("refused %s: it is a symlink", path)
		}
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("refused %s: not a regular file (%s)", path, st.Mode().Type())
	}
	return f, nil
}

// readSmallJSON decodes a regular file of at most 4 MiB.
func readSmallJSON(path string, v any) error {
	f, err := openRegular(path)
	if err != nil {
		return err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, 4<<20))
	if err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}

// transcriptWhy words a failed transcript check for the lead.
func transcriptWhy(path string, err error) string {
	switch {
	case err == nil:
		return fmt.Sprintf("transcript %s holds no turn yet (a crash before the first turn)", path)
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Sprintf("no transcript %s (a crash before the first turn leaves none)", path)
	default:
		return fmt.Sprintf("transcript %s unusable: %v", path, err)
	}
}

// globQuote escapes the glob metacharacters of a literal path part.
func globQuote(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
