package gguf

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unsafe"
)

// sharedTestdata returns the shared test data folder, skipping the test when
// it is absent (as in a fresh clone).
func sharedTestdata(t *testing.T) string {
	t.Helper()
	dir := filepath.Join("..", "..", "shared", "testdata")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared test data not available (%v)", err)
	}
	return dir
}

func writerTensors(f *File) []WriterTensor {
	ts := make([]WriterTensor, len(f.Tensors))
	for i := range f.Tensors {
		t := &f.Tensors[i]
		ts[i] = WriterTensor{Name: t.Name, Shape: t.Shape, Type: t.Type, Data: f.Data(t)}
	}
	return ts
}

func writeBytes(t testing.TB, md Metadata, ts []WriterTensor, align uint64) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, md, ts, align); err != nil {
		t.Fatalf("Write: %v", err)
	}
	return buf.Bytes()
}

func TestValidVersions(t *testing.T) {
	for _, v := range []uint32{1, 2, 3} {
		r := validRaw(v)
		b := r.bytes()
		f, err := Parse(b)
		if err != nil {
			t.Fatalf("v%d: %v", v, err)
		}
		if f.Version != v || len(f.Metadata) != 3 || len(f.Tensors) != 2 || f.Alignment != 32 {
			t.Fatalf("v%d: got version %d, %d keys, %d tensors, alignment %d", v, f.Version, len(f.Metadata), len(f.Tensors), f.Alignment)
		}
		if arch, _ := f.Metadata.String("general.architecture"); arch != "llama" {
			t.Errorf("v%d: architecture %q", v, arch)
		}
		toks, ok := f.Metadata.Strings("tokenizer.ggml.tokens")
		if !ok || !reflect.DeepEqual(toks, []string{"a", "bc"}) {
			t.Errorf("v%d: tokens %q %v", v, toks, ok)
		}
		a, ok := f.Tensor("a")
		if !ok || !reflect.DeepEqual(a.Shape, []uint64{4, 2}) || a.Size != 32 || a.Elements() != 8 {
			t.Fatalf("v%d: tensor a = %+v", v, a)
		}
		bt, _ := f.Tensor("b")
		if bt.Size != 34 || bt.Type != TypeQ8_0 {
			t.Fatalf("v%d: tensor b = %+v", v, bt)
		}
		if !bytes.Equal(f.Data(a), r.data[:32]) || !bytes.Equal(f.Data(bt), r.data[32:66]) {
			t.Errorf("v%d: tensor data differs", v)
		}
		// Data is a view into the file, not a copy.
		if &f.Data(bt)[0] != &b[f.DataOffset+32] {
			t.Errorf("v%d: Data copied the tensor", v)
		}
		if _, ok := f.Tensor("missing"); ok {
			t.Errorf("v%d: found a missing tensor", v)
		}
		// Any version writes back as v3, which reads back the same and
		// writes again byte for byte.
		w1 := writeBytes(t, f.Metadata, writerTensors(f), 0)
		if v == 3 && !bytes.Equal(w1, b) {
			t.Errorf("v3: written file differs from the input")
		}
		g, err := Parse(w1)
		if err != nil {
			t.Fatalf("v%d: reparse: %v", v, err)
		}
		if !reflect.DeepEqual(g.Metadata, f.Metadata) || !reflect.DeepEqual(g.Tensors, f.Tensors) {
			t.Errorf("v%d: reparsed file differs", v)
		}
		if w2 := writeBytes(t, g.Metadata, writerTensors(g), 0); !bytes.Equal(w1, w2) {
			t.Errorf("v%d: write-read-write not identical", v)
		}
	}
}

