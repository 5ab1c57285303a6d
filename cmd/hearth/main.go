// Command hearth runs local language models: one static binary that loads
// GGUF files, chats in the terminal and reports what a model needs.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

func main() {
	if err := newRoot().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "hearth:", err)
		os.Exit(1)
	}
}

// newRoot builds the command tree.
func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:           "hearth",
		Short:         "Local AI that installs and runs like normal software",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(runCmd(), evalCmd(), tokenizeCmd(), detokenizeCmd(), inspectCmd(), renderCmd(), serveCmd())
	root.AddCommand(quantizeCmd(), convertCmd())
	root.AddCommand(benchCmd())
	root.AddCommand(pullCmd(), listCmd(), rmCmd())
	return root
}
