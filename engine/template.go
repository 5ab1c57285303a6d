package engine

import "fmt"

// renderTokens applies the model's chat template to the messages with a
// generation prompt and tokenizes the result.
func (m *Model) renderTokens(msgs []Message) ([]int32, error) {
	return nil, fmt.Errorf("engine: chat templates are not wired yet")
}
