package protocol

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// unreadInbox returns the bytes of an inbox holding n unread messages of
// about 900 bytes each (the size of the 50 MB, 55 000-message
// inbox).
func unreadInbox(tb testing.TB, s *Store, n int) []byte {
	tb.Helper()
	text := strings.Repeat("y", 760)
	raw := make([]json.RawMessage, 0, n)
	for range n {
		e, err := marshalCompact(s.fillMessage(Message{From: LeadName, Text: text}))
		if err != nil {
			tb.Fatal(err)
		}
		raw = append(raw, e)
	}
	return encodeInbox(raw)
}

// BenchmarkAppendUnread appends one message to an inbox already holding
// 0, 1 000 or 10 000 unread messages (goal: 10 000 ≤ 3× 0). Every 100
// appends the inbox is reset (off the clock) so b.N does not grow it.
func BenchmarkAppendUnread(b *testing.B) {
	for _, unread := range []int{0, 1_000, 10_000} {
		b.Run(fmt.Sprintf("unread=%d", unread), func(b *testing.B) {
			s := NewStore(b.TempDir())
			if _, err := s.CreateTeam("t1", "", Member{}); err != nil {
				b.Fatal(err)
			}
			seed := unreadInbox(b, s, unread)
			path := s.InboxPath("t1", "w1")
			reset := func() {
				if err := WriteJSONFile(path, json.RawMessage(seed)); err != nil {
					b.Fatal(err)
				}
			}
			reset()
			text := strings.Repeat("x", 200)
			b.ResetTimer()
			for i := range b.N {
				if _, err := s.Send("t1", "w1", Message{From: LeadName, Text: text}); err != nil {
					b.Fatal(err)
				}
				if i%100 == 99 {
					b.StopTimer()
					reset()
					b.StartTimer()
				}
			}
		})
	}
}

// bigInboxEnv names the inbox TestReadBigInboxChild reads; set only when
// BenchmarkReadBigInbox runs the test binary again for it.
const bigInboxEnv = "CLAUDE_TEAMS_BENCH_BIG_INBOX"

// BenchmarkReadBigInbox reads (and marks read, as read_inbox does by
// default) a 50 MB inbox of 55 000 unread messages, each time in a child
// process of its own, and reports the child's peak RSS and its ratio to the
// file size (goal ≤ 3).
func BenchmarkReadBigInbox(b *testing.B) {
	dir := b.TempDir()
	s := NewStore(dir)
	if _, err := s.CreateTeam("t1", "", Member{}); err != nil {
		b.Fatal(err)
	}
	seed := unreadInbox(b, s, 55_000)
	var peak int64
	for range b.N {
		b.StopTimer()
		if err := os.RemoveAll(filepath.Dir(s.HistoryPath("t1", "w1"))); err != nil {
			b.Fatal(err)
		}
		if err := WriteJSONFile(s.InboxPath("t1", "w1"), json.RawMessage(seed)); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		cmd := exec.Command(os.Args[0], "-test.run=^TestReadBigInboxChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), bigInboxEnv+"="+dir)
		out, err := cmd.CombinedOutput()
		if err != nil {
			b.Fatalf("child: %v\n%s", err, out)
		}
		kb, err := strconv.ParseInt(strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0]), 10, 64)
		if err != nil {
			b.Fatalf("child output %q", out)
		}
		peak = max(peak, kb*1024)
	}
	b.ReportMetric(float64(peak)/(1<<20), "peakRSS-MB")
	b.ReportMetric(float64(peak)/float64(len(seed)), "RSS/file")
	b.ReportMetric(float64(len(seed))/(1<<20), "file-MB")
}

// TestReadBigInboxChild is BenchmarkReadBigInbox's child: it reads the
// inbox and prints its peak RSS (VmHWM) in KB. Without the benchmark it does
// nothing.
func TestReadBigInboxChild(t *testing.T) {
	dir := os.Getenv(bigInboxEnv)
	if dir == "" {
		return
	}
	res, err := NewStore(dir).ReadInbox("t1", "w1", ReadOptions{UnreadOnly: true, MarkRead: true})
	if err != nil || len(res.Messages) != 55_000 {
		t.Fatalf("read %d messages: %v", len(res.Messages), err)
	}
	// VmHWM, not getrusage: ru_maxrss survives execve, so it would
	// report the benchmark process's peak (Go starts children with
	// CLONE_VM), not this one's.
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(status)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			fmt.Println(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return
		}
	}
	t.Fatal("no VmHWM in /proc/self/status")
}

// BenchmarkInboxWriteFloor is the floor of an append: replacing an inbox
// of the benchmark's sizes by a temp file of the same bytes, written with
// one write, then (fsync=true) fsynced, renamed and the directory
// fsynced, exactly as every write of ours; fsync=false shows what the
// disk's flush costs.
func BenchmarkInboxWriteFloor(b *testing.B) {
	for _, unread := range []int{0, 1_000, 10_000} {
		for _, sync := range []bool{false, true} {
			b.Run(fmt.Sprintf("unread=%d/fsync=%v", unread, sync), func(b *testing.B) {
				s := NewStore(b.TempDir())
				data := unreadInbox(b, s, unread)
				path := filepath.Join(s.Root(), "w1.json")
				b.SetBytes(int64(len(data)))
				for range b.N {
					if sync {
						if err := s.writeAtomic(path, data); err != nil {
							b.Fatal(err)
						}
						continue
					}
					f, err := os.CreateTemp(s.Root(), ".w1.json.tmp-*")
					if err != nil {
						b.Fatal(err)
					}
					if _, err := f.Write(data); err != nil {
						b.Fatal(err)
					}
					f.Close()
					if err := os.Rename(f.Name(), path); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
