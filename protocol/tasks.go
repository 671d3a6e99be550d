package protocol

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// CreateTask adds a pending task to team with the next id: one more than
// the highest of every task file's id and the high-water mark, allocated
// under the list lock. Ids are never reused.
func (s *Store) CreateTask(team string, in TaskInput) (Task, error) {
	if err := ValidateTeamName(team); err != nil {
		return Task{}, err
	}
	if strings.TrimSpace(in.Subject) == "" {
		return Task{}, fmt.Errorf("create task: the subject is empty: %w", ErrInvalidTask)
	}
	if err := checkTaskText("(new)", &in.Subject, &in.Description, &in.ActiveForm); err != nil {
		return Task{}, fmt.Errorf("create task: %w", err)
	}
	if err := checkMetadata("(new)", in.Metadata); err != nil {
		return Task{}, fmt.Errorf("create task: %w", err)
	}
	if err := s.ensureTasksDir(team); err != nil {
		return Task{}, fmt.Errorf("create task: %w", err)
	}
	// The id is new under the list lock, and its file is created, never
	// replaced: a task file that appeared under that id anyway (a writer
	// that does not honour our lock) costs the id, not the other task.
	for range maxIDCollisions {
		out, err := s.createTask(team, in)
		if !errors.Is(err, fs.ErrExist) {
			return out, err
		}
	}
	return Task{}, fmt.Errorf("create task: %d new ids in a row were taken by files that appeared under the lock", maxIDCollisions)
}

// maxIDCollisions bounds CreateTask's retries when a new id's file exists.
const maxIDCollisions = 16

