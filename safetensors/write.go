package safetensors

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// WriteTensor is one tensor to write.
type WriteTensor struct {
	Name  string
	DType DType
	Shape []int64
	Data  []byte
}

// Write writes a safetensors file to path atomically (a temporary file in
// the same folder, renamed when complete). Tensors are stored in the order
// given; the header lists them sorted by name, padded with spaces to a
// multiple of 8 bytes.
func Write(path string, tensors []WriteTensor, metadata map[string]string) (err error) {
	var sb strings.Builder
	sb.WriteByte('{')
	first := true
	if len(metadata) > 0 {
		b, _ := json.Marshal(metadata)
		sb.WriteString(`"__metadata__":`)
		sb.Write(b)
		first = false
	}
	order := make([]int, len(tensors))
	offsets := make([][2]int64, len(tensors))
	var off int64
	seen := map[string]bool{}
	for i := range tensors {
		t := &tensors[i]
		if seen[t.Name] || t.Name == "__metadata__" {
			return fmt.Errorf("safetensors: tensor name %q is used twice or reserved", t.Name)
		}
		seen[t.Name] = true
		n := int64(t.DType.Size())
		for _, d := range t.Shape {
			n *= d
		}
		if t.DType.Size() == 0 || n != int64(len(t.Data)) {
			return fmt.Errorf("safetensors: tensor %q: %d bytes for shape %v of %s", t.Name, len(t.Data), t.Shape, t.DType)
		}
		offsets[i] = [2]int64{off, off + n}
		off += n
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return tensors[order[a]].Name < tensors[order[b]].Name })
	for _, i := range order {
		t := &tensors[i]
		if !first {
			sb.WriteByte(',')
		}
		first = false
		name, _ := json.Marshal(t.Name)
		sb.Write(name)
		sb.WriteString(`:{"dtype":"` + string(t.DType) + `","shape":[`)
		for j, d := range t.Shape {
			if j > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString(strconv.FormatInt(d, 10))
		}
		fmt.Fprintf(&sb, `],"data_offsets":[%d,%d]}`, offsets[i][0], offsets[i][1])
	}
	sb.WriteByte('}')
	for sb.Len()%8 != 0 {
		sb.WriteByte(' ')
	}

	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	w := bufio.NewWriterSize(tmp, 1<<20)
	var lenb [8]byte
	binary.LittleEndian.PutUint64(lenb[:], uint64(sb.Len()))
	w.Write(lenb[:])
	w.WriteString(sb.String())
	for i := range tensors {
		w.Write(tensors[i].Data)
	}
	if err = w.Flush(); err != nil {
		return fmt.Errorf("safetensors: write %s: %w", path, err)
	}
	if err = tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	return nil
}
