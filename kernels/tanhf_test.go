package kernels

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"testing"
)

// TestTanhfMatchesGlibc compares Tanhf and expm1f with glibc's results in
// testdata/tanhf.golden (see testdata/tanhf_golden.c for how it was made).
func TestTanhfMatchesGlibc(t *testing.T) {
	f, err := os.Open("testdata/tanhf.golden")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n, bad := 0, 0
	for sc.Scan() {
		var kind string
		var a, b uint32
		if _, err := fmt.Sscanf(sc.Text(), "%s %x %x", &kind, &a, &b); err != nil {
			t.Fatalf("%q: %v", sc.Text(), err)
		}
		n++
		x := math.Float32frombits(a)
		var got float32
		switch kind {
		case "t":
			got = Tanhf(x)
		case "e":
			got = expm1f(x)
		default:
			t.Fatalf("%q: unknown kind", sc.Text())
		}
		want := math.Float32frombits(b)
		if want != want && got != got { // NaN: any payload
			continue
		}
		if math.Float32bits(got) != b {
			bad++
			if bad < 10 {
				t.Errorf("%s(%08x): %08x, glibc %08x", kind, a, math.Float32bits(got), b)
			}
		}
	}
	if bad > 0 || n < 1000 {
		t.Fatalf("%d of %d differ", bad, n)
	}
}