// allValues is metadata with every value type, nested arrays and edge values.
func allValues() Metadata {
	return Metadata{
		{"general.architecture", Value{String, "test"}},
		{"u8", Value{Uint8, uint8(255)}},
		{"i8", Value{Int8, int8(-128)}},
		{"u16", Value{Uint16, uint16(65535)}},
		{"i16", Value{Int16, int16(-2)}},
		{"u32", Value{Uint32, uint32(math.MaxUint32)}},
		{"i32", Value{Int32, int32(-7)}},
		{"f32", Value{Float32, float32(1.5)}},
		{"nan", Value{Float32, float32(math.NaN())}},
		{"t", Value{Bool, true}},
		{"f", Value{Bool, false}},
		{"s", Value{String, "héllo\x00world"}},
		{"empty", Value{String, ""}},
		{"u64", Value{Uint64, uint64(math.MaxUint64)}},
		{"i64", Value{Int64, int64(math.MinInt64)}},
		{"f64", Value{Float64, 2.25}},
		{"strs", Value{ArrayType, Array{String, []any{"a", "", "ccc"}}}},
		{"f32s", Value{ArrayType, Array{Float32, []any{float32(1), float32(-2)}}}},
		{"i32s", Value{ArrayType, Array{Int32, []any{int32(1), int32(-3)}}}},
		{"u8s", Value{ArrayType, Array{Uint8, []any{uint8(1), uint8(2)}}}},
		{"u64s", Value{ArrayType, Array{Uint64, []any{uint64(1) << 40}}}},
		{"bools", Value{ArrayType, Array{Bool, []any{true, false}}}},
		{"none", Value{ArrayType, Array{Uint16, []any{}}}},
		{"nested", Value{ArrayType, Array{ArrayType, []any{
			Array{Int16, []any{int16(1), int16(2)}},
			Array{String, []any{"x"}},
			Array{ArrayType, []any{Array{Float64, []any{0.5}}}},
		}}}},
	}
}

func TestMetadataAccessors(t *testing.T) {
	b := writeBytes(t, allValues(), nil, 0)
	f, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	md := f.Metadata
	if !reflect.DeepEqual(md[:8], allValues()[:8]) || !reflect.DeepEqual(md[9:], allValues()[9:]) {
		t.Errorf("metadata did not round trip:\n%v\n%v", md, allValues())
	}
	if v, _ := md.Get("nan"); !math.IsNaN(float64(v.V.(float32))) {
		t.Errorf("NaN lost")
	}
	check := func(name string, got, want any, ok bool) {
		t.Helper()
		if !ok || !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %v, %v; want %v", name, got, ok, want)
		}
	}
	fails := func(name string, ok bool) {
		t.Helper()
		if ok {
			t.Errorf("%s: want false", name)
		}
	}
	s, ok := md.String("s")
	check("String(s)", s, "héllo\x00world", ok)
	_, ok = md.String("u8")
	fails("String(u8)", ok)
	_, ok = md.String("missing")
	fails("String(missing)", ok)

	u, ok := md.Uint("u8")
	check("Uint(u8)", u, uint64(255), ok)
	u, ok = md.Uint("u64")
	check("Uint(u64)", u, uint64(math.MaxUint64), ok)
	_, ok = md.Uint("i8")
	fails("Uint(i8 negative)", ok)
	_, ok = md.Uint("f32")
	fails("Uint(f32)", ok)

	i, ok := md.Int("i64")
	check("Int(i64)", i, int64(math.MinInt64), ok)
	i, ok = md.Int("u32")
	check("Int(u32)", i, int64(math.MaxUint32), ok)
	i, ok = md.Int("i16")
	check("Int(i16)", i, int64(-2), ok)
	_, ok = md.Int("u64")
	fails("Int(u64 too big)", ok)
	_, ok = md.Int("s")
	fails("Int(s)", ok)

	x, ok := md.Float("f32")
	check("Float(f32)", x, 1.5, ok)
	x, ok = md.Float("f64")
	check("Float(f64)", x, 2.25, ok)
	x, ok = md.Float("i32")
	check("Float(i32)", x, -7.0, ok)
	x, ok = md.Float("u64")
	check("Float(u64)", x, float64(math.MaxUint64), ok)
	_, ok = md.Float("t")
	fails("Float(t)", ok)

	bv, ok := md.Bool("t")
	check("Bool(t)", bv, true, ok)
	bv, ok = md.Bool("f")
	check("Bool(f)", bv, false, ok)
	_, ok = md.Bool("u8")
	fails("Bool(u8)", ok)

	ss, ok := md.Strings("strs")
	check("Strings", ss, []string{"a", "", "ccc"}, ok)
	_, ok = md.Strings("f32s")
	fails("Strings(f32s)", ok)
	_, ok = md.Strings("s")
	fails("Strings(s)", ok)

	fs, ok := md.Float32s("f32s")
	check("Float32s", fs, []float32{1, -2}, ok)
	_, ok = md.Float32s("i32s")
	fails("Float32s(i32s)", ok)

	is, ok := md.Int32s("i32s")
	check("Int32s(i32s)", is, []int32{1, -3}, ok)
	is, ok = md.Int32s("u8s")
	check("Int32s(u8s)", is, []int32{1, 2}, ok)
	_, ok = md.Int32s("u64s")
	fails("Int32s(u64s too big)", ok)
	_, ok = md.Int32s("strs")
	fails("Int32s(strs)", ok)
	is, ok = md.Int32s("none")
	check("Int32s(none)", is, []int32{}, ok)

	v, ok := md.Get("nested")
	if !ok || v.Type != ArrayType {
		t.Fatalf("nested: %v", v)
	}
	inner := v.V.(Array).Values[2].(Array).Values[0].(Array)
	if inner.Elem != Float64 || inner.Values[0] != 0.5 {
		t.Errorf("nested array: %v", inner)
	}
}

