package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/hearthlm/hearth/chat"
	"github.com/hearthlm/hearth/engine"
)

func renderCmd() *cobra.Command {
	var messages, tools, kwargs, name string
	var noGen bool
	c := &cobra.Command{
		Use:   "render MODEL --messages F.json [--tools F.json] [--kwargs JSON] [--no-generation-prompt]",
		Short: "Print the prompt a model's chat template makes of a conversation",
		Long: `Apply the model's own chat template (from the GGUF file, or tokenizer_config.json /
chat_template.jinja beside a tokenizer.json) to the messages and print the exact
prompt, with nothing added. A template that raises prints its message and exits 1.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if messages == "" {
				return fmt.Errorf("--messages F.json is required")
			}
			tpl, err := engine.LoadTemplates(args[0])
			if err != nil {
				return err
			}
			req := engine.RenderRequest{AddGenerationPrompt: !noGen, Template: name}
			msgs, err := readJSONList(messages, "messages")
			if err != nil {
				return err
			}
			req.Messages = msgs
			if tools != "" {
				if req.Tools, err = readJSONList(tools, "tools"); err != nil {
					return err
				}
			}
			if kwargs != "" {
				v, err := chat.DecodeJSON([]byte(kwargs))
				if err != nil {
					return fmt.Errorf("--kwargs: %v", err)
				}
				d, ok := v.(*chat.Dict)
				if !ok {
					return fmt.Errorf("--kwargs must be a JSON object")
				}
				req.Kwargs = map[string]any{}
				for _, k := range d.Keys() {
					req.Kwargs[fmt.Sprint(k)], _ = d.Get(k)
				}
			}
			out, err := engine.Render(tpl, req)
			if err != nil {
				return err
			}
			_, err = os.Stdout.WriteString(out)
			return err
		},
	}
	c.Flags().StringVar(&messages, "messages", "", "JSON file with the list of messages (or an object with a \"messages\" list)")
	c.Flags().StringVar(&tools, "tools", "", "JSON file with the list of tools")
	c.Flags().StringVar(&kwargs, "kwargs", "", "extra template variables as a JSON object, e.g. '{\"enable_thinking\":false}'")
	c.Flags().StringVar(&name, "template", "", "a named template variant (e.g. tool_use)")
	c.Flags().BoolVar(&noGen, "no-generation-prompt", false, "do not add the assistant's generation prompt")
	return c
}

// readJSONList reads a file holding a JSON list, or an object whose field
// key holds one, keeping the key order of objects.
func readJSONList(path, key string) ([]any, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if !json.Valid(b) {
		return nil, fmt.Errorf("%s: not valid JSON", path)
	}
	v, err := chat.DecodeJSON(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if d, ok := v.(*chat.Dict); ok {
		if inner, ok := d.Get(key); ok {
			v = inner
		}
	}
	l, ok := v.(*chat.List)
	if !ok {
		return nil, fmt.Errorf("%s: want a JSON list of %s", path, key)
	}
	return l.Items, nil
}
