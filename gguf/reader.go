package gguf

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"sort"
	"unsafe"
)

const (
	magic = "GGUF"

	// DefaultAlignment is the alignment of tensor data when a file has no
	// general.alignment key.
	DefaultAlignment = 32

	// KeyAlignment is the metadata key that sets the tensor data alignment.
	KeyAlignment = "general.alignment"

	// MaxDims is the largest number of dimensions a tensor may have.
	MaxDims = 4

	maxDepth = 16 // nesting limit for arrays of arrays
)

// TensorInfo describes one tensor of a GGUF file.
type TensorInfo struct {
	Name string
	// Shape is in ggml order: Shape[0] is the row length (the fastest
	// varying dimension).
	Shape []uint64
	Type  Type
	// Offset of the tensor data, relative to the start of the data section.
	Offset uint64
	// Size of the tensor data in bytes.
	Size uint64
}

// Elements returns the number of elements of the tensor.
func (t *TensorInfo) Elements() uint64 {
	n := uint64(1)
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// File is a parsed GGUF file. Its tensor data stays in the bytes the file was
// parsed from (a read-only memory map for Open): Data returns views into it.
type File struct {
	Version  uint32
	Metadata Metadata
	Tensors  []TensorInfo
	// Alignment of the data section and of each tensor's data.
	Alignment uint64
	// DataOffset is the absolute offset of the data section. In a file
	// without tensors it may equal or exceed the file size.
	DataOffset uint64

	data   []byte
	index  map[string]int
	closer func([]byte) error
}

// Tensor returns the tensor with the given name.
func (f *File) Tensor(name string) (*TensorInfo, bool) {
	i, ok := f.index[name]
	if !ok {
		return nil, false
	}
	return &f.Tensors[i], true
}

// Data returns a view of the tensor's data, without copying. For a file from
// Open the view is read-only memory: writing to it faults. It returns nil if
// t does not lie within the file, or after Close.
func (f *File) Data(t *TensorInfo) []byte {
	start, ok := addOK(f.DataOffset, t.Offset)
	if !ok {
		return nil
	}
	end, ok := addOK(start, t.Size)
	if !ok || end > uint64(len(f.data)) {
		return nil
	}
	return f.data[start:end:end]
}

// Bytes returns the whole file, without copying; nil after Close.
func (f *File) Bytes() []byte { return f.data }

// Close releases the memory map of a file from Open. Views returned by Data
// and Bytes must not be used after Close. Close of a File from Parse only
// drops its reference to the bytes.
func (f *File) Close() error {
	data, closer := f.data, f.closer
	f.data, f.closer = nil, nil
	if closer != nil && data != nil {
		return closer(data)
	}
	return nil
}

// Parse parses a GGUF file held in data. The File refers to data; data must
// not change while the File is in use.
func Parse(data []byte) (*File, error) {
	d := &decoder{b: data}
	return d.file()
}

type decoder struct {
	b   []byte
	off uint64
	v1  bool // GGUF v1: 32-bit counts, string lengths and dimensions
}

func (d *decoder) left() uint64 { return uint64(len(d.b)) - d.off }

func (d *decoder) truncated(n uint64) error {
	return fmt.Errorf("truncated: need %d bytes at offset %d, file has %d bytes", n, d.off, len(d.b))
}

func (d *decoder) take(n uint64) ([]byte, error) {
	if n > d.left() {
		return nil, d.truncated(n)
	}
	p := d.b[d.off : d.off+n]
	d.off += n
	return p, nil
}

func (d *decoder) u32() (uint32, error) {
	p, err := d.take(4)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(p), nil
}

func (d *decoder) u64() (uint64, error) {
	p, err := d.take(8)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(p), nil
}

// count reads a count or length: 32 bits in v1, 64 bits after.
func (d *decoder) count() (uint64, error) {
	if d.v1 {
		n, err := d.u32()
		return uint64(n), err
	}
	return d.u64()
}

func (d *decoder) countSize() uint64 {
	if d.v1 {
		return 4
	}
	return 8
}

func (d *decoder) str() (string, error) {
	p, err := d.strBytes()
	return string(p), err
}

// strBytes reads a string and returns its bytes in the file, not copied.
func (d *decoder) strBytes() ([]byte, error) {
	n, err := d.count()
	if err != nil {
		return nil, err
	}
	if n > d.left() {
		return nil, fmt.Errorf("string of %d bytes at offset %d runs past the end of the file (%d bytes)", n, d.off, len(d.b))
	}
	p := d.b[d.off : d.off+n]
	d.off += n
	return p, nil
}

// minSize is the fewest bytes a value of type t takes in the file.
func (d *decoder) minSize(t ValueType) uint64 {
	switch t {
	case String:
		return d.countSize()
	case ArrayType:
		return 4 + d.countSize()
	}
	return t.size()
}

func (d *decoder) value(t ValueType, depth int) (any, error) {
	switch t {
	case String:
		return d.str()
	case ArrayType:
		return d.array(depth)
	}
	n := t.size()
	if n == 0 {
		return nil, fmt.Errorf("unknown value type %d", uint32(t))
	}
	p, err := d.take(n)
	if err != nil {
		return nil, err
	}
	switch t {
	case Uint8:
		return p[0], nil
	case Int8:
		return int8(p[0]), nil
	case Bool:
		if p[0] > 1 {
			return nil, fmt.Errorf("bool at offset %d has byte value %d, want 0 or 1", d.off-1, p[0])
		}
		return p[0] == 1, nil
	case Uint16:
		return binary.LittleEndian.Uint16(p), nil
	case Int16:
		return int16(binary.LittleEndian.Uint16(p)), nil
	case Uint32:
		return binary.LittleEndian.Uint32(p), nil
	case Int32:
		return int32(binary.LittleEndian.Uint32(p)), nil
	case Float32:
		return math.Float32frombits(binary.LittleEndian.Uint32(p)), nil
	case Uint64:
		return binary.LittleEndian.Uint64(p), nil
	case Int64:
		return int64(binary.LittleEndian.Uint64(p)), nil
	default: // Float64
		return math.Float64frombits(binary.LittleEndian.Uint64(p)), nil
	}
}

func (d *decoder) array(depth int) (any, error) {
	if depth >= maxDepth {
		return nil, fmt.Errorf("arrays nested deeper than %d at offset %d", maxDepth, d.off)
	}
	et, err := d.u32()
	if err != nil {
		return nil, err
	}
	elem := ValueType(et)
	if !elem.Valid() {
		return nil, fmt.Errorf("array of unknown value type %d at offset %d", et, d.off-4)
	}
	n, err := d.count()
	if err != nil {
		return nil, err
	}
	if min := d.minSize(elem); n > d.left()/min {
		return nil, fmt.Errorf("array of %d %s elements at offset %d needs at least %d bytes per element, %d bytes left in the file",
			n, elem, d.off, min, d.left())
	}
	vals := make([]any, n)
	switch elem {
	case String:
		// Check all lengths first, then copy all strings into one
		// allocation: vocabularies hold 100k+ tokens.
		start, total := d.off, uint64(0)
		for i := range vals {
			s, err := d.strBytes()
			if err != nil {
				return nil, fmt.Errorf("element %d: %w", i, err)
			}
			total += uint64(len(s))
		}
		d.off = start
		buf := make([]byte, 0, total)
		for i := range vals {
			s, _ := d.strBytes()
			if len(s) == 0 {
				vals[i] = ""
				continue
			}
			buf = append(buf, s...)
			vals[i] = unsafe.String(&buf[len(buf)-len(s)], len(s))
		}
	default:
		for i := range vals {
			if vals[i], err = d.value(elem, depth+1); err != nil {
				return nil, fmt.Errorf("element %d: %w", i, err)
			}
		}
	}
	return Array{Elem: elem, Values: vals}, nil
}

func (d *decoder) file() (*File, error) {
	if len(d.b) < 8 {
		return nil, fmt.Errorf("gguf: file has %d bytes, too short for a GGUF header", len(d.b))
	}
	if string(d.b[:4]) != magic {
		return nil, fmt.Errorf("gguf: bad magic %q, want %q: not a GGUF file", d.b[:4], magic)
	}
	d.off = 4
	version, _ := d.u32()
	switch version {
	case 1:
		d.v1 = true
	case 2, 3:
	default:
		if sw := bits.ReverseBytes32(version); sw >= 1 && sw <= 3 {
			return nil, fmt.Errorf("gguf: big-endian GGUF v%d files are not supported", sw)
		}
		return nil, fmt.Errorf("gguf: unsupported version %d (supported: 1, 2, 3)", version)
	}
	f := &File{Version: version}

	nTensors, err := d.count()
	if err != nil {
		return nil, fmt.Errorf("gguf: header: tensor count: %w", err)
	}
	nKV, err := d.count()
	if err != nil {
		return nil, fmt.Errorf("gguf: header: metadata count: %w", err)
	}
	// Bound both counts by the bytes left before allocating anything.
	// A key-value pair takes at least a key length, a type and one byte;
	// a tensor info a name length, n_dims, one dimension, a type and an offset.
	cs := d.countSize()
	if minKV := cs + 4 + 1; nKV > d.left()/minKV {
		return nil, fmt.Errorf("gguf: header: %d metadata entries cannot fit in the %d bytes left (at least %d bytes each)", nKV, d.left(), minKV)
	}
	if minTI := cs + 4 + cs + 4 + 8; nTensors > d.left()/minTI {
		return nil, fmt.Errorf("gguf: header: %d tensors cannot fit in the %d bytes left (at least %d bytes each)", nTensors, d.left(), minTI)
	}

	f.Metadata = make(Metadata, 0, nKV)
	seen := make(map[string]struct{}, nKV)
	for i := uint64(0); i < nKV; i++ {
		key, err := d.str()
		if err != nil {
			return nil, fmt.Errorf("gguf: metadata entry %d: key: %w", i, err)
		}
		if _, dup := seen[key]; dup {
			return nil, fmt.Errorf("gguf: metadata key %q appears twice", key)
		}
		seen[key] = struct{}{}
		t, err := d.u32()
		if err != nil {
			return nil, fmt.Errorf("gguf: metadata key %q: type: %w", key, err)
		}
		vt := ValueType(t)
		if !vt.Valid() {
			return nil, fmt.Errorf("gguf: metadata key %q: unknown value type %d", key, t)
		}
		v, err := d.value(vt, 0)
		if err != nil {
			return nil, fmt.Errorf("gguf: metadata key %q: %w", key, err)
		}
		f.Metadata = append(f.Metadata, KV{Key: key, Value: Value{Type: vt, V: v}})
	}

	f.Alignment = DefaultAlignment
	if v, ok := f.Metadata.Get(KeyAlignment); ok {
		a, err := alignmentOf(v)
		if err != nil {
			return nil, err
		}
		f.Alignment = a
	}

	f.Tensors = make([]TensorInfo, nTensors)
	f.index = make(map[string]int, nTensors)
	for i := range f.Tensors {
		t := &f.Tensors[i]
		if err := d.tensorInfo(t); err != nil {
			if t.Name != "" {
				return nil, fmt.Errorf("gguf: tensor %q (#%d): %w", t.Name, i, err)
			}
			return nil, fmt.Errorf("gguf: tensor #%d: %w", i, err)
		}
		if _, dup := f.index[t.Name]; dup {
			return nil, fmt.Errorf("gguf: tensor name %q appears twice", t.Name)
		}
		f.index[t.Name] = i
		if t.Offset%f.Alignment != 0 {
			return nil, fmt.Errorf("gguf: tensor %q: offset %d is not a multiple of the alignment %d", t.Name, t.Offset, f.Alignment)
		}
	}

	dataOff, ok := alignUp(d.off, f.Alignment)
	if !ok {
		return nil, fmt.Errorf("gguf: data section offset overflows")
	}
	f.DataOffset = dataOff
	size := uint64(len(d.b))
	for i := range f.Tensors {
		t := &f.Tensors[i]
		start, ok1 := addOK(dataOff, t.Offset)
		end, ok2 := addOK(start, t.Size)
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("gguf: tensor %q: offset %d + size %d overflows", t.Name, t.Offset, t.Size)
		}
		if end > size {
			return nil, fmt.Errorf("gguf: tensor %q: data ends at %d, file has %d bytes", t.Name, end, size)
		}
	}
	if err := checkOverlap(f.Tensors); err != nil {
		return nil, err
	}
	f.data = d.b
	return f, nil
}

