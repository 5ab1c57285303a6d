package hub

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

// RepoFolder is the cache folder name of a model repo: models--org--name.
func RepoFolder(repo string) string {
	return "models--" + strings.ReplaceAll(repo, "/", "--")
}

func (c *Client) cacheDir() string {
	if c.CacheDir != "" {
		return c.CacheDir
	}
	return CacheDir()
}

func (c *Client) repoDir(repo string) string {
	return filepath.Join(c.cacheDir(), RepoFolder(repo))
}

func (c *Client) lockPath(repo, blob string) string {
	return filepath.Join(c.cacheDir(), ".locks", RepoFolder(repo), blob+".lock")
}

// readRef returns the commit refs/{rev} holds, or rev itself when it is a
// commit.
func readRef(repoDir, rev string) (string, bool) {
	if isCommit(rev) {
		return rev, true
	}
	if !validRevision(rev) {
		return "", false
	}
	b, err := os.ReadFile(filepath.Join(repoDir, "refs", filepath.FromSlash(rev)))
	if err != nil {
		return "", false
	}
	commit := strings.TrimSpace(string(b))
	return commit, isCommit(commit)
}

// writeRef records that rev points at commit (nothing for a commit).
func writeRef(repoDir, rev, commit string) error {
	if isCommit(rev) || rev == commit {
		return nil
	}
	if !validRevision(rev) {
		return fmt.Errorf("hub: bad revision %q", rev)
	}
	p := filepath.Join(repoDir, "refs", filepath.FromSlash(rev))
	if old, err := os.ReadFile(p); err == nil && string(old) == commit {
		return nil
	}
	return writeFileAtomic(p, []byte(commit))
}

func writeFileAtomic(p string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".tmp-"+filepath.Base(p)+"-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, p); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

func snapshotPath(repoDir, commit, path string) string {
	return filepath.Join(repoDir, "snapshots", commit, filepath.FromSlash(path))
}

func blobPath(repoDir, blob string) string {
	return filepath.Join(repoDir, "blobs", blob)
}

// linkSnapshot points snapshots/{commit}/{path} at blobs/{blob} with a
// relative symlink (../../blobs/{blob}, one more ../ per folder in path),
// replacing whatever was there in one rename. Where symlinks are refused
// the blob is copied, as huggingface_hub does on Windows.
func linkSnapshot(repoDir, commit, path, blob string) error {
	dst := snapshotPath(repoDir, commit, path)
	src := blobPath(repoDir, blob)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	rel, err := filepath.Rel(filepath.Dir(dst), src)
	if err != nil {
		return err
	}
	if t, err := os.Readlink(dst); err == nil && t == rel {
		return nil
	}
	// A unique temporary name: several pulls may link the same path.
	tmp := filepath.Join(filepath.Dir(dst), fmt.Sprintf(".tmp-%s-%d-%x", filepath.Base(dst), os.Getpid(), rand.Uint64()))
	if err := os.Symlink(rel, tmp); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("hub: link %s: %w", dst, err)
		}
		// No symlinks here (Windows without the privilege): a copy.
		if err := copyFile(src, tmp); err != nil {
			os.Remove(tmp)
			return fmt.Errorf("hub: link %s: %w", dst, err)
		}
	}
	if err := os.Rename(tmp, dst); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("hub: link %s: %w", dst, err)
	}
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// cachedFile reports whether snapshots/{commit}/{path} resolves to a file
// of the given size (-1: any).
func cachedFile(repoDir, commit, path string, size int64) bool {
	st, err := os.Stat(snapshotPath(repoDir, commit, path))
	return err == nil && st.Mode().IsRegular() && (size < 0 || st.Size() == size)
}
