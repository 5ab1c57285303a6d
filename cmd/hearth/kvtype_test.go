package main

import (
	"strings"
	"testing"
)

// TestKVTypeFlag: --kv-type reaches the planner on every command that
// loads a model for inference: an unknown type is refused by the flag, and
// q8_0 on the demo model (heads of 8 values) is refused with the reason.
func TestKVTypeFlag(t *testing.T) {
	for _, args := range [][]string{
		{"run", "demo", "hi", "-n", "1"},
		{"eval", "demo", "--tokens", "1,2"},
		{"bench", "demo", "-p", "8", "-n", "2", "-r", "1"},
	} {
		root := newRoot()
		root.SetArgs(append(args, "--kv-type", "q4_0"))
		if err := root.Execute(); err == nil || !strings.Contains(err.Error(), "f16 or q8_0") {
			t.Errorf("%s --kv-type q4_0: err = %v, want a refusal naming f16 and q8_0", args[0], err)
		}
		root = newRoot()
		root.SetArgs(append(args, "--kv-type", "q8_0"))
		if err := root.Execute(); err == nil || !strings.Contains(err.Error(), "multiple of 32") {
			t.Errorf("%s --kv-type q8_0 on the demo: err = %v, want a refusal about the head size", args[0], err)
		}
	}
	root := newRoot()
	root.SetArgs([]string{"serve", "--kv-type", "q4_0", "--addr", "127.0.0.1:0"})
	if err := root.Execute(); err == nil || !strings.Contains(err.Error(), "f16 or q8_0") {
		t.Errorf("serve --kv-type q4_0: err = %v", err)
	}
}