func (d *decoder) tensorInfo(t *TensorInfo) error {
	name, err := d.str()
	if err != nil {
		return fmt.Errorf("name: %w", err)
	}
	t.Name = name
	nd, err := d.u32()
	if err != nil {
		return fmt.Errorf("n_dims: %w", err)
	}
	if nd == 0 || nd > MaxDims {
		return fmt.Errorf("%d dimensions, want 1 to %d", nd, MaxDims)
	}
	t.Shape = make([]uint64, nd)
	for j := range t.Shape {
		if t.Shape[j], err = d.count(); err != nil {
			return fmt.Errorf("dimension %d: %w", j, err)
		}
	}
	ty, err := d.u32()
	if err != nil {
		return fmt.Errorf("type: %w", err)
	}
	t.Type = Type(ty)
	if t.Offset, err = d.u64(); err != nil {
		return fmt.Errorf("offset: %w", err)
	}
	t.Size, err = tensorSize(t.Shape, t.Type)
	return err
}

// tensorSize checks a tensor's shape and type and returns its size in bytes.
func tensorSize(shape []uint64, typ Type) (uint64, error) {
	if len(shape) == 0 || len(shape) > MaxDims {
		return 0, fmt.Errorf("%d dimensions, want 1 to %d", len(shape), MaxDims)
	}
	if !typ.Known() {
		return 0, fmt.Errorf("unknown tensor type %d", uint32(typ))
	}
	n := uint64(1)
	for j, dim := range shape {
		if dim == 0 {
			return 0, fmt.Errorf("shape %v: dimension %d is zero", shape, j)
		}
		hi, lo := bits.Mul64(n, dim)
		if hi != 0 || lo > math.MaxInt64 {
			return 0, fmt.Errorf("shape %v: element count overflows", shape)
		}
		n = lo
	}
	bs, ts := uint64(typ.BlockSize()), uint64(typ.TypeSize())
	if shape[0]%bs != 0 {
		return 0, fmt.Errorf("shape %v: row length %d of %s is not a multiple of the block size %d", shape, shape[0], typ, bs)
	}
	hi, size := bits.Mul64(n/bs, ts)
	if hi != 0 || size > math.MaxInt64 {
		return 0, fmt.Errorf("shape %v of %s: byte size overflows", shape, typ)
	}
	return size, nil
}

