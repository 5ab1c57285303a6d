package quant

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/hearthlm/hearth/gguf"
)

// Block layouts (byte offsets within one block), as ggml-common.h lays them out.
// All multi-byte fields are little-endian; "half" is an IEEE binary16.
//
//	Q4_0  32 elems, 18 B: d half | qs[16] (low nibbles: elems 0-15, high: 16-31)
//	Q4_1  32 elems, 20 B: d half | m half | qs[16]
//	Q5_0  32 elems, 22 B: d half | qh u32 (5th bits) | qs[16]
//	Q5_1  32 elems, 24 B: d half | m half | qh u32 | qs[16]
//	Q8_0  32 elems, 34 B: d half | qs[32] int8
//	Q8_1  32 elems, 36 B: d half | s half (d*sum(qs)) | qs[32] int8
//	Q2_K 256 elems, 84 B: scales[16] (4-bit scale | 4-bit min) | qs[64] | d half | dmin half
//	Q3_K 256 elems,110 B: hmask[32] | qs[64] | scales[12] (16 x 6 bits) | d half
//	Q4_K 256 elems,144 B: d half | dmin half | scales[12] (8 x 6-bit scale, 8 x 6-bit min) | qs[128]
//	Q5_K 256 elems,176 B: d half | dmin half | scales[12] | qh[32] | qs[128]
//	Q6_K 256 elems,210 B: ql[128] | qh[64] | scales[16] int8 | d half
//	Q8_K 256 elems,292 B: d float32 | qs[256] int8 | bsums[16] int16

const qkK = 256 // elements in a K-quant super-block

// checkRow validates that n elements of t fit and src holds them.
func checkRow(op string, t gguf.Type, n, have int) (int, error) {
	bs := t.BlockSize()
	if bs == 0 {
		return 0, fmt.Errorf("quant: %s: unknown type %d", op, uint32(t))
	}
	if n%bs != 0 {
		return 0, fmt.Errorf("quant: %s %s: %d elements is not a multiple of the block size %d", op, t, n, bs)
	}
	need := n / bs * t.TypeSize()
	if have < need {
		return 0, fmt.Errorf("quant: %s %s: %d elements need %d bytes, have %d", op, t, n, need, have)
	}
	return need, nil
}

// DequantizeRow converts len(dst) elements of type t from src to float32,
// bit-exactly as ggml's to_float (dequantize_row_*) does.
func DequantizeRow(t gguf.Type, src []byte, dst []float32) error {
	n := len(dst)
	need, err := checkRow("dequantize", t, n, len(src))
	if err != nil {
		return err
	}
	src = src[:need]
	switch t {
	case gguf.TypeF32:
		for i := range dst {
			dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:]))
		}
	case gguf.TypeF16:
		for i := range dst {
			dst[i] = f16(src[2*i:])
		}
	case gguf.TypeBF16:
		for i := range dst {
			dst[i] = BF16ToFP32(binary.LittleEndian.Uint16(src[2*i:]))
		}
	case gguf.TypeQ4_0:
		dequantQ4_0(src, dst)
	case gguf.TypeQ4_1:
		dequantQ4_1(src, dst)
	case gguf.TypeQ5_0:
		dequantQ5_0(src, dst)
	case gguf.TypeQ5_1:
		dequantQ5_1(src, dst)
	case gguf.TypeQ8_0:
		for b := 0; b < n/32; b++ {
			blk, y := src[b*34:b*34+34], dst[b*32:b*32+32]
			d := f16(blk)
			for j := range y {
				y[j] = float32(int8(blk[2+j])) * d
			}
		}
	case gguf.TypeQ8_1:
		for b := 0; b < n/32; b++ {
			blk, y := src[b*36:b*36+36], dst[b*32:b*32+32]
			d := f16(blk)
			for j := range y {
				y[j] = float32(int8(blk[4+j])) * d
			}
		}
	case gguf.TypeQ2_K:
		dequantQ2_K(src, dst)
	case gguf.TypeQ3_K:
		dequantQ3_K(src, dst)
	case gguf.TypeQ4_K:
		dequantQ4_K(src, dst)
	case gguf.TypeQ5_K:
		dequantQ5_K(src, dst)
	case gguf.TypeQ6_K:
		dequantQ6_K(src, dst)
	case gguf.TypeQ8_K:
		for b := 0; b < n/qkK; b++ {
			blk, y := src[b*292:b*292+292], dst[b*qkK:b*qkK+qkK]
			d := math.Float32frombits(binary.LittleEndian.Uint32(blk))
			for j := range y {
				y[j] = d * float32(int8(blk[4+j]))
			}
		}
	default:
		return fmt.Errorf("quant: dequantize: type %s not supported", t)
	}
	return nil
}

