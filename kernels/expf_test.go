package kernels

import (
	"bufio"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"sync"
	"testing"
)

// TestExpfMatchesGlibc compares Expf with glibc's expf in
// testdata/expf.golden (see testdata/expf_golden.c for how it was made).
// Its first two lines are the inputs where computing z = InvLn2N·x as a
// rounded product (instead of the FMA build's two fused multiply-adds)
// gives another result.
func TestExpfMatchesGlibc(t *testing.T) {
	f, err := os.Open("testdata/expf.golden")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n, bad := 0, 0
	for sc.Scan() {
		var a, b uint32
		if _, err := fmt.Sscanf(sc.Text(), "%x %x", &a, &b); err != nil {
			t.Fatalf("%q: %v", sc.Text(), err)
		}
		n++
		got := Expf(math.Float32frombits(a))
		want := math.Float32frombits(b)
		if want != want && got != got { // NaN: any payload
			continue
		}
		if math.Float32bits(got) != b {
			bad++
			if bad < 10 {
				t.Errorf("Expf(%08x): %08x, glibc %08x", a, math.Float32bits(got), b)
			}
		}
	}
	if bad > 0 || n < 1000 {
		t.Fatalf("%d of %d differ", bad, n)
	}
}

// expfVecMismatch reports the first i where expfVec(xs)[i] is not Expf(xs[i])
// bit for bit, or -1.
func expfVecMismatch(xs, dst []float32) int {
	expfVec(dst, xs)
	for i, x := range xs {
		if math.Float32bits(dst[i]) != math.Float32bits(Expf(x)) {
			return i
		}
	}
	return -1
}

func checkExpfVec(t *testing.T, what string, xs []float32) {
	t.Helper()
	dst := make([]float32, len(xs))
	if i := expfVecMismatch(xs, dst); i >= 0 {
		t.Fatalf("%s: expfVec(%#08x) = %#08x, Expf %#08x", what, math.Float32bits(xs[i]), math.Float32bits(dst[i]), math.Float32bits(Expf(xs[i])))
	}
}

// TestExpfVec: expfVec (the AVX2 kernel where there is one) equals Expf bit
// for bit on 2^24 bit patterns spread over all 2^32, the glibc goldens, the
// edges (zeros, denormals, infinities, NaNs, the float32s near ±88 and the
// over- and underflow limits, near the table's rounding boundaries
// x = (k+1/2)·ln2/32), the arguments of the online softmax (-|s-m| for
// random scores), and special inputs at every position of short vectors.
// HEARTH_EXHAUSTIVE=1 checks all 2^32 float32 bit patterns instead of the
// spread (about a minute on two cores).
func TestExpfVec(t *testing.T) {
	if os.Getenv("HEARTH_EXHAUSTIVE") == "1" {
		workers := max(1, runtime.GOMAXPROCS(0))
		const chunk = 1 << 16
		var wg sync.WaitGroup
		bad := make(chan string, workers)
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				xs, dst := make([]float32, chunk), make([]float32, chunk)
				for c := uint64(w); c < 1<<32/chunk; c += uint64(workers) {
					for i := range xs {
						xs[i] = math.Float32frombits(uint32(c*chunk + uint64(i)))
					}
					if i := expfVecMismatch(xs, dst); i >= 0 {
						bad <- fmt.Sprintf("expfVec(%#08x) = %#08x, Expf %#08x", math.Float32bits(xs[i]), math.Float32bits(dst[i]), math.Float32bits(Expf(xs[i])))
						return
					}
				}
			}()
		}
		wg.Wait()
		close(bad)
		for s := range bad {
			t.Error(s)
		}
		return
	}
	// 2^24 patterns: every 256th, its low byte varied.
	xs := make([]float32, 1<<24)
	for i := range xs {
		xs[i] = math.Float32frombits(uint32(i)<<8 | uint32(i*0x9e37)>>5&0xff)
	}
	checkExpfVec(t, "spread", xs)

	xs = xs[:0]
	f, err := os.Open("testdata/expf.golden")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var a, b uint32
		if _, err := fmt.Sscanf(sc.Text(), "%x %x", &a, &b); err != nil {
			t.Fatalf("%q: %v", sc.Text(), err)
		}
		xs = append(xs, math.Float32frombits(a))
	}
	checkExpfVec(t, "goldens", xs)

	xs = xs[:0]
	near := func(x float32, ulps int) {
		b := math.Float32bits(x)
		for d := -ulps; d <= ulps; d++ {
			xs = append(xs, math.Float32frombits(b+uint32(d)), -math.Float32frombits(b+uint32(d)))
		}
	}
	for _, b := range []uint32{0, 1, 2, 0x3ff, 0x400000, 0x7fffff, 0x800000, 0x7f7fffff, 0x7f800000, 0x7f800001, 0x7fc00000, 0x7fffffff, 0x33800000, 0x3f800000, 0x42b00000} {
		near(math.Float32frombits(b), 4)
	}
	for _, x := range []float32{88, 0x1.62e42ep6, 0x1.9fe368p6, 87.3365, 103.2789, 1e-7, 1e-30, 0.5, 1, 2, 10} {
		near(x, 4096)
	}
	for k := -3360; k <= 2850; k++ {
		near(float32((float64(k)+0.5)*math.Ln2/32), 64)
	}
	checkExpfVec(t, "edges", xs)

	xs = xs[:0]
	rng := rand.New(rand.NewPCG(7, 8))
	for i := 0; i < 1<<20; i++ {
		g := math.Pow(10, 3*rng.Float64()-1)
		s, m := float32(g*rng.NormFloat64()), float32(g*rng.NormFloat64())
		if s > m {
			xs = append(xs, m-s)
		} else {
			xs = append(xs, s-m)
		}
	}
	checkExpfVec(t, "softmax arguments", xs)

	specials := []float32{float32(math.Inf(-1)), float32(math.Inf(1)), float32(math.NaN()), -100, 89, -88, 88, 0}
	for n := 0; n <= 13; n++ {
		for p := 0; p < n; p++ {
			for _, sp := range specials {
				xs := make([]float32, n)
				for i := range xs {
					xs[i] = float32(i)*-0.37 + 0.5
				}
				xs[p] = sp
				checkExpfVec(t, fmt.Sprintf("n=%d special %v at %d", n, sp, p), xs)
				dst := slices.Clone(xs)
				expfVec(dst, dst)
				for i, x := range xs {
					if math.Float32bits(dst[i]) != math.Float32bits(Expf(x)) {
						t.Fatalf("in place n=%d: %v at %d", n, sp, i)
					}
				}
			}
		}
	}
}

// BenchmarkExpfVec: expfVec and Expf in a loop over 64 softmax arguments,
// in ns per element.
func BenchmarkExpfVec(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	src, dst := make([]float32, 64), make([]float32, 64)
	for i := range src {
		src[i] = -float32(math.Abs(rng.NormFloat64()) * 3)
	}
	b.Run("vec", func(b *testing.B) {
		for b.Loop() {
			expfVec(dst, src)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/64, "ns/elem")
	})
	b.Run("scalar", func(b *testing.B) {
		for b.Loop() {
			expfVecGeneric(dst, src)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/64, "ns/elem")
	})
}
