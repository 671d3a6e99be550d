package protocol

import (
	"encoding/json"
	"fmt"
	"time"
)

// Structured protocol messages (PROTOCOL.md §6) travel as compact JSON in
// an entry's text, "type" first. Field sets are exactly Claude Code's: it
// parses some of them strictly.

// Structured message types.
const (
	TypeTaskAssignment       = "task_assignment"
	TypeShutdownRequest      = "shutdown_request"
	TypeShutdownApproved     = "shutdown_approved"
	TypeShutdownRejected     = "shutdown_rejected"
	TypeIdleNotification     = "idle_notification"
	TypePlanApprovalRequest  = "plan_approval_request"
	TypePlanApprovalResponse = "plan_approval_response"
	TypePermissionRequest    = "permission_request"
	TypePermissionResponse   = "permission_response"
)

// TaskAssignment tells a member it now owns a task. Exactly these fields.
type TaskAssignment struct {
	TaskID      string `json:"taskId"`
	Subject     string `json:"subject"`
	Description string `json:"description"`
	AssignedBy  string `json:"assignedBy"`
	Timestamp   string `json:"timestamp"`
}

// ShutdownRequest asks a teammate to shut down (sent by the lead).
type ShutdownRequest struct {
	RequestID string `json:"requestId"` // shutdown-<ms>@<name>, see ShutdownRequestID
	From      string `json:"from"`
	Reason    string `json:"reason"`
	Timestamp string `json:"timestamp"`
}

// ShutdownApproved is a teammate's yes to a ShutdownRequest.
type ShutdownApproved struct {
	RequestID   string `json:"requestId"`
	From        string `json:"from"`
	Timestamp   string `json:"timestamp"`
	PaneID      string `json:"paneId"`
	BackendType string `json:"backendType"`
}

// ShutdownRejected is a teammate's no to a ShutdownRequest.
type ShutdownRejected struct {
	RequestID string `json:"requestId"`
	From      string `json:"from"`
	Reason    string `json:"reason"`
	Timestamp string `json:"timestamp"`
}

// Idle reasons of an IdleNotification.
const (
	IdleAvailable   = "available"
	IdleInterrupted = "interrupted"
	IdleFailed      = "failed"
)

// IdleNotification is what a native teammate sends after each turn.
type IdleNotification struct {
	From            string `json:"from"`
	Timestamp       string `json:"timestamp"`
	IdleReason      string `json:"idleReason"`
	Summary         string `json:"summary,omitempty"`
	CompletedTaskID string `json:"completedTaskId,omitempty"`
	CompletedStatus string `json:"completedStatus,omitempty"`
	FailureReason   string `json:"failureReason,omitempty"`
	Result          string `json:"result,omitempty"`
}

// PlanApprovalRequest is a plan-mode teammate asking the lead to approve
// its plan.
type PlanApprovalRequest struct {
	From         string `json:"from"`
	Timestamp    string `json:"timestamp"`
	PlanFilePath string `json:"planFilePath"`
	PlanContent  string `json:"planContent"`
	RequestID    string `json:"requestId"`
}

// PlanApprovalResponse is the lead's answer to a PlanApprovalRequest, in
// Claude Code's native shape (not the Python server's "plan_approval").
// Native teammates honour it only from an entry whose from is team-lead.
type PlanApprovalResponse struct {
	RequestID      string `json:"requestId"`
	Approved       bool   `json:"approved"`
	Feedback       string `json:"feedback,omitempty"`
	Timestamp      string `json:"timestamp"`
	PermissionMode string `json:"permissionMode,omitempty"`
}

// Unknown is a structured message of a type without a struct here (for
// instance permission_request): its fields, "type" included.
type Unknown map[string]json.RawMessage

