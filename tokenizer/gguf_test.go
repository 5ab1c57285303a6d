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

// TestVocabRoundTrip checks decode(encode(s)) == s on the test-vector
// inputs for the lossless vocabularies (SentencePiece with byte fallback and
// byte-level BPE), as llama.cpp's test-tokenizer-0 does.
func TestVocabRoundTrip(t *testing.T) {
	for _, name := range []string{"llama-spm", "phi-3", "gpt-2", "starcoder", "refact", "mpt", "falcon", "deepseek-coder", "deepseek-llm"} {
		t.Run(name, func(t *testing.T) {
			base := "ggml-vocab-" + name + ".gguf"
			path, ok := findData(base)
			if !ok {
				path, ok = findData(filepath.Join("vocab", base))
			}
			if !ok {
				t.Skipf("%s not found", base)
			}
			tok := loadGGUF(t, path)
			for _, c := range readVocabVectors(t, path+".inp", path+".out") {
				got := tok.DecodeWith(c.IDs, DecodeOptions{NoCleanup: true})
				if got != c.Text {
					t.Errorf("decode(%v) = %q, want %q", c.IDs, got, c.Text)
				}
				// streaming gives the same bytes (no leading-space removal)
				d := tok.NewStreamDecoder()
				var sb strings.Builder
				for _, id := range c.IDs {
					sb.WriteString(d.Push(id))
				}
				sb.WriteString(d.Flush())
				want := c.Text
				if tok.addSpacePrefix && len(c.IDs) > 0 {
					want = " " + want
				}
				if sb.String() != want {
					t.Errorf("stream(%v) = %q, want %q", c.IDs, sb.String(), want)
				}
			}
		})
	}
}

func TestSpecialTokens(t *testing.T) {
	path, ok := findData("ggml-vocab-llama-spm.gguf")
	if !ok {
		t.Skip("no llama-spm vocab")
	}
	tok := loadGGUF(t, path)
	if tok.BOS() != 1 || tok.EOS() != 2 || tok.VocabSize() != 32000 {
		t.Fatalf("bos %d eos %d n %d", tok.BOS(), tok.EOS(), tok.VocabSize())
	}
	if !tok.IsEOG(2) || tok.IsEOG(1) {
		t.Fatal("EOG")
	}
	if tok.Token(29871) != "▁" {
		t.Fatalf("token 29871 = %q", tok.Token(29871))
	}
	// expected ids from llama.cpp's llama-spm vectors: "Hello world" -> 15043 3186
	got := tok.Encode("Hello world", true, false)
	if !slices.Equal(got, []int32{1, 15043, 3186}) {
		t.Fatalf("Encode with BOS = %v", got)
	}
	// parse_special splits </s> out of the text; without it the text is tokenized.
	sp := tok.Encode("Hello</s>", false, true)
	if sp[len(sp)-1] != 2 {
		t.Fatalf("parseSpecial: %v", sp)
	}
	if plain := tok.Encode("Hello</s>", false, false); slices.Contains(plain, 2) {
		t.Fatalf("no parseSpecial: %v", plain)
	}
	if p := tok.Piece(2); len(p) != 0 {
		t.Fatalf("Piece(eos) = %q", p)
	}
	if s := tok.DecodeWith([]int32{1, 15043, 2}, DecodeOptions{Special: true}); s != "<s> Hello</s>" {
		t.Fatalf("DecodeWith special = %q", s)
	}
	// llama.cpp keeps the SentencePiece space when it removes BOS
	if s := tok.DecodeWith([]int32{1, 15043, 2}, DecodeOptions{RemoveSpecial: true}); s != " Hello" {
		t.Fatalf("DecodeWith remove special = %q", s)
	}
}

// TestStories260K checks the prompts of the stories260K golden file, which
// llama.cpp tokenized with BOS.
func TestStories260K(t *testing.T) {
	gpath, ok1 := findData(filepath.Join("gguf", "stories260K.gguf"))
	jpath, ok2 := findData(filepath.Join("golden", "stories260K", "stories260K.json"))
	if !ok1 || !ok2 {
		t.Skip("stories260K model or golden not found in " + sharedDir)
	}
	tok := loadGGUF(t, gpath)
	raw, err := os.ReadFile(jpath)
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		Greedy []struct {
			Prompt       string  `json:"prompt"`
			PromptTokens []int32 `json:"prompt_tokens"`
			Tokens       []int32 `json:"tokens"`
			Text         string  `json:"text"`
		} `json:"greedy"`
	}
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.Greedy) != 10 {
		t.Fatalf("%d prompts", len(g.Greedy))
	}
	for _, c := range g.Greedy {
		got := tok.Encode(c.Prompt, true, true)
		if !slices.Equal(got, c.PromptTokens) {
			t.Errorf("%q: got %v want %v", c.Prompt, got, c.PromptTokens)
		}
		// the generated continuation decodes to the golden text
		d := tok.NewStreamDecoder()
		var sb strings.Builder
		for _, id := range c.Tokens {
			sb.WriteString(d.Push(id))
		}
		sb.WriteString(d.Flush())
		// the golden text has the leading space of the first piece trimmed
		if got := strings.TrimPrefix(sb.String(), " "); got != c.Text {
			t.Errorf("%q: continuation %q, golden %q", c.Prompt, sb.String(), c.Text)
		}
	}
}
