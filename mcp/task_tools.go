package mcp

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	mcpgo "github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"go.uber.org/zap"

	"github.com/f9449b24/claude-teams/protocol"
)

// Task statuses accepted by task_update.
var taskStatuses = []string{protocol.StatusPending, protocol.StatusInProgress, protocol.StatusCompleted, protocol.StatusDeleted}

type taskCreateArgs struct {
	TeamName    string         `json:"team_name"`
	Subject     string         `json:"subject"`
	Description string         `json:"description"`
	ActiveForm  string         `json:"active_form"`
	Metadata    map[string]any `json:"metadata"`
}

// taskRef is what task_create and task_update return.
type taskRef struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

var taskRefSchema = object("", map[string]schema{
	"id":     str("Task id."),
	"status": str("Status after the call (deleted for a removed task)."),
}, "id", "status")

func (s *Server) taskCreateTool() (mcpgo.Tool, server.ToolHandlerFunc) {
	const name = "task_create"
	tool := mcpgo.NewTool(name,
		mcpgo.WithDescription("Create a new task for the team. Tasks get increasing ids that are never reused. "+
			"Optional metadata is stored alongside the task."),
		mcpgo.WithString("team_name", mcpgo.Required(), mcpgo.Description("Team name.")),
		mcpgo.WithString("subject", mcpgo.Required(), mcpgo.Description("Short title.")),
		mcpgo.WithString("description", mcpgo.Required(), mcpgo.Description("What needs doing.")),
		mcpgo.WithString("active_form", mcpgo.DefaultString(""), mcpgo.Description("Present-continuous form shown while in progress, e.g. \"Running tests\".")),
		mcpgo.WithObject("metadata", mcpgo.Description("Free-form metadata.")),
		mcpgo.WithRawOutputSchema(taskRefSchema.raw()),
		localWriteTool("Create task"),
	)
	return tool, typed(s, name, func(ctx context.Context, args taskCreateArgs) *mcpgo.CallToolResult {
		if _, r := s.loadTeam(name, args.TeamName); r != nil {
			return r
		}
		if args.Subject == "" {
			return s.refusef(name, "task subject must not be empty")
		}
		t, err := s.cfg.Store.CreateTask(args.TeamName, protocol.TaskInput{
			Subject: args.Subject, Description: args.Description, ActiveForm: args.ActiveForm, Metadata: args.Metadata,
		})
		if err != nil {
			return s.refuse(name, err)
		}
		s.log.Info("task created", zap.String("team", args.TeamName), zap.String("task", t.ID))
		return okResult(taskRef{ID: t.ID, Status: t.Status})
	})
}

type taskUpdateArgs struct {
	TeamName     string         `json:"team_name"`
	TaskID       flexID         `json:"task_id"`
	Status       *string        `json:"status"`
	Owner        *string        `json:"owner"`
	Subject      *string        `json:"subject"`
	Description  *string        `json:"description"`
	ActiveForm   *string        `json:"active_form"`
	AddBlocks    []flexID       `json:"add_blocks"`
	AddBlockedBy []flexID       `json:"add_blocked_by"`
	Metadata     map[string]any `json:"metadata"`
}

