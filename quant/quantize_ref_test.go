package quant

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/hearthlm/hearth/gguf"
)

var weightTypes = []gguf.Type{
	gguf.TypeQ4_0, gguf.TypeQ4_1, gguf.TypeQ5_0, gguf.TypeQ5_1, gguf.TypeQ8_0,
	gguf.TypeQ2_K, gguf.TypeQ3_K, gguf.TypeQ4_K, gguf.TypeQ5_K, gguf.TypeQ6_K,
	gguf.TypeF16, gguf.TypeBF16,
}

// TestQuantizeRefRows quantizes the F32 rows in testdata/dequant and compares
// with the same rows as llama-quantize --pure wrote them (the .raw files).
func TestQuantizeRefRows(t *testing.T) {
	dir := filepath.Join("testdata", "dequant")
	for _, tensor := range []struct {
		name string
		cols int
	}{{"blk.0.ffn_down.weight", 768}, {"blk.1.attn_k.weight", 256}} {
		raw, err := os.ReadFile(filepath.Join(dir, "synth-llama-F32."+tensor.name+".raw"))
		if err != nil {
			t.Fatal(err)
		}
		src := make([]float32, len(raw)/4)
		if err := DequantizeRow(gguf.TypeF32, raw, src); err != nil {
			t.Fatal(err)
		}
		for _, typ := range weightTypes {
			t.Run(typ.String()+"/"+tensor.name, func(t *testing.T) {
				want, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("synth-llama-%s.%s.raw", typ, tensor.name)))
				if err != nil {
					t.Fatal(err)
				}
				compareQuantized(t, typ, tensor.cols, src, want)
			})
		}
	}
}

func compareQuantized(t *testing.T, typ gguf.Type, cols int, src []float32, want []byte) {
	t.Helper()
	got := make([]byte, len(want))
	rb := RowBytes(typ, cols)
	for r := 0; r < len(want)/rb; r++ {
		if err := QuantizeRowRef(typ, src[r*cols:(r+1)*cols], got[r*rb:(r+1)*rb]); err != nil {
			t.Fatal(err)
		}
	}
	if bytes.Equal(got, want) {
		return
	}
	bs := typ.TypeSize()
	bad := 0
	for o := 0; o < len(want); o += bs {
		if !bytes.Equal(got[o:o+bs], want[o:o+bs]) {
			if bad < 3 {
				t.Errorf("block %d differs:\n got %x\nwant %x", o/bs, got[o:o+bs], want[o:o+bs])
			}
			bad++
		}
	}
	t.Errorf("%d of %d blocks differ", bad, len(want)/bs)
}

// TestQuantizeRefSynthetic quantizes every 2-D tensor of the synthetic F32
// model and compares with the synthetic files of each type, where present
// (../shared is not part of the repository; the test skips without it).
func TestQuantizeRefSynthetic(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	dir := filepath.Join("..", "..", "shared", "testdata", "synthetic")
	src, err := gguf.Open(filepath.Join(dir, "synth-llama-F32.gguf"))
	if err != nil {
		t.Skipf("synthetic models not available: %v", err)
	}
	defer src.Close()
	for _, typ := range weightTypes {
		t.Run(typ.String(), func(t *testing.T) {
			dst, err := gguf.Open(filepath.Join(dir, "synth-llama-"+typ.String()+".gguf"))
			if err != nil {
				t.Skipf("%v", err)
			}
			defer dst.Close()
			compared := 0
			for i := range src.Tensors {
				ti := &src.Tensors[i]
				qi, ok := dst.Tensor(ti.Name)
				if !ok || qi.Type != typ || ti.Type != gguf.TypeF32 {
					continue
				}
				data := src.Data(ti)
				x := make([]float32, len(data)/4)
				for i := range x {
					x[i] = math.Float32frombits(uint32(data[4*i]) | uint32(data[4*i+1])<<8 | uint32(data[4*i+2])<<16 | uint32(data[4*i+3])<<24)
				}
				t.Run(ti.Name, func(t *testing.T) {
					compareQuantized(t, typ, int(ti.Shape[0]), x, dst.Data(qi))
				})
				compared++
			}
			if compared == 0 {
				t.Errorf("no %s tensors compared", typ)
			}
		})
	}
}
