package gguf

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var updateSeeds = flag.Bool("update-seeds", false, "rewrite the FuzzParse seed corpus in testdata/fuzz/FuzzParse")

// seedFiles are small valid GGUF files and truncated copies of them.
func seedFiles(t testing.TB) map[string][]byte {
	seeds := map[string][]byte{}
	for _, v := range []uint32{1, 2, 3} {
		b := validRaw(v).bytes()
		seeds[fmt.Sprintf("v%d", v)] = b
		seeds[fmt.Sprintf("v%d-cut-header", v)] = b[:len(b)/3]
		seeds[fmt.Sprintf("v%d-cut-data", v)] = b[:len(b)-40]
	}
	md := allValues()
	seeds["values"] = writeBytes(t, md, nil, 0)
	ts := []WriterTensor{
		{Name: "q", Shape: []uint64{32, 2}, Type: TypeQ4_0, Data: bytes.Repeat([]byte{3}, 36)},
		{Name: "k", Shape: []uint64{256}, Type: TypeQ2_K, Data: bytes.Repeat([]byte{5}, 84)},
		{Name: "n", Shape: []uint64{2, 1, 1}, Type: TypeBF16, Data: []byte{1, 2, 3, 4}},
	}
	small := Metadata{{"general.architecture", Value{String, "x"}}, {"n", Value{ArrayType, Array{ArrayType, []any{Array{Int8, []any{int8(-1)}}}}}}}
	b := writeBytes(t, small, ts, 64)
	seeds["tensors-align64"] = b
	seeds["tensors-align64-cut"] = b[:len(b)/2]
	return seeds
}

// TestWriteSeedCorpus rewrites the seed corpus with -update-seeds.
func TestWriteSeedCorpus(t *testing.T) {
	if !*updateSeeds {
		t.Skip("run with -update-seeds to rewrite testdata/fuzz/FuzzParse")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzParse")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, b := range seedFiles(t) {
		text := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// FuzzParse checks that Parse never panics, that every error names the
// package, and that whatever Parse accepts Write accepts, and reads back and
// writes again identically.
func FuzzParse(f *testing.F) {
	for _, b := range seedFiles(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse(data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "gguf: ") {
				t.Fatalf("error without the package name: %v", err)
			}
			return
		}
		for i := range file.Tensors {
			ti := &file.Tensors[i]
			if d := file.Data(ti); uint64(len(d)) != ti.Size {
				t.Fatalf("tensor %q: Data has %d bytes, Size %d", ti.Name, len(d), ti.Size)
			}
			if got, ok := file.Tensor(ti.Name); !ok || got != ti {
				t.Fatalf("Tensor(%q) did not find it", ti.Name)
			}
		}
		var w1 bytes.Buffer
		if err := Write(&w1, file.Metadata, writerTensors(file), 0); err != nil {
			t.Fatalf("Write of a parsed file: %v", err)
		}
		g, err := Parse(w1.Bytes())
		if err != nil {
			t.Fatalf("Parse of a written file: %v", err)
		}
		if len(g.Metadata) != len(file.Metadata) || len(g.Tensors) != len(file.Tensors) {
			t.Fatalf("reparsed: %d keys, %d tensors; want %d, %d", len(g.Metadata), len(g.Tensors), len(file.Metadata), len(file.Tensors))
		}
		var w2 bytes.Buffer
		if err := Write(&w2, g.Metadata, writerTensors(g), 0); err != nil {
			t.Fatalf("second Write: %v", err)
		}
		if !bytes.Equal(w1.Bytes(), w2.Bytes()) {
			t.Fatal("write-read-write not identical")
		}
	})
}
