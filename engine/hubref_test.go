package engine

import (
	"errors"
	"strings"
	"testing"

	"github.com/hearthlm/hearth/hub"
	"github.com/hearthlm/hearth/hub/hubtest"
	"github.com/hearthlm/hearth/internal/demo"
)

// TestHubRef loads a model by Hub reference from a fake Hub, then again
// offline from the cache.
func TestHubRef(t *testing.T) {
	srv := hubtest.New()
	defer srv.Close()
	srv.AddRepo("karpathy/stories-GGUF", map[string][]byte{
		"stories260K-F32.gguf": demo.GGUF,
		"README.md":            []byte("demo"),
	})
	t.Setenv("HF_ENDPOINT", srv.URL())
	t.Setenv("HF_HUB_CACHE", t.TempDir())
	t.Setenv("HF_TOKEN", "")
	t.Setenv("HF_HUB_OFFLINE", "")

	if !IsModelRef("karpathy/stories-GGUF:f32") || !isHubRef("hf.co/karpathy/stories-GGUF") || isHubRef("./nope.gguf") {
		t.Fatal("reference recognition")
	}
	tok, err := LoadTokenizer("karpathy/stories-GGUF:f32")
	if err != nil {
		t.Fatal(err)
	}
	if len(tok.Encode("Once upon a time", false, false)) == 0 {
		t.Fatal("empty encoding")
	}
	t.Setenv("HF_HUB_OFFLINE", "1")
	n := len(srv.Requests())
	if _, err := LoadTokenizer("karpathy/stories-GGUF"); err != nil {
		t.Fatalf("offline from cache: %v", err)
	}
	if len(srv.Requests()) != n {
		t.Fatal("offline load used the network")
	}
	_, err = LoadTokenizer("karpathy/other-GGUF")
	if !errors.Is(err, hub.ErrNotCached) || !strings.Contains(err.Error(), "offline") {
		t.Fatalf("offline, not cached: %v", err)
	}
	// A missing local file is still a missing file, not a Hub lookup.
	if _, err := LoadTokenizer("./missing.gguf"); err == nil || strings.Contains(err.Error(), "hub") {
		t.Fatalf("local path: %v", err)
	}
}
