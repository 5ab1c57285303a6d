package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/hearthlm/hearth/engine"
)

func inspectCmd() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "inspect [MODEL]",
		Short: "Say what a model is and what it needs",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ref := ""
			if len(args) == 1 {
				ref = args[0]
			}
			m, err := engine.Load(ref, engine.Options{Threads: 1})
			if err != nil {
				return err
			}
			defer m.Close()
			r := m.Inspect()
			if asJSON {
				enc := json.NewEncoder(os.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(r)
			}
			fmt.Printf("name:            %s\n", r.Name)
			fmt.Printf("architecture:    %s\n", r.Architecture)
			fmt.Printf("parameters:      %s\n", human(float64(r.Parameters), ""))
			fmt.Printf("weights:         %s (%s)\n", human(float64(r.WeightBytes), "B"), r.Quantization)
			fmt.Printf("shape:           %d layers, embedding %d, %d heads (%d KV) of %d, FFN %d, vocab %d\n",
				r.Layers, r.Embedding, r.Heads, r.KVHeads, r.HeadDim, r.FFN, r.Vocab)
			fmt.Printf("trained context: %d tokens\n", r.ContextLength)
			fmt.Printf("tokenizer:       %s\n", r.Tokenizer)
			fmt.Printf("chat template:   %v\n", r.ChatTemplate)
			fmt.Println("memory (weights + f16 KV cache):")
			for _, e := range r.Memory {
				fmt.Printf("  context %7d: %s (KV cache %s)\n", e.Context, human(float64(e.TotalBytes), "B"), human(float64(e.KVBytes), "B"))
			}
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func human(v float64, unit string) string {
	switch {
	case v >= 1e9:
		return fmt.Sprintf("%.2f G%s", v/1e9, unit)
	case v >= 1e6:
		return fmt.Sprintf("%.2f M%s", v/1e6, unit)
	case v >= 1e3:
		return fmt.Sprintf("%.2f K%s", v/1e3, unit)
	}
	return fmt.Sprintf("%.0f %s", v, unit)
}
