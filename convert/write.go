package convert

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/hearthlm/hearth/gguf"
)

// OutTensor describes one tensor of a GGUF file written by WriteStream;
// its data comes from the fill function, one tensor at a time.
type OutTensor struct {
	Name  string
	Shape []uint64 // ggml order: Shape[0] is the row length
	Type  gguf.Type
}

// Size is the tensor's data size in bytes.
func (t *OutTensor) Size() (int, error) {
	if len(t.Shape) == 0 {
		return 0, fmt.Errorf("convert: tensor %q has no dimensions", t.Name)
	}
	rb, err := t.Type.RowSize(int(t.Shape[0]))
	if err != nil {
		return 0, fmt.Errorf("convert: tensor %q: %w", t.Name, err)
	}
	n := rb
	for _, d := range t.Shape[1:] {
		n *= int(d)
	}
	return n, nil
}

// WriteStream writes a GGUF file to path atomically, producing the tensor
// data one tensor at a time with fill(i, dst), where dst is exactly tensor
// i's size. Memory stays near the largest tensor. On error nothing is left
// at path (an existing file there is untouched).
func WriteStream(path string, md gguf.Metadata, tensors []OutTensor, fill func(i int, dst []byte) error) (err error) {
	sizes := make([]int, len(tensors))
	maxSize := 0
	for i := range tensors {
		if sizes[i], err = tensors[i].Size(); err != nil {
			return err
		}
		maxSize = max(maxSize, sizes[i])
	}
	header, align, err := encodeHeader(md, tensors, sizes, maxSize)
	if err != nil {
		return err
	}

	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("convert: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(header); err != nil {
		return fmt.Errorf("convert: write %s: %w", path, err)
	}
	buf := make([]byte, 0, maxSize+int(align))
	zeros := make([]byte, align)
	for i := range tensors {
		b := buf[:sizes[i]]
		if err = fill(i, b); err != nil {
			return err
		}
		p := int(pad(uint64(len(b)), align)) - len(b)
		if _, err = tmp.Write(append(b, zeros[:p]...)); err != nil {
			return fmt.Errorf("convert: write %s: %w", path, err)
		}
	}
	if err = tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("convert: %w", err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("convert: %w", err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("convert: %w", err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("convert: %w", err)
	}
	return nil
}

func pad(n, a uint64) uint64 { return (n + a - 1) &^ (a - 1) }

// encodeHeader returns the bytes of a GGUF file before its first tensor's
// data (header, metadata, tensor infos, padding) as gguf.Write lays it out.
// gguf.Write wants the data too; we hand it views of one read-only zero
// region, let it run to the end counting bytes (the data section's size
// is known, so the header's follows), then run it again keeping only that
// many bytes.
func encodeHeader(md gguf.Metadata, tensors []OutTensor, sizes []int, maxSize int) ([]byte, uint64, error) {
	zero, release, err := zeroRegion(maxSize)
	if err != nil {
		return nil, 0, err
	}
	defer release()
	wt := make([]gguf.WriterTensor, len(tensors))
	for i, t := range tensors {
		wt[i] = gguf.WriterTensor{Name: t.Name, Shape: t.Shape, Type: t.Type, Data: zero[:sizes[i]]}
	}
	align := uint64(gguf.DefaultAlignment)
	if v, ok := md.Uint(gguf.KeyAlignment); ok {
		align = v
	}
	var data uint64
	for _, s := range sizes {
		data += pad(uint64(s), align)
	}
	var cw countWriter
	if err := gguf.Write(&cw, md, wt, 0); err != nil {
		return nil, 0, err
	}
	if len(tensors) == 0 {
		data = 0
	}
	h := &headWriter{limit: int(cw.n - data)}
	if err := gguf.Write(h, md, wt, 0); err != nil && !errors.Is(err, errHeadDone) {
		return nil, 0, err
	}
	if len(h.b) != h.limit {
		return nil, 0, fmt.Errorf("convert: GGUF header is %d bytes, expected %d", len(h.b), h.limit)
	}
	return h.b, align, nil
}

type countWriter struct{ n uint64 }

func (w *countWriter) Write(p []byte) (int, error) { w.n += uint64(len(p)); return len(p), nil }

var errHeadDone = errors.New("header complete")

type headWriter struct {
	b     []byte
	limit int
}

func (w *headWriter) Write(p []byte) (int, error) {
	k := min(len(p), w.limit-len(w.b))
	w.b = append(w.b, p[:k]...)
	if len(w.b) == w.limit {
		return k, errHeadDone
	}
	return len(p), nil
}

var _ io.Writer = (*headWriter)(nil)
