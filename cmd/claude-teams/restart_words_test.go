package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/f9449b24/claude-teams/protocol"
	"github.com/f9449b24/claude-teams/supervisor/statussock"
)

// restartWord is one row of testdata/protocol/restart_words.json, the
// table every entry point of a restart policy is run against (the spawn
// tool's run is mcp's TestSpawnRestartWords).
type restartWord struct {
	Word string `json:"word"`
	OK   bool   `json:"ok"`
}

func restartWords(t *testing.T) []restartWord {
	t.Helper()
	b, err := os.ReadFile("../../testdata/protocol/restart_words.json")
	if err != nil {
		t.Fatal(err)
	}
	var words []restartWord
	if err := json.Unmarshal(b, &words); err != nil {
		t.Fatal(err)
	}
	return words
}

// TestRestartPolicyEntryPoints runs each word through the environment, the
// serve flag, the parser and the status socket: all accept and refuse the
// same words, and every refusal names the word.
func TestRestartPolicyEntryPoints(t *testing.T) {
	cfg, _ := cliWorld(t)
	path := statussock.SocketPath(cfg.DataRoot, "alpha", os.Getuid(), strings.TrimPrefix(cfg.Environ[0], "XDG_RUNTIME_DIR="))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c, err := statussock.DialSocket(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, w := range restartWords(t) {
		entries := map[string]error{}
		_, entries["env"] = loadConfig([]string{"HOME=" + t.TempDir(), "CLAUDE_TEAMS_RESTART=" + w.Word})
		_, entries["flag"] = serveConfig([]string{"-restart", w.Word}, io.Discard, []string{"HOME=" + t.TempDir()})
		_, entries["parser"] = protocol.ParseRestartPolicy(w.Word)
		_, entries["socket"] = c.Spawn(ctx, "alpha", protocol.Member{Name: "w2"}, protocol.RestartPolicy(w.Word))
		for entry, err := range entries {
			if w.OK != (err == nil) {
				t.Errorf("%s %q: err = %v, want ok=%v", entry, w.Word, err, w.OK)
			}
			if err != nil && !strings.Contains(err.Error(), `"`+w.Word+`"`) {
				t.Errorf("%s %q: error %q does not name the word", entry, w.Word, err)
			}
		}
	}
}
