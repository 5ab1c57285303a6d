package engine

import (
	"context"

	"github.com/hearthlm/hearth/hub"
	"github.com/hearthlm/hearth/plan"
)

// isHubRef reports whether ref names a model on the Hugging Face Hub
// (org/name[:QUANT], org/name@REV, hf.co/… and https://huggingface.co/…
// URLs, org/name/path/file.gguf) rather than a local path.
func isHubRef(ref string) bool { return hub.LooksLikeRef(ref) }

// resolveHubRef makes sure the model ref names is in the Hugging Face
// cache (pulling it, with progress on stderr, unless HF_HUB_OFFLINE is set
// or the Hub is unreachable and a cached copy exists) and returns the
// local path of its GGUF file (the first shard of a split model).
func resolveHubRef(ref string) (string, error) {
	r, err := hub.ParseRef(ref)
	if err != nil {
		return "", err
	}
	res, err := HubClient().Pull(context.Background(), r)
	if err != nil {
		return "", err
	}
	if res.Safetensors {
		// A repo with only safetensors: convert the snapshot once; the
		// snapshot folder is per commit, so the cache key follows it.
		return convertFolder(res.Snapshot)
	}
	return res.Model, nil
}

// HubClient is a Hub client configured from the environment whose default
// quantization is the planner's choice for this machine.
func HubClient() *hub.Client {
	c := hub.New()
	machine := plan.Detect()
	c.ChooseQuant = func(opts []hub.QuantOption) (int, string, error) {
		names := make([]string, len(opts))
		sizes := make([]int64, len(opts))
		for i, o := range opts {
			names[i], sizes[i] = o.Quant, o.Bytes
		}
		return plan.ChooseQuant(machine, names, sizes)
	}
	return c
}
