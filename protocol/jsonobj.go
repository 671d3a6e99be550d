package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
)

// Files shared with Claude Code are rewritten without losing what we do not
// know: a struct's known fields are encoded in its declared order (Claude
// Code's), then every unknown key in the order it was read. Decoding matches
// keys exactly (encoding/json alone would fold case).

// object is one decoded JSON object: its keys in order and raw values. A
// repeated key keeps its last value at its first position, like JSON.parse.
type object struct {
	keys []string
	vals map[string]json.RawMessage
}

var errNotObject = errors.New("not a JSON object")

func decodeObject(data []byte) (object, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return object{}, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return object{}, errNotObject
	}
	o := object{vals: map[string]json.RawMessage{}}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return object{}, err
		}
		key, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return object{}, err
		}
		if _, dup := o.vals[key]; !dup {
			o.keys = append(o.keys, key)
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, raw); err != nil {
			return object{}, err
		}
		o.vals[key] = buf.Bytes()
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return object{}, err
	}
	if _, err := dec.Token(); err == nil {
		return object{}, errors.New("data after the JSON object")
	}
	return o, nil
}

// split decodes the known keys of o into v (a pointer to a struct without
// JSON methods) and returns the unknown keys and their values.
func (o object) split(v any, known map[string]bool) (extraKeys []string, extra map[string]json.RawMessage, err error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for _, k := range o.keys {
		if !known[k] {
			if extra == nil {
				extra = map[string]json.RawMessage{}
			}
			extraKeys = append(extraKeys, k)
			extra[k] = o.vals[k]
			continue
		}
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		b.Write(o.vals[k])
	}
	b.WriteByte('}')
	if err := json.Unmarshal(b.Bytes(), v); err != nil {
		return nil, nil, err
	}
	return extraKeys, extra, nil
}

// encodeWithExtra encodes v (a struct without JSON methods) compactly and
// appends the extra keys: first those listed in order, then any others
// sorted. Extra keys that are also known fields are skipped.
func encodeWithExtra(v any, known map[string]bool, order []string, extra map[string]json.RawMessage) ([]byte, error) {
	out, err := marshalCompact(v)
	if err != nil {
		return nil, err
	}
	if len(extra) == 0 {
		return out, nil
	}
	keys := orderedKeys(order, extra)
	out = out[:len(out)-1] // drop '}'
	for _, k := range keys {
		raw := extra[k]
		if known[k] || !json.Valid(raw) {
			continue
		}
		if out[len(out)-1] != '{' {
			out = append(out, ',')
		}
		kb, err := marshalCompact(k)
		if err != nil {
			return nil, err
		}
		out = append(out, kb...)
		out = append(out, ':')
		out = append(out, raw...)
	}
	return append(out, '}'), nil
}

func orderedKeys(order []string, extra map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(extra))
	seen := make(map[string]bool, len(extra))
	for _, k := range order {
		if _, ok := extra[k]; ok && !seen[k] {
			keys = append(keys, k)
			seen[k] = true
		}
	}
	var rest []string
	for k := range extra {
		if !seen[k] {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	return append(keys, rest...)
}

// jsonFields returns the JSON names of t's encoded fields.
func jsonFields(t reflect.Type) map[string]bool {
	m := map[string]bool{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		m[name] = true
	}
	return m
}
