package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hearthlm/hearth/convert"
)

func convertCmd() *cobra.Command {
	var (
		out     string
		typ     string
		name    string
		threads int
		quiet   bool
	)
	c := &cobra.Command{
		Use:   "convert SRC -o OUT.gguf [--type F16|BF16|F32|Q8_0|Q4_K_M|…]",
		Short: "Convert a Hugging Face checkpoint (config.json, safetensors, tokenizer.json) to GGUF",
		Long: `Convert a Hugging Face model folder to a GGUF file that hearth and llama.cpp run.
Supported: ` + strings.Join(convert.Architectures(), ", ") + `.
--type is F16 by default; quantized types (Q8_0, Q4_K_M, …) use llama.cpp's mixes.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ft, err := convert.ParseFileType(typ)
			if err != nil {
				return err
			}
			if out == "" {
				abs, _ := filepath.Abs(args[0])
				out = filepath.Base(abs) + "-" + ft.String() + ".gguf"
			}
			opts := convert.Options{Type: ft, Threads: threads, Name: name}
			if !quiet {
				opts.Progress = func(done, total int, n string) {
					fmt.Fprintf(os.Stderr, "\r[%d/%d] %-40s", done, total, n)
				}
			}
			start := time.Now()
			if err := convert.Convert(args[0], out, opts); err != nil {
				if !quiet {
					fmt.Fprintln(os.Stderr)
				}
				return err
			}
			if !quiet {
				fmt.Fprintf(os.Stderr, "\nwrote %s (%s) in %.1fs\n", out, ft, time.Since(start).Seconds())
			}
			return nil
		},
	}
	c.Flags().StringVarP(&out, "output", "o", "", "output GGUF path (default: FOLDER-TYPE.gguf)")
	c.Flags().StringVar(&typ, "type", "F16", "tensor type or llama.cpp mix")
	c.Flags().StringVar(&name, "name", "", "general.name (default: the folder name)")
	c.Flags().IntVarP(&threads, "threads", "t", 0, "threads (0: all cores)")
	c.Flags().BoolVarP(&quiet, "quiet", "q", false, "no progress on stderr")
	return c
}
