package convert_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hearthlm/hearth/convert"
	"github.com/hearthlm/hearth/gguf"
	"github.com/hearthlm/hearth/internal/modeltest"
	"github.com/hearthlm/hearth/internal/testmodel"
	"github.com/hearthlm/hearth/model"
	_ "github.com/hearthlm/hearth/model/gemma"
	_ "github.com/hearthlm/hearth/model/llama"
	_ "github.com/hearthlm/hearth/model/phi3"
	_ "github.com/hearthlm/hearth/model/qwen2"
	_ "github.com/hearthlm/hearth/model/qwen3"
	"github.com/hearthlm/hearth/safetensors"
)

type convGolden struct {
	Spec string `json:"spec"`
	Type string `json:"type"`
	Seed int64  `json:"seed"`
	// Context is llama.cpp's context size when not the oracle's 2048;
	// hearth's caches then take that size (Phi-3's long-context rope
	// chooses its factors by it).
	Context int    `json:"context"`
	SHA256  string `json:"gguf_sha256"`
	modeltest.Golden
}

// TestConvertGolden: a random checkpoint per architecture, converted, gives
// the file llama.cpp ran for the golden (same sha256), and hearth's greedy
// tokens and log-probabilities on it equal llama.cpp's. Caches hold just the
// tokens run, or the golden's context when it names one.
func TestConvertGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/golden/*.json")
	if len(files) == 0 {
		t.Fatal("no goldens")
	}
	for _, path := range files {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".json"), func(t *testing.T) {
			var g convGolden
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &g); err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			if err := testmodel.WriteHF(filepath.Join(dir, "hf"), testmodel.Specs[g.Spec], safetensors.F32, g.Seed, 0); err != nil {
				t.Fatal(err)
			}
			ft, err := convert.ParseFileType(g.Type)
			if err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, "m.gguf")
			if err := convert.Convert(filepath.Join(dir, "hf"), out, convert.Options{Type: ft, Name: "golden"}); err != nil {
				t.Fatal(err)
			}
			if sha := fileSHA(t, out); sha != g.SHA256 {
				t.Errorf("converted file sha256 %s, llama.cpp ran %s", sha, g.SHA256)
			}
			f, err := gguf.Open(out)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			m, err := model.New(f, model.Options{Threads: 2})
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			g.Check(t, m, g.Context, 1e-3)
		})
	}
}
