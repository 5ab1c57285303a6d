package chat

import (
	"path/filepath"
	"testing"
)

// TestLocalCorpus runs the copy of part of the corpus kept in testdata/ so
// that a fresh clone checks real templates against Jinja2 too.
func TestLocalCorpus(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "golden", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no goldens in testdata/golden: %v", err)
	}
	pass, total := 0, 0
	for _, f := range files {
		cases, err := loadGolden(f, corpusSource("testdata"))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, gc := range cases {
			total++
			if ok, why := checkCase(gc); !ok {
				t.Errorf("%s [%s]: %s", gc.Name, gc.Conv, why)
			} else {
				pass++
			}
		}
	}
	t.Logf("local corpus: %d/%d", pass, total)
}
