package supervisor

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/f9449b24/claude-teams/backends"
	"github.com/f9449b24/claude-teams/protocol"
	"github.com/f9449b24/claude-teams/supervisor/statussock"
)

// The team's Service methods run in the caller's goroutine (an MCP handler
// or a socket connection): they do the file work there and ask the owner
// loop only for what it owns, so a slow lock never stalls supervision.
// *team answers from local state only, which is what ServeSocket needs.

var _ statussock.Service = (*team)(nil)

// DataRoot names the data root this team lives in (reported by the status
// socket's ping; see DataRootReporter).
func (t *team) DataRoot() string { return t.store.Root() }

func (t *team) checkTeam(team string) error {
	if team != t.name {
		return fmt.Errorf("supervisor of team %s asked about team %q", t.name, team)
	}
	return nil
}

// Spawn starts member m's pane, then adds m to the config with its pane
// id (never without: see join.go), seeds its inbox with the prompt from
// the lead and supervises it; on any failure everything done so far is
// undone (pane, inbox, member).
func (t *team) Spawn(ctx context.Context, team string, m protocol.Member, restart protocol.RestartPolicy) (_ protocol.Member, err error) {
	if err := t.checkTeam(team); err != nil {
		return protocol.Member{}, err
	}
	if err := protocol.ValidateAgentName(m.Name); err != nil {
		return protocol.Member{}, fmt.Errorf("spawn: %w", err)
	}
	if _, err := protocol.ParseRestartPolicy(string(restart)); err != nil {
		return protocol.Member{}, fmt.Errorf("spawn %s: %w", m.Name, err)
	}
	if err := checkCwd(m.Cwd); err != nil {
		return protocol.Member{}, fmt.Errorf("spawn %s: %w", m.Name, err)
	}
	if m.BackendType == "" {
		m.BackendType = t.cfg.DefaultBackend
	}
	cfg, err := t.store.ReadConfig(team)
	if err != nil {
		return protocol.Member{}, fmt.Errorf("spawn %s: %w", m.Name, err)
	}
	m.TmuxPaneID = ""
	joining, err := t.store.NewMember(cfg, m)
	if err != nil {
		return protocol.Member{}, fmt.Errorf("spawn %s: %w", m.Name, err)
	}
	rb := &rollback{t: t, name: m.Name}
	defer func() {
		if err != nil {
			rb.run(ctx)
		}
	}()
	_, statErr := os.Stat(t.store.InboxPath(team, m.Name))
	// Set before Send: a send that fails half-way may leave the file.
	rb.inbox, rb.inboxExisted = true, statErr == nil
	// Launch first: it makes the lead key (backends.LeadKeys) that the
	// prompt must be signed with.
	launch, err := t.cfg.launch(ctx, joining.BackendType, teammateOf(joining, cfg, t.store.Root()))
	if err != nil {
		return protocol.Member{}, fmt.Errorf("spawn %s: %w", m.Name, err)
	}
	// The conversation goes into the member record with the pane id, in
	// the same write (and into the joining record before it).
	joining.SessionID = launch.SessionID
	msg, err := t.store.Send(team, m.Name, protocol.Message{From: protocol.LeadName, Text: m.Prompt})
	if err != nil {
		return protocol.Member{}, fmt.Errorf("spawn %s: seed inbox: %w", m.Name, err)
	}
	rb.msgID = msg.MsgID
	ch := make(chan spawnResult, 1)
	res, err := ask(ctx, t, &spawnReq{
		name: joining.Name, agentID: joining.AgentID, backend: joining.BackendType, color: joining.Color,
		restart: restart, launch: launch, join: &joining, reply: ch,
	}, ch)
	rb.pane = true // also when the answer was lost: a pane may exist
	if err == nil {
		err = res.err
	}
	if err != nil {
		return protocol.Member{}, err
	}
	if afterPaneHook != nil {
		afterPaneHook(m.Name)
	}
	joining.TmuxPaneID = res.pane.pane
	added, err := t.store.AddMember(team, joining)
	if err != nil {
		return protocol.Member{}, fmt.Errorf("spawn %s: record member: %w", m.Name, err)
	}
	rb.member = true
	t.endJoin(ctx, m.Name)
	return added, nil
}

// Remove stops a teammate on purpose (reason StopKilled or StopShutdown),
// tells the owner loop to forget it, removes it from the config and
// returns its unfinished tasks to pending. The pane is gone before the
// member is, so config.json never names a member whose pane we left.
func (t *team) Remove(ctx context.Context, team, agent string, reason protocol.StopReason) (protocol.Removal, error) {
	if err := t.checkTeam(team); err != nil {
		return protocol.Removal{}, err
	}
	if err := protocol.ValidateMemberName(agent); err != nil {
		return protocol.Removal{}, fmt.Errorf("remove: %w", err)
	}
	if agent == protocol.LeadName {
		return protocol.Removal{}, fmt.Errorf("remove %s: the lead is not a teammate", agent)
	}
	if reason == "" {
		reason = protocol.StopKilled
	}
	ch := make(chan error, 1)
	serr, aerr := ask(ctx, t, &stopReq{name: agent, reason: reason, forget: true, reply: ch}, ch)
	if aerr != nil {
		return protocol.Removal{}, fmt.Errorf("remove %s: %w", agent, aerr)
	}
	if serr != nil {
		return protocol.Removal{}, fmt.Errorf("remove %s: %w", agent, serr)
	}
	return t.store.RemoveTeammate(team, agent)
}