func alignmentOf(v Value) (uint64, error) {
	a, ok := v.V.(uint32)
	if v.Type != Uint32 || !ok {
		return 0, fmt.Errorf("gguf: %s has type %s, want uint32", KeyAlignment, v.Type)
	}
	if a == 0 || a&(a-1) != 0 {
		return 0, fmt.Errorf("gguf: %s is %d, want a non-zero power of two", KeyAlignment, a)
	}
	return uint64(a), nil
}

func checkOverlap(ts []TensorInfo) error {
	if len(ts) < 2 {
		return nil
	}
	idx := make([]int, len(ts))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return ts[idx[a]].Offset < ts[idx[b]].Offset })
	for k := 1; k < len(idx); k++ {
		p, q := &ts[idx[k-1]], &ts[idx[k]]
		if p.Offset+p.Size > q.Offset { // no overflow: both end within the file
			return fmt.Errorf("gguf: tensors %q (bytes %d to %d) and %q (from %d) overlap in the data section",
				p.Name, p.Offset, p.Offset+p.Size, q.Name, q.Offset)
		}
	}
	return nil
}

func addOK(a, b uint64) (uint64, bool) {
	s, c := bits.Add64(a, b, 0)
	return s, c == 0
}

func alignUp(n, a uint64) (uint64, bool) {
	s, ok := addOK(n, a-1)
	return s &^ (a - 1), ok
}
