package hub

import (
	"fmt"
	"net/url"
	"strings"
)

// Ref names a model on the Hub.
type Ref struct {
	Repo     string // "org/name"
	Revision string // branch, tag or commit; "" means main
	Quant    string // "Q4_K_M", as written; "" means choose
	File     string // a path inside the repo, for org/name/path/file.gguf
}

// Rev is the revision to ask for: Revision, or "main".
func (r Ref) Rev() string {
	if r.Revision == "" {
		return "main"
	}
	return r.Revision
}

func (r Ref) String() string {
	s := r.Repo
	if r.Revision != "" {
		s += "@" + r.Revision
	}
	if r.File != "" {
		s += "/" + r.File
	}
	if r.Quant != "" {
		s += ":" + r.Quant
	}
	return s
}

var hubHosts = []string{"hf.co", "huggingface.co", "www.huggingface.co"}

func knownHost(h string) bool {
	for _, k := range hubHosts {
		if strings.EqualFold(h, k) {
			return true
		}
	}
	if u, err := url.Parse(Endpoint()); err == nil && u.Host != "" && strings.EqualFold(u.Host, h) {
		return true
	}
	return false
}

// ParseRef reads a model reference:
//
//	org/name                      the default quant of main
//	org/name:Q4_K_M               a quant (case-insensitive)
//	org/name@v1.0:Q8_0            a branch, tag or commit
//	org/name/path/to/file.gguf    one file (and the other shards of its set)
//	hf.co/org/name:QUANT          the same with the Hub's host in front
//	https://huggingface.co/org/name[/blob|resolve|tree/REV[/PATH]]
//
// Local paths ("./x.gguf", "/x", "x.gguf") are not references.
func ParseRef(s string) (Ref, error) {
	orig := s
	bad := func(why string) (Ref, error) {
		return Ref{}, fmt.Errorf("hub: %q is not a Hub reference: %s", orig, why)
	}
	if s == "" || len(s) > 1024 {
		return bad("empty or too long")
	}
	if strings.ContainsAny(s, " \t\r\n\x00\\") {
		return bad("it has spaces or backslashes")
	}
	fromURL := false
	if i := strings.Index(s, "://"); i >= 0 {
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return bad("not an http(s) URL")
		}
		if !knownHost(u.Host) {
			return bad("host " + u.Host + " is neither the Hub nor HF_ENDPOINT")
		}
		s = strings.TrimPrefix(u.Path, "/")
		fromURL = true
	}
	for _, h := range hubHosts {
		if strings.HasPrefix(s, h+"/") {
			s = s[len(h)+1:]
			fromURL = true
			break
		}
	}
	if fromURL {
		// A URL may carry a host this client is pointed at (HF_ENDPOINT);
		// anything else with a dot before the first slash is a foreign host.
		s = strings.TrimPrefix(s, "models/")
	}
	if strings.HasPrefix(s, "/") || strings.HasPrefix(s, ".") || strings.HasPrefix(s, "~") {
		return bad("it is a path")
	}
	if strings.HasPrefix(s, "datasets/") || strings.HasPrefix(s, "spaces/") {
		return bad("only model repositories hold models")
	}
	var r Ref
	// The quant is what follows the last ':' when no '/' follows it.
	if i := strings.LastIndexByte(s, ':'); i >= 0 && !strings.Contains(s[i:], "/") {
		r.Quant = s[i+1:]
		s = s[:i]
		if !validQuant(r.Quant) {
			return bad(fmt.Sprintf("quant %q is not a quant name", r.Quant))
		}
	}
	org, rest, ok := strings.Cut(s, "/")
	if !ok {
		return bad("want org/name")
	}
	name := rest
	tail := ""
	if i := strings.IndexAny(rest, "@/"); i >= 0 {
		name, tail = rest[:i], rest[i:]
	}
	if err := validRepoPart(org); err != nil {
		return bad(err.Error())
	}
	if err := validRepoPart(name); err != nil {
		return bad(err.Error())
	}
	if strings.HasSuffix(strings.ToLower(name), ".gguf") {
		return bad("it is a file path")
	}
	r.Repo = org + "/" + name
	if strings.HasPrefix(tail, "@") {
		tail = tail[1:]
		// refs/pr/N and refs/convert/X hold slashes; other revisions don't.
		n := 1
		if strings.HasPrefix(tail, "refs/") {
			n = 3
		}
		parts := strings.SplitN(tail, "/", n+1)
		if len(parts) < n {
			return bad("revision is incomplete")
		}
		r.Revision = strings.Join(parts[:n], "/")
		tail = ""
		if len(parts) > n {
			tail = "/" + parts[n]
		}
		if r.Revision == "" {
			return bad("empty revision")
		}
	} else if fromURL {
		// https://huggingface.co/org/name/{blob,resolve,tree}/REV/PATH
		for _, kind := range []string{"/blob/", "/resolve/", "/tree/"} {
			if strings.HasPrefix(tail, kind) {
				rev, path, _ := strings.Cut(tail[len(kind):], "/")
				if rev == "" {
					return bad("empty revision")
				}
				if rev, err := url.PathUnescape(rev); err == nil {
					r.Revision = rev
				}
				tail = ""
				if path != "" {
					tail = "/" + path
				}
				break
			}
		}
	}
	if tail != "" {
		if !strings.HasPrefix(tail, "/") {
			return bad("unexpected " + tail)
		}
		file := tail[1:]
		if file != "" {
			if err := validRepoPath(file); err != nil {
				return bad(err.Error())
			}
			r.File = file
		}
	}
	if r.Revision != "" && !validRevision(r.Revision) {
		return bad(fmt.Sprintf("revision %q", r.Revision))
	}
	return r, nil
}

