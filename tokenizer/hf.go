package tokenizer

import (
	"container/heap"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"github.com/dlclark/regexp2"
	"golang.org/x/text/unicode/norm"
)

// hfModel holds the tokenizer.json pipeline (added tokens, normalizer,
// pre-tokenizer, model, post-processor, decoder), interpreted as the Hugging
// Face tokenizers library does.
type hfModel struct {
	normalize []func(string) string
	pretok    []func(in []string, origin *byte) []string // origin: where the text at original offset 0 starts, or nil

	byteFallback, ignoreMerges, fuseUnk bool
	unk                                 int32

	added     map[int32]addedToken
	addedRoot *trieNode // added tokens matched on the raw text
	normRoot  *trieNode // added tokens with normalized=true, matched on normalized text

	hasNormAdded bool
	model        string // "BPE", "WordPiece" or "Unigram"

	// WordPiece
	wpPrefix  string
	wpMaxWord int
	modelIDs  map[string]int32 // the model's own vocabulary (WordPiece, Unigram)

	// Unigram
	uniScores   []float64
	uniMin      float64
	uniMaxLen   int
	specialTok  map[int32]bool
	post        []postProc
	prefix      []int32 // post-processor ids before the sequence
	suffix      []int32 // and after it
	decoders    []hfDecoder
	byteDecoder bool // a ByteLevel decoder is in the chain
}

type addedToken struct {
	ID         int32  `json:"id"`
	Content    string `json:"content"`
	SingleWord bool   `json:"single_word"`
	LStrip     bool   `json:"lstrip"`
	RStrip     bool   `json:"rstrip"`
	Normalized bool   `json:"normalized"`
	Special    bool   `json:"special"`
}

type trieNode struct {
	next map[byte]*trieNode
	id   int32 // -1 when no token ends here
}

func (n *trieNode) insert(s string, id int32) {
	for i := 0; i < len(s); i++ {
		if n.next == nil {
			n.next = map[byte]*trieNode{}
		}
		c, ok := n.next[s[i]]
		if !ok {
			c = &trieNode{id: -1}
			n.next[s[i]] = c
		}
		n = c
	}
	n.id = id
}

// longest returns the id and length of the longest token that s starts with.
func (n *trieNode) longest(s string, allow func(int32) bool) (int32, int) {
	best, bestLen := int32(-1), 0
	for i := 0; i < len(s) && n.next != nil; i++ {
		c, ok := n.next[s[i]]
		if !ok {
			break
		}
		n = c
		if n.id >= 0 && allow(n.id) {
			best, bestLen = n.id, i+1
		}
	}
	return best, bestLen
}

type hfJSON struct {
	AddedTokens   []addedToken    `json:"added_tokens"`
	Normalizer    json.RawMessage `json:"normalizer"`
	PreTokenizer  json.RawMessage `json:"pre_tokenizer"`
	PostProcessor json.RawMessage `json:"post_processor"`
	Decoder       json.RawMessage `json:"decoder"`
	Model         struct {
		Type         string          `json:"type"`
		RawVocab     json.RawMessage `json:"vocab"`
		Vocab        map[string]int32
		Merges       json.RawMessage `json:"merges"`
		UnkToken     *string         `json:"unk_token"`
		UnkID        *int32          `json:"unk_id"`
		FuseUnk      bool            `json:"fuse_unk"`
		ByteFallback bool            `json:"byte_fallback"`
		IgnoreMerges bool            `json:"ignore_merges"`
		// WordPiece
		Prefix  *string `json:"continuing_subword_prefix"`
		MaxWord *int    `json:"max_input_chars_per_word"`
	} `json:"model"`
}