func TestRoundTripAlignment(t *testing.T) {
	ts := []WriterTensor{
		{Name: "w", Shape: []uint64{256, 3}, Type: TypeQ4_K, Data: bytes.Repeat([]byte{7}, 3*144)},
		{Name: "bias", Shape: []uint64{3}, Type: TypeF16, Data: []byte{1, 2, 3, 4, 5, 6}},
		{Name: "x", Shape: []uint64{1, 1, 1, 2}, Type: TypeI8, Data: []byte{9, 9}},
	}
	for _, align := range []uint64{0, 1, 8, 32, 64, 4096} {
		b := writeBytes(t, allValues(), ts, align)
		f, err := Parse(b)
		if err != nil {
			t.Fatalf("alignment %d: %v", align, err)
		}
		want := align
		if want == 0 {
			want = 32
		}
		if f.Alignment != want || f.DataOffset%want != 0 {
			t.Errorf("alignment %d: file says %d, data at %d", align, f.Alignment, f.DataOffset)
		}
		if uint64(len(b))%want != 0 {
			t.Errorf("alignment %d: file of %d bytes does not end padded", align, len(b))
		}
		for i := range f.Tensors {
			ti := &f.Tensors[i]
			if ti.Name != ts[i].Name || !bytes.Equal(f.Data(ti), ts[i].Data) || ti.Offset%want != 0 {
				t.Errorf("alignment %d: tensor %d = %+v", align, i, ti)
			}
			// Padding after each tensor is zero.
			end := f.DataOffset + ti.Offset + ti.Size
			for _, c := range b[end:pad(end, want)] {
				if c != 0 {
					t.Errorf("alignment %d: non-zero padding after %q", align, ti.Name)
					break
				}
			}
		}
		if w2 := writeBytes(t, f.Metadata, writerTensors(f), 0); !bytes.Equal(w2, b) {
			t.Errorf("alignment %d: write-read-write not identical", align)
		}
	}
	// general.alignment in the metadata is used when alignment is 0, and a
	// disagreeing argument is refused.
	md := append(Metadata{{KeyAlignment, Value{Uint32, uint32(128)}}}, allValues()...)
	f, err := Parse(writeBytes(t, md, ts, 0))
	if err != nil || f.Alignment != 128 {
		t.Fatalf("general.alignment 128: %v, %v", f, err)
	}
	if err := Write(&bytes.Buffer{}, md, ts, 64); err == nil || !strings.Contains(err.Error(), "disagrees") {
		t.Errorf("conflicting alignment: %v", err)
	}
}

