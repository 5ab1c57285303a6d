package quant

import (
	"bytes"
	"math"
	"math/rand/v2"
	"testing"
)

// TestQuantQ8KRow checks the Q8_K activation quantizer (assembly where
// there is one) against quantQ8K, the reference's steps in Go, byte for
// byte: random rows at many scales, rows whose largest magnitude appears
// with both signs or several times, all-zero and tiny blocks, infinities
// and NaNs.
func TestQuantQ8KRow(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	var rows [][]float32
	for iter := 0; iter < 400; iter++ {
		nb := 1 + rng.IntN(4)
		x := make([]float32, nb*qkK)
		scale := float32(math.Pow(10, rng.Float64()*12-6))
		for i := range x {
			x[i] = float32(rng.NormFloat64()) * scale
		}
		switch iter % 8 {
		case 1: // the largest magnitude with both signs, the negative first
			m := float32(9) * scale
			x[rng.IntN(qkK)] = -m
			x[qkK-1] = m
		case 2: // a zero block
			clear(x[:qkK])
		case 3: // repeated largest values
			for k := 0; k < 5; k++ {
				x[rng.IntN(len(x))] = 7 * scale
			}
		case 4: // subnormals
			for i := range x {
				x[i] = math.Float32frombits(rng.Uint32() & 0x807fffff)
			}
		case 5:
			x[rng.IntN(len(x))] = float32(math.Inf(1 - 2*rng.IntN(2)))
		case 6:
			x[rng.IntN(len(x))] = math.Float32frombits(0x7f800000 | rng.Uint32()&0x7fffff | 1)
		case 7: // exact halves after scaling
			for i := range x {
				x[i] = float32(rng.IntN(255)-127) / 2 * scale
			}
		}
		rows = append(rows, x)
	}
	for i, x := range rows {
		nb := len(x) / qkK
		got := make([]byte, nb*292)
		for j := range got {
			got[j] = 0xa5
		}
		quantQ8KRow(x, got, nb)
		want := make([]byte, nb*292)
		quantQ8KRowGo(x, want, nb)
		if !bytes.Equal(got, want) {
			for j := range got {
				if got[j] != want[j] {
					t.Fatalf("row %d (%d blocks): byte %d = %#02x, want %#02x", i, nb, j, got[j], want[j])
				}
			}
		}
	}
}

// BenchmarkQuantQ8KRow: quantizing a 3072-float activation row to Q8_K,
// as GB/s of floats read.
func BenchmarkQuantQ8KRow(b *testing.B) {
	x := make([]float32, 3072)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	dst := make([]byte, len(x)/qkK*292)
	for _, asm := range []bool{true, false} {
		name := map[bool]string{true: "asm", false: "go"}[asm]
		b.Run(name, func(b *testing.B) {
			defer func(v bool) { useQ8KAsm = v }(useQ8KAsm)
			useQ8KAsm = useQ8KAsm && asm
			b.SetBytes(int64(4 * len(x)))
			for b.Loop() {
				quantQ8KRow(x, dst, len(x)/qkK)
			}
		})
	}
}

// TestQuantQ8x86Row checks the Q8_0/Q8_1 activation quantizer (assembly
// where there is one) against quantQ8x86 byte for byte, on rows like
// TestQuantQ8KRow's, with values that overflow int8 and int32 after scaling.
func TestQuantQ8x86Row(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	for iter := 0; iter < 600; iter++ {
		nb := 1 + rng.IntN(9)
		x := make([]float32, nb*32)
		scale := float32(math.Pow(10, rng.Float64()*12-6))
		for i := range x {
			x[i] = float32(rng.NormFloat64()) * scale
		}
		switch iter % 7 {
		case 1:
			clear(x[:32])
		case 2:
			for i := range x {
				x[i] = math.Float32frombits(rng.Uint32() & 0x807fffff)
			}
		case 3:
			x[rng.IntN(len(x))] = float32(math.Inf(1 - 2*rng.IntN(2)))
		case 4:
			x[rng.IntN(len(x))] = math.Float32frombits(0x7f800000 | rng.Uint32()&0x7fffff | 1)
		case 5: // exact halves after scaling: ties to even
			for i := range x {
				x[i] = float32(rng.IntN(255)-127) / 2
			}
			x[0] = 127
		case 6:
			x[rng.IntN(len(x))] = 3e38
		}
		for _, withSum := range []bool{false, true} {
			bs := 34
			if withSum {
				bs = 36
			}
			got := make([]byte, nb*bs)
			for j := range got {
				got[j] = 0x5a
			}
			quantQ8x86Row(x, got, nb, withSum)
			want := make([]byte, nb*bs)
			quantQ8x86RowGo(x, want, nb, withSum)
			for j := range got {
				if got[j] != want[j] {
					t.Fatalf("iter %d (%d blocks, sum %v): byte %d = %#02x, want %#02x", iter, nb, withSum, j, got[j], want[j])
				}
			}
		}
	}
}
