// Package tokenizer turns text into token ids and back.
//
// A Tokenizer is built either from the tokenizer.ggml.* metadata of a GGUF
// file (FromGGUF), where it reproduces llama.cpp's llama-vocab behaviour, or
// from a Hugging Face tokenizer.json (FromJSON, FromFile), where it
// reproduces the HF tokenizers library. Both give the same API.
package tokenizer

import (
	"strings"
	"unicode/utf8"
)

// Token attributes, as llama.cpp keeps them (bit flags).
type tokenAttr uint16

const (
	attrUnknown tokenAttr = 1 << iota
	attrUnused
	attrNormal
	attrControl
	attrUserDefined
	attrByte
	attrNormalized
	attrLStrip
	attrRStrip
	attrSingleWord
)

type modelKind int

const (
	kindSPM modelKind = iota // SentencePiece BPE with scores (tokenizer.ggml.model "llama")
	kindBPE                  // byte-level BPE with merges ("gpt2")
	kindWPM                  // WordPiece ("bert")
)

// Tokenizer encodes and decodes text. It is safe for concurrent use.
type Tokenizer struct {
	kind   modelKind
	tokens []string
	scores []float32
	attrs  []tokenAttr
	ids    map[string]int32

	// BPE
	merges map[uint64]merge
	pre    *splitter
	cfg    preConfig

	bos, eos, unk, eot, eom, sep int32
	addBOS, addEOS, addSep       bool
	addSpacePrefix               bool
	cleanSpaces                  bool

	specials []int32 // control, user-defined and unknown tokens, longest text first
	eog      map[int32]bool
	pieces   [][]byte // token_to_piece(special=true)

	hf *hfModel // set for tokenizers read from tokenizer.json

	cache wordCache
}

type merge struct {
	rank   int32
	result int32
}

func pairKey(a, b int32) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }

// VocabSize is the number of tokens.
func (t *Tokenizer) VocabSize() int { return len(t.tokens) }

// Token is the raw vocabulary string of id ("" when out of range).
func (t *Tokenizer) Token(id int32) string {
	if id < 0 || int(id) >= len(t.tokens) {
		return ""
	}
	return t.tokens[id]
}

// TokenID looks a vocabulary string up; ok is false when it is not a token.
func (t *Tokenizer) TokenID(s string) (id int32, ok bool) {
	id, ok = t.ids[s]
	return id, ok
}

// BOS is the beginning-of-sequence token, -1 if none.
func (t *Tokenizer) BOS() int32 { return t.bos }

// EOS is the end-of-sequence token, -1 if none.
func (t *Tokenizer) EOS() int32 { return t.eos }

// EOT is the end-of-turn token, -1 if none.
func (t *Tokenizer) EOT() int32 { return t.eot }

// AddsBOS reports whether Encode with addSpecial adds BOS.
func (t *Tokenizer) AddsBOS() bool { return t.addBOS }

// AddsEOS reports whether Encode with addSpecial adds EOS.
func (t *Tokenizer) AddsEOS() bool { return t.addEOS }

// IsEOG reports whether id ends generation (EOS, EOT, EOM and the other
// end-of-generation tokens llama.cpp recognises by their text).
func (t *Tokenizer) IsEOG(id int32) bool { return t.eog[id] }

// EOGTokens lists the end-of-generation tokens.
func (t *Tokenizer) EOGTokens() []int32 {
	out := make([]int32, 0, len(t.eog))
	for id := range t.eog {
		out = append(out, id)
	}
	return out
}

// IsControl reports whether id is a control token (BOS, EOS, chat markers…).
func (t *Tokenizer) IsControl(id int32) bool {
	return id >= 0 && int(id) < len(t.attrs) && t.attrs[id]&attrControl != 0
}

// Piece is the bytes id contributes to decoded text, as llama.cpp's
// token_to_piece with special=false: control and unknown tokens give nothing,
// byte tokens give their byte, which may be part of a UTF-8 sequence.
func (t *Tokenizer) Piece(id int32) []byte { return t.piece(id, false) }

func (t *Tokenizer) piece(id int32, special bool) []byte {
	if id < 0 || int(id) >= len(t.pieces) {
		return nil
	}
	if !special && t.attrs[id]&(attrUnknown|attrControl) != 0 {
		return nil
	}
	return t.pieces[id]
}

// pieceFor computes token_to_piece(special=true) for the cache.
func (t *Tokenizer) pieceFor(id int32) []byte {
	text := t.tokens[id]
	a := t.attrs[id]
	switch {
	case a&(attrUnknown|attrControl|attrUserDefined) != 0:
		return []byte(text)
	case a&attrNormal != 0:
		if t.kind == kindSPM || t.kind == kindWPM || t.cfg.escapeSpaces {
			return []byte(strings.ReplaceAll(text, "\u2581", " "))
		}
		b, _ := byteDecode(nil, text)
		return b
	case a&attrByte != 0:
		if b, ok := parseByteToken(text); ok {
			return []byte{b}
		}
	}
	return nil
}

