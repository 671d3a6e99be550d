package protocol

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// errStopScan ends scanInbox early without an error.
var errStopScan = errors.New("stop scan")

// scanInbox streams the inbox file path, calling fn with each raw entry
// in order; raw is only valid during the call (one buffer is reused), so
// a 50 MB inbox never sits in memory. A missing or blank file has no
// entries. bad is set when the content is not one JSON array; err is an
// I/O error, one wrapping ErrNotRegular for a FIFO, socket or device, or
// fn's error (errStopScan ends the scan and is not returned).
func scanInbox(path string, fn func(i int, raw []byte) error) (bad, err error) {
	f, err := openRegular(path, os.O_RDONLY, 0, false)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	return scanArray(bufio.NewReaderSize(f, 64<<10), fn)
}

func scanArray(r io.Reader, fn func(i int, raw []byte) error) (bad, err error) {
	dec := json.NewDecoder(r)
	tok, terr := dec.Token()
	if errors.Is(terr, io.EOF) {
		return nil, nil // blank: Claude Code creates the file before writing "[]"
	}
	if terr != nil {
		return terr, nil
	}
	if tok != json.Delim('[') {
		return fmt.Errorf("inbox is %v, not an array", tok), nil
	}
	var r1 json.RawMessage
	for i := 0; dec.More(); i++ {
		if derr := dec.Decode(&r1); derr != nil {
			return derr, nil
		}
		if fn != nil {
			if err := fn(i, r1); errors.Is(err, errStopScan) {
				return nil, nil
			} else if err != nil {
				return nil, err
			}
		}
	}
	if _, terr := dec.Token(); terr != nil { // the closing bracket
		return terr, nil
	}
	if _, terr := dec.Token(); !errors.Is(terr, io.EOF) {
		return errors.New("data after the inbox array"), nil
	}
	return nil, nil
}

// readInboxEntries reads the inbox file path into its raw entries (for
// the small rewrites that need them all: RemoveMessage). See scanInbox.
func readInboxEntries(path string) (raw []json.RawMessage, bad, err error) {
	raw = []json.RawMessage{}
	bad, err = scanInbox(path, func(_ int, r []byte) error {
		raw = append(raw, bytes.Clone(r))
		return nil
	})
	if bad != nil || err != nil {
		return nil, bad, err
	}
	return raw, nil, nil
}

// inboxWriter writes entries as encodeInbox formats them (2-space indent,
// entries at depth one), one at a time, so an inbox is rewritten without
// being held in memory.
type inboxWriter struct {
	w   *bufio.Writer
	n   int
	buf bytes.Buffer
}

func newInboxWriter(w io.Writer) *inboxWriter {
	iw := &inboxWriter{w: bufio.NewWriterSize(w, 64<<10)}
	iw.w.WriteByte('[')
	return iw
}

func (iw *inboxWriter) add(raw []byte) error {
	iw.buf.Reset()
	if iw.n > 0 {
		iw.buf.WriteByte(',')
	}
	iw.buf.WriteString("\n  ")
	if err := json.Indent(&iw.buf, raw, "  ", "  "); err != nil {
		return err
	}
	iw.n++
	_, err := iw.w.Write(iw.buf.Bytes())
	return err
}

func (iw *inboxWriter) close() error {
	if iw.n > 0 {
		iw.w.WriteString("\n")
	}
	iw.w.WriteByte(']')
	return iw.w.Flush()
}

// spliceTail returns what follows the copied head of an inbox when entry
// is appended: a comma unless the array was empty, the entry indented at
// depth one, and the closing bracket.
func spliceTail(entry []byte, empty bool) []byte {
	var out bytes.Buffer
	out.Grow(len(entry) + len(entry)/4 + 8)
	if !empty {
		out.WriteByte(',')
	}
	out.WriteString("\n  ")
	if err := json.Indent(&out, entry, "  ", "  "); err != nil {
		out.Write(entry) // not reached: entry came from the encoder
	}
	out.WriteString("\n]")
	return out.Bytes()
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// lastNonSpace returns the offset and value of the last byte before end
// in f that is not JSON white space, or -1 if there is none.
func lastNonSpace(f *os.File, end int64) (int64, byte, error) {
	var buf [4096]byte
	for end > 0 {
		start := max(0, end-int64(len(buf)))
		b := buf[:end-start]
		if _, err := f.ReadAt(b, start); err != nil {
			return 0, 0, err
		}
		for i := len(b) - 1; i >= 0; i-- {
			if !isSpace(b[i]) {
				return start + int64(i), b[i], nil
			}
		}
		end = start
	}
	return -1, 0, nil
}

// firstNonSpace returns the offset of the first byte of f that is not
// JSON white space (size if none).
func firstNonSpace(f *os.File, size int64) (int64, error) {
	var buf [4096]byte
	for off := int64(0); off < size; {
		n, err := f.ReadAt(buf[:min(int64(len(buf)), size-off)], off)
		for i := range n {
			if !isSpace(buf[i]) {
				return off + int64(i), nil
			}
		}
		if err != nil {
			return 0, err
		}
		off += int64(n)
	}
	return size, nil
}
