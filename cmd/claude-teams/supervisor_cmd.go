package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/f9449b24/claude-teams/protocol"
	"github.com/f9449b24/claude-teams/supervisor/statussock"
)

// Subcommands of `claude-teams supervisor`, in the manner of gopls's
// subcommands: one flag.FlagSet each, help text tested against golden files
// in testdata/cli.

const supervisorHelp = `Usage: claude-teams supervisor <command> [flags] [args]

Inspect and control the teammates of agent teams. Each team is supervised by
one claude-teams process (the first MCP server that touches it); these
commands ask it over its socket, and read the team's files and tmux directly
when no supervisor runs.

Commands:
  status    show every teammate's state, pane, pid, restarts, exit, unread
            messages and tasks
  restart   restart a teammate now (also a failed or stopped one)
  run       supervise a team in the foreground, without an MCP client
  attach    show a team's teammates: attach to or switch to their tmux window
  help      print this help, or a command's: claude-teams supervisor help status

Data root: $CLAUDE_CONFIG_DIR, else ~/.claude.
`

const statusHelp = `Usage: claude-teams supervisor status [--team T] [--json] [--watch] [--interval D]

Show what every teammate is doing: state, health, pane, pid, uptime,
restarts, last exit, last output, unread messages and owned tasks. Without
--team, every team under the data root. A team whose supervisor answers on
its socket is shown as supervised; otherwise its config, state file, inboxes
and tasks are read and tmux is asked for the panes directly.

Flags:
  --team T        only team T
  --json          print {"teams":[...]} (one compact line per refresh with
                  --watch)
  --watch         refresh every --interval until interrupted; redraws in
                  place on a terminal (with colours unless NO_COLOR is set)
  --interval D    refresh interval for --watch (default 2s)
`

const restartHelp = `Usage: claude-teams supervisor restart [--team T] [--fresh] <agent>

Restart a teammate now through its team's supervisor, keeping its agent id,
name, colour, working directory and backend; a failed or stopped teammate is
started again. Where its agent CLI can, it resumes its conversation; --fresh
starts a new one (with its original assignment in its inbox). --team may be
left out when only one team has a member of that name. Fails when no
supervisor runs for the team (start one with claude-teams supervisor run
--team T).

Flags:
  --team T    the teammate's team
  --fresh     drop its conversation and start a new one
`

// subcommand is one `claude-teams supervisor` command.
type subcommand struct {
	name string
	help string
	run  func(ctx context.Context, args []string, stdout, stderr io.Writer, cfg Config) error
}

func supervisorCommands() []subcommand {
	return []subcommand{
		{"status", statusHelp, runStatusCmd},
		{"restart", restartHelp, runRestartCmd},
		{"run", runHelp, runRunCmd},
		{"attach", attachHelp, runAttachCmd},
	}
}

// runSupervisorCmd runs `claude-teams supervisor ...`.
func runSupervisorCmd(ctx context.Context, args []string, stdout, stderr io.Writer, cfg Config) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, supervisorHelp)
		return errUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(rest) > 0 {
			for _, c := range supervisorCommands() {
				if c.name == rest[0] {
					_, err := io.WriteString(stdout, c.help)
					return err
				}
			}
			fmt.Fprintf(stderr, "claude-teams supervisor: unknown command %q\n\n%s", rest[0], supervisorHelp)
			return errUsage
		}
		_, err := io.WriteString(stdout, supervisorHelp)
		return err
	}
	for _, c := range supervisorCommands() {
		if c.name == name {
			return c.run(ctx, rest, stdout, stderr, cfg)
		}
	}
	fmt.Fprintf(stderr, "claude-teams supervisor: unknown command %q\n\n%s", name, supervisorHelp)
	return errUsage
}

