//go:build amd64 && !purego

#include "textflag.h"

// The two loops of the one-chunk attention (attendOnline) over many cells
// per call: the scores (ggml_vec_dot_f16 of each key row with the f16-rounded
// query, as dotF16F32AVX2) and the f16 value accumulation (per cell, the
// scaling by ms when it is not 1, as scaleF16AVX2, then the fma with vs, as
// madF16AVX2). Element for element the per-cell helpers.

// func dotF16CellsAVX2(k *uint16, stride int, q *float32, d, n int, out *float32)
// out[j] = dot(k + j*stride bytes, q) over d elements (d a multiple of 32),
// j < n.
TEXT ·dotF16CellsAVX2(SB), NOSPLIT, $0-48
	MOVQ k+0(FP), R8
	MOVQ stride+8(FP), R9
	MOVQ q+16(FP), R10
	MOVQ d+24(FP), R11
	SHRQ $5, R11
	MOVQ n+32(FP), R12
	MOVQ out+40(FP), DI

dccell:
	MOVQ   R8, SI
	MOVQ   R10, BX
	MOVQ   R11, CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3

dcloop:
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
	JNZ         dcloop

	VADDPS       Y2, Y0, Y0
	VADDPS       Y3, Y1, Y1
	VADDPS       Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	VHADDPS      X0, X0, X0
	VHADDPS      X0, X0, X0
	VMOVSS       X0, (DI)
	ADDQ         $4, DI
	ADDQ         R9, R8
	DECQ         R12
	JNZ          dccell
	VZEROUPPER
	RET

DATA attnOne<>+0(SB)/4, $0x3f800000
GLOBL attnOne<>(SB), RODATA|NOPTR, $4

// func madF16CellsAVX2(acc, v *uint16, stride, d, n int, ms, vs *float32)
// For each cell j < n: if ms[j] != 1, acc = f16(acc*ms[j]); then
// acc = f16(fma(v_j, vs[j], acc)), v_j at v + j*stride bytes; d (a multiple
// of 8) elements.
TEXT ·madF16CellsAVX2(SB), NOSPLIT, $0-56
	MOVQ   acc+0(FP), DI
	MOVQ   v+8(FP), R8
	MOVQ   stride+16(FP), R9
	MOVQ   d+24(FP), R11
	SHRQ   $3, R11
	MOVQ   n+32(FP), R12
	MOVQ   ms+40(FP), R13
	MOVQ   vs+48(FP), R14
	VMOVSS attnOne<>(SB), X6

mccell:
	VMOVSS   (R13), X1
	VUCOMISS X6, X1
	JNE      mcscale
	JP       mcscale
	JMP      mcmad

mcscale:
	VBROADCASTSS X1, Y1
	MOVQ         DI, DX
	MOVQ         R11, CX

mcsloop:
	VCVTPH2PS (DX), Y2
	VMULPS    Y1, Y2, Y2
	VCVTPS2PH $0, Y2, (DX)
	ADDQ      $16, DX
	DECQ      CX
	JNZ       mcsloop

mcmad:
	VBROADCASTSS (R14), Y1
	MOVQ         DI, DX
	MOVQ         R8, SI
	MOVQ         R11, CX

mcmloop:
	VCVTPH2PS   (SI), Y2
	VCVTPH2PS   (DX), Y3
	VFMADD231PS Y1, Y2, Y3
	VCVTPS2PH   $0, Y3, (DX)
	ADDQ        $16, SI
	ADDQ        $16, DX
	DECQ        CX
	JNZ         mcmloop

	ADDQ R9, R8
	ADDQ $4, R13
	ADDQ $4, R14
	DECQ R12
	JNZ  mccell
	VZEROUPPER
	RET
