package protocol

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// An in-place writer that takes no lock (truncate, then write) shows the
// list an empty task file for a moment. The list must not take that moment
// for corruption and lose the task the writer then finishes. Each case
// failed before the settle and put-back checks: the task ended up in
// corrupt/ and task_get said it did not exist.
func TestTaskSetAsideSparesInPlaceWriter(t *testing.T) {
	for _, c := range []struct {
		name string
		// hook simulates the writer, given the task's path and its bytes.
		hook func(path string, data []byte) func(stage string)
	}{
		{"finishes while the list waits", func(path string, data []byte) func(string) {
			return func(stage string) {
				if stage == "corrupt-settle" {
					if err := os.WriteFile(path, data, 0o600); err != nil {
						t.Error(err)
					}
				}
			}
		}},
		{"finishes through its open file after the move", func(path string, data []byte) func(string) {
			var f *os.File
			return func(stage string) {
				switch {
				case stage == "verified" && f == nil:
					var err error
					if f, err = os.OpenFile(path, os.O_WRONLY, 0); err != nil {
						t.Error(err)
					}
				case stage == "task-set-aside" && f != nil:
					if _, err := f.Write(data); err != nil {
						t.Error(err)
					}
					f.Close()
				}
			}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := newTeam(t)
			mustCreate(t, s, "a", "b")
			path := s.TaskPath("t1", "2")
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(path, 0); err != nil { // the writer has begun
				t.Fatal(err)
			}
			s.hook = c.hook(path, data)
			l, err := s.ListTasksReport("t1")
			s.hook = nil
			if err != nil {
				t.Fatal(err)
			}
			if len(l.SetAside) != 0 {
				t.Errorf("set aside %v, want nothing: the writer finished the file", l.SetAside)
			}
			if got, err := s.GetTask("t1", "2"); err != nil || got.Subject != "b" {
				t.Errorf("task 2 after the list = %+v, %v; want task b", got, err)
			}
			left, err := filepath.Glob(filepath.Join(s.OwnDir("t1"), "corrupt", "task-2.json.*"))
			if err != nil || len(left) != 0 {
				t.Errorf("corrupt/ holds %v, want nothing", left)
			}
		})
	}
}

// ReadTasks, for reports and watchers, never moves a file: a corrupt one
// is left out and left in place for the list to judge.
func TestReadTasksChangesNothing(t *testing.T) {
	s := newTeam(t)
	mustCreate(t, s, "a", "b")
	if err := os.WriteFile(s.TaskPath("t1", "2"), []byte("{oops"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := s.ReadTasks("t1")
	if err != nil || len(got) != 1 || got[0].ID != "1" {
		t.Fatalf("ReadTasks = %+v, %v; want task 1 only", got, err)
	}
	if _, err := s.GetTask("t1", "2"); !errors.Is(err, ErrCorrupt) {
		t.Errorf("task 2 after ReadTasks = %v, want it still there, corrupt", err)
	}
	if _, err := s.ReadTasks("../x"); !errors.Is(err, ErrInvalidName) {
		t.Errorf("ReadTasks(../x) = %v, want ErrInvalidName", err)
	}
}
