package sample

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// toyVocab has every printable byte, some multi-byte pieces and an
// end-of-generation token (id 0).
func toyVocab() [][]byte {
	v := [][]byte{nil}
	for c := 0x20; c < 0x7f; c++ {
		v = append(v, []byte{byte(c)})
	}
	for _, s := range []string{`{"`, `":`, `",`, `"}`, `true`, `false`, `null`, `name`, `age`, ` {`, `12`, `.5`, `e+`, "\n", `é`, `"tags":["`, `"]}`} {
		v = append(v, []byte(s))
	}
	return v
}

func generate(t *testing.T, g *Grammar, seed uint64) string {
	t.Helper()
	vocab := toyVocab()
	m := g.NewMatcher(vocab, func(id int32) bool { return id == 0 })
	rng := rand.New(rand.NewPCG(seed, 1))
	smp := New(Params{Temperature: 1, Seed: seed})
	var out strings.Builder
	logits := make([]float32, len(vocab))
	for range 400 {
		for i := range logits {
			logits[i] = float32(rng.NormFloat64() * 2)
		}
		if len(out.String()) > 60 {
			logits[0] = 8 // push towards the end
			for i, p := range vocab {
				if string(p) == "}" || string(p) == "]" || string(p) == `"` {
					logits[i] = 6
				}
			}
		}
		m.Mask(logits)
		allowed := false
		for _, l := range logits {
			if !math.IsInf(float64(l), -1) {
				allowed = true
			}
		}
		if !allowed {
			t.Fatalf("no token allowed after %q", out.String())
		}
		tok := smp.Sample(logits, nil)
		if tok == 0 {
			if !m.Complete() {
				t.Fatalf("end of generation allowed after %q", out.String())
			}
			return out.String()
		}
		out.Write(vocab[tok])
		if m.Accept(tok) {
			return out.String()
		}
	}
	return out.String()
}

func TestGrammarJSONObject(t *testing.T) {
	g := JSONObjectGrammar()
	done := 0
	for seed := range uint64(40) {
		s := generate(t, g, seed)
		var v map[string]any
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			if len(s) >= 300 { // did not finish in the token budget
				continue
			}
			t.Errorf("seed %d: %q is not a JSON object: %v", seed, s, err)
		}
		done++
	}
	if done < 20 {
		t.Errorf("only %d of 40 generations finished", done)
	}
}

func TestGrammarSchema(t *testing.T) {
	schema := `{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"},
		"kind":{"enum":["cat","dog",3]},"ok":{"type":"boolean"},"tags":{"type":"array","items":{"type":"string"},"maxItems":2},
		"score":{"type":"number"}},"required":["name","age","kind"],"additionalProperties":false}`
	g, err := CompileJSONSchema([]byte(schema))
	if err != nil {
		t.Fatal(err)
	}
	finished := 0
	for seed := range uint64(40) {
		s := generate(t, g, seed)
		var v map[string]any
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			continue // ran out of tokens inside a string
		}
		finished++
		if _, ok := v["name"].(string); !ok {
			t.Errorf("%q: name", s)
		}
		if a, ok := v["age"].(float64); !ok || a != math.Trunc(a) {
			t.Errorf("%q: age", s)
		}
		if k := v["kind"]; k != "cat" && k != "dog" && k != 3.0 {
			t.Errorf("%q: kind %v", s, k)
		}
		if tags, ok := v["tags"]; ok && len(tags.([]any)) > 2 {
			t.Errorf("%q: tags", s)
		}
		for k := range v {
			if !strings.Contains(schema, `"`+k+`"`) {
				t.Errorf("%q: extra key %q", s, k)
			}
		}
		if i, j := strings.Index(s, `"name"`), strings.Index(s, `"age"`); i > j {
			t.Errorf("%q: properties out of schema order", s)
		}
	}
	if finished < 5 {
		t.Errorf("only %d of 40 generations finished", finished)
	}
}

func TestGrammarUnsupported(t *testing.T) {
	for schema, want := range map[string]string{
		`{"type":"string","pattern":"a+"}`:                                    "pattern",
		`{"anyOf":[{"type":"string"}],"minLength":2}`:                         "anyOf, minLength",
		`{"type":"object","properties":{"a":{"$ref":"#/x"}}}`:                 "#/properties/a: unsupported keywords: $ref",
		`{"type":["string","null"]}`:                                          "single type",
		`{"type":"object","properties":{"a":{}},"additionalProperties":true}`: "additionalProperties",
		`not json`: "json schema",
	} {
		_, err := CompileJSONSchema([]byte(schema))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error naming %q", schema, err, want)
		}
	}
}

