//go:build amd64 && !purego

#include "textflag.h"
#include "kquant_amd64.h"

// Row dot products of K-quant weights with Q8_K activations, AVX2+FMA+F16C.
// The float steps follow ggml's AVX2 vec_dot for each type (see dot_amd64.go).
//
// Block layouts (bytes):
//   Q8_K 292: d f32 @0, qs int8[256] @4, bsums int16[16] @260
//   Q4_K 144: d f16 @0, dmin f16 @2, scales [12] @4, qs [128] @16
//   Q5_K 176: d f16 @0, dmin f16 @2, scales [12] @4, qh [32] @16, qs [128] @48
//   Q6_K 210: ql [128] @0, qh [64] @128, scales int8[16] @192, d f16 @208

// k4shuf<>+32*i picks the 16-bit word i of each 128-bit lane into every word.
DATA k4shuf<>+0x00(SB)/8, $0x0100010001000100
DATA k4shuf<>+0x08(SB)/8, $0x0100010001000100
DATA k4shuf<>+0x10(SB)/8, $0x0100010001000100
DATA k4shuf<>+0x18(SB)/8, $0x0100010001000100
DATA k4shuf<>+0x20(SB)/8, $0x0302030203020302
DATA k4shuf<>+0x28(SB)/8, $0x0302030203020302
DATA k4shuf<>+0x30(SB)/8, $0x0302030203020302
DATA k4shuf<>+0x38(SB)/8, $0x0302030203020302
DATA k4shuf<>+0x40(SB)/8, $0x0504050405040504
DATA k4shuf<>+0x48(SB)/8, $0x0504050405040504
DATA k4shuf<>+0x50(SB)/8, $0x0504050405040504
DATA k4shuf<>+0x58(SB)/8, $0x0504050405040504
DATA k4shuf<>+0x60(SB)/8, $0x0706070607060706
DATA k4shuf<>+0x68(SB)/8, $0x0706070607060706
DATA k4shuf<>+0x70(SB)/8, $0x0706070607060706
DATA k4shuf<>+0x78(SB)/8, $0x0706070607060706
DATA k4shuf<>+0x80(SB)/8, $0x0908090809080908
DATA k4shuf<>+0x88(SB)/8, $0x0908090809080908
DATA k4shuf<>+0x90(SB)/8, $0x0908090809080908
DATA k4shuf<>+0x98(SB)/8, $0x0908090809080908
DATA k4shuf<>+0xa0(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA k4shuf<>+0xa8(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA k4shuf<>+0xb0(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA k4shuf<>+0xb8(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA k4shuf<>+0xc0(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA k4shuf<>+0xc8(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA k4shuf<>+0xd0(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA k4shuf<>+0xd8(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA k4shuf<>+0xe0(SB)/8, $0x0f0e0f0e0f0e0f0e
DATA k4shuf<>+0xe8(SB)/8, $0x0f0e0f0e0f0e0f0e
DATA k4shuf<>+0xf0(SB)/8, $0x0f0e0f0e0f0e0f0e
DATA k4shuf<>+0xf8(SB)/8, $0x0f0e0f0e0f0e0f0e
GLOBL k4shuf<>(SB), RODATA|NOPTR, $256

DATA b0f<>+0(SB)/4, $0x0f0f0f0f
GLOBL b0f<>(SB), RODATA|NOPTR, $4
DATA b03<>+0(SB)/4, $0x03030303
GLOBL b03<>(SB), RODATA|NOPTR, $4
DATA b0c<>+0(SB)/4, $0x0c0c0c0c
GLOBL b0c<>(SB), RODATA|NOPTR, $4
DATA b30<>+0(SB)/4, $0x30303030
GLOBL b30<>(SB), RODATA|NOPTR, $4
DATA bc0<>+0(SB)/4, $0xc0c0c0c0
GLOBL bc0<>(SB), RODATA|NOPTR, $4
DATA b01<>+0(SB)/4, $0x01010101
GLOBL b01<>(SB), RODATA|NOPTR, $4

// KSCALES unpacks the 12 packed 6-bit scales and mins at 4(SI) into 8
// scale bytes then 8 min bytes in X6, as ggml's utmp shuffle does.
// Clobbers AX, R10-R13.
#define KSCALES \
	MOVL  4(SI), R10 \
	MOVL  8(SI), R11 \
	MOVL  12(SI), R12 \
	MOVL  R12, AX \
	SHRL  $4, AX \
	ANDL  $0x0f0f0f0f, AX \
	MOVL  R11, R13 \
	SHRL  $6, R13 \
	ANDL  $0x03030303, R13 \
	SHLL  $4, R13 \
	ORL   R13, AX \
	ANDL  $0x0f0f0f0f, R12 \
	MOVL  R10, R13 \
	SHRL  $6, R13 \
	ANDL  $0x03030303, R13 \
	SHLL  $4, R13 \
	ORL   R13, R12 \
	ANDL  $0x3f3f3f3f, R11 \
	ANDL  $0x3f3f3f3f, R10 \
	SHLQ  $32, R12 \
	ORQ   R12, R10 \
	SHLQ  $32, AX \
	ORQ   AX, R11 \
	VMOVQ R10, X6 \
	VPINSRQ $1, R11, X6, X6

// Q4K_STEP does 64 elements (sub-blocks 2j and 2j+1): sumi (Y10) +=
// scale_l*maddubs(q4 lo, q8) + scale_h*maddubs(q4 hi, q8 next 32).
#define Q4K_STEP(j) \
	VPSHUFB      k4shuf<>+(64*j)(SB), Y9, Y11 \
	VPSHUFB      k4shuf<>+(64*j+32)(SB), Y9, Y12 \
	VMOVDQU      (16+32*j)(SI), Y13 \
	VPSRLW       $4, Y13, Y14 \
	VPAND        Y15, Y13, Y13 \
	VPAND        Y15, Y14, Y14 \
	VPMADDUBSW   (4+64*j)(BX), Y13, Y13 \
	VPMADDWD     Y13, Y11, Y13 \
	VPMADDUBSW   (4+64*j+32)(BX), Y14, Y14 \
	VPMADDWD     Y14, Y12, Y14 \
	VPADDD       Y13, Y14, Y13 \
	VPADDD       Y13, Y10, Y10

// func dotRowsQ4KAVX2(w, x *byte, out *float32, rows, nb int)
TEXT ·dotRowsQ4KAVX2(SB), NOSPLIT, $0-40
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ out+16(FP), DX
	MOVQ rows+24(FP), CX
	MOVQ nb+32(FP), R8
	VPBROADCASTD b0f<>(SB), Y15

q4krow:
	VXORPS Y0, Y0, Y0 // acc
	VXORPS X1, X1, X1 // acc_m
	MOVQ   DI, BX
	MOVQ   R8, R9

q4kblock:
	// X2 = [d, dmin] * y.d
	MOVL         (SI), AX
	VMOVD        AX, X2
	VCVTPH2PS    X2, X2
	VBROADCASTSS (BX), X3
	VMULPS       X3, X2, X2
	VBROADCASTSS X2, Y4
	VPERMILPS    $0x55, X2, X5
	KSCALES
	VPMOVZXBW    X6, Y6 // scales (low lane), mins (high lane) as int16

	// acc_m -= dmin * (mins . pairwise bsums)
	VMOVDQU      260(BX), Y7
	VEXTRACTI128 $1, Y7, X8
	VPHADDW      X8, X7, X7
	VEXTRACTI128 $1, Y6, X8
	VPMADDWD     X7, X8, X8
	VCVTDQ2PS    X8, X8
	VFNMADD231PS X8, X5, X1

	VINSERTI128 $1, X6, Y6, Y9 // scales in both lanes
	VPXOR       Y10, Y10, Y10
	Q4K_STEP(0)
	Q4K_STEP(1)
	Q4K_STEP(2)
	Q4K_STEP(3)
	VCVTDQ2PS   Y10, Y10
	VFMADD231PS Y10, Y4, Y0

	ADDQ $144, SI
	ADDQ $292, BX
	DECQ R9
	JNZ  q4kblock

	HSUM8(Y0, X0, X2, X3)
	VMOVHLPS  X1, X1, X3
	VADDPS    X3, X1, X1
	VMOVSHDUP X1, X3
	VADDSS    X3, X1, X1
	VADDSS    X1, X2, X2
	VMOVSS    X2, (DX)
	ADDQ      $4, DX
	DECQ      CX
	JNZ       q4krow
	VZEROUPPER
	RET

// Q5K_STEP does 64 elements: as Q4K_STEP with the fifth bits 2j, 2j+1 of
// qh (Y7) added at bit 4 of each byte.
#define Q5K_STEP(j) \
	VPSHUFB      k4shuf<>+(64*j)(SB), Y9, Y11 \
	VPSHUFB      k4shuf<>+(64*j+32)(SB), Y9, Y12 \
	VMOVDQU      (48+32*j)(SI), Y13 \
	VPSRLW       $4, Y13, Y14 \
	VPAND        Y15, Y13, Y13 \
	VPAND        Y15, Y14, Y14 \
	VPAND        Y7, Y3, Y2 \
	VPSRLW       $(2*j), Y2, Y2 \
	VPSLLW       $4, Y2, Y2 \
	VPADDB       Y2, Y13, Y13 \
	VPADDB       Y3, Y3, Y3 \
	VPAND        Y7, Y3, Y2 \
	VPSRLW       $(2*j+1), Y2, Y2 \
	VPSLLW       $4, Y2, Y2 \
	VPADDB       Y2, Y14, Y14 \
	VPADDB       Y3, Y3, Y3 \
	VPMADDUBSW   (4+64*j)(BX), Y13, Y13 \
	VPMADDWD     Y13, Y11, Y13 \
	VPMADDUBSW   (4+64*j+32)(BX), Y14, Y14 \
	VPMADDWD     Y14, Y12, Y14 \
	VPADDD       Y13, Y14, Y13 \
	VPADDD       Y13, Y10, Y10

// func dotRowsQ5KAVX2(w, x *byte, out *float32, rows, nb int)
TEXT ·dotRowsQ5KAVX2(SB), NOSPLIT, $0-40
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ out+16(FP), DX
	MOVQ rows+24(FP), CX
	MOVQ nb+32(FP), R8
	VPBROADCASTD b0f<>(SB), Y15

q5krow:
	VXORPS Y0, Y0, Y0 // acc
	VXORPS X1, X1, X1 // summs (scalar)
	MOVQ   DI, BX
	MOVQ   R8, R9

q5kblock:
	MOVL         (SI), AX
	VMOVD        AX, X2
	VCVTPH2PS    X2, X2
	VBROADCASTSS (BX), X3
	VMULPS       X3, X2, X2
	VBROADCASTSS X2, Y4
	VMOVSHDUP    X2, X5 // dmin in lane 0
	KSCALES
	VPMOVZXBW    X6, Y6

	// summs -= dmin * float(sum of mins . pairwise bsums)
	VMOVDQU      260(BX), Y7
	VEXTRACTI128 $1, Y7, X8
	VPHADDW      X8, X7, X7
	VEXTRACTI128 $1, Y6, X8
	VPMADDWD     X7, X8, X8
	VPSHUFD      $0x4e, X8, X2
	VPADDD       X2, X8, X8
	VPSHUFD      $0xb1, X8, X2
	VPADDD       X2, X8, X8
	VCVTDQ2PS    X8, X8
	VFNMADD231SS X8, X5, X1

	VINSERTI128  $1, X6, Y6, Y9
	VMOVDQU      16(SI), Y7 // qh
	VPBROADCASTD b01<>(SB), Y3 // hmask
	VPXOR        Y10, Y10, Y10
	Q5K_STEP(0)
	Q5K_STEP(1)
	Q5K_STEP(2)
	Q5K_STEP(3)
	VCVTDQ2PS    Y10, Y10
	VFMADD231PS  Y10, Y4, Y0

	ADDQ $176, SI
	ADDQ $292, BX
	DECQ R9
	JNZ  q5kblock

	HSUM8(Y0, X0, X2, X3)
	VADDSS X1, X2, X2
	VMOVSS X2, (DX)
	ADDQ   $4, DX
	DECQ   CX
	JNZ    q5krow
	VZEROUPPER
	RET

// Q6K_STEP does 128 elements (half h of the block): four 32-element
// vectors of 6-bit values times q8, each scaled by two sub-block scales.
#define Q6K_STEP(h) \
	VMOVDQU    (64*h)(SI), Y2 \
	VMOVDQU    (64*h+32)(SI), Y3 \
	VMOVDQU    (128+32*h)(SI), Y4 \
	VPAND      Y15, Y2, Y11 \
	VPAND      Y15, Y3, Y12 \
	VPSRLW     $4, Y2, Y2 \
	VPSRLW     $4, Y3, Y3 \
	VPAND      Y15, Y2, Y2 \
	VPAND      Y15, Y3, Y3 \
	VPAND      Y14, Y4, Y5 \
	VPSLLW     $4, Y5, Y5 \
	VPOR       Y5, Y11, Y11 \
	VPAND      Y13, Y4, Y5 \
	VPSLLW     $2, Y5, Y5 \
	VPOR       Y5, Y12, Y12 \
	VPAND      Y1, Y4, Y5 \
	VPOR       Y5, Y2, Y2 \
	VPAND      Y8, Y4, Y5 \
	VPSRLW     $2, Y5, Y5 \
	VPOR       Y5, Y3, Y3 \
	VPMADDUBSW (4+128*h)(BX), Y11, Y11 \
	VPMADDUBSW (4+128*h+32)(BX), Y12, Y12 \
	VPMADDUBSW (4+128*h+64)(BX), Y2, Y2 \
	VPMADDUBSW (4+128*h+96)(BX), Y3, Y3 \
	VPSHUFB    q6shuf<>+(64*h)(SB), X6, X5 \
	VPMOVSXBW  X5, Y5 \
	VPMADDWD   Y11, Y5, Y11 \
	VPSHUFB    q6shuf<>+(64*h+16)(SB), X6, X5 \
	VPMOVSXBW  X5, Y5 \
	VPMADDWD   Y12, Y5, Y12 \
	VPSHUFB    q6shuf<>+(64*h+32)(SB), X6, X5 \
	VPMOVSXBW  X5, Y5 \
	VPMADDWD   Y2, Y5, Y2 \
	VPSHUFB    q6shuf<>+(64*h+48)(SB), X6, X5 \
	VPMOVSXBW  X5, Y5 \
	VPMADDWD   Y3, Y5, Y3 \
	VPADDD     Y11, Y12, Y11 \
	VPADDD     Y11, Y10, Y10 \
	VPADDD     Y2, Y3, Y2 \
	VPADDD     Y2, Y10, Y10

#define Q6K_PF 1536

// func dotRowsQ6KAVX2(w, x *byte, out *float32, rows, nb int)
TEXT ·dotRowsQ6KAVX2(SB), NOSPLIT, $0-40
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ out+16(FP), DX
	MOVQ rows+24(FP), CX
	MOVQ nb+32(FP), R8
	VPBROADCASTD b0f<>(SB), Y15
	VPBROADCASTD b03<>(SB), Y14
	VPBROADCASTD b0c<>(SB), Y13
	VPBROADCASTD b30<>(SB), Y1
	VPBROADCASTD bc0<>(SB), Y8

q6krow:
	VXORPS Y0, Y0, Y0 // acc
	MOVQ   DI, BX
	MOVQ   R8, R9

q6kblock:
	// Decode streams short rows in chunks whose ends the hardware
	// prefetcher does not see coming: fetch Q6K_PF bytes ahead.
	PREFETCHT0 Q6K_PF(SI)
	PREFETCHT0 (Q6K_PF+64)(SI)
	PREFETCHT0 (Q6K_PF+128)(SI)
	PREFETCHT0 (Q6K_PF+192)(SI)

	// Y9 = d (f16 @208) * y.d
	MOVWLZX      208(SI), AX
	VMOVD        AX, X9
	VCVTPH2PS    X9, X9
	VMULSS       (BX), X9, X9
	VBROADCASTSS X9, Y9

	// Y7 = 32 * (bsums . scales) pairwise, subtracted at the end.
	VMOVDQU   192(SI), X6
	VPMOVSXBW X6, Y7
	VPMADDWD  260(BX), Y7, Y7
	VPSLLD    $5, Y7, Y7

	VPXOR Y10, Y10, Y10
	Q6K_STEP(0)
	Q6K_STEP(1)
	VPSUBD      Y7, Y10, Y10
	VCVTDQ2PS   Y10, Y10
	VFMADD231PS Y10, Y9, Y0

	ADDQ $210, SI
	ADDQ $292, BX
	DECQ R9
	JNZ  q6kblock

	HSUM8(Y0, X0, X2, X3)
	VMOVSS X2, (DX)
	ADDQ   $4, DX
	DECQ   CX
	JNZ    q6krow
	VZEROUPPER
	RET
