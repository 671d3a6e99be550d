package tmuxcc

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestCreatePaneCancelled: a CreatePane whose ctx ends before, during or
// after creation either returns the pane (with its ring) or returns ctx's
// error and leaves neither a pane nor a registered ring behind.
func TestCreatePaneCancelled(t *testing.T) {
	s := newTestServer(t)
	c := s.dial(ModeC)
	end := c.SessionName() + ":{end}"
	created := map[string]bool{}
	cancelled := 0
	for i := 0; i < 40; i++ {
		ctx, cancel := context.WithCancel(context.Background())
		switch {
		case i%4 == 0:
			cancel() // before the call
		default:
			time.AfterFunc(time.Duration(i%10)*100*time.Microsecond, cancel)
		}
		blocks, po, err := c.CreatePane(ctx, 0,
			[]string{"new-window", "-d", "-a", "-t", end, "-P", "-F", "#{pane_id} #{pane_pid}", "--", "sleep", "60"},
			[]string{"set-option", "-w", "-t", end, "remain-on-exit", "on"})
		cancel()
		switch {
		case err == nil:
			pane := strings.Fields(blocks[0][0])[0]
			if po == nil || po.Pane() != pane {
				t.Fatalf("created %s without its ring", pane)
			}
			created[pane] = true
		case errors.Is(err, context.Canceled):
			cancelled++
			if po != nil || blocks != nil {
				t.Fatalf("cancelled, yet returned %v %v", blocks, po)
			}
		default:
			t.Fatal(err)
		}
	}
	t.Logf("%d created, %d cancelled", len(created), cancelled)
	out, err := c.Command(ctxT(t), "list-panes", "-s", "-F", "#{pane_id}")
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 1+len(created) {
		t.Errorf("%d panes in the session, want the placeholder and %d created: %v", len(out), len(created), out)
	}
	c.outMu.RLock()
	defer c.outMu.RUnlock()
	for pane := range c.outs {
		if !created[pane] {
			t.Errorf("ring left registered for %s", pane)
		}
	}
}
