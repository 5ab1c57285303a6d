package engine

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hearthlm/hearth/chat"
)

// TestRenderFromTokenizerFolder loads the chat template the way `hearth
// render` does, from a tokenizer folder's tokenizer_config.json, and checks
// Jinja2's output (the golden made by ../shared/oracles/make_template_golden.py).
func TestRenderFromTokenizerFolder(t *testing.T) {
	hf := sharedDir(t, "hf")
	gold := filepath.Join("..", "..", "shared", "testdata", "golden", "chat_templates")
	for _, name := range []string{"qwen3", "llama3_1", "gemma3", "deepseek_v3"} {
		t.Run(name, func(t *testing.T) {
			tpl, err := LoadTemplates(filepath.Join(hf, "tokenizers", name, "tokenizer.json"))
			if err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(filepath.Join(gold, "hf__"+name+".jinja.json"))
			if err != nil {
				t.Fatal(err)
			}
			var g struct {
				SpecialTokens map[string]string `json:"special_tokens"`
				Cases         []struct {
					Conversation        string          `json:"conversation"`
					AddGenerationPrompt bool            `json:"add_generation_prompt"`
					Messages            json.RawMessage `json:"messages"`
					Tools               json.RawMessage `json:"tools"`
					Jinja2              struct {
						OK   bool   `json:"ok"`
						Text string `json:"text"`
					} `json:"jinja2"`
				} `json:"cases"`
			}
			if err := json.Unmarshal(b, &g); err != nil {
				t.Fatal(err)
			}
			// The goldens were rendered with the special tokens recorded in
			// the file; use them so that only the template source differs.
			tpl.SpecialTokens = g.SpecialTokens
			for _, c := range g.Cases {
				msgs, err := chat.DecodeJSON(c.Messages)
				if err != nil {
					t.Fatal(err)
				}
				req := RenderRequest{Messages: msgs.(*chat.List).Items, AddGenerationPrompt: c.AddGenerationPrompt}
				if string(c.Tools) != "null" && len(c.Tools) > 0 {
					tools, err := chat.DecodeJSON(c.Tools)
					if err != nil {
						t.Fatal(err)
					}
					req.Tools = tools.(*chat.List).Items
				}
				req.Now = mustTime(t, "2024-07-26T00:00:00Z")
				got, err := Render(tpl, req)
				if !c.Jinja2.OK {
					if err == nil {
						t.Errorf("%s: Jinja2 raised, we rendered", c.Conversation)
					}
					continue
				}
				if err != nil {
					t.Errorf("%s: %v", c.Conversation, err)
				} else if got != c.Jinja2.Text {
					t.Errorf("%s:\n got %q\nwant %q", c.Conversation, got, c.Jinja2.Text)
				}
			}
		})
	}
}

func mustTime(t *testing.T, s string) (tm time.Time) {
	t.Helper()
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}
