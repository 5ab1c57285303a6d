//go:build amd64 && !purego

#include "textflag.h"

// Row dot products of F32, F16 and BF16 weights with activations of the
// same type, AVX2+FMA+F16C, in the order of ggml's AVX2 ggml_vec_dot_f32,
// _f16 and _bf16: four 8-lane FMA accumulators over 32 elements a step.
// nb counts 32-element steps (rows whose length is not a multiple of 32
// are left to the generic code).

// REDUCE_HADD: ggml's GGML_F32x8_REDUCE of Y0..Y3 into the low float of X0:
// (Y0+Y2)+(Y1+Y3), lo+hi lanes, then two horizontal adds.
#define REDUCE_HADD \
	VADDPS       Y2, Y0, Y0 \
	VADDPS       Y3, Y1, Y1 \
	VADDPS       Y1, Y0, Y0 \
	VEXTRACTF128 $1, Y0, X1 \
	VADDPS       X1, X0, X0 \
	VHADDPS      X0, X0, X0 \
	VHADDPS      X0, X0, X0

// func dotRowsF32AVX2(w, x *byte, out *float32, rows, nb int)
TEXT ·dotRowsF32AVX2(SB), NOSPLIT, $0-40
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ out+16(FP), DX
	MOVQ rows+24(FP), CX
	MOVQ nb+32(FP), R8

f32row:
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	MOVQ   DI, BX
	MOVQ   R8, R9

f32step:
	VMOVUPS     (SI), Y4
	VMOVUPS     32(SI), Y5
	VMOVUPS     64(SI), Y6
	VMOVUPS     96(SI), Y7
	VFMADD231PS (BX), Y4, Y0
	VFMADD231PS 32(BX), Y5, Y1
	VFMADD231PS 64(BX), Y6, Y2
	VFMADD231PS 96(BX), Y7, Y3
	ADDQ        $128, SI
	ADDQ        $128, BX
	DECQ        R9
	JNZ         f32step

	REDUCE_HADD
	VMOVSS X0, (DX)
	ADDQ   $4, DX
	DECQ   CX
	JNZ    f32row
	VZEROUPPER
	RET

// func dotRowsF16AVX2(w, x *byte, out *float32, rows, nb int)
TEXT ·dotRowsF16AVX2(SB), NOSPLIT, $0-40
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ out+16(FP), DX
	MOVQ rows+24(FP), CX
	MOVQ nb+32(FP), R8

f16row:
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	MOVQ   DI, BX
	MOVQ   R8, R9

f16step:
	VCVTPH2PS   (SI), Y4
	VCVTPH2PS   16(SI), Y5
	VCVTPH2PS   32(SI), Y6
	VCVTPH2PS   48(SI), Y7
	VCVTPH2PS   (BX), Y8
	VCVTPH2PS   16(BX), Y9
	VCVTPH2PS   32(BX), Y10
	VCVTPH2PS   48(BX), Y11
	VFMADD231PS Y8, Y4, Y0
	VFMADD231PS Y9, Y5, Y1
	VFMADD231PS Y10, Y6, Y2
	VFMADD231PS Y11, Y7, Y3
	ADDQ        $64, SI
	ADDQ        $64, BX
	DECQ        R9
	JNZ         f16step

	REDUCE_HADD
	VMOVSS X0, (DX)
	ADDQ   $4, DX
	DECQ   CX
	JNZ    f16row
	VZEROUPPER
	RET

// BF16LOAD widens 8 bfloat16 at m to float32 in y.
#define BF16LOAD(m, y) \
	VPMOVZXWD m, y \
	VPSLLD    $16, y, y

// func dotRowsBF16AVX2(w, x *byte, out *float32, rows, nb int)
// ggml_vec_dot_bf16 reduces (c1+c3)+(c2+c4), then lo+hi, then lanes 0+2
// and 1+3, then those two (its own sequence, not GGML_F32x8_REDUCE).
TEXT ·dotRowsBF16AVX2(SB), NOSPLIT, $0-40
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ out+16(FP), DX
	MOVQ rows+24(FP), CX
	MOVQ nb+32(FP), R8

bf16row:
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	MOVQ   DI, BX
	MOVQ   R8, R9

bf16step:
	BF16LOAD((SI), Y4)
	BF16LOAD(16(SI), Y5)
	BF16LOAD(32(SI), Y6)
	BF16LOAD(48(SI), Y7)
	BF16LOAD((BX), Y8)
	BF16LOAD(16(BX), Y9)
	BF16LOAD(32(BX), Y10)
	BF16LOAD(48(BX), Y11)
	VFMADD231PS Y8, Y4, Y0
	VFMADD231PS Y9, Y5, Y1
	VFMADD231PS Y10, Y6, Y2
	VFMADD231PS Y11, Y7, Y3
	ADDQ        $64, SI
	ADDQ        $64, BX
	DECQ        R9
	JNZ         bf16step

	VADDPS       Y2, Y0, Y0
	VADDPS       Y3, Y1, Y1
	VADDPS       Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X0, X1, X1
	VMOVHLPS     X1, X1, X2
	VADDPS       X2, X1, X1
	VMOVSHDUP    X1, X2
	VADDSS       X2, X1, X1
	VMOVSS       X1, (DX)
	ADDQ         $4, DX
	DECQ         CX
	JNZ          bf16row
	VZEROUPPER
	RET
