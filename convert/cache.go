package convert

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// Cached returns a GGUF conversion of the Hugging Face folder dir, made
// on first use into cacheDir (the user cache folder's hearth/converted when
// empty) and reused while the folder's files are unchanged: the cache key
// hashes their names, sizes and modification times and the options.
func Cached(dir, cacheDir string, opts Options) (string, error) {
	if cacheDir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return "", fmt.Errorf("convert: no cache folder: %w", err)
		}
		cacheDir = filepath.Join(base, "hearth", "converted")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	ents, err := os.ReadDir(abs)
	if err != nil {
		return "", fmt.Errorf("convert: %w", err)
	}
	h := sha256.New()
	fmt.Fprintf(h, "hearth-convert v1\n%s\n%d\n%s\n", abs, opts.Type, opts.Name)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	for _, n := range names {
		st, err := os.Stat(filepath.Join(abs, n))
		if err != nil || st.IsDir() {
			continue
		}
		fmt.Fprintf(h, "%s %d %d\n", n, st.Size(), st.ModTime().UnixNano())
	}
	key := hex.EncodeToString(h.Sum(nil))[:16]
	out := filepath.Join(cacheDir, filepath.Base(abs)+"-"+opts.Type.String()+"-"+key+".gguf")
	if _, err := os.Stat(out); err == nil {
		return out, nil
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return "", fmt.Errorf("convert: %w", err)
	}
	if err := Convert(abs, out, opts); err != nil {
		return "", err
	}
	return out, nil
}
