package protocol

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// Forged lead entries (issue 14 item 4). A keyed teammate shows an entry
// that claims the lead (team-lead, user, system) but carries no lead_sig
// of ours to its model marked verified="false" and ignores its protocol
// frames; the lead is told about each such entry once. LeadForgeries finds
// them; the supervisor's work watcher calls it for every keyed teammate.

// LeadVerifier checks lead entries against one --lead-verify-key and
// remembers those that verified, by a hash of the signed bytes and the
// signature, so an entry read again on the next inbox change costs a hash
// instead of a signature check. Not safe for concurrent use.
type LeadVerifier struct {
	key  string
	pub  ed25519.PublicKey
	good map[[sha256.Size]byte]struct{}
}

// maxVerified bounds what a LeadVerifier remembers; past it, it starts
// afresh.
const maxVerified = 4096

// NewLeadVerifier parses verifyKey (a --lead-verify-key value).
func NewLeadVerifier(verifyKey string) (*LeadVerifier, error) {
	_, pub, err := ParseVerifyKey(verifyKey)
	if err != nil {
		return nil, err
	}
	return &LeadVerifier{key: verifyKey, pub: pub, good: map[[sha256.Size]byte]struct{}{}}, nil
}

// Key is the --lead-verify-key value v checks against.
func (v *LeadVerifier) Key() string { return v.key }

// Verify reports what VerifyLeadEntry(m, v.Key()) reports.
func (v *LeadVerifier) Verify(m Message) bool {
	if m.LeadSig == "" || m.MsgID == "" {
		return false
	}
	payload, err := LeadSigPayload(m)
	if err != nil {
		return false
	}
	h := sha256.New()
	h.Write(payload)
	h.Write([]byte{0})
	h.Write([]byte(m.LeadSig))
	var id [sha256.Size]byte
	h.Sum(id[:0])
	if _, ok := v.good[id]; ok {
		return true
	}
	if !verifySig(v.pub, payload, m.LeadSig) {
		return false
	}
	if len(v.good) >= maxVerified {
		clear(v.good)
	}
	v.good[id] = struct{}{}
	return true
}

// LeadForgeries returns the live entries of agent's inbox that claim a
// lead sender but do not verify with v: unsigned, badly signed, or signed
// with another key. It takes no lock and writes nothing (a sound inbox
// read without the lock is one some writer wrote whole); a missing inbox
// has none, a corrupt one is an error wrapping ErrCorrupt. Entries other
// than the lead's are not looked at.
func (s *Store) LeadForgeries(team, agent string, v *LeadVerifier) ([]Message, error) {
	if err := validateKeyOwner(team, agent); err != nil {
		return nil, err
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
		if !ok || !IsLeadSender(m.From) || v.Verify(m) {
			continue
		}
		out = append(out, m)
	}
	return out, nil
}

// EntryKey names an inbox entry for deduplication: its msg_id and a hash
// of its sender, timestamp, text and summary ("<msg_id>/<hash>"), or, for
// an entry without a msg_id, "sha256:" and that hash. The hash is part of
// the key so that an entry reusing a reported msg_id with other content is
// a new entry.
func EntryKey(m Message) string {
	h := sha256.New()
	for _, s := range []string{m.From, m.Timestamp, m.Text, m.Summary} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	if m.MsgID != "" {
		return m.MsgID + "/" + hex.EncodeToString(h.Sum(nil)[:6])
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)[:12])
}
