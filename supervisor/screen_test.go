package supervisor

import (
	"testing"
)

func TestStripANSI(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain", "plain"},
		{"\x1b[1;31mred\x1b[0m", "red"},
		{"a\x1b]0;title\x07b", "ab"},
		{"a\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\b", "alinkb"},
		{"a\x1bPdcs\x1b\\b", "ab"},
		{"a\x1b(Bb", "ab"},
		{"a\x1b=b", "ab"},
		{"line\r\nnext", "line\nnext"},
		{"50%\r100%", "50%\n100%"},
		{"bell\x07 nul\x00 del\x7f", "bell nul del"},
		{"tab\tkept", "tab\tkept"},
		{"caf\xc3\xa9 \xe2\x94\x80", "café ─"},
		{"bad\xffbyte", "bad\ufffdbyte"},
		{"c1\xc2\x9bcsi", "c1csi"},
		{"cut\x1b[", "cut"},
		{"\x9b31mx", "x"},
	} {
		if got := stripANSI(tc.in); got != tc.want {
			t.Errorf("stripANSI(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestTrimAndLastLines(t *testing.T) {
	if got := trimScreen("a  \nb\t\n\n  \n"); got != "a\nb" {
		t.Errorf("trimScreen = %q", got)
	}
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"a\nb\nc", 2, "b\nc"},
		{"a\nb\nc", 3, "a\nb\nc"},
		{"a\nb\nc", 9, "a\nb\nc"},
		{"a\nb\nc", 0, "a\nb\nc"},
		{"", 3, ""},
		{"only", 1, "only"},
	} {
		if got := lastLines(tc.in, tc.n); got != tc.want {
			t.Errorf("lastLines(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
	if got := readable("x\x1b[0m\r\ny  \n\n", 5); got != "x\ny" {
		t.Errorf("readable = %q", got)
	}
}

func TestDropDeadNotice(t *testing.T) {
	in := []string{"work", "last words", "", "", "Pane is dead (status 1, Sat Nov 21 23:55:47 2026)", ""}
	if got := readable(dropDeadNotice(in), 2); got != "work\nlast words" {
		t.Errorf("got %q", got)
	}
	keep := []string{"Pane is dead (quoted by the agent)", "more"}
	if got := dropDeadNotice(keep); got != "Pane is dead (quoted by the agent)\nmore" {
		t.Errorf("got %q", got)
	}
}
