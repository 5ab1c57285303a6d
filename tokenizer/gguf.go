package tokenizer

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hearthlm/hearth/gguf"
)

// GGUF token types (tokenizer.ggml.token_type).
const (
	ttNormal      = 1
	ttUnknown     = 2
	ttControl     = 3
	ttUserDefined = 4
	ttUnused      = 5
	ttByte        = 6
)

// Token texts llama.cpp treats as end of generation.
var eogTexts = []string{
	"<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>",
	"<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]",
	"<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>",
	"<｜end▁of▁sentence｜>", "[e~[",
}

// Token texts llama.cpp takes as EOT when tokenizer.ggml.eot_token_id is absent.
var eotTexts = []string{
	"<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>",
	"<EOT>", "_<EOT>", "[EOT]", "<｜end▁of▁sentence｜>", "<end_of_utterance>",
}

// Token texts of the fill-in-the-middle tokens llama.cpp recognises; they are
// marked as control tokens, and the pad/repo/separator ones end generation.
var (
	fimPreTexts = []string{"<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<｜fim▁begin｜>", "<PRE>", "▁<PRE>", "<|code_prefix|>", "<|prefix|>"}
	fimSufTexts = []string{"<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<｜fim▁hole｜>", "<SUF>", "▁<SUF>", "<|code_suffix|>", "<|suffix|>"}
	fimMidTexts = []string{"<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>", "<MID>", "▁<MID>", "<|code_middle|>", "<|middle|>"}
	fimPadTexts = []string{"<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>"}
	fimRepTexts = []string{"<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>"}
	fimSepTexts = []string{"<|file_sep|>"}
)

