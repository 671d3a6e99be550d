package mcp_test

import (
	"context"
	"testing"
	"time"

	"github.com/f9449b24/claude-teams/protocol"
)

func (h *harness) send(team, to, from, text string) {
	h.t.Helper()
	if _, err := h.store.Send(team, to, protocol.Message{From: from, Text: text}); err != nil {
		h.t.Fatalf("send: %v", err)
	}
}

func TestReadInbox(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.createTeam("alpha", "w1")
	h.send("alpha", "w1", "team-lead", "one")
	h.send("alpha", "w1", "team-lead", "two")

	peek := h.list("read_inbox", map[string]any{"team_name": "alpha", "agent_name": "w1", "mark_as_read": false})
	if len(peek) != 2 || peek[0]["text"] != "one" || peek[1]["text"] != "two" || peek[0]["read"] != false {
		t.Fatalf("peek = %v", peek)
	}
	got := h.list("read_inbox", map[string]any{"team_name": "alpha", "agent_name": "w1"})
	if len(got) != 2 {
		t.Fatalf("read = %v", got)
	}
	if again := h.list("read_inbox", map[string]any{"team_name": "alpha", "agent_name": "w1"}); len(again) != 0 {
		t.Fatalf("unread after marking = %v", again)
	}
	all := h.list("read_inbox", map[string]any{"team_name": "alpha", "agent_name": "w1", "unread_only": false})
	if len(all) != 2 || all[0]["read"] != true {
		t.Fatalf("all = %v", all)
	}
	h.fail("read_inbox", map[string]any{"team_name": "alpha", "agent_name": "ghost"}, `"ghost"`, "not a member")
	h.fail("read_inbox", map[string]any{"team_name": "alpha", "agent_name": "../w1"}, `"../w1"`)
	h.fail("read_inbox", map[string]any{"team_name": "nope", "agent_name": "w1"}, `"nope"`)
}

func TestReadInboxCorrupt(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.createTeam("alpha", "w1")
	h.corruptInbox("alpha", "w1")
	h.wantCorruptNote(h.call("read_inbox", map[string]any{"team_name": "alpha", "agent_name": "w1"}), "w1")
}

func TestPollInboxReturnsWaitingMail(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.createTeam("alpha", "w1")
	h.send("alpha", "team-lead", "w1", "ready")
	got := h.ok("poll_inbox", map[string]any{"team_name": "alpha", "agent_name": "team-lead", "timeout_ms": 540000})
	msgs := got["messages"].([]any)
	if got["timed_out"] != false || len(msgs) != 1 || msgs[0].(map[string]any)["text"] != "ready" {
		t.Fatalf("poll = %v", got)
	}
	if n, _, _ := h.store.Unread("alpha", "team-lead"); n != 0 {
		t.Errorf("unread after poll = %d", n)
	}
}

func TestPollInboxTimesOut(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.createTeam("alpha", "w1")
	got := h.ok("poll_inbox", map[string]any{"team_name": "alpha", "agent_name": "w1", "timeout_ms": 20})
	if got["timed_out"] != true || len(got["messages"].([]any)) != 0 {
		t.Fatalf("poll = %v", got)
	}
	h.fail("poll_inbox", map[string]any{"team_name": "alpha", "agent_name": "w1", "timeout_ms": -1}, "-1")
	h.fail("poll_inbox", map[string]any{"team_name": "alpha", "agent_name": "ghost"}, `"ghost"`)
}

// TestPollInboxWakes checks that a waiting poll returns the message sent
// while it waits, both with inotify and with the periodic re-check.
func TestPollInboxWakes(t *testing.T) {
	for _, tc := range []struct {
		name      string
		pollEvery time.Duration
	}{
		{"default", 0},
		{"fast recheck", 5 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, harnessOpts{pollEvery: tc.pollEvery})
			h.createTeam("alpha", "w1")
			type result struct{ got map[string]any }
			done := make(chan result, 1)
			go func() {
				done <- result{h.ok("poll_inbox", map[string]any{"team_name": "alpha", "agent_name": "w1", "timeout_ms": 540000})}
			}()
			// Send until the poller has it: a message that lands before
			// the poll starts is returned at once, which is fine too.
			h.send("alpha", "w1", "team-lead", "wake up")
			select {
			case r := <-done:
				msgs := r.got["messages"].([]any)
				if r.got["timed_out"] != false || len(msgs) != 1 {
					t.Fatalf("poll = %v", r.got)
				}
			case <-time.After(60 * time.Second):
				t.Fatal("poll_inbox did not return after a message arrived")
			}
		})
	}
}

// TestPollInboxCancel checks that a cancelled call ends the wait: the
// harness's cleanup waits for the server to finish every request, which a
// poll ignoring its context would hold up for ten minutes.
func TestPollInboxCancel(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.createTeam("alpha", "w1")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		req := map[string]any{"team_name": "alpha", "agent_name": "w1", "timeout_ms": 540000}
		_, _ = h.client.CallTool(ctx, callReq("poll_inbox", req))
	}()
	time.Sleep(50 * time.Millisecond) // let the call start; the test passes either way
	cancel()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("cancelled call did not return")
	}
	// The session still works.
	h.ok("read_inbox", map[string]any{"team_name": "alpha", "agent_name": "w1"})
}

// TestPollInboxCorrupt: a corrupt inbox is set aside and reported, and the
// wait goes on with a fresh one (as read_inbox does), instead of failing
// every poll until someone repairs the file.
func TestPollInboxCorrupt(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.createTeam("alpha", "w1")
	h.corruptInbox("alpha", "w1")
	h.wantCorruptNote(h.call("poll_inbox", map[string]any{"team_name": "alpha", "agent_name": "w1", "timeout_ms": 10}), "w1")
	if msgs := h.inbox("alpha", "w1"); len(msgs) != 0 {
		t.Errorf("fresh inbox = %+v", msgs)
	}
	h.send("alpha", "w1", "team-lead", "after")
	got := h.ok("poll_inbox", map[string]any{"team_name": "alpha", "agent_name": "w1", "timeout_ms": 10})
	if msgs := got["messages"].([]any); len(msgs) != 1 {
		t.Errorf("poll after repair = %v", got)
	}
}
