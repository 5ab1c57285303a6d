package kernels

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/hearthlm/hearth/gguf"
	"github.com/hearthlm/hearth/quant"
)

// TestMatMulSplitInvariant checks that MatMul's results do not depend on
// how its chunks (rows × token groups) fall: products at 1 and 2 threads
// equal, bit for bit, one unsplit call of the row kernels over all rows and
// tokens, for prompt lengths around the token-group bounds, for vec_dot
// types and the repacked Q4_0/Q4_K.
func TestMatMulSplitInvariant(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	shapes := []struct {
		typ        gguf.Type
		rows, cols int
	}{
		{gguf.TypeQ8_0, 40, 96},
		{gguf.TypeQ6_K, 33, 256},
		{gguf.TypeQ4_K, 48, 512},
		{gguf.TypeQ4_0, 24, 64},
		// several decode chunks (chunkRows)
		{gguf.TypeQ4_K, 96, 2048},
		{gguf.TypeQ4_0, 520, 256},
	}
	pools := []*Pool{NewPool(1), NewPool(2)}
	defer pools[0].Close()
	defer pools[1].Close()
	for _, sh := range shapes {
		w, err := NewMatrix("w", sh.typ, sh.rows, sh.cols, randWeights(rng, sh.typ, sh.cols, sh.rows))
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{1, 3, 5, 63, 64, 95, 96, 97, 150, 200} {
			x := make([]float32, n*sh.cols)
			for i := range x {
				x[i] = float32(rng.NormFloat64())
			}
			want := matMulUnsplit(w, x, n)
			for _, p := range pools {
				var ws Workspace
				got := make([]float32, n*sh.rows)
				p.MatMul(&ws, w, x, n, got)
				for i := range got {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("%s n=%d threads=%d: out[%d] = %v, unsplit %v", sh.typ, n, p.Threads(), i, got[i], want[i])
					}
				}
			}
		}
	}
}

// matMulUnsplit is MatMul as one kernel call over all rows and tokens.
func matMulUnsplit(w *Matrix, x []float32, n int) []float32 {
	vt := quant.VecDotType(w.Type)
	qrb := quant.RowBytes(vt, w.Cols)
	repack := quant.RepackOK(w.Type, w.Rows, w.Cols)
	gemmRows := 0
	if repack {
		gemmRows = quant.RepackGemmRows(n)
		qrb = repackRowBytes(w.Type, w.Cols)
	}
	xq := make([]byte, n*qrb)
	qt := quantTask{wt: w.Type, vt: vt, x: x, xq: xq, cols: w.Cols, qrb: qrb, repack: repack, gemmRows: gemmRows}
	for t := 0; t < n; t++ {
		qt.RunChunk(0, t)
	}
	out := make([]float32, n*w.Rows)
	switch {
	case repack:
		RepackDotRowsN(w.Type, w.Cols, w.Data, w.Rows, xq, qrb, n, gemmRows, out, w.Rows)
	case !DotRowsFastN(w.Type, w.Cols, w.Data, w.Rows, xq, qrb, n, out, w.Rows):
		for t := 0; t < n; t++ {
			quant.DotRows(w.Type, w.Cols, w.Data, w.Rows, xq[t*qrb:(t+1)*qrb], out[t*w.Rows:(t+1)*w.Rows])
		}
	}
	return out
}
