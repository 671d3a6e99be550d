package protocol

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// readTaskFile reads a task file, never through a symbolic link: a link
// in the tasks directory is not a task (the listing skips it too, so
// task_get, task_list and task_update agree), and a FIFO never blocks.
func readTaskFile(path string) ([]byte, error) {
	f, err := openRegular(path, os.O_RDONLY, 0, true)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// TaskListing is what ListTasksReport found.
type TaskListing struct {
	// Tasks are the sound tasks, by numeric id.
	Tasks []Task
	// SetAside maps the id of each corrupt task file to where its bytes
	// were moved (OwnDir/corrupt/task-<id>.json.<time>).
	SetAside map[string]string
}

// ListTasksReport returns team's sound tasks sorted by numeric id, and
// sets aside every task file that is not a task (bad JSON, cut short),
// under the list lock and its own, so that one bad file never stops the
// rest of the list from working.
func (s *Store) ListTasksReport(team string) (TaskListing, error) {
	if err := ValidateTeamName(team); err != nil {
		return TaskListing{}, err
	}
	if _, err := os.Stat(s.ConfigPath(team)); errors.Is(err, fs.ErrNotExist) {
		return TaskListing{}, fmt.Errorf("team %s: %w", team, ErrTeamNotFound)
	}
	all, ids, bad, err := s.loadTasksReport(team)
	if err != nil {
		return TaskListing{}, err
	}
	out := TaskListing{Tasks: make([]Task, 0, len(ids))}
	for _, id := range ids {
		out.Tasks = append(out.Tasks, all[id])
	}
	for _, id := range bad {
		to, err := s.setTaskAside(team, id)
		if err != nil {
			return TaskListing{}, err
		}
		if to != "" {
			if out.SetAside == nil {
				out.SetAside = map[string]string{}
			}
			out.SetAside[id] = to
		}
	}
	return out, nil
}

// setTaskAside moves task id's file to OwnDir/corrupt if, under the
// locks, it is still corrupt; it returns where to ("" if it was repaired
// or removed meanwhile).
//
// A writer that takes no lock and writes the file in place (truncate,
// then write: Claude Code 2.1.197 does so with config.json, §10) shows a
// reader an empty or torn file for a moment. So a file is judged corrupt
// only if it stays corrupt and unchanged for corruptSettle, and if the
// bytes moved aside read as a task after all (the writer finished through
// the descriptor it had open), the file is put back.
func (s *Store) setTaskAside(team, id string) (string, error) {
	path := s.TaskPath(team, id)
	var to string
	err := s.transform([]string{s.listLockFile(team), path}, func(t *tx) error {
		if !s.staysCorrupt(team, id) {
			return nil
		}
		stamp := strings.NewReplacer(":", "", "-", "").Replace(FormatTimestamp(time.Now()))
		to = filepath.Join(s.OwnDir(team), "corrupt", fmt.Sprintf("task-%s.json.%s-%s", id, stamp, s.newID()[:8]))
		// Keep the id used: a new task must not take the number.
		s.stageMark(t, team, idNum(id))
		t.rename(path, to)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("set corrupt task %s aside: %w", id, err)
	}
	if to == "" {
		return "", nil
	}
	s.callHook("task-set-aside")
	if s.putBackTask(path, to) {
		return "", nil
	}
	return to, nil
}

// corruptSettle is how long a task file must stay corrupt, and unchanged,
// before it is set aside.
const corruptSettle = 50 * time.Millisecond

// staysCorrupt reports whether task id reads as corrupt now and, unchanged
// (same file, size and modification time), again after corruptSettle.
func (s *Store) staysCorrupt(team, id string) bool {
	path := s.TaskPath(team, id)
	if _, err := s.readTask(team, id); !errors.Is(err, ErrCorrupt) {
		return false
	}
	before, err := os.Lstat(path)
	if err != nil {
		return false
	}
	s.callHook("corrupt-settle")
	time.Sleep(corruptSettle)
	if _, err := s.readTask(team, id); !errors.Is(err, ErrCorrupt) {
		return false
	}
	after, err := os.Lstat(path)
	return err == nil && os.SameFile(before, after) && before.Size() == after.Size() && before.ModTime().Equal(after.ModTime())
}

// putBackTask returns a file set aside to path if its bytes now read as a
// task (a writer finished it after it was judged corrupt), unless a new
// file took path meanwhile (a hard link never replaces one). It reports
// whether the task is back.
func (s *Store) putBackTask(path, to string) bool {
	data, err := readTaskFile(to)
	if err != nil {
		return false
	}
	if _, err := DecodeTask(data); err != nil {
		return false
	}
	if err := os.Link(to, path); err != nil {
		return false
	}
	_ = os.Remove(to)
	_ = syncDir(filepath.Dir(path))
	return true
}
