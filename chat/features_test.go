package chat

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestFeatures renders each snippet of testdata/features.golden.json (made
// by testdata/gen_features.py with the Jinja2 oracle) and compares.
func TestFeatures(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "features.golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := DecodeJSON(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range v.(*List).Items {
		cd := c.(*Dict)
		name := dget(cd, "name").(string)
		t.Run(name, func(t *testing.T) {
			req := dget(cd, "request").(*Dict)
			want := dget(cd, "jinja2").(*Dict)
			o := optionsFromRequest(req)
			got, err := Apply(dget(req, "template").(string), o)
			if dget(want, "ok") == true {
				if err != nil {
					t.Fatalf("error %v, want %q", err, dget(want, "text"))
				}
				if w := dget(want, "text").(string); got != w {
					t.Fatalf("mismatch %s", firstDiff(got, w))
				}
				return
			}
			werr := dget(want, "error").(string)
			if err == nil {
				t.Fatalf("rendered %q, want error %q", got, werr)
			}
			// raise_exception's message must come through unchanged.
			if strings.HasPrefix(werr, "TemplateError: ") && err.Error() != werr {
				t.Fatalf("error %q, want %q", err, werr)
			}
		})
	}
}

// optionsFromRequest maps an oracle request (render_chat_template.py) to Options.
func optionsFromRequest(req *Dict) Options {
	o := Options{Messages: asList(dget(req, "messages")), AddGenerationPrompt: dget(req, "add_generation_prompt") == true}
	if tl, ok := dget(req, "tools").(*List); ok {
		o.Tools = tl.Items
	}
	if dl, ok := dget(req, "documents").(*List); ok {
		o.Documents = dl.Items
	}
	o.SpecialTokens = map[string]string{}
	if sd, ok := dget(req, "special_tokens").(*Dict); ok {
		for i, k := range sd.keys {
			o.SpecialTokens[k.(string)] = sd.vals[i].(string)
		}
	}
	o.Kwargs = map[string]any{}
	if kd, ok := dget(req, "kwargs").(*Dict); ok {
		for i, k := range kd.keys {
			o.Kwargs[k.(string)] = kd.vals[i]
		}
	}
	o.Now = time.Date(2024, 7, 26, 0, 0, 0, 0, time.UTC)
	if s, ok := dget(req, "now").(string); ok {
		if tm, err := time.Parse("2006-01-02T15:04:05", s); err == nil {
			o.Now = tm
		}
	}
	return o
}
