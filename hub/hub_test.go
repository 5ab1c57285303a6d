package hub

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hearthlm/hearth/hub/hubtest"
)

// syncBuffer collects progress output from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func blob(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	copy(b, "GGUF")
	return b
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func newClient(t *testing.T, srv *hubtest.Server, cache string) (*Client, *syncBuffer) {
	t.Helper()
	if cache == "" {
		cache = t.TempDir()
	}
	out := &syncBuffer{}
	return &Client{
		Endpoint:     srv.URL(),
		CacheDir:     cache,
		Progress:     out,
		RetryBase:    time.Millisecond,
		MaxRetryWait: 5 * time.Second,
		StallTimeout: 5 * time.Second,
		Parallel:     1,
	}, out
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func mustRef(t *testing.T, s string) Ref {
	t.Helper()
	r, err := ParseRef(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// quantRepo is a typical GGUF repo: three quants, two projectors, a README.
func quantRepo(srv *hubtest.Server, id string) (string, map[string][]byte) {
	files := map[string][]byte{
		"README.md":                []byte("# a model\n"),
		"Model-7B-Q4_K_M.gguf":     blob(1, 40_000),
		"Model-7B-Q8_0.gguf":       blob(2, 70_000),
		"Model-7B-F16.gguf":        blob(3, 130_000),
		"Model-7B-IQ4_XS.gguf":     blob(4, 35_000),
		"mmproj-Model-7B-F16.gguf": blob(5, 9_000),
		"mmproj-Model-7B-F32.gguf": blob(6, 18_000),
	}
	return srv.AddRepo(id, files), files
}

func readAll(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseRef(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Ref
	}{
		{"Qwen/Qwen3-0.6B-GGUF", Ref{Repo: "Qwen/Qwen3-0.6B-GGUF"}},
		{"Qwen/Qwen3-0.6B-GGUF:q4_k_m", Ref{Repo: "Qwen/Qwen3-0.6B-GGUF", Quant: "q4_k_m"}},
		{"org/name@v1.0:Q8_0", Ref{Repo: "org/name", Revision: "v1.0", Quant: "Q8_0"}},
		{"org/name@0123456789abcdef0123456789abcdef01234567", Ref{Repo: "org/name", Revision: "0123456789abcdef0123456789abcdef01234567"}},
		{"org/name@refs/pr/12:IQ4_XS", Ref{Repo: "org/name", Revision: "refs/pr/12", Quant: "IQ4_XS"}},
		{"hf.co/org/name:BF16", Ref{Repo: "org/name", Quant: "BF16"}},
		{"huggingface.co/org/name", Ref{Repo: "org/name"}},
		{"https://huggingface.co/org/name", Ref{Repo: "org/name"}},
		{"https://huggingface.co/org/name/blob/main/sub/f-Q4_K_M.gguf", Ref{Repo: "org/name", Revision: "main", File: "sub/f-Q4_K_M.gguf"}},
		{"https://huggingface.co/org/name/resolve/dev/f.gguf?download=true", Ref{Repo: "org/name", Revision: "dev", File: "f.gguf"}},
		{"https://hf.co/org/name/tree/v2", Ref{Repo: "org/name", Revision: "v2"}},
		{"org/name/path/to/file.gguf", Ref{Repo: "org/name", File: "path/to/file.gguf"}},
		{"org/name@v1/file.gguf", Ref{Repo: "org/name", Revision: "v1", File: "file.gguf"}},
	} {
		got, err := ParseRef(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseRef(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "model.gguf", "./org/name", "/abs/x.gguf", "models/x.gguf", "org", "org/", "/name",
		"org/na me", "org/name:", "org/name@", "org/../x", "org/name/../../etc/passwd", "https://evil.example/org/name",
		"org--x/name", "org/name:Q4/../", "a/b/c//d.gguf", "hello world", "org/name@a..b"} {
		if r, err := ParseRef(bad); err == nil {
			t.Errorf("ParseRef(%q) = %+v, want an error", bad, r)
		}
	}
}

func TestQuantOf(t *testing.T) {
	for in, want := range map[string]string{
		"Qwen3-0.6B-Q4_K_M.gguf":                  "Q4_K_M",
		"model.q8_0.gguf":                         "Q8_0",
		"Q4_K_M/Model-Q4_K_M-00001-of-00003.gguf": "Q4_K_M",
		"gemma-3-4b-it-UD-Q4_K_XL.gguf":           "UD-Q4_K_XL",
		"llama-bf16.gguf":                         "BF16",
		"tiny-IQ4_XS.gguf":                        "IQ4_XS",
		"model.gguf":                              "",
	} {
		if got := QuantOf(in); got != want {
			t.Errorf("QuantOf(%q) = %q, want %q", in, got, want)
		}
	}
	if hasQuant("x-Q4_K_M.gguf", "Q4_K") || !hasQuant("x-Q4_K_M.gguf", "q4_k_m") || hasQuant("x-IQ4_XS.gguf", "Q4_XS") {
		t.Error("hasQuant token boundaries")
	}
}

func TestPullByQuant(t *testing.T) {
	srv := hubtest.New()
	defer srv.Close()
	commit, files := quantRepo(srv, "org/Model-7B-GGUF")
	c, out := newClient(t, srv, "")
	r, err := c.Pull(ctxT(t), mustRef(t, "org/Model-7B-GGUF:q8_0"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Commit != commit || r.Quant != "Q8_0" || filepath.Base(r.Model) != "Model-7B-Q8_0.gguf" {
		t.Fatalf("got %+v", r)
	}
	if !bytes.Equal(readAll(t, r.Model), files["Model-7B-Q8_0.gguf"]) {
		t.Fatal("model content differs")
	}
	if filepath.Base(r.MMProj) != "mmproj-Model-7B-F16.gguf" || !bytes.Equal(readAll(t, r.MMProj), files["mmproj-Model-7B-F16.gguf"]) {
		t.Fatalf("mmproj = %q", r.MMProj)
	}
	if len(r.Files) != 2 {
		t.Fatalf("pulled %v, want the Q8_0 file and one mmproj", r.Files)
	}
	if !strings.Contains(out.String(), "done") {
		t.Errorf("no progress lines: %q", out.String())
	}
	// A second pull downloads nothing.
	before := len(srv.Requests())
	if _, err := c.Pull(ctxT(t), mustRef(t, "org/Model-7B-GGUF:Q8_0")); err != nil {
		t.Fatal(err)
	}
	for _, rq := range srv.Requests()[before:] {
		if strings.Contains(rq.Path, "/resolve/") || rq.Host == "cdn" {
			t.Errorf("second pull fetched %s %s", rq.Method, rq.Path)
		}
	}
	// An unknown quant names the ones there are.
	_, err = c.Pull(ctxT(t), mustRef(t, "org/Model-7B-GGUF:Q3_K_S"))
	if !errors.Is(err, ErrNoModel) || !strings.Contains(err.Error(), "Q4_K_M") {
		t.Fatalf("unknown quant: %v", err)
	}
}

func TestDefaultQuant(t *testing.T) {
	srv := hubtest.New()
	defer srv.Close()
	quantRepo(srv, "a/full")
	srv.AddRepo("a/noq4", map[string][]byte{"m-Q8_0.gguf": blob(1, 1000), "m-F16.gguf": blob(2, 2000)})
	srv.AddRepo("a/odd", map[string][]byte{"m-Q5_K_S.gguf": blob(1, 3000), "m-Q3_K_L.gguf": blob(2, 2000), "m-F16.gguf": blob(3, 9000)})
	c, _ := newClient(t, srv, "")
	for ref, want := range map[string]string{"a/full": "Q4_K_M", "a/noq4": "Q8_0", "a/odd": "Q3_K_L"} {
		r, err := c.Pull(ctxT(t), mustRef(t, ref))
		if err != nil {
			t.Fatal(err)
		}
		if r.Quant != want || r.Reason == "" {
			t.Errorf("%s: chose %q (%s), want %q", ref, r.Quant, r.Reason, want)
		}
	}
}

func TestSplitGGUF(t *testing.T) {
	srv := hubtest.New()
	defer srv.Close()
	files := map[string][]byte{
		"Q4_K_M/Big-Q4_K_M-00001-of-00003.gguf": blob(1, 30_000),
		"Q4_K_M/Big-Q4_K_M-00002-of-00003.gguf": blob(2, 30_000),
		"Q4_K_M/Big-Q4_K_M-00003-of-00003.gguf": blob(3, 10_000),
		"Q8_0/Big-Q8_0-00001-of-00002.gguf":     blob(4, 50_000),
		"Q8_0/Big-Q8_0-00002-of-00002.gguf":     blob(5, 50_000),
	}
	commit := srv.AddRepo("org/Big-GGUF", files)
	c, _ := newClient(t, srv, "")
	r, err := c.Pull(ctxT(t), mustRef(t, "org/Big-GGUF:Q4_K_M"))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Files) != 3 || !strings.HasSuffix(r.Model, "Big-Q4_K_M-00001-of-00003.gguf") {
		t.Fatalf("got %v, model %s", r.Files, r.Model)
	}
	for p, d := range files {
		got, err := os.ReadFile(snapshotPath(c.repoDir("org/Big-GGUF"), commit, p))
		if strings.HasPrefix(p, "Q8_0") {
			if err == nil {
				t.Errorf("%s pulled too", p)
			}
			continue
		}
		if !bytes.Equal(got, d) {
			t.Errorf("%s: %v", p, err)
		}
	}
	// Naming one shard brings its whole set.
	r, err = c.Pull(ctxT(t), mustRef(t, "org/Big-GGUF/Q8_0/Big-Q8_0-00002-of-00002.gguf"))
	if err != nil || len(r.Files) != 2 || !strings.HasSuffix(r.Model, "Big-Q8_0-00001-of-00002.gguf") {
		t.Fatalf("file ref: %v %v", r, err)
	}
}

// TestCacheLayout checks the cache file for file, symlink targets
// included, against huggingface_hub's layout.
func TestCacheLayout(t *testing.T) {
	srv := hubtest.New()
	defer srv.Close()
	st := map[string][]byte{
		"config.json":                  []byte(`{"architectures":["LlamaForCausalLM"]}`),
		"tokenizer.json":               []byte(`{"model":{}}`),
		"model.safetensors":            blob(7, 5000),
		"pytorch_model.bin":            blob(8, 5000),
		"original/consolidated.00.pth": blob(9, 100),
		"README.md":                    []byte("hi"),
	}
	commit := srv.AddRepo("org/tiny", st)
	gg := map[string][]byte{"sub/dir/t-Q4_K_M.gguf": blob(10, 3000)}
	commit2 := srv.AddRepo("org/tiny-GGUF", gg)
	cache := t.TempDir()
	c, _ := newClient(t, srv, cache)
	r, err := c.Pull(ctxT(t), mustRef(t, "org/tiny"))
	if err != nil {
		t.Fatal(err)
	}
	if !r.Safetensors || r.Model != filepath.Join(cache, "models--org--tiny", "snapshots", commit) {
		t.Fatalf("got %+v", r)
	}
	if _, err := c.Pull(ctxT(t), mustRef(t, "org/tiny-GGUF")); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	filepath.WalkDir(cache, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == cache {
			return err
		}
		rel, _ := filepath.Rel(cache, p)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			tgt, _ := os.Readlink(p)
			got[rel] = "-> " + tgt
		case d.IsDir():
			got[rel] = "dir"
		default:
			got[rel] = string(readAll(t, p))
			if len(got[rel]) > 64 {
				got[rel] = "sha256:" + sha([]byte(got[rel]))
			}
		}
		return nil
	})
	cfgOID := gitBlobID(st["config.json"])
	tokOID := gitBlobID(st["tokenizer.json"])
	stSHA := sha(st["model.safetensors"])
	ggSHA := sha(gg["sub/dir/t-Q4_K_M.gguf"])
	want := map[string]string{
		".locks":                   "dir",
		".locks/models--org--tiny": "dir",
		".locks/models--org--tiny/" + cfgOID + ".lock":                           "",
		".locks/models--org--tiny/" + tokOID + ".lock":                           "",
		".locks/models--org--tiny/" + stSHA + ".lock":                            "",
		".locks/models--org--tiny-GGUF":                                          "dir",
		".locks/models--org--tiny-GGUF/" + ggSHA + ".lock":                       "",
		"models--org--tiny":                                                      "dir",
		"models--org--tiny/blobs":                                                "dir",
		"models--org--tiny/blobs/" + cfgOID:                                      string(st["config.json"]),
		"models--org--tiny/blobs/" + tokOID:                                      string(st["tokenizer.json"]),
		"models--org--tiny/blobs/" + stSHA:                                       "sha256:" + stSHA,
		"models--org--tiny/refs":                                                 "dir",
		"models--org--tiny/refs/main":                                            commit,
		"models--org--tiny/snapshots":                                            "dir",
		"models--org--tiny/snapshots/" + commit:                                  "dir",
		"models--org--tiny/snapshots/" + commit + "/config.json":                 "-> ../../blobs/" + cfgOID,
		"models--org--tiny/snapshots/" + commit + "/tokenizer.json":              "-> ../../blobs/" + tokOID,
		"models--org--tiny/snapshots/" + commit + "/model.safetensors":           "-> ../../blobs/" + stSHA,
		"models--org--tiny-GGUF":                                                 "dir",
		"models--org--tiny-GGUF/blobs":                                           "dir",
		"models--org--tiny-GGUF/blobs/" + ggSHA:                                  "sha256:" + ggSHA,
		"models--org--tiny-GGUF/refs":                                            "dir",
		"models--org--tiny-GGUF/refs/main":                                       commit2,
		"models--org--tiny-GGUF/snapshots":                                       "dir",
		"models--org--tiny-GGUF/snapshots/" + commit2:                            "dir",
		"models--org--tiny-GGUF/snapshots/" + commit2 + "/sub":                   "dir",
		"models--org--tiny-GGUF/snapshots/" + commit2 + "/sub/dir":               "dir",
		"models--org--tiny-GGUF/snapshots/" + commit2 + "/sub/dir/t-Q4_K_M.gguf": "-> ../../../../blobs/" + ggSHA,
	}
	var keys []string
	for k := range want {
		keys = append(keys, k)
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		if got[k] != want[k] {
			t.Errorf("%s: got %q, want %q", k, got[k], want[k])
		}
	}
	// hearth's own list reads it back.
	ms, err := c.List()
	if err != nil || len(ms) != 2 {
		t.Fatalf("list: %+v %v", ms, err)
	}
	if ms[0].Repo != "org/tiny" || !ms[0].Safetensors || ms[1].Repo != "org/tiny-GGUF" || ms[1].Quant != "Q4_K_M" || ms[1].Size != 3000 || ms[1].Name() != "org/tiny-GGUF:Q4_K_M" {
		t.Fatalf("list: %+v", ms)
	}
}

func gitBlobID(d []byte) string {
	return fmt.Sprintf("%x", sha1Sum(append([]byte(fmt.Sprintf("blob %d\x00", len(d))), d...)))
}

func TestResumeAfterDrop(t *testing.T) {
	srv := hubtest.New()
	defer srv.Close()
	data := blob(11, 300_000)
	srv.AddRepo("org/m", map[string][]byte{"m-Q4_K_M.gguf": data})
	srv.DropAfter("m-Q4_K_M.gguf", 100_000)
	c, _ := newClient(t, srv, "")
	r, err := c.Pull(ctxT(t), mustRef(t, "org/m"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(readAll(t, r.Model), data) {
		t.Fatal("content differs")
	}
	var gets []string
	for _, rq := range srv.Requests() {
		if rq.Host == "cdn" && rq.Method == "GET" {
			gets = append(gets, rq.Range)
		}
	}
	if len(gets) != 2 || gets[0] != "" || gets[1] != "bytes=100000-299999" {
		t.Fatalf("CDN GETs with ranges %q; want a full GET, then a Range from byte 100000", gets)
	}
}

func TestResumeOtherToolsPartial(t *testing.T) {
	// A partial left by huggingface_hub (or a killed hearth) is resumed.
	srv := hubtest.New()
	defer srv.Close()
	data := blob(12, 200_000)
	srv.AddRepo("org/m", map[string][]byte{"m-Q8_0.gguf": data})
	c, _ := newClient(t, srv, "")
	inc := filepath.Join(c.repoDir("org/m"), "blobs", sha(data)+".incomplete")
	os.MkdirAll(filepath.Dir(inc), 0o755)
	os.WriteFile(inc, data[:123_456], 0o644)
	if _, err := c.Pull(ctxT(t), mustRef(t, "org/m")); err != nil {
		t.Fatal(err)
	}
	for _, rq := range srv.Requests() {
		if rq.Host == "cdn" && rq.Method == "GET" && rq.Range != "bytes=123456-199999" {
			t.Errorf("GET with Range %q", rq.Range)
		}
	}
	if _, err := os.Stat(inc); !os.IsNotExist(err) {
		t.Error(".incomplete left behind")
	}
}

func TestChecksumMismatch(t *testing.T) {
	srv := hubtest.New()
	defer srv.Close()
	srv.AddRepo("org/m", map[string][]byte{"m-Q4_K_M.gguf": blob(13, 50_000)})
	srv.Corrupt("m-Q4_K_M.gguf")
	c, _ := newClient(t, srv, "")
	_, err := c.Pull(ctxT(t), mustRef(t, "org/m"))
	if !errors.Is(err, ErrChecksum) {
		t.Fatalf("err = %v, want a checksum error", err)
	}
	dir := c.repoDir("org/m")
	for _, sub := range []string{"blobs", "snapshots", "refs"} {
		filepath.WalkDir(filepath.Join(dir, sub), func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				t.Errorf("left behind: %s", p)
			}
			return nil
		})
	}
}

func TestParallelParts(t *testing.T) {
	srv := hubtest.New()
	defer srv.Close()
	data := blob(14, 5<<20+17)
	srv.AddRepo("org/m", map[string][]byte{"m-Q4_K_M.gguf": data})
	srv.DropAfter("m-Q4_K_M.gguf", 300_000) // one part's connection drops
	c, _ := newClient(t, srv, "")
	c.Parallel, c.ParallelMin = 4, 1<<20
	r, err := c.Pull(ctxT(t), mustRef(t, "org/m"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(readAll(t, r.Model), data) {
		t.Fatal("content differs")
	}
	ranges := 0
	for _, rq := range srv.Requests() {
		if rq.Host == "cdn" && rq.Method == "GET" && rq.Range != "" {
			ranges++
		}
	}
	if ranges < 5 {
		t.Errorf("%d ranged GETs; want 4 parts and a resumed one", ranges)
	}
	ents, _ := os.ReadDir(filepath.Join(c.repoDir("org/m"), "blobs"))
	if len(ents) != 1 {
		t.Errorf("blobs holds %d entries, want only the blob", len(ents))
	}
}

func TestGatedRepo(t *testing.T) {
	srv := hubtest.New()
	defer srv.Close()
	srv.AddRepo("meta/Gated-GGUF", map[string][]byte{"g-Q4_K_M.gguf": blob(15, 4000)})
	srv.Repo("meta/Gated-GGUF").Gated = "manual"
	srv.Repo("meta/Gated-GGUF").Grants["hf_good"] = true
	c, _ := newClient(t, srv, "")
	ref := mustRef(t, "meta/Gated-GGUF")

	_, err := c.Pull(ctxT(t), ref)
	var he *HTTPError
	if !errors.Is(err, ErrGated) || !errors.As(err, &he) || he.Status != 401 || !strings.Contains(err.Error(), "log in") || !strings.Contains(err.Error(), "meta/Gated-GGUF") {
		t.Fatalf("no token: %v", err)
	}
	c.Token = "hf_other"
	_, err = c.Pull(ctxT(t), ref)
	if !errors.Is(err, ErrGated) || !errors.As(err, &he) || he.Status != 403 || !strings.Contains(err.Error(), "request access") {
		t.Fatalf("token without access: %v", err)
	}
	c.Token = "hf_good"
	if _, err := c.Pull(ctxT(t), ref); err != nil {
		t.Fatalf("granted token: %v", err)
	}
	for _, rq := range srv.Requests() {
		if rq.Host == "cdn" && rq.Auth != "" {
			t.Error("the token was sent to the CDN")
		}
	}
}

func TestTokenFromEnvAndFile(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HF_HOME", home)
	t.Setenv("HF_TOKEN", "")
	t.Setenv("HUGGING_FACE_HUB_TOKEN", "")
	t.Setenv("HF_TOKEN_PATH", "")
	if Token() != "" {
		t.Fatal("token without any source")
	}
	os.WriteFile(filepath.Join(home, "token"), []byte("hf_file\n"), 0o600)
	if Token() != "hf_file" {
		t.Fatalf("token file: %q", Token())
	}
	alt := filepath.Join(t.TempDir(), "tok")
	os.WriteFile(alt, []byte("hf_path"), 0o600)
	t.Setenv("HF_TOKEN_PATH", alt)
	if Token() != "hf_path" {
		t.Fatalf("HF_TOKEN_PATH: %q", Token())
	}
	t.Setenv("HF_TOKEN", "hf_env")
	if Token() != "hf_env" {
		t.Fatalf("HF_TOKEN: %q", Token())
	}
	t.Setenv("HF_HUB_CACHE", "")
	t.Setenv("HUGGINGFACE_HUB_CACHE", "")
	if CacheDir() != filepath.Join(home, "hub") {
		t.Fatalf("cache dir %q", CacheDir())
	}
	t.Setenv("HF_HUB_CACHE", "/x/y")
	if CacheDir() != "/x/y" {
		t.Fatalf("HF_HUB_CACHE: %q", CacheDir())
	}
}

func TestNotFoundErrors(t *testing.T) {
	srv := hubtest.New()
	defer srv.Close()
	srv.AddRepo("org/m", map[string][]byte{"m-Q4_K_M.gguf": blob(16, 100)})
	srv.AddRepo("org/private", map[string][]byte{"p-Q4_K_M.gguf": blob(17, 100)})
	srv.Repo("org/private").Private = true
	c, _ := newClient(t, srv, "")
	for ref, want := range map[string]error{
		"org/nope":                ErrRepoNotFound,
		"org/private":             ErrRepoNotFound,
		"org/m@nobranch":          ErrRevisionNotFound,
		"org/m/missing-Q8_0.gguf": ErrEntryNotFound,
	} {
		_, err := c.Pull(ctxT(t), mustRef(t, ref))
		if !errors.Is(err, want) {
			t.Errorf("%s: %v, want %v", ref, err, want)
		}
		if err != nil && !strings.Contains(err.Error(), "org/") {
			t.Errorf("%s: error does not name the repo: %v", ref, err)
		}
	}
}

func TestOffline(t *testing.T) {
	srv := hubtest.New()
	defer srv.Close()
	data := blob(18, 10_000)
	srv.AddRepo("org/m", map[string][]byte{"m-Q4_K_M.gguf": data})
	c, _ := newClient(t, srv, "")
	c.Offline = true
	if _, err := c.Pull(ctxT(t), mustRef(t, "org/m")); !errors.Is(err, ErrNotCached) {
		t.Fatalf("offline, empty cache: %v", err)
	}
	if n := len(srv.Requests()); n != 0 {
		t.Fatalf("offline mode sent %d requests", n)
	}
	c.Offline = false
	if _, err := c.Pull(ctxT(t), mustRef(t, "org/m")); err != nil {
		t.Fatal(err)
	}
	n := len(srv.Requests())
	c.Offline = true
	r, err := c.Pull(ctxT(t), mustRef(t, "org/m:Q4_K_M"))
	if err != nil || !r.FromCache || !bytes.Equal(readAll(t, r.Model), data) {
		t.Fatalf("offline with cache: %+v %v", r, err)
	}
	if _, err := c.Pull(ctxT(t), mustRef(t, "org/m:Q8_0")); !errors.Is(err, ErrNotCached) {
		t.Fatalf("offline, other quant: %v", err)
	}
	if len(srv.Requests()) != n {
		t.Fatal("offline mode touched the network")
	}
	t.Setenv("HF_HUB_OFFLINE", "1")
	if !OfflineEnv() {
		t.Fatal("HF_HUB_OFFLINE=1 not seen")
	}
}

func TestUnreachableFallsBack(t *testing.T) {
	srv := hubtest.New()
	data := blob(19, 10_000)
	srv.AddRepo("org/m", map[string][]byte{"m-Q4_K_M.gguf": data})
	c, out := newClient(t, srv, "")
	if _, err := c.Pull(ctxT(t), mustRef(t, "org/m")); err != nil {
		t.Fatal(err)
	}
	srv.Close() // the Hub goes away
	r, err := c.Pull(ctxT(t), mustRef(t, "org/m"))
	if err != nil || !r.FromCache || !bytes.Equal(readAll(t, r.Model), data) {
		t.Fatalf("fallback: %+v %v", r, err)
	}
	if !strings.Contains(out.String(), "warning") || !strings.Contains(out.String(), "cached snapshot") {
		t.Errorf("no warning: %q", out.String())
	}
	_, err = c.Pull(ctxT(t), mustRef(t, "org/other"))
	if !IsUnreachable(err) {
		t.Fatalf("unreachable, not cached: %v", err)
	}
}

func TestConcurrentPulls(t *testing.T) {
	srv := hubtest.New()
	defer srv.Close()
	data := blob(20, 400_000)
	srv.AddRepo("org/m", map[string][]byte{"m-Q4_K_M.gguf": data})
	srv.Throttle(2_000_000)
	cache := t.TempDir()
	var wg sync.WaitGroup
	errs := make([]error, 2)
	paths := make([]string, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, _ := newClient(t, srv, cache) // separate clients, one cache
			r, err := c.Pull(ctxT(t), mustRef(t, "org/m"))
			errs[i] = err
			if err == nil {
				paths[i] = r.Model
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("pull %d: %v", i, err)
		}
	}
	if paths[0] != paths[1] || !bytes.Equal(readAll(t, paths[0]), data) {
		t.Fatal("pulls disagree")
	}
	gets := 0
	for _, rq := range srv.Requests() {
		if rq.Host == "cdn" && rq.Method == "GET" {
			gets++
		}
	}
	if gets != 1 {
		t.Errorf("the file was downloaded %d times", gets)
	}
}

func TestRetries(t *testing.T) {
	srv := hubtest.New()
	defer srv.Close()
	srv.AddRepo("org/m", map[string][]byte{"m-Q4_K_M.gguf": blob(21, 1000)})
	c, _ := newClient(t, srv, "")
	srv.RateLimit(1, "1")
	start := time.Now()
	if _, err := c.Pull(ctxT(t), mustRef(t, "org/m")); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el < 900*time.Millisecond {
		t.Errorf("Retry-After: 1 not honoured (%v)", el)
	}
	c2, _ := newClient(t, srv, "")
	srv.Fail(3)
	if _, err := c2.Pull(ctxT(t), mustRef(t, "org/m")); err != nil {
		t.Fatalf("after 503s: %v", err)
	}
	c3, _ := newClient(t, srv, "")
	c3.Retries = 2
	srv.Fail(10)
	var he *HTTPError
	if _, err := c3.Pull(ctxT(t), mustRef(t, "org/m")); !errors.As(err, &he) || he.Status != 503 {
		t.Fatalf("persistent 503: %v", err)
	}
	srv.Fail(0)
}

func TestPagination(t *testing.T) {
	srv := hubtest.New()
	defer srv.Close()
	srv.PageSize = 2
	quantRepo(srv, "org/m")
	c, _ := newClient(t, srv, "")
	tree, err := c.Tree(ctxT(t), "org/m", srv.Commit("org/m", "x", map[string][]byte{"a": nil, "b/c": nil, "b/d": nil, "e-Q8_0.gguf": blob(1, 10)}))
	if err != nil || len(tree) != 4 {
		t.Fatalf("tree: %d entries, %v", len(tree), err)
	}
	pages := 0
	for _, rq := range srv.Requests() {
		if strings.Contains(rq.Path, "/tree/") {
			pages++
		}
	}
	if pages < 3 {
		t.Errorf("%d pages", pages)
	}
}

func TestListAndRemove(t *testing.T) {
	srv := hubtest.New()
	defer srv.Close()
	_, files := quantRepo(srv, "org/M")
	c, _ := newClient(t, srv, "")
	for _, q := range []string{"Q4_K_M", "Q8_0"} {
		if _, err := c.Pull(ctxT(t), mustRef(t, "org/M:"+q)); err != nil {
			t.Fatal(err)
		}
	}
	// A model another tool put there, copied rather than linked.
	other := filepath.Join(c.CacheDir, "models--bartowski--x-GGUF", "snapshots", strings.Repeat("a", 40))
	os.MkdirAll(other, 0o755)
	os.WriteFile(filepath.Join(other, "x-IQ4_XS.gguf"), blob(30, 777), 0o644)
	os.MkdirAll(filepath.Join(c.CacheDir, "models--bartowski--x-GGUF", "refs"), 0o755)
	os.WriteFile(filepath.Join(c.CacheDir, "models--bartowski--x-GGUF", "refs", "main"), []byte(strings.Repeat("a", 40)), 0o644)

	ms, err := c.List()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range ms {
		names = append(names, m.Name())
	}
	want := "bartowski/x-GGUF:IQ4_XS org/M:Q4_K_M org/M:Q8_0"
	if strings.Join(names, " ") != want {
		t.Fatalf("list = %v, want %s", names, want)
	}
	if ms[1].Size != int64(len(files["Model-7B-Q4_K_M.gguf"])+len(files["mmproj-Model-7B-F16.gguf"])) || ms[1].LastUsed.IsZero() {
		t.Errorf("size/last use: %+v", ms[1])
	}

	q8 := filepath.Join(c.repoDir("org/M"), "blobs", sha(files["Model-7B-Q8_0.gguf"]))
	q4 := filepath.Join(c.repoDir("org/M"), "blobs", sha(files["Model-7B-Q4_K_M.gguf"]))
	rm, err := c.Remove(mustRef(t, "org/M:q8_0"))
	if err != nil || rm.Blobs != 1 {
		t.Fatalf("rm quant: %+v %v", rm, err)
	}
	if _, err := os.Stat(q8); !os.IsNotExist(err) {
		t.Error("Q8_0 blob still there")
	}
	if _, err := os.Stat(q4); err != nil {
		t.Error("Q4_K_M blob removed")
	}
	if _, err := c.Remove(mustRef(t, "org/M:Q3_K_S")); !errors.Is(err, ErrNotCached) {
		t.Errorf("rm missing quant: %v", err)
	}
	if _, err := c.Remove(mustRef(t, "org/M")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(c.repoDir("org/M")); !os.IsNotExist(err) {
		t.Error("repo folder left after rm")
	}
	ms, _ = c.List()
	if len(ms) != 1 || ms[0].Repo != "bartowski/x-GGUF" {
		t.Errorf("after rm: %+v", ms)
	}
}

func sha1Sum(b []byte) [20]byte { return sha1.Sum(b) }

func TestConcurrentLinks(t *testing.T) {
	dir := t.TempDir()
	commit := strings.Repeat("c", 40)
	data := blob(60, 5000)
	os.MkdirAll(filepath.Join(dir, "blobs"), 0o755)
	os.WriteFile(blobPath(dir, sha(data)), data, 0o644)
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := linkSnapshot(dir, commit, "a/b.gguf", sha(data)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	p := snapshotPath(dir, commit, "a/b.gguf")
	if tgt, err := os.Readlink(p); err != nil || tgt != "../../../blobs/"+sha(data) {
		t.Fatalf("link %q %v", tgt, err)
	}
	if !bytes.Equal(readAll(t, p), data) {
		t.Fatal("blob damaged")
	}
	ents, _ := os.ReadDir(filepath.Dir(p))
	if len(ents) != 1 {
		t.Fatalf("%d entries left, want the link only", len(ents))
	}
}
