package protocol

import (
	"unicode/utf8"
)

// A JavaScript-compatible JSON.stringify for strings, the encoding Claude
// Code signs lead entries with (PROTOCOL.md §10). Go's encoding/json is not
// it: it escapes <, >, &, U+2028 and U+2029 and has no lone surrogates.
//
// JSON.stringify of a string writes `"` and `\` escaped, \b \f \n \r \t
// for those controls, every other code unit below U+0020 as \u00xx (lower
// case hex), every lone surrogate as \udxxx (lower case hex, ES2019
// well-formed JSON.stringify), and everything else as it is, UTF-8 encoded.
//
// Go strings are bytes. AppendJSString reads them as WTF-8: valid UTF-8,
// plus a surrogate code point encoded as the three bytes ED A0..BF 80..BF
// stands for that lone UTF-16 code unit (a high one followed by a low one
// is the pair, i.e. the supplementary character). Any other invalid byte
// is U+FFFD, one per byte, exactly as encoding/json writes it.
//
// Our inbox entries never carry a lone surrogate: what we write is
// encoded by encoding/json, which writes each invalid byte as U+FFFD, and
// a "\ud800" read from a file Claude Code wrote is decoded by Go as U+FFFD
// too. signEntry therefore signs the entry's strings as encoding/json will
// write them (wellFormed), so the signed bytes are exactly JSON.stringify
// of the strings a teammate parses back from the file.

const hexDigits = "0123456789abcdef"

// AppendJSString appends JSON.stringify(s) to dst, s read as WTF-8.
func AppendJSString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"':
				dst = append(dst, '\\', '"')
			case c == '\\':
				dst = append(dst, '\\', '\\')
			case c == '\b':
				dst = append(dst, '\\', 'b')
			case c == '\f':
				dst = append(dst, '\\', 'f')
			case c == '\n':
				dst = append(dst, '\\', 'n')
			case c == '\r':
				dst = append(dst, '\\', 'r')
			case c == '\t':
				dst = append(dst, '\\', 't')
			case c < 0x20:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r != utf8.RuneError || n != 1 {
			dst = append(dst, s[i:i+n]...)
			i += n
			continue
		}
		if hi, ok := surrogateAt(s, i); ok {
			if lo, ok := surrogateAt(s, i+3); ok && hi < 0xdc00 && lo >= 0xdc00 {
				dst = utf8.AppendRune(dst, utf16Pair(hi, lo))
				i += 6
				continue
			}
			dst = append(dst, '\\', 'u', hexDigits[hi>>12], hexDigits[hi>>8&0xf], hexDigits[hi>>4&0xf], hexDigits[hi&0xf])
			i += 3
			continue
		}
		dst = utf8.AppendRune(dst, utf8.RuneError)
		i++
	}
	return append(dst, '"')
}

// surrogateAt reports the surrogate code unit WTF-8 encodes at s[i:i+3].
func surrogateAt(s string, i int) (rune, bool) {
	if i+3 > len(s) || s[i] != 0xed || s[i+1] < 0xa0 || s[i+1] > 0xbf || s[i+2] < 0x80 || s[i+2] > 0xbf {
		return 0, false
	}
	return 0xd000 | rune(s[i+1]&0x3f)<<6 | rune(s[i+2]&0x3f), true
}

func utf16Pair(hi, lo rune) rune { return 0x10000 + (hi-0xd800)<<10 + (lo - 0xdc00) }

// AppendJSStringArray appends JSON.stringify of an array of strings and
// nulls (a nil item) to dst: no spaces, as JSON.stringify without indent.
func AppendJSStringArray(dst []byte, items []*string) []byte {
	dst = append(dst, '[')
	for i, it := range items {
		if i > 0 {
			dst = append(dst, ',')
		}
		if it == nil {
			dst = append(dst, "null"...)
			continue
		}
		dst = AppendJSString(dst, *it)
	}
	return append(dst, ']')
}

// wellFormed returns s as encoding/json writes it: valid UTF-8 as is, each
// invalid byte replaced by U+FFFD.
func wellFormed(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	b := make([]byte, 0, len(s)+8)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		b = utf8.AppendRune(b, r) // RuneError for an invalid byte, n == 1
		i += n
	}
	return string(b)
}