// component is the common shape of normalizers, pre-tokenizers,
// post-processors and decoders.
type component struct {
	Type          string            `json:"type"`
	Normalizers   []json.RawMessage `json:"normalizers"`
	Pretokenizers []json.RawMessage `json:"pretokenizers"`
	Processors    []json.RawMessage `json:"processors"`
	Decoders      []json.RawMessage `json:"decoders"`
	Pattern       struct {
		String *string `json:"String"`
		Regex  *string `json:"Regex"`
	} `json:"pattern"`
	Content        json.RawMessage `json:"content"`
	Prepend        string          `json:"prepend"`
	Behavior       string          `json:"behavior"`
	Invert         bool            `json:"invert"`
	AddPrefixSpace *bool           `json:"add_prefix_space"`
	UseRegex       *bool           `json:"use_regex"`
	Start          int             `json:"start"`
	Stop           int             `json:"stop"`
	Single         []struct {
		SpecialToken *struct {
			ID string `json:"id"`
		} `json:"SpecialToken"`
		Sequence *struct {
			ID string `json:"id"`
		} `json:"Sequence"`
	} `json:"single"`
	SpecialTokens map[string]struct {
		IDs []int32 `json:"ids"`
	} `json:"special_tokens"`
	IndividualDigits bool   `json:"individual_digits"`
	Replacement      string `json:"replacement"`
	PrependScheme    string `json:"prepend_scheme"`
	Split            *bool  `json:"split"`
}

func isNull(r json.RawMessage) bool { return len(r) == 0 || string(r) == "null" }

// FromFile reads a tokenizer.json, or a folder holding tokenizer.json and
// optionally tokenizer_config.json (for the BOS/EOS tokens).
func FromFile(path string) (*Tokenizer, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	dir := filepath.Dir(path)
	if st.IsDir() {
		dir = path
		path = filepath.Join(path, "tokenizer.json")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	t, err := FromJSON(data)
	if err != nil {
		return nil, err
	}
	if cfg, err := os.ReadFile(filepath.Join(dir, "tokenizer_config.json")); err == nil {
		t.applyConfig(cfg)
	}
	return t, nil
}

// applyConfig takes bos_token/eos_token from a tokenizer_config.json.
func (t *Tokenizer) applyConfig(data []byte) {
	var cfg map[string]json.RawMessage
	if json.Unmarshal(data, &cfg) != nil {
		return
	}
	tokenOf := func(key string) int32 {
		raw, ok := cfg[key]
		if !ok {
			return -1
		}
		var s string
		if json.Unmarshal(raw, &s) != nil {
			var obj struct {
				Content string `json:"content"`
			}
			if json.Unmarshal(raw, &obj) != nil {
				return -1
			}
			s = obj.Content
		}
		if id, ok := t.ids[s]; ok {
			return id
		}
		return -1
	}
	if id := tokenOf("bos_token"); id >= 0 {
		t.bos = id
	}
	if id := tokenOf("eos_token"); id >= 0 {
		t.eos = id
		t.eog[id] = true
	}
}

// FromJSON builds a tokenizer from the contents of a Hugging Face
// tokenizer.json.
func FromJSON(data []byte) (*Tokenizer, error) {
	var j hfJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return nil, fmt.Errorf("tokenizer: tokenizer.json: %w", err)
	}
	h := &hfModel{
		byteFallback: j.Model.ByteFallback, ignoreMerges: j.Model.IgnoreMerges, fuseUnk: j.Model.FuseUnk,
		unk: -1, added: map[int32]addedToken{}, addedRoot: &trieNode{id: -1}, normRoot: &trieNode{id: -1},
		specialTok: map[int32]bool{}, model: j.Model.Type,
	}
	if err := h.parseModelVocab(&j); err != nil {
		return nil, err
	}
	t := &Tokenizer{kind: kindBPE, bos: -1, eos: -1, unk: -1, eot: -1, eom: -1, sep: -1, eog: map[int32]bool{}, hf: h}
	n := int32(0)
	for _, id := range j.Model.Vocab {
		n = max(n, id+1)
	}
	for _, a := range j.AddedTokens {
		n = max(n, a.ID+1)
	}
	t.tokens = make([]string, n)
	t.scores = make([]float32, n)
	t.attrs = make([]tokenAttr, n)
	t.ids = make(map[string]int32, n)
	for s, id := range j.Model.Vocab {
		if id < 0 {
			return nil, fmt.Errorf("tokenizer: token %q has negative id %d", s, id)
		}
		t.tokens[id] = s
		t.ids[s] = id
		t.attrs[id] = attrNormal
		if _, ok := parseByteToken(s); ok && h.byteFallback {
			t.attrs[id] = attrByte
		}
	}
	for _, a := range j.AddedTokens {
		if a.ID < 0 {
			continue
		}
		t.tokens[a.ID] = a.Content
		if _, ok := t.ids[a.Content]; !ok {
			t.ids[a.Content] = a.ID
		}
		h.added[a.ID] = a
		if !a.Normalized {
			h.addedRoot.insert(a.Content, a.ID)
		}
		if a.Special {
			h.specialTok[a.ID] = true
			t.attrs[a.ID] = attrControl
		} else {
			t.attrs[a.ID] = attrUserDefined
		}
	}
	if j.Model.UnkToken != nil {
		if id, ok := t.ids[*j.Model.UnkToken]; ok {
			h.unk, t.unk = id, id
		}
	}
	if j.Model.UnkID != nil && *j.Model.UnkID >= 0 && *j.Model.UnkID < n {
		h.unk, t.unk = *j.Model.UnkID, *j.Model.UnkID
	}
	// merges: ["a b", ...] or [["a","b"], ...]
	if !isNull(j.Model.Merges) {
		var strs []string
		if err := json.Unmarshal(j.Model.Merges, &strs); err == nil {
			t.setMerges(strs)
		} else {
			var pairs [][2]string
			if err := json.Unmarshal(j.Model.Merges, &pairs); err != nil {
				return nil, fmt.Errorf("tokenizer: tokenizer.json merges: %w", err)
			}
			t.merges = make(map[uint64]merge, len(pairs))
			for i, p := range pairs {
				t.addMerge(p[0], p[1], int32(i))
			}
		}
	}
	if err := h.parseNormalizer(j.Normalizer); err != nil {
		return nil, err
	}
	for _, a := range j.AddedTokens {
		if a.ID >= 0 && a.Normalized {
			// the library keeps (and decodes) the normalized content
			t.tokens[a.ID] = h.normalizeString(a.Content)
			h.normRoot.insert(t.tokens[a.ID], a.ID)
			h.hasNormAdded = true
		}
	}
	if err := h.parsePreTokenizer(j.PreTokenizer); err != nil {
		return nil, err
	}
	if err := h.parsePost(j.PostProcessor); err != nil {
		return nil, err
	}
	if err := h.parseDecoder(j.Decoder); err != nil {
		return nil, err
	}
	if len(h.prefix) > 0 {
		t.bos, t.addBOS = h.prefix[0], true
	}
	if len(h.suffix) > 0 {
		t.eos, t.addEOS = h.suffix[len(h.suffix)-1], true
	}
	for _, s := range eogTexts {
		if id, ok := t.ids[s]; ok {
			t.eog[id] = true
		}
	}
	if t.eos >= 0 {
		t.eog[t.eos] = true
	}
	for _, s := range eotTexts {
		if id, ok := t.ids[s]; ok {
			t.eot = id
			break
		}
	}
	t.pieces = make([][]byte, n)
	for id := range t.tokens {
		t.pieces[id] = h.pieceOf(t, int32(id))
	}
	return t, nil
}

