package tokenizer

import "unicode/utf8"

// The GPT-2 byte-level alphabet: every byte is shown as a printable rune so
// that byte strings can live in a JSON vocabulary. Printable Latin-1 bytes
// stand for themselves; the others are numbered upward from U+0100.
var (
	byteToRune [256]rune
	runeToByte map[rune]byte
)

func init() {
	runeToByte = make(map[rune]byte, 256)
	n := 0
	for b := 0; b < 256; b++ {
		printable := (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF)
		if printable {
			byteToRune[b] = rune(b)
		} else {
			byteToRune[b] = rune(256 + n)
			n++
		}
		runeToByte[byteToRune[b]] = byte(b)
	}
}

// byteEncode maps every byte of s to its byte-level rune.
func byteEncode(s string) string {
	buf := make([]byte, 0, 2*len(s))
	for i := 0; i < len(s); i++ {
		buf = utf8.AppendRune(buf, byteToRune[s[i]])
	}
	return string(buf)
}

// byteDecode undoes byteEncode. Runes outside the alphabet are kept as their
// UTF-8 bytes (ok reports false then).
func byteDecode(dst []byte, s string) ([]byte, bool) {
	ok := true
	for _, r := range s {
		if b, found := runeToByte[r]; found {
			dst = append(dst, b)
		} else {
			ok = false
			dst = utf8.AppendRune(dst, r)
		}
	}
	return dst, ok
}
