package main

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/hearthlm/hearth/convert"
	"github.com/hearthlm/hearth/gguf"
)

func quantizeCmd() *cobra.Command {
	var (
		pure    bool
		threads int
		quiet   bool
	)
	c := &cobra.Command{
		Use:   "quantize IN.gguf OUT.gguf TYPE [--pure]",
		Short: "Requantize a GGUF file (Q4_K_M, Q5_K_M, Q8_0, …) as llama-quantize does",
		Long: `Rewrite a GGUF file with another tensor type. TYPE is a llama.cpp file type:
F32 F16 BF16 Q8_0 Q4_0 Q4_1 Q5_0 Q5_1 Q2_K Q2_K_S Q3_K_S Q3_K_M Q3_K_L Q4_K_S
Q4_K_M Q5_K_S Q5_K_M Q6_K. The _S/_M/_L mixes give some tensors more bits,
as llama-quantize does; --pure gives every tensor the base type. The output
is bit-identical to llama-quantize's (without an importance matrix).`,
		Args: cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			ft, err := convert.ParseFileType(args[2])
			if err != nil {
				return err
			}
			start := time.Now()
			var inBytes int64
			if st, err := os.Stat(args[0]); err == nil {
				inBytes = st.Size()
			}
			opts := convert.QuantizeOptions{Type: ft, Pure: pure, Threads: threads}
			if !quiet {
				opts.Progress = func(done, total int, name string, from, to gguf.Type) {
					fmt.Fprintf(os.Stderr, "\r[%d/%d] %-40s %s → %s   ", done, total, name, from, to)
				}
			}
			if err := convert.Quantize(args[0], args[1], opts); err != nil {
				if !quiet {
					fmt.Fprintln(os.Stderr)
				}
				return err
			}
			if !quiet {
				s := time.Since(start).Seconds()
				fmt.Fprintf(os.Stderr, "\nwrote %s (%s) in %.1fs, %.0f MB/s of input\n", args[1], ft, s, float64(inBytes)/1e6/s)
			}
			return nil
		},
	}
	c.Flags().BoolVar(&pure, "pure", false, "give every tensor the base type (no mix)")
	c.Flags().IntVarP(&threads, "threads", "t", 0, "threads (0: all cores)")
	c.Flags().BoolVarP(&quiet, "quiet", "q", false, "no progress on stderr")
	return c
}
