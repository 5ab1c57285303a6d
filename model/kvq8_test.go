package model_test

import (
	"crypto/sha256"
	"encoding/hex"
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
	"github.com/hearthlm/hearth/safetensors"
)

type kvGolden struct {
	Spec   string `json:"spec"`
	Source string `json:"source"` // "gguf": testmodel.WriteGGUF; "hf": a checkpoint converted
	Type   string `json:"type"`
	Seed   int64  `json:"seed"`
	KVType string `json:"kv_type"`
	SHA256 string `json:"gguf_sha256"`
	modeltest.Golden
}

// TestKVQ8Golden: with a q8_0 KV cache, hearth's greedy tokens and top-10
// log-probabilities on random-weight models equal llama.cpp's with q8_0 K
// and V (testdata/kvq8/make.sh), for a 16-token prompt (one_chunk) and an
// 80-token one (where an f16 cache would take the tiled path): llama and
// qwen3 (head sizes 64 and 128), gemma2 (soft-capped scores, a sliding
// window), gemma3 (head size 256, a sliding window) and phi3.
func TestKVQ8Golden(t *testing.T) {
	files, _ := filepath.Glob("testdata/kvq8/*.json")
	if len(files) == 0 {
		t.Fatal("no goldens")
	}
	for _, path := range files {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".json"), func(t *testing.T) {
			var g kvGolden
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &g); err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			out := filepath.Join(dir, "m.gguf")
			if g.Source == "hf" {
				if err := testmodel.WriteHF(filepath.Join(dir, "hf"), testmodel.Specs[g.Spec], safetensors.F32, g.Seed, 0); err != nil {
					t.Fatal(err)
				}
				ft, err := convert.ParseFileType(g.Type)
				if err != nil {
					t.Fatal(err)
				}
				if err := convert.Convert(filepath.Join(dir, "hf"), out, convert.Options{Type: ft, Name: "golden"}); err != nil {
					t.Fatal(err)
				}
			} else {
				typ, ok := gguf.ParseType(g.Type)
				if !ok {
					t.Fatalf("tensor type %q", g.Type)
				}
				if err := testmodel.WriteGGUF(out, testmodel.Specs[g.Spec], typ, g.Seed); err != nil {
					t.Fatal(err)
				}
			}
			data, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != g.SHA256 {
				t.Fatalf("model file sha256 %x, llama.cpp ran %s", sum, g.SHA256)
			}
			f, err := gguf.Open(out)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			m, err := model.New(f, model.Options{Threads: 2, KVType: model.KVType(g.KVType)})
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			cache, err := m.NewCache(16, 1)
			if err != nil {
				t.Fatal(err)
			}
			if cache.Type != model.KVType(g.KVType) {
				t.Fatalf("cache type %q, want %q", cache.Type, g.KVType)
			}
			g.Check(t, m, 0, 1e-3)
		})
	}
}

// TestKVQ8DecodeAllocs: with a q8_0 cache, a decode step after a 64-token
// prompt allocates nothing, and the cache holds 34 bytes per 32 values.
func TestKVQ8DecodeAllocs(t *testing.T) {
	spec := testmodel.Specs["tiny-llama"]
	path := filepath.Join(t.TempDir(), "m.gguf")
	if err := testmodel.WriteGGUF(path, spec, gguf.TypeF32, 1); err != nil {
		t.Fatal(err)
	}
	f, err := gguf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := model.New(f, model.Options{Threads: 2, KVType: model.KVQ8_0})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	c, err := m.NewCache(128, 1)
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(spec.Layers) * 128 * int64(spec.KVHeads*spec.HeadDim) * 2 / 32 * 34; c.Bytes() != want {
		t.Errorf("cache holds %d bytes, want %d", c.Bytes(), want)
	}
	if n := decodeStepAllocs(t, m, c, 10); n != 0 {
		t.Errorf("a decode step allocates %v times", n)
	}
}
