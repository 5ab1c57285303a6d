package quant

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hearthlm/hearth/gguf"
)

type goldenEntry struct {
	Model    string `json:"model"`
	Tensor   string `json:"tensor"`
	GGMLType uint32 `json:"ggml_type"`
	Rows     int    `json:"rows"`
	Cols     int    `json:"cols"`
	File     string `json:"file"`
}

// TestDequantizeGolden compares DequantizeRow with ggml's to_float output,
// bit for bit, on the first 16 rows of two tensors of every synthetic model.
func TestDequantizeGolden(t *testing.T) {
	dir := filepath.Join("testdata", "dequant")
	idx, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var entries []goldenEntry
	if err := json.Unmarshal(idx, &entries); err != nil {
		t.Fatal(err)
	}
	if len(entries) == 0 {
		t.Fatal("empty golden index")
	}
	for _, e := range entries {
		typ := gguf.Type(e.GGMLType)
		t.Run(typ.String()+"/"+e.Tensor, func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join(dir, e.File))
			if err != nil {
				t.Fatal(err)
			}
			raw, err := os.ReadFile(filepath.Join(dir, strings.TrimSuffix(e.File, ".f32")+".raw"))
			if err != nil {
				t.Fatal(err)
			}
			rb := RowBytes(typ, e.Cols)
			if len(raw) != rb*e.Rows || len(want) != 4*e.Cols*e.Rows {
				t.Fatalf("sizes: raw %d (row %d), golden %d", len(raw), rb, len(want))
			}
			got := make([]float32, e.Cols)
			bad := 0
			for r := 0; r < e.Rows; r++ {
				if err := DequantizeRow(typ, raw[r*rb:(r+1)*rb], got); err != nil {
					t.Fatal(err)
				}
				for c, g := range got {
					w := binary.LittleEndian.Uint32(want[4*(r*e.Cols+c):])
					if math.Float32bits(g) != w {
						if bad < 5 {
							t.Errorf("row %d col %d: got %g (%#08x), ggml %g (%#08x)", r, c, g, math.Float32bits(g), math.Float32frombits(w), w)
						}
						bad++
					}
				}
			}
			if bad > 0 {
				t.Errorf("%d of %d values differ", bad, e.Rows*e.Cols)
			}
		})
	}
}
