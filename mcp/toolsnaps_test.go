package mcp_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/mcp/toolsnaps from the current tools")

const snapDir = "../testdata/mcp/toolsnaps"

// TestToolSnapshots keeps one JSON file per tool (name, description, input
// and output schema, annotations) so that every change to the public
// surface shows up in review. Run go test ./mcp -run TestToolSnapshots
// -update to accept a change.
func TestToolSnapshots(t *testing.T) {
	h := newHarness(t, harnessOpts{sup: newFakeSupervisor()})
	res, err := h.client.ListTools(t.Context(), listToolsReq())
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.MkdirAll(snapDir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	for _, tool := range res.Tools {
		seen[tool.Name+".json"] = true
		// The backends paragraph is the backends package's surface, tested
		// there; the snapshot keeps only where it goes.
		tool.Description = strings.ReplaceAll(tool.Description, testBackends.Describe(), "{{backends.Config.Describe}}")
		raw, err := json.Marshal(tool)
		if err != nil {
			t.Fatal(err)
		}
		var pretty bytes.Buffer
		if err := json.Indent(&pretty, raw, "", "  "); err != nil {
			t.Fatal(err)
		}
		pretty.WriteByte('\n')
		path := filepath.Join(snapDir, tool.Name+".json")
		if *update {
			if err := os.WriteFile(path, pretty.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("%s: no snapshot (run with -update): %v", tool.Name, err)
			continue
		}
		if !bytes.Equal(want, pretty.Bytes()) {
			t.Errorf("%s: schema differs from %s (run with -update if deliberate):\n%s", tool.Name, path, pretty.String())
		}
	}
	entries, err := os.ReadDir(snapDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !seen[e.Name()] {
			if *update {
				_ = os.Remove(filepath.Join(snapDir, e.Name()))
				continue
			}
			t.Errorf("snapshot %s has no tool (run with -update)", e.Name())
		}
	}
}

// TestToolAnnotations checks the hints every tool must state: Codex runs a
// tool unattended only when it is read-only, or neither destructive nor
// open-world.
func TestToolAnnotations(t *testing.T) {
	readOnly := []string{"read_config", "task_list", "task_get", "team_status"}
	destructive := []string{"team_delete", "force_kill_teammate", "process_shutdown_approved", "restart_teammate"}
	h := newHarness(t, harnessOpts{sup: newFakeSupervisor()})
	res, err := h.client.ListTools(t.Context(), listToolsReq())
	if err != nil {
		t.Fatal(err)
	}
	for _, tool := range res.Tools {
		a := tool.Annotations
		if a.ReadOnlyHint == nil || a.DestructiveHint == nil || a.IdempotentHint == nil || a.OpenWorldHint == nil || a.Title == "" {
			t.Errorf("%s: annotations not all explicit: %+v", tool.Name, a)
			continue
		}
		if *a.OpenWorldHint {
			t.Errorf("%s: openWorldHint true", tool.Name)
		}
		if got, want := *a.ReadOnlyHint, slices.Contains(readOnly, tool.Name); got != want {
			t.Errorf("%s: readOnlyHint %v, want %v", tool.Name, got, want)
		}
		if got, want := *a.DestructiveHint, slices.Contains(destructive, tool.Name); got != want {
			t.Errorf("%s: destructiveHint %v, want %v", tool.Name, got, want)
		}
		if tool.Description == "" || !strings.HasSuffix(strings.TrimSpace(tool.Description), ".") {
			t.Errorf("%s: description %q", tool.Name, tool.Description)
		}
		if tool.RawOutputSchema == nil && tool.OutputSchema.Type == "" {
			t.Errorf("%s: no output schema", tool.Name)
		}
	}
}
