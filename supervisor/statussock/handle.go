package statussock

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"go.uber.org/zap"

	"github.com/f9449b24/claude-teams/protocol"
)

// handle validates one request, calls the Service and builds the response.
// A panic in the Service becomes an internal error (and a log event), so one
// bad call cannot take the supervising process down.
func (h *socketHandler) handle(ctx context.Context, req socketRequest) (resp socketResponse) {
	resp.ID = req.ID
	start := time.Now()
	log := h.log.With(zap.String("method", req.Method), zap.String("team", req.Team), zap.String("agent", req.Agent))
	defer func() {
		if p := recover(); p != nil {
			log.Error("socket request panicked", zap.Any("panic", p), zap.Stack("stack"))
			resp.Result = nil
			resp.Error = &socketError{Message: fmt.Sprintf("supervisor: internal error in %s", req.Method), Code: errCodeInternal}
		}
		log.Debug("socket request", zap.Duration("took", time.Since(start)), zap.Bool("ok", resp.Error == nil))
	}()

	if req.TimeoutMS > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(req.TimeoutMS)*time.Millisecond)
		defer cancel()
	}
	result, err := h.call(ctx, req)
	if err != nil {
		if be, ok := err.(badRequest); ok {
			resp.Error = &socketError{Message: be.msg, Code: be.code}
			return resp
		}
		resp.Error = &socketError{Message: err.Error(), Code: errCodeService}
		return resp
	}
	b, err := json.Marshal(result)
	if err != nil {
		resp.Error = &socketError{Message: fmt.Sprintf("supervisor: encode %s result: %v", req.Method, err), Code: errCodeInternal}
		return resp
	}
	resp.Result = b
	return resp
}

// badRequest is an error of the request itself, not of the Service.
type badRequest struct{ msg, code string }

func (e badRequest) Error() string { return e.msg }

func badf(format string, args ...any) error {
	return badRequest{msg: "supervisor: " + fmt.Sprintf(format, args...), code: errCodeBadRequest}
}

// call checks the request's names and parameters, then calls the Service.
func (h *socketHandler) call(ctx context.Context, req socketRequest) (any, error) {
	if req.Method == methodPing {
		return PingResult{PID: os.Getpid(), Version: h.version, Proto: SocketProto, Root: h.root}, nil
	}
	switch req.Method {
	case methodStatus, methodCapture, methodRestart, methodStop, methodKill, methodRemove, methodSpawn, methodTeardown:
	default:
		return nil, badRequest{msg: fmt.Sprintf("supervisor: unknown method %q", req.Method), code: errCodeMethod}
	}
	if err := protocol.ValidateTeamName(req.Team); err != nil {
		return nil, badf("%s: %v", req.Method, err)
	}
	switch req.Method {
	case methodCapture, methodRestart, methodStop, methodKill, methodRemove:
		if err := protocol.ValidateMemberName(req.Agent); err != nil {
			return nil, badf("%s: %v", req.Method, err)
		}
	}

	switch req.Method {
	case methodStatus:
		return h.svc.Status(ctx, req.Team)
	case methodCapture:
		if req.Lines < 0 {
			return nil, badf("capture: lines must not be negative, got %d", req.Lines)
		}
		return h.svc.Capture(ctx, req.Team, req.Agent, req.Lines)
	case methodRestart:
		return h.svc.Restart(ctx, req.Team, req.Agent, req.Fresh)
	case methodStop, methodKill:
		reason, err := protocol.ParseStopReason(string(req.Reason))
		if err != nil {
			return nil, badf("stop: %v", err)
		}
		return nil, h.svc.Stop(ctx, req.Team, req.Agent, reason)
	case methodRemove:
		reason, err := protocol.ParseStopReason(string(req.Reason))
		if err != nil {
			return nil, badf("remove: %v", err)
		}
		return h.svc.Remove(ctx, req.Team, req.Agent, reason)
	case methodSpawn:
		if req.Member == nil {
			return nil, badf("spawn: member missing")
		}
		if err := protocol.ValidateAgentName(req.Member.Name); err != nil {
			return nil, badf("spawn: %v", err)
		}
		if _, err := protocol.ParseRestartPolicy(string(req.Restart)); err != nil {
			return nil, badf("spawn: %v", err)
		}
		return h.svc.Spawn(ctx, req.Team, *req.Member, req.Restart)
	default: // methodTeardown
		return nil, h.svc.Teardown(ctx, req.Team)
	}
}