// The float expressions below keep ggml's operation order and round each
// product to float32 before adding (explicit float32 conversions forbid Go
// from fusing them into an FMA), as ggml's scalar C does.

func dequantQ4_0(src []byte, dst []float32) {
	for b := 0; b < len(dst)/32; b++ {
		blk, y := src[b*18:b*18+18], dst[b*32:b*32+32]
		d := f16(blk)
		qs := blk[2:18]
		for j := 0; j < 16; j++ {
			y[j] = float32(int(qs[j]&0xf)-8) * d
			y[j+16] = float32(int(qs[j]>>4)-8) * d
		}
	}
}

func dequantQ4_1(src []byte, dst []float32) {
	for b := 0; b < len(dst)/32; b++ {
		blk, y := src[b*20:b*20+20], dst[b*32:b*32+32]
		d, m := f16(blk), f16(blk[2:])
		qs := blk[4:20]
		for j := 0; j < 16; j++ {
			y[j] = float32(float32(qs[j]&0xf)*d) + m
			y[j+16] = float32(float32(qs[j]>>4)*d) + m
		}
	}
}

func dequantQ5_0(src []byte, dst []float32) {
	for b := 0; b < len(dst)/32; b++ {
		blk, y := src[b*22:b*22+22], dst[b*32:b*32+32]
		d := f16(blk)
		qh := binary.LittleEndian.Uint32(blk[2:])
		qs := blk[6:22]
		for j := 0; j < 16; j++ {
			h0 := int(qh>>j) << 4 & 0x10
			h1 := int(qh>>(j+12)) & 0x10
			y[j] = float32(int(qs[j]&0xf)|h0-16) * d
			y[j+16] = float32(int(qs[j]>>4)|h1-16) * d
		}
	}
}

func dequantQ5_1(src []byte, dst []float32) {
	for b := 0; b < len(dst)/32; b++ {
		blk, y := src[b*24:b*24+24], dst[b*32:b*32+32]
		d, m := f16(blk), f16(blk[2:])
		qh := binary.LittleEndian.Uint32(blk[4:])
		qs := blk[8:24]
		for j := 0; j < 16; j++ {
			h0 := int(qh>>j) << 4 & 0x10
			h1 := int(qh>>(j+12)) & 0x10
			y[j] = float32(float32(int(qs[j]&0xf)|h0)*d) + m
			y[j+16] = float32(float32(int(qs[j]>>4)|h1)*d) + m
		}
	}
}

func dequantQ2_K(src []byte, dst []float32) {
	for b := 0; b < len(dst)/qkK; b++ {
		blk, y := src[b*84:b*84+84], dst[b*qkK:b*qkK+qkK]
		scales, q := blk[0:16], blk[16:80]
		d, dmin := f16(blk[80:]), f16(blk[82:])
		is, o := 0, 0
		for half := 0; half < 2; half++ {
			qq := q[half*32 : half*32+32]
			for shift := uint(0); shift < 8; shift += 2 {
				for k := 0; k < 2; k++ {
					sc := scales[is]
					is++
					dl, ml := d*float32(sc&0xf), float32(dmin*float32(sc>>4))
					for l := 0; l < 16; l++ {
						y[o] = float32(dl*float32(qq[16*k+l]>>shift&3)) - ml
						o++
					}
				}
			}
		}
	}
}

// q3kScales unpacks the sixteen 6-bit Q3_K scales (as stored, 0..63).
func q3kScales(sc []byte, out *[16]int8) {
	for i := 0; i < 16; i++ {
		lo := sc[i%8]
		if i >= 8 {
			lo >>= 4
		}
		hi := sc[8+i%4] >> (2 * (i / 4)) & 3
		out[i] = int8(lo&0xf | hi<<4)
	}
}

