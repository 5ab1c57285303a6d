package quant

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/hearthlm/hearth/gguf"
)

// Hand-checked cases that tell ggml-cpu's AVX2 Q8_0/Q8_1 quantizer (multiplier
// 127/amax, round half to even) from the reference one (1/d, roundf).
func TestQuantizeQ8_0Hand(t *testing.T) {
	x := make([]float32, 32)
	x[0] = 127 // amax 127: d = 1, id = 1
	x[1] = 2.5 // -> 2 (roundf would give 3)
	x[2] = -3.5
	x[3] = 0.5
	x[4] = -0.5
	x[5] = 1.5
	x[6] = -126.6
	b := make([]byte, 34)
	if err := QuantizeRow(gguf.TypeQ8_0, x, b); err != nil {
		t.Fatal(err)
	}
	if d := binary.LittleEndian.Uint16(b); d != 0x3c00 {
		t.Errorf("d = %#04x, want 0x3c00 (1.0)", d)
	}
	want := []int8{127, 2, -4, 0, 0, 2, -127}
	for i, w := range want {
		if got := int8(b[2+i]); got != w {
			t.Errorf("q[%d] = %d, want %d", i, got, w)
		}
	}
	for i := 7; i < 32; i++ {
		if b[2+i] != 0 {
			t.Errorf("q[%d] = %d, want 0", i, int8(b[2+i]))
		}
	}

	// All zero: d = 0, q = 0.
	clear(x)
	if err := QuantizeRow(gguf.TypeQ8_0, x, b); err != nil {
		t.Fatal(err)
	}
	for i, v := range b {
		if v != 0 {
			t.Fatalf("zero block byte %d = %d", i, v)
		}
	}
}

func TestQuantizeQ8_1Hand(t *testing.T) {
	x := make([]float32, 32)
	x[0] = -254 // amax 254: d = 2, id = 0.5
	x[1] = 5    // 2.5 -> 2
	x[17] = 7   // 3.5 -> 4
	b := make([]byte, 36)
	if err := QuantizeRow(gguf.TypeQ8_1, x, b); err != nil {
		t.Fatal(err)
	}
	if d := FP16ToFP32(binary.LittleEndian.Uint16(b)); d != 2 {
		t.Errorf("d = %g, want 2", d)
	}
	if s := FP16ToFP32(binary.LittleEndian.Uint16(b[2:])); s != 2*(-127+2+4) {
		t.Errorf("s = %g, want %d", s, 2*(-127+2+4))
	}
	if q := []int8{int8(b[4]), int8(b[5]), int8(b[4+17])}; q[0] != -127 || q[1] != 2 || q[2] != 4 {
		t.Errorf("q = %v", q)
	}
}

func TestQuantizeQ8_KHand(t *testing.T) {
	x := make([]float32, 256)
	x[0] = -127 // max (signed) -127: iscale = 1, d = 1
	x[1] = 2.5  // -> 2
	x[2] = 127  // -> 127
	x[16] = -3.5
	x[255] = 1.5
	b := make([]byte, 292)
	if err := QuantizeRow(gguf.TypeQ8_K, x, b); err != nil {
		t.Fatal(err)
	}
	if d := math.Float32frombits(binary.LittleEndian.Uint32(b)); d != 1 {
		t.Errorf("d = %g, want 1", d)
	}
	q := func(i int) int8 { return int8(b[4+i]) }
	if q(0) != -127 || q(1) != 2 || q(2) != 127 || q(16) != -4 || q(255) != 2 {
		t.Errorf("q = %d %d %d %d %d", q(0), q(1), q(2), q(16), q(255))
	}
	bsum := func(j int) int16 { return int16(binary.LittleEndian.Uint16(b[260+2*j:])) }
	if bsum(0) != 2 || bsum(1) != -4 || bsum(15) != 2 {
		t.Errorf("bsums %d %d %d", bsum(0), bsum(1), bsum(15))
	}

	// A positive max flips the sign of the scale: d = -1, q = -x.
	clear(x)
	x[3] = 127
	x[4] = -2.5
	if err := QuantizeRow(gguf.TypeQ8_K, x, b); err != nil {
		t.Fatal(err)
	}
	if d := math.Float32frombits(binary.LittleEndian.Uint32(b)); d != -1 {
		t.Errorf("d = %g, want -1", d)
	}
	if q(3) != -127 || q(4) != 2 {
		t.Errorf("q = %d %d", q(3), q(4))
	}
}

// TestQuantizeActivationProperties checks on random rows that every element
// dequantizes to within half a step of its input and that the stored sums
// (Q8_1's s, Q8_K's bsums) agree with the quants.
func TestQuantizeActivationProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	const n = 1024
	for _, typ := range []gguf.Type{gguf.TypeQ8_0, gguf.TypeQ8_1, gguf.TypeQ8_K, gguf.TypeF16, gguf.TypeBF16, gguf.TypeF32} {
		for trial := 0; trial < 50; trial++ {
			x := randomActivations(rng, n)
			b := make([]byte, RowBytes(typ, n))
			if err := QuantizeRow(typ, x, b); err != nil {
				t.Fatal(err)
			}
			y := make([]float32, n)
			if err := DequantizeRow(typ, b, y); err != nil {
				t.Fatal(err)
			}
			bs := typ.BlockSize()
			for blk := 0; blk < n/bs; blk++ {
				var amax float64
				for _, v := range x[blk*bs : (blk+1)*bs] {
					amax = math.Max(amax, math.Abs(float64(v)))
				}
				var step, slack float64
				switch typ {
				case gguf.TypeQ8_0, gguf.TypeQ8_1:
					// q was chosen with the float32 d; the stored d is its
					// half, off by up to 2^-11 relative, times |q| <= 127.
					step, slack = amax/127, amax*0x1p-11
				case gguf.TypeQ8_K:
					step = amax / 127
				}
				for i := blk * bs; i < (blk+1)*bs; i++ {
					ax := math.Abs(float64(x[i]))
					switch typ {
					case gguf.TypeF16: // half an ulp, or of the subnormal step
						step = math.Max(ax*0x1p-10, 0x1p-24)
					case gguf.TypeBF16:
						step = ax * 0x1p-7
					}
					if e := math.Abs(float64(y[i]) - float64(x[i])); e > step/2*(1+1e-5)+slack {
						t.Fatalf("%s: element %d: %g -> %g (step %g)", typ, i, x[i], y[i], step)
					}
				}
				if typ == gguf.TypeQ8_1 {
					o := blk * 36
					var sum int
					for _, q := range b[o+4 : o+36] {
						sum += int(int8(q))
					}
					d := amax / 127
					want := FP32ToFP16(float32(d) * float32(sum))
					if got := binary.LittleEndian.Uint16(b[o+2:]); got != want {
						t.Fatalf("Q8_1 s = %#04x, want %#04x", got, want)
					}
				}
				if typ == gguf.TypeQ8_K {
					o := blk * 292
					for j := 0; j < 16; j++ {
						var sum int
						for _, q := range b[o+4+16*j : o+4+16*j+16] {
							sum += int(int8(q))
						}
						if got := int16(binary.LittleEndian.Uint16(b[o+260+2*j:])); int(got) != sum {
							t.Fatalf("Q8_K bsums[%d] = %d, want %d", j, got, sum)
						}
					}
				}
			}
		}
	}
}
