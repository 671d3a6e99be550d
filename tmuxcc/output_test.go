package tmuxcc

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"
)

func TestPaneOutputRing(t *testing.T) {
	p := newPaneOutput("%1", 10)
	var all []byte
	for i, chunk := range []string{"abc", "defgh", "ij", "klmnopqrstuvwxyz", "1", "23456789", ""} {
		p.write([]byte(chunk), time.Unix(int64(i), 0))
		all = append(all, chunk...)
		want := all
		if len(want) > 10 {
			want = want[len(want)-10:]
		}
		if got := p.Snapshot(); !bytes.Equal(got, want) {
			t.Fatalf("after %q: %q, want %q", chunk, got, want)
		}
		if p.Total() != int64(len(all)) || p.Dropped() != int64(len(all)-len(want)) {
			t.Fatalf("total %d dropped %d", p.Total(), p.Dropped())
		}
	}
	select {
	case <-p.Notify():
	default:
		t.Fatal("no notification")
	}
	if p.LastActivity() != time.Unix(5, 0) {
		t.Fatalf("LastActivity %v", p.LastActivity())
	}
	// Grows lazily, keeps order across the wrap.
	big := newPaneOutput("%2", 10000)
	var all2 []byte
	for i := 0; i < 500; i++ {
		chunk := bytes.Repeat([]byte{byte('a' + i%26)}, i%97)
		big.write(chunk, time.Now())
		all2 = append(all2, chunk...)
	}
	if got := big.Snapshot(); !bytes.Equal(got, all2[len(all2)-10000:]) {
		t.Fatal("big ring content differs")
	}
}

// writerHelper runs in a pane: every byte value, a UTF-8 character split
// across two writes, then END, then waits to be killed.
func writerHelper() {
	os.Stdout.Write(writerPattern())
	os.Stdout.Write([]byte("caf\xc3"))
	time.Sleep(100 * time.Millisecond)
	os.Stdout.Write([]byte("\xa9 END"))
	time.Sleep(time.Minute)
}

func writerPattern() []byte {
	var b []byte
	for r := 0; r < 40; r++ {
		for i := 0; i < 256; i++ {
			b = append(b, byte(i))
		}
	}
	return b
}

func TestOutputByteExact(t *testing.T) {
	exe, _ := os.Executable()
	for _, m := range modes {
		t.Run(m.String(), func(t *testing.T) {
			s := newTestServer(t)
			c := s.dial(m)
			pane, _, po := createWindow(t, c, 0, []string{"TMUXCC_HELPER=writer"}, exe)
			if c.WatchOutput(pane, 5) != po {
				t.Fatal("WatchOutput is not idempotent")
			}
			want := append(bytes.ReplaceAll(writerPattern(), []byte("\n"), []byte("\r\n")), "caf\xc3\xa9 END"...)
			deadline := time.Now().Add(20 * time.Second)
			for !bytes.HasSuffix(po.Snapshot(), []byte(" END")) && time.Now().Before(deadline) {
				select {
				case <-po.Notify():
				case <-time.After(time.Second):
				}
			}
			got := po.Snapshot()
			if !bytes.Equal(got, want) {
				i := 0
				for i < len(got) && i < len(want) && got[i] == want[i] {
					i++
				}
				t.Fatalf("output differs at byte %d of %d/%d: got %q want %q", i, len(got), len(want),
					got[i:min(i+20, len(got))], want[i:min(i+20, len(want))])
			}
			c.UnwatchOutput(pane)
		})
	}
}

// TestOutputBurst: 50 MB of pane output while nobody consumes it does not
// disconnect the client; the ring keeps the tail and counts the rest.
func TestOutputBurst(t *testing.T) {
	if testing.Short() {
		t.Skip("50 MB burst skipped in -short mode")
	}
	s := newTestServer(t)
	c := s.dial(ModeCC)
	const size = 50 << 20
	_, _, po := createWindow(t, c, 1<<16, nil, "sh", "-c", "head -c 52428800 /dev/zero | tr '\\0' 'x'; printf DONE; sleep 60")
	deadline := time.Now().Add(3 * time.Minute)
	for !strings.HasSuffix(string(po.Snapshot()), "DONE") {
		if time.Now().After(deadline) {
			t.Fatalf("only %d bytes arrived", po.Total())
		}
		select {
		case <-c.Done():
			t.Fatalf("connection ended: %v", c.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
	if po.Total() != size+4 || po.Dropped() != size+4-(1<<16) {
		t.Fatalf("total %d dropped %d", po.Total(), po.Dropped())
	}
	if out, err := c.Command(ctxT(t), "display-message", "-p", "alive"); err != nil || out[0] != "alive" {
		t.Fatalf("after burst: %q %v", out, err)
	}
}
