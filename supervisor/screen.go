package supervisor

import (
	"strings"
	"unicode/utf8"
)

// Screen text helpers: what check_teammate and crash notifications show is
// readable text, never terminal escape sequences.

// stripANSI removes terminal escape sequences (CSI, OSC, DCS, APC, PM, SOS
// and two-byte ESC sequences) and control bytes other than newline and tab
// from s. A carriage return before a newline is dropped; a lone carriage
// return ends the line (the text printed over is kept, a rough but readable
// rendering of progress bars). Invalid UTF-8 becomes U+FFFD.
func stripANSI(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == 0x1b:
			i = skipEscape(s, i)
		case c == 0x9b: // 8-bit CSI
			i = skipCSI(s, i+1)
		case c == '\r':
			if i+1 < len(s) && s[i+1] == '\n' {
				i++
				continue
			}
			b.WriteByte('\n')
			i++
		case c == '\n' || c == '\t':
			b.WriteByte(c)
			i++
		case c < 0x20 || c == 0x7f:
			i++
		case c < utf8.RuneSelf:
			b.WriteByte(c)
			i++
		default:
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n <= 1 {
				b.WriteRune(utf8.RuneError)
				i++
				continue
			}
			if r >= 0x80 && r < 0xa0 { // C1 controls
				i += n
				continue
			}
			b.WriteString(s[i : i+n])
			i += n
		}
	}
	return b.String()
}

// skipEscape returns the index after the escape sequence starting at s[i]
// (an ESC).
func skipEscape(s string, i int) int {
	i++
	if i >= len(s) {
		return i
	}
	switch s[i] {
	case '[':
		return skipCSI(s, i+1)
	case ']', 'P', '_', '^', 'X':
		return skipString(s, i+1)
	default:
		// ESC, intermediates 0x20-0x2f, then one final byte.
		for i < len(s) && s[i] >= 0x20 && s[i] <= 0x2f {
			i++
		}
		if i < len(s) {
			i++
		}
		return i
	}
}

// skipCSI skips parameter and intermediate bytes and the final byte.
func skipCSI(s string, i int) int {
	for i < len(s) {
		c := s[i]
		i++
		if c >= 0x40 && c <= 0x7e {
			return i
		}
		if c < 0x20 { // malformed: stop at a control byte
			return i - 1
		}
	}
	return i
}

// skipString skips an OSC/DCS/APC/PM/SOS body up to BEL or ST (ESC \).
func skipString(s string, i int) int {
	for i < len(s) {
		switch s[i] {
		case 0x07:
			return i + 1
		case 0x1b:
			if i+1 < len(s) && s[i+1] == '\\' {
				return i + 2
			}
			return i + 1
		}
		i++
	}
	return i
}

// trimScreen removes trailing blanks from every line and blank lines from
// the end (capture-pane includes the empty rows below the cursor).
func trimScreen(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t")
	}
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return strings.Join(lines, "\n")
}

// lastLines returns at most n trailing lines of s (all of s when n <= 0).
func lastLines(s string, n int) string {
	if n <= 0 || s == "" {
		return s
	}
	end := len(s)
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '\n' {
			n--
			if n == 0 {
				return s[i+1 : end]
			}
		}
	}
	return s
}

// readable turns raw pane bytes or a captured screen into what people read:
// escapes stripped, trailing blanks trimmed, the last n lines.
func readable(raw string, n int) string {
	return lastLines(trimScreen(stripANSI(raw)), n)
}