func TestNoTensorsUnpadded(t *testing.T) {
	b := writeBytes(t, Metadata{{"k", Value{String, "v"}}}, nil, 0)
	// magic, version, counts, key, type, string: no padding, as gguf-py.
	if want := 4 + 4 + 8 + 8 + 8 + 1 + 4 + 8 + 1; len(b) != want {
		t.Errorf("file without tensors has %d bytes, want %d", len(b), want)
	}
	if _, err := Parse(b); err != nil {
		t.Error(err)
	}
}

func TestWriteErrors(t *testing.T) {
	good := WriterTensor{Name: "a", Shape: []uint64{2}, Type: TypeF32, Data: make([]byte, 8)}
	cases := []struct {
		name string
		md   Metadata
		ts   []WriterTensor
		alig uint64
		want string
	}{
		{"dup key", Metadata{{"k", Value{Uint8, uint8(1)}}, {"k", Value{Uint8, uint8(1)}}}, nil, 0, `key "k" appears twice`},
		{"type mismatch", Metadata{{"k", Value{Uint32, 5}}}, nil, 0, "Go type int does not match value type uint32"},
		{"bad elem", Metadata{{"k", Value{ArrayType, Array{String, []any{"a", 1}}}}}, nil, 0, "element 1"},
		{"unknown value type", Metadata{{"k", Value{ValueType(13), nil}}}, nil, 0, "unknown value type 13"},
		{"array elem type", Metadata{{"k", Value{ArrayType, Array{ValueType(99), nil}}}}, nil, 0, "unknown value type 99"},
		{"alignment type", Metadata{{KeyAlignment, Value{Uint64, uint64(32)}}}, nil, 0, "want uint32"},
		{"alignment value", Metadata{{KeyAlignment, Value{Uint32, uint32(48)}}}, nil, 0, "power of two"},
		{"alignment arg", nil, nil, 24, "power of two"},
		{"dup tensor", nil, []WriterTensor{good, good}, 0, `tensor name "a" appears twice`},
		{"data size", nil, []WriterTensor{{Name: "a", Shape: []uint64{3}, Type: TypeF32, Data: make([]byte, 8)}}, 0, "8 bytes of data"},
		{"block size", nil, []WriterTensor{{Name: "a", Shape: []uint64{33}, Type: TypeQ4_0}}, 0, "not a multiple of the block size 32"},
		{"dims", nil, []WriterTensor{{Name: "a", Shape: []uint64{1, 1, 1, 1, 1}, Type: TypeF32}}, 0, "5 dimensions"},
		{"no dims", nil, []WriterTensor{{Name: "a", Type: TypeF32}}, 0, "0 dimensions"},
		{"zero dim", nil, []WriterTensor{{Name: "a", Shape: []uint64{2, 0}, Type: TypeF32}}, 0, "dimension 1 is zero"},
		{"overflow", nil, []WriterTensor{{Name: "a", Shape: []uint64{1 << 32, 1 << 32}, Type: TypeF32}}, 0, "overflows"},
		{"unknown type", nil, []WriterTensor{{Name: "a", Shape: []uint64{2}, Type: Type(4)}}, 0, "unknown tensor type 4"},
	}
	for _, c := range cases {
		var buf bytes.Buffer
		err := Write(&buf, c.md, c.ts, c.alig)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "gguf: ") {
			t.Errorf("%s: error %v, want it to contain %q", c.name, err, c.want)
		}
		if buf.Len() != 0 {
			t.Errorf("%s: %d bytes written before the error", c.name, buf.Len())
		}
	}
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.gguf")
	ts := []WriterTensor{{Name: "a", Shape: []uint64{2}, Type: TypeF32, Data: []byte{1, 2, 3, 4, 5, 6, 7, 8}}}
	if err := WriteFile(path, allValues(), ts); err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := f.Tensor("a")
	if !bytes.Equal(f.Data(a), ts[0].Data) {
		t.Errorf("data %v", f.Data(a))
	}
	if err := f.Close(); err != nil {
		t.Error(err)
	}
	if f.Data(a) != nil || f.Bytes() != nil {
		t.Error("views still available after Close")
	}
	if err := f.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}

	// A failing write leaves the old file as it was and nothing else.
	old, _ := os.ReadFile(path)
	bad := []WriterTensor{{Name: "a", Shape: []uint64{3}, Type: TypeF32, Data: make([]byte, 8)}}
	if err := WriteFile(path, nil, bad); err == nil {
		t.Fatal("WriteFile with a bad tensor succeeded")
	}
	now, _ := os.ReadFile(path)
	if !bytes.Equal(old, now) {
		t.Error("failed WriteFile changed the file")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("failed WriteFile left files behind: %v", entries)
	}
	if err := WriteFile(filepath.Join(dir, "no", "such", "dir.gguf"), nil, nil); err == nil {
		t.Error("WriteFile into a missing folder succeeded")
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open(filepath.Join(dir, "missing.gguf")); err == nil {
		t.Error("Open of a missing file succeeded")
	}
	empty := filepath.Join(dir, "empty.gguf")
	os.WriteFile(empty, nil, 0o644)
	if _, err := Open(empty); err == nil || !strings.Contains(err.Error(), "too short") {
		t.Errorf("Open of an empty file: %v", err)
	}
	if _, err := Open(dir); err == nil {
		t.Error("Open of a folder succeeded")
	}
	bad := filepath.Join(dir, "bad.gguf")
	os.WriteFile(bad, []byte("GGUF\x07\x00\x00\x00xxxxxxxxxxxxxxxx"), 0o644)
	if _, err := Open(bad); err == nil || !strings.Contains(err.Error(), "unsupported version 7") || !strings.Contains(err.Error(), bad) {
		t.Errorf("Open of a v7 file: %v", err)
	}
}

