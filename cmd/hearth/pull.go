package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"

	"github.com/spf13/cobra"

	"github.com/hearthlm/hearth/engine"
	"github.com/hearthlm/hearth/hub"
)

func pullCmd() *cobra.Command {
	var offline bool
	c := &cobra.Command{
		Use:   "pull REF",
		Short: "Download a model from the Hugging Face Hub into the shared Hugging Face cache",
		Long: `Download a model into the Hugging Face cache ($HF_HUB_CACHE, else $HF_HOME/hub,
else ~/.cache/huggingface/hub), where the hf CLI, transformers and llama.cpp
find it too. REF is org/name[:QUANT], org/name@REVISION[:QUANT],
hf.co/org/name[:QUANT], a https://huggingface.co/ URL, or org/name/path/file.gguf.
Without a quant, Q4_K_M is chosen, else Q8_0, else the smallest file.
Interrupted downloads resume. The local path of the model is printed.

Environment: HF_ENDPOINT, HF_TOKEN, HF_TOKEN_PATH, HF_HOME, HF_HUB_CACHE, HF_HUB_OFFLINE.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ref, err := hub.ParseRef(args[0])
			if err != nil {
				return err
			}
			cl := engine.HubClient()
			cl.Offline = cl.Offline || offline
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
			defer stop()
			r, err := cl.Pull(ctx, ref)
			if err != nil {
				if ctx.Err() != nil {
					return fmt.Errorf("interrupted; run `hearth pull %s` again to resume", args[0])
				}
				return err
			}
			if r.FromCache {
				fmt.Fprintf(os.Stderr, "hearth: %s: from the cache (commit %s)\n", ref, r.Commit[:12])
			}
			fmt.Println(r.Model)
			return nil
		},
	}
	c.Flags().BoolVar(&offline, "offline", false, "use only the cache, never the network (as HF_HUB_OFFLINE=1)")
	return c
}
