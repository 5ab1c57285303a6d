package hub

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// CachedModel is one runnable model found in the cache, whoever
// downloaded it.
type CachedModel struct {
	Repo        string    `json:"repo"`
	Commit      string    `json:"commit"`
	Refs        []string  `json:"refs,omitempty"` // branches and tags pointing at Commit
	File        string    `json:"file,omitempty"` // repo path of the model file (first shard)
	Path        string    `json:"path"`           // local path to open
	Quant       string    `json:"quant,omitempty"`
	Shards      int       `json:"shards,omitempty"`
	MMProj      string    `json:"mmproj,omitempty"`
	Size        int64     `json:"size"`
	LastUsed    time.Time `json:"last_used"`
	Safetensors bool      `json:"safetensors,omitempty"`
}

// Name is the reference that pulls or runs this model again.
func (m CachedModel) Name() string {
	s := m.Repo
	if !contains(m.Refs, "main") {
		if len(m.Refs) > 0 {
			s += "@" + m.Refs[0]
		} else {
			s += "@" + m.Commit
		}
	}
	if m.Quant != "" && !m.Safetensors {
		s += ":" + m.Quant
	} else if m.File != "" && m.Quant == "" {
		s += "/" + m.File
	}
	return s
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// List finds every model in the cache hearth can run: each GGUF model (a
// split set counts once; mmproj files go with their model) and each
// safetensors checkpoint, in every cached snapshot.
func (c *Client) List() ([]CachedModel, error) {
	root := c.cacheDir()
	ents, err := os.ReadDir(root)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("hub: %w", err)
	}
	var out []CachedModel
	for _, ent := range ents {
		name := ent.Name()
		if !ent.IsDir() || !strings.HasPrefix(name, "models--") {
			continue
		}
		repo := strings.ReplaceAll(strings.TrimPrefix(name, "models--"), "--", "/")
		dir := filepath.Join(root, name)
		refs := readRefs(dir)
		snaps, _ := os.ReadDir(filepath.Join(dir, "snapshots"))
		for _, s := range snaps {
			commit := s.Name()
			if !s.IsDir() {
				continue
			}
			files, err := snapshotFiles(dir, commit)
			if err != nil {
				continue
			}
			out = append(out, modelsIn(repo, dir, commit, refs[commit], files)...)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Repo != out[j].Repo {
			return out[i].Repo < out[j].Repo
		}
		if out[i].Commit != out[j].Commit {
			return out[i].Commit < out[j].Commit
		}
		return out[i].File < out[j].File
	})
	return out, nil
}

func modelsIn(repo, dir, commit string, refs []string, files []TreeEntry) []CachedModel {
	var out []CachedModel
	mm := chooseMMProj(files, "")
	for _, s := range ggufSets(files) {
		m := CachedModel{Repo: repo, Commit: commit, Refs: refs, File: s.first(), Quant: s.quant, Shards: len(s.files), Size: s.size}
		m.Path = snapshotPath(dir, commit, s.first())
		for _, f := range s.files {
			if fi, err := os.Stat(snapshotPath(dir, commit, f.Path)); err == nil {
				if t := atime(fi); t.After(m.LastUsed) {
					m.LastUsed = t
				}
			}
		}
		if mm != nil {
			m.MMProj = mm.Path
			m.Size += mm.Size
		}
		out = append(out, m)
	}
	if len(out) == 0 {
		if sel, err := chooseSafetensors(files, Ref{Repo: repo}); err == nil && hasFile(files, "config.json") {
			m := CachedModel{Repo: repo, Commit: commit, Refs: refs, Path: filepath.Join(dir, "snapshots", commit), Safetensors: true, Quant: "safetensors"}
			for _, f := range sel.Files {
				m.Size += f.Size
				if fi, err := os.Stat(snapshotPath(dir, commit, f.Path)); err == nil && path.Ext(f.Path) == ".safetensors" {
					if t := atime(fi); t.After(m.LastUsed) {
						m.LastUsed = t
					}
				}
			}
			out = append(out, m)
		}
	}
	return out
}

func hasFile(files []TreeEntry, p string) bool {
	for _, f := range files {
		if f.Path == p {
			return true
		}
	}
	return false
}

// readRefs maps each commit to the refs (branches, tags, refs/pr/N) that
// point at it.
func readRefs(dir string) map[string][]string {
	out := map[string][]string{}
	root := filepath.Join(dir, "refs")
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil || strings.HasPrefix(filepath.Base(p), ".tmp-") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil || len(b) > 1024 {
			return nil
		}
		commit := strings.TrimSpace(string(b))
		out[commit] = append(out[commit], filepath.ToSlash(rel))
		return nil
	})
	for _, v := range out {
		sort.Strings(v)
	}
	return out
}

// Removed says what Remove deleted.
type Removed struct {
	Files []string // snapshot entries removed
	Blobs int
	Freed int64
}