func (s *Server) taskUpdateTool() (mcpgo.Tool, server.ToolHandlerFunc) {
	const name = "task_update"
	tool := mcpgo.NewTool(name,
		mcpgo.WithDescription("Update a task. Status moves forward only (pending -> in_progress -> completed); "+
			"'deleted' removes the task. A task cannot start or complete while a blocker is unfinished. "+
			"Setting owner notifies the assignee through its inbox. Metadata keys merge into the existing "+
			"metadata (a null value deletes the key). A refused update changes nothing."),
		mcpgo.WithString("team_name", mcpgo.Required(), mcpgo.Description("Team name.")),
		mcpgo.WithString("task_id", mcpgo.Required(), mcpgo.Description("Task id.")),
		mcpgo.WithString("status", mcpgo.Enum(taskStatuses...), mcpgo.Description("New status.")),
		mcpgo.WithString("owner", mcpgo.Description("Member that takes the task (\"\" to clear).")),
		mcpgo.WithString("subject", mcpgo.Description("New title.")),
		mcpgo.WithString("description", mcpgo.Description("New description.")),
		mcpgo.WithString("active_form", mcpgo.Description("New present-continuous form.")),
		mcpgo.WithArray("add_blocks", mcpgo.WithStringItems(), mcpgo.Description("Ids of tasks this task blocks.")),
		mcpgo.WithArray("add_blocked_by", mcpgo.WithStringItems(), mcpgo.Description("Ids of tasks that block this task.")),
		mcpgo.WithObject("metadata", mcpgo.Description("Keys to merge; null deletes a key.")),
		mcpgo.WithRawOutputSchema(taskRefSchema.raw()),
		localWriteTool("Update task"),
	)
	return tool, typed(s, name, func(ctx context.Context, args taskUpdateArgs) *mcpgo.CallToolResult {
		cfg, r := s.loadTeam(name, args.TeamName)
		if r != nil {
			return r
		}
		id := string(args.TaskID)
		if err := protocol.ValidateTaskID(id); err != nil {
			return s.refuse(name, err)
		}
		if args.Status != nil && !slices.Contains(taskStatuses, *args.Status) {
			return s.refusef(name, "invalid status %q: use pending, in_progress, completed or deleted", *args.Status)
		}
		if args.Owner != nil && *args.Owner != "" {
			if _, ok := cfg.FindMember(*args.Owner); !ok {
				return s.refusef(name, "owner %q is not a member of team %q", *args.Owner, args.TeamName)
			}
		}
		ch, err := s.cfg.Store.ChangeTask(args.TeamName, id, protocol.TaskUpdate{
			Status: args.Status, Owner: args.Owner, Subject: args.Subject, Description: args.Description,
			ActiveForm: args.ActiveForm, AddBlocks: flexIDs(args.AddBlocks), AddBlockedBy: flexIDs(args.AddBlockedBy),
			Metadata: args.Metadata, By: s.defaultSender(), Check: s.teammateTaskCheck(args.Owner),
		})
		if err != nil {
			return s.refuse(name, s.taskErr(args.TeamName, id, err))
		}
		t := ch.Task
		s.log.Info("task updated", zap.String("team", args.TeamName), zap.String("task", t.ID), zap.String("status", t.Status))
		out := okResult(taskRef{ID: t.ID, Status: t.Status})
		if args.Owner != nil {
			s.noteCorrupt(out, args.TeamName, *args.Owner, ch.Corrupt)
		}
		return out
	})
}

// taskErr says plainly when the task itself does not exist (a missing
// task named in add_blocks is reported by protocol, naming that one).
func (s *Server) taskErr(team, id string, err error) error {
	if errors.Is(err, protocol.ErrTaskNotFound) {
		if _, gerr := s.cfg.Store.GetTask(team, id); errors.Is(gerr, protocol.ErrTaskNotFound) {
			return fmt.Errorf("task %q not found in team %q", id, team)
		}
	}
	return err
}

func (s *Server) taskListTool() (mcpgo.Tool, server.ToolHandlerFunc) {
	const name = "task_list"
	tool := mcpgo.NewTool(name,
		mcpgo.WithDescription("List all tasks of a team, sorted by id, with status, owner and dependencies."),
		mcpgo.WithString("team_name", mcpgo.Required(), mcpgo.Description("Team name.")),
		mcpgo.WithRawOutputSchema(listOf("The tasks, by id.", taskSchema).raw()),
		readOnlyTool("List tasks"),
	)
	return tool, typed(s, name, func(ctx context.Context, args teamArgs) *mcpgo.CallToolResult {
		if _, r := s.loadTeam(name, args.TeamName); r != nil {
			return r
		}
		l, err := s.cfg.Store.ListTasksReport(args.TeamName)
		if err != nil {
			return s.refuse(name, err)
		}
		out := listResult(l.Tasks)
		for _, id := range slices.Sorted(maps.Keys(l.SetAside)) {
			s.log.Warn("corrupt task kept aside", zap.String("team", args.TeamName), zap.String("task", id), zap.String("path", l.SetAside[id]))
			out.Content = append(out.Content, mcpgo.NewTextContent(fmt.Sprintf(
				"warning: task %s was not valid JSON; its bytes were kept at %s and it is left out of the list", id, l.SetAside[id])))
		}
		return out
	})
}

type taskGetArgs struct {
	TeamName string `json:"team_name"`
	TaskID   flexID `json:"task_id"`
}

func (s *Server) taskGetTool() (mcpgo.Tool, server.ToolHandlerFunc) {
	const name = "task_get"
	tool := mcpgo.NewTool(name,
		mcpgo.WithDescription("Get the full details of one task."),
		mcpgo.WithString("team_name", mcpgo.Required(), mcpgo.Description("Team name.")),
		mcpgo.WithString("task_id", mcpgo.Required(), mcpgo.Description("Task id.")),
		mcpgo.WithRawOutputSchema(taskSchema.raw()),
		readOnlyTool("Get task"),
	)
	return tool, typed(s, name, func(ctx context.Context, args taskGetArgs) *mcpgo.CallToolResult {
		if _, r := s.loadTeam(name, args.TeamName); r != nil {
			return r
		}
		id := string(args.TaskID)
		if err := protocol.ValidateTaskID(id); err != nil {
			return s.refuse(name, err)
		}
		t, err := s.cfg.Store.GetTask(args.TeamName, id)
		if err != nil {
			return s.refuse(name, s.taskErr(args.TeamName, id, err))
		}
		return okResult(t)
	})
}
