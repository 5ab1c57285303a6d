// Package safetensors reads and writes the safetensors format of Hugging
// Face checkpoints: an 8-byte little-endian header length, a JSON header
// naming each tensor's dtype, shape and byte range, then the data. Files
// are memory-mapped; tensors are views into the map. Sharded checkpoints
// (model.safetensors.index.json) open as one Model.
package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"sort"
)

// MaxHeader bounds the JSON header (the reference implementation's limit).
const MaxHeader = 100 << 20

// DType is a tensor element type.
type DType string

// The element types of the format.
const (
	F64    DType = "F64"
	F32    DType = "F32"
	F16    DType = "F16"
	BF16   DType = "BF16"
	F8E4M3 DType = "F8_E4M3"
	F8E5M2 DType = "F8_E5M2"
	I64    DType = "I64"
	I32    DType = "I32"
	I16    DType = "I16"
	I8     DType = "I8"
	U8     DType = "U8"
	BoolT  DType = "BOOL"
	U16    DType = "U16"
	U32    DType = "U32"
	U64    DType = "U64"
)

var dtypeSize = map[DType]int{
	F64: 8, F32: 4, F16: 2, BF16: 2, F8E4M3: 1, F8E5M2: 1, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BoolT: 1, U16: 2, U32: 4, U64: 8,
}

// Size is the bytes of one element, 0 for an unknown dtype.
func (d DType) Size() int { return dtypeSize[d] }

// TensorInfo describes one tensor.
type TensorInfo struct {
	Name  string
	DType DType
	Shape []int64 // row-major, outermost first (PyTorch order)
	// Begin and End are byte offsets into the data section.
	Begin, End int64
}

// Elements is the number of elements.
func (t *TensorInfo) Elements() int64 {
	n := int64(1)
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// File is one parsed safetensors file.
type File struct {
	Metadata map[string]string
	Tensors  []TensorInfo // in data order
	Path     string

	data   []byte // the data section
	index  map[string]int
	all    []byte
	closer func([]byte) error
}

// Tensor returns the named tensor.
func (f *File) Tensor(name string) (*TensorInfo, bool) {
	i, ok := f.index[name]
	if !ok {
		return nil, false
	}
	return &f.Tensors[i], true
}

// Data returns the tensor's bytes, a view into the file (read-only memory
// for Open), or nil after Close.
func (f *File) Data(t *TensorInfo) []byte {
	if f.data == nil {
		return nil
	}
	return f.data[t.Begin:t.End:t.End]
}

// Close releases the file's memory map.
func (f *File) Close() error {
	all, closer := f.all, f.closer
	f.all, f.data, f.closer = nil, nil, nil
	if closer != nil && all != nil {
		return closer(all)
	}
	return nil
}

type headerEntry struct {
	DType       DType    `json:"dtype"`
	Shape       []int64  `json:"shape"`
	DataOffsets [2]int64 `json:"data_offsets"`
}

// Parse parses a safetensors file held in b, checking the header the way
// the reference implementation does: its length within bounds, valid JSON
// of known dtypes, each tensor's byte range matching its shape and lying
// in the file, and the ranges covering the data without overlap or gap.
func Parse(b []byte) (*File, error) {
	if len(b) < 8 {
		return nil, fmt.Errorf("safetensors: file of %d bytes is too short for a header", len(b))
	}
	n := binary.LittleEndian.Uint64(b)
	if n > MaxHeader {
		return nil, fmt.Errorf("safetensors: header of %d bytes exceeds the limit of %d", n, MaxHeader)
	}
	if n > uint64(len(b)-8) {
		return nil, fmt.Errorf("safetensors: header of %d bytes, file has %d after the length", n, len(b)-8)
	}
	hdr := b[8 : 8+n]
	if len(hdr) == 0 || hdr[0] != '{' {
		return nil, fmt.Errorf("safetensors: header does not start with '{'")
	}
	var raw map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(hdr))
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("safetensors: header: %w", err)
	}
	f := &File{data: b[8+n:], all: b, index: map[string]int{}}
	for name, v := range raw {
		if name == "__metadata__" {
			if err := json.Unmarshal(v, &f.Metadata); err != nil {
				return nil, fmt.Errorf("safetensors: __metadata__ must map strings to strings: %w", err)
			}
			continue
		}
		var e headerEntry
		d := json.NewDecoder(bytes.NewReader(v))
		d.DisallowUnknownFields()
		if err := d.Decode(&e); err != nil {
			return nil, fmt.Errorf("safetensors: tensor %q: %w", name, err)
		}
		size := e.DType.Size()
		if size == 0 {
			return nil, fmt.Errorf("safetensors: tensor %q: unknown dtype %q", name, e.DType)
		}
		elems := int64(1)
		for _, s := range e.Shape {
			if s < 0 || (s > 0 && elems > math.MaxInt64/8/s) {
				return nil, fmt.Errorf("safetensors: tensor %q: invalid shape %v", name, e.Shape)
			}
			elems *= s
		}
		begin, end := e.DataOffsets[0], e.DataOffsets[1]
		if begin < 0 || end < begin || end > int64(len(f.data)) {
			return nil, fmt.Errorf("safetensors: tensor %q: data [%d, %d) outside the %d data bytes", name, begin, end, len(f.data))
		}
		if end-begin != elems*int64(size) {
			return nil, fmt.Errorf("safetensors: tensor %q: %d bytes for shape %v of %s, want %d", name, end-begin, e.Shape, e.DType, elems*int64(size))
		}
		f.Tensors = append(f.Tensors, TensorInfo{Name: name, DType: e.DType, Shape: e.Shape, Begin: begin, End: end})
	}
	sort.Slice(f.Tensors, func(i, j int) bool {
		a, b := &f.Tensors[i], &f.Tensors[j]
		if a.Begin != b.Begin {
			return a.Begin < b.Begin
		}
		return a.End < b.End
	})
	var at int64
	for i := range f.Tensors {
		t := &f.Tensors[i]
		if t.Begin < at {
			return nil, fmt.Errorf("safetensors: tensor %q: data [%d, %d) overlaps the previous tensor's, which ends at %d", t.Name, t.Begin, t.End, at)
		}
		if t.Begin > at {
			return nil, fmt.Errorf("safetensors: tensor %q: data starts at %d, leaving a gap after %d", t.Name, t.Begin, at)
		}
		at = t.End
		f.index[t.Name] = i
	}
	if at != int64(len(f.data)) {
		return nil, fmt.Errorf("safetensors: tensors end at %d, the data section has %d bytes", at, len(f.data))
	}
	return f, nil
}
