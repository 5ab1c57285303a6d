package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hearthlm/hearth/plan"
)

// kvTypeFlag adds --kv-type, the KV cache type, to a command.
func kvTypeFlag(c *cobra.Command, p *string) {
	c.Flags().StringVar(p, "kv-type", "", "KV cache type: f16 or q8_0 (default: f16, or q8_0 when f16 does not fit the context and q8_0 doubles the context that fits)")
}

// kvType checks a --kv-type value ("" leaves the choice to the planner).
func kvType(s string) (plan.KVType, error) {
	switch t := plan.KVType(s); t {
	case "", plan.KVF16, plan.KVQ8_0:
		return t, nil
	}
	return "", fmt.Errorf("--kv-type %q: want f16 or q8_0", s)
}
