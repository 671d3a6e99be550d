package tmuxcc

import (
	"errors"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestQuote(t *testing.T) {
	cases := []struct{ in, want string }{
		{"plain", `'plain'`},
		{"", `''`},
		{"it's", `'it'\''s'`},
		{"a ; b", `'a ; b'`},
		{`$HOME \ "`, `'$HOME \ "'`},
		{"new\nline", `"new\nline"`},
		{"cr\r\t$x\\\"", `"cr\r\t\$x\\\""`},
		{"\x01\x7f\xff", `"\001\177\377"`},
		{"é", `'é'`},
		{"~/x", `'~/x'`},
		{"~/a\n~", `"\~/a\n\~"`}, // tmux expands a leading ~ in double quotes
	}
	for _, tc := range cases {
		if got := Quote(tc.in); got != tc.want {
			t.Errorf("Quote(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
	line, err := commandLine([][]string{{"new-window", "-d", "--", "sh", "-c", "echo 'hi'"}, {"set-option", "-w", "x", "on"}})
	if want := `new-window '-d' '--' 'sh' '-c' 'echo '\''hi'\''' ; set-option '-w' 'x' 'on'` + "\n"; err != nil || line != want {
		t.Errorf("commandLine = %q, %v", line, err)
	}
	// A command name that is not a plain word is refused: tmux reads
	// "X=1" (quoted or not) as an environment assignment, which runs no
	// command and sends no reply.
	for _, bad := range [][][]string{nil, {{}}, {{""}}, {{"set-buffer", "a\x00b"}}, {{"X=1"}}, {{"it's"}},
		{{"display-message"}, {"X=1", "display-message"}}} {
		if _, err := commandLine(bad); !errors.Is(err, ErrInvalidArg) {
			t.Errorf("commandLine(%q) = %v", bad, err)
		}
	}
}

// TestQuoteRoundTrip sends awkward values through tmux's parser and reads
// them back byte for byte.
func TestQuoteRoundTrip(t *testing.T) {
	s := newTestServer(t)
	c := s.dial(ModeCC)
	values := []string{
		"plain", "it's", `dq"uote`, "$HOME", "${HOME}", `\back\slash\`, "~/tilde", "~", "#{session_name}",
		"semi;colon", " ; ", "a ; display-message -p INJECTED", "{brace}", "}", "%if 1", "#comment",
		"new\nline", "two\n\nnewlines\n", "new\ndisplay-message -p INJECTED", "cr\rret", "tab\tx",
		"\x01\x1b[0m\x7f", "é ü 日本", "\xff\xfe invalid", "-dash", "'", `"`, `\'`, "'\n'", "$", `\`,
		"\\n literal backslash-n", "\u00a0nbsp", strings.Repeat("long ", 2000),
		// A leading ~ in double quotes is tilde-expanded by tmux's lexer.
		"~/a\n", "~\nx", "~root\nx", "~nosuchuser\n", "~\x01", "a\n~", strings.Repeat("big\n", 1<<16),
	}
	file := filepath.Join(s.dir, "buf")
	for _, v := range values {
		if _, err := c.Command(ctxT(t), "set-buffer", "-b", "q", "--", v); err != nil {
			t.Errorf("set-buffer %q: %v", v, err)
			continue
		}
		if _, err := c.Command(ctxT(t), "save-buffer", "-b", "q", file); err != nil {
			t.Fatalf("save-buffer: %v", err)
		}
		got, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != v {
			t.Errorf("round trip of %q gave %q (quoted %s)", v, got, Quote(v))
		}
	}
	if _, err := c.Command(ctxT(t), "set-buffer", "nul\x00byte"); !errors.Is(err, ErrInvalidArg) {
		t.Errorf("NUL: %v", err)
	}
	if _, err := c.Command(ctxT(t)); !errors.Is(err, ErrInvalidArg) {
		t.Errorf("empty command: %v", err)
	}
	// An assignment in the command position would run nothing and get no
	// reply: every later caller would receive its predecessor's answer.
	if _, err := c.Command(ctxT(t), "TMUXCC_X=1"); !errors.Is(err, ErrInvalidArg) {
		t.Errorf("assignment as command name: %v", err)
	}
	// Nothing injected ran: no reply ever went astray.
	out, err := c.Command(ctxT(t), "display-message", "-p", "still in sync")
	if err != nil || len(out) != 1 || out[0] != "still in sync" {
		t.Fatalf("after quoting tests: %q, %v", out, err)
	}
}

// TestQuoteRandomRoundTrip: short random values dense in the bytes tmux's
// lexer treats specially come back from tmux byte for byte.
func TestQuoteRandomRoundTrip(t *testing.T) {
	s := newTestServer(t)
	c := s.dial(ModeC)
	file := filepath.Join(s.dir, "buf")
	rng := rand.New(rand.NewSource(42))
	special := []byte("~$#{}'\"\\;%\n\r\t \x01\x1b\x7f\xff\xfeaZ9-=@!&|()<>`*?[]^u")
	for i := 0; i < 1000; i++ {
		b := make([]byte, rng.Intn(12)+1)
		for j := range b {
			if rng.Intn(4) == 0 {
				b[j] = byte(rng.Intn(255) + 1) // any byte but NUL
			} else {
				b[j] = special[rng.Intn(len(special))]
			}
		}
		v := string(b)
		if _, err := c.Command(ctxT(t), "set-buffer", "-b", "q", "--", v); err != nil {
			t.Fatalf("set-buffer %q (quoted %s): %v", v, Quote(v), err)
		}
		if _, err := c.Command(ctxT(t), "save-buffer", "-b", "q", file); err != nil {
			t.Fatal(err)
		}
		if got, err := os.ReadFile(file); err != nil || string(got) != v {
			t.Fatalf("round trip of %q gave %q, %v (quoted %s)", v, got, err, Quote(v))
		}
	}
}
