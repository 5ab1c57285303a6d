package safetensors

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// Open memory-maps and parses a safetensors file.
func Open(path string) (*File, error) {
	fd, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fd.Close()
	st, err := fd.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() > int64(int(^uint(0)>>1)) {
		return nil, fmt.Errorf("safetensors: %s: %d bytes is too large to map", path, st.Size())
	}
	b, closer, err := mapFile(fd, int(st.Size()))
	if err != nil {
		return nil, fmt.Errorf("safetensors: %s: %w", path, err)
	}
	f, err := Parse(b)
	if err != nil {
		if closer != nil {
			closer(b)
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	f.Path, f.closer = path, closer
	return f, nil
}

// Model is a checkpoint of one or more safetensors files.
type Model struct {
	Files []*File
	where map[string]int // tensor name -> file
}

// IndexName is the shard index of a sharded checkpoint.
const IndexName = "model.safetensors.index.json"

// OpenDir opens the checkpoint in a Hugging Face model folder: the shards
// listed in model.safetensors.index.json, or model.safetensors, or every
// *.safetensors file. Every tensor the index names must be in its shard.
func OpenDir(dir string) (*Model, error) {
	var paths []string
	var weightMap map[string]string
	if b, err := os.ReadFile(filepath.Join(dir, IndexName)); err == nil {
		var idx struct {
			WeightMap map[string]string `json:"weight_map"`
		}
		if err := json.Unmarshal(b, &idx); err != nil {
			return nil, fmt.Errorf("safetensors: %s: %w", IndexName, err)
		}
		if len(idx.WeightMap) == 0 {
			return nil, fmt.Errorf("safetensors: %s has no weight_map", IndexName)
		}
		weightMap = idx.WeightMap
		seen := map[string]bool{}
		for _, shard := range idx.WeightMap {
			if filepath.Base(shard) != shard {
				return nil, fmt.Errorf("safetensors: %s: shard %q is not a file name in the folder", IndexName, shard)
			}
			if !seen[shard] {
				seen[shard] = true
				paths = append(paths, filepath.Join(dir, shard))
			}
		}
		sort.Strings(paths)
	} else if _, err := os.Stat(filepath.Join(dir, "model.safetensors")); err == nil {
		paths = []string{filepath.Join(dir, "model.safetensors")}
	} else {
		paths, _ = filepath.Glob(filepath.Join(dir, "*.safetensors"))
		if len(paths) == 0 {
			return nil, fmt.Errorf("safetensors: %s has no .safetensors files", dir)
		}
	}
	m := &Model{where: map[string]int{}}
	for _, p := range paths {
		f, err := Open(p)
		if err != nil {
			m.Close()
			return nil, err
		}
		m.Files = append(m.Files, f)
		for _, t := range f.Tensors {
			if j, dup := m.where[t.Name]; dup {
				m.Close()
				return nil, fmt.Errorf("safetensors: tensor %q is in both %s and %s", t.Name, m.Files[j].Path, p)
			}
			m.where[t.Name] = len(m.Files) - 1
		}
	}
	for name, shard := range weightMap {
		i, ok := m.where[name]
		if !ok {
			m.Close()
			return nil, fmt.Errorf("safetensors: tensor %q listed in %s is missing from %s", name, IndexName, shard)
		}
		if filepath.Base(m.Files[i].Path) != shard {
			m.Close()
			return nil, fmt.Errorf("safetensors: tensor %q is in %s, the index says %s", name, m.Files[i].Path, shard)
		}
	}
	return m, nil
}

// Tensor returns the named tensor and its data.
func (m *Model) Tensor(name string) (*TensorInfo, []byte, bool) {
	i, ok := m.where[name]
	if !ok {
		return nil, nil, false
	}
	t, _ := m.Files[i].Tensor(name)
	return t, m.Files[i].Data(t), true
}

// Names lists every tensor name, sorted.
func (m *Model) Names() []string {
	out := make([]string, 0, len(m.where))
	for n := range m.where {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Close unmaps every file.
func (m *Model) Close() error {
	var first error
	for _, f := range m.Files {
		if err := f.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}
