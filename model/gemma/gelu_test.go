package gemma

import (
	"compress/gzip"
	"encoding/binary"
	"io"
	"os"
	"testing"

	"github.com/hearthlm/hearth/quant"
)

// TestGeluTableMatchesGgml compares geluTable with ggml-cpu's own table,
// read from llama.cpp's library (see testdata/ggml_gelu_table.c), on every
// float16 input but NaNs.
func TestGeluTableMatchesGgml(t *testing.T) {
	f, err := os.Open("testdata/ggml_gelu_f16.bin.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(z)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != 2<<16 {
		t.Fatalf("table of %d bytes, want %d", len(b), 2<<16)
	}
	bad := 0
	for i := range 1 << 16 {
		if x := quant.FP16ToFP32(uint16(i)); x != x {
			continue
		}
		want := binary.LittleEndian.Uint16(b[2*i:])
		if got := quant.FP32ToFP16(geluTable[i]); got != want {
			bad++
			if bad < 10 {
				t.Errorf("gelu(f16 %04x): %04x, ggml %04x", i, got, want)
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%d entries differ", bad)
	}
}
