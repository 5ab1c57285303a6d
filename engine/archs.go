package engine

// The architectures beyond llama register themselves with the model
// package when imported.
import (
	_ "github.com/hearthlm/hearth/model/gemma"
	_ "github.com/hearthlm/hearth/model/phi3"
	_ "github.com/hearthlm/hearth/model/qwen2"
	_ "github.com/hearthlm/hearth/model/qwen3"
)