func (h *hfModel) parseNormalizer(raw json.RawMessage) error {
	if isNull(raw) {
		return nil
	}
	var c component
	if err := json.Unmarshal(raw, &c); err != nil {
		return fmt.Errorf("tokenizer: normalizer: %w", err)
	}
	switch c.Type {
	case "Sequence":
		for _, r := range c.Normalizers {
			if err := h.parseNormalizer(r); err != nil {
				return err
			}
		}
	case "NFC":
		h.normalize = append(h.normalize, norm.NFC.String)
	case "NFD":
		h.normalize = append(h.normalize, norm.NFD.String)
	case "NFKC":
		h.normalize = append(h.normalize, norm.NFKC.String)
	case "NFKD":
		h.normalize = append(h.normalize, norm.NFKD.String)
	case "Lowercase":
		h.normalize = append(h.normalize, rustLower)
	case "Strip":
		h.normalize = append(h.normalize, stripNormalizer(raw))
	case "StripAccents":
		h.normalize = append(h.normalize, stripAccents)
	case "BertNormalizer":
		h.normalize = append(h.normalize, bertNormalizer(raw))
	case "Precompiled":
		f, err := precompiledNormalizer(raw)
		if err != nil {
			return err
		}
		if f != nil {
			h.normalize = append(h.normalize, f)
		}
	case "Prepend":
		p := c.Prepend
		h.normalize = append(h.normalize, func(s string) string {
			if s == "" {
				return s
			}
			return p + s
		})
	case "Replace":
		var content string
		_ = json.Unmarshal(c.Content, &content)
		switch {
		case c.Pattern.String != nil:
			from := *c.Pattern.String
			h.normalize = append(h.normalize, func(s string) string { return strings.ReplaceAll(s, from, content) })
		case c.Pattern.Regex != nil:
			re, err := regexp2.Compile(*c.Pattern.Regex, regexp2.None)
			if err != nil {
				return fmt.Errorf("tokenizer: normalizer regex: %w", err)
			}
			h.normalize = append(h.normalize, func(s string) string {
				out, err := re.Replace(s, content, -1, -1)
				if err != nil {
					return s
				}
				return out
			})
		}
	default:
		return fmt.Errorf("tokenizer: normalizer %q is not supported", c.Type)
	}
	return nil
}

