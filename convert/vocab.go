package convert

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/hearthlm/hearth/gguf"
)

// GGUF token types (llama_token_type).
const (
	tokNormal      = 1
	tokUnknown     = 2
	tokControl     = 3
	tokUserDefined = 4
	tokUnused      = 5
	tokByte        = 6
)

type hfTokenizer struct {
	AddedTokens []struct {
		ID         int    `json:"id"`
		Content    string `json:"content"`
		Special    bool   `json:"special"`
		Normalized bool   `json:"normalized"`
	} `json:"added_tokens"`
	Normalizer    json.RawMessage `json:"normalizer"`
	PreTokenizer  json.RawMessage `json:"pre_tokenizer"`
	PostProcessor json.RawMessage `json:"post_processor"`
	Model         struct {
		Type         string          `json:"type"`
		Vocab        json.RawMessage `json:"vocab"`
		Merges       json.RawMessage `json:"merges"`
		ByteFallback bool            `json:"byte_fallback"`
		UnkToken     *string         `json:"unk_token"`
	} `json:"model"`
}

// tokenizerConfig is the part of tokenizer_config.json conversion reads.
type tokenizerConfig struct {
	AddBOS       *bool           `json:"add_bos_token"`
	AddEOS       *bool           `json:"add_eos_token"`
	BOS          json.RawMessage `json:"bos_token"`
	EOS          json.RawMessage `json:"eos_token"`
	PAD          json.RawMessage `json:"pad_token"`
	UNK          json.RawMessage `json:"unk_token"`
	ChatTemplate json.RawMessage `json:"chat_template"`
}

// tokenText reads a special token entry, which is a string or an object
// with a "content" field (or null).
func tokenText(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var o struct {
		Content string `json:"content"`
	}
	if json.Unmarshal(raw, &o) == nil {
		return o.Content
	}
	return ""
}

// Known pre-tokenizer regexes of byte-level BPE vocabularies, by the name
// llama.cpp gives them in tokenizer.ggml.pre.
var preByRegex = []struct{ name, regex string }{
	{"llama-bpe", `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`},
	{"qwen2", `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`},
}

var regexField = regexp.MustCompile(`"Regex"\s*:\s*("(?:[^"\\]|\\.)*")`)