func TestGrammarByBytes(t *testing.T) {
	g, err := CompileJSONSchema([]byte(`{"type":"object","properties":{"a":{"type":"number"},"b":{"const":"x"}},"required":["b"]}`))
	if err != nil {
		t.Fatal(err)
	}
	for doc, ok := range map[string]bool{
		`{"b":"x"}`: true, `{"a":-1.5e+3,"b":"x"}`: true, `{"a":1}`: false, `{"b":"y"}`: false,
		`{"b":"x","a":1}`: false, `{"a":01,"b":"x"}`: false, `{"c":1,"b":"x"}`: false, `{"a":1.,"b":"x"}`: false,
	} {
		if got := accepts(g, doc); got != ok {
			t.Errorf("%s: accepted %v, want %v", doc, got, ok)
		}
	}
}

// accepts feeds doc to a matcher byte by byte, each step checked against
// Mask, and reports whether the whole of it is a complete output.
func accepts(g *Grammar, doc string) bool {
	vocab := [][]byte{nil}
	for c := range 256 {
		vocab = append(vocab, []byte{byte(c)})
	}
	m := g.NewMatcher(vocab, func(id int32) bool { return id == 0 })
	logits := make([]float32, len(vocab))
	for i := range len(doc) {
		tok := int32(doc[i]) + 1
		clear(logits)
		m.Mask(logits)
		if math.IsInf(float64(logits[tok]), -1) {
			return false
		}
		if m.Accept(tok) && i != len(doc)-1 {
			return false // finished early
		}
	}
	return m.Complete()
}

func TestGrammarSequenceChoice(t *testing.T) {
	call := func(name, params string) *Grammar {
		g, err := CompileJSONSchema([]byte(`{"type":"object","properties":{"name":{"const":"` + name + `"},"arguments":` + params + `},"required":["name","arguments"]}`))
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	g := Sequence(Literal("<tool_call>\n"), Choice(
		call("get_weather", `{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}`),
		call("get_time", `{"type":"object","properties":{"zone":{"type":"integer"}}}`),
	), Literal("\n</tool_call>"))
	for doc, ok := range map[string]bool{
		"<tool_call>\n{\"name\":\"get_weather\",\"arguments\":{\"city\":\"Paris\"}}\n</tool_call>": true,
		"<tool_call>\n{\"name\":\"get_time\",\"arguments\":{}}\n</tool_call>":                      true,
		"<tool_call>\n{\"name\":\"get_time\",\"arguments\":{\"zone\":2}}\n</tool_call>":            true,
		"<tool_call>\n{\"name\":\"get_time\",\"arguments\":{\"city\":\"x\"}}\n</tool_call>":        false,
		"<tool_call>\n{\"name\":\"get_weather\",\"arguments\":{}}\n</tool_call>":                   false,
		"<tool_call>\n{\"name\":\"get_date\",\"arguments\":{}}\n</tool_call>":                      false,
		"<tool_call>\n{\"name\":\"get_time\",\"arguments\":{}}\n</tool_call":                       false,
		"<tool_call>\n{\"name\":\"get_time\",\"arguments\":{}}":                                    false,
		"{\"name\":\"get_time\",\"arguments\":{}}":                                                 false,
	} {
		if got := accepts(g, doc); got != ok {
			t.Errorf("%q: accepted %v, want %v", doc, got, ok)
		}
	}
	// A number last: the document may end on it.
	n, _ := CompileJSONSchema([]byte(`{"type":"integer"}`))
	g = Sequence(Literal("n="), n)
	for doc, ok := range map[string]bool{"n=12": true, "n=": false, "n=1.5": false, "12": false} {
		if got := accepts(g, doc); got != ok {
			t.Errorf("%q: accepted %v, want %v", doc, got, ok)
		}
	}
	// One alternative a prefix of another.
	g = Choice(Literal("ab"), Literal("abc"))
	for doc, ok := range map[string]bool{"ab": true, "abc": true, "abcd": false, "a": false} {
		if got := accepts(g, doc); got != ok {
			t.Errorf("%q: accepted %v, want %v", doc, got, ok)
		}
	}
	if !accepts(Sequence(Literal(""), Literal("x")), "x") {
		t.Error("an empty literal in a sequence")
	}
}
