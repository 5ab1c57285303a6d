package tokenizer

import (
	"container/heap"
	"strings"
	"unicode/utf8"
)

// fragment is either raw text (tok < 0) or an already known token.
type fragment struct {
	tok  int32
	text string
}

func isCSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// partition splits text on the texts of special tokens, longest first, as
// llama.cpp's tokenizer_st_partition. Control and unknown tokens are only
// split out when parseSpecial is set; user-defined tokens always are.
func (t *Tokenizer) partition(text string, parseSpecial bool) []fragment {
	frags := []fragment{{tok: -1, text: text}}
	for _, id := range t.specials {
		a := t.attrs[id]
		if !parseSpecial && a&(attrControl|attrUnknown) != 0 {
			continue
		}
		st := t.tokens[id]
		if st == "" {
			continue
		}
		var out []fragment
		changed := false
		for _, f := range frags {
			if f.tok >= 0 || !strings.Contains(f.text, st) {
				out = append(out, f)
				continue
			}
			changed = true
			rest := f.text
			for {
				i := strings.Index(rest, st)
				if i < 0 {
					if rest != "" {
						out = append(out, fragment{tok: -1, text: rest})
					}
					break
				}
				left := rest[:i]
				if a&attrLStrip != 0 {
					for len(left) > 0 && isCSpace(left[len(left)-1]) {
						left = left[:len(left)-1]
					}
				}
				if left != "" {
					out = append(out, fragment{tok: -1, text: left})
				}
				out = append(out, fragment{tok: id})
				rest = rest[i+len(st):]
				if a&attrRStrip != 0 {
					for len(rest) > 0 && isCSpace(rest[0]) {
						rest = rest[1:]
					}
				}
			}
		}
		if changed {
			frags = out
		}
	}
	return frags
}

// Encode turns text into token ids. With addSpecial, BOS/EOS are added as the
// vocabulary asks (tokenizer.ggml.add_bos_token / add_eos_token, or the
// post-processor of a tokenizer.json). With parseSpecial, texts of control
// tokens in the input (like "<|im_start|>") become those tokens; otherwise
// they are tokenized as plain text.
func (t *Tokenizer) Encode(text string, addSpecial, parseSpecial bool) []int32 {
	if t.hf != nil {
		return t.hf.encode(t, text, addSpecial, parseSpecial)
	}
	var frags []fragment
	if text != "" {
		frags = t.partition(text, parseSpecial)
	}
	var out []int32
	switch t.kind {
	case kindSPM:
		prevSpecial := true
		if addSpecial && t.addBOS && t.bos >= 0 {
			out = append(out, t.bos)
		}
		for _, f := range frags {
			if f.tok >= 0 {
				out = append(out, f.tok)
				prevSpecial = true
				continue
			}
			s := f.text
			if t.addSpacePrefix && prevSpecial {
				s = " " + s
			}
			s = strings.ReplaceAll(s, " ", "\u2581")
			out = t.spm(s, out)
			prevSpecial = false
		}
		if addSpecial && t.addEOS && t.eos >= 0 {
			out = append(out, t.eos)
		}
	case kindBPE:
		if addSpecial && t.addBOS && t.bos >= 0 {
			out = append(out, t.bos)
		}
		for _, f := range frags {
			if f.tok >= 0 {
				out = append(out, f.tok)
				continue
			}
			s := f.text
			if t.cfg.escapeSpaces {
				s = strings.ReplaceAll(s, " ", "\u2581")
			}
			out = t.bpeText(s, out)
		}
		if addSpecial && t.addEOS && t.eos >= 0 {
			out = append(out, t.eos)
		}
	case kindWPM:
		if addSpecial && t.bos >= 0 {
			out = append(out, t.bos)
		}
		for _, f := range frags {
			if f.tok >= 0 {
				out = append(out, f.tok)
				continue
			}
			out = t.wpm(f.text, out)
		}
		if addSpecial && t.sep >= 0 {
			out = append(out, t.sep)
		}
	}
	return out
}

// --- SentencePiece BPE (llama.cpp llm_tokenizer_spm) ---

type symbol struct {
	prev, next int
	start, n   int
	id         int32
}

type spmBigram struct {
	left, right int
	score       float32
	size        int
}

type spmQueue []spmBigram

func (q spmQueue) Len() int { return len(q) }
func (q spmQueue) Less(i, j int) bool {
	if q[i].score != q[j].score {
		return q[i].score > q[j].score
	}
	return q[i].left < q[j].left
}
func (q spmQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *spmQueue) Push(x any)   { *q = append(*q, x.(spmBigram)) }
func (q *spmQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}

func splitChars(text string) []symbol {
	syms := make([]symbol, 0, len(text))
	for off := 0; off < len(text); {
		n := utf8SeqLen(text[off])
		if off+n > len(text) {
			n = len(text) - off
		}
		syms = append(syms, symbol{prev: len(syms) - 1, next: len(syms) + 1, start: off, n: n, id: -1})
		off += n
	}
	if len(syms) > 0 {
		syms[len(syms)-1].next = -1
	}
	return syms
}