// FromGGUF builds the tokenizer described by a GGUF file's tokenizer.ggml.*
// metadata, with llama.cpp's defaults for what is absent.
func FromGGUF(md gguf.Metadata) (*Tokenizer, error) {
	model, ok := md.String("tokenizer.ggml.model")
	if !ok {
		return nil, fmt.Errorf("tokenizer: GGUF has no tokenizer.ggml.model")
	}
	preName, _ := md.String("tokenizer.ggml.pre")
	t := &Tokenizer{bos: -1, eos: -1, unk: -1, eot: -1, eom: -1, sep: -1, eog: map[int32]bool{}}
	pad := int32(-1)
	switch model {
	case "llama":
		t.kind = kindSPM
		t.bos, t.eos, t.unk = 1, 2, 0
		t.addSpacePrefix, t.addBOS = true, true
	case "gpt2":
		t.kind = kindBPE
		t.bos, t.eos = 11, 11
		cfg, err := lookupPre(preName)
		if err != nil {
			return nil, err
		}
		t.cfg = cfg
		t.addBOS = cfg.addBOS
		t.cleanSpaces = !cfg.keepSpaces
		if preName == "chatglm-bpe" || preName == "glm4" {
			t.bos = -1
		}
	case "bert":
		t.kind = kindWPM
		t.bos, t.unk, t.sep, pad = 101, 100, 102, 0
		t.addBOS, t.addSep, t.cleanSpaces = true, true, true
	default:
		return nil, fmt.Errorf("tokenizer: unsupported tokenizer.ggml.model %q", model)
	}
	if v, ok := md.Bool("tokenizer.ggml.add_space_prefix"); ok {
		t.addSpacePrefix = v
	}

	tokens, ok := md.Strings("tokenizer.ggml.tokens")
	if !ok {
		return nil, fmt.Errorf("tokenizer: GGUF has no tokenizer.ggml.tokens")
	}
	n := len(tokens)
	t.tokens = make([]string, n)
	t.scores = make([]float32, n)
	t.attrs = make([]tokenAttr, n)
	t.ids = make(map[string]int32, n)
	if sc, ok := md.Float32s("tokenizer.ggml.scores"); ok {
		if len(sc) < n {
			return nil, fmt.Errorf("tokenizer: %d scores for %d tokens", len(sc), n)
		}
		copy(t.scores, sc)
	} else if sc, ok := md.Int32s("tokenizer.ggml.scores"); ok && len(sc) >= n {
		for i := range t.scores {
			t.scores[i] = float32(sc[i])
		}
	}
	types, hasTypes := md.Int32s("tokenizer.ggml.token_type")
	if hasTypes && len(types) < n {
		return nil, fmt.Errorf("tokenizer: %d token types for %d tokens", len(types), n)
	}
	for i, s := range tokens {
		if s == "" {
			s = fmt.Sprintf("[EMPTY_%d]", i)
		}
		if j, dup := t.ids[s]; dup {
			return nil, fmt.Errorf("tokenizer: duplicate token %q has ids %d and %d", s, j, i)
		}
		t.ids[s] = int32(i)
		t.tokens[i] = s
		a := attrNormal
		if hasTypes {
			switch types[i] {
			case ttNormal:
				a = attrNormal
			case ttUnknown:
				a = attrUnknown
			case ttControl:
				a = attrControl
			case ttUserDefined:
				a = attrUserDefined
			case ttUnused:
				a = attrUnused
			case ttByte:
				a = attrByte
			default:
				a = 0
			}
		}
		t.attrs[i] = a
	}

	if t.kind == kindBPE {
		merges, ok := md.Strings("tokenizer.ggml.merges")
		if !ok {
			return nil, fmt.Errorf("tokenizer: GGUF BPE vocabulary has no tokenizer.ggml.merges")
		}
		t.setMerges(merges)
		sp, err := newSplitter(t.cfg.regexes)
		if err != nil {
			return nil, err
		}
		t.pre = sp
	}

	// special token ids
	idKey := func(key string, dst *int32) {
		if *dst >= int32(n) {
			*dst = -1
		}
		if v, ok := md.Uint("tokenizer.ggml." + key); ok && v < uint64(n) {
			*dst = int32(v)
		}
	}
	fimPre, fimSuf, fimMid, fimPad, fimRep, fimSep := int32(-1), int32(-1), int32(-1), int32(-1), int32(-1), int32(-1)
	mask := int32(-1)
	idKey("bos_token_id", &t.bos)
	idKey("eos_token_id", &t.eos)
	idKey("eot_token_id", &t.eot)
	idKey("eom_token_id", &t.eom)
	idKey("unknown_token_id", &t.unk)
	idKey("seperator_token_id", &t.sep)
	idKey("padding_token_id", &pad)
	idKey("mask_token_id", &mask)
	idKey("fim_pre_token_id", &fimPre)
	idKey("fim_suf_token_id", &fimSuf)
	idKey("fim_mid_token_id", &fimMid)
	idKey("fim_pad_token_id", &fimPad)
	idKey("fim_rep_token_id", &fimRep)
	idKey("fim_sep_token_id", &fimSep)
	idKey("prefix_token_id", &fimPre)
	idKey("suffix_token_id", &fimSuf)
	idKey("middle_token_id", &fimMid)
	if v, ok := md.Bool("tokenizer.ggml.add_bos_token"); ok {
		t.addBOS = v
	}
	if v, ok := md.Bool("tokenizer.ggml.add_eos_token"); ok {
		t.addEOS = v
	}
	if v, ok := md.Bool("tokenizer.ggml.add_sep_token"); ok {
		t.addSep = v
	}

	// Tokens found by their text become control tokens (llama.cpp does the
	// same because converters do not always mark them).
	markControl := func(id int32) { t.attrs[id] |= attrControl }
	find := func(dst *int32, texts []string) {
		if *dst >= 0 {
			return
		}
		for _, s := range texts {
			if id, ok := t.ids[s]; ok {
				*dst = id
				markControl(id)
				return
			}
		}
	}
	find(&t.eot, eotTexts)
	if t.eom < 0 {
		if id, ok := t.ids["<|eom_id|>"]; ok {
			t.eom = id
			markControl(id)
		}
	}
	find(&fimPre, fimPreTexts)
	find(&fimSuf, fimSufTexts)
	find(&fimMid, fimMidTexts)
	find(&fimPad, fimPadTexts)
	find(&fimRep, fimRepTexts)
	find(&fimSep, fimSepTexts)
	for i := range t.attrs {
		if t.attrs[i]&attrControl != 0 && strings.Contains(t.tokens[i], "unused") {
			t.attrs[i] |= attrUnused
		}
	}
	for _, id := range []int32{fimPad, fimRep, fimSep} {
		if id >= 0 {
			t.eog[id] = true
		}
	}
	for _, s := range eogTexts {
		if id, ok := t.ids[s]; ok {
			t.eog[id] = true
			markControl(id)
		}
	}
	for _, s := range []string{"<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"} {
		if id, ok := t.ids[s]; ok {
			t.attrs[id] = attrUserDefined
		}
	}
	for _, id := range []int32{t.eos, t.eot, t.eom} {
		if id >= 0 {
			t.eog[id] = true
		}
	}
	has := func(s string) (int32, bool) {
		id, ok := t.ids[s]
		return id, ok && t.eog[id]
	}
	_, hasReturn := has("<|return|>")
	_, hasCall := has("<|call|>")
	_, hasCalls := has("<|calls|>")
	_, hasFlush := has("<|flush|>")
	if endID, hasEnd := has("<|end|>"); hasEnd && ((hasReturn && (hasCall || hasCalls)) || ((hasCall || hasCalls) && hasFlush)) {
		delete(t.eog, endID)
		t.attrs[endID] = attrUserDefined
	}
	if _, hasTR := has("<|tool_response>"); hasTR {
		if sID, hasS := has("</s>"); hasS {
			delete(t.eog, sID)
			t.attrs[sID] = attrNormal
		}
	}
	t.finish()

	// per-model attributes llama.cpp sets by name
	name, _ := md.String("general.name")
	name = strings.ToLower(name)
	arch, _ := md.String("general.architecture")
	switch {
	case strings.Contains(preName, "jina-v2-de") || strings.Contains(preName, "jina-v2-es") || strings.Contains(preName, "jina-v2-code") ||
		strings.Contains(arch, "nomic-bert-moe") || strings.Contains(arch, "jina-bert-v3"):
		if id, ok := t.ids["<mask>"]; ok {
			t.attrs[id] |= attrLStrip
		}
	case strings.Contains(name, "phi-3") || strings.Contains(name, "phi3"):
		for _, id := range t.specials {
			t.attrs[id] |= attrRStrip
		}
		if id, ok := t.ids["</s>"]; ok {
			t.attrs[id] |= attrRStrip
		}
		for _, s := range []string{"<unk>", "<s>", "<|endoftext|>"} {
			if id, ok := t.ids[s]; ok {
				t.attrs[id] &^= attrRStrip
			}
		}
	case strings.Contains(name, "modern-bert"):
		if id, ok := t.ids["[MASK]"]; ok {
			t.attrs[id] |= attrLStrip
		}
	}
	return t, nil
}

