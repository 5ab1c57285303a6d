// Package hubtest is an in-process fake of the Hugging Face Hub's HTTP API,
// faithful to the headers huggingface_hub relies on:
//
//   - GET /api/models/{repo}/revision/{rev}: model info with "sha";
//   - GET /api/models/{repo}/tree/{rev}?recursive=true: the file listing
//     (oid, size, lfs.oid = sha256), paginated with a Link rel="next" header;
//   - HEAD/GET /{repo}/resolve/{rev}/{path}: X-Repo-Commit and ETag (the git
//     blob id) on every file; a small file is served directly, an LFS file
//     is a 302 to a signed URL on another host (the "CDN") with
//     X-Linked-Etag (its sha256) and X-Linked-Size;
//   - the CDN serves Range requests with 206 and Content-Range;
//   - errors carry X-Error-Code (RepoNotFound, RevisionNotFound,
//     EntryNotFound, GatedRepo) and X-Error-Message, with the Hub's status
//     codes (401 for a missing or private repo without a token, 401/403 for
//     a gated one without/with a token that has no access);
//   - injected faults: 429 with Retry-After, 5xx, a connection dropped
//     mid-file, corrupted bytes, a throttled CDN.
//
// The Hub listens on 127.0.0.1 and the CDN on "localhost", so they are
// different hosts as far as a client can tell.
package hubtest

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Request is one request either server saw.
type Request struct {
	Host   string // "hub" or "cdn"
	Method string
	Path   string
	Range  string
	Auth   string // the Authorization header
	Status int
}

// Repo is a model repository.
type Repo struct {
	ID       string
	Private  bool
	Gated    string          // "", "auto" or "manual"
	Grants   map[string]bool // tokens allowed to read a private or gated repo
	branches map[string]string
	commits  map[string][]file
}

type file struct {
	path   string
	data   []byte
	lfs    bool
	gitOID string // blob id of the content, or of the LFS pointer
	sha256 string
}

// Server is the fake Hub and its CDN.
type Server struct {
	Hub, CDN *httptest.Server

	PageSize int // tree entries per page; default 1000

	mu       sync.Mutex
	repos    map[string]*Repo
	blobs    map[string][]byte // sha256 -> content, for the CDN
	log      []Request
	drops    map[string]int64 // path -> bytes to send before dropping the connection (once)
	corrupt  map[string]bool
	throttle int // CDN bytes per second; 0: unlimited
	limit429 int
	retry429 string
	fail5xx  int
	inflight sync.WaitGroup
}

// New starts the fake; Close it when done.
func New() *Server {
	s := &Server{repos: map[string]*Repo{}, blobs: map[string][]byte{}, drops: map[string]int64{}, corrupt: map[string]bool{}}
	s.Hub = httptest.NewServer(http.HandlerFunc(s.serveHub))
	s.CDN = httptest.NewUnstartedServer(http.HandlerFunc(s.serveCDN))
	s.CDN.Start()
	return s
}

// URL is the Hub's endpoint (for HF_ENDPOINT).
func (s *Server) URL() string { return s.Hub.URL }

func (s *Server) cdnURL() string {
	u, _ := url.Parse(s.CDN.URL)
	_, port, _ := net.SplitHostPort(u.Host)
	return "http://localhost:" + port
}

// Close stops both servers.
func (s *Server) Close() {
	s.Hub.CloseClientConnections()
	s.CDN.CloseClientConnections()
	s.Hub.Close()
	s.CDN.Close()
}

// AddRepo creates a repo whose "main" holds files; it returns the commit.
// Files ending in .gguf, .safetensors or .bin, or of 1 MiB or more, are
// stored with LFS.
func (s *Server) AddRepo(id string, files map[string][]byte) string {
	s.mu.Lock()
	r := &Repo{ID: id, Grants: map[string]bool{}, branches: map[string]string{}, commits: map[string][]file{}}
	s.repos[id] = r
	s.mu.Unlock()
	return s.Commit(id, "main", files)
}

// Repo returns the repo to adjust (Private, Gated, Grants) before use.
func (s *Server) Repo(id string) *Repo {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.repos[id]
}