// utf8SeqLen is the sequence length a lead byte announces (1 for stray
// continuation bytes), as llama.cpp's unicode_len_utf8.
func utf8SeqLen(c byte) int {
	switch {
	case c < 0x80, c < 0xC0:
		return 1
	case c < 0xE0:
		return 2
	case c < 0xF0:
		return 3
	}
	return 4
}

func (t *Tokenizer) spm(text string, out []int32) []int32 {
	syms := splitChars(text)
	q := &spmQueue{}
	try := func(l, r int) {
		if l < 0 || r < 0 {
			return
		}
		s := text[syms[l].start : syms[l].start+syms[l].n+syms[r].n]
		id, ok := t.ids[s]
		if !ok {
			return
		}
		heap.Push(q, spmBigram{left: l, right: r, score: t.scores[id], size: len(s)})
	}
	for i := 1; i < len(syms); i++ {
		try(i-1, i)
	}
	for q.Len() > 0 {
		b := heap.Pop(q).(spmBigram)
		l, r := &syms[b.left], &syms[b.right]
		if l.n == 0 || r.n == 0 || l.n+r.n != b.size {
			continue
		}
		l.n += r.n
		r.n = 0
		l.next = r.next
		if r.next >= 0 {
			syms[r.next].prev = b.left
		}
		try(l.prev, b.left)
		try(b.left, l.next)
	}
	for i := 0; i != -1 && len(syms) > 0; i = syms[i].next {
		s := text[syms[i].start : syms[i].start+syms[i].n]
		if id, ok := t.ids[s]; ok {
			out = append(out, id)
			continue
		}
		for j := 0; j < len(s); j++ {
			out = append(out, t.byteToken(s[j]))
		}
	}
	return out
}

var hexDigits = "0123456789ABCDEF"

// byteToken is the <0xXX> token of b (or the token of the one-byte string,
// or UNK).
func (t *Tokenizer) byteToken(b byte) int32 {
	name := string([]byte{'<', '0', 'x', hexDigits[b>>4], hexDigits[b&15], '>'})
	if id, ok := t.ids[name]; ok {
		return id
	}
	if id, ok := t.ids[string([]byte{b})]; ok {
		return id
	}
	return t.unk
}

// --- byte-level BPE (llama.cpp llm_tokenizer_bpe) ---

type bpeBigram struct {
	left, right int
	ln, rn      int // sizes of the symbols when queued
	rank        int32
	result      int32
}

type bpeQueue []bpeBigram

func (q bpeQueue) Len() int { return len(q) }
func (q bpeQueue) Less(i, j int) bool {
	if q[i].rank != q[j].rank {
		return q[i].rank < q[j].rank
	}
	return q[i].left < q[j].left
}
func (q bpeQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *bpeQueue) Push(x any)   { *q = append(*q, x.(bpeBigram)) }
func (q *bpeQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}

func (t *Tokenizer) bpeText(text string, out []int32) []int32 {
	for _, w := range t.pre.split(text) {
		if !t.cfg.noByteEncode {
			w = byteEncode(w)
		}
		if ids, ok := t.cache.get(w); ok {
			out = append(out, ids...)
			continue
		}
		n := len(out)
		out = t.bpeWord(w, out, t.cfg.ignoreMerges)
		t.cache.put(w, append([]int32(nil), out[n:]...))
	}
	return out
}

// bpeWord merges one pre-tokenized word.
func (t *Tokenizer) bpeWord(w string, out []int32, ignoreMerges bool) []int32 {
	if ignoreMerges {
		if id, ok := t.ids[w]; ok {
			return append(out, id)
		}
	}
	syms := splitChars(w)
	for i := range syms {
		if id, ok := t.ids[w[syms[i].start:syms[i].start+syms[i].n]]; ok {
			syms[i].id = id
		}
	}
	if len(syms) > 1 {
		q := make(bpeQueue, 0, len(syms))
		add := func(l, r int) {
			if l < 0 || r < 0 || syms[l].id < 0 || syms[r].id < 0 {
				return
			}
			m, ok := t.merges[pairKey(syms[l].id, syms[r].id)]
			if !ok {
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
			if l.n != b.ln || r.n != b.rn || l.next != b.right {
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
	}
	for i := 0; i != -1 && len(syms) > 0; i = syms[i].next {
		s := &syms[i]
		if s.id >= 0 {
			out = append(out, s.id)
			continue
		}
		str := w[s.start : s.start+s.n]
		if id, ok := t.ids[str]; ok {
			out = append(out, id)
			continue
		}
		for j := 0; j < len(str); j++ {
			if id, ok := t.ids[str[j:j+1]]; ok {
				out = append(out, id)
			}
		}
	}
	return out
}

var _ = utf8.RuneError
