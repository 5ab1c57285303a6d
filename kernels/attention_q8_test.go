package kernels

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/hearthlm/hearth/gguf"
	"github.com/hearthlm/hearth/quant"
)

// TestFWHT: the fast transform is the product with the orthonormal
// Sylvester-Hadamard matrix (built as llama.cpp's ggml_gen_hadamard does),
// and applying it twice gives the input back.
func TestFWHT(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{64, 128, 256} {
		h := make([]float64, n*n)
		h[0] = 1 / math.Sqrt(float64(n))
		for s := 1; s < n; s *= 2 {
			for i := 0; i < s; i++ {
				for j := 0; j < s; j++ {
					v := h[i*n+j]
					h[(i+s)*n+j], h[i*n+j+s], h[(i+s)*n+j+s] = v, v, -v
				}
			}
		}
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(r.NormFloat64())
		}
		y := append([]float32(nil), x...)
		FWHT(y)
		for i := 0; i < n; i++ {
			var want float64
			for j := 0; j < n; j++ {
				want += h[i*n+j] * float64(x[j])
			}
			if math.Abs(float64(y[i])-want) > 1e-5 {
				t.Fatalf("n=%d: y[%d] = %v, want %v", n, i, y[i], want)
			}
		}
		FWHT(y)
		for i := range x {
			if math.Abs(float64(y[i]-x[i])) > 1e-5 {
				t.Fatalf("n=%d: twice gives %v at %d, want %v", n, y[i], i, x[i])
			}
		}
	}
}

// TestAttendOnlineQ8: one_chunk over q8_0 rows agrees with attention
// computed in float64 from the same quantized keys, values and query, and
// a single cell gives back its dequantized value exactly.
func TestAttendOnlineQ8(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, d := range []int{64, 128} {
		for _, softcap := range []float32{0, 2} {
			n := 37
			rb := Q8RowBytes(d)
			k, v := make([]byte, n*rb), make([]byte, n*rb)
			row := make([]float32, d)
			for j := 0; j < n; j++ {
				for i := range row {
					row[i] = float32(r.NormFloat64())
				}
				QuantizeQ8(k[j*rb:(j+1)*rb], row)
				for i := range row {
					row[i] = float32(r.NormFloat64())
				}
				QuantizeQ8(v[j*rb:(j+1)*rb], row)
			}
			q := make([]float32, d)
			for i := range q {
				q[i] = float32(r.NormFloat64())
			}
			scale := 1 / float32(math.Sqrt(float64(d)))
			out := make([]float32, d)
			qq, scores, acc := make([]byte, rb), make([]float32, n), make([]float32, d)
			AttendOnlineQ8(out, q, k, v, n, scale, softcap, qq, scores, acc)

			qd, kd, vd := make([]float32, d), make([]float32, d), make([]float32, d)
			if err := quant.DequantizeRow(gguf.TypeQ8_0, qq, qd); err != nil {
				t.Fatal(err)
			}
			w := make([]float64, n)
			mx := math.Inf(-1)
			for j := 0; j < n; j++ {
				if err := quant.DequantizeRow(gguf.TypeQ8_0, k[j*rb:(j+1)*rb], kd); err != nil {
					t.Fatal(err)
				}
				var s float64
				for i := range kd {
					s += float64(kd[i]) * float64(qd[i])
				}
				s *= float64(scale)
				if softcap != 0 {
					s = float64(softcap) * math.Tanh(s/float64(softcap))
				}
				w[j] = s
				mx = math.Max(mx, s)
			}
			var sum float64
			for j := range w {
				w[j] = math.Exp(w[j] - mx)
				sum += w[j]
			}
			want := make([]float64, d)
			for j := 0; j < n; j++ {
				if err := quant.DequantizeRow(gguf.TypeQ8_0, v[j*rb:(j+1)*rb], vd); err != nil {
					t.Fatal(err)
				}
				for i := range vd {
					want[i] += w[j] / sum * float64(vd[i])
				}
			}
			for i := range out {
				if math.Abs(float64(out[i])-want[i]) > 1e-5 {
					t.Fatalf("d=%d softcap=%v: out[%d] = %v, want %v", d, softcap, i, out[i], want[i])
				}
			}

			AttendOnlineQ8(out, q, k, v, 1, scale, softcap, qq, scores, acc)
			if err := quant.DequantizeRow(gguf.TypeQ8_0, v[:rb], vd); err != nil {
				t.Fatal(err)
			}
			for i := range out {
				if out[i] != vd[i] {
					t.Fatalf("d=%d: one cell gives %v at %d, want its value %v", d, out[i], i, vd[i])
				}
			}
		}
	}
}

// TestMadQ8MatchesGeneric: the AVX2 q8_0 multiply-add is bit for bit its
// Go twin, over random blocks (scales from tiny to large, every int8
// value) and accumulators, including products that round in the fma.
func TestMadQ8MatchesGeneric(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for trial := 0; trial < 500; trial++ {
		nb := 1 + r.IntN(8)
		v := make([]byte, nb*34)
		for b := 0; b < nb; b++ {
			d := float32(math.Ldexp(r.Float64()+0.5, r.IntN(40)-30))
			if trial%50 == 0 {
				d = 0
			}
			h := quant.FP32ToFP16(d)
			v[34*b], v[34*b+1] = byte(h), byte(h>>8)
			for j := 2; j < 34; j++ {
				v[34*b+j] = byte(r.IntN(256))
			}
		}
		acc := make([]float32, nb*32)
		for i := range acc {
			acc[i] = float32(r.NormFloat64() * math.Ldexp(1, r.IntN(20)-10))
		}
		s := float32(r.Float64())
		if trial%7 == 0 {
			s = 1
		}
		got, want := append([]float32(nil), acc...), append([]float32(nil), acc...)
		madQ8(got, v, s)
		madQ8Generic(want, v, s)
		for i := range got {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("trial %d: acc[%d] = %v, Go twin %v", trial, i, got[i], want[i])
			}
		}
	}
}
