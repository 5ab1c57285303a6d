// Package demo embeds the built-in demo model, so that a fresh install of
// hearth runs offline: stories260K, Andrej Karpathy's 260K-parameter llama
// trained on TinyStories (MIT license), as a GGUF v3 file.
package demo

import _ "embed"

// GGUF is the stories260K model file.
//
//go:embed stories260K.gguf
var GGUF []byte

// Name is how the CLI refers to the demo model.
const Name = "stories260K (built-in demo)"
