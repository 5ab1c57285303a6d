package tokenizer

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

var fixtureNames = []string{"bert-wordpiece", "wordpiece-seq", "unigram-precompiled", "unigram-bytefallback", "roberta-bpe"}

// TestHFFixtures checks the hand-written tokenizer.json files in
// testdata/hf (WordPiece, Unigram, Precompiled, BertNormalizer, Bert and
// Roberta processing, pairs…) against the Rust library's ids and decoded
// text; see testdata/README.md.
func TestHFFixtures(t *testing.T) {
	for _, name := range fixtureNames {
		tok, err := FromFile(filepath.Join("testdata", "hf", name+".json"))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, mode := range []string{"plain", "special"} {
			t.Run(name+"/"+mode, func(t *testing.T) {
				cases := readJSONL(t, filepath.Join("testdata", "hf", name+"."+mode+".jsonl"))
				pass := 0
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
		t.Run(name+"/pairs", func(t *testing.T) {
			f, err := os.Open(filepath.Join("testdata", "hf", name+".pairs.jsonl"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			sc := bufio.NewScanner(f)
			pass, n := 0, 0
			for sc.Scan() {
				var g struct {
					Text, Pair string
					IDs        []int32
				}
				if err := json.Unmarshal(sc.Bytes(), &g); err != nil {
					t.Fatal(err)
				}
				n++
				if got := tok.EncodePair(g.Text, g.Pair, true, true); !slices.Equal(got, g.IDs) {
					t.Errorf("%q + %q:\n got %v\nwant %v", g.Text, g.Pair, got, g.IDs)
				} else {
					pass++
				}
			}
			t.Logf("%s pairs: %d/%d", name, pass, n)
		})
	}
}
