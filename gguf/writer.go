package gguf

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
)

// WriterTensor is one tensor to write: its info and its data.
type WriterTensor struct {
	Name  string
	Shape []uint64 // ggml order: Shape[0] is the row length
	Type  Type
	Data  []byte // exactly the tensor's size in bytes
}

// Write writes a GGUF v3 file with the metadata md and the tensors, in the
// order given, to w. The layout is the one llama.cpp's writers produce:
// header, metadata, tensor infos, zero padding to the alignment, then each
// tensor's data followed by zero padding to the alignment. A file without
// tensors ends right after the tensor infos, unpadded, as gguf-py writes it.
//
// alignment 0 means general.alignment from md, or 32 without it. A non-zero
// alignment must agree with general.alignment if md has it; if md lacks it
// and alignment is not 32, general.alignment is written as a last key so
// that readers find the data.
//
// Everything is checked before the first byte is written.
func Write(w io.Writer, md Metadata, tensors []WriterTensor, alignment uint64) error {
	md, align, err := resolveAlignment(md, alignment)
	if err != nil {
		return err
	}
	seen := make(map[string]struct{}, len(md))
	for _, kv := range md {
		if _, dup := seen[kv.Key]; dup {
			return fmt.Errorf("gguf: metadata key %q appears twice", kv.Key)
		}
		seen[kv.Key] = struct{}{}
		if err := checkValue(kv.Value.Type, kv.Value.V, 0); err != nil {
			return fmt.Errorf("gguf: metadata key %q: %w", kv.Key, err)
		}
	}
	names := make(map[string]struct{}, len(tensors))
	for i := range tensors {
		t := &tensors[i]
		if _, dup := names[t.Name]; dup {
			return fmt.Errorf("gguf: tensor name %q appears twice", t.Name)
		}
		names[t.Name] = struct{}{}
		size, err := tensorSize(t.Shape, t.Type)
		if err != nil {
			return fmt.Errorf("gguf: tensor %q: %w", t.Name, err)
		}
		if uint64(len(t.Data)) != size {
			return fmt.Errorf("gguf: tensor %q: %d bytes of data, shape %v of %s takes %d", t.Name, len(t.Data), t.Shape, t.Type, size)
		}
	}

	e := &encoder{w: bufio.NewWriterSize(w, 1<<20)}
	e.raw([]byte(magic))
	e.u32(3)
	e.u64(uint64(len(tensors)))
	e.u64(uint64(len(md)))
	for _, kv := range md {
		e.str(kv.Key)
		e.u32(uint32(kv.Value.Type))
		e.value(kv.Value.Type, kv.Value.V)
	}
	var off uint64
	for i := range tensors {
		t := &tensors[i]
		e.str(t.Name)
		e.u32(uint32(len(t.Shape)))
		for _, d := range t.Shape {
			e.u64(d)
		}
		e.u32(uint32(t.Type))
		e.u64(off)
		off += pad(uint64(len(t.Data)), align)
	}
	if len(tensors) > 0 {
		e.zeros(pad(e.n, align) - e.n)
		for i := range tensors {
			n := uint64(len(tensors[i].Data))
			e.raw(tensors[i].Data)
			e.zeros(pad(n, align) - n)
		}
	}
	if e.err != nil {
		return fmt.Errorf("gguf: write: %w", e.err)
	}
	if err := e.w.Flush(); err != nil {
		return fmt.Errorf("gguf: write: %w", err)
	}
	return nil
}

// WriteFile writes a GGUF v3 file (see Write, with alignment 0) to path
// atomically: it writes a temporary file in the same directory, syncs it and
// renames it over path. On error nothing is left behind.
func WriteFile(path string, md Metadata, tensors []WriterTensor) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("gguf: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = Write(tmp, md, tensors, 0); err != nil {
		return err
	}
	if err = tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("gguf: %w", err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("gguf: %w", err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("gguf: %w", err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("gguf: %w", err)
	}
	// Make the rename durable; not all systems can sync a directory.
	if d, derr := os.Open(dir); derr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

func resolveAlignment(md Metadata, alignment uint64) (Metadata, uint64, error) {
	if alignment != 0 && (alignment&(alignment-1) != 0 || alignment > math.MaxUint32) {
		return nil, 0, fmt.Errorf("gguf: alignment %d is not a power of two that fits 32 bits", alignment)
	}
	v, ok := md.Get(KeyAlignment)
	if ok {
		a, err := alignmentOf(v)
		if err != nil {
			return nil, 0, err
		}
		if alignment != 0 && alignment != a {
			return nil, 0, fmt.Errorf("gguf: alignment %d disagrees with %s = %d", alignment, KeyAlignment, a)
		}
		return md, a, nil
	}
	if alignment == 0 || alignment == DefaultAlignment {
		return md, DefaultAlignment, nil
	}
	out := make(Metadata, len(md), len(md)+1)
	copy(out, md)
	out = append(out, KV{KeyAlignment, Value{Uint32, uint32(alignment)}})
	return out, alignment, nil
}

func pad(n, a uint64) uint64 { return (n + a - 1) &^ (a - 1) }

// encoder writes little-endian GGUF v3 fields, remembering the first error
// and the number of bytes written.
type encoder struct {
	w   *bufio.Writer
	n   uint64
	err error
	buf [8]byte
}

var errShortWrite = errors.New("short write")

func (e *encoder) raw(p []byte) {
	if e.err != nil {
		return
	}
	n, err := e.w.Write(p)
	e.n += uint64(n)
	if err == nil && n != len(p) {
		err = errShortWrite
	}
	e.err = err
}

func (e *encoder) zeros(n uint64) {
	var z [64]byte
	for n > 0 {
		k := min(n, uint64(len(z)))
		e.raw(z[:k])
		n -= k
	}
}

func (e *encoder) u8(v uint8) { e.buf[0] = v; e.raw(e.buf[:1]) }
func (e *encoder) u16(v uint16) {
	binary.LittleEndian.PutUint16(e.buf[:], v)
	e.raw(e.buf[:2])
}
func (e *encoder) u32(v uint32) {
	binary.LittleEndian.PutUint32(e.buf[:], v)
	e.raw(e.buf[:4])
}
func (e *encoder) u64(v uint64) {
	binary.LittleEndian.PutUint64(e.buf[:], v)
	e.raw(e.buf[:8])
}

func (e *encoder) str(s string) {
	e.u64(uint64(len(s)))
	if e.err == nil {
		n, err := e.w.WriteString(s)
		e.n += uint64(n)
		e.err = err
	}
}

// value writes v, which checkValue has accepted for type t.
func (e *encoder) value(t ValueType, v any) {
	switch x := v.(type) {
	case uint8:
		e.u8(x)
	case int8:
		e.u8(uint8(x))
	case bool:
		if x {
			e.u8(1)
		} else {
			e.u8(0)
		}
	case uint16:
		e.u16(x)
	case int16:
		e.u16(uint16(x))
	case uint32:
		e.u32(x)
	case int32:
		e.u32(uint32(x))
	case float32:
		e.u32(math.Float32bits(x))
	case uint64:
		e.u64(x)
	case int64:
		e.u64(uint64(x))
	case float64:
		e.u64(math.Float64bits(x))
	case string:
		e.str(x)
	case Array:
		e.u32(uint32(x.Elem))
		e.u64(uint64(len(x.Values)))
		for _, el := range x.Values {
			e.value(x.Elem, el)
		}
	}
}
