//go:build amd64 && !purego

#include "textflag.h"

// func madQ8AVX2(acc *float32, v *byte, nb int, s float32)
// For each of nb q8_0 blocks of v (an f16 scale d and 32 int8 values q)
// and the 32 floats of acc they cover: acc[i] = fma(float32(q[i])*d, s,
// acc[i]), the product rounded first: dequantize_row_q8_0 followed by
// ggml_vec_mad_f32 (AVX2 with FMA), element for element. nb >= 1.
TEXT ·madQ8AVX2(SB), NOSPLIT, $0-28
	MOVQ         acc+0(FP), DI
	MOVQ         v+8(FP), SI
	MOVQ         nb+16(FP), CX
	VBROADCASTSS s+24(FP), Y1

loop:
	MOVWLZX      (SI), AX
	VMOVQ        AX, X2
	VCVTPH2PS    X2, X2
	VBROADCASTSS X2, Y2

	VPMOVSXBD   2(SI), Y3
	VCVTDQ2PS   Y3, Y3
	VMULPS      Y2, Y3, Y3
	VMOVUPS     (DI), Y4
	VFMADD231PS Y1, Y3, Y4
	VMOVUPS     Y4, (DI)

	VPMOVSXBD   10(SI), Y3
	VCVTDQ2PS   Y3, Y3
	VMULPS      Y2, Y3, Y3
	VMOVUPS     32(DI), Y4
	VFMADD231PS Y1, Y3, Y4
	VMOVUPS     Y4, 32(DI)

	VPMOVSXBD   18(SI), Y3
	VCVTDQ2PS   Y3, Y3
	VMULPS      Y2, Y3, Y3
	VMOVUPS     64(DI), Y4
	VFMADD231PS Y1, Y3, Y4
	VMOVUPS     Y4, 64(DI)

	VPMOVSXBD   26(SI), Y3
	VCVTDQ2PS   Y3, Y3
	VMULPS      Y2, Y3, Y3
	VMOVUPS     96(DI), Y4
	VFMADD231PS Y1, Y3, Y4
	VMOVUPS     Y4, 96(DI)

	ADDQ $34, SI
	ADDQ $128, DI
	DECQ CX
	JNZ  loop
	VZEROUPPER
	RET