// Commit replaces the files of branch with a new commit and returns it.
func (s *Server) Commit(id, branch string, files map[string][]byte) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repos[id]
	var paths []string
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	h := sha1.New()
	fmt.Fprintf(h, "%s\x00%s\x00%d", id, branch, len(r.commits))
	var fs []file
	for _, p := range paths {
		d := files[p]
		f := file{path: p, data: d}
		sum := sha256.Sum256(d)
		f.sha256 = hex.EncodeToString(sum[:])
		low := strings.ToLower(p)
		f.lfs = strings.HasSuffix(low, ".gguf") || strings.HasSuffix(low, ".safetensors") || strings.HasSuffix(low, ".bin") || len(d) >= 1<<20
		if f.lfs {
			pointer := fmt.Sprintf("version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize %d\n", f.sha256, len(d))
			f.gitOID = gitOID([]byte(pointer))
			s.blobs[f.sha256] = d
		} else {
			f.gitOID = gitOID(d)
		}
		fmt.Fprintf(h, "%s\x00%s\x00", p, f.gitOID)
		fs = append(fs, f)
	}
	commit := hex.EncodeToString(h.Sum(nil))
	r.commits[commit] = fs
	r.branches[branch] = commit
	return commit
}

// Tag points a tag (or another branch) at a commit.
func (s *Server) Tag(id, name, commit string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.repos[id].branches[name] = commit
}

func gitOID(d []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(d))
	h.Write(d)
	return hex.EncodeToString(h.Sum(nil))
}

// DropAfter makes the next download of path send n bytes of the body and
// then cut the connection.
func (s *Server) DropAfter(path string, n int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drops[path] = n
}

// Corrupt makes every download of path carry a flipped byte.
func (s *Server) Corrupt(path string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.corrupt[path] = true
}

// Throttle limits the CDN to about bps bytes per second per response.
func (s *Server) Throttle(bps int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.throttle = bps
}

// RateLimit answers the next n requests with 429 and Retry-After.
func (s *Server) RateLimit(n int, retryAfter string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limit429, s.retry429 = n, retryAfter
}

// Fail answers the next n requests with 503.
func (s *Server) Fail(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail5xx = n
}

// WaitIdle waits until no request is being answered (say, to a client
// that was killed) or the timeout passes; it reports whether it is idle.
func (s *Server) WaitIdle(timeout time.Duration) bool {
	done := make(chan struct{})
	go func() { s.inflight.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(timeout):
		return false
	}
}

// Requests returns what the servers saw so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.log...)
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(c int) {
	if w.status == 0 {
		w.status = c
	}
	w.ResponseWriter.WriteHeader(c)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = 200
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (s *Server) record(host string, r *http.Request, w *statusWriter) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = append(s.log, Request{Host: host, Method: r.Method, Path: r.URL.RequestURI(), Range: r.Header.Get("Range"), Auth: r.Header.Get("Authorization"), Status: w.status})
}

// injected answers an injected 429 or 503, if one is due.
func (s *Server) injected(w http.ResponseWriter) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.limit429 > 0 {
		s.limit429--
		if s.retry429 != "" {
			w.Header().Set("Retry-After", s.retry429)
		}
		hubError(w, 429, "", "You have been rate-limited; you can retry this action later.")
		return true
	}
	if s.fail5xx > 0 {
		s.fail5xx--
		hubError(w, 503, "", "Service Unavailable")
		return true
	}
	return false
}