// setMerges reads "a b" merge rules; rank is the line number.
func (t *Tokenizer) setMerges(merges []string) {
	t.merges = make(map[uint64]merge, len(merges))
	for i, m := range merges {
		if m == "" {
			continue
		}
		p := strings.IndexByte(m[1:], ' ')
		if p < 0 {
			continue
		}
		a, b := m[:p+1], m[p+2:]
		t.addMerge(a, b, int32(i))
	}
}

func (t *Tokenizer) addMerge(a, b string, rank int32) {
	ia, oka := t.ids[a]
	ib, okb := t.ids[b]
	if !oka || !okb {
		return
	}
	k := pairKey(ia, ib)
	if _, dup := t.merges[k]; dup {
		return
	}
	res, ok := t.ids[a+b]
	if !ok {
		res = -1
	}
	t.merges[k] = merge{rank: rank, result: res}
}

// finish builds the special-token list and the piece cache.
func (t *Tokenizer) finish() {
	t.specials = t.specials[:0]
	for id, a := range t.attrs {
		if a&(attrControl|attrUserDefined|attrUnknown) != 0 {
			t.specials = append(t.specials, int32(id))
		}
	}
	sort.SliceStable(t.specials, func(i, j int) bool {
		return len(t.tokens[t.specials[i]]) > len(t.tokens[t.specials[j]])
	})
	t.pieces = make([][]byte, len(t.tokens))
	for id := range t.tokens {
		t.pieces[id] = t.pieceFor(int32(id))
	}
}
