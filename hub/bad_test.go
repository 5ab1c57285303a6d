package hub

import (
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBadReplies points the client at a Hub that misbehaves in one way at
// a time: every case must end in an error (not a panic, not a hang) and
// leave no file in the snapshots.
func TestBadReplies(t *testing.T) {
	const commit = "0123456789abcdef0123456789abcdef01234567"
	data := blob(50, 1000)
	sum := sha(data)
	good := map[string]string{
		"revision": fmt.Sprintf(`{"id":"o/m","sha":%q}`, commit),
		"tree":     fmt.Sprintf(`[{"type":"file","oid":"%s","size":1000,"path":"m-Q4_K_M.gguf","lfs":{"oid":%q,"size":1000,"pointerSize":134}}]`, strings.Repeat("1", 40), sum),
	}
	type tweak func(w http.ResponseWriter, r *http.Request) bool
	cases := map[string]tweak{
		"revision not JSON": func(w http.ResponseWriter, r *http.Request) bool {
			if strings.Contains(r.URL.Path, "/revision/") {
				fmt.Fprint(w, "<html>")
				return true
			}
			return false
		},
		"bad commit": func(w http.ResponseWriter, r *http.Request) bool {
			if strings.Contains(r.URL.Path, "/revision/") {
				fmt.Fprint(w, `{"sha":"../../x"}`)
				return true
			}
			return false
		},
		"path escapes": func(w http.ResponseWriter, r *http.Request) bool {
			if strings.Contains(r.URL.Path, "/tree/") {
				fmt.Fprintf(w, `[{"type":"file","oid":"%s","size":1000,"path":"../../../x-Q4_K_M.gguf","lfs":{"oid":%q,"size":1000}}]`, strings.Repeat("1", 40), sum)
				return true
			}
			return false
		},
		"bad lfs oid": func(w http.ResponseWriter, r *http.Request) bool {
			if strings.Contains(r.URL.Path, "/tree/") {
				fmt.Fprintf(w, `[{"type":"file","oid":"x","size":1000,"path":"m-Q4_K_M.gguf","lfs":{"oid":"../evil","size":1000}}]`)
				return true
			}
			return false
		},
		"negative size": func(w http.ResponseWriter, r *http.Request) bool {
			if strings.Contains(r.URL.Path, "/tree/") {
				fmt.Fprintf(w, `[{"type":"file","oid":"%s","size":-5,"path":"m-Q4_K_M.gguf","lfs":{"oid":%q,"size":-5}}]`, strings.Repeat("1", 40), sum)
				return true
			}
			return false
		},
		"foreign pagination link": func(w http.ResponseWriter, r *http.Request) bool {
			if strings.Contains(r.URL.Path, "/tree/") {
				w.Header().Set("Link", `<http://evil.example/next>; rel="next"`)
			}
			return false
		},
		"etag differs": func(w http.ResponseWriter, r *http.Request) bool {
			if strings.Contains(r.URL.Path, "/resolve/") {
				w.Header().Set("X-Linked-Etag", `"`+strings.Repeat("f", 64)+`"`)
			}
			return false
		},
		"size differs": func(w http.ResponseWriter, r *http.Request) bool {
			if strings.Contains(r.URL.Path, "/resolve/") {
				w.Header().Set("X-Linked-Size", "999999999999")
			}
			return false
		},
		"redirect loop": func(w http.ResponseWriter, r *http.Request) bool {
			if strings.Contains(r.URL.Path, "/resolve/") {
				http.Redirect(w, r, r.URL.Path, http.StatusFound)
				return true
			}
			return false
		},
		"bad content-range": func(w http.ResponseWriter, r *http.Request) bool {
			if r.URL.Path == "/cdn" && r.Header.Get("Range") != "" {
				w.Header().Set("Content-Range", "bytes 0-10/1000")
				w.WriteHeader(206)
				w.Write(data[:11])
				return true
			}
			if r.URL.Path == "/cdn" {
				w.Header().Set("Content-Length", "1000")
				w.Write(data[:500]) // and the connection ends short
				panic(http.ErrAbortHandler)
			}
			return false
		},
		"wrong bytes, longer body": func(w http.ResponseWriter, r *http.Request) bool {
			if r.URL.Path == "/cdn" {
				w.Write(append(blob(51, 1000), make([]byte, 5000)...))
				return true
			}
			return false
		},
	}
	for name, tw := range cases {
		t.Run(name, func(t *testing.T) {
			var srv *httptest.Server
			srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tw(w, r) {
					return
				}
				switch {
				case strings.Contains(r.URL.Path, "/revision/"):
					fmt.Fprint(w, good["revision"])
				case strings.Contains(r.URL.Path, "/tree/"):
					fmt.Fprint(w, good["tree"])
				case strings.Contains(r.URL.Path, "/resolve/"):
					w.Header().Set("X-Repo-Commit", commit)
					if w.Header().Get("X-Linked-Etag") == "" {
						w.Header().Set("X-Linked-Etag", `"`+sum+`"`)
					}
					if w.Header().Get("X-Linked-Size") == "" {
						w.Header().Set("X-Linked-Size", "1000")
					}
					http.Redirect(w, r, srv.URL+"/cdn", http.StatusFound)
				case r.URL.Path == "/cdn":
					http.ServeContent(w, r, "", timeZero, strings.NewReader(string(data)))
				default:
					http.NotFound(w, r)
				}
			}))
			defer srv.Close()
			c := &Client{Endpoint: srv.URL, CacheDir: t.TempDir(), RetryBase: 1, Retries: 2, Parallel: 1}
			_, err := c.Pull(ctxT(t), Ref{Repo: "o/m"})
			if err == nil {
				t.Fatal("no error")
			}
			t.Log(err)
			filepath.WalkDir(c.CacheDir, func(p string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() && strings.Contains(p, "snapshots") {
					t.Errorf("left in snapshots: %s", p)
				}
				return nil
			})
		})
	}
}

var timeZero = time.Time{}