// split cuts s at the matches of re and arranges the pieces by behavior.
func splitBehavior(s string, matches [][2]int, behavior string, invert bool) []string {
	type span struct {
		a, b  int
		match bool
	}
	var spans []span
	last := 0
	for _, m := range matches {
		if m[0] > last {
			spans = append(spans, span{last, m[0], false})
		}
		spans = append(spans, span{m[0], m[1], true})
		last = m[1]
	}
	if last < len(s) {
		spans = append(spans, span{last, len(s), false})
	}
	if invert {
		for i := range spans {
			spans[i].match = !spans[i].match
		}
	}
	var out []string
	switch behavior {
	case "Removed":
		for _, sp := range spans {
			if !sp.match {
				out = append(out, s[sp.a:sp.b])
			}
		}
	case "MergedWithPrevious":
		for _, sp := range spans {
			if sp.match && len(out) > 0 {
				out[len(out)-1] += s[sp.a:sp.b]
			} else {
				out = append(out, s[sp.a:sp.b])
			}
		}
	case "MergedWithNext":
		pending := ""
		for _, sp := range spans {
			if sp.match {
				pending += s[sp.a:sp.b]
			} else {
				out = append(out, pending+s[sp.a:sp.b])
				pending = ""
			}
		}
		if pending != "" {
			out = append(out, pending)
		}
	case "Contiguous":
		for i, sp := range spans {
			if i > 0 && sp.match && spans[i-1].match {
				out[len(out)-1] += s[sp.a:sp.b]
			} else {
				out = append(out, s[sp.a:sp.b])
			}
		}
	default: // Isolated
		for _, sp := range spans {
			out = append(out, s[sp.a:sp.b])
		}
	}
	return out
}

// regexMatches returns the byte spans of the non-empty matches of re in s.
func regexMatches(re matcher, s string) [][2]int {
	runes := make([]rune, 0, len(s))
	// rune index -> byte offset (invalid bytes count as one rune each)
	offs := make([]int, 0, len(s)+1)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		runes = append(runes, r)
		offs = append(offs, i)
		i += n
	}
	offs = append(offs, len(s))
	out := re.find(runes, nil)
	for i, m := range out {
		out[i] = [2]int{offs[m[0]], offs[m[1]]}
	}
	return out
}

func stringMatches(pat, s string) [][2]int {
	var out [][2]int
	if pat == "" {
		return nil
	}
	for i := 0; ; {
		k := strings.Index(s[i:], pat)
		if k < 0 {
			break
		}
		out = append(out, [2]int{i + k, i + k + len(pat)})
		i += k + len(pat)
	}
	return out
}

const hfGPT2Regex = `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`

func eachPiece(f func(string) []string) func([]string, *byte) []string {
	return func(in []string, _ *byte) []string {
		var out []string
		for _, p := range in {
			for _, q := range f(p) {
				if q != "" {
					out = append(out, q)
				}
			}
		}
		return out
	}
}

