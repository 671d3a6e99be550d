package main

import (
	"context"
	"errors"
	"io"
)

// runSupervisorCmd runs `claude-teams supervisor ...`.
//
// Placeholder: the supervisor owner replaces this file.
func runSupervisorCmd(ctx context.Context, args []string, stdout, stderr io.Writer, cfg Config) error {
	return errors.New("supervisor commands unavailable")
}
