package hub

import (
	"os"
	"path/filepath"
	"strings"
)

// DefaultEndpoint is the Hub huggingface_hub talks to without HF_ENDPOINT.
const DefaultEndpoint = "https://huggingface.co"

// Endpoint is $HF_ENDPOINT without a trailing slash, else the Hub.
func Endpoint() string {
	if e := strings.TrimRight(os.Getenv("HF_ENDPOINT"), "/"); e != "" {
		return e
	}
	return DefaultEndpoint
}

// HomeDir is $HF_HOME, else $XDG_CACHE_HOME/huggingface, else
// ~/.cache/huggingface, as huggingface_hub computes it.
func HomeDir() string {
	if h := os.Getenv("HF_HOME"); h != "" {
		return expandHome(h)
	}
	if x := os.Getenv("XDG_CACHE_HOME"); x != "" {
		return filepath.Join(expandHome(x), "huggingface")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		home = "."
	}
	return filepath.Join(home, ".cache", "huggingface")
}

// CacheDir is $HF_HUB_CACHE (or the older $HUGGINGFACE_HUB_CACHE), else
// $HF_HOME/hub.
func CacheDir() string {
	if c := os.Getenv("HF_HUB_CACHE"); c != "" {
		return expandHome(c)
	}
	if c := os.Getenv("HUGGINGFACE_HUB_CACHE"); c != "" {
		return expandHome(c)
	}
	return filepath.Join(HomeDir(), "hub")
}

// TokenPath is $HF_TOKEN_PATH, else $HF_HOME/token: the file
// `hf auth login` (formerly `huggingface-cli login`) writes.
func TokenPath() string {
	if p := os.Getenv("HF_TOKEN_PATH"); p != "" {
		return expandHome(p)
	}
	return filepath.Join(HomeDir(), "token")
}

// Token is $HF_TOKEN (or the older $HUGGING_FACE_HUB_TOKEN), else the
// contents of the token file; "" when there is none.
func Token() string {
	for _, k := range []string{"HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"} {
		if t := strings.TrimSpace(os.Getenv(k)); t != "" {
			return t
		}
	}
	f, err := os.Open(TokenPath())
	if err != nil {
		return ""
	}
	defer f.Close()
	buf := make([]byte, 4096)
	n, _ := f.Read(buf)
	return strings.TrimSpace(string(buf[:n]))
}

// OfflineEnv reports whether HF_HUB_OFFLINE (or TRANSFORMERS_OFFLINE) is
// set to a true value ("1", "ON", "YES", "TRUE", any case).
func OfflineEnv() bool {
	for _, k := range []string{"HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"} {
		switch strings.ToUpper(strings.TrimSpace(os.Getenv(k))) {
		case "1", "ON", "YES", "TRUE":
			return true
		}
	}
	return false
}

func expandHome(p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, p[1:])
		}
	}
	return p
}
