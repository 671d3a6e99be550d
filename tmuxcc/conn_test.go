package tmuxcc

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestDialCommandClose(t *testing.T) {
	for _, m := range modes {
		t.Run(m.String(), func(t *testing.T) {
			s := newTestServer(t)
			c := s.dial(m)
			if !strings.HasPrefix(c.SessionID(), "$") || c.SessionName() != "main" {
				t.Fatalf("session = %q %q", c.SessionID(), c.SessionName())
			}
			out, err := c.Command(ctxT(t), "display-message", "-p", "#{session_name} it's")
			if err != nil || len(out) != 1 || out[0] != "main it's" {
				t.Fatalf("display = %q, %v", out, err)
			}
			_, err = c.Command(ctxT(t), "no-such-command")
			var ce *CommandError
			if !errors.As(err, &ce) || !strings.Contains(ce.Message, "unknown command") {
				t.Fatalf("err = %v", err)
			}
			if err := c.Close(); err != nil {
				t.Fatal(err)
			}
			if !errors.Is(c.Err(), ErrClosed) {
				t.Fatalf("Err = %v", c.Err())
			}
			if _, err := c.Command(ctxT(t), "display-message", "-p", "x"); !errors.Is(err, ErrClosed) {
				t.Fatalf("after close: %v", err)
			}
			c.Close()
			select {
			case <-c.Done():
			case <-time.After(10 * time.Second):
				t.Fatal("Done not closed")
			}
		})
	}
}
