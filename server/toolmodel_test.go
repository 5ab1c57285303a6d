package server

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/hearthlm/hearth/convert"
	"github.com/hearthlm/hearth/gguf"
	"github.com/hearthlm/hearth/internal/testmodel"
)

// toolSpec is a qwen3-shaped model small enough to run in a test: the real
// Qwen3 tokenizer and chat template (Hermes tool calls, think blocks) when
// the shared corpus is beside the checkout, else a byte-level vocabulary
// with hermesTemplate.
var toolSpec = func() testmodel.Spec {
	s := testmodel.TinyQwen3
	s.Name, s.Embd, s.Layers, s.Heads, s.KVHeads, s.HeadDim, s.FFN = "tool qwen3 (random)", 64, 1, 2, 1, 32, 128
	s.Tokenizer, s.Vocab = "qwen3", 151936
	if testmodel.SharedTokenizer("qwen3") == "" {
		s.Tokenizer, s.Vocab = "", 512
	}
	return s
}()

// hermesTemplate is a minimal Qwen-style template with Hermes tool calls,
// for when the real one is not at hand.
const hermesTemplate = `{%- if tools %}<|im_start|>system
# Tools

<tools>{% for tool in tools %}
{{ tool | tojson }}{% endfor %}
</tools>

For each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:
<tool_call>
{"name": <function-name>, "arguments": <args-json-object>}
</tool_call><|im_end|>
{% endif %}{%- for message in messages %}<|im_start|>{{ message.role }}
{% if message.content %}{{ message.content }}{% endif %}{% if message.tool_calls %}{% for tc in message.tool_calls %}
<tool_call>
{"name": "{{ tc.function.name }}", "arguments": {{ tc.function.arguments | tojson }}}
</tool_call>{% endfor %}{% endif %}<|im_end|>
{% endfor %}{%- if add_generation_prompt %}<|im_start|>assistant
{% endif %}`

var (
	toolModelOnce sync.Once
	toolModelPath string
	toolModelErr  error
	toolModelDir  string
)

// toolModel writes the tool-capable test model once per test binary and
// returns its path (its name, "toolqwen", is the model name).
func toolModel(t testing.TB) string {
	t.Helper()
	toolModelOnce.Do(func() {
		toolModelDir, toolModelErr = os.MkdirTemp("", "hearth-server-test-")
		if toolModelErr != nil {
			return
		}
		raw := filepath.Join(toolModelDir, "raw.gguf")
		toolModelPath = filepath.Join(toolModelDir, "toolqwen.gguf")
		if toolModelErr = testmodel.WriteGGUF(raw, toolSpec, gguf.TypeF16, 7); toolModelErr != nil {
			return
		}
		toolModelErr = withTemplate(raw, toolModelPath, hermesTemplate)
		os.Remove(raw)
	})
	if toolModelErr != nil {
		t.Fatal(toolModelErr)
	}
	return toolModelPath
}

// withTemplate copies a GGUF file, adding tmpl as its chat template when it
// has none.
func withTemplate(src, dst, tmpl string) error {
	f, err := gguf.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	md := append(gguf.Metadata(nil), f.Metadata...)
	if _, ok := md.String("tokenizer.chat_template"); !ok {
		md = append(md, gguf.KV{Key: "tokenizer.chat_template", Value: gguf.Value{Type: gguf.String, V: tmpl}})
	}
	out := make([]convert.OutTensor, len(f.Tensors))
	for i, ti := range f.Tensors {
		out[i] = convert.OutTensor{Name: ti.Name, Shape: ti.Shape, Type: ti.Type}
	}
	return convert.WriteStream(dst, md, out, func(i int, dst []byte) error {
		copy(dst, f.Data(&f.Tensors[i]))
		return nil
	})
}

func TestMain(m *testing.M) {
	code := m.Run()
	if toolModelDir != "" {
		os.RemoveAll(toolModelDir)
	}
	os.Exit(code)
}