func (h *hfModel) parsePreTokenizer(raw json.RawMessage) error {
	if isNull(raw) {
		return nil
	}
	var c component
	if err := json.Unmarshal(raw, &c); err != nil {
		return fmt.Errorf("tokenizer: pre_tokenizer: %w", err)
	}
	switch c.Type {
	case "Sequence":
		for _, r := range c.Pretokenizers {
			if err := h.parsePreTokenizer(r); err != nil {
				return err
			}
		}
	case "Split":
		behavior, invert := c.Behavior, c.Invert
		switch {
		case c.Pattern.String != nil:
			pat := *c.Pattern.String
			h.pretok = append(h.pretok, eachPiece(func(s string) []string {
				return splitBehavior(s, stringMatches(pat, s), behavior, invert)
			}))
		case c.Pattern.Regex != nil:
			re, err := compileMatcher(*c.Pattern.Regex)
			if err != nil {
				return err
			}
			h.pretok = append(h.pretok, eachPiece(func(s string) []string {
				return splitBehavior(s, regexMatches(re, s), behavior, invert)
			}))
		}
	case "ByteLevel":
		if c.AddPrefixSpace != nil && *c.AddPrefixSpace {
			h.pretok = append(h.pretok, func(in []string, _ *byte) []string {
				if len(in) > 0 && !strings.HasPrefix(in[0], " ") {
					in[0] = " " + in[0]
				}
				return in
			})
		}
		if c.UseRegex == nil || *c.UseRegex {
			re, err := compileMatcher(hfGPT2Regex)
			if err != nil {
				return err
			}
			h.pretok = append(h.pretok, eachPiece(func(s string) []string {
				return splitBehavior(s, regexMatches(re, s), "Isolated", false)
			}))
		}
		h.pretok = append(h.pretok, eachPiece(func(s string) []string { return []string{byteEncode(s)} }))
	case "Digits":
		individual := c.IndividualDigits
		h.pretok = append(h.pretok, eachPiece(func(s string) []string {
			var m [][2]int
			for i := 0; i < len(s); {
				r, n := utf8.DecodeRuneInString(s[i:])
				if unicode.IsDigit(r) {
					j := i + n
					for !individual && j < len(s) {
						r2, n2 := utf8.DecodeRuneInString(s[j:])
						if !unicode.IsDigit(r2) {
							break
						}
						j += n2
					}
					m = append(m, [2]int{i, j})
					i = j
					continue
				}
				i += n
			}
			return splitBehavior(s, m, "Isolated", false)
		}))
	case "WhitespaceSplit":
		h.pretok = append(h.pretok, eachPiece(strings.Fields))
	case "Whitespace":
		h.pretok = append(h.pretok, eachPiece(whitespaceSplit))
	case "BertPreTokenizer":
		h.pretok = append(h.pretok, eachPiece(strings.Fields), eachPiece(func(s string) []string {
			return splitBehavior(s, runeMatches(s, isBertPunct), "Isolated", false)
		}))
	case "Punctuation":
		behavior := c.Behavior
		if behavior == "" {
			behavior = "Isolated"
		}
		h.pretok = append(h.pretok, eachPiece(func(s string) []string {
			return splitBehavior(s, runeMatches(s, isBertPunct), behavior, false)
		}))
	case "UnicodeScripts":
		h.pretok = append(h.pretok, eachPiece(scriptSplit))
	case "Metaspace":
		repl := c.Replacement
		if repl == "" {
			repl = "\u2581"
		}
		scheme := c.PrependScheme
		if scheme == "" {
			scheme = "always"
			if c.AddPrefixSpace != nil && !*c.AddPrefixSpace {
				scheme = "never"
			}
		}
		split := c.Split == nil || *c.Split
		h.pretok = append(h.pretok, func(in []string, origin *byte) []string {
			var out []string
			for _, s := range in {
				// "first": only the piece at offset 0 of the original text
				first := origin != nil && len(s) > 0 && unsafe.StringData(s) == origin
				s = strings.ReplaceAll(s, " ", repl)
				if (scheme == "always" || (scheme == "first" && first)) && !strings.HasPrefix(s, repl) {
					s = repl + s
				}
				if !split {
					out = append(out, s)
					continue
				}
				out = append(out, splitBehavior(s, stringMatches(repl, s), "MergedWithNext", false)...)
			}
			return out
		})
	default:
		return fmt.Errorf("tokenizer: pre_tokenizer %q is not supported", c.Type)
	}
	return nil
}

type hfDecoder struct {
	kind           string
	from, to       string
	content        rune
	start, stop    int
	prefixStripped bool
	cleanup        bool
}

