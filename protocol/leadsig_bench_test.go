package protocol

import (
	"crypto/ed25519"
	"strings"
	"testing"
)

// BenchmarkSendLeadSigned is Send of a 200-byte lead message to a teammate
// without a key and to one with a key (read the key file, JSON.stringify,
// ed25519): the signature should cost little next to the locked write.
func BenchmarkSendLeadSigned(b *testing.B) {
	for _, keyed := range []bool{false, true} {
		name := "unkeyed"
		if keyed {
			name = "keyed"
		}
		b.Run(name, func(b *testing.B) {
			s := NewStore(b.TempDir())
			if _, err := s.CreateTeam("t1", "", Member{}); err != nil {
				b.Fatal(err)
			}
			if keyed {
				if _, err := s.LeadVerifyKey("t1", "w1"); err != nil {
					b.Fatal(err)
				}
			}
			text := strings.Repeat("x", 200)
			sendLoop(b, s, text)
		})
	}
}

// BenchmarkSignLeadEntry is the signature alone on a 4 KiB text with
// characters JSON.stringify and encoding/json write differently.
func BenchmarkSignLeadEntry(b *testing.B) {
	_, priv, _ := ed25519.GenerateKey(nil)
	m := Message{From: LeadName, Text: strings.Repeat("a<b>&c\u2028\"\\\n", 4096/13), MsgID: NewUUID(), Timestamp: "2026-12-03T12:00:00.000Z"}
	b.SetBytes(int64(len(m.Text)))
	for range b.N {
		if err := SignLeadEntry(&m, priv); err != nil {
			b.Fatal(err)
		}
	}
}
