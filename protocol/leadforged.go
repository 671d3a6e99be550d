package protocol

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// Forged lead entries (issue 14 item 4). A keyed teammate shows an entry
// that claims the lead (team-lead, user, system) but carries no lead_sig
// of ours to its model marked verified="false" and ignores its protocol
// frames; the lead is told about each such entry once. LeadForgeries finds
// them; the supervisor's work watcher calls it for every keyed teammate.

// LeadForgeries returns the live entries of agent's inbox that claim a
// lead sender but do not verify with verifyKey (a --lead-verify-key
// value): unsigned, badly signed, or signed with another key. It takes no
// lock and writes nothing (a sound inbox read without the lock is one some
// writer wrote whole); a missing inbox has none, a corrupt one is an error
// wrapping ErrCorrupt. Entries other than the lead's are not looked at.
func (s *Store) LeadForgeries(team, agent, verifyKey string) ([]Message, error) {
	if err := validateKeyOwner(team, agent); err != nil {
		return nil, err
	}
	if _, _, err := ParseVerifyKey(verifyKey); err != nil {
		return nil, fmt.Errorf("forged lead entries of %s: %w", agent, err)
	}
	path := s.InboxPath(team, agent)
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	raw, err := decodeInbox(data)
	if err != nil {
		return nil, fmt.Errorf("inbox %s: %w: %v", path, ErrCorrupt, err)
	}
	var out []Message
	for _, r := range raw {
		m, ok := decodeEntry(r)
		if !ok || !IsLeadSender(m.From) || VerifyLeadEntry(m, verifyKey) {
			continue
		}
		out = append(out, m)
	}
	return out, nil
}

// EntryKey names an inbox entry for deduplication: its msg_id, or, for an
// entry without one, "sha256:" and a hash of its sender, timestamp and
// text.
func EntryKey(m Message) string {
	if m.MsgID != "" {
		return m.MsgID
	}
	h := sha256.New()
	for _, s := range []string{m.From, m.Timestamp, m.Text} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)[:12])
}
