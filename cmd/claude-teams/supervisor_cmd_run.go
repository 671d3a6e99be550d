package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"go.uber.org/zap"
)

const runHelp = `Usage: claude-teams supervisor run --team T

Supervise team T in the foreground, without an MCP client: take the team's
supervisor lock, re-adopt its teammates' panes, watch them (restart policy,
health, lead notifications) and answer on the status socket until
interrupted. Teammates keep running when it stops; the next claude-teams
process that touches the team takes over. Fails when another process
already supervises the team. Logs are JSON on stderr.

Flags:
  --team T    the team to supervise
`

func runRunCmd(ctx context.Context, args []string, stdout, stderr io.Writer, cfg Config) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	var team string
	fs.StringVar(&team, "team", "", "the team to supervise")
	pos, err := parseFlags(fs, runHelp, args, stdout, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErr(stderr, "run", runHelp, "unexpected argument %q", pos[0])
	}
	if team == "" {
		return usageErr(stderr, "run", runHelp, "--team is required")
	}
	src := newStatusSource(cfg)
	if _, err := src.teams(team); err != nil {
		return err
	}
	log, closeLog, err := newLogger(cfg, stderr)
	if err != nil {
		return err
	}
	defer closeLog()
	m, err := newManager(cfg, log, src.store)
	if err != nil {
		return err
	}
	defer m.Close()

	mine, err := m.Supervise(ctx, team)
	if err != nil {
		return fmt.Errorf("supervise %s: %w", team, err)
	}
	if !mine {
		pctx, cancel := context.WithTimeout(ctx, socketCallTimeout)
		defer cancel()
		if c, ping, err := dialSupervisor(pctx, cfg, src.uid, team); err == nil {
			c.Close()
			return fmt.Errorf("team %s is already supervised by pid %d", team, ping.PID)
		}
		return fmt.Errorf("team %s is already supervised by another process", team)
	}
	// Supervise returns once the status socket listens: status commands
	// can see us as soon as this is printed.
	sock := m.SocketPath(team) // the fallback when the usual place was refused
	fmt.Fprintf(stdout, "supervising team %s as pid %d (socket %s); interrupt to stop, teammates keep running\n",
		team, os.Getpid(), sock)
	select {
	case <-ctx.Done():
		log.Info("supervisor run stopping", zap.String("team", team), zap.String("reason", "signal"))
		return nil
	case <-m.Done(team):
	}
	// The owner loop ends by itself only for a teardown (team_delete),
	// whose caller removes the team's files right after: give it a moment.
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := os.Stat(src.store.ConfigPath(team)); errors.Is(err, os.ErrNotExist) {
			fmt.Fprintf(stdout, "team %s was deleted\n", team)
			return nil
		}
		if time.Now().After(deadline) {
			fmt.Fprintf(stdout, "team %s was torn down (its files are still there)\n", team)
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(20 * time.Millisecond):
		}
	}
}
