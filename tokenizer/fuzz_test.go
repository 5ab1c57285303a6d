package tokenizer

import (
	"path/filepath"
	"testing"
	"unicode/utf8"
)

func fuzzTokenizer(f *testing.F, name string) *Tokenizer {
	path, ok := findData(name)
	if !ok {
		path, ok = findData(filepath.Join("vocab", name))
	}
	if !ok {
		f.Skipf("%s not found", name)
	}
	return loadGGUF(f, path)
}

var fuzzSeeds = []string{"", " ", "Hello world", "  a\n\n\tb", "你好，世界", "🦙🦙 emoji ZWJ 👨‍👩‍👧", "it's 1234567 <s> </s>", "\xff\xfe bad utf8", "ﬀ Åpfel é"}

// FuzzSPM: no panics, and decode(encode(s)) == s for valid UTF-8 (byte
// fallback makes SentencePiece lossless).
func FuzzSPM(f *testing.F) {
	tok := fuzzTokenizer(f, "ggml-vocab-llama-spm.gguf")
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ids := tok.Encode(s, true, true)
		for _, id := range ids {
			if id < 0 || int(id) >= tok.VocabSize() {
				t.Fatalf("id %d out of range", id)
			}
		}
		_ = tok.Decode(ids)
		if !utf8.ValidString(s) {
			return
		}
		plain := tok.Encode(s, false, false)
		if got := tok.Decode(plain); got != s {
			t.Fatalf("round trip %q -> %v -> %q", s, plain, got)
		}
	})
}

// FuzzBPE: byte-level BPE round trip decode(encode(s)) == s.
func FuzzBPE(f *testing.F) {
	tok := fuzzTokenizer(f, "ggml-vocab-gpt-2.gguf")
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ids := tok.Encode(s, true, true)
		_ = tok.Decode(ids)
		if !utf8.ValidString(s) {
			return
		}
		plain := tok.Encode(s, false, false)
		if got := tok.DecodeWith(plain, DecodeOptions{NoCleanup: true}); got != s {
			t.Fatalf("round trip %q -> %v -> %q", s, plain, got)
		}
	})
}

// FuzzHFByteLevel: the llama3 tokenizer.json (byte-level BPE) never panics,
// with or without special-token parsing, and round-trips valid UTF-8.
func FuzzHFByteLevel(f *testing.F) {
	if _, ok := findData(filepath.Join("hf", "tokenizers", "llama3")); !ok {
		f.Skip("llama3 tokenizer.json not found")
	}
	tok := loadHF(f, "llama3")
	for _, s := range append(fuzzSeeds, "<|begin_of_text|>hi<|eot_id|>", "<|start_header_id|") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_ = tok.DecodeWith(tok.Encode(s, true, true), DecodeOptions{Special: true})
		if !utf8.ValidString(s) {
			return
		}
		ids := tok.Encode(s, false, false)
		if got := tok.Decode(ids); got != s {
			t.Fatalf("round trip %q -> %v -> %q", s, ids, got)
		}
	})
}

// FuzzHFFixtures: the WordPiece, Unigram (Precompiled, byte fallback) and
// RoBERTa fixtures never panic on any input, single or paired, and the
// byte-fallback Unigram decodes what it encodes to valid UTF-8.
func FuzzHFFixtures(f *testing.F) {
	var toks []*Tokenizer
	for _, name := range fixtureNames {
		tok, err := FromFile(filepath.Join("testdata", "hf", name+".json"))
		if err != nil {
			f.Fatal(err)
		}
		toks = append(toks, tok)
	}
	for _, s := range append(fuzzSeeds, "[CLS] AB CD [MASK]", "ＡＢＣ ﬁ e\u0301", "<s></s><mask>") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, tok := range toks {
			ids := tok.EncodePair(s, s, true, true)
			dec := tok.DecodeWith(ids, DecodeOptions{Special: true})
			if utf8.ValidString(s) && !utf8.ValidString(dec) {
				t.Fatalf("%q decodes to invalid UTF-8 %q", s, dec)
			}
			sd := tok.NewStreamDecoder()
			for _, id := range ids {
				sd.Push(id)
			}
			sd.Flush()
		}
	})
}
