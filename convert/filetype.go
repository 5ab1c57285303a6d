package convert

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hearthlm/hearth/gguf"
)

// FileType is llama.cpp's llama_ftype: what general.file_type records and
// what picks each tensor's type when quantizing ("Q4_K_M" and friends).
type FileType uint32

// The file types, numbered as llama.cpp numbers them.
const (
	FileAllF32 FileType = 0
	FileF16    FileType = 1
	FileQ4_0   FileType = 2
	FileQ4_1   FileType = 3
	FileQ8_0   FileType = 7
	FileQ5_0   FileType = 8
	FileQ5_1   FileType = 9
	FileQ2_K   FileType = 10
	FileQ3_K_S FileType = 11
	FileQ3_K_M FileType = 12
	FileQ3_K_L FileType = 13
	FileQ4_K_S FileType = 14
	FileQ4_K_M FileType = 15
	FileQ5_K_S FileType = 16
	FileQ5_K_M FileType = 17
	FileQ6_K   FileType = 18
	FileQ2_K_S FileType = 21
	FileBF16   FileType = 32
)

var fileTypes = map[FileType]struct {
	name string
	base gguf.Type
}{
	FileAllF32: {"F32", gguf.TypeF32}, FileF16: {"F16", gguf.TypeF16}, FileBF16: {"BF16", gguf.TypeBF16},
	FileQ4_0: {"Q4_0", gguf.TypeQ4_0}, FileQ4_1: {"Q4_1", gguf.TypeQ4_1},
	FileQ5_0: {"Q5_0", gguf.TypeQ5_0}, FileQ5_1: {"Q5_1", gguf.TypeQ5_1}, FileQ8_0: {"Q8_0", gguf.TypeQ8_0},
	FileQ2_K: {"Q2_K", gguf.TypeQ2_K}, FileQ2_K_S: {"Q2_K_S", gguf.TypeQ2_K},
	FileQ3_K_S: {"Q3_K_S", gguf.TypeQ3_K}, FileQ3_K_M: {"Q3_K_M", gguf.TypeQ3_K}, FileQ3_K_L: {"Q3_K_L", gguf.TypeQ3_K},
	FileQ4_K_S: {"Q4_K_S", gguf.TypeQ4_K}, FileQ4_K_M: {"Q4_K_M", gguf.TypeQ4_K},
	FileQ5_K_S: {"Q5_K_S", gguf.TypeQ5_K}, FileQ5_K_M: {"Q5_K_M", gguf.TypeQ5_K},
	FileQ6_K: {"Q6_K", gguf.TypeQ6_K},
}

// String is llama.cpp's name of the file type ("Q4_K_M").
func (ft FileType) String() string {
	if t, ok := fileTypes[ft]; ok {
		return t.name
	}
	return fmt.Sprintf("filetype(%d)", uint32(ft))
}

// Base is the tensor type most tensors of the file type get.
func (ft FileType) Base() gguf.Type { return fileTypes[ft].base }

// ParseFileType accepts a file type name ("q4_k_m", "Q8_0", "f16"); the
// plain K names Q3_K, Q4_K and Q5_K mean their _M mix, as in llama-quantize.
func ParseFileType(s string) (FileType, error) {
	u := strings.ToUpper(s)
	switch u {
	case "Q3_K":
		u = "Q3_K_M"
	case "Q4_K":
		u = "Q4_K_M"
	case "Q5_K":
		u = "Q5_K_M"
	case "FP16":
		u = "F16"
	case "FP32":
		u = "F32"
	}
	for ft, t := range fileTypes {
		if t.name == u {
			return ft, nil
		}
	}
	var names []string
	for _, t := range fileTypes {
		names = append(names, t.name)
	}
	sort.Strings(names)
	return 0, fmt.Errorf("convert: unknown type %q (known: %s)", s, strings.Join(names, ", "))
}

// FileTypeOf names the file type of a file whose tensors all have type t.
func FileTypeOf(t gguf.Type) (FileType, bool) {
	for ft, v := range fileTypes {
		if v.base == t && (ft == FileAllF32 || ft == FileF16 || ft == FileBF16 || ft == FileQ4_0 ||
			ft == FileQ4_1 || ft == FileQ5_0 || ft == FileQ5_1 || ft == FileQ8_0 || ft == FileQ6_K) {
			return ft, true
		}
	}
	return 0, false
}

// Quantizable reports whether llama-quantize changes the type of a tensor:
// weights of two or more dimensions, except norms and a few tensors whose
// precision matters (positional and token-type embeddings, rope factors).
func Quantizable(name string, dims int) bool {
	if !strings.HasSuffix(name, "weight") || dims < 2 {
		return false
	}
	if strings.Contains(name, "_norm.weight") || strings.Contains(name, "ffn_gate_inp.weight") {
		return false
	}
	switch name {
	case "position_embd.weight", "token_types.weight", "rope_freqs.weight":
		return false
	}
	return !strings.Contains(name, "ssm_conv1d") && !strings.Contains(name, "rope_factors")
}

// Mixer picks tensor types as llama.cpp's llama-quantize does for a file
// type: most tensors get the base type, and some (the output head, the
// value projections and the FFN down projections of selected layers) get
// more bits. It counts the layers it has seen, so tensors must be passed in
// file order, once each.
type Mixer struct {
	ft        FileType
	pure      bool
	gqa       int // attention heads per KV head
	hasOutput bool
	nAttnV    int
	nFFNDown  int
	iAttnV    int
	iFFNDown  int
}

