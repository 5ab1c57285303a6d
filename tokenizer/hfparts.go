package tokenizer

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/rivo/uniseg"
	"golang.org/x/text/unicode/norm"
)

// ---- normalizers ----

// rustLower is Rust's char::to_lowercase applied to each character (no
// final-sigma rule): only U+0130 lowers to two characters.
func rustLower(s string) string {
	if !strings.ContainsRune(s, 0x130) {
		return strings.ToLower(s)
	}
	var sb strings.Builder
	for _, r := range s {
		if r == 0x130 {
			sb.WriteString("i\u0307")
			continue
		}
		sb.WriteRune(unicode.ToLower(r))
	}
	return sb.String()
}

func isMark(r rune) bool { return unicode.In(r, unicode.Mn, unicode.Mc, unicode.Me) }

// stripAccents removes combining marks (General_Category=Mark), as the
// StripAccents normalizer; it does not decompose first.
func stripAccents(s string) string {
	return strings.Map(func(r rune) rune {
		if isMark(r) {
			return -1
		}
		return r
	}, s)
}

func stripNormalizer(raw json.RawMessage) func(string) string {
	c := struct {
		Left  *bool `json:"strip_left"`
		Right *bool `json:"strip_right"`
	}{}
	_ = json.Unmarshal(raw, &c)
	left, right := c.Left == nil || *c.Left, c.Right == nil || *c.Right
	return func(s string) string {
		if left {
			s = strings.TrimLeftFunc(s, unicode.IsSpace)
		}
		if right {
			s = strings.TrimRightFunc(s, unicode.IsSpace)
		}
		return s
	}
}

// isOther is Rust's unicode_categories is_other: Cc, Cf, Co, Cs, Cn.
func isOther(r rune) bool {
	if unicode.In(r, unicode.Cc, unicode.Cf, unicode.Co, unicode.Cs) {
		return true
	}
	return !unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Z)
}

func bertNormalizer(raw json.RawMessage) func(string) string {
	c := struct {
		CleanText    *bool `json:"clean_text"`
		Chinese      *bool `json:"handle_chinese_chars"`
		StripAccents *bool `json:"strip_accents"`
		Lowercase    *bool `json:"lowercase"`
	}{}
	_ = json.Unmarshal(raw, &c)
	clean, chinese, lower := c.CleanText == nil || *c.CleanText, c.Chinese == nil || *c.Chinese, c.Lowercase == nil || *c.Lowercase
	strip := lower
	if c.StripAccents != nil {
		strip = *c.StripAccents
	}
	return func(s string) string {
		if clean || chinese {
			var sb strings.Builder
			sb.Grow(len(s))
			for _, r := range s {
				if clean {
					if r == 0 || r == 0xFFFD {
						continue
					}
					if r == '\t' || r == '\n' || r == '\r' {
						sb.WriteByte(' ')
						continue
					}
					if isOther(r) {
						continue
					}
					if unicode.IsSpace(r) {
						sb.WriteByte(' ')
						continue
					}
				}
				if chinese && isChineseChar(r) {
					sb.WriteByte(' ')
					sb.WriteRune(r)
					sb.WriteByte(' ')
					continue
				}
				sb.WriteRune(r)
			}
			s = sb.String()
		}
		if strip { // BertNormalizer removes nonspacing marks only
			s = strings.Map(func(r rune) rune {
				if unicode.Is(unicode.Mn, r) {
					return -1
				}
				return r
			}, norm.NFD.String(s))
		}
		if lower {
			s = rustLower(s)
		}
		return s
	}
}

// precompiled is SentencePiece's normalization charsmap: a darts-clone
// double-array trie over UTF-8 bytes whose values are offsets of
// NUL-terminated replacement strings.
type precompiled struct {
	array      []uint32
	normalized []byte
}

