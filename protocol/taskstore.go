package protocol

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Task files on disk: one <id>.json per task, the list lock .lock.lock
// (guarding the empty file .lock), and .highwatermark, the highest id ever
// used, so ids are never reused even when every task file is gone.

func (s *Store) listLockFile(team string) string { return filepath.Join(s.TasksDir(team), ".lock") }
func (s *Store) markPath(team string) string {
	return filepath.Join(s.TasksDir(team), ".highwatermark")
}

// taskFileID returns the id of a task file name ("12.json" -> "12").
func taskFileID(name string) (string, bool) {
	id, ok := strings.CutSuffix(name, ".json")
	if !ok || ValidateTaskID(id) != nil {
		return "", false
	}
	return id, true
}

func idNum(id string) int64 {
	n, _ := strconv.ParseInt(id, 10, 64)
	return n
}

func sortIDs(ids []string) {
	slices.SortFunc(ids, func(a, b string) int { return cmp.Compare(idNum(a), idNum(b)) })
}

// taskIDs lists the ids of the task files of team, sorted.
func (s *Store) taskIDs(team string) ([]string, error) {
	entries, err := os.ReadDir(s.TasksDir(team))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list tasks of %s: %w", team, err)
	}
	var ids []string
	for _, e := range entries {
		if id, ok := taskFileID(e.Name()); ok && e.Type().IsRegular() {
			ids = append(ids, id)
		}
	}
	sortIDs(ids)
	return ids, nil
}

// readMark returns the high-water mark (0 when missing or unreadable).
func (s *Store) readMark(team string) int64 {
	data, err := readExisting(s.markPath(team))
	if err != nil {
		return 0
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// readTask reads one task file; a missing file is ErrTaskNotFound, a bad
// one ErrCorrupt. The file name's id wins over the id inside.
func (s *Store) readTask(team, id string) (Task, error) {
	path := s.TaskPath(team, id)
	data, err := readTaskFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Task{}, fmt.Errorf("task %s of team %s: %w", id, team, ErrTaskNotFound)
	}
	if err != nil {
		return Task{}, fmt.Errorf("task %s: %w", id, err)
	}
	t, err := DecodeTask(data)
	if err != nil {
		return Task{}, fmt.Errorf("task %s: %s: %w: %v", id, path, ErrCorrupt, err)
	}
	t.ID = id
	return t, nil
}

// loadTasks reads every task of team, keyed by id, and the sorted ids.
// Files that vanish while we read, and corrupt ones, are skipped: one bad
// file must not stop work on the others (ListTasks sets them aside).
func (s *Store) loadTasks(team string) (map[string]Task, []string, error) {
	all, ids, _, err := s.loadTasksReport(team)
	return all, ids, err
}

// loadTasksReport is loadTasks that also returns the ids of the corrupt
// task files it skipped.
func (s *Store) loadTasksReport(team string) (map[string]Task, []string, []string, error) {
	ids, err := s.taskIDs(team)
	if err != nil {
		return nil, nil, nil, err
	}
	all := make(map[string]Task, len(ids))
	kept := ids[:0]
	var bad []string
	for _, id := range ids {
		t, err := s.readTask(team, id)
		if errors.Is(err, ErrTaskNotFound) {
			continue
		}
		if errors.Is(err, ErrCorrupt) {
			bad = append(bad, id)
			continue
		}
		if err != nil {
			return nil, nil, nil, err
		}
		all[id] = t
		kept = append(kept, id)
	}
	return all, kept, bad, nil
}

// lockTasks takes the per-task locks of ids (sorted, deduplicated) and
// re-reads those tasks into all, now that nobody else can change them.
func (s *Store) lockTasks(t *tx, team string, all map[string]Task, ids []string) error {
	ids = slices.Clone(ids)
	sortIDs(ids)
	ids = slices.Compact(ids)
	for _, id := range ids {
		if err := t.lock(s.TaskPath(team, id)); err != nil {
			return err
		}
		task, err := s.readTask(team, id)
		if err != nil {
			return err
		}
		all[id] = task
	}
	return nil
}

// stageTask stages writing task.
func (s *Store) stageTask(t *tx, team string, task Task) error {
	data, err := marshalFile(task)
	if err != nil {
		return fmt.Errorf("task %s: %w", task.ID, err)
	}
	t.put(s.TaskPath(team, task.ID), data)
	return nil
}

// stageMark stages raising the high-water mark to at least n.
func (s *Store) stageMark(t *tx, team string, n int64) {
	if n > s.readMark(team) {
		t.put(s.markPath(team), []byte(strconv.FormatInt(n, 10)))
	}
}

// resetTasks removes task files left in R/tasks/<team> by an earlier team
// of the same name, raising the high-water mark past them (as Claude
// Code's TeamCreate resets the task list).
func (s *Store) resetTasks(team string) error {
	if err := s.ensureTasksDir(team); err != nil {
		return err
	}
	return s.transform([]string{s.listLockFile(team)}, func(t *tx) error {
		ids, err := s.taskIDs(team)
		if err != nil || len(ids) == 0 {
			return err
		}
		s.stageMark(t, team, idNum(ids[len(ids)-1]))
		for _, id := range ids {
			t.remove(s.TaskPath(team, id))
		}
		return nil
	})
}

// GetTask reads task id of team.
func (s *Store) GetTask(team, id string) (Task, error) {
	if err := ValidateTeamName(team); err != nil {
		return Task{}, err
	}
	if err := ValidateTaskID(id); err != nil {
		return Task{}, err
	}
	return s.readTask(team, id)
}

// ListTasks returns team's tasks sorted by numeric id. Corrupt task files
// are set aside and left out (ListTasksReport says which).
func (s *Store) ListTasks(team string) ([]Task, error) {
	l, err := s.ListTasksReport(team)
	return l.Tasks, err
}

// ReadTasks returns team's sound tasks sorted by numeric id and changes
// nothing: it takes no lock, and a file that does not read as a task is
// left out and left where it is. It is for reports and watchers (status,
// the work watcher, restart notes), which run on every change of the
// directory and so are the first to meet a file some writer is still
// writing in place; only a call that asked for the list (ListTasks) may
// judge a file corrupt and set it aside.
func (s *Store) ReadTasks(team string) ([]Task, error) {
	if err := ValidateTeamName(team); err != nil {
		return nil, err
	}
	all, ids, err := s.loadTasks(team)
	if err != nil {
		return nil, err
	}
	out := make([]Task, 0, len(ids))
	for _, id := range ids {
		out = append(out, all[id])
	}
	return out, nil
}
