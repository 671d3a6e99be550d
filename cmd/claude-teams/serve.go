package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/f9449b24/claude-teams/mcp"
	"github.com/f9449b24/claude-teams/protocol"
)

// runServe runs the stdio MCP server until stdin ends or ctx is cancelled
// (SIGINT, SIGTERM); both are a clean exit.
func runServe(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, environ []string) error {
	cfg, err := serveConfig(args, stderr, environ)
	if errors.Is(err, errHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	log, closeLog, err := newLogger(cfg, stderr)
	if err != nil {
		return err
	}
	defer closeLog()
	log.Info("server starting", zap.String("version", cfg.Version), zap.String("data_root", cfg.DataRoot))

	store := protocol.NewStore(cfg.DataRoot)
	sup, err := newManager(cfg, log, store)
	if err != nil {
		return fmt.Errorf("supervisor: %w", err)
	}
	defer func() { _ = sup.Close() }()

	mc := mcp.Config{
		Store:      store,
		Supervisor: sup,
		Backends:   cfg.Backends,
		Logger:     log,
		Version:    cfg.Version,
		Cwd:        cfg.Cwd,
		Agent:      cfg.AgentName,
		AgentTeam:  cfg.AgentTeam,
	}
	if cfg.Tmux != "" {
		mc.LeadPaneID = cfg.TmuxPane
	}
	err = mcp.New(mc).Listen(ctx, stdin, stdout)
	if ctx.Err() != nil {
		log.Info("server stopping", zap.String("reason", "signal"))
		return nil
	}
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	log.Info("server stopping", zap.String("reason", "stdin closed"))
	return nil
}

// errHelp reports that serve's help was asked for and printed.
var errHelp = errors.New("help")

// serveConfig builds serve's Config from the environment and its flags.
func serveConfig(args []string, stderr io.Writer, environ []string) (Config, error) {
	cfg, err := loadConfig(environ)
	if err != nil {
		return cfg, err
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, helpText) }
	root := cfg.DataRoot
	fs.StringVar(&cfg.DataRoot, "config-dir", cfg.DataRoot, "data root (default $CLAUDE_CONFIG_DIR or ~/.claude)")
	fs.StringVar(&cfg.LogFile, "log-file", cfg.LogFile, "also write logs to this file")
	fs.TextVar(&cfg.LogLevel, "log-level", cfg.LogLevel, "log level: debug, info, warn, error")
	restart := fs.String("restart", string(cfg.Restart), "default restart policy: never, on-failure, always")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return cfg, errHelp
		}
		return cfg, errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "claude-teams serve: unexpected argument %q\n", fs.Arg(0))
		return cfg, errUsage
	}
	p, err := protocol.ParseRestartPolicy(*restart)
	if err != nil {
		return cfg, fmt.Errorf("-restart: %w", err)
	}
	cfg.Restart = p.Or(defaultRestart)
	if cfg.DataRoot != root {
		if err := cfg.setDataRoot(cfg.DataRoot); err != nil {
			return cfg, err
		}
	}
	return cfg, nil
}

// newLogger builds the JSON logger: stderr always (stdout is the
// protocol's), plus CLAUDE_TEAMS_LOG_FILE when set.
func newLogger(cfg Config, stderr io.Writer) (*zap.Logger, func(), error) {
	enc := zap.NewProductionEncoderConfig()
	enc.TimeKey = "ts"
	enc.EncodeTime = zapcore.ISO8601TimeEncoder
	level := zap.NewAtomicLevelAt(cfg.LogLevel)
	cores := []zapcore.Core{zapcore.NewCore(zapcore.NewJSONEncoder(enc), zapcore.Lock(zapcore.AddSync(stderr)), level)}
	closeFn := func() {}
	if cfg.LogFile != "" {
		f, err := os.OpenFile(cfg.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return nil, nil, fmt.Errorf("log file: %w", err)
		}
		cores = append(cores, zapcore.NewCore(zapcore.NewJSONEncoder(enc), zapcore.Lock(f), level))
		closeFn = func() { _ = f.Close() }
	}
	// server_pid, not pid: supervisor events carry the teammate's pid.
	log := zap.New(zapcore.NewTee(cores...)).With(zap.Int("server_pid", os.Getpid()))
	return log, func() { _ = log.Sync(); closeFn() }, nil
}
