package chat

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzRender parses and renders random templates with a fixed conversation.
// It must never panic or hang; errors are fine. Limits are kept small so a
// runaway template stops quickly.
func FuzzRender(f *testing.F) {
	seeds := []string{
		"{% for m in messages %}{{ m.role }}: {{ m.content | trim }}\n{% endfor %}",
		"{%- if tools %}{{ tools | tojson(indent=2) }}{% endif -%}{{ bos_token }}",
		"{% set ns = namespace(a=0) %}{% for i in range(3) %}{% set ns.a = ns.a + i %}{% endfor %}{{ ns.a }}",
		"{% macro m(x, y=2) %}{{ x ~ y ~ varargs ~ kwargs }}{% endmacro %}{{ m(1, 3, 4, z=5) }}",
		"{{ 'abc'[::-1] }}{{ [1,2,3] | map('string') | join(',') }}{{ {'a': 1}.items() | list }}",
		"{% for x in [[1],[2,[3]]] recursive %}{{ loop.depth }}{% if x is iterable %}{{ loop(x) }}{% endif %}{% endfor %}",
		"{{ '%s-%05.2f' % ('a', 3.14159) }}{{ '{:>5}'.format('x') }}",
		"{% raw %}{{ x }}{% endraw %}{# c #}{{ x | default('d') }}",
		"{% call(a) m() %}{{ a }}{% endcall %}",
		"{% filter upper %}x{% endfilter %}{% generation %}y{% endgeneration %}",
		"{{ messages[-1].content.split(' ')[0] | upper }}{{ raise_exception('boom') }}",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	// The real templates in testdata are seeds too.
	files, _ := filepath.Glob(filepath.Join("testdata", "templates", "*", "*.jinja"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(string(b))
		}
	}
	msgs, _ := DecodeJSON([]byte(`[{"role":"system","content":"sys"},{"role":"user","content":"hi there"},
		{"role":"assistant","content":"ok","tool_calls":[{"type":"function","function":{"name":"f","arguments":{"a":1}}}]},
		{"role":"user","content":[{"type":"text","text":"t"}]}]`))
	tools, _ := DecodeJSON([]byte(`[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}]`))
	f.Fuzz(func(t *testing.T, src string) {
		tmpl, err := Parse(src)
		if err != nil {
			return
		}
		start := time.Now()
		_, err = tmpl.Render(Options{
			Messages: msgs.(*List).Items, Tools: tools.(*List).Items, AddGenerationPrompt: true,
			SpecialTokens: map[string]string{"bos_token": "<s>", "eos_token": "</s>"},
			Now:           time.Date(2024, 7, 26, 0, 0, 0, 0, time.UTC),
			MaxOutput:     1 << 20, MaxSteps: 200_000,
		})
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("render took %v", d)
		}
		var le *LimitError
		_ = errors.As(err, &le)
	})
}
