package protocol

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
)

// Task statuses on disk, in the only order a task may move through them.
// StatusDeleted is not stored: setting it removes the task.
const (
	StatusPending    = "pending"
	StatusInProgress = "in_progress"
	StatusCompleted  = "completed"
	StatusDeleted    = "deleted"
)

// statusRank orders the stored statuses; unknown ones are -1.
func statusRank(s string) int {
	switch s {
	case StatusPending:
		return 0
	case StatusInProgress:
		return 1
	case StatusCompleted:
		return 2
	}
	return -1
}

// Task is R/tasks/<team>/<id>.json (PROTOCOL.md §7), fields in Claude
// Code's order. Extra keeps keys we do not know.
type Task struct {
	ID          string         `json:"id"`
	Subject     string         `json:"subject"`
	Description string         `json:"description"`
	ActiveForm  string         `json:"activeForm,omitempty"`
	Status      string         `json:"status"`
	Blocks      []string       `json:"blocks"`
	BlockedBy   []string       `json:"blockedBy"`
	Owner       string         `json:"owner,omitempty"`
	Metadata    map[string]any `json:"metadata,omitempty"`

	Extra map[string]json.RawMessage `json:"-"`

	extraKeys []string
}

type plainTask Task

var taskFields = jsonFields(reflect.TypeFor[plainTask]())

// MarshalJSON encodes the task in Claude Code's field order (nil blocks and
// blockedBy as []), then its unknown keys.
func (t Task) MarshalJSON() ([]byte, error) {
	p := plainTask(t)
	if p.Blocks == nil {
		p.Blocks = []string{}
	}
	if p.BlockedBy == nil {
		p.BlockedBy = []string{}
	}
	return encodeWithExtra(p, taskFields, t.extraKeys, t.Extra)
}

// UnmarshalJSON decodes a task, keeping unknown keys. A numeric id (as
// some writers store it) is read as its decimal string.
func (t *Task) UnmarshalJSON(data []byte) error {
	o, err := decodeObject(data)
	if err != nil {
		return err
	}
	if raw, ok := o.vals["id"]; ok && len(raw) > 0 && raw[0] != '"' {
		var n json.Number
		if err := json.Unmarshal(raw, &n); err == nil {
			q := strconv.Quote(n.String())
			o.vals["id"] = json.RawMessage(q)
		}
	}
	var p plainTask
	keys, extra, err := o.split(&p, taskFields)
	if err != nil {
		return err
	}
	*t = Task(p)
	t.Extra, t.extraKeys = extra, keys
	return nil
}

// Finished reports whether the task no longer blocks others.
func (t Task) Finished() bool { return t.Status == StatusCompleted }

// DecodeTask parses a task file. It checks that the id is a valid task id
// and the status one of pending, in_progress and completed.
func DecodeTask(data []byte) (Task, error) {
	var t Task
	if err := json.Unmarshal(data, &t); err != nil {
		return Task{}, err
	}
	if err := ValidateTaskID(t.ID); err != nil {
		return Task{}, err
	}
	if statusRank(t.Status) < 0 {
		return Task{}, fmt.Errorf("task %s: unknown status %q", t.ID, t.Status)
	}
	return t, nil
}

// TaskInput is what CreateTask needs.
type TaskInput struct {
	Subject     string
	Description string
	ActiveForm  string
	Metadata    map[string]any
}

// TaskUpdate is a change to one task. Nil pointers leave a field as it
// is. Status "deleted" removes the task and every reference to it (other
// fields are then ignored).
type TaskUpdate struct {
	Status      *string
	Owner       *string // "" clears the owner
	Subject     *string
	Description *string
	ActiveForm  *string
	// AddBlocks lists tasks this task blocks; AddBlockedBy tasks that
	// block it. Both sides of each edge are written.
	AddBlocks    []string
	AddBlockedBy []string
	// Metadata merges key by key; a nil value deletes the key.
	Metadata map[string]any
	// By is who makes the change; it is the assignedBy of the
	// task_assignment sent when the owner changes (default team-lead).
	By string
	// Check, when set, is called under the task list lock with the task
	// as it is before the change; an error refuses the update (nothing is
	// written) and is returned as is. A teammate's permissions are
	// checked here, where no other writer can change the owner meanwhile.
	Check func(cur Task) error
}

// Ptr returns a pointer to v, for TaskUpdate's optional fields.
func Ptr[T any](v T) *T { return &v }