func (h *hfModel) parseDecoder(raw json.RawMessage) error {
	if isNull(raw) {
		return nil
	}
	var c component
	if err := json.Unmarshal(raw, &c); err != nil {
		return fmt.Errorf("tokenizer: decoder: %w", err)
	}
	switch c.Type {
	case "Sequence":
		for _, r := range c.Decoders {
			if err := h.parseDecoder(r); err != nil {
				return err
			}
		}
	case "ByteLevel":
		h.byteDecoder = true
		h.decoders = append(h.decoders, hfDecoder{kind: c.Type})
	case "ByteFallback", "Fuse":
		h.decoders = append(h.decoders, hfDecoder{kind: c.Type})
	case "WordPiece":
		d := hfDecoder{kind: c.Type, from: "##", cleanup: true}
		var w struct {
			Prefix  *string `json:"prefix"`
			Cleanup *bool   `json:"cleanup"`
		}
		_ = json.Unmarshal(raw, &w)
		if w.Prefix != nil {
			d.from = *w.Prefix
		}
		if w.Cleanup != nil {
			d.cleanup = *w.Cleanup
		}
		h.decoders = append(h.decoders, d)
	case "Replace":
		var content string
		_ = json.Unmarshal(c.Content, &content)
		if c.Pattern.String == nil {
			return fmt.Errorf("tokenizer: Replace decoder with a regex is not supported")
		}
		h.decoders = append(h.decoders, hfDecoder{kind: c.Type, from: *c.Pattern.String, to: content})
	case "Strip":
		var content string
		_ = json.Unmarshal(c.Content, &content)
		r, _ := utf8.DecodeRuneInString(content)
		h.decoders = append(h.decoders, hfDecoder{kind: c.Type, content: r, start: c.Start, stop: c.Stop})
	case "Metaspace":
		repl := c.Replacement
		if repl == "" {
			repl = "\u2581"
		}
		h.decoders = append(h.decoders, hfDecoder{kind: c.Type, from: repl, prefixStripped: c.PrependScheme != "never"})
	default:
		return fmt.Errorf("tokenizer: decoder %q is not supported", c.Type)
	}
	return nil
}

// splitAdded cuts text on added tokens (leftmost, longest first). Special
// added tokens are only recognised with parseSpecial.
func (h *hfModel) splitAdded(root *trieNode, text string, parseSpecial bool) []fragment {
	allow := func(id int32) bool { return parseSpecial || !h.specialTok[id] }
	var out []fragment
	start := 0
	for i := 0; i < len(text); {
		id, n := root.longest(text[i:], allow)
		if id < 0 {
			i++
			continue
		}
		a := h.added[id]
		if a.SingleWord {
			before, _ := utf8.DecodeLastRuneInString(text[:i])
			after, _ := utf8.DecodeRuneInString(text[i+n:])
			if (i > 0 && isWordRune(before)) || (i+n < len(text) && isWordRune(after)) {
				i++
				continue
			}
		}
		a0, b0 := i, i+n
		if a.LStrip {
			for a0 > start {
				r, sz := utf8.DecodeLastRuneInString(text[start:a0])
				if !unicode.IsSpace(r) {
					break
				}
				a0 -= sz
			}
		}
		if a.RStrip {
			for b0 < len(text) {
				r, sz := utf8.DecodeRuneInString(text[b0:])
				if !unicode.IsSpace(r) {
					break
				}
				b0 += sz
			}
		}
		if a0 > start {
			out = append(out, fragment{tok: -1, text: text[start:a0]})
		}
		out = append(out, fragment{tok: id})
		start, i = b0, b0
	}
	if start < len(text) {
		out = append(out, fragment{tok: -1, text: text[start:]})
	}
	return out
}

func isWordRune(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }

func (h *hfModel) encode(t *Tokenizer, text string, addSpecial, parseSpecial bool) []int32 {
	ids := h.encodeSeq(t, text, parseSpecial)
	if !addSpecial {
		return ids
	}
	return h.postProcess(ids, nil, false)
}

