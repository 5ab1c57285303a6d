package gguf

import (
	"path/filepath"
	"testing"
)

// BenchmarkOpenVocab opens the largest shared vocab file (about 100k tokens).
func BenchmarkOpenVocab(b *testing.B) {
	dir := filepath.Join("..", "..", "shared", "testdata", "vocab", "ggml-vocab-deepseek-llm.gguf")
	for b.Loop() {
		f, err := Open(dir)
		if err != nil {
			b.Skip(err)
		}
		f.Close()
	}
}
