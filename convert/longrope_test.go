package convert_test

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hearthlm/hearth/convert"
	"github.com/hearthlm/hearth/gguf"
	"github.com/hearthlm/hearth/internal/testmodel"
	"github.com/hearthlm/hearth/safetensors"
)

// TestLongRopeLayout: a Phi-3 longrope checkpoint gets the keys and tensors
// llama.cpp's converter (conversion/phi.py, Phi3MiniModel) writes: the
// extended context, the original one, the attention factor
// sqrt(1 + ln(131072/4096)/ln 4096) as float32, and both factor sets as
// F32 vectors of one factor per rotated pair, also in a quantized file.
// The attention factor's bits are Python's (the converter's arithmetic):
//
//	python3 -c "import math,struct; print(struct.pack('<f', math.sqrt(1+math.log(131072/4096)/math.log(4096))).hex())"
//	b959983f
func TestLongRopeLayout(t *testing.T) {
	dir := t.TempDir()
	spec := testmodel.TinyPhi3Longrope
	if err := testmodel.WriteHF(filepath.Join(dir, "hf"), spec, safetensors.F32, 1, 0); err != nil {
		t.Fatal(err)
	}
	short, long := spec.LongRopeFactors()
	for _, ft := range []convert.FileType{convert.FileAllF32, convert.FileQ4_K_M} {
		out := filepath.Join(dir, ft.String()+".gguf")
		if err := convert.Convert(filepath.Join(dir, "hf"), out, convert.Options{Type: ft}); err != nil {
			t.Fatal(err)
		}
		f, err := gguf.Open(out)
		if err != nil {
			t.Fatal(err)
		}
		for k, want := range map[string]uint64{"phi3.context_length": 131072, "phi3.rope.scaling.original_context_length": 4096} {
			if v, ok := f.Metadata.Uint(k); !ok || v != want {
				t.Errorf("%s: %s = %d (present %v), want %d", ft, k, v, ok, want)
			}
		}
		v, ok := f.Metadata.Get("phi3.rope.scaling.attn_factor")
		if x, isF := v.V.(float32); !ok || !isF || math.Float32bits(x) != 0x3f9859b9 {
			t.Errorf("%s: phi3.rope.scaling.attn_factor = %v (present %v), want float32 bits 3f9859b9", ft, v.V, ok)
		}
		for _, c := range []struct {
			name string
			want []float64
		}{{"rope_factors_long.weight", long}, {"rope_factors_short.weight", short}} {
			ti, ok := f.Tensor(c.name)
			if !ok {
				t.Errorf("%s: %s is missing", ft, c.name)
				continue
			}
			if ti.Type != gguf.TypeF32 || len(ti.Shape) != 1 || ti.Shape[0] != uint64(spec.HeadDim/2) {
				t.Errorf("%s: %s is %v %v, want F32 [%d]", ft, c.name, ti.Type, ti.Shape, spec.HeadDim/2)
				continue
			}
			d := f.Data(ti)
			for i, w := range c.want {
				if got := math.Float32frombits(binary.LittleEndian.Uint32(d[4*i:])); got != float32(w) {
					t.Errorf("%s: %s[%d] = %g, want %g", ft, c.name, i, got, float32(w))
					break
				}
			}
		}
		f.Close()
	}
}

// TestLongRopeBadConfigs: Phi-3 configs hearth cannot convert faithfully
// stop with an error and leave no file.
func TestLongRopeBadConfigs(t *testing.T) {
	for _, c := range []struct {
		name string
		edit func(m map[string]any)
		want string
	}{
		{"factor count", func(m map[string]any) {
			rs := m["rope_scaling"].(map[string]any)
			rs["short_factor"] = rs["short_factor"].([]any)[:10]
		}, "rope_scaling has 32 long and 10 short factors, want 32 of each"},
		{"partial rotary", func(m map[string]any) { m["partial_rotary_factor"] = 0.75 }, "partial_rotary_factor 0.75"},
		{"longrope elsewhere", func(m map[string]any) { m["architectures"] = []string{"LlamaForCausalLM"} }, `rope_scaling type "longrope" is supported for Phi-3 only`},
		{"unknown scaling", func(m map[string]any) { m["rope_scaling"].(map[string]any)["type"] = "dynamic" }, `rope_scaling type "dynamic" is not supported`},
	} {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			dir := filepath.Join(root, "hf")
			if err := testmodel.WriteHF(dir, testmodel.TinyPhi3Longrope, safetensors.F32, 1, 0); err != nil {
				t.Fatal(err)
			}
			editConfig(t, dir, c.edit)
			outDir := filepath.Join(root, "out")
			os.Mkdir(outDir, 0o755)
			err := convert.Convert(dir, filepath.Join(outDir, "m.gguf"), convert.Options{Type: convert.FileF16})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %s", err, c.want)
			}
			if ents, _ := os.ReadDir(outDir); len(ents) != 0 {
				t.Errorf("left behind: %v", ents)
			}
		})
	}
}
