package tmuxcc

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidArg is returned for a command argument tmux cannot carry (a NUL
// byte), an empty command, or a command name that is not a plain word
// (letters, digits, dashes).
var ErrInvalidArg = errors.New("tmuxcc: invalid command argument")

// Quote returns arg quoted for tmux's command parser so that it is read back
// as exactly one argument with exactly these bytes, and can never end the
// command or start a second one.
//
// Plain values use single quotes, where tmux interprets nothing; a quote
// inside closes the quotes, adds an escaped quote and reopens them:
//
//	it's  ->  'it'\''s'
//
// The control protocol reads one command per line, so a value holding a
// newline, a carriage return, another control byte or the byte 0xff (which
// tmux 3.3a's lexer takes for the end of input) is written in double
// quotes with every special byte escaped (\n, \r, \ooo, \\, \", \$, and
// \~, which tmux expands to a home directory at the start of a
// double-quoted word): no raw control byte ever reaches the wire.
//
// tmux formats (#{…}, #(cmd)) are still expanded by the commands and
// options that expand formats (-F, -c, new-window -n, display-message…);
// quoting cannot prevent that: double every '#' of user text that reaches
// them. A NUL byte cannot be represented (tmux strings are C strings);
// Command refuses it.
func Quote(arg string) string {
	if needsDouble(arg) {
		return quoteDouble(arg)
	}
	return "'" + strings.ReplaceAll(arg, "'", `'\''`) + "'"
}

// needsDouble reports whether arg holds a byte that single quotes cannot
// carry over a line-based protocol.
func needsDouble(arg string) bool {
	for i := 0; i < len(arg); i++ {
		if arg[i] < 0x20 || arg[i] == 0x7f || arg[i] == 0xff {
			return true
		}
	}
	return false
}

// quoteDouble writes arg in double quotes with tmux's escapes.
func quoteDouble(arg string) string {
	var b strings.Builder
	b.Grow(len(arg) + 8)
	b.WriteByte('"')
	for i := 0; i < len(arg); i++ {
		c := arg[i]
		switch {
		case c == '\\' || c == '"' || c == '$' || c == '~':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		case c < 0x20 || c == 0x7f || c == 0xff:
			fmt.Fprintf(&b, `\%03o`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// commandLine builds one wire line for a sequence of commands joined by
// " ; ". Every argument is quoted; command names must be plain words. It
// refuses empty commands, other command names and NUL bytes.
func commandLine(cmds [][]string) (string, error) {
	if len(cmds) == 0 {
		return "", fmt.Errorf("no command: %w", ErrInvalidArg)
	}
	var b strings.Builder
	for i, args := range cmds {
		if len(args) == 0 || args[0] == "" {
			return "", fmt.Errorf("command %d is empty: %w", i, ErrInvalidArg)
		}
		if !isPlainWord(args[0]) {
			// tmux reads NAME=value in the command position (quoted or
			// not) as an environment assignment: no command runs and no
			// reply comes, so every later reply would go to the wrong
			// caller.
			return "", fmt.Errorf("command %d: %q is not a command name: %w", i, args[0], ErrInvalidArg)
		}
		if i > 0 {
			b.WriteString(" ; ")
		}
		for j, a := range args {
			if strings.IndexByte(a, 0) >= 0 {
				return "", fmt.Errorf("argument %d of %s holds a NUL byte: %w", j, args[0], ErrInvalidArg)
			}
			if j > 0 {
				b.WriteByte(' ')
			}
			if j == 0 {
				b.WriteString(a) // command names stay bare: aliases and prefixes keep working
				continue
			}
			b.WriteString(Quote(a))
		}
	}
	b.WriteByte('\n')
	return b.String(), nil
}

// isPlainWord reports whether s is a bare command name: letters, digits and
// dashes only.
func isPlainWord(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return s != ""
}
