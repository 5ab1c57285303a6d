package main

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime/pprof"

	"github.com/spf13/cobra"

	"github.com/hearthlm/hearth/engine"
)

func benchCmd() *cobra.Command {
	var (
		nPrompt, nGen, threads, reps int
		asJSON                       bool
		cpuProfile, kv               string
	)
	c := &cobra.Command{
		Use:   "bench MODEL",
		Short: "Measure prompt processing and generation speed (like llama-bench)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			kvt, err := kvType(kv)
			if err != nil {
				return err
			}
			m, err := engine.Load(args[0], engine.Options{Threads: threads, Context: max(nPrompt, nGen), KVType: kvt})
			if err != nil {
				return err
			}
			defer m.Close()
			if cpuProfile != "" {
				f, err := os.Create(cpuProfile)
				if err != nil {
					return err
				}
				defer f.Close()
				if err := pprof.StartCPUProfile(f); err != nil {
					return err
				}
				defer pprof.StopCPUProfile()
			}
			r, err := m.Bench(engine.BenchOptions{Prompt: nPrompt, Gen: nGen, Reps: reps})
			if err != nil {
				return err
			}
			if threads > 0 {
				r.Threads = threads
			}
			if asJSON {
				enc := json.NewEncoder(os.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(r)
			}
			fmt.Printf("%-8s %7s %12s %12s %12s\n", "test", "threads", "median t/s", "min t/s", "max t/s")
			line := func(name string, s engine.BenchStats) {
				fmt.Printf("%-8s %7d %12.2f %12.2f %12.2f\n", name, r.Threads, s.Median, s.Min, s.Max)
			}
			if nPrompt > 0 {
				line(fmt.Sprintf("pp%d", nPrompt), r.PromptTPS)
			}
			if nGen > 0 {
				line(fmt.Sprintf("tg%d", nGen), r.GenTPS)
			}
			return nil
		},
	}
	c.Flags().IntVarP(&nPrompt, "prompt", "p", 512, "prompt tokens (0 skips the test)")
	c.Flags().IntVarP(&nGen, "gen", "n", 128, "generated tokens (0 skips the test)")
	c.Flags().IntVarP(&threads, "threads", "t", 0, "threads (0: the planner's choice)")
	c.Flags().IntVarP(&reps, "reps", "r", 3, "repetitions of each test")
	kvTypeFlag(c, &kv)
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.Flags().StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the measured runs to this file (go tool pprof)")
	return c
}
