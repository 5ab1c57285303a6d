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

DATA q80Inv<>+0(SB)/4, $0x42fe0000 // 127.0
GLOBL q80Inv<>(SB), RODATA|NOPTR, $4

// func quantQ8x86AVX2(x *float32, blk *byte, nb int, withSum bool)
// ggml-cpu's AVX2 quantize_row_q8_0 (withSum false: blocks of 34 bytes,
// d f16 | qs int8[32]) or quantize_row_q8_1 (36 bytes, d | s | qs) on nb
// blocks of 32: d = amax/127, id = 127/amax (0 for an all-zero block),
// quants cvtps2dq(x*id) (round to nearest even, the integer indefinite
// out of range) packed with saturation, s = f16(d*sum of the int32 quants).
TEXT ·quantQ8x86AVX2(SB), NOSPLIT, $0-25
	MOVQ         x+0(FP), SI
	MOVQ         blk+8(FP), DI
	MOVQ         nb+16(FP), R8
	MOVBQZX      withSum+24(FP), R9
	VBROADCASTSS q8kAbs<>(SB), Y15
	MOVQ         $2, R10 // offset of qs
	MOVQ         $34, R11 // block size
	TESTQ        R9, R9
	JZ           q80block
	MOVQ         $4, R10
	MOVQ         $36, R11

q80block:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS 64(SI), Y2
	VMOVUPS 96(SI), Y3
	VANDPS  Y15, Y0, Y4
	VANDPS  Y15, Y1, Y5
	VANDPS  Y15, Y2, Y6
	VANDPS  Y15, Y3, Y7
	VXORPS  Y8, Y8, Y8
	VMAXPS  Y8, Y4, Y8
	VMAXPS  Y8, Y5, Y8
	VMAXPS  Y8, Y6, Y8
	VMAXPS  Y8, Y7, Y8
	VEXTRACTF128 $1, Y8, X9
	VMAXPS       X8, X9, X8
	VPERMILPS    $0x4e, X8, X9
	VMAXPS       X8, X9, X8
	VPERMILPS    $0xb1, X8, X9
	VMAXPS       X8, X9, X8 // amax
	VMOVSS       q80Inv<>(SB), X10
	VDIVSS       X10, X8, X11 // d = amax/127
	VXORPS       X12, X12, X12
	VUCOMISS     X12, X8
	JEQ          q80zero
	VDIVSS       X8, X10, X12 // id = 127/amax

q80zero:
	VCVTPS2PH    $0, X11, X13
	VPEXTRW      $0, X13, AX
	MOVW         AX, (DI)
	VBROADCASTSS X12, Y12
	VMULPS       Y12, Y0, Y0
	VMULPS       Y12, Y1, Y1
	VMULPS       Y12, Y2, Y2
	VMULPS       Y12, Y3, Y3
	VCVTPS2DQ    Y0, Y0
	VCVTPS2DQ    Y1, Y1
	VCVTPS2DQ    Y2, Y2
	VCVTPS2DQ    Y3, Y3
	TESTQ        R9, R9
	JZ           q80pack
	// s = f16(d * float(sum of the quants)).
	VPADDD       Y1, Y0, Y4
	VPADDD       Y3, Y2, Y5
	VPADDD       Y5, Y4, Y4
	VEXTRACTI128 $1, Y4, X5
	VPADDD       X5, X4, X4
	VPSHUFD      $0x4e, X4, X5
	VPADDD       X5, X4, X4
	VPSHUFD      $0xb1, X4, X5
	VPADDD       X5, X4, X4
	VCVTDQ2PS    X4, X4
	VMULSS       X4, X11, X4
	VCVTPS2PH    $0, X4, X4
	VPEXTRW      $0, X4, AX
	MOVW         AX, 2(DI)

q80pack:
	VPACKSSDW Y1, Y0, Y0 // lanes: 0-3 8-11 | 4-7 12-15
	VPACKSSDW Y3, Y2, Y2 // 16-19 24-27 | 20-23 28-31
	VPACKSSWB Y2, Y0, Y0 // 0-3 8-11 16-19 24-27 | 4-7 12-15 20-23 28-31
	VMOVDQU   q80Perm<>(SB), Y1
	VPERMD    Y0, Y1, Y0
	VMOVDQU   Y0, (DI)(R10*1)
	ADDQ      $128, SI
	ADDQ      R11, DI
	DECQ      R8
	JNZ       q80block
	VZEROUPPER
	RET

// q80Perm puts the dwords of the packed quants back in element order.
DATA q80Perm<>+0x00(SB)/4, $0
DATA q80Perm<>+0x04(SB)/4, $4
DATA q80Perm<>+0x08(SB)/4, $1
DATA q80Perm<>+0x0c(SB)/4, $5
DATA q80Perm<>+0x10(SB)/4, $2
DATA q80Perm<>+0x14(SB)/4, $6
DATA q80Perm<>+0x18(SB)/4, $3
DATA q80Perm<>+0x1c(SB)/4, $7
GLOBL q80Perm<>(SB), RODATA|NOPTR, $32
