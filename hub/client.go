package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/term"
)

// Client talks to one Hub and keeps one cache.
type Client struct {
	Endpoint string // e.g. https://huggingface.co; see Endpoint()
	Token    string // sent as a bearer token to Endpoint's host only
	CacheDir string // the huggingface_hub cache root
	Offline  bool   // use only the cache, never the network

	HTTP *http.Client // nil: a client with sane timeouts

	// Progress receives progress bars or lines (stderr in the CLI); nil is
	// quiet. Terminal selects the redrawn bar over plain lines.
	Progress io.Writer
	Terminal bool
	// Warn receives warnings (a fall back to the cache); nil: Progress.
	Warn io.Writer

	Retries      int           // attempts after the first on 429/5xx/network errors; default 6
	RetryBase    time.Duration // first back-off; default 1s, doubled each time
	MaxRetryWait time.Duration // cap on one wait, Retry-After included; default 60s
	StallTimeout time.Duration // a body that sends nothing this long is retried; default 60s

	// Files of at least ParallelMin bytes are fetched as Parallel ranged
	// parts at once. Defaults: 8 parts, 256 MiB.
	Parallel    int
	ParallelMin int64

	// ChooseQuant picks the quantization when a reference names none;
	// nil: the fixed order Q4_K_M, Q8_0, the smallest file.
	ChooseQuant QuantChooser
}

// New returns a client configured from the environment as huggingface_hub
// reads it: HF_ENDPOINT, HF_TOKEN / HF_TOKEN_PATH / the token file,
// HF_HUB_CACHE / HF_HOME, HF_HUB_OFFLINE. Progress goes to stderr.
func New() *Client {
	return &Client{
		Endpoint: Endpoint(),
		Token:    Token(),
		CacheDir: CacheDir(),
		Offline:  OfflineEnv(),
		Progress: os.Stderr,
		Terminal: term.IsTerminal(int(os.Stderr.Fd())),
	}
}

const (
	maxJSONBytes  = 64 << 20 // one API reply
	maxErrorBytes = 64 << 10 // an error body we read for its message
	maxTreeFiles  = 200000   // entries in one repo listing
	maxRedirects  = 10
)

