package model_test

import (
	"testing"

	"github.com/hearthlm/hearth/convert"
	"github.com/hearthlm/hearth/model"
	_ "github.com/hearthlm/hearth/model/gemma"
	_ "github.com/hearthlm/hearth/model/llama"
	_ "github.com/hearthlm/hearth/model/phi3"
	_ "github.com/hearthlm/hearth/model/qwen2"
	_ "github.com/hearthlm/hearth/model/qwen3"
)

// TestDecodeStepAllocs: once a model has run a prompt (a tiled 64-row
// ubatch) and a first decode step, a decode step (one token, with
// logits) allocates nothing, for every architecture.
func TestDecodeStepAllocs(t *testing.T) {
	for _, spec := range []string{"tiny-llama", "tiny-qwen2", "tiny-qwen3", "tiny-gemma2", "tiny-gemma3", "tiny-phi3"} {
		t.Run(spec, func(t *testing.T) {
			m := openTiny(t, spec, 0, convert.FileAllF32)
			c, err := m.NewCache(128, 1)
			if err != nil {
				t.Fatal(err)
			}
			if a := decodeStepAllocs(t, m, c, 20); a != 0 {
				t.Errorf("%v allocations per decode step", a)
			}
		})
	}
}

// decodeStepAllocs runs a 64-token prompt (a tiled ubatch) and one decode
// step on cache c, then returns the allocations per further decode step
// (one token, with logits) over runs steps.
func decodeStepAllocs(t *testing.T, m model.Model, c *model.Cache, runs int) float64 {
	t.Helper()
	var b model.Batch
	for i := range 64 {
		b.Add(int32(7*i%100), i, 0, i == 63)
	}
	if _, err := m.Forward(c, &b); err != nil {
		t.Fatal(err)
	}
	pos := 64
	step := func() {
		b.Reset()
		b.Add(int32(pos%100), pos, 0, true)
		pos++
		if _, err := m.Forward(c, &b); err != nil {
			t.Fatal(err)
		}
	}
	step()
	return testing.AllocsPerRun(runs, step)
}
