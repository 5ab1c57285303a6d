package main

import (
	"strings"
	"testing"
)

// TestRunContextOverflow: a prompt longer than the context is an error
// that gives the numbers and the flag to raise, never a silent truncation.
func TestRunContextOverflow(t *testing.T) {
	root := newRoot()
	root.SetArgs([]string{"run", "demo", "Once upon a time there was a little girl named Lily who loved to play", "--ctx", "8", "--temperature", "0"})
	err := root.Execute()
	if err == nil {
		t.Fatal("a prompt longer than --ctx 8 ran")
	}
	for _, want := range []string{"tokens", "8", "--ctx"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}
