package convert

import (
	"fmt"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/hearthlm/hearth/gguf"
	"github.com/hearthlm/hearth/quant"
)

// QuantizeOptions control Quantize.
type QuantizeOptions struct {
	Type FileType
	// Pure gives every quantizable tensor the file type's base type, as
	// llama-quantize --pure does; otherwise llama.cpp's mix applies.
	Pure    bool
	Threads int // 0: all cores
	// Progress, when set, is called after each tensor.
	Progress func(done, total int, name string, from, to gguf.Type)
}

// Quantize rewrites the GGUF file at in as out with the tensor types of
// opts.Type, bit-identical to llama-quantize without an importance matrix.
// It streams: one tensor is in memory at a time (the input is mmapped),
// rows are quantized in parallel, and out appears only when complete.
func Quantize(in, out string, opts QuantizeOptions) error {
	f, err := gguf.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	return quantizeFile(f, out, opts, true)
}

// QuantizeFile is Quantize for an open file.
func QuantizeFile(f *gguf.File, out string, opts QuantizeOptions) error {
	return quantizeFile(f, out, opts, false)
}

// quantizeFile is QuantizeFile; with release, the input's pages leave the
// process once their tensor is written (for a file only this call reads).
func quantizeFile(f *gguf.File, out string, opts QuantizeOptions, release bool) error {
	if _, ok := fileTypes[opts.Type]; !ok {
		return fmt.Errorf("convert: quantize: unknown file type %d", opts.Type)
	}
	if opts.Type == FileQ2_K_S {
		return fmt.Errorf("convert: quantize: %s needs an importance matrix, which hearth does not compute", opts.Type)
	}
	// llama-quantize writes the tensors in its loader's order: tensors
	// outside the blocks first, then block by block, by name within each.
	order := make([]int, len(f.Tensors))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		na, nb := f.Tensors[order[a]].Name, f.Tensors[order[b]].Name
		la, lb := blockOf(na), blockOf(nb)
		if la != lb {
			return la < lb
		}
		return na < nb
	})
	names := make([]string, len(f.Tensors))
	for i, j := range order {
		names[i] = f.Tensors[j].Name
	}
	mixer := NewMixer(opts.Type, opts.Pure, gqaOf(f.Metadata), names)
	ts := make([]OutTensor, len(f.Tensors))
	for i, j := range order {
		t := &f.Tensors[j]
		ts[i] = OutTensor{Name: t.Name, Shape: t.Shape, Type: mixer.Type(t.Name, len(t.Shape), int(t.Shape[0]), t.Type)}
		if f.Data(t) == nil {
			return fmt.Errorf("convert: quantize: tensor %q: data lies outside the file", t.Name)
		}
	}
	md := setKV(f.Metadata, "general.quantization_version", gguf.Value{Type: gguf.Uint32, V: uint32(2)})
	md = setKV(md, "general.file_type", gguf.Value{Type: gguf.Uint32, V: uint32(opts.Type)})
	threads := opts.Threads
	if threads <= 0 {
		threads = runtime.NumCPU()
	}
	return WriteStream(out, md, ts, func(i int, dst []byte) error {
		src := &f.Tensors[order[i]]
		err := convertTensor(src.Name, f.Data(src), src.Type, dst, ts[i].Type, int(src.Shape[0]), threads)
		if release {
			// Done with the tensor's input: drop its pages from this
			// process (a mapping's stay in the page cache), so that
			// memory holds one tensor at a time rather than the whole
			// input file.
			releasePages(f.Data(src))
		}
		if err == nil && opts.Progress != nil {
			opts.Progress(i+1, len(ts), src.Name, src.Type, ts[i].Type)
		}
		return err
	})
}

// blockOf is the block number of a "blk.N.…" tensor name, -1 for others.
func blockOf(name string) int {
	rest, ok := strings.CutPrefix(name, "blk.")
	if !ok {
		return -1
	}
	i := strings.IndexByte(rest, '.')
	if i < 0 {
		return -1
	}
	n, err := strconv.Atoi(rest[:i])
	if err != nil {
		return -1
	}
	return n
}

// gqaOf is the number of query heads per KV head of the file's architecture.
func gqaOf(md gguf.Metadata) int {
	arch, _ := md.String("general.architecture")
	h, ok1 := md.Uint(arch + ".attention.head_count")
	kv, ok2 := md.Uint(arch + ".attention.head_count_kv")
	if !ok1 || !ok2 || kv == 0 {
		return 1
	}
	return int(h / kv)
}

// setKV returns md with key set to v as the last key, removed from where
// it was (what gguf_set_val does in llama-quantize).
func setKV(md gguf.Metadata, key string, v gguf.Value) gguf.Metadata {
	out := make(gguf.Metadata, 0, len(md)+1)
	for _, kv := range md {
		if kv.Key != key {
			out = append(out, kv)
		}
	}
	return append(out, gguf.KV{Key: key, Value: v})
}

// convertTensor converts rows of rowLen elements from type st (src) to
// type dt (dst), in parallel chunks of rows: dequantize to float32, then
// quantize with ggml's reference quantizers. Equal types are copied.
func convertTensor(name string, src []byte, st gguf.Type, dst []byte, dt gguf.Type, rowLen, threads int) error {
	if st == dt {
		if len(src) != len(dst) {
			return fmt.Errorf("convert: tensor %q: %d bytes, want %d", name, len(src), len(dst))
		}
		copy(dst, src)
		return nil
	}
	srb, err := st.RowSize(rowLen)
	if err != nil {
		return fmt.Errorf("convert: tensor %q: %w", name, err)
	}
	drb, err := dt.RowSize(rowLen)
	if err != nil {
		return fmt.Errorf("convert: tensor %q: %w", name, err)
	}
	rows := len(dst) / drb
	if len(src) < rows*srb {
		return fmt.Errorf("convert: tensor %q: %d bytes of %s data, want %d", name, len(src), st, rows*srb)
	}
	return parallelRows(rows, drb, threads, func(buf []float32, r int) error {
		if err := quant.DequantizeRow(st, src[r*srb:(r+1)*srb], buf); err != nil {
			return fmt.Errorf("convert: tensor %q row %d: %w", name, r, err)
		}
		if err := quantRow(dt, buf, dst[r*drb:(r+1)*drb]); err != nil {
			return fmt.Errorf("convert: tensor %q row %d: %w", name, r, err)
		}
		return nil
	}, rowLen)
}

// quantRow quantizes one row of weights as llama.cpp's tools do.
func quantRow(t gguf.Type, src []float32, dst []byte) error { return quant.QuantizeRowRef(t, src, dst) }

// parallelRows calls row(buf, r) for every r in [0, rows) on up to threads
// goroutines, in chunks of about 1 MiB of output (rows of rowBytes);
// buf is per-goroutine scratch of rowLen floats.
func parallelRows(rows, rowBytes, threads int, row func(buf []float32, r int) error, rowLen int) error {
	per := max(1, (1<<20)/max(1, rowBytes))
	nChunks := (rows + per - 1) / per
	workers := max(1, min(threads, nChunks))
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]float32, rowLen)
			for {
				c := int(next.Add(1) - 1)
				if c >= nChunks {
					return
				}
				for r := c * per; r < min(rows, (c+1)*per); r++ {
					if err := row(buf, r); err != nil {
						errs[w] = err
						next.Store(int64(nChunks))
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
