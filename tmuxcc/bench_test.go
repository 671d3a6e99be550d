package tmuxcc

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap"
)

// Benchmarks print their figures with b.ReportMetric. Run them with
//
//	go test ./tmuxcc -run '^$' -bench . -benchtime 1x
//
// (BenchmarkCommand uses the usual b.N loop; use -benchtime 2000x there.)

func (s *testServer) benchDial(b *testing.B, mode Mode) *Conn {
	b.Helper()
	cfg := Config{SocketPath: s.socket, ConfigFile: "/dev/null", Session: "main", Create: true,
		Mode: mode, Env: s.env, Logger: zap.NewNop()}
	c, err := Dial(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return c
}

// exiterHelper runs in a pane: exits with status 3 at TMUXCC_EXIT_AT (unix ns).
func exiterHelper() {
	at, _ := strconv.ParseInt(os.Getenv("TMUXCC_EXIT_AT"), 10, 64)
	time.Sleep(time.Until(time.Unix(0, at)))
	os.Exit(3)
}

func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return -1
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[min(len(s)-1, int(p*float64(len(s))))]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// BenchmarkPaneExitLatency: pane process exit -> PaneExited, over 100
// exits, next to polling `tmux list-panes` (a subprocess per poll) every
// 100 ms and every 1 s during the same run.
func BenchmarkPaneExitLatency(b *testing.B) {
	s := newTestServer(b)
	c := s.benchDial(b, ModeCC)
	exe, _ := os.Executable()
	const n = 100
	start := time.Now().Add(2 * time.Second)
	exitAt := map[string]time.Time{}
	for i := 0; i < n; i++ {
		at := start.Add(time.Duration(i) * 25 * time.Millisecond)
		pane, pid := newWindow(b, c, []string{"TMUXCC_HELPER=exiter", "TMUXCC_EXIT_AT=" + strconv.FormatInt(at.UnixNano(), 10)}, exe)
		exitAt[pane] = at
		if err := c.WatchPane(pane, pid); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	var mu sync.Mutex
	polled := map[time.Duration]map[string]time.Time{100 * time.Millisecond: {}, time.Second: {}}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for every, seen := range polled {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tk := time.NewTicker(every)
			defer tk.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tk.C:
				}
				out, _ := s.tmux("list-panes", "-a", "-F", "#{pane_id} #{pane_dead}")
				now := time.Now()
				mu.Lock()
				for _, l := range strings.Split(out, "\n") {
					if f := strings.Fields(l); len(f) == 2 && f[1] == "1" {
						if _, ok := seen[f[0]]; !ok {
							seen[f[0]] = now
						}
					}
				}
				mu.Unlock()
			}
		}()
	}
	var events, noticed []time.Duration
	statusKnown := 0
	timeout := time.After(time.Minute)
	for len(events) < n {
		select {
		case ev := <-c.Events():
			if e, ok := ev.(PaneExited); ok {
				events = append(events, time.Since(exitAt[e.Pane]))
				noticed = append(noticed, e.DeadAt.Sub(exitAt[e.Pane]))
				if e.Status != nil && *e.Status == 3 {
					statusKnown++
				}
			}
		case <-timeout:
			b.Fatalf("only %d exits", len(events))
		}
	}
	time.Sleep(1500 * time.Millisecond) // let the 1 s poller see the last ones
	close(stop)
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(ms(percentile(events, 0.5)), "event-p50-ms")
	b.ReportMetric(ms(percentile(events, 1)), "event-max-ms")
	b.ReportMetric(ms(percentile(noticed, 0.5)), "noticed-p50-ms")
	b.ReportMetric(float64(statusKnown), "status-known")
	b.ReportMetric(float64(c.panes.reapKicks.Load()), "reap-kicks")
	for every, seen := range polled {
		var lat []time.Duration
		for pane, at := range seen {
			lat = append(lat, at.Sub(exitAt[pane]))
		}
		name := fmt.Sprintf("poll%dms", every.Milliseconds())
		b.ReportMetric(ms(percentile(lat, 0.5)), name+"-p50-ms")
		b.ReportMetric(ms(percentile(lat, 1)), name+"-max-ms")
	}
}

