package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/signal"
	"syscall"
)

// errUsage reports a command line that could not be understood; the usage
// has already been printed.
var errUsage = errors.New("usage")

// run is the whole program: args are the command-line arguments without the
// program name, environ the environment as KEY=VALUE words.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, environ []string) error {
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	// The first signal asks for a clean exit; once it came, signals are
	// no longer caught, so a second one ends a shutdown that hangs.
	context.AfterFunc(ctx, stop)

	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return runServe(ctx, args, stdin, stdout, stderr, environ)
	case "version", "-version", "--version":
		fmt.Fprintln(stdout, versionString())
		return nil
	case "help", "-h", "-help", "--help":
		_, err := io.WriteString(stdout, helpText)
		return err
	case "supervisor":
		cfg, err := loadConfig(environ)
		if err != nil {
			return err
		}
		return runSupervisorCmd(ctx, args, stdout, stderr, cfg)
	default:
		if len(cmd) > 0 && cmd[0] == '-' {
			// Flags without a command belong to serve.
			return runServe(ctx, append([]string{cmd}, args...), stdin, stdout, stderr, environ)
		}
		fmt.Fprintf(stderr, "claude-teams: unknown command %q\n\n%s", cmd, helpText)
		return errUsage
	}
}
