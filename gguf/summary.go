package gguf

import (
	"fmt"
	"strings"
)

// Summary returns a short human-readable dump of the file: version, layout,
// metadata (long arrays and strings abbreviated) and the tensor table.
func (f *File) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "GGUF v%d, %d bytes, %d metadata keys, %d tensors, alignment %d, data at %d\n",
		f.Version, len(f.data), len(f.Metadata), len(f.Tensors), f.Alignment, f.DataOffset)
	for _, kv := range f.Metadata {
		fmt.Fprintf(&b, "  %s: %s = %s\n", kv.Key, typeName(kv.Value), short(kv.Value.V))
	}
	var total uint64
	for i := range f.Tensors {
		t := &f.Tensors[i]
		total += t.Size
		fmt.Fprintf(&b, "  %-40s %-7s %v @%d (%d bytes)\n", t.Name, t.Type, t.Shape, t.Offset, t.Size)
	}
	if len(f.Tensors) > 0 {
		fmt.Fprintf(&b, "  tensor data: %d bytes\n", total)
	}
	return b.String()
}

func typeName(v Value) string {
	if a, ok := v.V.(Array); ok {
		return fmt.Sprintf("[%d]%s", len(a.Values), a.Elem)
	}
	return v.Type.String()
}

func short(v any) string {
	switch x := v.(type) {
	case string:
		if len(x) > 60 {
			return fmt.Sprintf("%q… (%d bytes)", x[:60], len(x))
		}
		return fmt.Sprintf("%q", x)
	case Array:
		var parts []string
		for i, e := range x.Values {
			if i == 8 {
				parts = append(parts, "…")
				break
			}
			parts = append(parts, short(e))
		}
		return "[" + strings.Join(parts, " ") + "]"
	}
	return fmt.Sprint(v)
}
