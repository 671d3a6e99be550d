package protocol

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
)

// LeadSigPayload returns the bytes a lead signature covers: the UTF-8 of
// JSON.stringify(["claude-team-lead-entry-v1", msg_id, from, timestamp,
// text, summary ?? null, color ?? null, from_plugin ?? null]). An empty
// Summary or Color is absent from the entry we write (omitempty), so it is
// null here. from_plugin, kept in Extra when read, must be a string.
func LeadSigPayload(m Message) ([]byte, error) {
	str := func(s string) *string { return &s }
	opt := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	var plugin *string
	if raw, ok := m.Extra["from_plugin"]; ok && string(raw) != "null" {
		var p string
		if err := json.Unmarshal(raw, &p); err != nil {
			return nil, fmt.Errorf("sign entry %s: from_plugin %s is not a string: %w", m.MsgID, raw, ErrInvalidMessage)
		}
		plugin = &p
	}
	items := []*string{str(LeadSigContext), str(m.MsgID), str(m.From), str(m.Timestamp), str(m.Text),
		opt(m.Summary), opt(m.Color), plugin}
	return AppendJSStringArray(make([]byte, 0, 128+len(m.Text)), items), nil
}

// SignLeadEntry sets m.LeadSig to the signature of m with priv. It first
// makes m's strings what encoding/json will write (invalid UTF-8 bytes
// become U+FFFD), so the signature covers exactly what a reader parses.
func SignLeadEntry(m *Message, priv ed25519.PrivateKey) error {
	m.From, m.Text, m.Summary = wellFormed(m.From), wellFormed(m.Text), wellFormed(m.Summary)
	m.Timestamp, m.Color, m.MsgID = wellFormed(m.Timestamp), wellFormed(m.Color), wellFormed(m.MsgID)
	payload, err := LeadSigPayload(*m)
	if err != nil {
		return err
	}
	m.LeadSig = base64.RawURLEncoding.EncodeToString(ed25519.Sign(priv, payload))
	return nil
}

// VerifyLeadEntry reports whether m carries a lead_sig that verifies with
// the public key of the --lead-verify-key value verifyKey. It checks only
// the signature, not the timestamp or msg_id rules of PROTOCOL.md §10.
func VerifyLeadEntry(m Message, verifyKey string) bool {
	_, pub, err := ParseVerifyKey(verifyKey)
	if err != nil || m.LeadSig == "" || m.MsgID == "" {
		return false
	}
	sig, err := base64.RawURLEncoding.DecodeString(m.LeadSig)
	if err != nil {
		// Node's base64url decoder also takes padding.
		if sig, err = base64.URLEncoding.DecodeString(m.LeadSig); err != nil {
			return false
		}
	}
	payload, err := LeadSigPayload(m)
	return err == nil && ed25519.Verify(pub, payload, sig)
}

// signEntry signs m, about to be written into to's inbox, when m is from a
// lead sender and to has a lead key. Every entry we write goes through it
// (Deliver, UpdateTask's task assignment); an entry already signed is
// signed again (its msg_id and timestamp are this write's). A key file we
// refuse (symlink, not a regular file, unsound) refuses the write.
func (s *Store) signEntry(team, to string, m *Message) error {
	m.LeadSig = ""
	if !IsLeadSender(m.From) || to == LeadName {
		return nil
	}
	k, ok, err := s.ReadLeadKey(team, to)
	if err != nil {
		return fmt.Errorf("sign for %s: %w", to, err)
	}
	if !ok {
		return nil
	}
	return SignLeadEntry(m, k.Private)
}
