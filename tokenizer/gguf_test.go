package tokenizer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hearthlm/hearth/gguf"
)

// sharedDir is the project's shared test data, present on developer
// machines but not in a fresh clone.
var sharedDir = filepath.Join("..", "..", "shared", "testdata")

// findData returns the path of a test file, looking in testdata/ first and
// then in the shared corpus; ok is false when neither has it.
func findData(name string) (string, bool) {
	for _, p := range []string{filepath.Join("testdata", name), filepath.Join(sharedDir, name)} {
		if _, err := os.Stat(p); err == nil {
			return p, true
		}
	}
	return "", false
}

func loadGGUF(t testing.TB, path string) *Tokenizer {
	t.Helper()
	f, err := gguf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tok, err := FromGGUF(f.Metadata)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

type vocabCase struct {
	Text string  `json:"text"`
	IDs  []int32 `json:"ids"`
}

// readVocabVectors reads llama.cpp's .inp/.out test vectors.
func readVocabVectors(t testing.TB, inp, out string) []vocabCase {
	t.Helper()
	in, err := os.ReadFile(inp)
	if err != nil {
		t.Fatal(err)
	}
	o, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	texts := strings.Split(string(in), "\n__ggml_vocab_test__\n")
	if texts[len(texts)-1] == "" {
		texts = texts[:len(texts)-1]
	}
	lines := strings.Split(strings.TrimSuffix(string(o), "\n"), "\n")
	if len(lines) != len(texts) {
		t.Fatalf("%s: %d texts, %d id lines", inp, len(texts), len(lines))
	}
	cases := make([]vocabCase, len(texts))
	for i := range texts {
		cases[i].Text = texts[i]
		for _, f := range strings.Fields(lines[i]) {
			var v int32
			if err := json.Unmarshal([]byte(f), &v); err != nil {
				t.Fatalf("%s line %d: %v", out, i+1, err)
			}
			cases[i].IDs = append(cases[i].IDs, v)
		}
	}
	return cases
}

// vocabs lists the GGUF vocab files with llama.cpp test vectors that this
// package supports.
var vocabs = []string{
	"llama-spm", "phi-3", "gpt-2", "starcoder", "refact", "mpt", "falcon",
	"deepseek-coder", "deepseek-llm", "bert-bge",
}

// TestVocabVectors runs llama.cpp's test-tokenizer-0 vectors: tokenize with
// add_special=false, parse_special=false and compare with the expected ids.
func TestVocabVectors(t *testing.T) {
	for _, name := range vocabs {
		t.Run(name, func(t *testing.T) {
			base := "ggml-vocab-" + name + ".gguf"
			path, ok := findData(base)
			if !ok {
				path, ok = findData(filepath.Join("vocab", base))
			}
			if !ok {
				t.Skipf("%s not found (needs testdata or %s)", base, sharedDir)
			}
			cases := readVocabVectors(t, path+".inp", path+".out")
			tok := loadGGUF(t, path)
			pass := 0
			for _, c := range cases {
				got := tok.Encode(c.Text, false, false)
				if slices.Equal(got, c.IDs) {
					pass++
				} else {
					t.Errorf("%q:\n got %v\nwant %v", c.Text, got, c.IDs)
				}
			}
			t.Logf("%s: %d/%d vectors", name, pass, len(cases))
		})
	}
}
