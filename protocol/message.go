package protocol

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
)

// MaxMessageBytes is the largest message text accepted (1 MiB). Texts of
// hundreds of KB are fine; larger ones are refused with ErrMessageTooLarge
// so one message cannot make every later read of an inbox slow.
const MaxMessageBytes = 1 << 20

// MessageType is the entry type of every inbox entry we write. An entry
// without "type" is a message too.
const MessageType = "message"

// Message is one inbox entry (PROTOCOL.md §5), field order as Claude Code
// writes it. Extra keeps keys we do not know. Structured protocol messages
// travel as compact JSON inside Text (see Encode and Decode); the entry's
// Type stays "message".
type Message struct {
	From      string `json:"from"`
	Text      string `json:"text"`
	Summary   string `json:"summary,omitempty"`
	Timestamp string `json:"timestamp"`
	Color     string `json:"color,omitempty"`
	MsgV      int    `json:"msgV,omitempty"`
	MsgID     string `json:"msg_id,omitempty"`
	Type      string `json:"type,omitempty"`
	Read      bool   `json:"read"`
	// LeadSig is the lead signature of an entry from team-lead, user or
	// system (PROTOCOL.md §10); signEntry sets it for keyed teammates.
	LeadSig string `json:"lead_sig,omitempty"`

	Extra map[string]json.RawMessage `json:"-"`

	extraKeys []string
}

type plainMessage Message

var messageFields = jsonFields(reflect.TypeFor[plainMessage]())

// MarshalJSON encodes the entry in Claude Code's field order, then its
// unknown keys.
func (m Message) MarshalJSON() ([]byte, error) {
	return encodeWithExtra(plainMessage(m), messageFields, m.extraKeys, m.Extra)
}

// UnmarshalJSON decodes an entry, keeping unknown keys. An entry without
// "type" gets Type "message".
func (m *Message) UnmarshalJSON(data []byte) error {
	o, err := decodeObject(data)
	if err != nil {
		return err
	}
	var p plainMessage
	keys, extra, err := o.split(&p, messageFields)
	if err != nil {
		return err
	}
	*m = Message(p)
	m.Extra, m.extraKeys = extra, keys
	if m.Type == "" {
		m.Type = MessageType
	}
	return nil
}

// decodeInbox parses an inbox file. Empty or blank content is an empty
// inbox (Claude Code creates the file before writing "[]"). It returns the
// raw entries (kept byte for byte on rewrite) and an error if the content
// is not a JSON array.
func decodeInbox(data []byte) ([]json.RawMessage, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, err
	}
	if raw == nil { // "null"
		return nil, fmt.Errorf("inbox is null, not an array")
	}
	return raw, nil
}

// DecodeInbox parses the content of an inbox file into its messages.
// Entries that are not message objects (no string from/text/timestamp) are
// skipped, as Claude Code skips them.
func DecodeInbox(data []byte) ([]Message, error) {
	raw, err := decodeInbox(data)
	if err != nil {
		return nil, err
	}
	out := make([]Message, 0, len(raw))
	for _, r := range raw {
		if m, ok := decodeEntry(r); ok {
			out = append(out, m)
		}
	}
	return out, nil
}

// decodeEntry decodes one entry; ok is false for entries Claude Code would
// drop (not an object, or from/text/timestamp missing or not strings).
func decodeEntry(raw json.RawMessage) (Message, bool) {
	var m Message
	if err := json.Unmarshal(raw, &m); err != nil {
		return Message{}, false
	}
	var probe struct {
		From, Text, Timestamp isString
	}
	if json.Unmarshal(raw, &probe) != nil || !probe.From || !probe.Text || !probe.Timestamp {
		return Message{}, false
	}
	return m, true
}

// encodeInbox writes raw entries as an inbox file: a JSON array with
// 2-space indent, like JSON.stringify(entries, null, 2).
func encodeInbox(raw []json.RawMessage) []byte {
	n := 2
	for _, r := range raw {
		n += len(r) + 1
	}
	compact := make([]byte, 0, n)
	compact = append(compact, '[')
	for i, r := range raw {
		if i > 0 {
			compact = append(compact, ',')
		}
		compact = append(compact, r...)
	}
	compact = append(compact, ']')
	return indent(compact)
}

// ValidateMessage checks what Claude Code requires of an entry we write:
// a sender, and a text within MaxMessageBytes.
func ValidateMessage(m Message) error {
	if m.From == "" {
		return fmt.Errorf("message has no sender (from): %w", ErrInvalidMessage)
	}
	if len(m.Text) > MaxMessageBytes {
		return fmt.Errorf("message text is %d bytes; the limit is %d bytes (1 MiB): %w", len(m.Text), MaxMessageBytes, ErrMessageTooLarge)
	}
	if len(m.Summary) > MaxMessageBytes {
		return fmt.Errorf("message summary is %d bytes; the limit is %d bytes (1 MiB): %w", len(m.Summary), MaxMessageBytes, ErrMessageTooLarge)
	}
	return nil
}

// isString records whether a JSON value is a string, without copying it.
type isString bool

// UnmarshalJSON implements json.Unmarshaler.
func (b *isString) UnmarshalJSON(data []byte) error {
	*b = len(data) > 0 && data[0] == '"'
	return nil
}
