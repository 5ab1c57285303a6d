package engine

// PromptTokens turns a one-shot prompt into tokens. Models without a chat
// template (or with raw set) continue the text as is, with BOS added as
// the tokenizer says; chat models get the prompt as a user message.
func (m *Model) PromptTokens(prompt, system string, raw bool) ([]int32, error) {
	c := m.NewConversation(system, raw)
	return c.User(prompt)
}

// Message is one turn of a conversation.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// Conversation accumulates the turns of a chat and turns them into the
// prompt tokens for the next answer.
type Conversation struct {
	m        *Model
	raw      bool
	system   string
	messages []Message
}

// NewConversation starts a conversation. With raw set, or for a model
// without a chat template, turns are plain text continued by the model.
func (m *Model) NewConversation(system string, raw bool) *Conversation {
	c := &Conversation{m: m, raw: raw || m.Templates.Empty(), system: system}
	c.Clear()
	return c
}

// Templated reports whether turns are formatted by the chat template.
func (c *Conversation) Templated() bool { return !c.raw }

// Clear forgets all turns but the system message.
func (c *Conversation) Clear() {
	c.messages = c.messages[:0]
	if c.system != "" {
		c.messages = append(c.messages, Message{Role: "system", Content: c.system})
	}
}

// User adds a user turn and returns the tokens of the whole prompt that
// asks for the next answer.
func (c *Conversation) User(text string) ([]int32, error) {
	if c.raw {
		// Plain completion: each turn is a new prompt of its own.
		return c.m.Tokenizer.Encode(text, true, false), nil
	}
	c.messages = append(c.messages, Message{Role: "user", Content: text})
	return c.m.renderTokens(c.messages)
}

// Assistant records the model's answer.
func (c *Conversation) Assistant(text string) {
	if c.raw {
		return
	}
	c.messages = append(c.messages, Message{Role: "assistant", Content: text})
}
