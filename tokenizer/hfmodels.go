package tokenizer

import (
	"encoding/json"
	"fmt"
	"math"
	"unicode/utf8"
)

// parseModelVocab reads the model's vocabulary: a map for BPE and
// WordPiece, a list of [piece, score] pairs for Unigram.
func (h *hfModel) parseModelVocab(j *hfJSON) error {
	m := &j.Model
	switch m.Type {
	case "", "BPE":
		h.model = "BPE"
	case "WordPiece":
		h.wpPrefix, h.wpMaxWord = "##", 100
		if m.Prefix != nil {
			h.wpPrefix = *m.Prefix
		}
		if m.MaxWord != nil {
			h.wpMaxWord = *m.MaxWord
		}
	case "Unigram":
		var list [][2]json.RawMessage
		if err := json.Unmarshal(m.RawVocab, &list); err != nil {
			return fmt.Errorf("tokenizer: Unigram vocab: %w", err)
		}
		m.Vocab = make(map[string]int32, len(list))
		h.modelIDs = make(map[string]int32, len(list))
		h.uniScores = make([]float64, len(list))
		h.uniMin = math.Inf(1)
		for i, e := range list {
			var s string
			var score float64
			if err := json.Unmarshal(e[0], &s); err != nil {
				return fmt.Errorf("tokenizer: Unigram vocab entry %d: %w", i, err)
			}
			if err := json.Unmarshal(e[1], &score); err != nil {
				return fmt.Errorf("tokenizer: Unigram vocab entry %d: %w", i, err)
			}
			m.Vocab[s] = int32(i)
			h.modelIDs[s] = int32(i)
			h.uniScores[i] = score
			h.uniMin = min(h.uniMin, score)
			h.uniMaxLen = max(h.uniMaxLen, len(s))
		}
		if len(list) == 0 {
			h.uniMin = 0
		}
		return nil
	default:
		return fmt.Errorf("tokenizer: tokenizer.json model %q is not supported", m.Type)
	}
	if len(m.RawVocab) > 0 && !isNull(m.RawVocab) {
		if err := json.Unmarshal(m.RawVocab, &m.Vocab); err != nil {
			return fmt.Errorf("tokenizer: vocab: %w", err)
		}
	}
	if m.Type == "WordPiece" {
		h.modelIDs = m.Vocab
	}
	return nil
}

// wordPiece is the tokenizers WordPiece model on one word: greedy longest
// match from the left, continuation pieces carry the prefix ("##"); a word
// with a part that matches nothing, or longer than max_input_chars_per_word,
// becomes the unknown token.
func (h *hfModel) wordPiece(w string, out []int32) []int32 {
	if w == "" {
		return out
	}
	unk := func() []int32 {
		if h.unk >= 0 {
			return append(out, h.unk)
		}
		return out
	}
	if utf8.RuneCountInString(w) > h.wpMaxWord {
		return unk()
	}
	n0 := len(out)
	var buf []byte
	for start := 0; start < len(w); {
		end := len(w)
		found := int32(-1)
		for start < end {
			sub := w[start:end]
			if start > 0 {
				buf = append(append(buf[:0], h.wpPrefix...), sub...)
				sub = string(buf)
			}
			if id, ok := h.modelIDs[sub]; ok {
				found = id
				break
			}
			_, sz := utf8.DecodeLastRuneInString(w[start:end])
			end -= sz
		}
		if found < 0 {
			out = out[:n0]
			return unk()
		}
		out = append(out, found)
		start = end
	}
	return out
}

// unkPenalty is what tokenizers' Unigram subtracts from the lowest score to
// score an unknown character.
const unkPenalty = 10.0

// unigram is the tokenizers Unigram model on one word: the Viterbi best
// segmentation by piece scores, consecutive unknown characters fused into
// one unknown token, byte fallback for pieces not in the vocabulary.
func (h *hfModel) unigram(t *Tokenizer, w string, out []int32) []int32 {
	if w == "" {
		return out
	}
	type node struct {
		score float64
		start int // -1: not reached
		id    int32
	}
	nodes := make([]node, len(w)+1)
	for i := range nodes {
		nodes[i].start = -1
	}
	unkScore := h.uniMin - unkPenalty
	for start := 0; start < len(w); {
		base := nodes[start].score
		_, mblen := utf8.DecodeRuneInString(w[start:])
		single := false
		for l := 1; l <= h.uniMaxLen && start+l <= len(w); l++ {
			id, ok := h.modelIDs[w[start:start+l]]
			if !ok {
				continue
			}
			n := &nodes[start+l]
			sc := base + h.uniScores[id]
			if n.start < 0 || sc > n.score {
				n.score, n.start, n.id = sc, start, id
			}
			if l == mblen {
				single = true
			}
		}
		if !single {
			n := &nodes[start+mblen]
			sc := base + unkScore
			if n.start < 0 || sc > n.score {
				n.score, n.start, n.id = sc, start, h.unk
			}
		}
		start += mblen
	}
	// walk back, fusing unknowns
	var pieces []string
	unkEnd := -1
	for end := len(w); end > 0; {
		n := nodes[end]
		if n.start < 0 { // unreachable without an unknown token
			return out
		}
		if h.unk >= 0 && n.id == h.unk {
			if unkEnd < 0 {
				unkEnd = end
			}
		} else {
			if unkEnd >= 0 {
				pieces = append(pieces, w[end:unkEnd])
				unkEnd = -1
			}
			pieces = append(pieces, w[n.start:end])
		}
		end = n.start
	}
	if unkEnd >= 0 {
		pieces = append(pieces, w[:unkEnd])
	}
	for i := len(pieces) - 1; i >= 0; i-- {
		p := pieces[i]
		if id, ok := h.modelIDs[p]; ok {
			out = append(out, id)
			continue
		}
		if h.byteFallback {
			n := len(out)
			ok := true
			for k := 0; k < len(p); k++ {
				id, found := h.modelIDs[string([]byte{'<', '0', 'x', hexDigits[p[k]>>4], hexDigits[p[k]&15], '>'})]
				if !found {
					ok = false
					break
				}
				out = append(out, id)
			}
			if ok {
				continue
			}
			out = out[:n]
		}
		if h.unk >= 0 {
			out = append(out, h.unk)
		}
	}
	return out
}
