package protocol

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.json")
	s := NewStore(dir)
	for _, content := range []string{"one", "two"} {
		if err := s.writeAtomic(path, []byte(content)); err != nil {
			t.Fatal(err)
		}
		if got, _ := os.ReadFile(path); string(got) != content {
			t.Errorf("content = %q, want %q", got, content)
		}
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v", fi.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temp files left: %v", entries)
	}
	if err := s.writeAtomic(filepath.Join(dir, "no", "x"), nil); err == nil {
		t.Error("write into a missing directory succeeded")
	}
}

func TestCreateExclusive(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.json")
	if err := createExclusive(path, []byte("[]")); err != nil {
		t.Fatal(err)
	}
	if err := createExclusive(path, []byte("other")); !errors.Is(err, fs.ErrExist) {
		t.Errorf("second create = %v, want ErrExist", err)
	}
	if got, _ := os.ReadFile(path); string(got) != "[]" {
		t.Errorf("content = %q", got)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("temp files left: %v", entries)
	}
}

func TestStaleTempsRemovedUnderLock(t *testing.T) {
	s := newTeam(t, "w1")
	orphan := filepath.Join(s.InboxDir("t1"), ".w1.json.tmp-12345")
	other := filepath.Join(s.InboxDir("t1"), ".w2.json.tmp-12345")
	for _, p := range []string{orphan, other} {
		if err := os.WriteFile(p, []byte("[{"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Send("t1", "w1", Message{From: LeadName, Text: "x"}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(orphan); !os.IsNotExist(err) {
		t.Error("orphan temp of w1 not removed")
	}
	if _, err := os.Stat(other); err != nil {
		t.Error("temp of another file removed")
	}
	// Under the task list lock every temp of ours in the tasks dir is an orphan.
	taskTemp := filepath.Join(s.TasksDir("t1"), ".3.json.tmp-999")
	if err := os.WriteFile(taskTemp, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateTask("t1", TaskInput{Subject: "x"}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(taskTemp); !os.IsNotExist(err) {
		t.Error("orphan task temp not removed")
	}
}

func TestJSONFileHelpers(t *testing.T) {
	s := NewStore(t.TempDir())
	path := filepath.Join(s.Root(), "own", "deep", "state.json")
	type state struct {
		N    int    `json:"n"`
		Note string `json:"note"`
	}
	if err := WriteJSONFile(path, state{N: 1, Note: "<&>"}); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	if string(data) != "{\n  \"n\": 1,\n  \"note\": \"<&>\"\n}" {
		t.Errorf("file = %q", data)
	}
	for _, p := range []string{filepath.Dir(path), filepath.Dir(filepath.Dir(path))} {
		if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o700 {
			t.Errorf("%s mode %v", p, fi.Mode().Perm())
		}
	}
	st, err := UpdateJSON(s, path, func(c *state) error {
		c.N++
		return nil
	})
	if err != nil || st.N != 2 {
		t.Fatalf("UpdateJSON = %+v, %v", st, err)
	}
	boom := errors.New("boom")
	if _, err := UpdateJSON(s, path, func(c *state) error { c.N = 99; return boom }); !errors.Is(err, boom) {
		t.Errorf("UpdateJSON refused = %v", err)
	}
	var got state
	if err := ReadJSONFile(path, &got); err != nil || got.N != 2 {
		t.Errorf("after update: %+v, %v", got, err)
	}
	if err := ReadJSONFile(filepath.Join(s.Root(), "none.json"), &got); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadJSONFile(missing) = %v", err)
	}
	os.WriteFile(path, []byte("{"), 0o600)
	if err := ReadJSONFile(path, &got); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), path) {
		t.Errorf("ReadJSONFile(corrupt) = %v", err)
	}
}
