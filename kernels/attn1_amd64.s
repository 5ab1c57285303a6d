//go:build amd64 && !purego

#include "textflag.h"

// The two loops of the one-chunk attention (attendOnline) over many cells
// and the query heads that share them per call: the scores (ggml_vec_dot_f16
// of each key row with each f16-rounded query, as dotF16F32AVX2) and the
// f16 value accumulation (per cell and head, the scaling by ms when it is
// not 1, as scaleF16AVX2, then the fma with vs, as madF16AVX2). Element for
// element the per-cell helpers.

DATA attnOne<>+0(SB)/4, $0x3f800000
GLOBL attnOne<>(SB), RODATA|NOPTR, $4

// func dotF16CellsGAVX2(k *uint16, stride int, q *float32, d, n, nh int, out *float32, ostride int)
// For cells j < n and heads h < nh: the dot of the key row at k + j*stride
// bytes with head h's query at q + h*d floats (d a multiple of 32), into
// out + h*ostride bytes + 4j. The key row is read from memory once for all
// heads.
TEXT ·dotF16CellsGAVX2(SB), NOSPLIT, $0-64
	MOVQ k+0(FP), R8
	MOVQ n+32(FP), R12
	MOVQ out+48(FP), DI
	MOVQ d+24(FP), R11
	SHLQ $2, R11        // bytes of one query head
	XORQ R9, R9       // cell offset into each head's scores
	MOVQ stride+8(FP), AX
	SHLQ $3, AX         // eight cells on

dgcell:
	// The key row eight cells on (256 bytes: a 128-wide head), ahead of
	// the hardware prefetcher where the rows are apart (stride > d).
	PREFETCHT0 (R8)(AX*1)
	PREFETCHT0 64(R8)(AX*1)
	PREFETCHT0 128(R8)(AX*1)
	PREFETCHT0 192(R8)(AX*1)
	MOVQ q+16(FP), R10
	MOVQ nh+40(FP), R13
	MOVQ DI, R14

dghead:
	MOVQ   R8, SI
	MOVQ   R10, BX
	MOVQ   d+24(FP), CX
	SHRQ   $5, CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3

dgloop:
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
	JNZ         dgloop

	VADDPS       Y2, Y0, Y0
	VADDPS       Y3, Y1, Y1
	VADDPS       Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	VHADDPS      X0, X0, X0
	VHADDPS      X0, X0, X0
	VMOVSS       X0, (R14)(R9*1)
	ADDQ         R11, R10
	ADDQ         ostride+56(FP), R14
	DECQ         R13
	JNZ          dghead

	ADDQ $4, R9
	ADDQ stride+8(FP), R8
	DECQ R12
	JNZ  dgcell
	VZEROUPPER
	RET

// func madF16CellsGAVX2(acc, v *uint16, stride, d, n, nh int, ms, vs *float32, mstride int)
// For cells j < n and heads h < nh, with head h's accumulator at acc + h*d
// elements (d a multiple of 8) and its factors at ms, vs + h*mstride bytes:
// if ms[j] != 1, acc = f16(acc*ms[j]); then acc = f16(fma(v_j, vs[j], acc)),
// v_j at v + j*stride bytes.
//
// Per head, a slice of the accumulator (64 elements while there are, then
// 32, then 8) stays in registers for all n cells, as float32 rounded to f16
// after every step (VCVTPS2PH then VCVTPH2PS between registers: the values
// the f16 accumulator in memory would hold), and is stored once.
// Y0-Y7 the slice, Y12 ms[j], Y13 vs[j], Y14 v_j, X15 1.

// MGMAD: acc = f16(fma(v_j, vs, acc)) for the 8 elements at off in the slice.
#define MGMAD(off, Y, X) VCVTPH2PS off(SI), Y14; VFMADD231PS Y13, Y14, Y; VCVTPS2PH $0, Y, X; VCVTPH2PS X, Y

// MGSCALE: acc = f16(acc*ms).
#define MGSCALE(Y, X) VMULPS Y12, Y, Y; VCVTPS2PH $0, Y, X; VCVTPH2PS X, Y

TEXT ·madF16CellsGAVX2(SB), NOSPLIT, $0-72
	MOVQ   acc+0(FP), R12
	MOVQ   stride+16(FP), BX
	LEAQ   (BX*8), AX // eight cells on
	MOVQ   ms+48(FP), R13
	MOVQ   vs+56(FP), R14
	MOVQ   nh+40(FP), R9
	VMOVSS attnOne<>(SB), X15

mghead:
	MOVQ R12, DI
	MOVQ v+8(FP), R8
	MOVQ d+24(FP), DX // elements left in this head