var defaultHTTP = &http.Client{
	Transport: &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: (&net.Dialer{
			Timeout:   15 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   15 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second,
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true,
	},
	// Redirects are followed by hand: the first reply's headers matter
	// (X-Linked-Etag on the 302 to the CDN) and the token must not follow
	// a redirect to another host.
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return defaultHTTP
}

func (c *Client) endpoint() string {
	if c.Endpoint != "" {
		return strings.TrimRight(c.Endpoint, "/")
	}
	return Endpoint()
}

func (c *Client) retries() int {
	if c.Retries > 0 {
		return c.Retries
	}
	if c.Retries < 0 {
		return 0
	}
	return 6
}

func (c *Client) retryBase() time.Duration {
	if c.RetryBase > 0 {
		return c.RetryBase
	}
	return time.Second
}

func (c *Client) maxRetryWait() time.Duration {
	if c.MaxRetryWait > 0 {
		return c.MaxRetryWait
	}
	return 60 * time.Second
}

func (c *Client) stallTimeout() time.Duration {
	if c.StallTimeout > 0 {
		return c.StallTimeout
	}
	return 60 * time.Second
}

func (c *Client) warnf(format string, args ...any) {
	w := c.Warn
	if w == nil {
		w = c.Progress
	}
	if w != nil {
		fmt.Fprintf(w, "hearth: warning: "+format+"\n", args...)
	}
}

// sameHost reports whether u is on the endpoint's host (the token goes
// there and nowhere else).
func (c *Client) sameHost(u *url.URL) bool {
	e, err := url.Parse(c.endpoint())
	return err == nil && strings.EqualFold(e.Host, u.Host) && e.Scheme == u.Scheme
}

// request describes one logical call; do retries it.
type request struct {
	method string
	url    string
	header http.Header
	// what the call is about, for error messages
	repo, rev, path string
	notFound        error // what a bare 404 means
	// follow: follow relative redirects (the Hub's, for renamed repos);
	// an absolute redirect (to the CDN) is returned as the reply.
	follow bool
}

// do sends req, retrying 429, 5xx and network errors with exponential
// back-off (honouring Retry-After), following same-host redirects, and
// turning error replies into *HTTPError. The caller closes the body of a
// 2xx or 3xx reply.
func (c *Client) do(ctx context.Context, req request) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		resp, err := c.once(ctx, req)
		if err == nil {
			return resp, nil
		}
		wait, retry := c.retryable(err, attempt)
		if !retry {
			return nil, err
		}
		if err := sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// retryError marks a reply worth retrying, with the wait the server asked.
type retryError struct {
	err        error
	retryAfter time.Duration
}

func (e *retryError) Error() string { return e.err.Error() }
func (e *retryError) Unwrap() error { return e.err }

func (c *Client) retryable(err error, attempt int) (time.Duration, bool) {
	if attempt >= c.retries() {
		return 0, false
	}
	var re *retryError
	if !errors.As(err, &re) {
		return 0, false
	}
	// Don't sit through many back-offs when nothing answers at all: a
	// refused connection or a failed DNS lookup is retried twice.
	if IsUnreachable(err) && isDialError(err) && attempt >= 2 {
		return 0, false
	}
	wait := c.retryBase() << attempt
	wait += time.Duration(rand.Int64N(int64(wait)/4 + 1))
	if re.retryAfter > 0 {
		wait = re.retryAfter
	}
	if m := c.maxRetryWait(); wait > m {
		wait = m
	}
	return wait, true
}

func isDialError(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (c *Client) once(ctx context.Context, req request) (*http.Response, error) {
	u := req.url
	for hop := 0; ; hop++ {
		hr, err := http.NewRequestWithContext(ctx, req.method, u, nil)
		if err != nil {
			return nil, fmt.Errorf("hub: %w", err)
		}
		for k, v := range req.header {
			hr.Header[k] = v
		}
		hr.Header.Set("User-Agent", "hearth; hf_hub-compatible")
		// identity: the Content-Length must be the file's size.
		hr.Header.Set("Accept-Encoding", "identity")
		if c.Token != "" && c.sameHost(hr.URL) {
			hr.Header.Set("Authorization", "Bearer "+c.Token)
		}
		resp, err := c.httpClient().Do(hr)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, &retryError{err: &unreachableError{err}}
		}
		switch {
		case resp.StatusCode >= 200 && resp.StatusCode < 300:
			return resp, nil
		case resp.StatusCode >= 300 && resp.StatusCode < 400 && resp.StatusCode != 304:
			loc := resp.Header.Get("Location")
			if loc == "" {
				return resp, nil
			}
			next, err := hr.URL.Parse(loc)
			if err != nil || (next.Scheme != "https" && next.Scheme != "http") {
				drain(resp)
				return nil, fmt.Errorf("hub: %s: bad redirect to %q", u, loc)
			}
			// Like huggingface_hub, follow only relative redirects (a
			// renamed repo); an absolute one (the CDN) is the answer.
			if rel, err := url.Parse(loc); !req.follow || err != nil || rel.IsAbs() || rel.Host != "" {
				return resp, nil
			}
			drain(resp)
			if hop >= maxRedirects {
				return nil, fmt.Errorf("hub: %s: too many redirects", req.url)
			}
			u = next.String()
			continue
		}
		herr := c.httpError(resp, hr, req)
		if resp.StatusCode == 429 || resp.StatusCode >= 500 {
			return nil, &retryError{err: herr, retryAfter: retryAfter(resp.Header.Get("Retry-After"))}
		}
		return nil, herr
	}
}

func (c *Client) httpError(resp *http.Response, hr *http.Request, req request) error {
	defer resp.Body.Close()
	e := &HTTPError{
		Status:  resp.StatusCode,
		Code:    resp.Header.Get("X-Error-Code"),
		Message: resp.Header.Get("X-Error-Message"),
		URL:     hr.URL.Redacted(),
		Repo:    req.repo,
		Rev:     req.rev,
		Path:    req.path,
		Token:   hr.Header.Get("Authorization") != "",
	}
	if e.Message == "" && hr.Method != http.MethodHead {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBytes))
		var j struct {
			Error any `json:"error"`
		}
		if json.Unmarshal(body, &j) == nil {
			if s, ok := j.Error.(string); ok {
				e.Message = s
			}
		}
	}
	if len(e.Message) > 500 {
		e.Message = e.Message[:500] + "…"
	}
	e.kind = classify(resp.StatusCode, e.Code)
	if resp.StatusCode == 404 && e.Code == "" && req.notFound != nil {
		e.kind = req.notFound
	}
	if resp.StatusCode == 401 && e.Token && e.kind == ErrRepoNotFound && e.Code == "" {
		e.kind = ErrUnauthorized
	}
	return e
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(v string) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil {
		if n < 0 {
			return 0
		}
		if n > 3600 {
			n = 3600
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return 0
}

func drain(resp *http.Response) {
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
}

// getJSON fetches one API reply into v, bounded in size.
func (c *Client) getJSON(ctx context.Context, req request, v any) (http.Header, error) {
	req.method = http.MethodGet
	req.follow = true
	resp, err := c.do(ctx, req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("hub: %s: unexpected HTTP %d", req.url, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJSONBytes+1))
	if err != nil {
		return nil, &unreachableError{err}
	}
	if len(body) > maxJSONBytes {
		return nil, fmt.Errorf("hub: %s: reply over %d bytes", req.url, maxJSONBytes)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return nil, fmt.Errorf("hub: %s: bad JSON: %w", req.url, err)
	}
	return resp.Header, nil
}
