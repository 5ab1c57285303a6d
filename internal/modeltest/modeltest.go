// Package modeltest holds what tests of several packages do with a loaded
// model.Model when they compare it with llama.cpp's goldens.
package modeltest

import "github.com/hearthlm/hearth/model"

// Greedy decodes n tokens after prompt by argmax (the lowest id on ties),
// as llama.cpp's greedy oracle does: the prompt as one batch with logits
// for its last row, then one token per step. The cache holds at least ctx
// positions (some architectures choose their rope factors by it).
func Greedy(m model.Model, prompt []int32, n, ctx int) ([]int32, error) {
	c, err := m.NewCache(max(len(prompt)+n, ctx), 1)
	if err != nil {
		return nil, err
	}
	var b model.Batch
	for i, tok := range prompt {
		b.Add(tok, i, 0, i == len(prompt)-1)
	}
	var out []int32
	pos := len(prompt)
	vocab := m.Info().Vocab
	for len(out) < n {
		logits, err := m.Forward(c, &b)
		if err != nil {
			return nil, err
		}
		best := 0
		for i, v := range logits[:vocab] {
			if v > logits[best] {
				best = i
			}
		}
		out = append(out, int32(best))
		b.Reset()
		b.Add(int32(best), pos, 0, true)
		pos++
	}
	return out, nil
}
