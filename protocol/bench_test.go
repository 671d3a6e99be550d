package protocol

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// BenchmarkSend appends one message to an inbox that is empty and to one
// that has seen 10 000 messages (read and moved to history): the live file
// is the same size in both, so the cost should be too (goal ≤ 1.5×).
// Every 100 sends the inbox is marked read (off the clock), as a reader
// would, so b.N does not grow the live file without bound.
func BenchmarkSend(b *testing.B) {
	for _, seen := range []int{0, 10_000} {
		b.Run(fmt.Sprintf("seen=%d", seen), func(b *testing.B) {
			s := NewStore(b.TempDir())
			if _, err := s.CreateTeam("t1", "", Member{}); err != nil {
				b.Fatal(err)
			}
			text := strings.Repeat("x", 200)
			seedHistory(b, s, "w1", seen, text)
			sendLoop(b, s, text)
		})
	}
}

// seedHistory gives agent's inbox the state n sent-and-read messages
// leave: a history file of n read entries and an empty live file. (Sending
// them one by one costs minutes on a slow disk; the bytes are the same.)
func seedHistory(b *testing.B, s *Store, agent string, n int, text string) {
	b.Helper()
	var hist []byte
	for range n {
		m := s.fillMessage(Message{From: LeadName, Text: text})
		m.Read = true
		line, err := marshalCompact(m)
		if err != nil {
			b.Fatal(err)
		}
		hist = append(append(hist, line...), '\n')
	}
	if err := mkdirs(filepath.Dir(s.HistoryPath("t1", agent))); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(s.HistoryPath("t1", agent), hist, 0o600); err != nil {
		b.Fatal(err)
	}
	if err := s.ensureInbox("t1", agent); err != nil {
		b.Fatal(err)
	}
	if res, err := s.ReadInbox("t1", agent, ReadOptions{}); err != nil || len(res.Messages) != n {
		b.Fatalf("seeded history: %d messages, %v", len(res.Messages), err)
	}
}

// BenchmarkCreateTask allocates ids and writes task files.
func BenchmarkCreateTask(b *testing.B) {
	s := NewStore(b.TempDir())
	if _, err := s.CreateTeam("t1", "", Member{}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if _, err := s.CreateTask("t1", TaskInput{Subject: "task", Description: "a task"}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadInboxMarkRead reads and marks 10 unread messages.
func BenchmarkReadInboxMarkRead(b *testing.B) {
	s := NewStore(b.TempDir())
	if _, err := s.CreateTeam("t1", "", Member{}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		for range 10 {
			if _, err := s.Send("t1", "w1", Message{From: LeadName, Text: "x"}); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		if _, err := s.ReadInbox("t1", "w1", ReadOptions{MarkRead: true, UnreadOnly: true}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMultiProcessSend measures messages per second with 4 processes
// (the test binary re-executed) each sending 100 messages to one inbox at
// the same time; it reports msgs/s. Between rounds the inbox is marked read.
func BenchmarkMultiProcessSend(b *testing.B) {
	const procs, each = 4, 100
	s := NewStore(b.TempDir())
	if _, err := s.CreateTeam("t1", "", Member{}); err != nil {
		b.Fatal(err)
	}
	var total time.Duration
	for range b.N {
		var hs []*helper
		for p := range procs {
			hs = append(hs, startHelper(b, "send-on-go", helperArgs{Root: s.Root(), Team: "t1", To: "w1", From: fmt.Sprintf("p%d", p), Count: each}))
		}
		for _, h := range hs {
			h.expect(b, "ready")
		}
		start := time.Now()
		for _, h := range hs {
			if _, err := h.stdin.Write([]byte("go\n")); err != nil {
				b.Fatal(err)
			}
		}
		for _, h := range hs {
			h.expect(b, "done")
		}
		total += time.Since(start)
		for _, h := range hs {
			h.wait(b)
		}
		res, err := s.ReadInbox("t1", "w1", ReadOptions{MarkRead: true, UnreadOnly: true})
		if err != nil || len(res.Messages) != procs*each {
			b.Fatalf("read %d messages, want %d: %v", len(res.Messages), procs*each, err)
		}
	}
	b.ReportMetric(float64(b.N*procs*each)/total.Seconds(), "msgs/s")
	b.ReportMetric(0, "ns/op")
}

// sendLoop sends b.N lead messages of text to w1 of team t1, marking its
// inbox read (off the clock) every 100 sends so the live file stays small.
func sendLoop(b *testing.B, s *Store, text string) {
	b.Helper()
	b.ResetTimer()
	for i := range b.N {
		if _, err := s.Send("t1", "w1", Message{From: LeadName, Text: text}); err != nil {
			b.Fatal(err)
		}
		if i%100 == 99 {
			b.StopTimer()
			if _, err := s.ReadInbox("t1", "w1", ReadOptions{MarkRead: true, UnreadOnly: true}); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
	}
}
