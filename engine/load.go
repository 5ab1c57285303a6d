package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hearthlm/hearth/convert"
	"github.com/hearthlm/hearth/gguf"
	"github.com/hearthlm/hearth/internal/demo"
	"github.com/hearthlm/hearth/tokenizer"
)

// DemoRef is the reference that names the built-in demo model ("" too).
const DemoRef = "demo"

// IsModelRef reports whether arg names a model rather than being a
// prompt: an existing file or folder, a .gguf path, the demo, or a Hub
// reference (org/name[:QUANT]).
func IsModelRef(arg string) bool {
	if arg == DemoRef {
		return true
	}
	if _, err := os.Stat(arg); err == nil {
		return true
	}
	if strings.HasSuffix(strings.ToLower(arg), ".gguf") {
		return true
	}
	if strings.ContainsAny(arg, " \t\n") {
		return false
	}
	ref := strings.TrimPrefix(arg, "hf.co/")
	if i := strings.IndexByte(ref, ':'); i >= 0 {
		ref = ref[:i]
	}
	parts := strings.Split(ref, "/")
	return len(parts) == 2 && parts[0] != "" && parts[1] != ""
}

// openFile resolves a model reference to an open GGUF file.
func openFile(ref string) (*gguf.File, error) {
	if ref == "" || ref == DemoRef {
		return gguf.Parse(demo.GGUF)
	}
	st, err := os.Stat(ref)
	if err != nil {
		if os.IsNotExist(err) && isHubRef(ref) {
			path, err := resolveHubRef(ref)
			if err != nil {
				return nil, err
			}
			return gguf.Open(path)
		}
		return nil, err
	}
	if st.IsDir() {
		p, err := convertFolder(ref)
		if err != nil {
			return nil, err
		}
		return gguf.Open(p)
	}
	return gguf.Open(ref)
}

// Load opens the model a reference names: a .gguf path, or "" / "demo"
// for the built-in demo model.
func Load(ref string, opts Options) (*Model, error) {
	f, err := openFile(ref)
	if err != nil {
		return nil, err
	}
	m, err := fromFile(f, opts)
	if err != nil {
		f.Close()
		if ref == "" {
			ref = DemoRef
		}
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	return m, nil
}

// LoadTokenizer reads only the tokenizer of a model reference: a GGUF
// file, a tokenizer.json, or a folder holding one.
func LoadTokenizer(ref string) (*tokenizer.Tokenizer, error) {
	if st, err := os.Stat(ref); err == nil && (st.IsDir() || strings.HasSuffix(strings.ToLower(ref), ".json")) {
		return tokenizer.FromFile(ref)
	}
	f, err := openFile(ref)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return tokenizer.FromGGUF(f.Metadata)
}

// convertFolder converts a Transformers folder (config.json, safetensors,
// tokenizer.json) to an F16 GGUF in hearth's conversion cache, once; later
// calls reuse it while the folder's files are unchanged.
func convertFolder(dir string) (string, error) {
	if _, err := os.Stat(filepath.Join(dir, "config.json")); err != nil {
		return "", fmt.Errorf("%s: a folder without config.json: pass a .gguf file or a Hugging Face checkpoint folder", dir)
	}
	fmt.Fprintf(os.Stderr, "hearth: %s: using the F16 conversion in the cache (made now if missing or stale)\n", dir)
	p, err := convert.Cached(dir, "", convert.Options{Type: convert.FileF16})
	if err != nil {
		return "", fmt.Errorf("%s: %w", dir, err)
	}
	return p, nil
}