// TypeOf returns the structured type name of v, "" if v is not one of the
// structs above.
func TypeOf(v any) string {
	switch v.(type) {
	case TaskAssignment, *TaskAssignment:
		return TypeTaskAssignment
	case ShutdownRequest, *ShutdownRequest:
		return TypeShutdownRequest
	case ShutdownApproved, *ShutdownApproved:
		return TypeShutdownApproved
	case ShutdownRejected, *ShutdownRejected:
		return TypeShutdownRejected
	case IdleNotification, *IdleNotification:
		return TypeIdleNotification
	case PlanApprovalRequest, *PlanApprovalRequest:
		return TypePlanApprovalRequest
	case PlanApprovalResponse, *PlanApprovalResponse:
		return TypePlanApprovalResponse
	}
	return ""
}

// Encode returns v as the compact JSON text of a structured message, with
// "type" as the first field. v must be one of the structs above (or a
// pointer to one); anything else encodes as "".
func Encode(v any) string {
	typ := TypeOf(v)
	if typ == "" {
		return ""
	}
	body, err := marshalCompact(v)
	if err != nil || len(body) < 2 {
		return ""
	}
	head := `{"type":"` + typ + `"`
	if string(body) == "{}" {
		return head + "}"
	}
	return head + "," + string(body[1:])
}

// Decode parses the text of an entry as a structured message. ok is false
// when text is not a JSON object with a string "type". For the known types
// v is the struct (by value); for others it is Unknown.
func Decode(text string) (typ string, v any, ok bool) {
	if len(text) < 2 || text[0] != '{' {
		return "", nil, false
	}
	var head struct {
		Type *string `json:"type"`
	}
	if json.Unmarshal([]byte(text), &head) != nil || head.Type == nil {
		return "", nil, false
	}
	typ = *head.Type
	var target any
	switch typ {
	case TypeTaskAssignment:
		target = &TaskAssignment{}
	case TypeShutdownRequest:
		target = &ShutdownRequest{}
	case TypeShutdownApproved:
		target = &ShutdownApproved{}
	case TypeShutdownRejected:
		target = &ShutdownRejected{}
	case TypeIdleNotification:
		target = &IdleNotification{}
	case TypePlanApprovalRequest:
		target = &PlanApprovalRequest{}
	case TypePlanApprovalResponse:
		target = &PlanApprovalResponse{}
	default:
		var u Unknown
		if json.Unmarshal([]byte(text), &u) != nil {
			return "", nil, false
		}
		return typ, u, true
	}
	if err := json.Unmarshal([]byte(text), target); err != nil {
		var u Unknown
		if json.Unmarshal([]byte(text), &u) != nil {
			return "", nil, false
		}
		return typ, u, true // a known type with unexpected field types
	}
	switch t := target.(type) {
	case *TaskAssignment:
		return typ, *t, true
	case *ShutdownRequest:
		return typ, *t, true
	case *ShutdownApproved:
		return typ, *t, true
	case *ShutdownRejected:
		return typ, *t, true
	case *IdleNotification:
		return typ, *t, true
	case *PlanApprovalRequest:
		return typ, *t, true
	default:
		return typ, *(target.(*PlanApprovalResponse)), true
	}
}

// ShutdownRequestID returns the request id of a shutdown request to name
// made at t: "shutdown-<epoch ms>@<name>".
func ShutdownRequestID(name string, t time.Time) string {
	return fmt.Sprintf("shutdown-%d@%s", t.UnixMilli(), name)
}

// RemovalNotice is the text the lead gets when teammate name is removed,
// in Claude Code's words: "<name> was terminated." (shutdown false) or
// "<name> has shut down.", followed, when tasks were released, by
// ` N task(s) were unassigned: #3 "subject", …. Use TaskList …`.
func RemovalNotice(name string, shutdown bool, released []Task) string {
	msg := name + " was terminated."
	if shutdown {
		msg = name + " has shut down."
	}
	if len(released) == 0 {
		return msg
	}
	list := ""
	for i, t := range released {
		if i > 0 {
			list += ", "
		}
		list += "#" + t.ID + ` "` + t.Subject + `"`
	}
	return msg + fmt.Sprintf(" %d task(s) were unassigned: %s. Use TaskList to check availability and TaskUpdate with owner to reassign them to idle teammates.", len(released), list)
}
