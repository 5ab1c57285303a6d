package tokenizer

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// WordPiece (tokenizer.ggml.model "bert"), as llama.cpp's llm_tokenizer_wpm:
// NFD, lower case, accents (Mn) stripped, split on whitespace and around punctuation and CJK
// ideographs, then greedy longest-match with a "▁" word-start marker.

func isChineseChar(r rune) bool {
	return (r >= 0x4E00 && r <= 0x9FFF) || (r >= 0x3400 && r <= 0x4DBF) ||
		(r >= 0x20000 && r <= 0x2A6DF) || (r >= 0x2A700 && r <= 0x2B73F) ||
		(r >= 0x2B740 && r <= 0x2B81F) || (r >= 0x2B920 && r <= 0x2CEAF) ||
		(r >= 0xF900 && r <= 0xFAFF) || (r >= 0x2F800 && r <= 0x2FA1F)
}

func isUnicodeSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
		return true
	}
	return r >= 0x2000 && r <= 0x200A
}

func wpmPreprocess(text string) []string {
	var words []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			words = append(words, cur.String())
			cur.Reset()
		}
	}
	for _, r := range norm.NFD.String(validUTF8(text)) {
		if isUnicodeSpace(r) {
			flush()
			continue
		}
		if r == 0 || r == 0xFFFD || unicode.In(r, unicode.Cc, unicode.Cf, unicode.Co, unicode.Cs, unicode.Mn) {
			continue
		}
		lr := unicode.ToLower(r)
		if unicode.IsPunct(r) || (r < 0x7F && unicode.IsSymbol(r)) || isChineseChar(r) {
			flush()
			words = append(words, string(lr))
			continue
		}
		cur.WriteRune(lr)
	}
	flush()
	return words
}

func (t *Tokenizer) wpm(text string, out []int32) []int32 {
	maxLen := 0
	for _, s := range t.tokens {
		if len(s) > maxLen {
			maxLen = len(s)
		}
	}
	for _, word := range wpmPreprocess(text) {
		w := "\u2581" + word
		start := len(out)
		for i := 0; i < len(w); i++ {
			match := false
			for j := min(len(w), i+maxLen+1); j > i; j-- {
				if id, ok := t.ids[w[i:j]]; ok {
					out = append(out, id)
					match = true
					i = j - 1
					break
				}
			}
			if !match {
				out = out[:start]
				break
			}
		}
		if len(out) == start {
			out = append(out, t.unk)
		}
	}
	return out
}
