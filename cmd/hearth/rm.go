package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/hearthlm/hearth/hub"
)

func rmCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "rm REF...",
		Short: "Remove models from the Hugging Face cache",
		Long: `Remove a model from the Hugging Face cache. org/name removes every cached
snapshot of the repo, org/name@REV one snapshot, org/name:QUANT (or
org/name/path/file.gguf) only that model's files. Blobs no remaining
snapshot uses are deleted; files other snapshots share stay.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl := hub.New()
			for _, a := range args {
				ref, err := hub.ParseRef(a)
				if err != nil {
					return err
				}
				r, err := cl.Remove(ref)
				if err != nil {
					return err
				}
				fmt.Fprintf(os.Stderr, "hearth: removed %s: %d files, %d blobs, %s freed\n", a, len(r.Files), r.Blobs, sizeString(r.Freed))
			}
			return nil
		},
	}
}
