package safetensors

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Float32s converts n = len(dst) elements of type dt from src to float32.
// F16, BF16 and F8_E4M3 widen exactly; F64 rounds.
func Float32s(dt DType, src []byte, dst []float32) error {
	n := len(dst)
	if len(src) < n*dt.Size() || dt.Size() == 0 {
		return fmt.Errorf("safetensors: %d bytes of %s for %d elements", len(src), dt, n)
	}
	switch dt {
	case F32:
		for i := range dst {
			dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:]))
		}
	case F64:
		for i := range dst {
			dst[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(src[8*i:])))
		}
	case F16:
		for i := range dst {
			dst[i] = halfToFloat(binary.LittleEndian.Uint16(src[2*i:]))
		}
	case BF16:
		for i := range dst {
			dst[i] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(src[2*i:])) << 16)
		}
	case F8E4M3:
		for i := range dst {
			dst[i] = e4m3ToFloat(src[i])
		}
	default:
		return fmt.Errorf("safetensors: cannot convert %s to float32", dt)
	}
	return nil
}

// halfToFloat widens an IEEE binary16 value.
func halfToFloat(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	man := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | man<<13)
	case exp != 0:
		return math.Float32frombits(sign | (exp+112)<<23 | man<<13)
	case man == 0:
		return math.Float32frombits(sign)
	}
	// subnormal: man · 2^-24
	v := float32(man) * (1.0 / (1 << 24))
	if sign != 0 {
		v = -v
	}
	return v
}

// e4m3ToFloat widens an OCP FP8 E4M3 (fn) value: bias 7, no infinities,
// S.1111.111 is NaN.
func e4m3ToFloat(b uint8) float32 {
	sign := float32(1)
	if b&0x80 != 0 {
		sign = -1
	}
	exp := int(b>>3) & 0xf
	man := float32(b & 7)
	if exp == 0xf && b&7 == 7 {
		return float32(math.NaN())
	}
	if exp == 0 {
		return sign * man / 8 * float32(math.Ldexp(1, -6))
	}
	return sign * (1 + man/8) * float32(math.Ldexp(1, exp-7))
}
