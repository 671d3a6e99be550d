package tmuxcc

import (
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"
)

// Mode selects how the control client is run.
type Mode int

const (
	// ModeCC runs `tmux -CC` under a pseudo-terminal (the default).
	ModeCC Mode = iota
	// ModeC runs `tmux -C` over plain pipes.
	ModeC
)

// String returns "-CC" or "-C".
func (m Mode) String() string {
	if m == ModeC {
		return "-C"
	}
	return "-CC"
}

// Config says which server and session to attach to. Zero values work except
// for Session, which is required.
type Config struct {
	// Tmux is the tmux binary. Default "tmux".
	Tmux string
	// SocketName is passed as -L (none when empty).
	SocketName string
	// SocketPath is passed as -S and wins over SocketName. With neither, tmux
	// uses the server of $TMUX in Env, or its default socket.
	SocketPath string
	// ConfigFile is passed as -f (e.g. "/dev/null" for a private server);
	// empty means tmux's default configuration.
	ConfigFile string
	// Session is the session to attach to (or create). Required.
	Session string
	// Create makes a missing session (new-session -A) of Width x Height.
	Create bool
	// PlaceholderArgv is the command of the first window of a session that
	// Dial creates (Create), e.g. []string{"sleep", "2147483647"}: something
	// inert that keeps the session alive without running a shell. Nil runs
	// tmux's default command (the user's shell). Unused when the session
	// exists already.
	PlaceholderArgv []string
	// Width and Height size a created session. Default 200x50.
	Width, Height int
	// Mode is ModeCC (default) or ModeC.
	Mode Mode
	// Env is the environment of the tmux client process; nil inherits this
	// process's environment. Nothing in this package reads the environment.
	Env []string
	// Tag identifies control clients started by this program for this
	// session. When set, the client process carries TMUXCC_TAG=<Tag> in its
	// environment (Dial removes it from the server's global environment, so
	// panes created afterwards do not inherit it), and Dial kills (SIGKILL) other control clients of the
	// server that carry the same tag and are not children of this process:
	// stale clients an earlier instance left behind, which can freeze panes
	// (TMUX.md "Transport"). Give each owner a distinct tag, and let only one
	// process at a time use a given tag (the caller's lock). Empty: no cleanup.
	Tag string
	// PauseAfter, in seconds, sets the client flag pause-after: tmux drops a
	// pane's output backlog older than that instead of queueing it without
	// bound (when a person is attached too), and Conn resumes the pane at
	// once. 0 means the default (5); negative leaves the flag unset.
	PauseAfter int
	// CommandTimeout bounds how long Command and CommandLine wait for
	// tmux's answer whatever their ctx allows, so a stopped (SIGSTOP) or
	// wedged server never holds a caller for ever. 0 means
	// DefaultCommandTimeout; negative means only ctx bounds the wait.
	CommandTimeout time.Duration
	// Logger receives debug and warning logs. Default zap.NewNop().
	Logger *zap.Logger
}

// DefaultCommandTimeout is Config.CommandTimeout's default.
const DefaultCommandTimeout = 15 * time.Second

// ErrCommandTimeout is wrapped by the error of a command tmux did not
// answer within Config.CommandTimeout.
var ErrCommandTimeout = errors.New("tmuxcc: tmux did not answer in time")

func (c Config) commandTimeout() time.Duration {
	if c.CommandTimeout == 0 {
		return DefaultCommandTimeout
	}
	return c.CommandTimeout
}

// ErrNoSession is returned by Dial when Config.Session is empty.
var ErrNoSession = errors.New("tmuxcc: no session given")

const defaultPauseAfter = 5

func (c Config) withDefaults() (Config, error) {
	if c.Session == "" {
		return c, ErrNoSession
	}
	if c.Tmux == "" {
		c.Tmux = "tmux"
	}
	if c.Width <= 0 {
		c.Width = 200
	}
	if c.Height <= 0 {
		c.Height = 50
	}
	if c.PauseAfter == 0 {
		c.PauseAfter = defaultPauseAfter
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	return c, nil
}

// serverArgs returns the tmux options that pick the server.
func (c Config) serverArgs() []string {
	var a []string
	if c.SocketPath != "" {
		a = append(a, "-S", c.SocketPath)
	} else if c.SocketName != "" {
		a = append(a, "-L", c.SocketName)
	}
	if c.ConfigFile != "" {
		a = append(a, "-f", c.ConfigFile)
	}
	return a
}

// clientArgs returns the argv (without the binary) of the control client.
func (c Config) clientArgs() []string {
	a := append([]string{"-u"}, c.serverArgs()...)
	if c.Mode == ModeC {
		a = append(a, "-C")
	} else {
		a = append(a, "-CC")
	}
	if c.Create {
		a = append(a, "new-session", "-A", "-s", c.Session,
			"-x", fmt.Sprint(c.Width), "-y", fmt.Sprint(c.Height))
		if c.Tag != "" {
			// The first window would inherit the tag from our client
			// (the server's global environment is cleaned only after
			// attach). tmux cannot unset a variable for one pane: it gets
			// TMUXCC_TAG set to empty, which matches no tag.
			a = append(a, "-e", tagEnv+"=")
		}
		if len(c.PlaceholderArgv) > 0 {
			a = append(append(a, "--"), c.PlaceholderArgv...)
		}
	} else {
		a = append(a, "attach-session", "-t", "="+c.Session)
	}
	return a
}