// encodeSeq is one sequence through added-token splitting, normalization,
// pre-tokenization and the model, without post-processing.
func (h *hfModel) encodeSeq(t *Tokenizer, text string, parseSpecial bool) []int32 {
	var out []int32
	for _, f := range h.splitAdded(h.addedRoot, text, parseSpecial) {
		if f.tok >= 0 {
			out = append(out, f.tok)
			continue
		}
		s := h.normalizeString(f.text)
		// Does the normalized text start at offset 0 of the input? (An
		// approximation of the library's alignments: the fragment is the
		// start of the text; a normalizer that deletes leading characters
		// is not accounted for.)
		var origin *byte
		if len(s) > 0 && len(f.text) > 0 && unsafe.StringData(f.text) == unsafe.StringData(text) {
			origin = unsafe.StringData(s)
		}
		frags := []fragment{{tok: -1, text: s}}
		if h.hasNormAdded {
			frags = h.splitAdded(h.normRoot, s, parseSpecial)
		}
		for _, g := range frags {
			if g.tok >= 0 {
				out = append(out, g.tok)
				continue
			}
			pieces := []string{g.text}
			if g.text == "" {
				pieces = nil
			}
			o := origin
			if len(g.text) == 0 || unsafe.StringData(g.text) != origin {
				o = nil
			}
			for _, p := range h.pretok {
				pieces = p(pieces, o)
			}
			for _, w := range pieces {
				if ids, ok := t.cache.get(w); ok {
					out = append(out, ids...)
					continue
				}
				n := len(out)
				out = h.modelWord(t, w, out)
				t.cache.put(w, append([]int32(nil), out[n:]...))
			}
		}
	}
	return out
}

func (h *hfModel) normalizeString(s string) string {
	for _, n := range h.normalize {
		s = n(s)
	}
	return s
}

func (h *hfModel) modelWord(t *Tokenizer, w string, out []int32) []int32 {
	switch h.model {
	case "WordPiece":
		return h.wordPiece(w, out)
	case "Unigram":
		return h.unigram(t, w, out)
	}
	return h.bpeWord(t, w, out)
}

// bpeWord is the tokenizers BPE model on one pre-tokenized word.
func (h *hfModel) bpeWord(t *Tokenizer, w string, out []int32) []int32 {
	if w == "" {
		return out
	}
	if h.ignoreMerges {
		if id, ok := t.ids[w]; ok {
			return append(out, id)
		}
	}
	syms := make([]symbol, 0, len(w))
	push := func(id int32, n int) {
		syms = append(syms, symbol{prev: len(syms) - 1, next: len(syms) + 1, n: n, id: id})
	}
	for i := 0; i < len(w); {
		_, n := utf8.DecodeRuneInString(w[i:])
		c := w[i : i+n]
		i += n
		if id, ok := t.ids[c]; ok {
			push(id, n)
			continue
		}
		if h.byteFallback {
			ok := true
			var bs []int32
			for k := 0; k < len(c); k++ {
				id, found := t.ids[string([]byte{'<', '0', 'x', hexDigits[c[k]>>4], hexDigits[c[k]&15], '>'})]
				if !found {
					ok = false
					break
				}
				bs = append(bs, id)
			}
			if ok {
				for _, id := range bs {
					push(id, 1)
				}
				continue
			}
		}
		if h.unk >= 0 {
			if h.fuseUnk && len(syms) > 0 && syms[len(syms)-1].id == h.unk {
				syms[len(syms)-1].n += n
				continue
			}
			push(h.unk, n)
		}
	}
	if len(syms) == 0 {
		return out
	}
	syms[len(syms)-1].next = -1
	q := make(bpeQueue, 0, len(syms))
	add := func(l, r int) {
		if l < 0 || r < 0 {
			return
		}
		m, ok := t.merges[pairKey(syms[l].id, syms[r].id)]
		if !ok || m.result < 0 {
			return
		}
		heap.Push(&q, bpeBigram{left: l, right: r, ln: syms[l].n, rn: syms[r].n, rank: m.rank, result: m.result})
	}
	for i := 1; i < len(syms); i++ {
		add(i-1, i)
	}
	for q.Len() > 0 {
		b := heap.Pop(&q).(bpeBigram)
		l, r := &syms[b.left], &syms[b.right]
		if l.n != b.ln || r.n != b.rn || l.next != b.right || r.n == 0 {
			continue
		}
		l.n += r.n
		l.id = b.result
		r.n = 0
		l.next = r.next
		if r.next >= 0 {
			syms[r.next].prev = b.left
		}
		add(l.prev, b.left)
		add(b.left, l.next)
	}
	for i := 0; i != -1; i = syms[i].next {
		out = append(out, syms[i].id)
	}
	return out
}