// TestCorrupt builds one broken file per error class and checks that Parse
// refuses it with an error that names the problem.
func TestCorrupt(t *testing.T) {
	cases := []struct {
		name   string
		edit   func(r *rawFile)
		want   string
		v1Only bool
	}{
		{"magic", func(r *rawFile) { r.magic = "GGML" }, "bad magic", false},
		{"version 0", func(r *rawFile) { r.version = 0 }, "unsupported version 0", false},
		{"version 4", func(r *rawFile) { r.version = 4 }, "unsupported version 4", false},
		{"big-endian", func(r *rawFile) { r.version = 3 << 24 }, "big-endian", false},
		{"tensor count", func(r *rawFile) { r.nTensors = ptr(uint64(1)<<60 + 1<<30) }, "tensors cannot fit", false},
		{"tensor count 32-bit", func(r *rawFile) { r.nTensors = ptr(uint64(math.MaxUint32)) }, "tensors cannot fit", false},
		{"kv count", func(r *rawFile) { r.nKV = ptr(uint64(math.MaxUint64)) }, "metadata entries cannot fit", false},
		{"kv count +1", func(r *rawFile) { r.nKV = ptr(uint64(len(r.kvs) + 1)) }, "", false},
		{"key length", func(r *rawFile) {
			r.kvs[1].key = ""
			r.kvs = append(r.kvs[:1], rawKV{key: "x", typ: uint32(String), body: r.cnt(nil, 1<<31)})
		}, "runs past the end", false},
		{"unknown value type", func(r *rawFile) { r.kvs[1].typ = 13 }, `key "llama.block_count": unknown value type 13`, false},
		{"unknown elem type", func(r *rawFile) { r.kvs[2].body = r.encArr(77, 0) }, "array of unknown value type 77", false},
		{"array length", func(r *rawFile) { r.kvs[2].body = r.encArr(uint32(Uint32), 1<<31) }, "array of 2147483648 uint32 elements", false},
		{"string array length", func(r *rawFile) { r.kvs[2].body = r.encArr(uint32(String), math.MaxUint32) }, "string elements", false},
		{"nested array length", func(r *rawFile) {
			r.kvs[2].body = r.encArr(uint32(ArrayType), 1, r.encArr(uint32(Uint64), 1<<30))
		}, "element 0: array of 1073741824 uint64", false},
		{"deep nesting", func(r *rawFile) {
			b := r.encArr(uint32(Uint8), 0)
			for range 20 {
				b = r.encArr(uint32(ArrayType), 1, b)
			}
			r.kvs[2].body = b
		}, "nested deeper than 16", false},
		{"bool", func(r *rawFile) { r.kvs[1] = rawKV{"b", uint32(Bool), []byte{2}} }, "want 0 or 1", false},
		{"duplicate key", func(r *rawFile) { r.kvs[1].key = "general.architecture" }, `key "general.architecture" appears twice`, false},
		{"alignment zero", func(r *rawFile) { r.kvs[1] = rawKV{KeyAlignment, uint32(Uint32), encU32(0)} }, "is 0, want a non-zero power of two", false},
		{"alignment 48", func(r *rawFile) { r.kvs[1] = rawKV{KeyAlignment, uint32(Uint32), encU32(48)} }, "is 48, want a non-zero power of two", false},
		{"alignment type", func(r *rawFile) { r.kvs[1] = rawKV{KeyAlignment, uint32(Float32), encF32(32)} }, "has type float32, want uint32", false},
		{"unknown tensor type", func(r *rawFile) { r.tensors[0].typ = 99 }, `tensor "a" (#0): unknown tensor type 99`, false},
		{"removed tensor type", func(r *rawFile) { r.tensors[0].typ = 4 }, "unknown tensor type 4", false},
		{"5 dims", func(r *rawFile) { r.tensors[0].dims = []uint64{4, 2, 1, 1, 1} }, "5 dimensions, want 1 to 4", false},
		{"0 dims", func(r *rawFile) { r.tensors[0].dims = nil }, "0 dimensions, want 1 to 4", false},
		{"huge dims", func(r *rawFile) { r.tensors[0].nDims = ptr(uint32(1 << 30)) }, "1073741824 dimensions", false},
		{"zero dim", func(r *rawFile) { r.tensors[0].dims = []uint64{4, 0} }, "dimension 1 is zero", false},
		{"overflow", func(r *rawFile) { r.tensors[0].dims = []uint64{1 << 31, 1 << 31, 1 << 31} }, "element count overflows", false},
		{"overflow bytes", func(r *rawFile) { r.tensors[0].dims = []uint64{1 << 31, 1 << 31} }, "byte size overflows", false},
		{"overflow v1", func(r *rawFile) {
			r.tensors[0].dims = []uint64{math.MaxUint32, math.MaxUint32, math.MaxUint32}
		}, "element count overflows", true},
		{"block size", func(r *rawFile) { r.tensors[1].dims = []uint64{33} }, "row length 33 of Q8_0 is not a multiple of the block size 32", false},
		{"unaligned offset", func(r *rawFile) { r.tensors[1].offset = 40 }, `tensor "b": offset 40 is not a multiple of the alignment 32`, false},
		{"past end", func(r *rawFile) { r.tensors[1].offset = 64 }, `tensor "b": data ends at`, false},
		{"offset overflow", func(r *rawFile) { r.tensors[1].offset = math.MaxUint64 - 31 }, "overflows", false},
		{"overlap", func(r *rawFile) { r.tensors[1].offset = 0 }, "overlap", false},
		{"overlap partial", func(r *rawFile) {
			r.tensors[0].dims = []uint64{4, 4}
		}, `tensors "a" (bytes 0 to 64) and "b" (from 32) overlap`, false},
		{"duplicate tensor", func(r *rawFile) { r.tensors[1].name = "a" }, `tensor name "a" appears twice`, false},
		{"no data", func(r *rawFile) { r.data = nil }, "data ends at", false},
	}
	for _, c := range cases {
		for _, v := range []uint32{1, 2, 3} {
			if c.v1Only && v != 1 {
				continue
			}
			r := validRaw(v)
			c.edit(r)
			b := r.bytes()
			f, err := Parse(b)
			if err == nil {
				t.Errorf("v%d %s: parsed: %d tensors", v, c.name, len(f.Tensors))
				continue
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "gguf: ") || !strings.Contains(msg, c.want) {
				t.Errorf("v%d %s: error %q, want it to contain %q", v, c.name, msg, c.want)
			}
		}
	}
}