func (s *Store) createTask(team string, in TaskInput) (Task, error) {
	var out Task
	err := s.transform([]string{s.listLockFile(team)}, func(t *tx) error {
		if err := s.teamMissing(team); err != nil {
			return err // deleted since ensureTasksDir looked
		}
		ids, err := s.taskIDs(team)
		if err != nil {
			return err
		}
		next := s.readMark(team)
		if len(ids) > 0 {
			next = max(next, idNum(ids[len(ids)-1]))
		}
		next++
		out = Task{
			ID:          strconv.FormatInt(next, 10),
			Subject:     in.Subject,
			Description: in.Description,
			ActiveForm:  in.ActiveForm,
			Status:      StatusPending,
			Blocks:      []string{},
			BlockedBy:   []string{},
			Metadata:    mergeMetadata(nil, in.Metadata),
		}
		// The mark first: a crash between the two skips an id, never
		// reuses one.
		s.stageMark(t, team, next)
		data, err := marshalFile(out)
		if err != nil {
			return fmt.Errorf("task %s: %w", out.ID, err)
		}
		t.create(s.TaskPath(team, out.ID), data)
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrExist) {
		return Task{}, fmt.Errorf("create task: %w", err)
	}
	if err != nil {
		return Task{}, err
	}
	return out, nil
}

// mergeMetadata returns cur with upd merged in: a nil value deletes its
// key. An empty result is nil (the field is then omitted).
func mergeMetadata(cur, upd map[string]any) map[string]any {
	if len(upd) == 0 {
		return cur
	}
	out := maps.Clone(cur)
	if out == nil {
		out = map[string]any{}
	}
	for k, v := range upd {
		if v == nil {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func invalid(format string, args ...any) error {
	return fmt.Errorf(format+": %w", append(args, ErrInvalidTask)...)
}

// validateUpdate checks everything about u that needs no file.
func validateUpdate(id string, u TaskUpdate) error {
	if u.Status != nil && *u.Status != StatusDeleted && statusRank(*u.Status) < 0 {
		return invalid("task %s: unknown status %q (use pending, in_progress, completed or deleted)", id, *u.Status)
	}
	if u.Owner != nil && *u.Owner != "" {
		if err := ValidateMemberName(*u.Owner); err != nil {
			return err
		}
	}
	if u.Subject != nil && strings.TrimSpace(*u.Subject) == "" {
		return invalid("task %s: the subject cannot be empty", id)
	}
	if err := checkTaskText(id, u.Subject, u.Description, u.ActiveForm); err != nil {
		return err
	}
	if err := checkMetadata(id, u.Metadata); err != nil {
		return err
	}
	for _, x := range slices.Concat(u.AddBlocks, u.AddBlockedBy) {
		if err := ValidateTaskID(x); err != nil {
			return err
		}
		if x == id {
			return invalid("task %s cannot block itself", id)
		}
	}
	return nil
}

// UpdateTask changes task id of team (PROTOCOL.md §7). Everything is
// checked before anything is written, so a refused update (ErrInvalidTask,
// ErrTaskNotFound, ErrMemberNotFound, a *NameError) changes nothing.
//
//   - status moves forward only (pending, in_progress, completed); a task
//     cannot start or complete while a blocker that exists is unfinished;
//     completing removes it from every other task's blockedBy;
//   - status "deleted" removes the file and every reference to it and
//     raises the high-water mark; it returns the task as it was, with
//     status "deleted";
//   - new edges are written on both tasks; self references, missing ids
//     and edges that close a cycle are refused;
//   - setting a new, non-empty owner (a member of the team) sends them a
//     task_assignment from u.By;
//   - metadata merges key by key, nil deleting a key.
func (s *Store) UpdateTask(team, id string, u TaskUpdate) (Task, error) {
	ch, err := s.ChangeTask(team, id, u)
	return ch.Task, err
}

// TaskChange is the outcome of ChangeTask.
type TaskChange struct {
	Task Task // the task as written (status "deleted" for a removed one)
	// Corrupt is the path the bytes of the new owner's corrupt inbox were
	// moved to before the task_assignment went to a fresh one; "" if it
	// was sound (or no assignment was sent).
	Corrupt string
}

// ChangeTask is UpdateTask that also reports an inbox found corrupt and
// set aside.
func (s *Store) ChangeTask(team, id string, u TaskUpdate) (TaskChange, error) {
	if err := ValidateTeamName(team); err != nil {
		return TaskChange{}, err
	}
	if err := ValidateTaskID(id); err != nil {
		return TaskChange{}, err
	}
	if err := validateUpdate(id, u); err != nil {
		return TaskChange{}, err
	}
	if u.By == "" {
		u.By = LeadName
	}
	deleting := u.Status != nil && *u.Status == StatusDeleted
	if u.Owner != nil && *u.Owner != "" && !deleting {
		cfg, err := s.readConfigSettled(team)
		if err != nil {
			return TaskChange{}, err
		}
		if _, ok := cfg.FindMember(*u.Owner); !ok {
			return TaskChange{}, fmt.Errorf("task %s: owner %s is not a member of team %s: %w", id, *u.Owner, team, ErrMemberNotFound)
		}
	}
	if err := s.ensureTasksDir(team); err != nil {
		return TaskChange{}, err
	}
	var out TaskChange
	err := s.transform([]string{s.listLockFile(team)}, func(t *tx) error {
		all, _, err := s.loadTasks(team)
		if err != nil {
			return err
		}
		if _, ok := all[id]; !ok {
			return fmt.Errorf("task %s of team %s: %w", id, team, ErrTaskNotFound)
		}
		if u.Check != nil {
			if err := u.Check(all[id]); err != nil {
				return err
			}
		}
		if deleting {
			out.Task, err = s.stageDelete(t, team, id, all)
			return err
		}
		out.Task, out.Corrupt, err = s.stageUpdate(t, team, id, u, all)
		return err
	})
	if err != nil {
		return TaskChange{}, fmt.Errorf("update task %s: %w", id, err)
	}
	return out, nil
}

// referrers returns the ids of tasks other than id that mention id in
// blocks (or, with blockedBy, in blockedBy).
func referrers(all map[string]Task, id string, blocks, blockedBy bool) []string {
	var out []string
	for x, t := range all {
		if x != id && (blocks && slices.Contains(t.Blocks, id) || blockedBy && slices.Contains(t.BlockedBy, id)) {
			out = append(out, x)
		}
	}
	return out
}

func (s *Store) stageDelete(t *tx, team, id string, all map[string]Task) (Task, error) {
	refs := referrers(all, id, true, true)
	if err := s.lockTasks(t, team, all, append(refs, id)); err != nil {
		return Task{}, err
	}
	maxID := idNum(id)
	for x := range all {
		maxID = max(maxID, idNum(x))
	}
	s.stageMark(t, team, maxID)
	for _, x := range refs {
		r := all[x]
		r.Blocks = without(r.Blocks, id)
		r.BlockedBy = without(r.BlockedBy, id)
		if err := s.stageTask(t, team, r); err != nil {
			return Task{}, err
		}
	}
	t.remove(s.TaskPath(team, id))
	gone := all[id]
	gone.Status = StatusDeleted
	return gone, nil
}

func without(list []string, id string) []string {
	out := slices.DeleteFunc(slices.Clone(list), func(x string) bool { return x == id })
	if out == nil {
		return []string{}
	}
	return out
}