// parseByteToken reads "<0xXX>".
func parseByteToken(s string) (byte, bool) {
	if len(s) != 6 || s[:3] != "<0x" || s[5] != '>' {
		return 0, false
	}
	var v byte
	for _, c := range []byte(s[3:5]) {
		switch {
		case c >= '0' && c <= '9':
			v = v<<4 | (c - '0')
		case c >= 'A' && c <= 'F':
			v = v<<4 | (c - 'A' + 10)
		case c >= 'a' && c <= 'f':
			v = v<<4 | (c - 'a' + 10)
		default:
			return 0, false
		}
	}
	return v, true
}

// DecodeOptions tune Decode.
type DecodeOptions struct {
	// Special renders control and unknown tokens as their text
	// (llama.cpp's unparse_special).
	Special bool
	// RemoveSpecial drops a leading BOS and a trailing EOS when the
	// tokenizer adds them (llama.cpp's remove_special).
	RemoveSpecial bool
	// NoCleanup skips the clean-up of spaces before punctuation that
	// llama.cpp applies for some BPE vocabularies.
	NoCleanup bool
}

// Decode turns ids back into text like llama.cpp's llama_detokenize with
// remove_special=false and unparse_special=false: control tokens give
// nothing, the space SentencePiece put in front of the text is removed.
func (t *Tokenizer) Decode(ids []int32) string {
	return t.DecodeWith(ids, DecodeOptions{})
}

// DecodeWith decodes with options.
func (t *Tokenizer) DecodeWith(ids []int32, o DecodeOptions) string {
	if t.hf != nil {
		return t.hf.decode(t, ids, o)
	}
	removeSpace := t.addSpacePrefix
	if o.RemoveSpecial && t.addBOS && len(ids) > 0 && ids[0] == t.bos {
		removeSpace = false
		ids = ids[1:]
	}
	if o.RemoveSpecial && t.addEOS && len(ids) > 0 && ids[len(ids)-1] == t.eos {
		ids = ids[:len(ids)-1]
	}
	var buf []byte
	for _, id := range ids {
		p := t.piece(id, o.Special)
		if removeSpace && len(p) > 0 && p[0] == ' ' {
			p = p[1:]
		}
		removeSpace = false
		buf = append(buf, p...)
	}
	if t.cleanSpaces && !o.NoCleanup {
		buf = cleanSpaces(buf)
	}
	return string(buf)
}

// cleanSpaces is llama.cpp's clean_up_tokenization_spaces.
func cleanSpaces(text []byte) []byte {
	// pass 1: " ?", " !", " .", " ,"
	out := text[:0:0]
	for i, x := range text {
		if i > 0 && text[i-1] == ' ' && (x == '?' || x == '!' || x == '.' || x == ',') {
			out = out[:len(out)-1]
		}
		out = append(out, x)
	}
	// pass 2: " ' " -> "'"
	text, out = out, nil
	for i := 0; i < len(text); i++ {
		x := text[i]
		if i > 0 && x == '\'' && i+1 < len(text) && text[i-1] == ' ' && text[i+1] == ' ' {
			out = out[:len(out)-1]
			out = append(out, x)
			i++ // drop the next space
			continue
		}
		out = append(out, x)
	}
	// pass 3: " 's", " 'm", " 're", " 've"
	text, out = out, nil
	for i, x := range text {
		if i > 0 && text[i-1] == ' ' && x == '\'' && i+1 < len(text) {
			x1 := text[i+1]
			switch {
			case x1 == 's' || x1 == 'm':
				out = out[:len(out)-1]
			case i+2 < len(text) && ((x1 == 'r' && text[i+2] == 'e') || (x1 == 'v' && text[i+2] == 'e')):
				out = out[:len(out)-1]
			}
		}
		out = append(out, x)
	}
	return out
}

// StreamDecoder turns a stream of ids into text, holding back bytes of a
// UTF-8 sequence that is not complete yet.
type StreamDecoder struct {
	t       *Tokenizer
	pending []byte
	special bool
}

// NewStreamDecoder starts a stream. Control tokens give no text.
func (t *Tokenizer) NewStreamDecoder() *StreamDecoder { return &StreamDecoder{t: t} }

// Push adds one token and returns the text completed by it.
func (d *StreamDecoder) Push(id int32) string {
	if d.t.hf != nil {
		d.pending = append(d.pending, d.t.hf.streamPiece(d.t, id)...)
	} else {
		d.pending = append(d.pending, d.t.piece(id, d.special)...)
	}
	n := completeUTF8(d.pending)
	out := string(d.pending[:n])
	d.pending = append(d.pending[:0], d.pending[n:]...)
	return out
}

// Flush returns whatever is held back.
func (d *StreamDecoder) Flush() string {
	out := string(d.pending)
	d.pending = d.pending[:0]
	return out
}

// completeUTF8 is the length of the prefix of b that does not end inside a
// UTF-8 sequence that could still be completed.
func completeUTF8(b []byte) int {
	// look back at most 3 bytes for the start of a multi-byte sequence
	for i := len(b) - 1; i >= 0 && i >= len(b)-3; i-- {
		c := b[i]
		if c < 0x80 {
			return len(b)
		}
		if c >= 0xC0 { // lead byte
			need := 0
			switch {
			case c >= 0xF0 && c <= 0xF4:
				need = 4
			case c >= 0xE0:
				need = 3
			case c >= 0xC2:
				need = 2
			default:
				return len(b)
			}
			have := len(b) - i
			if have < need && utf8.FullRune(b[i:]) == false {
				return i
			}
			return len(b)
		}
	}
	return len(b)
}
