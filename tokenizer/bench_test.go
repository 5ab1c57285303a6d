package tokenizer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// benchText builds about 1 MB of mixed-language text (English, code, CJK,
// Cyrillic, Arabic, Devanagari, Thai, emoji…) from the golden strings and
// llama.cpp's test inputs, repeated.
func benchText(b testing.TB) string {
	var parts []string
	if p, ok := findData(filepath.Join("golden", "tokenizer_strings.json")); ok {
		raw, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		if err := json.Unmarshal(raw, &parts); err != nil {
			b.Fatal(err)
		}
	}
	if p, ok := findData("ggml-vocab-llama-spm.gguf.inp"); ok {
		raw, _ := os.ReadFile(p)
		parts = append(parts, strings.Split(string(raw), "\n__ggml_vocab_test__\n")...)
	}
	unit := strings.Join(parts, "\n")
	var sb strings.Builder
	for sb.Len() < 1<<20 {
		sb.WriteString(unit)
		sb.WriteString("\n")
	}
	return sb.String()
}

func benchEncode(b *testing.B, tok *Tokenizer, text string) {
	b.SetBytes(int64(len(text)))
	b.ResetTimer()
	for b.Loop() {
		tok.Encode(text, false, true)
	}
}

func BenchmarkEncodeLlama3JSON(b *testing.B) { benchEncode(b, loadHF(b, "llama3"), benchText(b)) }
func BenchmarkEncodeQwen3JSON(b *testing.B)  { benchEncode(b, loadHF(b, "qwen3"), benchText(b)) }

func BenchmarkEncodeGPT2GGUF(b *testing.B) {
	path, ok := findData(filepath.Join("vocab", "ggml-vocab-gpt-2.gguf"))
	if !ok {
		b.Skip("gpt-2 vocab not found")
	}
	benchEncode(b, loadGGUF(b, path), benchText(b))
}

func BenchmarkEncodeLlamaSPMGGUF(b *testing.B) {
	path, ok := findData("ggml-vocab-llama-spm.gguf")
	if !ok {
		b.Skip("llama-spm vocab not found")
	}
	benchEncode(b, loadGGUF(b, path), benchText(b))
}

// TestWriteBenchText writes the benchmark text to $HEARTH_BENCH_TEXT, for
// timing other tokenizers (testdata/bench_rust.js) on the same bytes.
func TestWriteBenchText(t *testing.T) {
	path := os.Getenv("HEARTH_BENCH_TEXT")
	if path == "" {
		t.Skip("set HEARTH_BENCH_TEXT=FILE to write the benchmark text")
	}
	if err := os.WriteFile(path, []byte(benchText(t)), 0o644); err != nil {
		t.Fatal(err)
	}
}