mgs64:
	CMPQ DX, $64
	JLT  mgs32
	VCVTPH2PS 0(DI), Y0
	VCVTPH2PS 16(DI), Y1
	VCVTPH2PS 32(DI), Y2
	VCVTPH2PS 48(DI), Y3
	VCVTPH2PS 64(DI), Y4
	VCVTPH2PS 80(DI), Y5
	VCVTPH2PS 96(DI), Y6
	VCVTPH2PS 112(DI), Y7
	MOVQ R8, SI
	MOVQ n+32(FP), CX
	XORQ R10, R10

mgc64:
	// The slice eight cells on (see dgcell).
	PREFETCHT0 (SI)(AX*1)
	PREFETCHT0 64(SI)(AX*1)
	VMOVSS   (R13)(R10*1), X12
	VUCOMISS X15, X12
	JNE      mgsc64
	JP       mgsc64

mgm64:
	VBROADCASTSS (R14)(R10*1), Y13
	MGMAD(0, Y0, X0)
	MGMAD(16, Y1, X1)
	MGMAD(32, Y2, X2)
	MGMAD(48, Y3, X3)
	MGMAD(64, Y4, X4)
	MGMAD(80, Y5, X5)
	MGMAD(96, Y6, X6)
	MGMAD(112, Y7, X7)
	ADDQ BX, SI
	ADDQ $4, R10
	DECQ CX
	JNZ  mgc64
	VCVTPS2PH $0, Y0, 0(DI)
	VCVTPS2PH $0, Y1, 16(DI)
	VCVTPS2PH $0, Y2, 32(DI)
	VCVTPS2PH $0, Y3, 48(DI)
	VCVTPS2PH $0, Y4, 64(DI)
	VCVTPS2PH $0, Y5, 80(DI)
	VCVTPS2PH $0, Y6, 96(DI)
	VCVTPS2PH $0, Y7, 112(DI)
	ADDQ $128, DI
	ADDQ $128, R8
	SUBQ $64, DX
	JMP  mgs64

mgsc64:
	VBROADCASTSS X12, Y12
	MGSCALE(Y0, X0)
	MGSCALE(Y1, X1)
	MGSCALE(Y2, X2)
	MGSCALE(Y3, X3)
	MGSCALE(Y4, X4)
	MGSCALE(Y5, X5)
	MGSCALE(Y6, X6)
	MGSCALE(Y7, X7)
	JMP mgm64

mgs32:
	CMPQ DX, $32
	JLT  mgs8
	VCVTPH2PS 0(DI), Y0
	VCVTPH2PS 16(DI), Y1
	VCVTPH2PS 32(DI), Y2
	VCVTPH2PS 48(DI), Y3
	MOVQ R8, SI
	MOVQ n+32(FP), CX
	XORQ R10, R10

mgc32:
	PREFETCHT0 (SI)(AX*1)
	VMOVSS   (R13)(R10*1), X12
	VUCOMISS X15, X12
	JNE      mgsc32
	JP       mgsc32

mgm32:
	VBROADCASTSS (R14)(R10*1), Y13
	MGMAD(0, Y0, X0)
	MGMAD(16, Y1, X1)
	MGMAD(32, Y2, X2)
	MGMAD(48, Y3, X3)
	ADDQ BX, SI
	ADDQ $4, R10
	DECQ CX
	JNZ  mgc32
	VCVTPS2PH $0, Y0, 0(DI)
	VCVTPS2PH $0, Y1, 16(DI)
	VCVTPS2PH $0, Y2, 32(DI)
	VCVTPS2PH $0, Y3, 48(DI)
	ADDQ $64, DI
	ADDQ $64, R8
	SUBQ $32, DX
	JMP  mgs32

mgsc32:
	VBROADCASTSS X12, Y12
	MGSCALE(Y0, X0)
	MGSCALE(Y1, X1)
	MGSCALE(Y2, X2)
	MGSCALE(Y3, X3)
	JMP mgm32

mgs8:
	CMPQ DX, $8
	JLT  mgnext
	VCVTPH2PS 0(DI), Y0
	MOVQ R8, SI
	MOVQ n+32(FP), CX
	XORQ R10, R10

mgc8:
	VMOVSS   (R13)(R10*1), X12
	VUCOMISS X15, X12
	JNE      mgsc8
	JP       mgsc8

mgm8:
	VBROADCASTSS (R14)(R10*1), Y13
	MGMAD(0, Y0, X0)
	ADDQ BX, SI
	ADDQ $4, R10
	DECQ CX
	JNZ  mgc8
	VCVTPS2PH $0, Y0, 0(DI)
	ADDQ $16, DI
	ADDQ $16, R8
	SUBQ $8, DX
	JMP  mgs8

mgsc8:
	VBROADCASTSS X12, Y12
	MGSCALE(Y0, X0)
	JMP mgm8

mgnext:
	MOVQ DI, R12
	ADDQ mstride+64(FP), R13
	ADDQ mstride+64(FP), R14
	DECQ R9
	JNZ  mghead
	VZEROUPPER
	RET
