package chat

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hearthlm/hearth/gguf"
)

// Templates are the chat templates a model ships: a default one and any
// named variants (such as "tool_use"), with the special-token texts the
// templates refer to.
type Templates struct {
	Default string
	Named   map[string]string
	// SpecialTokens holds bos_token, eos_token, unk_token, pad_token as
	// template variables.
	SpecialTokens map[string]string
}

// Empty reports whether the model has no chat template at all.
func (t Templates) Empty() bool { return t.Default == "" && len(t.Named) == 0 }

// Names lists the named variants, sorted.
func (t Templates) Names() []string {
	var n []string
	for k := range t.Named {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

// Pick returns the template to use: the named one if name is given, else
// "tool_use" when tools are offered and the model has such a variant
// (as transformers does), else the default.
func (t Templates) Pick(name string, tools bool) (string, error) {
	if name != "" && name != "default" {
		if s, ok := t.Named[name]; ok {
			return s, nil
		}
		return "", fmt.Errorf("chat: the model has no chat template named %q (it has: default %v)", name, t.Names())
	}
	if tools {
		if s, ok := t.Named["tool_use"]; ok {
			return s, nil
		}
	}
	if t.Default != "" {
		return t.Default, nil
	}
	if len(t.Named) > 0 {
		return "", fmt.Errorf("chat: the model has no default chat template; pick one of %v", t.Names())
	}
	return "", fmt.Errorf("chat: the model has no chat template")
}

// TemplatesFromGGUF reads tokenizer.chat_template and the named variants
// tokenizer.chat_template.NAME, and the special-token texts.
func TemplatesFromGGUF(md gguf.Metadata) Templates {
	t := Templates{Named: map[string]string{}, SpecialTokens: map[string]string{}}
	t.Default, _ = md.String("tokenizer.chat_template")
	const prefix = "tokenizer.chat_template."
	for _, kv := range md {
		if strings.HasPrefix(kv.Key, prefix) {
			if s, ok := kv.Value.V.(string); ok {
				t.Named[strings.TrimPrefix(kv.Key, prefix)] = s
			}
		}
	}
	if toks, ok := md.Strings("tokenizer.ggml.tokens"); ok {
		for _, name := range []string{"bos", "eos", "unknown", "padding"} {
			if id, ok := md.Uint("tokenizer.ggml." + name + "_token_id"); ok && id < uint64(len(toks)) {
				v := name
				switch name {
				case "unknown":
					v = "unk"
				case "padding":
					v = "pad"
				}
				t.SpecialTokens[v+"_token"] = toks[id]
			}
		}
	}
	return t
}

// TemplatesFromDir reads a Transformers model folder: chat_template.jinja,
// chat_template.json, or the chat_template field of tokenizer_config.json
// (a string, or a list of {"name", "template"}), and the special tokens of
// tokenizer_config.json.
func TemplatesFromDir(dir string) (Templates, error) {
	t := Templates{Named: map[string]string{}, SpecialTokens: map[string]string{}}
	if b, err := os.ReadFile(filepath.Join(dir, "tokenizer_config.json")); err == nil {
		var cfg map[string]json.RawMessage
		if err := json.Unmarshal(b, &cfg); err != nil {
			return t, fmt.Errorf("chat: %s: %v", filepath.Join(dir, "tokenizer_config.json"), err)
		}
		if raw, ok := cfg["chat_template"]; ok {
			if err := t.addField(raw); err != nil {
				return t, fmt.Errorf("chat: tokenizer_config.json chat_template: %v", err)
			}
		}
		for _, name := range []string{"bos_token", "eos_token", "unk_token", "pad_token"} {
			if raw, ok := cfg[name]; ok {
				if s, ok := tokenText(raw); ok {
					t.SpecialTokens[name] = s
				}
			}
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "chat_template.json")); err == nil {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(b, &obj); err != nil {
			return t, fmt.Errorf("chat: chat_template.json: %v", err)
		}
		if raw, ok := obj["chat_template"]; ok {
			if err := t.addField(raw); err != nil {
				return t, fmt.Errorf("chat: chat_template.json: %v", err)
			}
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "chat_template.jinja")); err == nil {
		t.Default = string(b)
	}
	return t, nil
}

func (t *Templates) addField(raw json.RawMessage) error {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		t.Default = s
		return nil
	}
	var list []struct {
		Name     string `json:"name"`
		Template string `json:"template"`
	}
	if err := json.Unmarshal(raw, &list); err != nil {
		return fmt.Errorf("want a string or a list of {name, template}")
	}
	for _, e := range list {
		if e.Name == "default" {
			t.Default = e.Template
		} else {
			t.Named[e.Name] = e.Template
		}
	}
	return nil
}

// tokenText reads a special token given as a string or as an AddedToken
// object {"content": ...}.
func tokenText(raw json.RawMessage) (string, bool) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, true
	}
	var obj struct {
		Content *string `json:"content"`
	}
	if json.Unmarshal(raw, &obj) == nil && obj.Content != nil {
		return *obj.Content, true
	}
	return "", false
}
