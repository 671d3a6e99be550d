package mcp

import "encoding/json"

// schema is a JSON Schema fragment. Output schemas are written by hand with
// the helpers below rather than generated from Go types: every object stays
// open (no additionalProperties: false), because messages, tasks and configs
// carry keys written by Claude Code that we keep but do not know, and a
// client that validates structuredContent (the TypeScript SDK does) must
// never reject a result for them.
type schema map[string]any

func str(desc string) schema     { return schema{"type": "string", "description": desc} }
func boolean(desc string) schema { return schema{"type": "boolean", "description": desc} }
func integer(desc string) schema { return schema{"type": "integer", "description": desc} }

// nullable widens s to also accept null.
func nullable(s schema) schema {
	out := schema{}
	for k, v := range s {
		out[k] = v
	}
	out["type"] = []string{s["type"].(string), "null"}
	return out
}

func array(desc string, items schema) schema {
	return schema{"type": "array", "description": desc, "items": items}
}

// object is an open object schema with the given properties, of which
// required must be present.
func object(desc string, props map[string]schema, required ...string) schema {
	s := schema{"type": "object", "properties": props}
	if desc != "" {
		s["description"] = desc
	}
	if len(required) > 0 {
		s["required"] = required
	}
	return s
}

// anyObject is an object whose keys are not described.
func anyObject(desc string) schema { return schema{"type": "object", "description": desc} }

// raw marshals s for mcp.WithRawOutputSchema. Map keys marshal sorted, so the
// bytes are stable for the schema snapshots.
func (s schema) raw() json.RawMessage {
	b, err := json.Marshal(s)
	if err != nil {
		// Only maps, strings and slices of them: cannot fail.
		return json.RawMessage(`{"type":"object"}`)
	}
	return b
}

// listOf is the output schema of a tool that returns a JSON array: MCP
// requires structuredContent to be an object, so the array is wrapped as
// {"result": [...]} (as FastMCP, which the Python server uses, does) while
// the text content is the array itself.
func listOf(desc string, items schema) schema {
	return object("", map[string]schema{"result": array(desc, items)}, "result")
}

// Shared item schemas.
var (
	messageSchema = object("An inbox entry as stored (unknown keys are kept).", map[string]schema{
		"from":      str("Sender name."),
		"text":      str("Message text; structured protocol messages are compact JSON."),
		"summary":   str("Short preview."),
		"timestamp": str("UTC, milliseconds, RFC 3339."),
		"color":     str("Sender colour."),
		"read":      boolean("Whether the entry was already read."),
		"type":      str(`Entry type, always "message".`),
		"msg_id":    str("Message id."),
		"msgV":      integer("Entry format version."),
	}, "from", "text", "timestamp")

	taskSchema = object("A task as stored (unknown keys are kept).", map[string]schema{
		"id":          str("Task id (decimal)."),
		"subject":     str("Short title."),
		"description": str("What to do."),
		"activeForm":  str("Present-continuous form shown while in progress."),
		"status":      str("pending, in_progress or completed."),
		"blocks":      array("Ids of tasks this one blocks.", str("")),
		"blockedBy":   array("Ids of tasks blocking this one.", str("")),
		"owner":       str("Member that owns the task."),
		"metadata":    anyObject("Free-form metadata."),
	}, "id", "subject", "status")
)
