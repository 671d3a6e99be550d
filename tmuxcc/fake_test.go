package tmuxcc

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"
)

// The test binary re-executed with TMUXCC_HELPER=fake plays a tmux -C
// client: it answers each command of a line with a block whose payload is
// the command text itself plus lines that look like guards, and sprinkles
// notifications, output and flag-0 (hook) blocks between the replies.
// Commands starting with "fail" get an %error and end their line; "die"
// exits at once without answering; "hang" is never answered.

func TestMain(m *testing.M) {
	switch os.Getenv("TMUXCC_HELPER") {
	case "fake":
		fakeServer(os.Stdin, os.Stdout)
		os.Exit(0)
	case "dialer":
		dialerHelper()
		os.Exit(0)
	case "exiter":
		exiterHelper()
		os.Exit(0)
	case "writer":
		writerHelper()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func fakeServer(in io.Reader, out io.Writer) {
	w := bufio.NewWriter(out)
	rng := rand.New(rand.NewSource(1))
	n := 100
	block := func(flags int, fail bool, lines ...string) {
		n++
		fmt.Fprintf(w, "%%begin 1700000000 %d %d\n", n, flags)
		for _, l := range lines {
			fmt.Fprintln(w, l)
		}
		end := "%end"
		if fail {
			end = "%error"
		}
		fmt.Fprintf(w, "%s 1700000000 %d %d\n", end, n, flags)
	}
	noise := func() {
		switch rng.Intn(6) {
		case 0:
			fmt.Fprintf(w, "%%output %%1 noise\\015\\012\n")
		case 1:
			fmt.Fprintf(w, "%%window-add @%d\n", rng.Intn(100))
		case 2:
			block(0, false, "hook output")
		}
	}
	block(0, false)
	io.WriteString(w, "%session-changed $0 fake\n")
	w.Flush()
	r := bufio.NewReader(in)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimSuffix(line, "\n")
		if line == "" {
			io.WriteString(w, "%exit\n")
			w.Flush()
			return
		}
		for _, cmd := range strings.Split(line, " ; ") {
			noise()
			switch {
			case strings.HasPrefix(cmd, "die"):
				w.Flush()
				os.Exit(0)
			case strings.HasPrefix(cmd, "hang"):
			case strings.HasPrefix(cmd, "pause-me"):
				block(1, false)
				io.WriteString(w, "%pause %1\n")
			case strings.HasPrefix(cmd, "refresh-client '-A' '%1:continue'"):
				block(1, false, "%continue %1") // as tmux 3.3a does
			case strings.HasPrefix(cmd, "fail"):
				block(1, true, "failed: "+cmd)
			default:
				block(1, false, "%end 1700000000 1 1", cmd, fmt.Sprintf("%%end 1700000000 %d 0", n+1), "%begin x")
				continue
			}
			if strings.HasPrefix(cmd, "pause-me") || strings.HasPrefix(cmd, "refresh-client") {
				continue
			}
			break
		}
		w.Flush()
	}
}

// dialFake starts the fake server as the "tmux" binary.
func dialFake(t *testing.T) *Conn {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	c, err := Dial(ctxT(t), Config{
		Tmux: exe, Session: "fake", Mode: ModeC, PauseAfter: -1,
		Env:    append(os.Environ(), "TMUXCC_HELPER=fake"),
		Logger: zaptest.NewLogger(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestFakeConcurrentCommands(t *testing.T) {
	c := dialFake(t)
	var wg sync.WaitGroup
	var cancelled atomic.Int64
	for g := 0; g < 40; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 50; j++ {
				arg := fmt.Sprintf("g%d-%d it's", g, j)
				ctx := context.Background()
				var cancel context.CancelFunc = func() {}
				if j%7 == 3 {
					ctx, cancel = context.WithCancel(ctx)
					cancel() // abandoned: its reply must not reach anyone else
				}
				out, err := c.Command(ctx, "display-message", "-p", arg)
				cancel()
				if errors.Is(err, context.Canceled) {
					cancelled.Add(1)
					continue
				}
				want := "display-message '-p' " + Quote(arg)
				if err != nil || len(out) != 4 || out[1] != want {
					t.Errorf("got %q, %v; want %q", out, err, want)
					return
				}
			}
		}()
	}
	wg.Wait()
	// Lines of several commands, and a failure in the middle.
	blocks, err := c.CommandLine(ctxT(t), []string{"one"}, []string{"fail-two"}, []string{"three"})
	var ce *CommandError
	if !errors.As(err, &ce) || ce.Index != 1 || ce.Message != "failed: fail-two" || len(blocks) != 1 || blocks[0][1] != "one" {
		t.Fatalf("CommandLine = %q, %v", blocks, err)
	}
	blocks, err = c.CommandLine(ctxT(t), []string{"one"}, []string{"two"})
	if err != nil || len(blocks) != 2 || blocks[1][1] != "two" {
		t.Fatalf("CommandLine = %q, %v", blocks, err)
	}
	t.Logf("%d commands abandoned by their callers", cancelled.Load())
}

func TestFakeReadFailureFailsWaiters(t *testing.T) {
	c := dialFake(t)
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.Command(ctxT(t), "hang")
			errs <- err
		}()
	}
	time.Sleep(50 * time.Millisecond)
	_, err := c.Command(ctxT(t), "die")
	if !errors.Is(err, ErrClosed) || !errors.Is(err, io.EOF) {
		t.Fatalf("die: %v", err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("waiter: %v", err)
		}
	}
	<-c.Done()
	if !errors.Is(c.Err(), io.EOF) {
		t.Fatalf("Err = %v", c.Err())
	}
	for range c.Events() { // closed after the queued events
	}
}

func TestFakePauseContinue(t *testing.T) {
	c := dialFake(t)
	po := c.WatchOutput("%1", 0)
	if _, err := c.Command(ctxT(t), "pause-me"); err != nil {
		t.Fatal(err)
	}
	var sawPause, sawContinue bool
	timeout := time.After(10 * time.Second)
	for !sawPause || !sawContinue {
		select {
		case ev := <-c.Events():
			switch ev.(type) {
			case Pause:
				sawPause = true
			case Continue:
				sawContinue = true
			}
		case <-timeout:
			t.Fatalf("pause %v continue %v", sawPause, sawContinue)
		}
	}
	if po.Pauses() != 1 {
		t.Fatalf("Pauses = %d", po.Pauses())
	}
}

// TestFakeCloseWhileBusy: Close while many goroutines send commands and
// watch panes: each call returns (a reply or ErrClosed), nothing leaks.
func TestFakeCloseWhileBusy(t *testing.T) {
	checkNoLeak(t)
	c := dialFake(t)
	var wg sync.WaitGroup
	for g := 0; g < 20; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; ; j++ {
				_, err := c.Command(context.Background(), "display-message", "-p", fmt.Sprint(j))
				if err != nil {
					if !errors.Is(err, ErrClosed) {
						t.Errorf("err %v", err)
					}
					return
				}
			}
		}()
	}
	time.Sleep(100 * time.Millisecond)
	c.Close()
	wg.Wait()
	if err := c.WatchPane("%1", 0); !errors.Is(err, ErrClosed) {
		t.Fatalf("WatchPane after Close: %v", err)
	}
}

// TestFakeRefreshInLine: tmux 3.3a puts %continue inside the reply block of
// refresh-client -A, wherever that command stands on a line: it becomes an
// event, not payload of the reply.
func TestFakeRefreshInLine(t *testing.T) {
	c := dialFake(t)
	blocks, err := c.CommandLine(ctxT(t), []string{"display-message", "-p", "%continue %1"},
		[]string{"refresh-client", "-A", "%1:continue"})
	if err != nil || len(blocks) != 2 || len(blocks[1]) != 0 || len(blocks[0]) != 4 {
		t.Fatalf("CommandLine = %q, %v", blocks, err)
	}
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev := <-c.Events():
			if e, ok := ev.(Continue); ok && e.Pane == "%1" {
				return
			}
		case <-timeout:
			t.Fatal("no Continue event")
		}
	}
}