func precompiledNormalizer(raw json.RawMessage) (func(string) string, error) {
	var c struct {
		Charsmap *string `json:"precompiled_charsmap"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("tokenizer: Precompiled: %w", err)
	}
	if c.Charsmap == nil || *c.Charsmap == "" {
		return nil, nil
	}
	blob, err := base64.StdEncoding.DecodeString(*c.Charsmap)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: Precompiled charsmap: %w", err)
	}
	p, err := parsePrecompiled(blob)
	if err != nil {
		return nil, err
	}
	return p.normalize, nil
}

func parsePrecompiled(blob []byte) (*precompiled, error) {
	if len(blob) < 4 {
		return nil, fmt.Errorf("tokenizer: Precompiled charsmap too short")
	}
	size := int(binary.LittleEndian.Uint32(blob))
	if size%4 != 0 || 4+size > len(blob) {
		return nil, fmt.Errorf("tokenizer: Precompiled charsmap: bad trie size %d", size)
	}
	p := &precompiled{array: make([]uint32, size/4), normalized: blob[4+size:]}
	for i := range p.array {
		p.array[i] = binary.LittleEndian.Uint32(blob[4+4*i:])
	}
	return p, nil
}

func dartsOffset(u uint32) int { return int((u >> 10) << ((u & (1 << 9)) >> 6)) }

// transform is the replacement of the shortest trie key that prefixes
// chunk (spm_precompiled takes the first common-prefix result).
func (p *precompiled) transform(chunk string) (string, bool) {
	if len(p.array) == 0 {
		return "", false
	}
	pos := dartsOffset(p.array[0])
	for i := 0; i < len(chunk); i++ {
		c := chunk[i]
		if c == 0 {
			break
		}
		pos ^= int(c)
		if pos >= len(p.array) {
			return "", false
		}
		u := p.array[pos]
		if u&(1<<31|0xFF) != uint32(c) {
			return "", false
		}
		pos ^= dartsOffset(u)
		if (u>>8)&1 == 1 {
			if pos >= len(p.array) {
				return "", false
			}
			idx := int(p.array[pos] & 0x7FFFFFFF)
			if idx > len(p.normalized) {
				return "", false
			}
			end := idx
			for end < len(p.normalized) && p.normalized[end] != 0 {
				end++
			}
			return string(p.normalized[idx:end]), true
		}
	}
	return "", false
}

// normalize is the Precompiled normalizer: each grapheme cluster shorter
// than 6 bytes is looked up whole, otherwise (or when absent) each of its
// characters.
func (p *precompiled) normalize(s string) string {
	var sb strings.Builder
	sb.Grow(len(s))
	state := -1
	for rest := s; rest != ""; {
		var g string
		g, rest, _, state = uniseg.FirstGraphemeClusterInString(rest, state)
		if len(g) < 6 {
			if n, ok := p.transform(g); ok {
				sb.WriteString(n)
				continue
			}
		}
		for i := 0; i < len(g); {
			_, sz := utf8.DecodeRuneInString(g[i:])
			if n, ok := p.transform(g[i : i+sz]); ok {
				sb.WriteString(n)
			} else {
				sb.WriteString(g[i : i+sz])
			}
			i += sz
		}
	}
	return sb.String()
}

// ---- pre-tokenizers ----

// isBertPunct is ASCII punctuation or Unicode category P.
func isBertPunct(r rune) bool {
	if r < 0x80 {
		return r >= 33 && r <= 47 || r >= 58 && r <= 64 || r >= 91 && r <= 96 || r >= 123 && r <= 126
	}
	return unicode.IsPunct(r)
}

// runeMatches gives a one-character span for each rune where f is true.
func runeMatches(s string, f func(rune) bool) [][2]int {
	var m [][2]int
	for i, r := range s {
		if f(r) {
			m = append(m, [2]int{i, i + utf8.RuneLen(r)})
		}
	}
	return m
}

// isRegexWord is \w of Rust's regex crate: Alphabetic, Mark,
// Decimal_Number, Connector_Punctuation, Join_Control.
func isRegexWord(r rune) bool {
	if r < 0x80 {
		return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_'
	}
	return unicode.IsLetter(r) || unicode.In(r, unicode.M, unicode.Nd, unicode.Pc, unicode.Nl, unicode.Other_Alphabetic) || r == 0x200C || r == 0x200D
}

// whitespaceSplit is the Whitespace pre-tokenizer, \w+|[^\w\s]+ with the
// rest (whitespace) removed.
func whitespaceSplit(s string) []string {
	var out []string
	start, kind := 0, 0 // kind: 0 space, 1 word, 2 other
	for i, r := range s {
		k := 2
		if unicode.IsSpace(r) {
			k = 0
		} else if isRegexWord(r) {
			k = 1
		}
		if k != kind {
			if kind != 0 && i > start {
				out = append(out, s[start:i])
			}
			start, kind = i, k
		}
	}
	if kind != 0 && len(s) > start {
		out = append(out, s[start:])
	}
	return out
}

type scriptRange struct {
	lo, hi rune
	name   string
}

var (
	scriptOnce   sync.Once
	scriptRanges []scriptRange
)

// scriptOf is the Unicode script of r; "" for unassigned characters, which
// tokenizers' table maps to Any.
func scriptOf(r rune) string {
	scriptOnce.Do(func() {
		for name, tab := range unicode.Scripts {
			for _, x := range tab.R16 {
				for lo := rune(x.Lo); ; lo += rune(x.Stride) {
					hi := rune(x.Hi)
					if x.Stride != 1 {
						hi = lo
					}
					scriptRanges = append(scriptRanges, scriptRange{lo, hi, name})
					if x.Stride == 1 || lo+rune(x.Stride) > rune(x.Hi) {
						break
					}
				}
			}
			for _, x := range tab.R32 {
				for lo := rune(x.Lo); ; lo += rune(x.Stride) {
					hi := rune(x.Hi)
					if x.Stride != 1 {
						hi = lo
					}
					scriptRanges = append(scriptRanges, scriptRange{lo, hi, name})
					if x.Stride == 1 || lo+rune(x.Stride) > rune(x.Hi) {
						break
					}
				}
			}
		}
		sort.Slice(scriptRanges, func(i, j int) bool { return scriptRanges[i].lo < scriptRanges[j].lo })
	})
	i := sort.Search(len(scriptRanges), func(i int) bool { return scriptRanges[i].hi >= r })
	if i < len(scriptRanges) && scriptRanges[i].lo <= r {
		return scriptRanges[i].name
	}
	return ""
}

// fixedScript is tokenizers' UnicodeScripts view of a character: Hiragana,
// Katakana and U+30FC count as Han; space and unassigned are Any ("").
func fixedScript(r rune) string {
	if r == 0x30FC {
		return "Han"
	}
	if r == ' ' {
		return ""
	}
	switch s := scriptOf(r); s {
	case "Hiragana", "Katakana":
		return "Han"
	default:
		return s
	}
}

// scriptSplit is the UnicodeScripts pre-tokenizer: a cut wherever the
// script changes, ignoring Any characters.
func scriptSplit(s string) []string {
	var out []string
	last, start := "", 0
	first := true
	for i, r := range s {
		sc := fixedScript(r)
		if sc != "" && !first && last != "" && last != sc {
			if i > start {
				out = append(out, s[start:i])
			}
			start = i
		}
		if sc != "" {
			last = sc
			first = false
		}
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

// ---- post-processors ----

// tplPiece is one element of a post-processor template: a sequence (A is 0,
// B is 1) or special-token ids (seq -1).
type tplPiece struct {
	seq int
	ids []int32
}

type postProc struct {
	single, pair []tplPiece
}

type tplJSON []struct {
	SpecialToken *struct {
		ID string `json:"id"`
	} `json:"SpecialToken"`
	Sequence *struct {
		ID string `json:"id"`
	} `json:"Sequence"`
}

func (h *hfModel) parsePost(raw json.RawMessage) error {
	if isNull(raw) {
		return nil
	}
	var c struct {
		Type          string            `json:"type"`
		Processors    []json.RawMessage `json:"processors"`
		Single        tplJSON           `json:"single"`
		Pair          tplJSON           `json:"pair"`
		SpecialTokens map[string]struct {
			IDs []int32 `json:"ids"`
		} `json:"special_tokens"`
		Sep [2]json.RawMessage `json:"sep"`
		Cls [2]json.RawMessage `json:"cls"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return fmt.Errorf("tokenizer: post_processor: %w", err)
	}
	tokID := func(r [2]json.RawMessage) []int32 {
		var id int32
		_ = json.Unmarshal(r[1], &id)
		return []int32{id}
	}
	conv := func(t tplJSON) []tplPiece {
		var out []tplPiece
		for _, p := range t {
			switch {
			case p.Sequence != nil:
				seq := 0
				if p.Sequence.ID == "B" {
					seq = 1
				}
				out = append(out, tplPiece{seq: seq})
			case p.SpecialToken != nil:
				out = append(out, tplPiece{seq: -1, ids: c.SpecialTokens[p.SpecialToken.ID].IDs})
			}
		}
		return out
	}
	switch c.Type {
	case "Sequence":
		for _, r := range c.Processors {
			if err := h.parsePost(r); err != nil {
				return err
			}
		}
		return nil
	case "ByteLevel":
		return nil
	case "TemplateProcessing":
		p := postProc{single: conv(c.Single), pair: conv(c.Pair)}
		if c.Pair == nil {
			p.pair = append(append([]tplPiece{}, p.single...), tplPiece{seq: 1})
		}
		h.post = append(h.post, p)
	case "BertProcessing":
		cls, sep := tokID(c.Cls), tokID(c.Sep)
		h.post = append(h.post, postProc{
			single: []tplPiece{{-1, cls}, {0, nil}, {-1, sep}},
			pair:   []tplPiece{{-1, cls}, {0, nil}, {-1, sep}, {1, nil}, {-1, sep}},
		})
	case "RobertaProcessing":
		cls, sep := tokID(c.Cls), tokID(c.Sep)
		h.post = append(h.post, postProc{
			single: []tplPiece{{-1, cls}, {0, nil}, {-1, sep}},
			pair:   []tplPiece{{-1, cls}, {0, nil}, {-1, sep}, {-1, sep}, {1, nil}, {-1, sep}},
		})
	default:
		return fmt.Errorf("tokenizer: post_processor %q is not supported", c.Type)
	}
	// BOS/EOS as seen by callers: what the (first) single template puts
	// around the sequence.
	if len(h.post) == 1 {
		seen := false
		for _, p := range h.post[0].single {
			switch {
			case p.seq >= 0:
				seen = true
			case seen:
				h.suffix = append(h.suffix, p.ids...)
			default:
				h.prefix = append(h.prefix, p.ids...)
			}
		}
	}
	return nil
}

