package chat

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// sharedTestdata is the team corpus, absent in a fresh clone.
var sharedTestdata = filepath.Join("..", "..", "shared", "testdata")

// goldenCase is one template x conversation rendered by Jinja2.
type goldenCase struct {
	Name  string
	Conv  string
	Src   string
	Opts  Options
	OK    bool
	Text  string
	Error string
}

func dget(d *Dict, k string) any {
	v, _ := d.Get(k)
	return v
}

func asList(v any) []any {
	if l, ok := v.(*List); ok {
		return l.Items
	}
	return nil
}

// loadGolden reads a golden file in the format of
// shared/oracles/make_template_golden.py; src resolves the template text.
func loadGolden(path string, src func(name string) (string, error)) ([]goldenCase, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	v, err := DecodeJSON(data)
	if err != nil {
		return nil, err
	}
	d := v.(*Dict)
	name := dget(d, "template").(string)
	text, err := src(name)
	if err != nil {
		return nil, err
	}
	st := map[string]string{}
	if sd, ok := dget(d, "special_tokens").(*Dict); ok {
		for i, k := range sd.keys {
			st[k.(string)] = sd.vals[i].(string)
		}
	}
	now := time.Date(2024, 7, 26, 0, 0, 0, 0, time.UTC)
	if s, ok := dget(d, "now").(string); ok {
		if t, err := time.Parse("2006-01-02T15:04:05", s); err == nil {
			now = t
		}
	}
	var out []goldenCase
	for _, c := range asList(dget(d, "cases")) {
		cd := c.(*Dict)
		j := dget(cd, "jinja2").(*Dict)
		gc := goldenCase{Name: name, Conv: fmt.Sprint(dget(cd, "conversation")), Src: text}
		gc.Opts = Options{
			Messages:            asList(dget(cd, "messages")),
			AddGenerationPrompt: dget(cd, "add_generation_prompt") == true,
			SpecialTokens:       st,
			Now:                 now,
		}
		if tl, ok := dget(cd, "tools").(*List); ok {
			gc.Opts.Tools = tl.Items
		}
		if kw, ok := dget(cd, "kwargs").(*Dict); ok {
			gc.Opts.Kwargs = map[string]any{}
			for i, k := range kw.keys {
				gc.Opts.Kwargs[k.(string)] = kw.vals[i]
			}
		}
		gc.OK = dget(j, "ok") == true
		if gc.OK {
			gc.Text = dget(j, "text").(string)
		} else {
			gc.Error, _ = dget(j, "error").(string)
		}
		out = append(out, gc)
	}
	return out, nil
}

// corpusSource resolves template names of the shared corpus.
func corpusSource(root string) func(string) (string, error) {
	return func(name string) (string, error) {
		if base, rest, ok := strings.Cut(name, "#"); ok {
			idx, _ := strconv.Atoi(strings.SplitN(rest, ":", 2)[0])
			f, err := os.Open(filepath.Join(root, "templates", base))
			if err != nil {
				return "", err
			}
			defer f.Close()
			sc := bufio.NewScanner(f)
			sc.Buffer(make([]byte, 1<<20), 1<<24)
			for i := 0; sc.Scan(); i++ {
				if i == idx {
					v, err := DecodeJSON(sc.Bytes())
					if err != nil {
						return "", err
					}
					d := v.(*Dict)
					return d.vals[0].(string), nil
				}
			}
			return "", fmt.Errorf("line %d not found in %s", idx, base)
		}
		b, err := os.ReadFile(filepath.Join(root, "templates", name))
		return string(b), err
	}
}

func checkCase(gc goldenCase) (bool, string) {
	got, err := Apply(gc.Src, gc.Opts)
	if gc.OK {
		if err != nil {
			return false, fmt.Sprintf("error %v, want text", err)
		}
		if got != gc.Text {
			return false, "mismatch: " + firstDiff(got, gc.Text)
		}
		return true, ""
	}
	if err == nil {
		return false, fmt.Sprintf("rendered, want error %q", gc.Error)
	}
	return true, ""
}

func firstDiff(got, want string) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	lo := max(0, i-40)
	return fmt.Sprintf("at byte %d:\n got: %q\nwant: %q", i, got[lo:min(len(got), i+60)], want[lo:min(len(want), i+60)])
}

func TestCorpus(t *testing.T) {
	dir := filepath.Join(sharedTestdata, "golden", "chat_templates")
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) == 0 {
		t.Skipf("shared corpus not found at %s (it lives outside the repository)", dir)
	}
	sort.Strings(files)
	pass, total := 0, 0
	var fails []string
	for _, f := range files {
		cases, err := loadGolden(f, corpusSource(sharedTestdata))
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		for _, gc := range cases {
			total++
			ok, why := checkCase(gc)
			if ok {
				pass++
			} else {
				fails = append(fails, fmt.Sprintf("%s [%s]: %s", gc.Name, gc.Conv, why))
			}
		}
	}
	for _, f := range fails {
		t.Error(f)
	}
	t.Logf("corpus: %d/%d cases identical to Jinja2", pass, total)
}
