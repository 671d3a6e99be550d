package protocol

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"unicode/utf8"
)

// jsGolden is one case of testdata/protocol/jsstringify/golden.json, made
// by node (gen.mjs beside it says how).
type jsGolden struct {
	Name  string    `json:"name"`
	Units []uint16  `json:"units"` // a string as UTF-16 code units
	Array [][]int32 `json:"array"` // or an array of strings (nil = null)
	Out   string    `json:"out"`   // base64 of JSON.stringify's UTF-8
}

var jsGoldenDir = filepath.Join("..", "testdata", "protocol", "jsstringify")

// wtf8 turns UTF-16 code units into a Go string: pairs as their character,
// lone surrogates in WTF-8 (three bytes ED A0..BF 80..BF).
func wtf8[T uint16 | int32](units []T) string {
	var b []byte
	for i := 0; i < len(units); i++ {
		u := rune(units[i])
		if u >= 0xd800 && u < 0xdc00 && i+1 < len(units) && rune(units[i+1]) >= 0xdc00 && rune(units[i+1]) < 0xe000 {
			b = utf8.AppendRune(b, utf16Pair(u, rune(units[i+1])))
			i++
			continue
		}
		if u >= 0xd800 && u < 0xe000 {
			b = append(b, 0xed, byte(0x80|(u>>6)&0x3f), byte(0x80|u&0x3f))
			continue
		}
		b = utf8.AppendRune(b, u)
	}
	return string(b)
}

func loadJSGolden(t *testing.T) []jsGolden {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(jsGoldenDir, "golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []jsGolden
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) < 20 {
		t.Fatalf("golden corpus has %d cases, want the full corpus", len(cases))
	}
	return cases
}

func TestAppendJSStringMatchesNodeGolden(t *testing.T) {
	for _, c := range loadJSGolden(t) {
		t.Run(c.Name, func(t *testing.T) {
			want, err := base64.StdEncoding.DecodeString(c.Out)
			if err != nil {
				t.Fatal(err)
			}
			var got []byte
			if c.Array != nil {
				items := make([]*string, len(c.Array))
				for i, u := range c.Array {
					if u != nil {
						s := wtf8(u)
						items[i] = &s
					}
				}
				got = AppendJSStringArray(nil, items)
			} else {
				got = AppendJSString(nil, wtf8(c.Units))
			}
			if !bytes.Equal(got, want) {
				t.Errorf("got  %q\nwant %q (JSON.stringify)", got, want)
			}
		})
	}
}

// TestJSGoldenIsNodes re-runs the generator when node is installed, so the
// checked-in goldens are JSON.stringify's and not ours.
func TestJSGoldenIsNodes(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("node is not on PATH under CI")
		}
		t.Skip("node is not on PATH")
	}
	out, err := exec.Command(node, filepath.Join(jsGoldenDir, "gen.mjs")).Output()
	if err != nil {
		t.Fatalf("gen.mjs: %v", err)
	}
	have, err := os.ReadFile(filepath.Join(jsGoldenDir, "golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, have) {
		t.Fatalf("golden.json is not what node makes now; regenerate it with gen.mjs:\n%s", out)
	}
}

func TestAppendJSStringInvalidBytes(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"lone continuation", "a\x80b", "\"a\ufffdb\""},
		{"truncated rune", "\xe6\x97", "\"\ufffd\ufffd\""},
		{"cesu pair", "\xed\xa0\xbd\xed\xb8\x80", "\"\U0001f600\""},
		{"overlong slash", "\xc0\xaf", "\"\ufffd\ufffd\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(AppendJSString(nil, tt.in)); got != tt.want {
				t.Errorf("AppendJSString(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestWellFormedIsWhatEncodingJSONWrites: the strings we sign are the
// strings a reader decodes from what encoding/json wrote.
func TestWellFormedIsWhatEncodingJSONWrites(t *testing.T) {
	for _, in := range []string{"plain", "a\x80b\xff", "\xed\xa0\x80", "ok \u2028 <&>", "\xe6\x97"} {
		enc, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		var back string
		if err := json.Unmarshal(enc, &back); err != nil {
			t.Fatal(err)
		}
		if got := wellFormed(in); got != back {
			t.Errorf("wellFormed(%q) = %q, encoding/json round trip gives %q", in, got, back)
		}
		var viaJS string
		if err := json.Unmarshal(AppendJSString(nil, wellFormed(in)), &viaJS); err != nil || viaJS != back {
			t.Errorf("JSON.stringify form of %q decodes to %q (%v), want %q", in, viaJS, err, back)
		}
	}
}
