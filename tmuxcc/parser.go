package tmuxcc

import (
	"bytes"
	"strconv"
	"strings"
)

// This file is the pure parser of tmux's control protocol: bytes in, items
// out, no I/O and no goroutines. It accepts both framings: `tmux -CC` (DCS
// prefix `ESC P1000p` glued to the first line, CRLF line ends, `ESC \` after
// %exit) and `tmux -C` (plain LF lines).

const (
	dcsPrefix  = "\x1bP1000p"
	terminator = "\x1b\\"
)

// itemKind says what a parser item carries.
type itemKind int

const (
	itemReply  itemKind = iota // a %begin … %end/%error block
	itemEvent                  // a notification (or hook output) as an Event
	itemOutput                 // %output / %extended-output bytes of a pane
	itemEcho                   // a line before the DCS prefix: the tty echo of early input
)

// reply is one %begin … %end/%error block.
type reply struct {
	time   int64
	number int64
	flags  int
	failed bool     // ended by %error
	lines  []string // payload lines, every line between %begin and the matching %end
}

// item is what the parser emits for each complete unit of input.
type item struct {
	kind  itemKind
	reply *reply
	event Event
	pane  []byte // itemOutput: the pane id, valid only during the emit call
	age   int64  // itemOutput from %extended-output (ms), else -1
	data  []byte // itemOutput: unescaped bytes, valid only during the emit call; itemEcho: the line
}

// parser turns the byte stream of a control client into items. The zero
// value is not ready; use newParser.
type parser struct {
	wantDCS bool   // -CC: lines before the DCS prefix are echo
	sawDCS  bool   // the DCS prefix has been seen
	crlf    bool   // strip one trailing \r from every line
	buf     []byte // incomplete line carried between feeds
	block   *reply // open block, nil outside blocks
	scratch []byte // reused unescape buffer for %output
}

// newParser returns a parser for the -CC framing (cc true) or -C (cc false).
// Either way a DCS prefix or CRLF line ends are accepted when they show up.
func newParser(cc bool) *parser {
	return &parser{wantDCS: cc, crlf: cc}
}

// feed consumes a chunk of input and calls emit for each complete item.
// Lines may be of any length; an incomplete last line is kept for the next
// call.
func (p *parser) feed(data []byte, emit func(item)) {
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			p.buf = append(p.buf, data...)
			return
		}
		var line []byte
		if len(p.buf) > 0 {
			p.buf = append(p.buf, data[:i]...)
			line = p.buf
		} else {
			line = data[:i]
		}
		data = data[i+1:]
		p.line(line, emit)
		if cap(p.buf) > maxKeptLine {
			p.buf = nil // one huge reply line must not pin its memory
		} else {
			p.buf = p.buf[:0]
		}
	}
}

// maxKeptLine is the largest line buffer kept between lines (%output lines
// are at most ~8 KiB; command replies are unbounded).
const maxKeptLine = 64 << 10

// flush handles an incomplete last line at EOF. The `ESC \` terminator of
// -CC is dropped.
func (p *parser) flush(emit func(item)) {
	if len(p.buf) == 0 {
		return
	}
	line := p.buf
	p.buf = nil
	if bytes.HasPrefix(line, []byte(terminator)) {
		line = line[len(terminator):]
		if len(bytes.TrimRight(line, "\r")) == 0 {
			return
		}
	}
	p.line(line, emit)
}