// TestTruncated cuts a valid file at every length: each cut either fails
// with an error or keeps every tensor's data (only padding was cut).
func TestTruncated(t *testing.T) {
	for _, v := range []uint32{1, 2, 3} {
		b := validRaw(v).bytes()
		full, err := Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		end := full.DataOffset + 66 // end of the last tensor's data
		for n := 0; n < len(b); n++ {
			f, err := Parse(b[:n])
			if uint64(n) >= end {
				if err != nil {
					t.Errorf("v%d: cut at %d (past the data): %v", v, n, err)
				}
				continue
			}
			if err == nil {
				t.Errorf("v%d: cut at %d of %d parsed: %+v", v, n, len(b), f.Tensors)
			} else if !strings.HasPrefix(err.Error(), "gguf: ") {
				t.Errorf("v%d: cut at %d: %v", v, n, err)
			}
		}
	}
}

func TestTypes(t *testing.T) {
	if ValueType(13).Valid() || !Float64.Valid() || ArrayType.String() != "array" || ValueType(20).String() != "valuetype(20)" {
		t.Error("ValueType names")
	}
	if unsafe.Sizeof(Value{}) == 0 {
		t.Error("unreachable")
	}
}

// TestSharedFiles loads every GGUF in the shared test data, writes it back
// and checks the result is byte-identical (GGUF v3 written by llama.cpp's
// writers), or for older versions that it reads back the same.
func TestSharedFiles(t *testing.T) {
	dir := sharedTestdata(t)
	var files []string
	for _, g := range []string{"gguf/*.gguf", "synthetic/*.gguf", "vocab/*.gguf"} {
		m, _ := filepath.Glob(filepath.Join(dir, g))
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Skip("no GGUF files in the shared test data")
	}
	for _, p := range files {
		t.Run(filepath.Base(p), func(t *testing.T) {
			f, err := Open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if _, ok := f.Metadata.String("general.architecture"); !ok {
				t.Error("no general.architecture")
			}
			w := writeBytes(t, f.Metadata, writerTensors(f), 0)
			if f.Version == 3 {
				if !bytes.Equal(w, f.Bytes()) {
					t.Errorf("written file (%d bytes) differs from the input (%d bytes)", len(w), len(f.Bytes()))
				}
				return
			}
			g, err := Parse(w)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(g.Metadata, f.Metadata) || !reflect.DeepEqual(g.Tensors, f.Tensors) {
				t.Error("v3 copy reads back differently")
			}
			for i := range g.Tensors {
				if !bytes.Equal(g.Data(&g.Tensors[i]), f.Data(&f.Tensors[i])) {
					t.Errorf("tensor %q data differs", g.Tensors[i].Name)
				}
			}
			if w2 := writeBytes(t, g.Metadata, writerTensors(g), 0); !bytes.Equal(w, w2) {
				t.Error("write-read-write not identical")
			}
		})
	}
}

