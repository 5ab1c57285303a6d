package hub

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// Result is a model in the cache, ready to open.
type Result struct {
	Ref         Ref
	Commit      string
	Snapshot    string // snapshots/{commit}
	Model       string // local path of the model file (first shard); the snapshot folder for safetensors
	MMProj      string // local path of the projector, if any
	Quant       string
	Reason      string // why this file was chosen
	Safetensors bool   // Snapshot holds a safetensors checkpoint to convert
	Files       []string
	Size        int64
	FromCache   bool // resolved from the cache without the Hub (offline, or the Hub unreachable)
}

// Pull makes sure the files ref names are in the cache and returns them.
// Offline, it only reads the cache; when the Hub cannot be reached, it
// falls back to the cached snapshot with a warning.
func (c *Client) Pull(ctx context.Context, ref Ref) (*Result, error) {
	if c.Offline {
		r, err := c.FromCache(ref)
		if err != nil {
			return nil, fmt.Errorf("%w (offline mode: HF_HUB_OFFLINE or --offline; unset it to download)", err)
		}
		return r, nil
	}
	// A commit never changes: when it is cached, there is nothing to ask.
	if isCommit(ref.Rev()) {
		if r, err := c.FromCache(ref); err == nil {
			return r, nil
		}
	}
	r, err := c.pull(ctx, ref)
	if err != nil && IsUnreachable(err) && ctx.Err() == nil {
		if cr, cerr := c.FromCache(ref); cerr == nil {
			c.warnf("%v; using the cached snapshot %s of %s", err, cr.Commit[:12], ref.Repo)
			return cr, nil
		}
	}
	return r, err
}

func (c *Client) pull(ctx context.Context, ref Ref) (*Result, error) {
	info, err := c.Revision(ctx, ref.Repo, ref.Rev())
	if err != nil {
		return nil, err
	}
	commit := info.SHA
	tree, err := c.Tree(ctx, ref.Repo, commit)
	if err != nil {
		return nil, err
	}
	sel, err := ChooseWith(tree, ref, c.ChooseQuant)
	if err != nil {
		return nil, err
	}
	if c.Progress != nil {
		what := sel.Quant
		if sel.Safetensors {
			what = "safetensors checkpoint"
		} else if what == "" {
			what = sel.Model
		}
		fmt.Fprintf(c.Progress, "hearth: %s@%s: %s (%s)\n", ref.Repo, commit[:12], what, sel.Reason)
	}
	for _, f := range sel.Files {
		if err := c.fetch(ctx, ref.Repo, commit, f); err != nil {
			return nil, err
		}
	}
	dir := c.repoDir(ref.Repo)
	if err := writeRef(dir, ref.Rev(), commit); err != nil {
		return nil, fmt.Errorf("hub: %w", err)
	}
	return c.result(ref, commit, sel, false), nil
}

func (c *Client) result(ref Ref, commit string, sel *Selection, cached bool) *Result {
	dir := c.repoDir(ref.Repo)
	snap := filepath.Join(dir, "snapshots", commit)
	r := &Result{Ref: ref, Commit: commit, Snapshot: snap, Quant: sel.Quant, Reason: sel.Reason, Safetensors: sel.Safetensors, FromCache: cached}
	for _, f := range sel.Files {
		r.Files = append(r.Files, snapshotPath(dir, commit, f.Path))
		r.Size += f.Size
	}
	if sel.Safetensors {
		r.Model = snap
	} else {
		r.Model = snapshotPath(dir, commit, sel.Model)
		touch(r.Model)
	}
	if sel.MMProj != "" {
		r.MMProj = snapshotPath(dir, commit, sel.MMProj)
	}
	return r
}

// touch records a use of the model in the blob's access time, which `list`
// (and huggingface_hub's scan_cache_dir) reports as the last use.
func touch(p string) {
	if st, err := os.Stat(p); err == nil {
		now := time.Now()
		os.Chtimes(p, now, st.ModTime())
	}
}

// FromCache resolves ref from the cache alone: refs/{rev} (or the commit
// given) and the files present in that snapshot.
func (c *Client) FromCache(ref Ref) (*Result, error) {
	dir := c.repoDir(ref.Repo)
	commit, ok := readRef(dir, ref.Rev())
	if !ok {
		return nil, fmt.Errorf("hub: %s@%s: %w (%s)", ref.Repo, ref.Rev(), ErrNotCached, c.cacheDir())
	}
	files, err := snapshotFiles(dir, commit)
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("hub: %s@%s: %w (%s)", ref.Repo, ref.Rev(), ErrNotCached, c.cacheDir())
	}
	sel, err := ChooseWith(files, ref, c.ChooseQuant)
	if err != nil {
		var he *HTTPError
		if errors.As(err, &he) || errors.Is(err, ErrNoModel) {
			return nil, fmt.Errorf("hub: %s@%s: %w: the cached snapshot %s has no such model file (%v)", ref.Repo, ref.Rev(), ErrNotCached, commit[:12], err)
		}
		return nil, err
	}
	return c.result(ref, commit, sel, true), nil
}

// snapshotFiles lists snapshots/{commit} as a tree listing: every file
// that resolves (links followed), with its size.
func snapshotFiles(repoDir, commit string) ([]TreeEntry, error) {
	root := filepath.Join(repoDir, "snapshots", commit)
	var out []TreeEntry
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		st, err := os.Stat(p)
		if err != nil || !st.Mode().IsRegular() {
			return nil // a dangling link
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return nil
		}
		if len(out) >= maxTreeFiles {
			return fmt.Errorf("hub: %s: too many files", root)
		}
		out = append(out, TreeEntry{Type: "file", Path: filepath.ToSlash(rel), Size: st.Size()})
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, err
}
