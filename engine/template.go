package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hearthlm/hearth/chat"
)

// RenderRequest is what a chat template is applied to.
type RenderRequest struct {
	Messages            []any // JSON values: *chat.Dict (ordered) or map[string]any
	Tools               []any // nil: no tools
	Kwargs              map[string]any
	AddGenerationPrompt bool
	Template            string // a named variant; "" picks as transformers does
	Now                 time.Time
}

// Render applies one of the templates to the request.
func Render(t chat.Templates, req RenderRequest) (string, error) {
	src, err := t.Pick(req.Template, len(req.Tools) > 0)
	if err != nil {
		return "", err
	}
	return chat.Apply(src, chat.Options{
		Messages: req.Messages, Tools: req.Tools, AddGenerationPrompt: req.AddGenerationPrompt,
		SpecialTokens: t.SpecialTokens, Kwargs: req.Kwargs, Now: req.Now,
	})
}

// LoadTemplates reads the chat templates of a model reference: a GGUF
// file, a Transformers folder, or a tokenizer.json (its folder's
// tokenizer_config.json holds the template).
func LoadTemplates(ref string) (chat.Templates, error) {
	if st, err := os.Stat(ref); err == nil && !strings.HasSuffix(strings.ToLower(ref), ".gguf") {
		dir := ref
		if !st.IsDir() {
			dir = filepath.Dir(ref)
		}
		return chat.TemplatesFromDir(dir)
	}
	f, err := openFile(ref)
	if err != nil {
		return chat.Templates{}, err
	}
	defer f.Close()
	return chat.TemplatesFromGGUF(f.Metadata), nil
}

func messageDicts(msgs []Message) []any {
	out := make([]any, len(msgs))
	for i, m := range msgs {
		d := chat.NewDict()
		d.Set("role", m.Role)
		d.Set("content", m.Content)
		out[i] = d
	}
	return out
}

// renderTokens applies the model's chat template to the messages with a
// generation prompt and tokenizes the result. Special-token texts in the
// rendered prompt (put there by the template) become their ids; BOS is
// added as the tokenizer says unless the template already wrote it.
func (m *Model) renderTokens(msgs []Message) ([]int32, error) {
	text, err := Render(m.Templates, RenderRequest{Messages: messageDicts(msgs), AddGenerationPrompt: true})
	if err != nil {
		return nil, fmt.Errorf("chat template: %w", err)
	}
	ids := m.Tokenizer.Encode(text, true, true)
	if bos := m.Tokenizer.BOS(); len(ids) >= 2 && bos >= 0 && ids[0] == bos && ids[1] == bos {
		ids = ids[1:]
	}
	return ids, nil
}
