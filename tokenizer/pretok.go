package tokenizer

import (
	"fmt"
	"unicode/utf8"

	"github.com/dlclark/regexp2"
)

// Pre-tokenizer regular expressions for GGUF BPE vocabularies, selected by
// tokenizer.ggml.pre. They follow the expressions llama.cpp uses for each
// pre-tokenizer type (which in turn come from each model's tokenizer.json).
// Each list is applied in order: every expression splits the pieces left by
// the previous one, keeping the text between matches as pieces of its own.
const (
	reGPT2      = `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)`
	reContract  = `(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])`
	reLlama3    = reContract + `|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	reQwen2     = reContract + `|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	reQwen35    = reContract + `|[^\r\n\p{L}\p{N}]?[\p{L}\p{M}]+|\p{N}| ?[^\s\p{L}\p{M}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	reDSV3Main  = `[!"#$%&'()*+,\-./:;<=>?@\[\\\]^_` + "`" + `{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+| ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	reGPT4o     = `[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+` + reContract + `?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*` + reContract + `?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	reTekken    = `[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	reNewlines  = `[^\n]+|[\n]+`
	reDeepseekL = `\s?[A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-ჅᎠ-Ᏽᏸ-ᏽᲐ-ᲺᲽ-Ჿᴀ-ᴫᵫ-ᵷᵹ-ᶚḀ-ἕἘ-Ἕἠ-ὅὈ-Ὅὐ-ὗὙὛὝὟ-\u1F7Dᾀ-ᾴᾶ-ᾼ\u1FBEῂ-ῄῆ-ῌῐ-\u1FD3ῖ-\u1FDBῠ-Ῥῲ-ῴῶ-ῼℂℇℊ-ℓℕℙ-ℝℤ\u2126ℨ\u212A-ℭℯ-ℴℹℼ-ℿⅅ-ⅉⅎↃↄⰀ-ⱻⱾ-ⳤⳫ-ⳮⳲⳳꙀ-ꙭꚀ-ꚛꜢ-ꝯꝱ-ꞇꞋ-ꞎꭰ-ꮿﬀ-ﬆﬓ-ﬗＡ-Ｚａ-ｚ𐐀-𐑏𐒰-𐓓𐓘-𐓻𐲀-𐲲𐳀-𐳲𑢠-𑣟𞤀-𞥃]+`
)

// preConfig is what a tokenizer.ggml.pre name selects.
type preConfig struct {
	regexes      []string
	noByteEncode bool // raw UTF-8 words (SPM-style BPE) instead of GPT-2 byte encoding
	escapeSpaces bool // replace ' ' with U+2581 before splitting
	ignoreMerges bool // a word that is a whole token is emitted without merging
	addBOS       bool
	keepSpaces   bool // clean_spaces=false in llama.cpp's detokenizer
}

func lookupPre(name string) (preConfig, error) {
	gpt2 := preConfig{regexes: []string{reGPT2}}
	starcoder := preConfig{regexes: []string{`\p{N}`, reGPT2}}
	switch name {
	case "", "default":
		return preConfig{regexes: []string{`[\p{P}\$\+<=>\^~\|]+`, reGPT2, `\p{N}+`, `[0-9][0-9][0-9]`}}, nil
	case "llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2", "jina-v5-nano":
		return preConfig{regexes: []string{reLlama3}, ignoreMerges: true, addBOS: true}, nil
	case "dbrx", "smaug-bpe":
		return preConfig{regexes: []string{reLlama3}}, nil
	case "chatglm-bpe", "glm4":
		return preConfig{regexes: []string{reLlama3}}, nil
	case "deepseek-llm":
		return preConfig{regexes: []string{`[\r\n]`, reDeepseekL, `\s?[!-/:-~！-／：-～‘-‟　-。]+`, `\s+$`, `[一-龥ࠀ-一가-퟿]+`, `\p{N}+`}, keepSpaces: true}, nil
	case "deepseek-coder":
		return preConfig{regexes: []string{`[\r\n]`, `\s?\p{L}+`, `\s?\p{P}+`, `[一-龥ࠀ-一가-퟿]+`, `\p{N}`}, keepSpaces: true}, nil
	case "deepseek-v3", "hunyuan-dense", "joyai-llm", "hy_v4":
		return preConfig{regexes: []string{`\p{N}{1,3}`, `[一-龥぀-ゟ゠-ヿ]+`, reDSV3Main}, keepSpaces: true}, nil
	case "falcon":
		return preConfig{regexes: []string{`[\p{P}\$\+<=>\^~\|` + "`" + `]+`, reGPT2, `[0-9][0-9][0-9]`}}, nil
	case "starcoder", "refact", "codeshell", "exaone", "minerva-7b", "mellum2":
		return starcoder, nil
	case "command-r", "smollm":
		starcoder.keepSpaces = true
		return starcoder, nil
	case "gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v2-es", "jina-v2-de", "a.x-4.0", "mellum",
		"modern-bert", "mpt", "olmo", "jais", "exaone4", "jina-v1-en", "jina-v2-code", "roberta-bpe":
		return gpt2, nil
	case "trillion", "granite-docling":
		gpt2.keepSpaces = true
		return gpt2, nil
	case "qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2", "hunyuan", "solar-open":
		return preConfig{regexes: []string{reQwen2}, keepSpaces: true}, nil
	case "stablelm2", "megrez":
		return preConfig{regexes: []string{reQwen2}}, nil
	case "qwen35":
		return preConfig{regexes: []string{reQwen35}, keepSpaces: true}, nil
	case "poro-chat":
		return preConfig{regexes: []string{` ?[^(\s|.,!?…。，、।۔،)]+`}, keepSpaces: true}, nil
	case "bloom", "gpt3-finnish":
		return preConfig{regexes: []string{` ?[^(\s|.,!?…。，、।۔،)]+`}}, nil
	case "viking":
		return preConfig{regexes: []string{` ?[^(\s|.,!?…。，、।۔،)]+`, `\p{N}`}, keepSpaces: true}, nil
	case "tekken":
		return preConfig{regexes: []string{reTekken}, ignoreMerges: true, addBOS: true, keepSpaces: true}, nil
	case "gpt-4o", "llama4", "kanana2", "talkie", "minimax-m2":
		return preConfig{regexes: []string{reGPT4o}, keepSpaces: true}, nil
	case "seed-coder":
		return preConfig{regexes: []string{reContract + `|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1}| ?[^\s\p{L}\p{N}\r\n]+|\s*[\r\n]+|\s+(?!\S)|\s+`}, keepSpaces: true}, nil
	case "grok-2":
		return preConfig{regexes: []string{reQwen2}, keepSpaces: true}, nil
	case "ufakzeka":
		return preConfig{regexes: []string{`[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`}, keepSpaces: true}, nil
	case "bailingmoe", "bailingmoe2", "llada-moe":
		return preConfig{regexes: []string{`'(?:[sSdDmMtT]|[lL][lL]|[vV][eE]|[rR][eE])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+`}, keepSpaces: true}, nil
	case "laguna":
		return preConfig{regexes: []string{reNewlines, reQwen2}, keepSpaces: true}, nil
	case "gemma4", "granite-embed-multi-311m":
		return preConfig{regexes: []string{reNewlines}, noByteEncode: true, escapeSpaces: true, addBOS: true}, nil
	case "sarvam-moe":
		return preConfig{regexes: []string{reNewlines}, noByteEncode: true, escapeSpaces: true, keepSpaces: true}, nil
	case "whitespace":
		return preConfig{regexes: []string{`\S+`}, noByteEncode: true}, nil
	}
	return preConfig{}, fmt.Errorf("tokenizer: unknown pre-tokenizer type %q", name)
}

// matcher finds the non-empty, non-overlapping matches of a pattern in a
// rune slice, as rune spans.
type matcher interface {
	find(rs []rune, dst [][2]int) [][2]int
}

type regexMatcher struct{ re *regexp2.Regexp }

func (m regexMatcher) find(rs []rune, dst [][2]int) [][2]int {
	mt, _ := m.re.FindRunesMatch(rs)
	for mt != nil {
		if mt.Length > 0 {
			dst = append(dst, [2]int{mt.Index, mt.Index + mt.Length})
		}
		mt, _ = m.re.FindNextMatch(mt)
	}
	return dst
}

type llama3Matcher struct{ digits int }

func (m llama3Matcher) find(rs []rune, dst [][2]int) [][2]int { return scanLlama3(rs, m.digits, dst) }

// Patterns with a hand-written scanner, as llama.cpp and tokenizer.json
// files write them.
var fastPatterns = map[string]matcher{
	reLlama3: llama3Matcher{3},
	reQwen2:  llama3Matcher{1},
	`(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`: llama3Matcher{3},
	`(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`:      llama3Matcher{1},
}

// compileMatcher returns the scanner for a known pattern, else the regex.
func compileMatcher(expr string) (matcher, error) {
	if m, ok := fastPatterns[expr]; ok && !noFastScan {
		return m, nil
	}
	re, err := regexp2.Compile(expr, regexp2.None)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: pre-tokenizer regex %q: %w", expr, err)
	}
	return regexMatcher{re}, nil
}

// noFastScan forces the regex engine (tests compare both).
var noFastScan = false

// splitter applies a list of patterns in sequence.
type splitter struct {
	res []matcher
}

func newSplitter(exprs []string) (*splitter, error) {
	s := &splitter{}
	for _, e := range exprs {
		m, err := compileMatcher(e)
		if err != nil {
			return nil, err
		}
		s.res = append(s.res, m)
	}
	return s, nil
}

// split cuts text into pieces. Invalid UTF-8 bytes become U+FFFD first, as in
// llama.cpp. Pieces are returned as strings.
func (s *splitter) split(text string) []string {
	runes := []rune(text)
	// segments as rune offsets [a,b)
	segs := [][2]int{{0, len(runes)}}
	if len(runes) == 0 {
		return nil
	}
	for _, re := range s.res {
		var next [][2]int
		for _, sg := range segs {
			sub := runes[sg[0]:sg[1]]
			last := 0
			for _, m := range re.find(sub, nil) {
				if m[0] > last {
					next = append(next, [2]int{sg[0] + last, sg[0] + m[0]})
				}
				next = append(next, [2]int{sg[0] + m[0], sg[0] + m[1]})
				last = m[1]
			}
			if last < len(sub) {
				next = append(next, [2]int{sg[0] + last, sg[1]})
			}
		}
		segs = next
	}
	out := make([]string, len(segs))
	for i, sg := range segs {
		out[i] = string(runes[sg[0]:sg[1]])
	}
	return out
}

// validUTF8 replaces invalid bytes by U+FFFD.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return string([]rune(s))
}
