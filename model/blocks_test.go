package model

import (
	"testing"

	"github.com/hearthlm/hearth/kernels"
)

// TestAttentionRunAllocatesNothing: once its scratch is sized, a Run makes
// no allocation, on the one_chunk path (a decode step), the tiled path (a
// ubatch of 64+ rows) and with soft-capped scores.
func TestAttentionRunAllocatesNothing(t *testing.T) {
	pool := kernels.NewPool(2)
	defer pool.Close()
	const heads, kvHeads, d = 4, 2, 64
	for _, tc := range []struct {
		name    string
		n       int
		softcap float32
		window  int
	}{{"decode", 1, 0, 0}, {"batch", 16, 0, 0}, {"tiled", 80, 0, 0}, {"window", 80, 0, 6}, {"softcap", 16, 50, 0}} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := NewCache(1, tc.n, 1, kvHeads*d)
			if err != nil {
				t.Fatal(err)
			}
			var b Batch
			for i := 0; i < tc.n; i++ {
				b.Add(1, i, 0, true)
			}
			q := make([]float32, tc.n*heads*d)
			for i := range q {
				q[i] = float32(i%7) * 0.25
			}
			out := make([]float32, len(q))
			a := Attention{Softcap: tc.softcap}
			run := func() { a.Run(pool, c, 0, &b, q, out, heads, kvHeads, d, 0.125, tc.window) }
			run()
			if allocs := testing.AllocsPerRun(20, run); allocs != 0 {
				t.Errorf("Run allocates %v times per call", allocs)
			}
		})
	}
}