// cpuOf returns user+system CPU time of a process from /proc.
func cpuOf(pid int) time.Duration {
	st, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(st[strings.LastIndexByte(string(st), ')')+2:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	stt, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+stt) * 10 * time.Millisecond // USER_HZ = 100
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// burstScript prints exactly %d bytes of hex digits and spaces (no
// newline, so the pty adds nothing) and then DONE.
const burstScript = "head -c %d /dev/urandom | od -An -tx1 | tr -d '\\n' | head -c %d; printf DONE; sleep 600"

// BenchmarkOutputThroughput: MB/s of dense pane output through the
// connection, and CPU per MB of this process, the tmux client and the
// server, for -CC and -C, next to `cat > /dev/null` of the same bytes.
func BenchmarkOutputThroughput(b *testing.B) {
	const size = 20 << 20
	for _, m := range modes {
		b.Run(m.String(), func(b *testing.B) {
			s := newTestServer(b)
			c := s.benchDial(b, m)
			out, _ := c.Command(context.Background(), "display-message", "-p", "#{pid}")
			server, _ := strconv.Atoi(out[0])
			cpu0, cli0, srv0 := selfCPU(), cpuOf(c.ClientPID()), cpuOf(server)
			t0 := time.Now()
			b.ResetTimer()
			_, _, po := createWindow(b, c, 1<<16, nil, "sh", "-c", fmt.Sprintf(burstScript, size, size))
			for po.Total() < size+4 {
				time.Sleep(5 * time.Millisecond)
			}
			el := time.Since(t0)
			b.StopTimer()
			mb := float64(po.Total()) / 1e6
			b.ReportMetric(mb/el.Seconds(), "MB/s")
			b.ReportMetric(ms(selfCPU()-cpu0)/mb, "self-cpu-ms/MB")
			b.ReportMetric(ms(cpuOf(c.ClientPID())-cli0)/mb, "client-cpu-ms/MB")
			b.ReportMetric(ms(cpuOf(server)-srv0)/mb, "server-cpu-ms/MB")
		})
	}
	b.Run("cat", func(b *testing.B) {
		cmd := exec.Command("sh", "-c", fmt.Sprintf(strings.Replace(burstScript, "; printf DONE; sleep 600", "", 1)+" | cat > /dev/null", size, size))
		t0 := time.Now()
		if err := cmd.Run(); err != nil {
			b.Fatal(err)
		}
		el := time.Since(t0)
		ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		mb := float64(size) / 1e6
		b.ReportMetric(mb/el.Seconds(), "MB/s")
		b.ReportMetric(ms(time.Duration(ru.Utime.Nano()+ru.Stime.Nano()))/mb, "pipeline-cpu-ms/MB")
	})
}

// BenchmarkCommand: one command round trip over the connection, next to
// forking `tmux display-message -p` per call.
func BenchmarkCommand(b *testing.B) {
	for _, m := range modes {
		b.Run("conn"+m.String(), func(b *testing.B) {
			s := newTestServer(b)
			c := s.benchDial(b, m)
			ctx := context.Background()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := c.Command(ctx, "display-message", "-p", "#{pane_id}"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("fork", func(b *testing.B) {
		s := newTestServer(b)
		s.benchDial(b, ModeC) // starts the server
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := s.tmux("display-message", "-p", "-t", "main", "#{pane_id}"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkOutputPath: the per-%output-line work of readLoop (parse,
// unescape, pane lookup, ring write) without tmux, in bytes/s and
// allocations per line. Run with
//
//	go test ./tmuxcc -run '^$' -bench OutputPath -benchmem
func BenchmarkOutputPath(b *testing.B) {
	c := &Conn{outs: map[string]*PaneOutput{"%12": newPaneOutput("%12", 0)}}
	d := &dispatcher{c: c}
	var chunk []byte
	lines := 0
	for len(chunk) < 60<<10 {
		chunk = append(chunk, "%output %12 plain text \\033[1mbold\\033[0m and a backslash \\134 here\\015\\012\r\n"...)
		lines++
	}
	p := newParser(true)
	p.sawDCS = true
	b.SetBytes(int64(len(chunk)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d.now = time.Now() // as readLoop does per read
		p.feed(chunk, d.handle)
	}
	b.ReportMetric(float64(lines), "lines/op")
}
