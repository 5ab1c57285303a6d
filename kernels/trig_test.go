package kernels

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"testing"
)

// TestTrigMatchesGlibc compares Sinf, Cosf and Powf with glibc's results in
// testdata/trig.golden (see testdata/trig_golden.c for how it was made).
func TestTrigMatchesGlibc(t *testing.T) {
	f, err := os.Open("testdata/trig.golden")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n, bad := 0, 0
	for sc.Scan() {
		var kind string
		var a, b, c uint32
		if _, err := fmt.Sscanf(sc.Text(), "%s %x %x %x", &kind, &a, &b, &c); err != nil {
			t.Fatalf("%q: %v", sc.Text(), err)
		}
		n++
		x := math.Float32frombits(a)
		switch kind {
		case "s":
			if s, co := Sinf(x), Cosf(x); math.Float32bits(s) != b || math.Float32bits(co) != c {
				bad++
				if bad < 10 {
					t.Errorf("sinf/cosf(%x): %x %x, glibc %x %x", a, math.Float32bits(s), math.Float32bits(co), b, c)
				}
			}
		case "p":
			if p := Powf(x, math.Float32frombits(b)); math.Float32bits(p) != c {
				bad++
				if bad < 10 {
					t.Errorf("powf(%x, %x): %x, glibc %x", a, b, math.Float32bits(p), c)
				}
			}
		}
	}
	if bad > 0 || n < 1000 {
		t.Fatalf("%d of %d differ", bad, n)
	}
}
