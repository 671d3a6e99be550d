package main

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/f9449b24/claude-teams/protocol"
)

// Benchmarks of the built binary over stdio. Run them with
//
//	go test ./cmd/claude-teams -run '^$' -bench 'ColdStart|SendMessage|TaskCreate' -benchtime 200x
//	go test ./cmd/claude-teams -run '^$' -bench ConcurrentWriters -benchtime 10x
//
// Latency benchmarks report p50 and p99 of the individual calls in µs
// besides ns/op.

// latencies collects per-call durations and reports their percentiles.
type latencies []time.Duration

func (l latencies) report(b *testing.B, prefix string) time.Duration {
	if len(l) == 0 {
		return 0
	}
	s := slices.Clone(l)
	slices.Sort(s)
	p50, p99 := s[len(s)/2], s[len(s)*99/100]
	b.ReportMetric(float64(p50.Nanoseconds())/1e3, prefix+"p50-µs")
	b.ReportMetric(float64(p99.Nanoseconds())/1e3, prefix+"p99-µs")
	return p50
}

// BenchmarkColdStart measures exec to the initialize answer.
func BenchmarkColdStart(b *testing.B) {
	env := testEnv(b.TempDir())
	binary(b) // build outside the measurement
	var lat latencies
	for b.Loop() {
		start := time.Now()
		p := startProc(b, env)
		p.initialize("bench")
		lat = append(lat, time.Since(start))
		b.StopTimer()
		p.stdin.Close()
		if err := p.wait(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	lat.report(b, "")
}

// benchTeam starts a server on a fresh root with team "bench" whose
// teammates are the given names, created through the store.
func benchTeam(b *testing.B, teammates ...string) (*proc, *protocol.Store) {
	b.Helper()
	root := b.TempDir()
	store := protocol.NewStore(root)
	if _, err := store.CreateTeam("bench", "", protocol.Member{Cwd: root}); err != nil {
		b.Fatal(err)
	}
	for _, name := range teammates {
		if _, err := store.AddMember("bench", protocol.Member{Name: name, Cwd: root, Prompt: "p"}); err != nil {
			b.Fatal(err)
		}
	}
	p := startProc(b, append(testEnv(root), "CLAUDE_TEAMS_LOG_LEVEL=warn"))
	p.initialize("bench")
	return p, store
}

func sendArgs(to string) map[string]any {
	return map[string]any{"team_name": "bench", "type": "message", "recipient": to,
		"content": "please look at the failing test in protocol/inbox_test.go", "summary": "a task"}
}

// timedCall calls a tool and returns how long the round trip took.
func timedCall(b *testing.B, p *proc, name string, args map[string]any) time.Duration {
	start := time.Now()
	r := p.callTool(name, args)
	d := time.Since(start)
	if r.IsError {
		b.Fatalf("%s: %s", name, r.Content[0].Text)
	}
	return d
}

// BenchmarkSendMessage measures send_message (lead to teammate) over
// stdio; the recipient reads its inbox between sends, as a live teammate
// does, so the inbox stays empty.
func BenchmarkSendMessage(b *testing.B) {
	p, store := benchTeam(b, "w1")
	var lat latencies
	for b.Loop() {
		lat = append(lat, timedCall(b, p, "send_message", sendArgs("w1")))
		b.StopTimer()
		markRead(b, store, "w1")
		b.StartTimer()
	}
	lat.report(b, "")
}

// BenchmarkTaskCreate measures task_create over stdio.
func BenchmarkTaskCreate(b *testing.B) {
	p, _ := benchTeam(b)
	var lat latencies
	for b.Loop() {
		lat = append(lat, timedCall(b, p, "task_create", map[string]any{"team_name": "bench",
			"subject": "write the benchmark", "description": "cold start, send, task, contention"}))
	}
	lat.report(b, "")
}

// BenchmarkSendMessageBacklog compares send_message to an inbox that has
// seen 10 000 messages (read, so kept in the history file) with one to an
// empty inbox, interleaved in one run; ratio is backlog p50 / empty p50
// (goal ≤ 1.5). The unread sub-benchmark sends to an inbox holding 10 000
// unread messages, which the live file must keep.
func BenchmarkSendMessageBacklog(b *testing.B) {
	for _, bc := range []struct {
		name string
		read bool // the 10 000 messages (and each one sent) are read
	}{{"read", true}, {"unread", false}} {
		b.Run(bc.name, func(b *testing.B) {
			p, store := benchTeam(b, "empty", "full")
			fillInbox(b, store, "full", 10000)
			if bc.read {
				markRead(b, store, "full")
			}
			var empty, full latencies
			for b.Loop() {
				empty = append(empty, timedCall(b, p, "send_message", sendArgs("empty")))
				full = append(full, timedCall(b, p, "send_message", sendArgs("full")))
				b.StopTimer()
				markRead(b, store, "empty")
				if bc.read {
					markRead(b, store, "full")
				}
				b.StartTimer()
			}
			e, f := empty.report(b, "empty-"), full.report(b, "10k-")
			if e > 0 {
				b.ReportMetric(float64(f)/float64(e), "ratio")
			}
		})
	}
}

// BenchmarkConcurrentWriters runs 4 server processes, each sending 50
// messages as its own teammate to the lead at the same time; msgs/s is the
// combined rate into the one inbox (the lead drains it between rounds).
func BenchmarkConcurrentWriters(b *testing.B) {
	const writers, perWriter = 4, 50
	root := b.TempDir()
	store := protocol.NewStore(root)
	if _, err := store.CreateTeam("bench", "", protocol.Member{Cwd: root}); err != nil {
		b.Fatal(err)
	}
	procs := make([]*proc, writers)
	for i := range procs {
		name := fmt.Sprintf("w%d", i)
		if _, err := store.AddMember("bench", protocol.Member{Name: name, Cwd: root, Prompt: "p"}); err != nil {
			b.Fatal(err)
		}
		procs[i] = startProc(b, append(testEnv(root), "CLAUDE_TEAMS_LOG_LEVEL=warn"))
		procs[i].initialize("bench")
	}
	var total time.Duration
	for b.Loop() {
		start := time.Now()
		var wg sync.WaitGroup
		errs := make(chan error, writers)
		for i, p := range procs {
			wg.Go(func() {
				args := map[string]any{"team_name": "bench", "type": "message", "sender": fmt.Sprintf("w%d", i),
					"recipient": "team-lead", "content": "progress report", "summary": "progress"}
				for range perWriter {
					if r, err := p.callToolErr("send_message", args); err != nil || r.IsError {
						errs <- fmt.Errorf("writer %d: %v %+v", i, err, r.Content)
						return
					}
				}
			})
		}
		wg.Wait()
		total += time.Since(start)
		close(errs)
		for err := range errs {
			b.Fatal(err)
		}
		b.StopTimer()
		if n := len(markRead(b, store, "team-lead")); n != writers*perWriter {
			b.Fatalf("lead got %d messages, want %d", n, writers*perWriter)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(writers*perWriter*b.N)/total.Seconds(), "msgs/s")
}

// fillInbox writes n messages to agent's inbox in one go, as the files of
// a long-lived team would hold them.
func fillInbox(b *testing.B, store *protocol.Store, agent string, n int) {
	b.Helper()
	msgs := make([]protocol.Message, n)
	for i := range msgs {
		msgs[i] = protocol.Message{From: "team-lead", Text: fmt.Sprintf("message %d: %s", i, sendArgs(agent)["content"]),
			Summary: "a task", Timestamp: protocol.FormatTimestamp(time.Now()), MsgV: 1,
			MsgID: protocol.NewUUID(), Type: "message"}
	}
	data, err := json.MarshalIndent(msgs, "", "  ")
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(store.InboxPath("bench", agent), data, 0o600); err != nil {
		b.Fatal(err)
	}
}

func markRead(b *testing.B, store *protocol.Store, agent string) []protocol.Message {
	b.Helper()
	res, err := store.ReadInbox("bench", agent, protocol.ReadOptions{UnreadOnly: true, MarkRead: true})
	if err != nil {
		b.Fatal(err)
	}
	return res.Messages
}
