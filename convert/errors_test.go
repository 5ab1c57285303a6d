package convert_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hearthlm/hearth/convert"
	"github.com/hearthlm/hearth/internal/testmodel"
	"github.com/hearthlm/hearth/safetensors"
)

// TestConvertBadCheckpoints: broken checkpoints stop with an error naming
// the tensor or key, and leave no file behind.
func TestConvertBadCheckpoints(t *testing.T) {
	for _, c := range []struct {
		name   string
		break_ func(t *testing.T, dir string)
		want   string
	}{
		{"unknown architecture", func(t *testing.T, dir string) {
			editConfig(t, dir, func(m map[string]any) { m["architectures"] = []string{"FooForCausalLM"} })
		}, `"FooForCausalLM" is not supported`},
		{"missing key", func(t *testing.T, dir string) {
			editConfig(t, dir, func(m map[string]any) { delete(m, "hidden_size") })
		}, "hidden_size"},
		{"wrong shape", func(t *testing.T, dir string) {
			editConfig(t, dir, func(m map[string]any) { m["intermediate_size"] = 768 })
		}, `"model.layers.0.mlp.gate_proj.weight" has shape [512 256], want [768 256]`},
		{"missing tensor", func(t *testing.T, dir string) {
			rewrite(t, dir, func(ts []safetensors.WriteTensor) []safetensors.WriteTensor {
				var out []safetensors.WriteTensor
				for _, x := range ts {
					if x.Name != "model.layers.1.self_attn.k_norm.weight" {
						out = append(out, x)
					}
				}
				return out
			})
		}, `"model.layers.1.self_attn.k_norm.weight" is missing`},
		{"extra tensor", func(t *testing.T, dir string) {
			rewrite(t, dir, func(ts []safetensors.WriteTensor) []safetensors.WriteTensor {
				return append(ts, safetensors.WriteTensor{Name: "model.mystery.weight", DType: safetensors.F32, Shape: []int64{1}, Data: make([]byte, 4)})
			})
		}, `"model.mystery.weight" is not used`},
		{"truncated shard", func(t *testing.T, dir string) {
			p := filepath.Join(dir, "model.safetensors")
			b, _ := os.ReadFile(p)
			os.WriteFile(p, b[:len(b)-100], 0o644)
		}, "model.safetensors"},
		{"no tokenizer", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, "tokenizer.json"))
		}, "tokenizer.json"},
	} {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			dir := filepath.Join(root, "hf")
			if err := testmodel.WriteHF(dir, testmodel.TinyQwen3, safetensors.F32, 1, 0); err != nil {
				t.Fatal(err)
			}
			c.break_(t, dir)
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

func editConfig(t *testing.T, dir string, edit func(map[string]any)) {
	t.Helper()
	p := filepath.Join(dir, "config.json")
	b, _ := os.ReadFile(p)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	b, _ = json.Marshal(m)
	os.WriteFile(p, b, 0o644)
}

func rewrite(t *testing.T, dir string, edit func([]safetensors.WriteTensor) []safetensors.WriteTensor) {
	t.Helper()
	p := filepath.Join(dir, "model.safetensors")
	f, err := safetensors.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	var ts []safetensors.WriteTensor
	for i := range f.Tensors {
		ti := &f.Tensors[i]
		ts = append(ts, safetensors.WriteTensor{Name: ti.Name, DType: ti.DType, Shape: ti.Shape, Data: append([]byte(nil), f.Data(ti)...)})
	}
	f.Close()
	if err := safetensors.Write(p, edit(ts), nil); err != nil {
		t.Fatal(err)
	}
}

// TestConvertSharded: a checkpoint split in shards converts to the same
// file as the single-file one.
func TestConvertSharded(t *testing.T) {
	root := t.TempDir()
	one, many := filepath.Join(root, "one"), filepath.Join(root, "many")
	if err := testmodel.WriteHF(one, testmodel.TinyQwen2, safetensors.BF16, 2, 0); err != nil {
		t.Fatal(err)
	}
	if err := testmodel.WriteHF(many, testmodel.TinyQwen2, safetensors.BF16, 2, 300_000); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(many, safetensors.IndexName)); err != nil {
		t.Fatal("no shards written")
	}
	a, b := filepath.Join(root, "a.gguf"), filepath.Join(root, "b.gguf")
	for _, x := range [][2]string{{one, a}, {many, b}} {
		if err := convert.Convert(x[0], x[1], convert.Options{Type: convert.FileQ8_0, Name: "same"}); err != nil {
			t.Fatal(err)
		}
	}
	if fileSHA(t, a) != fileSHA(t, b) {
		t.Error("sharded and single-file checkpoints convert differently")
	}
}

func TestCached(t *testing.T) {
	root := t.TempDir()
	dir, cache := filepath.Join(root, "hf"), filepath.Join(root, "cache")
	if err := testmodel.WriteHF(dir, testmodel.TinyQwen3, safetensors.F32, 1, 0); err != nil {
		t.Fatal(err)
	}
	p1, err := convert.Cached(dir, cache, convert.Options{Type: convert.FileF16})
	if err != nil {
		t.Fatal(err)
	}
	st1, _ := os.Stat(p1)
	p2, err := convert.Cached(dir, cache, convert.Options{Type: convert.FileF16})
	if err != nil || p2 != p1 {
		t.Fatalf("second use: %s, %v (first %s)", p2, err, p1)
	}
	st2, _ := os.Stat(p2)
	if !st1.ModTime().Equal(st2.ModTime()) {
		t.Error("converted again")
	}
	// A changed checkpoint converts anew.
	editConfig(t, dir, func(m map[string]any) { m["rope_theta"] = 5e5 })
	p3, err := convert.Cached(dir, cache, convert.Options{Type: convert.FileF16})
	if err != nil || p3 == p1 {
		t.Errorf("after a change: %s, %v", p3, err)
	}
}
