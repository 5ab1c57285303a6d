package tokenizer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dlclark/regexp2"
)

var scanSeeds = []string{
	"Hello world", "  a\n\n\tb  \r\n x", "it's I'M we'Re they'LL 'x 'S", "1 12 123 1234 12345",
	"你好，世界！", "Привет, мир!", "\u00a0\u2003x\u3000 ", "a\u0301b ²³ ①② ٣٤", "🦙!!\n\n  ", "   \n", " ", "'", "x'", "\r\n\r\n",
	"$$$ ...\n\nfoo", "\x85\x85 a",
}

// checkScan compares the hand-written scanner with the regex engine.
func checkScan(t *testing.T, s string) {
	rs := []rune(s)
	for expr, m := range fastPatterns {
		re := regexMatcher{regexp2.MustCompile(expr, regexp2.None)}
		want := re.find(rs, nil)
		got := m.find(rs, nil)
		if !slices.Equal(got, want) {
			t.Fatalf("%q with %q:\n scanner %v\n regex   %v", s, expr, got, want)
		}
	}
}

func TestScanMatchesRegex(t *testing.T) {
	inputs := append([]string(nil), scanSeeds...)
	if p, ok := findData(filepath.Join("golden", "tokenizer_strings.json")); ok {
		raw, _ := os.ReadFile(p)
		var more []string
		_ = json.Unmarshal(raw, &more)
		inputs = append(inputs, more...)
	}
	if p, ok := findData("ggml-vocab-llama-spm.gguf.inp"); ok {
		raw, _ := os.ReadFile(p)
		inputs = append(inputs, strings.Split(string(raw), "\n__ggml_vocab_test__\n")...)
	}
	for _, s := range inputs {
		checkScan(t, s)
	}
}

func FuzzScan(f *testing.F) {
	for _, s := range scanSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkScan(t, s) })
}