// TestV1MatchesV3: the legacy v1 tinyllamas file and the v3 stories260K file
// hold the same model; their tensor tables agree.
func TestV1MatchesV3(t *testing.T) {
	dir := sharedTestdata(t)
	v1, err := Open(filepath.Join(dir, "gguf", "tinyllamas-stories-260k-f32.gguf"))
	if err != nil {
		t.Skipf("v1 file: %v", err)
	}
	defer v1.Close()
	v3, err := Open(filepath.Join(dir, "gguf", "stories260K.gguf"))
	if err != nil {
		t.Skipf("v3 file: %v", err)
	}
	defer v3.Close()
	if v1.Version != 1 || v3.Version != 3 {
		t.Fatalf("versions %d, %d", v1.Version, v3.Version)
	}
	if len(v1.Tensors) != len(v3.Tensors) {
		t.Fatalf("%d vs %d tensors", len(v1.Tensors), len(v3.Tensors))
	}
	for i := range v1.Tensors {
		a := &v1.Tensors[i]
		b, ok := v3.Tensor(a.Name)
		if !ok || !reflect.DeepEqual(a.Shape, b.Shape) {
			t.Errorf("tensor %q: shape %v vs %v", a.Name, a.Shape, b)
		}
	}
	n1, _ := v1.Metadata.Uint("llama.embedding_length")
	n3, _ := v3.Metadata.Uint("llama.embedding_length")
	if n1 != 64 || n3 != 64 {
		t.Errorf("embedding length %d, %d", n1, n3)
	}
	toks, ok := v3.Metadata.Strings("tokenizer.ggml.tokens")
	types, ok2 := v3.Metadata.Int32s("tokenizer.ggml.token_type")
	if !ok || !ok2 || len(toks) != len(types) || len(toks) == 0 {
		t.Errorf("vocab: %d tokens, %d types", len(toks), len(types))
	}
}

