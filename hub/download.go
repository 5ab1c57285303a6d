package hub

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

func (c *Client) parallel() int {
	if c.Parallel > 0 {
		return min(c.Parallel, 64)
	}
	return 8
}

func (c *Client) parallelMin() int64 {
	if c.ParallelMin > 0 {
		return c.ParallelMin
	}
	return 256 << 20
}

// fetch makes snapshots/{commit}/{e.Path} point at a verified blob,
// downloading it if the cache lacks it.
func (c *Client) fetch(ctx context.Context, repo, commit string, e TreeEntry) error {
	dir := c.repoDir(repo)
	if cachedFile(dir, commit, e.Path, e.Size) {
		return nil
	}
	blob := e.BlobName()
	bp := blobPath(dir, blob)
	if blobComplete(bp, e.Size) {
		return linkSnapshot(dir, commit, e.Path, blob)
	}
	lk, err := lockFile(ctx, c.lockPath(repo, blob), func() {
		if c.Progress != nil {
			fmt.Fprintf(c.Progress, "hearth: %s: waiting for another download of the same file\n", e.Path)
		}
	})
	if err != nil {
		return err
	}
	defer lk.Unlock()
	// Whoever held the lock may have finished the blob.
	if !blobComplete(bp, e.Size) {
		if err := c.download(ctx, repo, commit, e, bp); err != nil {
			return err
		}
	}
	return linkSnapshot(dir, commit, e.Path, blob)
}

func blobComplete(p string, size int64) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular() && st.Size() == size
}

// source is where the bytes of one file come from: the resolve URL or the
// CDN it redirects to. A signed CDN link that has expired is renewed.
type source struct {
	c                  *Client
	repo, commit, path string
	mu                 sync.Mutex
	loc                string
	renewed            int
	size               int64
}

func (s *source) url() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.loc
}

func (s *source) renew(ctx context.Context, old string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.loc != old {
		return nil // another part renewed it
	}
	if s.renewed >= 3 {
		return errors.New("hub: download link keeps being refused")
	}
	s.renewed++
	m, err := s.c.Meta(ctx, s.repo, s.commit, s.path)
	if err != nil {
		return err
	}
	s.loc = m.Location
	return nil
}

