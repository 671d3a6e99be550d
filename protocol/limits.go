package protocol

import "encoding/json"

// Limits on what becomes a task file. Every task_list reads every task,
// and metadata nested N deep grows ~N² bytes when indented, so one request
// must not be able to make a file of megabytes. A refusal names the field
// and the limit and wraps ErrInvalidTask.
const (
	// MaxSubjectBytes bounds a task's subject and activeForm.
	MaxSubjectBytes = 4 << 10
	// MaxDescriptionBytes bounds a task's description.
	MaxDescriptionBytes = 64 << 10
	// MaxMetadataBytes bounds a task's metadata, encoded as compact JSON,
	// after an update is merged in.
	MaxMetadataBytes = 64 << 10
	// MaxMetadataDepth bounds how deep metadata nests: the metadata
	// object itself is level 1, {"a":{"b":1}} is 2.
	MaxMetadataDepth = 16
)

// checkTaskText checks the lengths of a task's text fields; nil fields
// are not being set.
func checkTaskText(id string, subject, description, activeForm *string) error {
	for _, f := range []struct {
		name  string
		v     *string
		limit int
	}{
		{"subject", subject, MaxSubjectBytes},
		{"description", description, MaxDescriptionBytes},
		{"activeForm", activeForm, MaxSubjectBytes},
	} {
		if f.v != nil && len(*f.v) > f.limit {
			return invalid("task %s: %s is %d bytes; the limit is %d bytes", id, f.name, len(*f.v), f.limit)
		}
	}
	return nil
}

// checkMetadata checks metadata's depth and encoded size.
func checkMetadata(id string, md map[string]any) error {
	if md == nil {
		return nil
	}
	if d := depth(md, 0); d > MaxMetadataDepth {
		return invalid("task %s: metadata nests more than %d levels deep; the limit is %d levels", id, MaxMetadataDepth, MaxMetadataDepth)
	}
	b, err := json.Marshal(md)
	if err != nil {
		return invalid("task %s: metadata cannot be encoded: %v", id, err)
	}
	if len(b) > MaxMetadataBytes {
		return invalid("task %s: metadata is %d bytes as JSON; the limit is %d bytes", id, len(b), MaxMetadataBytes)
	}
	return nil
}

// depth returns how deep v nests, stopping once past MaxMetadataDepth.
func depth(v any, level int) int {
	if level > MaxMetadataDepth {
		return level
	}
	deepest := level
	switch x := v.(type) {
	case map[string]any:
		deepest = level + 1
		for _, e := range x {
			deepest = max(deepest, depth(e, level+1))
		}
	case []any:
		deepest = level + 1
		for _, e := range x {
			deepest = max(deepest, depth(e, level+1))
		}
	}
	return deepest
}