// LooksLikeRef reports whether s parses as a Hub reference.
func LooksLikeRef(s string) bool {
	_, err := ParseRef(s)
	return err == nil
}

func validRepoPart(s string) error {
	if s == "" || len(s) > 96 {
		return fmt.Errorf("repo name part %q must have 1 to 96 characters", s)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return fmt.Errorf("repo name part %q has %q", s, c)
		}
	}
	if strings.Contains(s, "--") || strings.Contains(s, "..") || strings.HasPrefix(s, "-") || strings.HasPrefix(s, ".") || strings.HasSuffix(s, "-") || strings.HasSuffix(s, ".") {
		return fmt.Errorf("repo name part %q has a leading/trailing '-' or '.', or '--' or '..'", s)
	}
	return nil
}

func validQuant(s string) bool {
	if s == "" || len(s) > 40 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

func validRevision(s string) bool {
	if s == "" || len(s) > 256 || strings.Contains(s, "..") || strings.HasPrefix(s, "/") || strings.HasSuffix(s, "/") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c == 0x7f || c == '\\' || c == ':' || c == '?' || c == '*' || c == '[' || c == '~' || c == '^' {
			return false
		}
	}
	return true
}

// validRepoPath accepts a relative slash-separated path inside a repo; it
// rejects anything that could step outside a snapshot folder.
func validRepoPath(p string) error {
	if p == "" || len(p) > 1024 {
		return fmt.Errorf("path %q: empty or too long", p)
	}
	if strings.ContainsAny(p, "\\\x00") || strings.HasPrefix(p, "/") {
		return fmt.Errorf("path %q: absolute or has backslashes", p)
	}
	for _, part := range strings.Split(p, "/") {
		if part == "" || part == "." || part == ".." {
			return fmt.Errorf("path %q: empty, . or .. component", p)
		}
		for i := 0; i < len(part); i++ {
			if part[i] < 0x20 || part[i] == 0x7f {
				return fmt.Errorf("path %q: control character", p)
			}
		}
	}
	return nil
}

// isCommit reports whether s is a full 40-hex-digit commit id.
func isCommit(s string) bool { return isHex(s, 40) }

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
