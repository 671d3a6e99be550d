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

// spliceEntry returns inbox content data with the compact entry appended,
// formatted as encodeInbox formats it (2-space indent, entries at depth
// one), or false when data is not a JSON array. Blank data is an empty
// inbox. Bytes of earlier entries are kept as they are.
func spliceEntry(data, entry []byte) ([]byte, bool) {
	body := bytes.TrimSpace(data)
	if len(body) == 0 {
		body = []byte("[]")
	}
	if body[0] != '[' || body[len(body)-1] != ']' || !json.Valid(body) {
		return nil, false
	}
	head := bytes.TrimRight(body[:len(body)-1], " \t\r\n") // without the closing ]
	var out bytes.Buffer
	out.Grow(len(head) + len(entry) + len(entry)/4 + 8)
	out.Write(head)
	if len(head) > 1 { // not an empty array
		out.WriteByte(',')
	}
	out.WriteString("\n  ")
	if err := json.Indent(&out, entry, "  ", "  "); err != nil {
		return nil, false // not reached: entry came from the encoder
	}
	out.WriteString("\n]")
	return out.Bytes(), true
}

// readInboxEntries streams the inbox file path into its raw entries
// without holding the whole file: a 50 MB inbox costs its entries, not a
// copy of the file as well. A missing or blank file is empty. bad is set
// when the content is not one JSON array; err is an I/O error, or one
// wrapping ErrNotRegular for a FIFO, socket or device.
func readInboxEntries(path string) (raw []json.RawMessage, bad, err error) {
	f, err := openRegular(path, os.O_RDONLY, 0, false)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	dec := json.NewDecoder(bufio.NewReaderSize(f, 256<<10))
	tok, terr := dec.Token()
	if errors.Is(terr, io.EOF) {
		return nil, nil, nil // blank: Claude Code creates the file before writing "[]"
	}
	if terr != nil {
		return nil, terr, nil
	}
	if tok != json.Delim('[') {
		return nil, fmt.Errorf("inbox is %v, not an array", tok), nil
	}
	raw = []json.RawMessage{}
	for dec.More() {
		var r json.RawMessage
		if derr := dec.Decode(&r); derr != nil {
			return nil, derr, nil
		}
		raw = append(raw, r)
	}
	if _, terr := dec.Token(); terr != nil { // the closing bracket
		return nil, terr, nil
	}
	if _, terr := dec.Token(); !errors.Is(terr, io.EOF) {
		return nil, errors.New("data after the inbox array"), nil
	}
	return raw, nil, nil
}
