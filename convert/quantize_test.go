package convert_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/hearthlm/hearth/convert"
	"github.com/hearthlm/hearth/gguf"
	"github.com/hearthlm/hearth/internal/testmodel"
)

func sharedDir(t *testing.T, sub string) string {
	t.Helper()
	d := filepath.Join("..", "..", "shared", "testdata", sub)
	if _, err := os.Stat(d); err != nil {
		t.Skipf("%s not found: the shared test corpus is not beside this checkout", d)
	}
	return d
}

func fileSHA(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestQuantizePureSynthetic: --pure on the shared synthetic F32 model gives
// files byte-identical to llama-quantize --pure's, for every type there.
func TestQuantizePureSynthetic(t *testing.T) {
	dir := sharedDir(t, "synthetic")
	in := filepath.Join(dir, "synth-llama-F32.gguf")
	tmp := t.TempDir()
	for _, typ := range []string{"F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"} {
		ft, err := convert.ParseFileType(typ)
		if err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(tmp, typ+".gguf")
		if err := convert.Quantize(in, out, convert.QuantizeOptions{Type: ft, Pure: true}); err != nil {
			t.Fatal(err)
		}
		got, _ := os.ReadFile(out)
		want, err := os.ReadFile(filepath.Join(dir, "synth-llama-"+typ+".gguf"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: output differs from llama-quantize --pure's (%d vs %d bytes)", typ, len(got), len(want))
		}
	}
}

// TestQuantizeMixes: every mix of a random 16-layer llama (written by
// testmodel, no shared data needed) is byte-identical to llama-quantize's
// output, recorded as sha256 in testdata/quantize-narrow-llama.json.
func TestQuantizeMixes(t *testing.T) {
	var g struct {
		Input  string            `json:"input_sha256"`
		SHA256 map[string]string `json:"sha256"`
	}
	b, err := os.ReadFile("testdata/quantize-narrow-llama.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	in := filepath.Join(tmp, "nl.gguf")
	if err := testmodel.WriteGGUF(in, testmodel.NarrowLlama, gguf.TypeF16, 1); err != nil {
		t.Fatal(err)
	}
	if got := fileSHA(t, in); got != g.Input {
		t.Fatalf("testmodel's narrow-llama F16 changed (sha256 %s, golden made from %s): regenerate the golden", got, g.Input)
	}
	var types []string
	for k := range g.SHA256 {
		types = append(types, k)
	}
	sort.Strings(types)
	if testing.Short() {
		types = []string{"Q4_K_M", "Q8_0"}
	}
	for _, typ := range types {
		ft, err := convert.ParseFileType(typ)
		if err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(tmp, typ+".gguf")
		if err := convert.Quantize(in, out, convert.QuantizeOptions{Type: ft}); err != nil {
			t.Fatal(err)
		}
		if got := fileSHA(t, out); got != g.SHA256[typ] {
			t.Errorf("%s: sha256 %s, llama-quantize's %s", typ, got, g.SHA256[typ])
		}
		os.Remove(out)
	}
}

// TestQuantizeErrors: a failed quantization leaves nothing behind.
func TestQuantizeErrors(t *testing.T) {
	tmp := t.TempDir()
	out := filepath.Join(tmp, "out.gguf")
	if err := convert.Quantize(filepath.Join(tmp, "missing.gguf"), out, convert.QuantizeOptions{Type: convert.FileQ4_K_M}); err == nil {
		t.Error("missing input: no error")
	}
	in := filepath.Join(tmp, "in.gguf")
	if err := testmodel.WriteGGUF(in, testmodel.TinyQwen3, gguf.TypeF32, 1); err != nil {
		t.Fatal(err)
	}
	if err := convert.Quantize(in, out, convert.QuantizeOptions{Type: convert.FileQ2_K_S}); err == nil {
		t.Error("Q2_K_S without an importance matrix: no error")
	}
	ents, _ := os.ReadDir(tmp)
	for _, e := range ents {
		if e.Name() != "in.gguf" {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}
