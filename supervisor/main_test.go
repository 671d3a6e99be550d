package supervisor

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The test binary doubles as a fake agent CLI and as a supervising process
// (go-plugin's helperProcess idea): TestMain looks at the environment
// before any test flag is parsed.
//
//	CT_FAKE_AGENT=1        run the fake agent: os.Args[1:] are its script
//	CT_SUPERVISOR_HELPER=1 run a Manager in this process (helper_proc_test.go)
//	CT_FAKE_CLAUDE=DIR     act as claude's sessions do (session_test.go)
func TestMain(m *testing.M) {
	switch {
	case os.Getenv("CT_FAKE_AGENT") == "1":
		os.Exit(fakeAgent(os.Args[1:], os.Getenv("CT_AGENT_CTL")))
	case os.Getenv("CT_SUPERVISOR_HELPER") == "1":
		os.Exit(supervisorHelper())
	case os.Getenv("CT_FAKE_CLAUDE") != "":
		os.Exit(fakeClaude(os.Args[1:], os.Getenv("CT_FAKE_CLAUDE")))
	}
	os.Exit(m.Run())
}

// fakeAgent runs a script of commands, then (on "wait") the commands
// appended to the control file ctl, polling it. Commands:
//
//	print TEXT       print TEXT and a newline
//	env KEY          print KEY=<value> (or KEY unset)
//	pwd              print the working directory
//	args             print os.Args[1:] as JSON
//	sleep MS         sleep
//	flood BYTES      print BYTES bytes of 100-byte lines as fast as possible
//	spew RATE        print 100-byte lines at RATE bytes a second, for ever
//	ignore-term      ignore SIGTERM and SIGHUP
//	on-term FILE     on SIGTERM or SIGHUP write FILE, then exit 143 300 ms later
//	noisy-term       on SIGTERM or SIGHUP print a line every 10 ms, exit 143 after 300 ms
//	spin MS          redraw a spinner in place every MS ms, for ever, in the background
//	redraw MS F1,F2  clear and draw the files in turn, one every MS ms, for ever, in the background
//	stamp FILE       write the time (Unix ns) to FILE
//	report DIR       write DIR/report-<pid>.json: args, environment, cwd
//	exit N           exit with status N
//	signal NAME      kill itself with a signal (SIGKILL, SIGSEGV, SIGTERM...)
//	cat FILE         print FILE as it is (a recorded screen)
//	clear            clear the screen
//	setsid           start a session of its own (leave the pane's)
//	pidfile FILE     write its pid to FILE
//	child A,B,...    start a child fake agent running commands A, B, ...
//	hang             block for ever
//	wait             follow the control file for more commands
//
// Words that are not commands (a real CLI's flags, when the fake stands in
// for claude or codex) are printed and skipped; CT_AGENT_SCRIPT (commands
// separated by ";") runs after them. Without an exit command it exits 0 at
// the end of its script.
func fakeAgent(script []string, ctl string) int {
	if extra := os.Getenv("CT_AGENT_SCRIPT"); extra != "" {
		script = append(append([]string(nil), script...), strings.Split(extra, ";")...)
	}
	for _, c := range script {
		if c == "wait" {
			return followControl(ctl)
		}
		if code, done := runAgentCommand(c); done {
			return code
		}
	}
	return 0
}

