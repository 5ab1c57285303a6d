package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/hearthlm/hearth/engine"
	"github.com/hearthlm/hearth/plan"
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
			m, err := engine.Load(ref, engine.Options{NoPlan: true})
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
			fmt.Printf("chat template:   %v (tools: %v, thinking: %v)\n", r.ChatTemplate, r.Tools, r.Thinking)
			fmt.Printf("machine:         %s\n", r.Machine)
			kv := plan.KVF16
			if len(r.Memory) > 0 {
				kv = r.Memory[0].KVType
			}
			fmt.Printf("memory (weights + %s KV cache + compute + runtime):\n", kv)
			for _, e := range r.Memory {
				fits := "fits"
				if !e.Fits {
					fits = "does not fit"
				}
				fmt.Printf("  context %7d: %10s  (KV %s) — %s\n", e.Context, plan.Bytes(e.Total), plan.Bytes(e.KVCache), fits)
			}
			if r.PlanErr != "" {
				fmt.Printf("here:            %s\n", r.PlanErr)
			} else {
				fmt.Printf("here, run uses:  %d threads (%s)\n", r.Plan.Threads, r.Plan.ThreadsWhy)
				fmt.Printf("                 context %d (%s)\n", r.Plan.Context, r.Plan.ContextWhy)
				fmt.Printf("                 KV cache %s (%s)\n", r.Plan.KVType, r.Plan.KVWhy)
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
