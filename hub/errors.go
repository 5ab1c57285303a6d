package hub

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors; test with errors.Is.
var (
	ErrRepoNotFound     = errors.New("repository not found")
	ErrRevisionNotFound = errors.New("revision not found")
	ErrEntryNotFound    = errors.New("file not found")
	ErrGated            = errors.New("gated repository")
	ErrForbidden        = errors.New("access denied")
	ErrUnauthorized     = errors.New("authentication required")
	ErrNotCached        = errors.New("not in the cache")
	ErrChecksum         = errors.New("checksum mismatch")
	ErrNoModel          = errors.New("no runnable model file")
)

// HTTPError is a reply from the Hub that is not a success.
type HTTPError struct {
	Status  int
	Code    string // X-Error-Code: RepoNotFound, RevisionNotFound, EntryNotFound, GatedRepo, ...
	Message string // X-Error-Message, or the body's "error"
	URL     string
	Repo    string
	Rev     string
	Path    string
	Token   bool // whether the request carried a token
	kind    error
}

func (e *HTTPError) Unwrap() error { return e.kind }

func (e *HTTPError) Error() string {
	page := Endpoint() + "/" + e.Repo
	var b strings.Builder
	switch e.kind {
	case ErrRepoNotFound:
		fmt.Fprintf(&b, "hub: repository %s not found (%d)", e.Repo, e.Status)
		if e.Token {
			b.WriteString("; if it is private, make sure your token can read it")
		} else {
			b.WriteString("; if it is private or gated, log in with `hf auth login` or set HF_TOKEN")
		}
	case ErrRevisionNotFound:
		fmt.Fprintf(&b, "hub: repository %s has no revision %q (%d): use a branch, tag or commit that exists", e.Repo, e.Rev, e.Status)
	case ErrEntryNotFound:
		fmt.Fprintf(&b, "hub: repository %s at %s has no file %q (%d)", e.Repo, e.Rev, e.Path, e.Status)
	case ErrGated:
		if e.Token {
			fmt.Fprintf(&b, "hub: %s is a gated repository and your token has no access (%d): request access at %s and wait for approval", e.Repo, e.Status, page)
		} else {
			fmt.Fprintf(&b, "hub: %s is a gated repository (%d): accept its conditions at %s, then log in with `hf auth login` or set HF_TOKEN", e.Repo, e.Status, page)
		}
	case ErrUnauthorized:
		fmt.Fprintf(&b, "hub: %s: authentication failed (%d): check HF_TOKEN or log in again with `hf auth login`", e.Repo, e.Status)
	case ErrForbidden:
		fmt.Fprintf(&b, "hub: %s: access denied (%d): make sure your token has read permission for this repository", e.Repo, e.Status)
	default:
		fmt.Fprintf(&b, "hub: %s: HTTP %d", e.URL, e.Status)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, " (server: %s)", e.Message)
	}
	return b.String()
}

// classify names the error a Hub reply stands for, as huggingface_hub's
// hf_raise_for_status does.
func classify(status int, code string) error {
	switch code {
	case "RepoNotFound":
		return ErrRepoNotFound
	case "RevisionNotFound":
		return ErrRevisionNotFound
	case "EntryNotFound":
		return ErrEntryNotFound
	case "GatedRepo":
		return ErrGated
	}
	switch status {
	case 401:
		// The Hub answers 401 for missing, private and gated repos alike
		// when no valid token is sent.
		return ErrRepoNotFound
	case 403:
		return ErrForbidden
	case 404:
		return ErrEntryNotFound
	}
	return nil
}

// unreachableError wraps a failure to reach the Hub at all (no HTTP reply),
// which allows a fall back to the cache.
type unreachableError struct{ err error }

func (e *unreachableError) Error() string { return "hub: cannot reach the Hub: " + e.err.Error() }
func (e *unreachableError) Unwrap() error { return e.err }

// IsUnreachable reports whether err means the Hub could not be reached.
func IsUnreachable(err error) bool {
	var u *unreachableError
	return errors.As(err, &u)
}