// download writes the blob at bp: BLOB.incomplete is filled (resuming
// what is there), verified against the listed hash, then renamed. The
// caller holds the blob's lock.
func (c *Client) download(ctx context.Context, repo, commit string, e TreeEntry, bp string) error {
	m, err := c.Meta(ctx, repo, commit, e.Path)
	if err != nil {
		return err
	}
	if m.Commit != "" && m.Commit != commit {
		return fmt.Errorf("hub: %s/%s: the Hub served commit %s, asked for %s", repo, e.Path, m.Commit, commit)
	}
	if m.ETag != "" && m.ETag != e.BlobName() {
		return fmt.Errorf("hub: %s/%s: the Hub's ETag %q differs from the listed %q", repo, e.Path, m.ETag, e.BlobName())
	}
	if m.Size >= 0 && m.Size != e.Size {
		return fmt.Errorf("hub: %s/%s: the Hub says %d bytes, its listing %d", repo, e.Path, m.Size, e.Size)
	}
	if err := os.MkdirAll(filepath.Dir(bp), 0o755); err != nil {
		return fmt.Errorf("hub: %w", err)
	}
	src := &source{c: c, repo: repo, commit: commit, path: e.Path, loc: m.Location, size: e.Size}
	inc := bp + ".incomplete"
	f, err := os.OpenFile(inc, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("hub: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	have := st.Size()
	if have > e.Size {
		if err := f.Truncate(0); err != nil {
			f.Close()
			return err
		}
		have = 0
	}
	b := c.newBar(e.Path, e.Size, have)
	_, statErr := os.Stat(inc + ".parts")
	if statErr == nil || (e.Size-have >= c.parallelMin() && c.parallel() > 1) {
		err = c.getParallel(ctx, src, f, inc, e.Size, have, b)
	} else {
		err = c.getRange(ctx, src, f, 0, 0, have, e.Size, true, b)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		if err = verifyFile(inc, e); err != nil {
			os.Remove(inc)
		}
	}
	b.finish(err)
	if err != nil {
		return err
	}
	if err := os.Rename(inc, bp); err != nil {
		return fmt.Errorf("hub: %w", err)
	}
	return nil
}

// verifyFile checks path against the hash the Hub lists: the sha256 of an
// LFS file, the git blob id of any other.
func verifyFile(path string, e TreeEntry) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var h hash.Hash
	if e.LFS != nil {
		h = sha256.New()
	} else {
		h = sha1.New()
		fmt.Fprintf(h, "blob %d\x00", e.Size)
	}
	n, err := io.Copy(h, f)
	if err != nil {
		return fmt.Errorf("hub: verify %s: %w", e.Path, err)
	}
	got := hex.EncodeToString(h.Sum(nil))
	if n != e.Size || got != e.BlobName() {
		kind := "sha256"
		if e.LFS == nil {
			kind = "git blob id"
		}
		return fmt.Errorf("hub: %s: %w: downloaded %d bytes with %s %s, the Hub lists %d bytes with %s; the partial file was removed",
			e.Path, ErrChecksum, n, kind, got, e.Size, e.BlobName())
	}
	return nil
}

var errNoRange = errors.New("hub: the server ignored a Range request")

// getRange fills bytes [have, end) of a file: byte i goes to f at offset
// base+i-start. A dropped connection is resumed with a Range request;
// restart allows starting over when the server ignores Range.
func (c *Client) getRange(ctx context.Context, src *source, f *os.File, base, start, have, end int64, restart bool, b *bar) error {
	fails := 0
	for have < end {
		n, err := c.getOnce(ctx, src, f, base, start, have, end, restart, b)
		if n > 0 {
			fails = 0
		}
		have += n
		if err == nil {
			continue
		}
		var reset *resetError
		if errors.As(err, &reset) {
			have = start
			b.reset(0)
			continue
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var herr *HTTPError
		if errors.As(err, &herr) && (herr.Status == 401 || herr.Status == 403 || herr.Status == 410) && !c.sameHostURL(src.url()) {
			// A signed CDN link expired: ask the Hub for a new one.
			if rerr := src.renew(ctx, src.url()); rerr != nil {
				return rerr
			}
			continue
		}
		var retry *retryError
		var final *finalError
		if errors.As(err, &final) || !errors.As(err, &retry) || fails >= c.retries() {
			return err
		}
		wait := c.retryBase() << fails
		if retry.retryAfter > 0 {
			wait = retry.retryAfter
		}
		wait = min(wait, c.maxRetryWait())
		fails++
		if err := sleep(ctx, wait); err != nil {
			return err
		}
	}
	return nil
}

func (c *Client) sameHostURL(s string) bool {
	req, err := http.NewRequest(http.MethodGet, s, nil)
	return err == nil && c.sameHost(req.URL)
}

type finalError struct{ err error }

func (e *finalError) Error() string { return e.err.Error() }
func (e *finalError) Unwrap() error { return e.err }

type resetError struct{}

func (*resetError) Error() string { return "restart" }

// getOnce is one GET; it returns how many bytes it wrote.
func (c *Client) getOnce(ctx context.Context, src *source, f *os.File, base, start, have, end int64, restart bool, b *bar) (int64, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	h := http.Header{}
	if have > 0 || end < src.size {
		h.Set("Range", fmt.Sprintf("bytes=%d-%d", have, end-1))
	}
	resp, err := c.do(ctx, request{method: http.MethodGet, url: src.url(), header: h, repo: src.repo, rev: src.commit, path: src.path, notFound: ErrEntryNotFound, follow: true})
	if err != nil {
		// do has already retried what deserves it.
		return 0, &finalError{err}
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusPartialContent:
		a, z, _, ok := parseContentRange(resp.Header.Get("Content-Range"))
		if !ok || a != have || z >= end {
			return 0, fmt.Errorf("hub: %s: asked for bytes %d-%d, got Content-Range %q", src.path, have, end-1, resp.Header.Get("Content-Range"))
		}
	case http.StatusOK:
		if h.Get("Range") != "" {
			if !restart || start != 0 {
				return 0, errNoRange
			}
			if have > 0 {
				if err := f.Truncate(base); err != nil {
					return 0, err
				}
				return 0, &resetError{}
			}
		}
	default:
		if resp.StatusCode >= 300 && resp.StatusCode < 400 {
			// The resolve URL redirected again (a 302 to the CDN).
			loc, err := resp.Request.URL.Parse(resp.Header.Get("Location"))
			if err != nil {
				return 0, fmt.Errorf("hub: %s: bad redirect", src.path)
			}
			src.mu.Lock()
			src.loc = loc.String()
			src.mu.Unlock()
			return 0, &retryError{err: errors.New("redirected")}
		}
		return 0, fmt.Errorf("hub: %s: unexpected HTTP %d", src.path, resp.StatusCode)
	}
	// A watchdog cancels a body that stops sending.
	stall := c.stallTimeout()
	var stalled bool
	var smu sync.Mutex
	t := time.AfterFunc(stall, func() { smu.Lock(); stalled = true; smu.Unlock(); cancel() })
	defer t.Stop()
	buf := make([]byte, 256<<10)
	var wrote int64
	r := io.LimitReader(resp.Body, end-have)
	for {
		n, rerr := r.Read(buf)
		if n > 0 {
			t.Reset(stall)
			if _, err := f.WriteAt(buf[:n], base+have-start+wrote); err != nil {
				return wrote, fmt.Errorf("hub: write %s: %w", f.Name(), err)
			}
			wrote += int64(n)
			b.add(n)
		}
		if rerr == io.EOF {
			if have+wrote < end {
				return wrote, &retryError{err: fmt.Errorf("hub: %s: connection closed at byte %d of %d", src.path, have+wrote, end)}
			}
			return wrote, nil
		}
		if rerr != nil {
			smu.Lock()
			st := stalled
			smu.Unlock()
			if st {
				rerr = fmt.Errorf("no data for %s", stall)
			}
			return wrote, &retryError{err: &unreachableError{fmt.Errorf("%s: %w", src.path, rerr)}}
		}
		if have+wrote >= end {
			return wrote, nil
		}
	}
}

// parseContentRange reads "bytes A-Z/TOTAL".
func parseContentRange(s string) (a, z, total int64, ok bool) {
	s, found := strings.CutPrefix(strings.TrimSpace(s), "bytes ")
	if !found {
		return 0, 0, 0, false
	}
	r, t, found := strings.Cut(s, "/")
	if !found {
		return 0, 0, 0, false
	}
	as, zs, found := strings.Cut(r, "-")
	if !found {
		return 0, 0, 0, false
	}
	var err error
	if a, err = strconv.ParseInt(as, 10, 64); err != nil || a < 0 {
		return 0, 0, 0, false
	}
	if z, err = strconv.ParseInt(zs, 10, 64); err != nil || z < a {
		return 0, 0, 0, false
	}
	total = -1
	if t != "*" {
		if total, err = strconv.ParseInt(t, 10, 64); err != nil || total <= z {
			return 0, 0, 0, false
		}
	}
	return a, z, total, true
}

// partsManifest records how a parallel download split a file:
// BLOB.incomplete holds part 0 [0, Bounds[1]), and part k's bytes
// [Bounds[k], Bounds[k+1]) are in BLOB.incomplete.{Bounds[k]} until the
// parts are appended in order. BLOB.incomplete only ever holds a prefix of
// the file, so any other tool can resume it.
type partsManifest struct {
	Size   int64   `json:"size"`
	Bounds []int64 `json:"bounds"` // part starts, Bounds[0] == 0
}

func (m *partsManifest) end(k int) int64 {
	if k+1 < len(m.Bounds) {
		return m.Bounds[k+1]
	}
	return m.Size
}

func partName(inc string, start int64) string { return inc + "." + strconv.FormatInt(start, 10) }

func (m *partsManifest) valid(size int64) bool {
	if m.Size != size || len(m.Bounds) < 1 || len(m.Bounds) > 64 || m.Bounds[0] != 0 {
		return false
	}
	for k := 1; k < len(m.Bounds); k++ {
		if m.Bounds[k] <= m.Bounds[k-1] || m.Bounds[k] >= size {
			return false
		}
	}
	return true
}

func removeParts(inc string) {
	for _, p := range partFiles(inc) {
		os.Remove(p)
	}
	os.Remove(inc + ".parts")
}

func partFiles(inc string) []string {
	ms, _ := filepath.Glob(globEscape(inc) + ".*")
	var out []string
	for _, p := range ms {
		suffix := strings.TrimPrefix(p, inc+".")
		if _, err := strconv.ParseInt(suffix, 10, 64); err == nil {
			out = append(out, p)
		}
	}
	return out
}

func globEscape(s string) string {
	r := strings.NewReplacer(`*`, `\*`, `?`, `\?`, `[`, `\[`, `\`, `\\`)
	return r.Replace(s)
}

// getParallel downloads [have, size) as ranged parts at once.
func (c *Client) getParallel(ctx context.Context, src *source, f *os.File, inc string, size, have int64, b *bar) error {
	var m partsManifest
	ok := false
	if data, err := os.ReadFile(inc + ".parts"); err == nil && len(data) < 1<<16 && json.Unmarshal(data, &m) == nil && m.valid(size) {
		ok = c.resumeParts(f, inc, &m, &have)
	}
	if !ok {
		removeParts(inc)
		n := int64(c.parallel())
		if left := size - have; left < n*(1<<20) {
			n = max(1, left/(1<<20))
		}
		m = partsManifest{Size: size, Bounds: []int64{0}}
		for k := int64(1); k < n; k++ {
			m.Bounds = append(m.Bounds, have+(size-have)*k/n)
		}
		data, _ := json.Marshal(m)
		if err := writeFileAtomic(inc+".parts", data); err != nil {
			return err
		}
	}
	// Count what the side files already hold.
	extra := int64(0)
	for k := 1; k < len(m.Bounds); k++ {
		if st, err := os.Stat(partName(inc, m.Bounds[k])); err == nil {
			extra += min(st.Size(), m.end(k)-m.Bounds[k])
		}
	}
	b.reset(have + extra)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, len(m.Bounds))
	for k := range m.Bounds {
		wg.Add(1)
		go func(k int) {
			defer wg.Done()
			var err error
			if k == 0 {
				err = c.getRange(ctx, src, f, 0, 0, have, m.end(0), false, b)
			} else {
				err = c.getPart(ctx, src, inc, m.Bounds[k], m.end(k), b)
			}
			if err != nil {
				errs[k] = err
				cancel()
			}
		}(k)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	// Append the parts in order; a crash here is undone by resumeParts.
	for k := 1; k < len(m.Bounds); k++ {
		if err := appendPart(f, partName(inc, m.Bounds[k]), m.Bounds[k]); err != nil {
			return err
		}
	}
	os.Remove(inc + ".parts")
	return nil
}

// resumeParts reconciles BLOB.incomplete with the manifest after an
// interruption. It returns false when they disagree (then the parts are
// dropped and BLOB.incomplete is resumed as a prefix).
func (c *Client) resumeParts(f *os.File, inc string, m *partsManifest, have *int64) bool {
	if *have <= m.end(0) {
		return true // still downloading
	}
	// Appending was under way: find the part that was being appended.
	for k := 1; k < len(m.Bounds); k++ {
		if *have > m.end(k) || (*have == m.end(k) && k+1 < len(m.Bounds)) {
			continue
		}
		if *have == m.Size {
			return true
		}
		st, err := os.Stat(partName(inc, m.Bounds[k]))
		if err != nil || st.Size() != m.end(k)-m.Bounds[k] {
			return false
		}
		if err := f.Truncate(m.Bounds[k]); err != nil {
			return false
		}
		*have = m.Bounds[k]
		return true
	}
	return *have == m.Size
}

// getPart fills the side file of one part, resuming from its length.
func (c *Client) getPart(ctx context.Context, src *source, inc string, start, end int64, b *bar) error {
	pf, err := os.OpenFile(partName(inc, start), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	defer pf.Close()
	st, err := pf.Stat()
	if err != nil {
		return err
	}
	got := st.Size()
	if got > end-start {
		if err := pf.Truncate(0); err != nil {
			return err
		}
		got = 0
	}
	return c.getRange(ctx, src, pf, 0, start, start+got, end, false, b)
}

// appendPart copies a complete side file to the end of f (which must
// then be start bytes long) and removes it. A part already appended (f is
// longer) is only removed.
func appendPart(f *os.File, part string, start int64) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if st.Size() > start {
		pst, err := os.Stat(part)
		if err == nil && st.Size() < start+pst.Size() {
			return fmt.Errorf("hub: %s: inconsistent partial download", part)
		}
		os.Remove(part)
		return nil
	}
	if st.Size() != start {
		return fmt.Errorf("hub: %s: partial file is %d bytes, want %d", part, st.Size(), start)
	}
	pf, err := os.Open(part)
	if err != nil {
		return err
	}
	defer pf.Close()
	if _, err := f.Seek(start, io.SeekStart); err != nil {
		return err
	}
	if _, err := io.Copy(f, pf); err != nil {
		return err
	}
	pf.Close()
	return os.Remove(part)
}
