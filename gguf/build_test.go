package gguf

import (
	"encoding/binary"
	"math"
)

// rawFile describes a GGUF file byte by byte, so that tests can build files
// the writer refuses to produce: any version, counts, types and offsets.
type rawFile struct {
	magic    string // "GGUF" if empty
	version  uint32
	nTensors *uint64 // overrides len(tensors)
	nKV      *uint64 // overrides len(kvs)
	kvs      []rawKV
	tensors  []rawTensor
	align    uint64 // padding after the tensor infos; 32 if 0
	data     []byte // the data section
}

type rawKV struct {
	key  string
	typ  uint32
	body []byte // the encoded value; see enc* helpers
}

type rawTensor struct {
	name   string
	nDims  *uint32 // overrides len(dims)
	dims   []uint64
	typ    uint32
	offset uint64
}

func ptr[T any](v T) *T { return &v }

func (r *rawFile) v1() bool { return r.version == 1 }

// cnt encodes a count or length: 32 bits in v1, 64 bits after.
func (r *rawFile) cnt(b []byte, n uint64) []byte {
	if r.v1() {
		return binary.LittleEndian.AppendUint32(b, uint32(n))
	}
	return binary.LittleEndian.AppendUint64(b, n)
}

func (r *rawFile) str(b []byte, s string) []byte {
	return append(r.cnt(b, uint64(len(s))), s...)
}

func (r *rawFile) bytes() []byte {
	var b []byte
	m := r.magic
	if m == "" {
		m = "GGUF"
	}
	b = append(b, m...)
	b = binary.LittleEndian.AppendUint32(b, r.version)
	nt, nkv := uint64(len(r.tensors)), uint64(len(r.kvs))
	if r.nTensors != nil {
		nt = *r.nTensors
	}
	if r.nKV != nil {
		nkv = *r.nKV
	}
	b = r.cnt(b, nt)
	b = r.cnt(b, nkv)
	for _, kv := range r.kvs {
		b = r.str(b, kv.key)
		b = binary.LittleEndian.AppendUint32(b, kv.typ)
		b = append(b, kv.body...)
	}
	for _, t := range r.tensors {
		b = r.str(b, t.name)
		nd := uint32(len(t.dims))
		if t.nDims != nil {
			nd = *t.nDims
		}
		b = binary.LittleEndian.AppendUint32(b, nd)
		for _, d := range t.dims {
			b = r.cnt(b, d)
		}
		b = binary.LittleEndian.AppendUint32(b, t.typ)
		b = binary.LittleEndian.AppendUint64(b, t.offset)
	}
	a := r.align
	if a == 0 {
		a = 32
	}
	for uint64(len(b))%a != 0 {
		b = append(b, 0)
	}
	return append(b, r.data...)
}

// Value encoders for rawKV bodies.
func encU32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
func encU64(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }
func encF32(v float32) []byte {
	return binary.LittleEndian.AppendUint32(nil, math.Float32bits(v))
}
func (r *rawFile) encStr(s string) []byte { return r.str(nil, s) }

// encArr encodes an array header with element type et and count n, followed
// by the already encoded elements.
func (r *rawFile) encArr(et uint32, n uint64, elems ...[]byte) []byte {
	b := binary.LittleEndian.AppendUint32(nil, et)
	b = r.cnt(b, n)
	for _, e := range elems {
		b = append(b, e...)
	}
	return b
}

// validRaw returns a small valid file of the given version: two tensors
// (F32 4x2 at 0, Q8_0 32 at 32) and a few keys.
func validRaw(version uint32) *rawFile {
	r := &rawFile{version: version}
	r.kvs = []rawKV{
		{"general.architecture", uint32(String), r.encStr("llama")},
		{"llama.block_count", uint32(Uint32), encU32(2)},
		{"tokenizer.ggml.tokens", uint32(ArrayType), r.encArr(uint32(String), 2, r.encStr("a"), r.encStr("bc"))},
	}
	r.tensors = []rawTensor{
		{name: "a", dims: []uint64{4, 2}, typ: uint32(TypeF32), offset: 0},
		{name: "b", dims: []uint64{32}, typ: uint32(TypeQ8_0), offset: 32},
	}
	r.data = make([]byte, 96)
	for i := range r.data[:66] {
		r.data[i] = byte(i + 1)
	}
	return r
}