// Remove deletes what ref names from the cache: with a quant or file, that
// model's files in the matching snapshots; otherwise the snapshots
// themselves (all of them, or the revision given). Blobs no snapshot links
// to any more are then deleted; blobs other snapshots use stay, as do
// downloads in progress.
func (c *Client) Remove(ref Ref) (*Removed, error) {
	dir := c.repoDir(ref.Repo)
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("hub: %s: %w (%s)", ref.Repo, ErrNotCached, c.cacheDir())
	}
	var commits []string
	if ref.Revision != "" {
		commit, ok := readRef(dir, ref.Revision)
		if !ok {
			return nil, fmt.Errorf("hub: %s@%s: %w", ref.Repo, ref.Revision, ErrNotCached)
		}
		commits = []string{commit}
	} else {
		snaps, _ := os.ReadDir(filepath.Join(dir, "snapshots"))
		for _, s := range snaps {
			if s.IsDir() {
				commits = append(commits, s.Name())
			}
		}
	}
	rm := &Removed{}
	whole := ref.Quant == "" && ref.File == ""
	for _, commit := range commits {
		if !isCommit(commit) {
			continue
		}
		snap := filepath.Join(dir, "snapshots", commit)
		if _, err := os.Stat(snap); err != nil {
			continue
		}
		if whole {
			files, _ := snapshotFiles(dir, commit)
			for _, f := range files {
				rm.Files = append(rm.Files, commit[:12]+"/"+f.Path)
			}
			if err := os.RemoveAll(snap); err != nil {
				return rm, fmt.Errorf("hub: %w", err)
			}
			os.RemoveAll(filepath.Join(dir, ".no_exist", commit))
			for r, refs := range readRefs(dir) {
				if r == commit {
					for _, name := range refs {
						os.Remove(filepath.Join(dir, "refs", filepath.FromSlash(name)))
					}
				}
			}
			continue
		}
		files, _ := snapshotFiles(dir, commit)
		for _, s := range ggufSets(files) {
			match := false
			if ref.File != "" {
				for _, f := range s.files {
					match = match || f.Path == ref.File
				}
			} else {
				match = hasQuant(s.first(), ref.Quant)
			}
			if !match {
				continue
			}
			for _, f := range s.files {
				if err := os.Remove(snapshotPath(dir, commit, f.Path)); err == nil {
					rm.Files = append(rm.Files, commit[:12]+"/"+f.Path)
				}
			}
		}
		// The projector goes when no model is left beside it.
		left, _ := snapshotFiles(dir, commit)
		if len(ggufSets(left)) == 0 {
			for _, f := range left {
				if isGGUF(f.Path) && isMMProj(f.Path) {
					if os.Remove(snapshotPath(dir, commit, f.Path)) == nil {
						rm.Files = append(rm.Files, commit[:12]+"/"+f.Path)
					}
				}
			}
		}
		removeEmptyDirs(snap)
	}
	if len(rm.Files) == 0 && !whole {
		return rm, fmt.Errorf("hub: %s: %w: no cached file matches %s", ref.Repo, ErrNotCached, ref)
	}
	if err := c.collectBlobs(ref.Repo, rm); err != nil {
		return rm, err
	}
	// A repo left with nothing goes entirely (refs, .no_exist, its locks).
	snaps, _ := os.ReadDir(filepath.Join(dir, "snapshots"))
	blobs, _ := os.ReadDir(filepath.Join(dir, "blobs"))
	if len(snaps) == 0 && len(blobs) == 0 {
		os.RemoveAll(dir)
		os.RemoveAll(filepath.Join(c.cacheDir(), ".locks", RepoFolder(ref.Repo)))
	}
	return rm, nil
}

// collectBlobs deletes the blobs of repo that no snapshot entry links to.
// A blob whose lock is held (a download finishing) is left alone.
func (c *Client) collectBlobs(repo string, rm *Removed) error {
	dir := c.repoDir(repo)
	used := map[string]bool{}
	snaps, _ := os.ReadDir(filepath.Join(dir, "snapshots"))
	for _, s := range snaps {
		root := filepath.Join(dir, "snapshots", s.Name())
		filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			if t, err := os.Readlink(p); err == nil {
				used[filepath.Base(t)] = true
			}
			return nil
		})
	}
	blobs, _ := os.ReadDir(filepath.Join(dir, "blobs"))
	for _, b := range blobs {
		name := b.Name()
		if used[name] || strings.Contains(name, ".") || b.IsDir() {
			continue // in use, or a partial download (.incomplete and its parts)
		}
		lk, err := lockFile(cancelledCtx, c.lockPath(repo, name), nil)
		if err != nil {
			continue
		}
		p := filepath.Join(dir, "blobs", name)
		if fi, err := os.Stat(p); err == nil && os.Remove(p) == nil {
			rm.Blobs++
			rm.Freed += fi.Size()
		}
		lk.Unlock()
	}
	return nil
}

// cancelledCtx makes lockFile try once instead of waiting.
var cancelledCtx = func() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}()

func removeEmptyDirs(root string) {
	var dirs []string
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			dirs = append(dirs, p)
		}
		return nil
	})
	for i := len(dirs) - 1; i >= 0; i-- {
		os.Remove(dirs[i]) // fails unless empty
	}
}