// parseFlags parses args with fs, allowing flags after positional
// arguments (restart w1 --team alpha). -h/--help prints help to stdout and
// returns flag.ErrHelp; any other error prints it and the help to stderr and
// returns errUsage.
func parseFlags(fs *flag.FlagSet, help string, args []string, stdout, stderr io.Writer) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				io.WriteString(stdout, help)
				return nil, flag.ErrHelp
			}
			fmt.Fprintf(stderr, "claude-teams supervisor %s: %v\n\n%s", fs.Name(), err, help)
			return nil, errUsage
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// usageErr prints msg and help to stderr and returns errUsage.
func usageErr(stderr io.Writer, cmd, help, format string, a ...any) error {
	fmt.Fprintf(stderr, "claude-teams supervisor %s: %s\n\n%s", cmd, fmt.Sprintf(format, a...), help)
	return errUsage
}

func runStatusCmd(ctx context.Context, args []string, stdout, stderr io.Writer, cfg Config) error {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	f := statusFlags{interval: 2 * time.Second}
	fs.StringVar(&f.team, "team", "", "only team T")
	fs.BoolVar(&f.json, "json", false, "print JSON")
	fs.BoolVar(&f.watch, "watch", false, "refresh until interrupted")
	fs.DurationVar(&f.interval, "interval", f.interval, "refresh interval for --watch")
	pos, err := parseFlags(fs, statusHelp, args, stdout, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErr(stderr, "status", statusHelp, "unexpected argument %q", pos[0])
	}
	if f.interval < 100*time.Millisecond {
		return usageErr(stderr, "status", statusHelp, "--interval %s is too short (at least 100ms)", f.interval)
	}
	return runStatus(ctx, newStatusSource(cfg), f, stdout)
}

func runRestartCmd(ctx context.Context, args []string, stdout, stderr io.Writer, cfg Config) error {
	fs := flag.NewFlagSet("restart", flag.ContinueOnError)
	var team string
	var fresh bool
	fs.StringVar(&team, "team", "", "the teammate's team")
	fs.BoolVar(&fresh, "fresh", false, "start a new conversation")
	pos, err := parseFlags(fs, restartHelp, args, stdout, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErr(stderr, "restart", restartHelp, "name exactly one teammate")
	}
	agent := pos[0]
	if err := protocol.ValidateAgentName(agent); err != nil {
		return err
	}
	src := newStatusSource(cfg)
	if team == "" {
		if team, err = teamOf(src, agent); err != nil {
			return err
		}
	} else if _, err := src.teams(team); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	c, _, err := dialSupervisor(ctx, cfg, src.uid, team)
	if errors.Is(err, statussock.ErrNoSupervisor) {
		return fmt.Errorf("restart %s: no supervisor for team %s: start one (claude-teams supervisor run --team %s, or the lead's MCP server), then retry", agent, team, team)
	}
	if err != nil {
		return fmt.Errorf("restart %s: %w", agent, err)
	}
	defer c.Close()
	ts, err := c.Restart(ctx, team, agent, fresh)
	if err != nil {
		return fmt.Errorf("restart %s: %w", agent, err)
	}
	conv := "new conversation"
	if ts.Resumed {
		conv = "conversation resumed"
	}
	if ts.SessionID != "" {
		conv += " " + ts.SessionID
	}
	fmt.Fprintf(stdout, "restarted %s (team %s): %s, pane %s, %s\n", agent, team, orDash(string(ts.State)), orDash(ts.PaneID), conv)
	return nil
}

// teamOf finds the one team that has a member named agent.
func teamOf(src *statusSource, agent string) (string, error) {
	names, err := src.teams("")
	if err != nil {
		return "", err
	}
	var found []string
	for _, team := range names {
		cfg, err := src.store.ReadConfig(team)
		if err != nil {
			continue
		}
		if _, ok := cfg.FindMember(agent); ok {
			found = append(found, team)
		}
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("no team has a teammate named %s", agent)
	case 1:
		return found[0], nil
	}
	return "", fmt.Errorf("teammate %s is in teams %s: pass --team", agent, strings.Join(found, ", "))
}
