package safetensors

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func f32bytes(v ...float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "model.safetensors")
	ts := []WriteTensor{
		{Name: "b", DType: F32, Shape: []int64{2, 2}, Data: f32bytes(1, 2, 3, 4)},
		{Name: "a", DType: F16, Shape: []int64{3}, Data: []byte{0x00, 0x3c, 0x00, 0xc0, 0x01, 0x00}},
		{Name: "c", DType: BF16, Shape: []int64{1}, Data: []byte{0x80, 0x3f}},
	}
	if err := Write(p, ts, map[string]string{"format": "pt"}); err != nil {
		t.Fatal(err)
	}
	m, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if got := strings.Join(m.Names(), ","); got != "a,b,c" {
		t.Errorf("names %s", got)
	}
	if m.Files[0].Metadata["format"] != "pt" {
		t.Errorf("metadata %v", m.Files[0].Metadata)
	}
	for _, c := range []struct {
		name string
		want []float32
	}{{"b", []float32{1, 2, 3, 4}}, {"a", []float32{1, -2, 1.0 / (1 << 24)}}, {"c", []float32{1}}} {
		info, data, ok := m.Tensor(c.name)
		if !ok {
			t.Fatalf("%s missing", c.name)
		}
		got := make([]float32, info.Elements())
		if err := Float32s(info.DType, data, got); err != nil {
			t.Fatal(err)
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%s[%d] = %v, want %v", c.name, i, got[i], c.want[i])
			}
		}
	}
}

func header(h string, data int) []byte {
	b := make([]byte, 8+len(h)+data)
	binary.LittleEndian.PutUint64(b, uint64(len(h)))
	copy(b[8:], h)
	return b
}

func TestBadHeaders(t *testing.T) {
	for _, c := range []struct {
		name, hdr string
		data      int
		want      string
	}{
		{"short", "", -8, "too short"},
		{"not json", "xx", 0, "start with"},
		{"dtype", `{"a":{"dtype":"Q4","shape":[1],"data_offsets":[0,1]}}`, 1, "unknown dtype"},
		{"size", `{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}`, 4, "want 8"},
		{"outside", `{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, 2, "outside"},
		{"overlap", `{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}}`, 6, "overlaps"},
		{"gap", `{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, 8, "gap"},
		{"tail", `{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, 8, "data section"},
		{"negative", `{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`, 4, "invalid shape"},
		{"field", `{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":1}}`, 4, "unknown field"},
	} {
		var b []byte
		if c.data < 0 {
			b = []byte{1, 2}
		} else {
			b = header(c.hdr, c.data)
		}
		_, err := Parse(b)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
	b := make([]byte, 16)
	binary.LittleEndian.PutUint64(b, MaxHeader+1)
	if _, err := Parse(b); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Errorf("huge header: %v", err)
	}
}

func TestShards(t *testing.T) {
	dir := t.TempDir()
	if err := Write(filepath.Join(dir, "model-00001-of-00002.safetensors"), []WriteTensor{{Name: "x", DType: F32, Shape: []int64{1}, Data: f32bytes(1)}}, nil); err != nil {
		t.Fatal(err)
	}
	if err := Write(filepath.Join(dir, "model-00002-of-00002.safetensors"), []WriteTensor{{Name: "y", DType: F32, Shape: []int64{1}, Data: f32bytes(2)}}, nil); err != nil {
		t.Fatal(err)
	}
	idx := `{"metadata":{},"weight_map":{"x":"model-00001-of-00002.safetensors","y":"model-00002-of-00002.safetensors"}}`
	os.WriteFile(filepath.Join(dir, IndexName), []byte(idx), 0o644)
	m, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, d, ok := m.Tensor("y"); !ok || len(d) != 4 {
		t.Error("y missing")
	}
	m.Close()
	// A tensor the index names but no shard holds.
	idx = `{"weight_map":{"x":"model-00001-of-00002.safetensors","z":"model-00002-of-00002.safetensors"}}`
	os.WriteFile(filepath.Join(dir, IndexName), []byte(idx), 0o644)
	if _, err := OpenDir(dir); err == nil || !strings.Contains(err.Error(), `"z"`) {
		t.Errorf("missing tensor: %v", err)
	}
	// A truncated shard.
	p := filepath.Join(dir, "model-00001-of-00002.safetensors")
	b, _ := os.ReadFile(p)
	os.WriteFile(p, b[:len(b)-2], 0o644)
	if _, err := OpenDir(dir); err == nil || !strings.Contains(err.Error(), "model-00001-of-00002") {
		t.Errorf("truncated shard: %v", err)
	}
}

func TestE4M3(t *testing.T) {
	for b, want := range map[uint8]float32{0x38: 1, 0xb8: -1, 0x7e: 448, 0x01: 1.0 / 512, 0x40: 2} {
		if got := e4m3ToFloat(b); got != want {
			t.Errorf("e4m3 %#x = %v, want %v", b, got, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(header(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, 4))
	f.Add(header(`{"__metadata__":{"k":"v"},"a":{"dtype":"BF16","shape":[2,1],"data_offsets":[0,4]}}`, 4))
	f.Add(header(`{}`, 0))
	f.Fuzz(func(t *testing.T, b []byte) {
		sf, err := Parse(b)
		if err != nil {
			return
		}
		for i := range sf.Tensors {
			ti := &sf.Tensors[i]
			d := sf.Data(ti)
			if int64(len(d)) != ti.Elements()*int64(ti.DType.Size()) {
				t.Fatalf("tensor %q: %d bytes", ti.Name, len(d))
			}
		}
	})
}
