package engine

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/hearthlm/hearth/hub/hubtest"
	"github.com/hearthlm/hearth/internal/testmodel"
	"github.com/hearthlm/hearth/safetensors"
)

// TestRunHFFolder: a Transformers folder is converted once into the cache
// and then loaded like any GGUF; a second load reuses the conversion.
func TestRunHFFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "hf")
	if err := testmodel.WriteHF(dir, testmodel.TinyQwen3, safetensors.F32, 1, 0); err != nil {
		t.Skipf("cannot write a test checkpoint: %v", err)
	}
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	m, err := Load(dir, Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	first := m.File.Bytes()
	if m.Net.Info().Arch != "qwen3" || len(first) == 0 {
		t.Fatalf("loaded %q", m.Net.Info().Arch)
	}
	m.Close()
	cached, err := filepath.Glob(filepath.Join(os.Getenv("XDG_CACHE_HOME"), "hearth", "converted", "*"))
	if err != nil || len(cached) != 1 {
		t.Fatalf("conversion cache holds %v (err %v), want one file", cached, err)
	}
	st1, _ := os.Stat(cached[0])
	m, err = Load(dir, Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	m.Close()
	st2, _ := os.Stat(cached[0])
	if !st1.ModTime().Equal(st2.ModTime()) {
		t.Error("the second load converted again")
	}
}

// TestHubSafetensorsConvertedOnce: a repo with only safetensors is pulled,
// converted once into the cache, and reused on the next load.
func TestHubSafetensorsConvertedOnce(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "hf")
	if err := testmodel.WriteHF(dir, testmodel.TinyQwen3, safetensors.F32, 1, 0); err != nil {
		t.Skipf("cannot write a test checkpoint: %v", err)
	}
	files := map[string][]byte{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = b
	}
	srv := hubtest.New()
	defer srv.Close()
	srv.AddRepo("acme/tiny-qwen3", files)
	t.Setenv("HF_ENDPOINT", srv.URL())
	t.Setenv("HF_HUB_CACHE", t.TempDir())
	t.Setenv("HF_TOKEN", "")
	t.Setenv("HF_HUB_OFFLINE", "")
	t.Setenv("XDG_CACHE_HOME", t.TempDir())

	m, err := Load("acme/tiny-qwen3", Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	if m.Net.Info().Arch != "qwen3" {
		t.Fatalf("arch %q", m.Net.Info().Arch)
	}
	m.Close()
	cached, _ := filepath.Glob(filepath.Join(os.Getenv("XDG_CACHE_HOME"), "hearth", "converted", "*"))
	if len(cached) != 1 {
		t.Fatalf("conversion cache holds %v, want one file", cached)
	}
	st1, _ := os.Stat(cached[0])
	t.Setenv("HF_HUB_OFFLINE", "1")
	m, err = Load("acme/tiny-qwen3", Options{Threads: 1})
	if err != nil {
		t.Fatalf("offline second load: %v", err)
	}
	m.Close()
	st2, _ := os.Stat(cached[0])
	if again, _ := filepath.Glob(filepath.Join(os.Getenv("XDG_CACHE_HOME"), "hearth", "converted", "*")); len(again) != 1 || !st1.ModTime().Equal(st2.ModTime()) {
		t.Error("the second load converted again")
	}
}