// preName identifies the pre-tokenizer of a byte-level BPE tokenizer.json
// by its split regex.
func preName(pre json.RawMessage) (string, error) {
	var regexes []string
	for _, m := range regexField.FindAllSubmatch(pre, -1) {
		var s string
		if err := json.Unmarshal(m[1], &s); err == nil {
			regexes = append(regexes, s)
		}
	}
	for _, r := range regexes {
		for _, p := range preByRegex {
			if r == p.regex {
				return p.name, nil
			}
		}
	}
	if len(regexes) == 0 && strings.Contains(string(pre), `"ByteLevel"`) {
		return "gpt-2", nil
	}
	return "", fmt.Errorf("convert: tokenizer.json: pre-tokenizer %s is not one llama.cpp knows", truncate(string(pre), 200))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// VocabFromDir reads tokenizer.json (and tokenizer_config.json when
// present) from a Hugging Face model folder.
func VocabFromDir(dir string, vocabSize int) (gguf.Metadata, error) {
	tj, err := os.ReadFile(filepath.Join(dir, "tokenizer.json"))
	if err != nil {
		return nil, fmt.Errorf("convert: %w", err)
	}
	tc, err := os.ReadFile(filepath.Join(dir, "tokenizer_config.json"))
	if err != nil && !os.IsNotExist(err) {
		return nil, fmt.Errorf("convert: %w", err)
	}
	return Vocab(tj, tc, vocabSize)
}

// Vocab makes the tokenizer.* metadata of a GGUF file from the contents of
// tokenizer.json and tokenizer_config.json (which may be nil), as llama.cpp's
// converter does for byte-level BPE vocabularies: every id below vocabSize
// (the model's embedding rows; 0 means the tokenizer's size) gets a token,
// ids the tokenizer lacks become unused "[PADn]" tokens.
func Vocab(tokenizerJSON, configJSON []byte, vocabSize int) (gguf.Metadata, error) {
	var tj hfTokenizer
	if err := json.Unmarshal(tokenizerJSON, &tj); err != nil {
		return nil, fmt.Errorf("convert: tokenizer.json: %w", err)
	}
	var cfg tokenizerConfig
	if len(configJSON) > 0 {
		if err := json.Unmarshal(configJSON, &cfg); err != nil {
			return nil, fmt.Errorf("convert: tokenizer_config.json: %w", err)
		}
	}
	if tj.Model.Type != "BPE" {
		return nil, fmt.Errorf("convert: tokenizer.json: model %q is not supported yet, only BPE", tj.Model.Type)
	}
	spm := tj.Model.ByteFallback // SentencePiece BPE stored as tokenizer.json (Llama 2, Mistral, Gemma)
	var vocab map[string]int
	if err := json.Unmarshal(tj.Model.Vocab, &vocab); err != nil {
		return nil, fmt.Errorf("convert: tokenizer.json: model.vocab: %w", err)
	}
	byID := map[int]string{}
	for s, id := range vocab {
		byID[id] = s
	}
	added := map[int]bool{}
	special := map[int]bool{}
	for _, a := range tj.AddedTokens {
		byID[a.ID] = a.Content
		added[a.ID] = true
		special[a.ID] = a.Special
	}
	n := vocabSize
	if n == 0 {
		for id := range byID {
			n = max(n, id+1)
		}
	}
	for id, tok := range byID {
		if id >= n && added[id] {
			// Added tokens past the embeddings (Gemma 3's image token)
			// cannot be run; they are left out, as llama.cpp does.
			delete(byID, id)
			continue
		}
		if id < 0 || id >= n {
			return nil, fmt.Errorf("convert: tokenizer.json: token %q has id %d, outside the model's vocabulary of %d", tok, id, n)
		}
	}
	tokens := make([]string, n)
	types := make([]int32, n)
	ids := map[string]int{}
	for i := range n {
		s, ok := byID[i]
		switch {
		case !ok:
			tokens[i], types[i] = fmt.Sprintf("[PAD%d]", i), tokUnused
		case spm && tj.Model.UnkToken != nil && s == *tj.Model.UnkToken:
			tokens[i], types[i] = s, tokUnknown
		case added[i] && (special[i] || looksSpecial(s)):
			tokens[i], types[i] = s, tokControl
		case spm && isByteToken(s):
			tokens[i], types[i] = s, tokByte
		case added[i]:
			tokens[i], types[i] = s, tokUserDefined
		default:
			tokens[i], types[i] = s, tokNormal
		}
		ids[tokens[i]] = i
	}
	var md gguf.Metadata
	if spm {
		// llama.cpp's SentencePiece tokenizer repeatedly joins the adjacent
		// pair whose concatenation scores highest; scoring each piece by
		// the rank of the merge that makes it reproduces the BPE merges.
		// Pieces no merge makes rank after all merges.
		merges, err := readMerges(tj.Model.Merges)
		if err != nil {
			return nil, err
		}
		rank := make(map[string]int, len(merges))
		for r, m := range merges {
			if a, b, ok := strings.Cut(m, " "); ok {
				if _, seen := rank[a+b]; !seen {
					rank[a+b] = r
				}
			}
		}
		scores := make([]float32, n)
		for i := range scores {
			if types[i] != tokNormal && types[i] != tokUserDefined {
				continue
			}
			if r, ok := rank[tokens[i]]; ok {
				scores[i] = -float32(r)
			} else {
				scores[i] = -float32(len(merges) + i)
			}
		}
		md = gguf.Metadata{
			{Key: "tokenizer.ggml.model", Value: gguf.Value{Type: gguf.String, V: "llama"}},
			{Key: "tokenizer.ggml.pre", Value: gguf.Value{Type: gguf.String, V: "default"}},
			{Key: "tokenizer.ggml.tokens", Value: gguf.Value{Type: gguf.ArrayType, V: gguf.NewArray(gguf.String, tokens)}},
			{Key: "tokenizer.ggml.scores", Value: gguf.Value{Type: gguf.ArrayType, V: gguf.NewArray(gguf.Float32, scores)}},
			{Key: "tokenizer.ggml.token_type", Value: gguf.Value{Type: gguf.ArrayType, V: gguf.NewArray(gguf.Int32, types)}},
			{Key: "tokenizer.ggml.add_space_prefix", Value: gguf.Value{Type: gguf.Bool, V: strings.Contains(string(tj.Normalizer), `"Prepend"`)}},
		}
	} else {
		merges, err := readMerges(tj.Model.Merges)
		if err != nil {
			return nil, err
		}
		pre, err := preName(tj.PreTokenizer)
		if err != nil {
			return nil, err
		}
		md = gguf.Metadata{
			{Key: "tokenizer.ggml.model", Value: gguf.Value{Type: gguf.String, V: "gpt2"}},
			{Key: "tokenizer.ggml.pre", Value: gguf.Value{Type: gguf.String, V: pre}},
			{Key: "tokenizer.ggml.tokens", Value: gguf.Value{Type: gguf.ArrayType, V: gguf.NewArray(gguf.String, tokens)}},
			{Key: "tokenizer.ggml.token_type", Value: gguf.Value{Type: gguf.ArrayType, V: gguf.NewArray(gguf.Int32, types)}},
			{Key: "tokenizer.ggml.merges", Value: gguf.Value{Type: gguf.ArrayType, V: gguf.NewArray(gguf.String, merges)}},
		}
	}
	idKey := func(key, text string) {
		if id, ok := ids[text]; ok && text != "" {
			md = append(md, gguf.KV{Key: "tokenizer.ggml." + key, Value: gguf.Value{Type: gguf.Uint32, V: uint32(id)}})
		}
	}
	bos := tokenText(cfg.BOS)
	if bos == "" {
		// Byte-level BPE post-processors that add a BOS name it.
		bos = postProcessorBOS(tj.PostProcessor)
	}
	idKey("bos_token_id", bos)
	idKey("eos_token_id", tokenText(cfg.EOS))
	idKey("unknown_token_id", tokenText(cfg.UNK))
	idKey("padding_token_id", tokenText(cfg.PAD))
	if cfg.AddBOS != nil {
		md = append(md, gguf.KV{Key: "tokenizer.ggml.add_bos_token", Value: gguf.Value{Type: gguf.Bool, V: *cfg.AddBOS}})
	} else if postProcessorBOS(tj.PostProcessor) != "" {
		md = append(md, gguf.KV{Key: "tokenizer.ggml.add_bos_token", Value: gguf.Value{Type: gguf.Bool, V: true}})
	}
	if cfg.AddEOS != nil {
		md = append(md, gguf.KV{Key: "tokenizer.ggml.add_eos_token", Value: gguf.Value{Type: gguf.Bool, V: *cfg.AddEOS}})
	}
	if tmpl := chatTemplate(cfg.ChatTemplate); tmpl != "" {
		md = append(md, gguf.KV{Key: "tokenizer.chat_template", Value: gguf.Value{Type: gguf.String, V: tmpl}})
	}
	return md, nil
}

// isByteToken reports whether s is a SentencePiece byte piece "<0xNN>".
func isByteToken(s string) bool {
	if len(s) != 6 || !strings.HasPrefix(s, "<0x") || s[5] != '>' {
		return false
	}
	for _, c := range s[3:5] {
		if !strings.ContainsRune("0123456789ABCDEF", c) {
			return false
		}
	}
	return true
}

// looksSpecial is llama.cpp's guess for added tokens not marked special:
// "<|...|>", "<...>" control-like texts.
func looksSpecial(s string) bool {
	if s == "" {
		return false
	}
	if strings.HasPrefix(s, "<|") && strings.HasSuffix(s, "|>") {
		return true
	}
	if strings.HasPrefix(s, "<｜") && strings.HasSuffix(s, "｜>") {
		return true
	}
	return false
}

func readMerges(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 {
		return nil, fmt.Errorf("convert: tokenizer.json: BPE model has no merges")
	}
	var asStrings []string
	if err := json.Unmarshal(raw, &asStrings); err == nil {
		return asStrings, nil
	}
	var pairs [][2]string
	if err := json.Unmarshal(raw, &pairs); err != nil {
		return nil, fmt.Errorf("convert: tokenizer.json: model.merges: %w", err)
	}
	out := make([]string, len(pairs))
	for i, p := range pairs {
		if strings.Contains(p[0], " ") || strings.Contains(p[1], " ") {
			return nil, fmt.Errorf("convert: tokenizer.json: merge %d (%q, %q) contains a space, which GGUF merges cannot hold", i, p[0], p[1])
		}
		out[i] = p[0] + " " + p[1]
	}
	return out, nil
}

// postProcessorBOS returns the first special token a TemplateProcessing
// post-processor puts before a single sequence.
func postProcessorBOS(raw json.RawMessage) string {
	var pp struct {
		Type       string            `json:"type"`
		Processors []json.RawMessage `json:"processors"`
		Single     []map[string]struct {
			ID string `json:"id"`
		} `json:"single"`
	}
	if json.Unmarshal(raw, &pp) != nil {
		return ""
	}
	if pp.Type == "Sequence" {
		for _, p := range pp.Processors {
			if s := postProcessorBOS(p); s != "" {
				return s
			}
		}
		return ""
	}
	if pp.Type != "TemplateProcessing" || len(pp.Single) == 0 {
		return ""
	}
	if st, ok := pp.Single[0]["SpecialToken"]; ok {
		return st.ID
	}
	return ""
}

// chatTemplate reads tokenizer_config.json's chat_template: a string, or a
// list of named templates of which "default" is the one GGUF holds.
func chatTemplate(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var named []struct {
		Name     string `json:"name"`
		Template string `json:"template"`
	}
	if json.Unmarshal(raw, &named) == nil {
		sort.SliceStable(named, func(a, b int) bool { return named[a].Name == "default" && named[b].Name != "default" })
		if len(named) > 0 {
			return named[0].Template
		}
	}
	return ""
}