func dequantQ3_K(src []byte, dst []float32) {
	var scales [16]int8
	for b := 0; b < len(dst)/qkK; b++ {
		blk, y := src[b*110:b*110+110], dst[b*qkK:b*qkK+qkK]
		hm, q := blk[0:32], blk[32:96]
		q3kScales(blk[96:108], &scales)
		d := f16(blk[108:])
		is, o := 0, 0
		m := byte(1)
		for half := 0; half < 2; half++ {
			qq := q[half*32 : half*32+32]
			for shift := uint(0); shift < 8; shift += 2 {
				for k := 0; k < 2; k++ {
					dl := d * float32(int(scales[is])-32)
					is++
					for l := 16 * k; l < 16*k+16; l++ {
						v := int(qq[l] >> shift & 3)
						if hm[l]&m == 0 {
							v -= 4
						}
						y[o] = dl * float32(v)
						o++
					}
				}
				m <<= 1
			}
		}
	}
}

// scaleMinK4 returns the j-th 6-bit scale and min of a Q4_K/Q5_K block.
func scaleMinK4(j int, q []byte) (sc, m uint8) {
	if j < 4 {
		return q[j] & 63, q[j+4] & 63
	}
	return q[j+4]&0xf | (q[j-4]>>6)<<4, q[j+4]>>4 | (q[j]>>6)<<4
}

func dequantQ4_K(src []byte, dst []float32) {
	for b := 0; b < len(dst)/qkK; b++ {
		blk, y := src[b*144:b*144+144], dst[b*qkK:b*qkK+qkK]
		d, dmin := f16(blk), f16(blk[2:])
		scales, q := blk[4:16], blk[16:144]
		for j := 0; j < 4; j++ {
			sc, m := scaleMinK4(2*j, scales)
			d1, m1 := d*float32(sc), float32(dmin*float32(m))
			sc, m = scaleMinK4(2*j+1, scales)
			d2, m2 := d*float32(sc), float32(dmin*float32(m))
			qq, yy := q[32*j:32*j+32], y[64*j:64*j+64]
			for l := 0; l < 32; l++ {
				yy[l] = float32(d1*float32(qq[l]&0xf)) - m1
				yy[l+32] = float32(d2*float32(qq[l]>>4)) - m2
			}
		}
	}
}

func dequantQ5_K(src []byte, dst []float32) {
	for b := 0; b < len(dst)/qkK; b++ {
		blk, y := src[b*176:b*176+176], dst[b*qkK:b*qkK+qkK]
		d, dmin := f16(blk), f16(blk[2:])
		scales, qh, q := blk[4:16], blk[16:48], blk[48:176]
		for j := 0; j < 4; j++ {
			sc, m := scaleMinK4(2*j, scales)
			d1, m1 := d*float32(sc), float32(dmin*float32(m))
			sc, m = scaleMinK4(2*j+1, scales)
			d2, m2 := d*float32(sc), float32(dmin*float32(m))
			u1, u2 := byte(1)<<(2*j), byte(2)<<(2*j)
			qq, yy := q[32*j:32*j+32], y[64*j:64*j+64]
			for l := 0; l < 32; l++ {
				v1, v2 := int(qq[l]&0xf), int(qq[l]>>4)
				if qh[l]&u1 != 0 {
					v1 += 16
				}
				if qh[l]&u2 != 0 {
					v2 += 16
				}
				yy[l] = float32(d1*float32(v1)) - m1
				yy[l+32] = float32(d2*float32(v2)) - m2
			}
		}
	}
}

func dequantQ6_K(src []byte, dst []float32) {
	for b := 0; b < len(dst)/qkK; b++ {
		blk, y := src[b*210:b*210+210], dst[b*qkK:b*qkK+qkK]
		d := f16(blk[208:])
		for h := 0; h < 2; h++ {
			ql, qh := blk[64*h:64*h+64], blk[128+32*h:128+32*h+32]
			sc := blk[192+8*h : 192+8*h+8]
			yy := y[128*h : 128*h+128]
			for l := 0; l < 32; l++ {
				is := l / 16
				q1 := int(ql[l]&0xf|(qh[l]>>0&3)<<4) - 32
				q2 := int(ql[l+32]&0xf|(qh[l]>>2&3)<<4) - 32
				q3 := int(ql[l]>>4|(qh[l]>>4&3)<<4) - 32
				q4 := int(ql[l+32]>>4|(qh[l]>>6&3)<<4) - 32
				yy[l] = d * float32(int8(sc[is])) * float32(q1)
				yy[l+32] = d * float32(int8(sc[is+2])) * float32(q2)
				yy[l+64] = d * float32(int8(sc[is+4])) * float32(q3)
				yy[l+96] = d * float32(int8(sc[is+6])) * float32(q4)
			}
		}
	}
}
