//go:build amd64 && !purego

#include "textflag.h"

// quantize_row_q8_K_ref on one super-block of 256 floats, its float32
// operations in the reference's order: the largest magnitude (the first
// element that has it gives the sign), iscale = -127/max, each quant
// min(127, nearest_int(iscale*x)) (ggml's nearest_int: add 1.5·2^23, keep
// the low 23 bits, less 2^22) kept as its low byte, the sums of each 16
// quants, d = 1/iscale.
// Block: d f32 @0, qs int8[256] @4, bsums int16[16] @260.

DATA q8kAbs<>+0(SB)/4, $0x7fffffff
GLOBL q8kAbs<>(SB), RODATA|NOPTR, $4
DATA q8kMagic<>+0(SB)/4, $0x4b400000 // 12582912 = 1.5·2^23
GLOBL q8kMagic<>(SB), RODATA|NOPTR, $4
DATA q8kLow<>+0(SB)/4, $0x007fffff
GLOBL q8kLow<>(SB), RODATA|NOPTR, $4
DATA q8kOff<>+0(SB)/4, $0x00400000
GLOBL q8kOff<>(SB), RODATA|NOPTR, $4
DATA q8k127<>+0(SB)/4, $127
GLOBL q8k127<>(SB), RODATA|NOPTR, $4
DATA q8kM127<>+0(SB)/4, $0xc2fe0000 // -127.0
GLOBL q8kM127<>(SB), RODATA|NOPTR, $4
DATA q8kOne<>+0(SB)/4, $0x3f800000 // 1.0
GLOBL q8kOne<>(SB), RODATA|NOPTR, $4

// func quantQ8KAVX2(x *float32, blk *byte, nb int)
TEXT ·quantQ8KAVX2(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), SI
	MOVQ blk+8(FP), DI
	MOVQ nb+16(FP), R8
	VBROADCASTSS q8kAbs<>(SB), Y15
	VBROADCASTSS q8kMagic<>(SB), Y14
	VBROADCASTSS q8kLow<>(SB), Y13
	VBROADCASTSS q8kOff<>(SB), Y12
	VBROADCASTSS q8k127<>(SB), Y11

block:
	// amax = max |x| (a NaN never wins: VMAXPS keeps its second source).
	VXORPS Y0, Y0, Y0
	XORQ   AX, AX

amaxloop:
	VANDPS (SI)(AX*4), Y15, Y1
	VMAXPS Y0, Y1, Y0
	ADDQ   $8, AX
	CMPQ   AX, $256
	JNE    amaxloop
	VEXTRACTF128 $1, Y0, X1
	VMAXPS       X0, X1, X0
	VPERMILPS    $0x4e, X0, X1
	VMAXPS       X0, X1, X0
	VPERMILPS    $0xb1, X0, X1
	VMAXPS       X0, X1, X0
	VXORPS       X1, X1, X1
	VUCOMISS     X1, X0
	JNE          nonzero
	JP           nonzero

	// All zero: a zero block.
	VXORPS  Y1, Y1, Y1
	VMOVDQU Y1, (DI)
	VMOVDQU Y1, 32(DI)
	VMOVDQU Y1, 64(DI)
	VMOVDQU Y1, 96(DI)
	VMOVDQU Y1, 128(DI)
	VMOVDQU Y1, 160(DI)
	VMOVDQU Y1, 192(DI)
	VMOVDQU Y1, 224(DI)
	VMOVDQU Y1, 256(DI)
	MOVL    $0, 288(DI)
	JMP     next

nonzero:
	// The first element whose magnitude equals amax.
	VBROADCASTSS X0, Y2
	XORQ         AX, AX

findloop:
	VANDPS    (SI)(AX*4), Y15, Y1
	VCMPPS    $0, Y2, Y1, Y1
	VMOVMSKPS Y1, CX
	TESTL     CX, CX
	JNZ       found
	ADDQ      $8, AX
	JMP       findloop

found:
	BSFL  CX, CX
	ADDQ  CX, AX
	VMOVSS (SI)(AX*4), X1
	VMOVSS q8kM127<>(SB), X2
	VDIVSS X1, X2, X2           // iscale = -127/max
	VMOVSS q8kOne<>(SB), X3
	VDIVSS X2, X3, X3           // d = 1/iscale
	VMOVSS X3, (DI)
	VBROADCASTSS X2, Y10

	// Quants and sums, 16 elements at a time.
	XORQ AX, AX
	XORQ DX, DX

qloop:
	VMULPS  (SI)(AX*4), Y10, Y0
	VMULPS  32(SI)(AX*4), Y10, Y1
	VADDPS  Y14, Y0, Y0
	VADDPS  Y14, Y1, Y1
	VPAND   Y13, Y0, Y0
	VPAND   Y13, Y1, Y1
	VPSUBD  Y12, Y0, Y0
	VPSUBD  Y12, Y1, Y1
	VPMINSD Y11, Y0, Y0
	VPMINSD Y11, Y1, Y1
	// As int8 (the low byte, sign-extended; only NaN inputs reach
	// values outside -128..127).
	VPSLLD $24, Y0, Y0
	VPSLLD $24, Y1, Y1
	VPSRAD $24, Y0, Y0
	VPSRAD $24, Y1, Y1
	// Sum of the 16.
	VPADDD       Y1, Y0, Y2
	VEXTRACTI128 $1, Y2, X3
	VPADDD       X3, X2, X2
	VPSHUFD      $0x4e, X2, X3
	VPADDD       X3, X2, X2
	VPSHUFD      $0xb1, X2, X3
	VPADDD       X3, X2, X2
	VMOVD        X2, CX
	MOVW         CX, 260(DI)(DX*2)
	// Pack to 16 int8.
	VPACKSSDW    Y1, Y0, Y0     // lanes: q0[0:4] q1[0:4] | q0[4:8] q1[4:8]
	VPERMQ       $0xd8, Y0, Y0  // q0[0:8] q1[0:8]
	VEXTRACTI128 $1, Y0, X1
	VPACKSSWB    X1, X0, X0
	VMOVDQU      X0, 4(DI)(AX*1)
	ADDQ         $16, AX
	INCQ         DX
	CMPQ         AX, $256
	JNE          qloop

next:
	ADDQ $1024, SI
	ADDQ $292, DI
	DECQ R8
	JNZ  block
	VZEROUPPER
	RET
