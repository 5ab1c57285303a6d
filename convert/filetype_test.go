package convert_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hearthlm/hearth/convert"
	"github.com/hearthlm/hearth/gguf"
	"github.com/hearthlm/hearth/internal/testmodel"
)

// TestMixGolden checks the tensor types of the Q4_K_M and Q5_K_M mixes
// against what llama-quantize assigned for the real Qwen3-0.6B and
// Llama-3.2-1B layouts (testdata/quant-mix, copied from the shared corpus).
func TestMixGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/quant-mix/*.json")
	if len(files) == 0 {
		t.Fatal("no goldens")
	}
	for _, f := range files {
		var g struct {
			Mix      string            `json:"mix"`
			FileType int               `json:"general.file_type"`
			Types    map[string]string `json:"tensor_types"`
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &g); err != nil {
			t.Fatal(err)
		}
		spec := testmodel.Qwen3_0_6B
		if strings.HasPrefix(filepath.Base(f), "llama") {
			spec = testmodel.Llama32_1B
		}
		ft, err := convert.ParseFileType(g.Mix)
		if err != nil {
			t.Fatal(err)
		}
		if int(ft) != g.FileType {
			t.Errorf("%s: file type %d, golden %d", g.Mix, ft, g.FileType)
		}
		ts := spec.Tensors()
		var names []string
		for _, x := range ts {
			names = append(names, x.Name)
		}
		m := convert.NewMixer(ft, false, spec.Heads/spec.KVHeads, names)
		if len(ts) != len(g.Types) {
			t.Errorf("%s: %d tensors, golden has %d", f, len(ts), len(g.Types))
		}
		bad := 0
		for _, x := range ts {
			cur := gguf.TypeF16
			if len(x.Shape) == 1 {
				cur = gguf.TypeF32
			}
			got := m.Type(x.Name, len(x.Shape), int(x.Shape[0]), cur).String()
			if want := g.Types[x.Name]; got != want {
				bad++
				if bad < 10 {
					t.Errorf("%s %s: %s, llama-quantize gives %s", filepath.Base(f), x.Name, got, want)
				}
			}
		}
	}
}
