package protocol

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fixedClock returns a clock that starts at a fixed instant and advances by
// one millisecond per call.
func fixedClock() func() time.Time {
	var n atomic.Int64
	base := time.Date(2026, 1, 2, 3, 4, 5, 678_000_000, time.UTC)
	return func() time.Time { return base.Add(time.Duration(n.Add(1)-1) * time.Millisecond) }
}

// seqIDs returns an id source yielding UUID-shaped ids ...-000000000001,
// ...-000000000002, ...
func seqIDs() func() string {
	var n atomic.Int64
	return func() string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", n.Add(1)) }
}

// newTeam returns a store on a temp root with team "t1" (lead only) or the
// given teammates added.
func newTeam(t testing.TB, teammates ...string) *Store {
	t.Helper()
	s := NewStore(t.TempDir(), WithClock(fixedClock()), WithIDSource(seqIDs()))
	if _, err := s.CreateTeam("t1", "test team", Member{Model: "opus", Cwd: "/work"}); err != nil {
		t.Fatal(err)
	}
	for _, name := range teammates {
		if _, err := s.AddMember("t1", Member{Name: name, Model: "sonnet", Prompt: "do " + name, Cwd: "/work"}); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// snapshot returns every regular file under root and its content (locks and
// directories excluded), to prove an operation changed nothing.
func snapshot(t testing.TB, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			out[strings.TrimPrefix(path, root)] = string(data)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sameSnapshot(t testing.TB, before, after map[string]string) {
	t.Helper()
	var diff []string
	for k, v := range before {
		if after[k] != v {
			diff = append(diff, "changed or removed "+k)
		}
	}
	for k := range after {
		if _, ok := before[k]; !ok {
			diff = append(diff, "added "+k)
		}
	}
	sort.Strings(diff)
	if len(diff) > 0 {
		t.Errorf("files changed: %v", diff)
	}
}

func readJSONMap(t testing.TB, path string) map[string]any {
	t.Helper()
	var m map[string]any
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

// topKeys returns the keys of the JSON object data in order.
func topKeys(t testing.TB, data []byte) []string {
	t.Helper()
	o, err := decodeObject(data)
	if err != nil {
		t.Fatal(err)
	}
	return o.keys
}

func lockDirs(t testing.TB, root string) []string {
	t.Helper()
	var out []string
	_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() && strings.HasSuffix(path, ".lock") {
			out = append(out, path)
		}
		return nil
	})
	return out
}
