//go:build amd64 && !purego

#include "textflag.h"

// Float16 vector helpers for attention over an f16 KV cache, element for
// element equal to ggml's AVX2 ggml_vec_scale_f16, ggml_vec_mad_f16 (F16C
// conversions, round to nearest even) and ggml_vec_dot_f16.

// func scaleF16AVX2(acc *uint16, n int, s float32)
// acc[i] = f16(f32(acc[i]) * s) for n elements, n a multiple of 8.
TEXT ·scaleF16AVX2(SB), NOSPLIT, $0-20
	MOVQ         acc+0(FP), DI
	MOVQ         n+8(FP), CX
	VBROADCASTSS s+16(FP), Y1
	SHRQ         $3, CX
	JZ           scdone

scloop:
	VCVTPH2PS (DI), Y2
	VMULPS    Y1, Y2, Y2
	VCVTPS2PH $0, Y2, (DI)
	ADDQ      $16, DI
	DECQ      CX
	JNZ       scloop

scdone:
	VZEROUPPER
	RET

// func madF16AVX2(acc, v *uint16, n int, s float32)
// acc[i] = f16(fma(f32(v[i]), s, f32(acc[i]))) for n elements, n a
// multiple of 8.
TEXT ·madF16AVX2(SB), NOSPLIT, $0-28
	MOVQ         acc+0(FP), DI
	MOVQ         v+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS s+24(FP), Y1
	SHRQ         $3, CX
	JZ           maddone

madloop:
	VCVTPH2PS   (SI), Y2
	VCVTPH2PS   (DI), Y3
	VFMADD231PS Y1, Y2, Y3
	VCVTPS2PH   $0, Y3, (DI)
	ADDQ        $16, SI
	ADDQ        $16, DI
	DECQ        CX
	JNZ         madloop

maddone:
	VZEROUPPER
	RET

// func dotF16F32AVX2(a *uint16, b *float32, n int) float32
// ggml_vec_dot_f16 of a with b, b holding float16 values widened to
// float32; n a multiple of 32.
TEXT ·dotF16F32AVX2(SB), NOSPLIT, $0-28
	MOVQ   a+0(FP), SI
	MOVQ   b+8(FP), BX
	MOVQ   n+16(FP), CX
	SHRQ   $5, CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3

dotloop:
	VCVTPH2PS   (SI), Y4
	VCVTPH2PS   16(SI), Y5
	VCVTPH2PS   32(SI), Y6
	VCVTPH2PS   48(SI), Y7
	VFMADD231PS (BX), Y4, Y0
	VFMADD231PS 32(BX), Y5, Y1
	VFMADD231PS 64(BX), Y6, Y2
	VFMADD231PS 96(BX), Y7, Y3
	ADDQ        $64, SI
	ADDQ        $128, BX
	DECQ        CX
	JNZ         dotloop

	VADDPS       Y2, Y0, Y0
	VADDPS       Y3, Y1, Y1
	VADDPS       Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	VHADDPS      X0, X0, X0
	VHADDPS      X0, X0, X0
	VMOVSS       X0, ret+24(FP)
	VZEROUPPER
	RET
