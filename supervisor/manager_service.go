package supervisor

import (
	"context"
	"errors"

	"github.com/f9449b24/claude-teams/protocol"
	"github.com/f9449b24/claude-teams/supervisor/statussock"
)

// The Manager's methods route each call to the team's owner (see route).
// Calls forwarded over a socket that broke are retried once through a new
// route (which may make this process the owner) when repeating them is
// harmless; a spawn or restart is retried only if the owner was found gone
// before anything was sent.

// do runs fn against the team's owner.
func (m *Manager) do(ctx context.Context, team string, idempotent bool, fn func(statussock.Service) error) error {
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		var svc statussock.Service
		svc, err = m.route(ctx, team)
		if err != nil {
			return err
		}
		if c, ok := svc.(*statussock.SocketClient); ok && !idempotent {
			if _, perr := c.Ping(ctx); perr != nil {
				m.dropClient(team, svc)
				err = perr
				continue
			}
		}
		err = fn(svc)
		if !errors.Is(err, statussock.ErrSocketClosed) {
			return err
		}
		m.dropClient(team, svc)
		if !idempotent {
			return err
		}
	}
	return err
}

// call runs fn against the team's owner and returns its result (see do).
func call[T any](m *Manager, ctx context.Context, team string, idempotent bool, fn func(statussock.Service) (T, error)) (T, error) {
	var out T
	err := m.do(ctx, team, idempotent, func(s statussock.Service) error {
		var err error
		out, err = fn(s)
		return err
	})
	return out, err
}

// Spawn adds a teammate and starts it (mcp.Supervisor).
func (m *Manager) Spawn(ctx context.Context, team string, mem protocol.Member, restart protocol.RestartPolicy) (protocol.Member, error) {
	return call(m, ctx, team, false, func(s statussock.Service) (protocol.Member, error) {
		return s.Spawn(ctx, team, mem, restart)
	})
}

// Stop ends a teammate on purpose (mcp.Supervisor).
func (m *Manager) Stop(ctx context.Context, team, agent string, reason protocol.StopReason) error {
	return m.do(ctx, team, true, func(s statussock.Service) error {
		return s.Stop(ctx, team, agent, reason)
	})
}

// Remove stops a teammate and removes it from its team (mcp.Supervisor).
// Repeating it is harmless: a member already gone is no error.
func (m *Manager) Remove(ctx context.Context, team, agent string, reason protocol.StopReason) (protocol.Removal, error) {
	return call(m, ctx, team, true, func(s statussock.Service) (protocol.Removal, error) {
		return s.Remove(ctx, team, agent, reason)
	})
}

// Restart restarts a teammate now (mcp.Supervisor).
func (m *Manager) Restart(ctx context.Context, team, agent string, fresh bool) (protocol.TeammateStatus, error) {
	return call(m, ctx, team, false, func(s statussock.Service) (protocol.TeammateStatus, error) {
		return s.Restart(ctx, team, agent, fresh)
	})
}

// Status reports every teammate of the team (mcp.Supervisor).
func (m *Manager) Status(ctx context.Context, team string) (protocol.TeamStatus, error) {
	return call(m, ctx, team, true, func(s statussock.Service) (protocol.TeamStatus, error) {
		return s.Status(ctx, team)
	})
}

// Capture returns a teammate's readable screen (mcp.Supervisor).
func (m *Manager) Capture(ctx context.Context, team, agent string, lines int) (string, error) {
	return call(m, ctx, team, true, func(s statussock.Service) (string, error) {
		return s.Capture(ctx, team, agent, lines)
	})
}

// Teardown removes every pane and session of the team (mcp.Supervisor).
func (m *Manager) Teardown(ctx context.Context, team string) error {
	return m.do(ctx, team, true, func(s statussock.Service) error {
		return s.Teardown(ctx, team)
	})
}