// checkCwd accepts an absolute path to an existing directory.
func checkCwd(cwd string) error {
	if cwd == "" || !filepath.IsAbs(cwd) {
		return fmt.Errorf("cwd %q is not an absolute path", cwd)
	}
	fi, err := os.Stat(cwd)
	if err != nil {
		return fmt.Errorf("cwd %q: %w", cwd, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("cwd %q is not a directory", cwd)
	}
	return nil
}

// teammateOf is what a backend needs to start member m.
func teammateOf(m protocol.Member, cfg protocol.TeamConfig, root string) backends.Teammate {
	return backends.Teammate{
		Team: cfg.Name, Name: m.Name, AgentID: m.AgentID, Color: m.Color, Model: m.Model,
		AgentType: m.AgentType, Cwd: m.Cwd, LeadSessionID: cfg.LeadSessionID,
		PlanModeRequired: m.PlanModeRequired != nil && *m.PlanModeRequired,
		PermissionMode:   m.PermissionMode(),
		DataRoot:         root,
	}
}

// rollback undoes a spawn half-way: pane, inbox entry, member.
type rollback struct {
	t                   *team
	name                string
	member, inbox, pane bool
	inboxExisted        bool
	msgID               string
}

func (rb *rollback) run(ctx context.Context) {
	t := rb.t
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	log := t.log.With(zap.String("agent", rb.name))
	if rb.pane {
		ch := make(chan error, 1)
		if _, err := ask(ctx, t, &stopReq{name: rb.name, reason: "rollback", forget: true, reply: ch}, ch); err != nil {
			log.Error("spawn rollback: pane", zap.Error(err))
		}
	}
	if rb.inbox {
		if err := rb.removeInbox(); err != nil {
			log.Error("spawn rollback: inbox", zap.Error(err))
		}
	}
	if rb.member {
		if err := t.store.RemoveMember(t.name, rb.name); err != nil && !errors.Is(err, protocol.ErrMemberNotFound) {
			log.Error("spawn rollback: member", zap.Error(err))
		}
	}
	log.Info("spawn rolled back")
}

// removeInbox takes back the entry the spawn seeded (under the inbox lock,
// other entries kept as they are; a corrupt inbox is an error and left
// alone), and removes the inbox file if the spawn created it and nobody
// else has written to it since.
func (rb *rollback) removeInbox() error {
	t := rb.t
	if _, err := t.store.RemoveMessage(t.name, rb.name, rb.msgID); err != nil {
		return err
	}
	if rb.inboxExisted {
		return nil
	}
	path := t.store.InboxPath(t.name, rb.name)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if msgs, err := protocol.DecodeInbox(data); err != nil || len(msgs) > 0 {
		return nil // someone else's now
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// Stop ends a teammate on purpose; its pane and process are gone when Stop
// returns. Stopping a teammate that is not running is not an error.
func (t *team) Stop(ctx context.Context, team, agent string, reason protocol.StopReason) error {
	if err := t.checkTeam(team); err != nil {
		return err
	}
	if err := protocol.ValidateAgentName(agent); err != nil {
		return fmt.Errorf("stop: %w", err)
	}
	if reason == "" {
		reason = protocol.StopKilled
	}
	ch := make(chan error, 1)
	err, aerr := ask(ctx, t, &stopReq{name: agent, reason: reason, reply: ch}, ch)
	if aerr != nil {
		return fmt.Errorf("stop %s: %w", agent, aerr)
	}
	return err
}

// Teardown stops every teammate the team still has, removes every pane of
// the team and our tmux session, and ends supervision of the team.
func (t *team) Teardown(ctx context.Context, team string) error {
	if err := t.checkTeam(team); err != nil {
		return err
	}
	ch := make(chan teardownResult, 1)
	res, err := ask(ctx, t, &teardownReq{reply: ch}, ch)
	if err != nil {
		return fmt.Errorf("teardown %s: %w", team, err)
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for _, name := range res.names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := t.Stop(ctx, team, name, protocol.StopTeardown); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	ch2 := make(chan teardownResult, 1)
	res, err = ask(ctx, t, &teardownReq{final: true, reply: ch2}, ch2)
	if err == nil {
		err = res.err
	}
	if err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("teardown %s: %w", team, err)
	}
	return nil
}