func hubError(w http.ResponseWriter, status int, code, msg string) {
	if code != "" {
		w.Header().Set("X-Error-Code", code)
	}
	w.Header().Set("X-Error-Message", msg)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

// access checks the token against a repo as the Hub does. It writes the
// error and returns false when access is refused. Metadata of a gated repo
// is public; its files are not.
func (s *Server) access(w http.ResponseWriter, r *http.Request, repo *Repo, files bool) bool {
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	hasTok := tok != "" && tok != r.Header.Get("Authorization")
	s.mu.Lock()
	granted := hasTok && repo.Grants[tok]
	s.mu.Unlock()
	if repo.Private && !granted {
		status := 401
		if hasTok {
			status = 404
		}
		hubError(w, status, "RepoNotFound", "Repository not found")
		return false
	}
	if repo.Gated != "" && files && !granted {
		if !hasTok {
			hubError(w, 401, "GatedRepo", fmt.Sprintf("Access to model %s is restricted. You must have access to it and be authenticated to access it. Please log in.", repo.ID))
		} else {
			hubError(w, 403, "GatedRepo", fmt.Sprintf("Access to model %s is restricted and you are not in the authorized list. Visit https://huggingface.co/%s to ask for access.", repo.ID, repo.ID))
		}
		return false
	}
	return true
}

// lookup finds repo and the commit rev names.
func (s *Server) lookup(w http.ResponseWriter, r *http.Request, id, rev string, files bool) (*Repo, string, []file, bool) {
	s.mu.Lock()
	repo := s.repos[id]
	s.mu.Unlock()
	if repo == nil {
		status := 401
		if r.Header.Get("Authorization") != "" {
			status = 404
		}
		hubError(w, status, "RepoNotFound", "Repository not found")
		return nil, "", nil, false
	}
	if !s.access(w, r, repo, files) {
		return nil, "", nil, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	commit := rev
	if c, ok := repo.branches[rev]; ok {
		commit = c
	}
	fs, ok := repo.commits[commit]
	if !ok {
		hubError(w, 404, "RevisionNotFound", "Invalid rev id: "+rev)
		return nil, "", nil, false
	}
	return repo, commit, fs, true
}

func (s *Server) serveHub(rw http.ResponseWriter, r *http.Request) {
	s.inflight.Add(1)
	defer s.inflight.Done()
	w := &statusWriter{ResponseWriter: rw}
	defer s.record("hub", r, w)
	w.Header().Set("X-Request-Id", "Root=1-fake")
	if s.injected(w) {
		return
	}
	// Work on the escaped path: a revision like refs/pr/1 arrives as refs%2Fpr%2F1.
	parts := strings.Split(strings.TrimPrefix(r.URL.EscapedPath(), "/"), "/")
	unesc := func(p string) string {
		u, err := url.PathUnescape(p)
		if err != nil {
			return "\x00"
		}
		return u
	}
	switch {
	case len(parts) >= 6 && parts[0] == "api" && parts[1] == "models" && r.Method == http.MethodGet:
		id := unesc(parts[2]) + "/" + unesc(parts[3])
		rev := unesc(parts[5])
		switch parts[4] {
		case "revision":
			if len(parts) != 6 {
				break
			}
			s.revision(w, r, id, rev)
			return
		case "tree":
			var sub []string
			for _, p := range parts[6:] {
				sub = append(sub, unesc(p))
			}
			s.tree(w, r, id, rev, strings.Join(sub, "/"))
			return
		}
	case len(parts) >= 5 && parts[2] == "resolve" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		id := unesc(parts[0]) + "/" + unesc(parts[1])
		var p []string
		for _, x := range parts[4:] {
			p = append(p, unesc(x))
		}
		s.resolve(w, r, id, unesc(parts[3]), strings.Join(p, "/"))
		return
	}
	hubError(w, 404, "", "Not Found")
}

func (s *Server) revision(w http.ResponseWriter, r *http.Request, id, rev string) {
	repo, commit, fs, ok := s.lookup(w, r, id, rev, false)
	if !ok {
		return
	}
	type sib struct {
		RFilename string `json:"rfilename"`
	}
	var sibs []sib
	for _, f := range fs {
		sibs = append(sibs, sib{f.path})
	}
	var gated any = false
	if repo.Gated != "" {
		gated = repo.Gated
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	json.NewEncoder(w).Encode(map[string]any{
		"_id": "fake" + commit[:16], "id": id, "modelId": id, "author": strings.Split(id, "/")[0],
		"sha": commit, "lastModified": "2025-01-01T00:00:00.000Z", "private": repo.Private,
		"gated": gated, "disabled": false, "library_name": "gguf", "tags": []string{"gguf"},
		"siblings": sibs,
	})
}

type treeLFS struct {
	OID         string `json:"oid"`
	Size        int    `json:"size"`
	PointerSize int    `json:"pointerSize"`
}

type treeEntry struct {
	Type string   `json:"type"`
	OID  string   `json:"oid"`
	Size int      `json:"size"`
	Path string   `json:"path"`
	LFS  *treeLFS `json:"lfs,omitempty"`
}

func (s *Server) tree(w http.ResponseWriter, r *http.Request, id, rev, sub string) {
	_, _, fs, ok := s.lookup(w, r, id, rev, false)
	if !ok {
		return
	}
	recursive := r.URL.Query().Get("recursive") == "true" || r.URL.Query().Get("recursive") == "1"
	var all []treeEntry
	dirs := map[string]bool{}
	prefix := ""
	if sub != "" {
		prefix = sub + "/"
	}
	for _, f := range fs {
		if !strings.HasPrefix(f.path, prefix) {
			continue
		}
		segs := strings.Split(f.path[len(prefix):], "/")
		for k := 1; k < len(segs) && (recursive || k == 1); k++ {
			d := prefix + strings.Join(segs[:k], "/")
			if !dirs[d] {
				dirs[d] = true
				all = append(all, treeEntry{Type: "directory", OID: gitOID([]byte(d)), Size: 0, Path: d})
			}
		}
		if !recursive && len(segs) > 1 {
			continue
		}
		e := treeEntry{Type: "file", OID: f.gitOID, Size: len(f.data), Path: f.path}
		if f.lfs {
			e.LFS = &treeLFS{OID: f.sha256, Size: len(f.data), PointerSize: 134}
		}
		all = append(all, e)
	}
	if len(all) == 0 && sub != "" {
		hubError(w, 404, "EntryNotFound", fmt.Sprintf("%s does not exist on %q", sub, rev))
		return
	}
	page := s.PageSize
	if page <= 0 {
		page = 1000
	}
	start, _ := strconv.Atoi(r.URL.Query().Get("cursor"))
	if start < 0 || start > len(all) {
		start = len(all)
	}
	end := min(start+page, len(all))
	if end < len(all) {
		q := r.URL.Query()
		q.Set("cursor", strconv.Itoa(end))
		next := *r.URL
		next.RawQuery = q.Encode()
		w.Header().Set("Link", fmt.Sprintf(`<%s%s>; rel="next"`, s.Hub.URL, next.RequestURI()))
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	out := all[start:end]
	if out == nil {
		out = []treeEntry{}
	}
	json.NewEncoder(w).Encode(out)
}

func (s *Server) resolve(w http.ResponseWriter, r *http.Request, id, rev, path string) {
	_, commit, fs, ok := s.lookup(w, r, id, rev, true)
	if !ok {
		return
	}
	var f *file
	for i := range fs {
		if fs[i].path == path {
			f = &fs[i]
		}
	}
	if f == nil {
		w.Header().Set("X-Repo-Commit", commit)
		hubError(w, 404, "EntryNotFound", "Entry not found")
		return
	}
	h := w.Header()
	h.Set("X-Repo-Commit", commit)
	h.Set("Accept-Ranges", "bytes")
	if f.lfs {
		h.Set("ETag", `"`+f.gitOID+`"`)
		h.Set("X-Linked-Etag", `"`+f.sha256+`"`)
		h.Set("X-Linked-Size", strconv.Itoa(len(f.data)))
		h.Set("Location", fmt.Sprintf("%s/repos/%s/%s?response-content-disposition=attachment&Expires=%d&Signature=fake",
			s.cdnURL(), f.sha256[:2], f.sha256, time.Now().Add(time.Hour).Unix()))
		h.Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusFound)
		if r.Method == http.MethodGet {
			fmt.Fprintf(w, "Found. Redirecting to %s", h.Get("Location"))
		}
		return
	}
	h.Set("ETag", `"`+f.gitOID+`"`)
	s.serveBytes(w, r, f.path, f.data)
}

func (s *Server) serveCDN(rw http.ResponseWriter, r *http.Request) {
	s.inflight.Add(1)
	defer s.inflight.Done()
	w := &statusWriter{ResponseWriter: rw}
	defer s.record("cdn", r, w)
	if r.Header.Get("Authorization") != "" {
		// A signed URL must not carry the Hub token; S3 refuses that.
		http.Error(w, "<Error><Code>InvalidArgument</Code><Message>Only one auth mechanism allowed</Message></Error>", 400)
		return
	}
	if s.injected(w) {
		return
	}
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if len(parts) != 3 || parts[0] != "repos" || r.URL.Query().Get("Signature") == "" {
		http.Error(w, "<Error><Code>AccessDenied</Code></Error>", 403)
		return
	}
	if exp, _ := strconv.ParseInt(r.URL.Query().Get("Expires"), 10, 64); exp < time.Now().Unix() {
		http.Error(w, "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>", 403)
		return
	}
	s.mu.Lock()
	data, ok := s.blobs[parts[2]]
	var path string
	for _, repo := range s.repos {
		for _, fs := range repo.commits {
			for _, f := range fs {
				if f.sha256 == parts[2] {
					path = f.path
				}
			}
		}
	}
	s.mu.Unlock()
	if !ok {
		http.Error(w, "<Error><Code>NoSuchKey</Code></Error>", 404)
		return
	}
	w.Header().Set("ETag", `"`+parts[2]+`"`)
	s.serveBytes(w, r, path, data)
}

// serveBytes answers a GET or HEAD for data, honouring one Range, with
// the injected drop, corruption and throttle.
func (s *Server) serveBytes(w http.ResponseWriter, r *http.Request, path string, data []byte) {
	size := int64(len(data))
	a, z := int64(0), size-1
	status := http.StatusOK
	if rg := r.Header.Get("Range"); rg != "" {
		ra, rz, ok := parseRange(rg, size)
		if !ok {
			w.Header().Set("Content-Range", fmt.Sprintf("bytes */%d", size))
			w.WriteHeader(http.StatusRequestedRangeNotSatisfiable)
			return
		}
		a, z, status = ra, rz, http.StatusPartialContent
		w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", a, z, size))
	}
	w.Header().Set("Content-Length", strconv.FormatInt(z-a+1, 10))
	w.Header().Set("Content-Type", "application/octet-stream")
	w.WriteHeader(status)
	if r.Method == http.MethodHead || size == 0 {
		return
	}
	body := data[a : z+1]
	s.mu.Lock()
	drop, dropping := s.drops[path]
	if dropping {
		delete(s.drops, path)
	}
	if s.corrupt[path] {
		body = append([]byte(nil), body...)
		body[len(body)/2] ^= 0xff
	}
	bps := s.throttle
	s.mu.Unlock()
	if dropping && drop < int64(len(body)) {
		w.Write(body[:drop])
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		panic(http.ErrAbortHandler) // the server cuts the connection
	}
	if bps <= 0 {
		w.Write(body)
		return
	}
	chunk := max(bps/20, 1)
	for len(body) > 0 {
		n := min(chunk, len(body))
		if _, err := w.Write(body[:n]); err != nil {
			return
		}
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		body = body[n:]
		time.Sleep(50 * time.Millisecond)
	}
}

// parseRange reads one "bytes=a-b", "bytes=a-" or "bytes=-n" range.
func parseRange(h string, size int64) (int64, int64, bool) {
	spec, ok := strings.CutPrefix(h, "bytes=")
	if !ok || strings.Contains(spec, ",") {
		return 0, 0, false
	}
	as, zs, ok := strings.Cut(spec, "-")
	if !ok {
		return 0, 0, false
	}
	if as == "" {
		n, err := strconv.ParseInt(zs, 10, 64)
		if err != nil || n <= 0 {
			return 0, 0, false
		}
		return max(size-n, 0), size - 1, true
	}
	a, err := strconv.ParseInt(as, 10, 64)
	if err != nil || a < 0 || a >= size {
		return 0, 0, false
	}
	z := size - 1
	if zs != "" {
		if z, err = strconv.ParseInt(zs, 10, 64); err != nil || z < a {
			return 0, 0, false
		}
		z = min(z, size-1)
	}
	return a, z, true
}
