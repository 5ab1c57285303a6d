package kernels

import (
	"bufio"
	"fmt"
	"math"
	"os"
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
