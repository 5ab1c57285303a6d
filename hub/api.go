package hub

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// RepoInfo is what /api/models/{repo}/revision/{rev} says of a repo.
type RepoInfo struct {
	ID       string `json:"id"`
	SHA      string `json:"sha"` // the commit the revision resolves to
	Private  bool   `json:"private"`
	Gated    any    `json:"gated"` // false, "auto" or "manual"
	Siblings []struct {
		RFilename string `json:"rfilename"`
	} `json:"siblings"`
}

// TreeEntry is one entry of /api/models/{repo}/tree/{rev}?recursive=true.
type TreeEntry struct {
	Type string   `json:"type"` // "file" or "directory"
	OID  string   `json:"oid"`  // git blob id
	Size int64    `json:"size"`
	Path string   `json:"path"`
	LFS  *LFSInfo `json:"lfs,omitempty"`
}

// LFSInfo describes a file stored with Git LFS (or Xet): its sha256.
type LFSInfo struct {
	OID         string `json:"oid"` // sha256 of the content
	Size        int64  `json:"size"`
	PointerSize int64  `json:"pointerSize"`
}

// BlobName is the name huggingface_hub gives the file in blobs/: the
// sha256 of an LFS file, else the git blob id.
func (e TreeEntry) BlobName() string {
	if e.LFS != nil {
		return e.LFS.OID
	}
	return e.OID
}

func (c *Client) apiURL(repo, what, rev string) string {
	return c.endpoint() + "/api/models/" + repo + "/" + what + "/" + url.PathEscape(rev)
}

// resolveURL is /{repo}/resolve/{rev}/{path}, each part escaped.
func (c *Client) resolveURL(repo, rev, path string) string {
	parts := strings.Split(path, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return c.endpoint() + "/" + repo + "/resolve/" + url.PathEscape(rev) + "/" + strings.Join(parts, "/")
}

// Revision resolves rev (branch, tag or commit) of repo to a commit.
func (c *Client) Revision(ctx context.Context, repo, rev string) (*RepoInfo, error) {
	var info RepoInfo
	_, err := c.getJSON(ctx, request{
		url: c.apiURL(repo, "revision", rev), repo: repo, rev: rev, notFound: ErrRepoNotFound,
	}, &info)
	if err != nil {
		return nil, err
	}
	if !isCommit(info.SHA) {
		return nil, fmt.Errorf("hub: %s@%s: the Hub returned commit %q, not 40 hex digits", repo, rev, info.SHA)
	}
	return &info, nil
}

// Tree lists every file of repo at commit, following the Link pagination.
func (c *Client) Tree(ctx context.Context, repo, commit string) ([]TreeEntry, error) {
	next := c.apiURL(repo, "tree", commit) + "?recursive=true"
	base, _ := url.Parse(next)
	var files []TreeEntry
	for pages := 0; next != ""; pages++ {
		if pages > 10000 {
			return nil, fmt.Errorf("hub: %s: too many pages in the file listing", repo)
		}
		var page []TreeEntry
		h, err := c.getJSON(ctx, request{url: next, repo: repo, rev: commit, notFound: ErrRevisionNotFound}, &page)
		if err != nil {
			return nil, err
		}
		for _, e := range page {
			if e.Type != "file" {
				continue
			}
			if err := validRepoPath(e.Path); err != nil {
				return nil, fmt.Errorf("hub: %s: listing has a bad entry: %v", repo, err)
			}
			if e.Size < 0 || (e.LFS != nil && (e.LFS.Size != e.Size || !isHex(e.LFS.OID, 64))) || (e.LFS == nil && !isHex(e.OID, 40)) {
				return nil, fmt.Errorf("hub: %s: listing has a bad entry for %q (size %d)", repo, e.Path, e.Size)
			}
			files = append(files, e)
		}
		if len(files) > maxTreeFiles {
			return nil, fmt.Errorf("hub: %s: more than %d files", repo, maxTreeFiles)
		}
		next = ""
		if l := nextLink(h.Get("Link")); l != "" {
			u, err := base.Parse(l)
			if err != nil || !strings.EqualFold(u.Host, base.Host) {
				return nil, fmt.Errorf("hub: %s: bad pagination link %q", repo, l)
			}
			next = u.String()
		}
	}
	return files, nil
}

// nextLink returns the rel="next" target of a Link header.
func nextLink(h string) string {
	for _, part := range strings.Split(h, ",") {
		part = strings.TrimSpace(part)
		target, params, ok := strings.Cut(part, ";")
		if !ok {
			continue
		}
		target = strings.TrimSpace(target)
		if !strings.HasPrefix(target, "<") || !strings.HasSuffix(target, ">") {
			continue
		}
		for _, p := range strings.Split(params, ";") {
			k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
			if strings.TrimSpace(k) == "rel" && strings.Trim(strings.TrimSpace(v), `"`) == "next" {
				return target[1 : len(target)-1]
			}
		}
	}
	return ""
}

// FileMeta is what a HEAD on /{repo}/resolve/{rev}/{path} tells, read as
// huggingface_hub's get_hf_file_metadata reads it.
type FileMeta struct {
	Commit   string // X-Repo-Commit
	ETag     string // X-Linked-Etag (LFS: the sha256), else ETag (git blob id)
	Size     int64  // X-Linked-Size, else Content-Length
	Location string // where to GET the bytes (the CDN for LFS files)
}

// Meta sends the HEAD request for one file.
func (c *Client) Meta(ctx context.Context, repo, rev, path string) (*FileMeta, error) {
	u := c.resolveURL(repo, rev, path)
	resp, err := c.do(ctx, request{method: http.MethodHead, url: u, repo: repo, rev: rev, path: path, notFound: ErrEntryNotFound, follow: true})
	if err != nil {
		return nil, err
	}
	defer drain(resp)
	m := &FileMeta{
		Commit: resp.Header.Get("X-Repo-Commit"),
		ETag:   normalizeETag(firstNonEmpty(resp.Header.Get("X-Linked-Etag"), resp.Header.Get("ETag"))),
		Size:   -1,
	}
	size := firstNonEmpty(resp.Header.Get("X-Linked-Size"), resp.Header.Get("Content-Length"))
	if n, err := strconv.ParseInt(size, 10, 64); err == nil && n >= 0 {
		m.Size = n
	}
	m.Location = resp.Request.URL.String()
	if loc := resp.Header.Get("Location"); loc != "" && resp.StatusCode >= 300 && resp.StatusCode < 400 {
		l, err := resp.Request.URL.Parse(loc)
		if err != nil {
			return nil, fmt.Errorf("hub: %s: bad Location %q", u, loc)
		}
		m.Location = l.String()
	}
	if m.Commit != "" && !isCommit(m.Commit) {
		return nil, fmt.Errorf("hub: %s: bad X-Repo-Commit %q", u, m.Commit)
	}
	return m, nil
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// normalizeETag drops a weak prefix and the quotes.
func normalizeETag(s string) string {
	s = strings.TrimPrefix(strings.TrimSpace(s), "W/")
	return strings.Trim(s, `"`)
}
