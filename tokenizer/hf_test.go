package tokenizer

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
)

var hfNames = []string{"llama2", "llama3", "llama3_1", "qwen3", "gemma3", "deepseek_v3", "gptoss"}

var (
	hfMu    sync.Mutex
	hfCache = map[string]*Tokenizer{}
)

// loadHF reads a tokenizer.json folder from the shared corpus (skipping
// when it is absent); tokenizers are cached across tests.
func loadHF(t testing.TB, name string) *Tokenizer {
	t.Helper()
	hfMu.Lock()
	defer hfMu.Unlock()
	if tok, ok := hfCache[name]; ok {
		return tok
	}
	dir, ok := findData(filepath.Join("hf", "tokenizers", name))
	if !ok {
		t.Skipf("tokenizer %s not found in %s", name, sharedDir)
	}
	tok, err := FromFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	hfCache[name] = tok
	return tok
}

type hfGolden struct {
	Text    string  `json:"text"`
	IDs     []int32 `json:"ids"`
	Decoded string  `json:"decoded"`
}

func readJSONL(t testing.TB, path string) []hfGolden {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []hfGolden
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var g hfGolden
		if err := json.Unmarshal(sc.Bytes(), &g); err != nil {
			t.Fatal(err)
		}
		out = append(out, g)
	}
	return out
}

// TestHFGolden compares with the Rust tokenizers library's output
// (add_special_tokens false and true) on the golden strings: ids, and the
// decoded text (skip_special_tokens=false).
func TestHFGolden(t *testing.T) {
	for _, name := range hfNames {
		for _, mode := range []string{"plain", "special"} {
			t.Run(name+"/"+mode, func(t *testing.T) {
				gp, ok := findData(filepath.Join("golden", "hf_tokenize", name+"."+mode+".jsonl"))
				if !ok {
					t.Skip("golden not found")
				}
				tok := loadHF(t, name)
				pass := 0
				cases := readJSONL(t, gp)
				for _, g := range cases {
					got := tok.Encode(g.Text, mode == "special", true)
					ok := true
					if !slices.Equal(got, g.IDs) {
						ok = false
						t.Errorf("%q:\n got %v\nwant %v", g.Text, got, g.IDs)
					}
					if dec := tok.DecodeWith(g.IDs, DecodeOptions{Special: true}); dec != g.Decoded {
						ok = false
						t.Errorf("decode %q:\n got %q\nwant %q", g.Text, dec, g.Decoded)
					}
					if ok {
						pass++
					}
				}
				t.Logf("%s %s: %d/%d", name, mode, pass, len(cases))
			})
		}
	}
}

// TestHFVocabVectors runs llama.cpp's vectors for vocabularies whose GGUF is
// too big for the corpus through the same model's tokenizer.json.
func TestHFVocabVectors(t *testing.T) {
	for _, c := range []struct{ vocab, hf string }{{"llama-bpe", "llama3"}, {"qwen2", "qwen3"}, {"gemma-4", "gemma3"}} {
		t.Run(c.vocab, func(t *testing.T) {
			inp, ok := findData(filepath.Join("vocab", "ggml-vocab-"+c.vocab+".gguf.inp"))
			if !ok {
				t.Skip("vectors not found")
			}
			tok := loadHF(t, c.hf)
			cases := readVocabVectors(t, inp, inp[:len(inp)-4]+".out")
			pass := 0
			for _, v := range cases {
				got := tok.Encode(v.Text, false, false)
				if slices.Equal(got, v.IDs) {
					pass++
				} else {
					t.Errorf("%q:\n got %v\nwant %v", v.Text, got, v.IDs)
				}
			}
			t.Logf("%s via %s: %d/%d", c.vocab, c.hf, pass, len(cases))
		})
	}
}