func followControl(ctl string) int {
	var off int64
	for {
		f, err := os.Open(ctl)
		if err == nil {
			_, _ = f.Seek(off, 0)
			r := bufio.NewReader(f)
			for {
				line, err := r.ReadString('\n')
				if err != nil {
					break // partial line: read it again next time
				}
				off += int64(len(line))
				if code, done := runAgentCommand(strings.TrimSuffix(line, "\n")); done {
					f.Close()
					return code
				}
			}
			f.Close()
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// runAgentCommand runs one command; done means exit with code.
func runAgentCommand(c string) (code int, done bool) {
	verb, arg, _ := strings.Cut(c, " ")
	switch verb {
	case "print":
		fmt.Println(arg)
	case "env":
		if v, ok := os.LookupEnv(arg); ok {
			fmt.Printf("%s=%s\n", arg, v)
		} else {
			fmt.Printf("%s unset\n", arg)
		}
	case "pwd":
		wd, _ := os.Getwd()
		fmt.Println("PWD=" + wd)
	case "args":
		b, _ := json.Marshal(os.Args[1:])
		fmt.Println("ARGS=" + string(b))
	case "sleep":
		ms, _ := strconv.Atoi(arg)
		time.Sleep(time.Duration(ms) * time.Millisecond)
	case "flood":
		n, _ := strconv.Atoi(arg)
		line := []byte(strings.Repeat("x", 99) + "\n")
		w := bufio.NewWriterSize(os.Stdout, 64<<10)
		for sent := 0; sent < n; sent += len(line) {
			_, _ = w.Write(line)
		}
		_ = w.Flush()
		fmt.Println("flood done")
	case "spew":
		rate, _ := strconv.Atoi(arg)
		line := strings.Repeat("y", 99) + "\n"
		per := max(rate/100/20, 1) // lines every 50 ms
		for tick := time.NewTicker(50 * time.Millisecond); ; <-tick.C {
			fmt.Print(strings.Repeat(line, per))
		}
	case "stamp":
		_ = os.WriteFile(arg, []byte(strconv.FormatInt(time.Now().UnixNano(), 10)), 0o600)
	case "report":
		wd, _ := os.Getwd()
		b, _ := json.Marshal(agentReport{Args: os.Args[1:], Env: os.Environ(), Cwd: wd})
		_ = os.WriteFile(fmt.Sprintf("%s/report-%d.json", arg, os.Getpid()), b, 0o600)
	case "ignore-term":
		signal.Ignore(syscall.SIGTERM, syscall.SIGHUP)
	case "on-term":
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, syscall.SIGTERM, syscall.SIGHUP)
		go func() {
			<-ch
			_ = os.WriteFile(arg, nil, 0o600)
			time.Sleep(300 * time.Millisecond)
			os.Exit(143)
		}()
	case "noisy-term":
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, syscall.SIGTERM, syscall.SIGHUP)
		go func() {
			<-ch
			for i := 0; i < 30; i++ {
				fmt.Printf("shutting down %d\n", i)
				time.Sleep(10 * time.Millisecond)
			}
			os.Exit(143)
		}()
	case "spin":
		ms, _ := strconv.Atoi(arg)
		go func() {
			frames := []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}
			for i := 0; ; i++ {
				fmt.Print("\r" + frames[i%len(frames)] + " working")
				time.Sleep(time.Duration(max(ms, 1)) * time.Millisecond)
			}
		}()
	case "redraw":
		msText, list, _ := strings.Cut(arg, " ")
		ms, _ := strconv.Atoi(msText)
		files := strings.Split(list, ",")
		go func() {
			for i := 0; ; i++ {
				b, _ := os.ReadFile(files[i%len(files)])
				_, _ = os.Stdout.Write(append([]byte("\x1b[H\x1b[2J"), b...))
				time.Sleep(time.Duration(max(ms, 1)) * time.Millisecond)
			}
		}()
	case "cat":
		b, err := os.ReadFile(arg)
		if err != nil {
			fmt.Println("cat:", err)
		}
		_, _ = os.Stdout.Write(b)
	case "clear":
		fmt.Print("\x1b[H\x1b[2J\x1b[3J")
	case "setsid":
		if _, err := syscall.Setsid(); err != nil {
			fmt.Println("setsid:", err)
		}
	case "pidfile":
		_ = os.WriteFile(arg, []byte(strconv.Itoa(os.Getpid())), 0o600)
	case "child":
		self, _ := os.Executable()
		cmd := exec.Command(self, strings.Split(arg, ",")...)
		cmd.Env = append(os.Environ(), "CT_FAKE_AGENT=1", "CT_AGENT_SCRIPT=")
		if err := cmd.Start(); err != nil {
			fmt.Println("child:", err)
		}
	case "hang":
		for {
			time.Sleep(time.Hour)
		}
	case "exit":
		n, _ := strconv.Atoi(arg)
		return n, true
	case "signal":
		sig := unix.SignalNum(arg)
		if sig == 0 {
			fmt.Println("unknown signal " + arg)
			return 2, true
		}
		signal.Reset(sig)
		_ = syscall.Kill(os.Getpid(), sig)
		time.Sleep(5 * time.Second)
		return 3, true
	case "":
	default:
		if strings.HasPrefix(verb, "-") || strings.Contains(c, "\n") {
			fmt.Println("skipping argument")
			return 0, false
		}
		fmt.Println("unknown command " + c)
	}
	return 0, false
}

// agentReport is what the fake agent's report command writes.
type agentReport struct {
	Args []string `json:"args"`
	Env  []string `json:"env"`
	Cwd  string   `json:"cwd"`
}

// clockEpoch is the fake clocks' start.
var clockEpoch = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