// NewMixer prepares a mixer for the tensors of a model (names in file
// order); gqa is the number of attention heads per KV head. pure gives
// every quantizable tensor the base type.
func NewMixer(ft FileType, pure bool, gqa int, names []string) *Mixer {
	m := &Mixer{ft: ft, pure: pure, gqa: gqa}
	for _, n := range names {
		switch {
		case n == "output.weight":
			m.hasOutput = true
		case strings.Contains(n, "attn_v.weight"):
			m.nAttnV++
		case strings.Contains(n, "ffn_down"):
			m.nFFNDown++
		case strings.Contains(n, "attn_qkv.weight"):
			m.nAttnV++
		}
	}
	return m
}

// moreBits is llama.cpp's choice of the layers that keep more precision:
// the first and last eighth, and every third layer between.
func moreBits(i, n int) bool { return i < n/8 || i >= 7*n/8 || (i-n/8)%3 == 2 }

func isKQuant(t gguf.Type) bool { return t.BlockSize() == 256 }

// Type returns the type for tensor name (of rank dims, rows of rowLen
// elements) whose current type is cur.
func (m *Mixer) Type(name string, dims, rowLen int, cur gguf.Type) gguf.Type {
	if !Quantizable(name, dims) {
		return cur
	}
	base := m.ft.Base()
	t := base
	if !m.pure && base != gguf.TypeF32 && base != gguf.TypeF16 && base != gguf.TypeBF16 {
		t = m.mix(name, base)
	} else if strings.Contains(name, "attn_v.weight") || strings.Contains(name, "attn_qkv.weight") {
		m.iAttnV++
	} else if strings.Contains(name, "ffn_down") {
		m.iFFNDown++
	}
	if rowLen%t.BlockSize() != 0 {
		// Rows that do not split into blocks of 256 fall back to a
		// 32-element type of about the same size.
		switch t {
		case gguf.TypeQ2_K, gguf.TypeQ3_K:
			t = gguf.TypeIQ4_NL
		case gguf.TypeQ4_K:
			t = gguf.TypeQ5_0
		case gguf.TypeQ5_K:
			t = gguf.TypeQ5_1
		case gguf.TypeQ6_K:
			t = gguf.TypeQ8_0
		}
		if rowLen%t.BlockSize() != 0 {
			t = gguf.TypeF16
		}
	}
	return t
}

func (m *Mixer) mix(name string, t gguf.Type) gguf.Type {
	ft := m.ft
	switch {
	case name == "output.weight" || (!m.hasOutput && name == "token_embd.weight"):
		if t != gguf.TypeQ8_0 {
			t = gguf.TypeQ6_K
		}
	case name == "token_embd.weight":
		// keeps the base type
	case strings.Contains(name, "attn_v.weight"):
		i, n := m.iAttnV, m.nAttnV
		switch {
		case ft == FileQ2_K:
			t = gguf.TypeQ3_K
			if m.gqa >= 4 {
				t = gguf.TypeQ4_K
			}
		case ft == FileQ2_K_S && m.gqa >= 4:
			t = gguf.TypeQ4_K
		case ft == FileQ3_K_M:
			t = gguf.TypeQ4_K
			if i < 2 {
				t = gguf.TypeQ5_K
			}
		case ft == FileQ3_K_L:
			t = gguf.TypeQ5_K
		case (ft == FileQ4_K_M || ft == FileQ5_K_M) && moreBits(i, n):
			t = gguf.TypeQ6_K
		case ft == FileQ4_K_S && i < 4:
			t = gguf.TypeQ5_K
		}
		m.iAttnV++
	case strings.Contains(name, "ffn_down"):
		i, n := m.iFFNDown, m.nFFNDown
		switch {
		case ft == FileQ2_K:
			t = gguf.TypeQ3_K
		case ft == FileQ2_K_S:
			if i < n/8 {
				t = gguf.TypeQ4_K
			}
		case ft == FileQ3_K_M:
			switch {
			case i < n/16:
				t = gguf.TypeQ5_K
			default:
				t = gguf.TypeQ4_K
			}
		case ft == FileQ3_K_L:
			t = gguf.TypeQ5_K
		case (ft == FileQ4_K_M || ft == FileQ5_K_M) && moreBits(i, n):
			t = gguf.TypeQ6_K
		case ft == FileQ4_K_S && i < n/8:
			t = gguf.TypeQ5_K
		}
		m.iFFNDown++
	case strings.Contains(name, "attn_output.weight"):
		switch ft {
		case FileQ2_K:
			t = gguf.TypeQ3_K
		case FileQ3_K_M:
			t = gguf.TypeQ4_K
		case FileQ3_K_L:
			t = gguf.TypeQ5_K
		}
	case strings.Contains(name, "attn_qkv.weight"):
		switch ft {
		case FileQ3_K_M, FileQ3_K_L:
			t = gguf.TypeQ4_K
		case FileQ4_K_M:
			t = gguf.TypeQ5_K
		case FileQ5_K_M:
			t = gguf.TypeQ6_K
		}
	}
	return t
}