func TestSummary(t *testing.T) {
	f, err := Parse(validRaw(3).bytes())
	if err != nil {
		t.Fatal(err)
	}
	s := f.Summary()
	for _, want := range []string{"GGUF v3", "general.architecture: string = \"llama\"", "tokenizer.ggml.tokens: [2]string = [\"a\" \"bc\"]", "Q8_0", "[4 2]"} {
		if !strings.Contains(s, want) {
			t.Errorf("Summary lacks %q:\n%s", want, s)
		}
	}
}

// TestOpenLargeSparse opens a file whose one tensor is 4 GiB of holes: Open
// must not read tensor data.
func TestOpenLargeSparse(t *testing.T) {
	r := &rawFile{version: 3}
	r.kvs = []rawKV{{"general.architecture", uint32(String), r.encStr("big")}}
	r.tensors = []rawTensor{{name: "w", dims: []uint64{1 << 20, 1 << 10}, typ: uint32(TypeF32)}}
	head := r.bytes()
	path := filepath.Join(t.TempDir(), "big.gguf")
	fd, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	fd.Write(head)
	if err := fd.Truncate(int64(len(head)) + 4<<30); err != nil {
		fd.Close()
		t.Skipf("cannot make a sparse file: %v", err)
	}
	fd.Close()
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, _ := f.Tensor("w")
	if d := f.Data(w); uint64(len(d)) != 4<<30 || w.Elements() != 1<<30 {
		t.Errorf("tensor data %d bytes, %d elements", len(d), w.Elements())
	}
}

func TestNewArray(t *testing.T) {
	md := Metadata{
		{"toks", Value{ArrayType, NewArray(String, []string{"a", "b"})}},
		{"types", Value{ArrayType, NewArray(Int32, []int32{1, 3})}},
		{"bad", Value{ArrayType, NewArray(Int32, []int64{1})}},
	}
	if err := Write(&bytes.Buffer{}, md, nil, 0); err == nil || !strings.Contains(err.Error(), `key "bad": element 0: value of Go type int64 does not match value type int32`) {
		t.Errorf("mismatched NewArray: %v", err)
	}
	f, err := Parse(writeBytes(t, md[:2], nil, 0))
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := f.Metadata.Strings("toks"); !reflect.DeepEqual(s, []string{"a", "b"}) {
		t.Errorf("toks %v", s)
	}
	if s, _ := f.Metadata.Int32s("types"); !reflect.DeepEqual(s, []int32{1, 3}) {
		t.Errorf("types %v", s)
	}
}
