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
		// several decode chunks (decodeBounds)
		{gguf.TypeQ4_K, 96, 2048},
		{gguf.TypeQ4_K, 520, 2048},
		{gguf.TypeQ4_0, 4104, 256},
		{gguf.TypeQ8_0, 3000, 512},
	}
	pools := oneAndTwoThreads(t)
	for _, sh := range shapes {
		w, err := NewMatrix("w", sh.typ, sh.rows, sh.cols, randWeights(rng, sh.typ, sh.cols, sh.rows))
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{1, 3, 5, 8, 15, 16, 63, 64, 95, 96, 97, 150, 200} {
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

// TestMatMulRowsAsAlone checks MatMulRows' promise: in a product over
// rows of several sequences laid out as BatchRows says (grouped rows, other
// batched rows, single tokens), every row gets the numbers of a product of
// its own part alone: the grouped rows those of MatMul over them, the other
// batched rows (two or three, as a sequence's remainder is) those of MatMul
// over them, each single row that of MatMul of that row alone.
func TestMatMulRowsAsAlone(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	shapes := []struct {
		typ        gguf.Type
		rows, cols int
	}{
		{gguf.TypeQ4_K, 48, 512},
		{gguf.TypeQ4_0, 24, 64},
		{gguf.TypeQ8_0, 40, 96},
		{gguf.TypeQ6_K, 16, 256},
		{gguf.TypeF16, 32, 64},
		{gguf.TypeF32, 16, 128},
	}
	pools := oneAndTwoThreads(t)
	for _, sh := range shapes {
		w, err := NewMatrix("w", sh.typ, sh.rows, sh.cols, randWeights(rng, sh.typ, sh.cols, sh.rows))
		if err != nil {
			t.Fatal(err)
		}
		for _, br := range []BatchRows{{0, 0}, {4, 4}, {8, 10}, {0, 3}, {12, 15}, {64, 66}, {68, 68}} {
			for _, singles := range []int{0, 1, 3, 8} {
				n := br.Batched + singles
				if n == 0 {
					continue
				}
				x := make([]float32, n*sh.cols)
				for i := range x {
					x[i] = float32(rng.NormFloat64())
				}
				want := make([]float32, n*sh.rows)
				var ws Workspace
				alone := func(r0, r1 int) {
					if r1 > r0 {
						pools[0].MatMul(&ws, w, x[r0*sh.cols:r1*sh.cols], r1-r0, want[r0*sh.rows:r1*sh.rows])
					}
				}
				alone(0, br.Grouped)
				alone(br.Grouped, br.Batched)
				for r := br.Batched; r < n; r++ {
					alone(r, r+1)
				}
				for _, p := range pools {
					got := make([]float32, n*sh.rows)
					p.MatMulRows(&ws, w, x, n, br, got)
					for i := range got {
						if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
							t.Fatalf("%s %+v + %d singles, threads=%d: out[%d] (token %d) = %v, alone %v",
								sh.typ, br, singles, p.Threads(), i, i/sh.rows, got[i], want[i])
						}
					}
				}
			}
		}
	}
}

// TestMatMulSet: the products of two or three matrices with the same
// activations in one job, their RMS norm computed in the same pass, equal,
// bit for bit, RMSNorm then MatMulRows of each matrix, for
// mixes of types that share or do not share converted activations (Q4_K
// and Q6_K both take Q8_K; repacked Q4_K's grouped rows are quantized
// apart), at decode and prompt sizes and 1 and 2 threads.
func TestMatMulSet(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	const cols = 512
	mk := func(typ gguf.Type, rows int) *Matrix {
		w, err := NewMatrix(typ.String(), typ, rows, cols, randWeights(rng, typ, cols, rows))
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	sets := [][]*Matrix{
		{mk(gguf.TypeQ4_K, 64), mk(gguf.TypeQ4_K, 32), mk(gguf.TypeQ6_K, 32)},
		{mk(gguf.TypeQ4_0, 40), mk(gguf.TypeQ8_0, 24), mk(gguf.TypeQ4_K, 1032)},
		{mk(gguf.TypeF16, 48), mk(gguf.TypeQ6_K, 600)},
	}
	pools := oneAndTwoThreads(t)
	for si, set := range sets {
		for _, n := range []int{1, 3, 5, 8, 70} {
			for _, br := range []BatchRows{OneSequence(n), {0, 0}, {n / 8 * 4, n / 2}} {
				x := make([]float32, n*cols)
				for i := range x {
					x[i] = float32(rng.NormFloat64())
				}
				var ws Workspace
				want := make([][]float32, 3)
				for i, w := range set {
					want[i] = make([]float32, n*w.Rows)
					pools[0].MatMulRows(&ws, w, x, n, br, want[i])
				}
				for _, p := range pools {
					got := make([][]float32, 3)
					for i, w := range set {
						got[i] = make([]float32, n*w.Rows)
					}
					var c *Matrix
					if len(set) > 2 {
						c = set[2]
					}
					// With the norm fused: the rows are normalized in the pass.
					in := make([]float32, len(x))
					for i := range in {
						in[i] = 3 * x[i]
					}
					nw := make([]float32, cols)
					for i := range nw {
						nw[i] = float32(rng.NormFloat64())
					}
					xn := make([]float32, len(x))
					for tok := 0; tok < n; tok++ {
						RMSNorm(x[tok*cols:(tok+1)*cols], in[tok*cols:(tok+1)*cols], nw, 1e-6)
					}
					for i, w := range set {
						pools[0].MatMulRows(&ws, w, x, n, br, want[i])
					}
					p.MatMulSet(&ws, xn, n, br, Norm{In: in, W: nw, Eps: 1e-6}, set[0], set[1], c, got[0], got[1], got[2])
					for i := range xn {
						if math.Float32bits(xn[i]) != math.Float32bits(x[i]) {
							t.Fatalf("set %d n=%d threads=%d: normalized row element %d = %v, RMSNorm %v", si, n, p.Threads(), i, xn[i], x[i])
						}
					}
					for i := range set {
						for j := range got[i] {
							if math.Float32bits(got[i][j]) != math.Float32bits(want[i][j]) {
								t.Fatalf("set %d n=%d %+v threads=%d: %s out[%d] = %v, alone %v", si, n, br, p.Threads(), set[i].Name, j, got[i][j], want[i][j])
							}
						}
					}
				}
			}
		}
	}
}

// TestDecodeBounds checks the guided decode schedule: chunks cover every
// row once, in order, start on multiples of rowsPerChunk, never exceed the
// largest chunk, are not shorter than the smallest but for the last, and do
// not grow.
func TestDecodeBounds(t *testing.T) {
	for _, typ := range []gguf.Type{gguf.TypeQ4_K, gguf.TypeQ8_0, gguf.TypeQ6_K, gguf.TypeF16} {
		for _, cols := range []int{256, 1024, 2048, 8192} {
			for _, rows := range []int{1, 8, 16, 17, 512, 3072, 8192, 128256} {
				for _, tt := range [][2]int{{1, 1}, {2, 1}, {8, 1}, {2, 8}, {2, 15}} {
					threads, ntok := tt[0], tt[1]
					w, err := NewMatrix("w", typ, rows, cols, make([]byte, quant.RowBytes(typ, cols)*rows))
					if err != nil {
						t.Fatal(err)
					}
					b := decodeBounds(nil, w, threads, ntok)
					unit := w.RowBytes * rowsPerChunk
					hi := max(1, decodeChunkMaxBytes/unit) * rowsPerChunk
					lo := min(hi, max(1, decodeChunkMinBytes/ntok/unit)*rowsPerChunk)
					if b[0] != 0 || int(b[len(b)-1]) != rows {
						t.Fatalf("%s %d×%d: bounds %v do not span the rows", typ, rows, cols, b)
					}
					for c := 0; c+1 < len(b); c++ {
						n := int(b[c+1] - b[c])
						last := c+2 == len(b)
						switch {
						case b[c]%rowsPerChunk != 0:
							t.Fatalf("%s %d×%d: chunk %d starts at row %d", typ, rows, cols, c, b[c])
						case n <= 0 || n > hi || (!last && n < lo):
							t.Fatalf("%s %d×%d: chunk %d has %d rows, want %d..%d", typ, rows, cols, c, n, lo, hi)
						case c > 0 && !last && n > int(b[c]-b[c-1]):
							t.Fatalf("%s %d×%d: chunk %d (%d rows) longer than the one before", typ, rows, cols, c, n)
						}
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

// oneAndTwoThreads returns pools of one and two threads, closed when t ends.
func oneAndTwoThreads(t *testing.T) []*Pool {
	pools := []*Pool{NewPool(1), NewPool(2)}
	t.Cleanup(func() { pools[0].Close(); pools[1].Close() })
	return pools
}

// TestMatMulResidualAndSwiGLU: a residual added in MatMulSet's norm pass
// (Norm.Res) and MatMulSwiGLU's SiLUMul in the conversion pass give, bit
// for bit, Add, RMSNorm and SiLUMul row by row followed by the products,
// and leave the same rows behind, at decode and prompt sizes and 1 and 2
// threads.
func TestMatMulResidualAndSwiGLU(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 20))
	const cols, ffn = 256, 512
	mk := func(typ gguf.Type, rows, c int) *Matrix {
		w, err := NewMatrix(typ.String(), typ, rows, c, randWeights(rng, typ, c, rows))
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	gate, up, down := mk(gguf.TypeQ4_K, ffn, cols), mk(gguf.TypeQ6_K, ffn, cols), mk(gguf.TypeQ6_K, cols, ffn)
	randRows := func(n int, s float64) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(rng.NormFloat64() * s)
		}
		return x
	}
	for _, p := range oneAndTwoThreads(t) {
		for _, n := range []int{1, 3, 8, 9, 70} {
			br := OneSequence(n)
			in, res, nw := randRows(n*cols, 2), randRows(n*cols, 1), randRows(cols, 1)
			var ws Workspace

			// Reference: Add, RMSNorm, products; SiLUMul per row, product.
			wantIn := append([]float32(nil), in...)
			Add(wantIn, res)
			xn := make([]float32, n*cols)
			for tok := 0; tok < n; tok++ {
				RMSNorm(xn[tok*cols:(tok+1)*cols], wantIn[tok*cols:(tok+1)*cols], nw, 1e-6)
			}
			wg, wu := make([]float32, n*ffn), make([]float32, n*ffn)
			p.MatMulRows(&ws, gate, xn, n, br, wg)
			p.MatMulRows(&ws, up, xn, n, br, wu)
			wantGate := append([]float32(nil), wg...)
			for tok := 0; tok < n; tok++ {
				SiLUMul(wantGate[tok*ffn:(tok+1)*ffn], wu[tok*ffn:(tok+1)*ffn])
			}
			wantOut := make([]float32, n*cols)
			p.MatMulRows(&ws, down, wantGate, n, br, wantOut)

			gotIn, gotXn := append([]float32(nil), in...), make([]float32, n*cols)
			gg, gu := make([]float32, n*ffn), make([]float32, n*ffn)
			p.MatMulSet(&ws, gotXn, n, br, Norm{In: gotIn, W: nw, Eps: 1e-6, Res: res}, gate, up, nil, gg, gu, nil)
			gotOut := make([]float32, n*cols)
			p.MatMulSwiGLU(&ws, down, gg, gu, n, br, gotOut)
			for _, c := range []struct {
				name      string
				got, want []float32
			}{{"residual rows", gotIn, wantIn}, {"normalized rows", gotXn, xn}, {"up", gu, wu},
				{"SwiGLU rows", gg, wantGate}, {"down", gotOut, wantOut}} {
				for i := range c.want {
					if math.Float32bits(c.got[i]) != math.Float32bits(c.want[i]) {
						t.Fatalf("n=%d threads=%d: %s[%d] = %v, want %v", n, p.Threads(), c.name, i, c.got[i], c.want[i])
					}
				}
			}
		}
	}
}