// pieceOf is what one token adds to streamed text.
func (h *hfModel) pieceOf(t *Tokenizer, id int32) []byte {
	s := t.tokens[id]
	if _, ok := h.added[id]; ok {
		return []byte(s)
	}
	if h.byteDecoder {
		b, _ := byteDecode(nil, s)
		return b
	}
	for _, d := range h.decoders {
		switch d.kind {
		case "Replace":
			s = strings.ReplaceAll(s, d.from, d.to)
		case "Metaspace":
			s = strings.ReplaceAll(s, d.from, " ")
		case "ByteFallback":
			if b, ok := parseByteToken(s); ok {
				return []byte{b}
			}
		case "WordPiece":
			if strings.HasPrefix(s, d.from) {
				s = s[len(d.from):]
			} else {
				s = " " + s
			}
		}
	}
	return []byte(s)
}

func (h *hfModel) streamPiece(t *Tokenizer, id int32) []byte { return t.piece(id, false) }

// decode runs the decoder chain.
func (h *hfModel) decode(t *Tokenizer, ids []int32, o DecodeOptions) string {
	toks := make([]string, 0, len(ids))
	for _, id := range ids {
		if id < 0 || int(id) >= len(t.tokens) {
			continue
		}
		if !o.Special && h.specialTok[id] {
			continue
		}
		toks = append(toks, t.tokens[id])
	}
	for _, d := range h.decoders {
		switch d.kind {
		case "Replace":
			for i := range toks {
				toks[i] = strings.ReplaceAll(toks[i], d.from, d.to)
			}
		case "ByteFallback":
			var out []string
			var pending []byte
			flush := func() {
				if len(pending) == 0 {
					return
				}
				if utf8.Valid(pending) {
					out = append(out, string(pending))
				} else {
					out = append(out, strings.Repeat("\uFFFD", len(pending)))
				}
				pending = pending[:0]
			}
			for _, s := range toks {
				if b, ok := parseByteToken(s); ok {
					pending = append(pending, b)
					continue
				}
				flush()
				out = append(out, s)
			}
			flush()
			toks = out
		case "Fuse":
			toks = []string{strings.Join(toks, "")}
		case "WordPiece":
			for i, s := range toks {
				if i > 0 {
					if strings.HasPrefix(s, d.from) {
						s = s[len(d.from):]
					} else {
						s = " " + s
					}
				}
				if d.cleanup {
					s = wordPieceCleanup(s)
				}
				toks[i] = s
			}
		case "Strip":
			for i, s := range toks {
				rs := []rune(s)
				a, b := 0, len(rs)
				for k := 0; k < d.start && a < b && rs[a] == d.content; k++ {
					a++
				}
				for k := 0; k < d.stop && b > a && rs[b-1] == d.content; k++ {
					b--
				}
				toks[i] = string(rs[a:b])
			}
		case "Metaspace":
			for i := range toks {
				s := strings.ReplaceAll(toks[i], d.from, " ")
				if i == 0 && d.prefixStripped {
					s = strings.TrimPrefix(s, " ")
				}
				toks[i] = s
			}
		case "ByteLevel":
			var buf []byte
			for _, s := range toks {
				b, ok := byteDecode(nil, s)
				if !ok {
					b = []byte(s)
				}
				buf = append(buf, b...)
			}
			toks = []string{lossyUTF8(buf)}
		}
	}
	return strings.Join(toks, "")
}

// lossyUTF8 is Rust's String::from_utf8_lossy: each maximal invalid
// subsequence becomes one U+FFFD.
func lossyUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var sb strings.Builder
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r != utf8.RuneError || n > 1 {
			sb.WriteRune(r)
			i += n
			continue
		}
		// length of the valid prefix of a sequence starting at b[i]
		c := b[i]
		need, lo, hi := 0, byte(0x80), byte(0xBF)
		switch {
		case c >= 0xC2 && c <= 0xDF:
			need = 1
		case c == 0xE0:
			need, lo = 2, 0xA0
		case c >= 0xE1 && c <= 0xEC, c == 0xEE, c == 0xEF:
			need = 2
		case c == 0xED:
			need, hi = 2, 0x9F
		case c == 0xF0:
			need, lo = 3, 0x90
		case c >= 0xF1 && c <= 0xF3:
			need = 3
		case c == 0xF4:
			need, hi = 3, 0x8F
		}
		k := 1
		for j := 0; j < need && i+k < len(b); j++ {
			x := b[i+k]
			if j == 0 && (x < lo || x > hi) || j > 0 && (x < 0x80 || x > 0xBF) {
				break
			}
			k++
		}
		sb.WriteString("\uFFFD")
		i += k
	}
	return sb.String()
}
