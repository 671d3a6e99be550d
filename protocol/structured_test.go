package protocol

import (
	"reflect"
	"slices"
	"testing"
	"time"
)

func TestEncodeExactFields(t *testing.T) {
	tests := []struct {
		v    any
		want string
	}{
		{TaskAssignment{TaskID: "3", Subject: "s", Description: "d", AssignedBy: "team-lead", Timestamp: "T"},
			`{"type":"task_assignment","taskId":"3","subject":"s","description":"d","assignedBy":"team-lead","timestamp":"T"}`},
		{TaskAssignment{TaskID: "3"},
			`{"type":"task_assignment","taskId":"3","subject":"","description":"","assignedBy":"","timestamp":""}`},
		{&ShutdownRequest{RequestID: "shutdown-1@w1", From: "team-lead", Reason: "done", Timestamp: "T"},
			`{"type":"shutdown_request","requestId":"shutdown-1@w1","from":"team-lead","reason":"done","timestamp":"T"}`},
		{ShutdownApproved{RequestID: "r", From: "w1", Timestamp: "T", PaneID: "%3", BackendType: "claude"},
			`{"type":"shutdown_approved","requestId":"r","from":"w1","timestamp":"T","paneId":"%3","backendType":"claude"}`},
		{ShutdownRejected{RequestID: "r", From: "w1", Reason: "busy", Timestamp: "T"},
			`{"type":"shutdown_rejected","requestId":"r","from":"w1","reason":"busy","timestamp":"T"}`},
		{IdleNotification{From: "w1", Timestamp: "T", IdleReason: IdleAvailable},
			`{"type":"idle_notification","from":"w1","timestamp":"T","idleReason":"available"}`},
		{IdleNotification{From: "w1", Timestamp: "T", IdleReason: IdleFailed, FailureReason: "x", CompletedTaskID: "2", CompletedStatus: "completed", Summary: "s", Result: "r"},
			`{"type":"idle_notification","from":"w1","timestamp":"T","idleReason":"failed","summary":"s","completedTaskId":"2","completedStatus":"completed","failureReason":"x","result":"r"}`},
		{PlanApprovalRequest{From: "w1", Timestamp: "T", PlanFilePath: "/p.md", PlanContent: "plan <&>", RequestID: "r"},
			`{"type":"plan_approval_request","from":"w1","timestamp":"T","planFilePath":"/p.md","planContent":"plan <&>","requestId":"r"}`},
		{PlanApprovalResponse{RequestID: "r", Approved: true, Timestamp: "T", PermissionMode: "default"},
			`{"type":"plan_approval_response","requestId":"r","approved":true,"timestamp":"T","permissionMode":"default"}`},
		{PlanApprovalResponse{RequestID: "r", Approved: false, Feedback: "no", Timestamp: "T"},
			`{"type":"plan_approval_response","requestId":"r","approved":false,"feedback":"no","timestamp":"T"}`},
		{struct{ X int }{1}, ``},
	}
	for _, tt := range tests {
		got := Encode(tt.v)
		if got != tt.want {
			t.Errorf("Encode(%T) =\n%s\nwant\n%s", tt.v, got, tt.want)
			continue
		}
		if got == "" {
			continue
		}
		typ, v, ok := Decode(got)
		if !ok || typ != TypeOf(tt.v) {
			t.Errorf("Decode(%s) = %q, %v", got, typ, ok)
		}
		want := reflect.ValueOf(tt.v)
		if want.Kind() == reflect.Pointer {
			want = want.Elem()
		}
		if !reflect.DeepEqual(v, want.Interface()) {
			t.Errorf("Decode(%s) = %#v, want %#v", got, v, want.Interface())
		}
	}
}

func TestDecodeOthers(t *testing.T) {
	for _, text := range []string{"", "hello", "{", `{"no":"type"}`, `[1]`, `{"type":5}`} {
		if typ, _, ok := Decode(text); ok {
			t.Errorf("Decode(%q) = %q, ok", text, typ)
		}
	}
	typ, v, ok := Decode(`{"type":"permission_request","request_id":"p1","tool_name":"Bash"}`)
	u, isU := v.(Unknown)
	if !ok || typ != TypePermissionRequest || !isU || string(u["request_id"]) != `"p1"` {
		t.Errorf("Decode(permission_request) = %q %#v %v", typ, v, ok)
	}
	// The Python server's plan_approval frame is not ours but still decodes.
	if typ, _, ok := Decode(`{"type":"plan_approval","approved":true}`); !ok || typ != "plan_approval" {
		t.Errorf("Decode(plan_approval) = %q %v", typ, ok)
	}
	// A known type with a wrongly typed field still reports its type.
	if typ, v, ok := Decode(`{"type":"task_assignment","taskId":3}`); !ok || typ != TypeTaskAssignment {
		t.Errorf("Decode(taskId number) = %q %#v %v", typ, v, ok)
	}
}

func TestTaskAssignmentFieldSet(t *testing.T) {
	// Claude Code parses task_assignment strictly: exactly these fields.
	var names []string
	rt := reflect.TypeFor[TaskAssignment]()
	for i := range rt.NumField() {
		names = append(names, rt.Field(i).Tag.Get("json"))
	}
	if want := []string{"taskId", "subject", "description", "assignedBy", "timestamp"}; !slices.Equal(names, want) {
		t.Errorf("TaskAssignment fields = %v, want %v", names, want)
	}
}

func TestShutdownRequestID(t *testing.T) {
	at := time.UnixMilli(1767323045678)
	if got := ShutdownRequestID("w1", at); got != "shutdown-1767323045678@w1" {
		t.Errorf("ShutdownRequestID = %q", got)
	}
}