// line handles one complete line without its \n.
func (p *parser) line(line []byte, emit func(item)) {
	if p.crlf {
		line = trimCR(line)
	}
	if !p.sawDCS {
		if i := bytes.Index(line, []byte(dcsPrefix)); i >= 0 {
			if i > 0 {
				emit(item{kind: itemEcho, data: line[:i]})
			}
			line = line[i+len(dcsPrefix):]
			p.sawDCS = true
			if !p.crlf {
				p.crlf = true
				line = trimCR(line)
			}
		} else if p.wantDCS {
			emit(item{kind: itemEcho, data: line})
			return
		}
	}
	if p.block != nil {
		p.blockLine(line, emit)
		return
	}
	if len(line) >= 2 && line[0] == 0x1b && line[1] == '\\' {
		line = line[2:]
	}
	if len(line) == 0 {
		return
	}
	if line[0] != '%' {
		emit(item{kind: itemEvent, event: HookOutput{Line: string(line)}})
		return
	}
	name, rest := splitWord(line)
	switch string(name) {
	case "%begin":
		t, n, f, ok := parseGuard(rest)
		if !ok {
			emit(item{kind: itemEvent, event: Unknown{Line: string(line)}})
			return
		}
		p.block = &reply{time: t, number: n, flags: f}
	case "%end", "%error":
		// A guard line outside a block: nothing to close.
		emit(item{kind: itemEvent, event: Unknown{Line: string(line)}})
	case "%output":
		pane, data := splitWord(rest)
		p.output(pane, -1, data, emit)
	case "%extended-output":
		pane, r := splitWord(rest)
		ageb, r := splitWord(r)
		// Fields after the age up to " : " are reserved by tmux.
		i := bytes.Index(r, []byte(": "))
		if i < 0 {
			if bytes.Equal(r, []byte(":")) {
				i, r = 0, []byte(": ")
			} else {
				emit(item{kind: itemEvent, event: Unknown{Line: string(line)}})
				return
			}
		}
		age, err := strconv.ParseInt(string(ageb), 10, 64)
		if err != nil {
			age = 0
		}
		p.output(pane, age, r[i+2:], emit)
	default:
		s := string(line) // one copy; name and rest are slices of it
		n, r, _ := strings.Cut(s, " ")
		emit(item{kind: itemEvent, event: parseNotification(n, r, s)})
	}
}

// blockLine handles a line inside a %begin block: payload until the %end or
// %error carrying the same time, number and flags.
func (p *parser) blockLine(line []byte, emit func(item)) {
	if len(line) > 0 && line[0] == '%' {
		name, rest := splitWord(line)
		if n := string(name); n == "%end" || n == "%error" {
			t, num, f, ok := parseGuard(rest)
			if ok && t == p.block.time && num == p.block.number && f == p.block.flags {
				b := p.block
				b.failed = n == "%error"
				p.block = nil
				emit(item{kind: itemReply, reply: b})
				return
			}
		}
	}
	p.block.lines = append(p.block.lines, string(line))
}

// output unescapes %output data (\ooo for bytes below 0x20 and for \) and
// emits it. The pane and data slices are reused after emit returns.
func (p *parser) output(pane []byte, age int64, data []byte, emit func(item)) {
	p.scratch = unescapeOutput(p.scratch[:0], data)
	emit(item{kind: itemOutput, pane: pane, age: age, data: p.scratch})
}

// unescapeOutput appends the decoded form of an %output payload to dst.
// A backslash not followed by three octal digits is kept as is.
func unescapeOutput(dst, src []byte) []byte {
	for {
		i := bytes.IndexByte(src, '\\')
		if i < 0 {
			return append(dst, src...)
		}
		dst = append(dst, src[:i]...)
		src = src[i:]
		if len(src) >= 4 && isOctal(src[1]) && isOctal(src[2]) && isOctal(src[3]) {
			dst = append(dst, (src[1]-'0')<<6|(src[2]-'0')<<3|(src[3]-'0'))
			src = src[4:]
			continue
		}
		dst = append(dst, '\\')
		src = src[1:]
	}
}

func trimCR(b []byte) []byte {
	if len(b) > 0 && b[len(b)-1] == '\r' {
		return b[:len(b)-1]
	}
	return b
}

func isOctal(b byte) bool { return b >= '0' && b <= '7' }

// splitWord splits at the first space: the word and the rest after it.
func splitWord(b []byte) (word, rest []byte) {
	i := bytes.IndexByte(b, ' ')
	if i < 0 {
		return b, nil
	}
	return b[:i], b[i+1:]
}

// parseGuard parses "<time> <number> <flags>" of %begin/%end/%error.
func parseGuard(b []byte) (t, n int64, f int, ok bool) {
	fs := bytes.Fields(b)
	if len(fs) != 3 {
		return 0, 0, 0, false
	}
	t, err1 := strconv.ParseInt(string(fs[0]), 10, 64)
	n, err2 := strconv.ParseInt(string(fs[1]), 10, 64)
	f64, err3 := strconv.ParseInt(string(fs[2]), 10, 32)
	if err1 != nil || err2 != nil || err3 != nil {
		return 0, 0, 0, false
	}
	return t, n, int(f64), true
}