// postProcess adds the special tokens of the post-processors around one
// sequence, or a pair when pair is true.
func (h *hfModel) postProcess(a, b []int32, pair bool) []int32 {
	if len(h.post) == 0 {
		return append(a, b...)
	}
	for i, p := range h.post {
		tpl := p.single
		if pair && i == 0 {
			tpl = p.pair
		}
		var out []int32
		for _, x := range tpl {
			switch x.seq {
			case -1:
				out = append(out, x.ids...)
			case 0:
				out = append(out, a...)
			case 1:
				out = append(out, b...)
			}
		}
		a, b, pair = out, nil, false
	}
	return a
}

// EncodePair encodes a pair of sequences (question and context, sentence A
// and B) as the tokenizer's post-processor lays them out; with addSpecial
// false it is the two encodings one after the other.
func (t *Tokenizer) EncodePair(a, b string, addSpecial, parseSpecial bool) []int32 {
	if t.hf == nil {
		return append(t.Encode(a, addSpecial, parseSpecial), t.Encode(b, false, parseSpecial)...)
	}
	ea, eb := t.hf.encodeSeq(t, a, parseSpecial), t.hf.encodeSeq(t, b, parseSpecial)
	if !addSpecial {
		return append(ea, eb...)
	}
	return t.hf.postProcess(ea, eb, true)
}

// wordPieceCleanup is the WordPiece decoder's clean-up of tokenization
// spaces.
func wordPieceCleanup(s string) string {
	for _, r := range [][2]string{{" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"}, {" n't", "n't"},
		{" 'm", "'m"}, {" do not", " don't"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}} {
		s = strings.ReplaceAll(s, r[0], r[1])
	}
	return s
}
