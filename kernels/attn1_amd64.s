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
// v_j at v + j*stride bytes. The value row is read from memory once for all
// heads.
TEXT ·madF16CellsGAVX2(SB), NOSPLIT, $0-72
	MOVQ   v+8(FP), R8
	MOVQ   n+32(FP), R12
	MOVQ   d+24(FP), R11
	SHRQ   $3, R11
	XORQ   R10, R10 // cell offset into each head's ms and vs
	VMOVSS attnOne<>(SB), X6
	MOVQ   stride+16(FP), BX
	SHLQ   $3, BX // eight cells on

mgcell:
	// The value row eight cells on (see dgcell).
	PREFETCHT0 (R8)(BX*1)
	PREFETCHT0 64(R8)(BX*1)
	PREFETCHT0 128(R8)(BX*1)
	PREFETCHT0 192(R8)(BX*1)
	MOVQ acc+0(FP), DI
	MOVQ ms+48(FP), R13
	MOVQ vs+56(FP), R14
	MOVQ nh+40(FP), R9

mghead:
	VMOVSS   (R13)(R10*1), X1
	VUCOMISS X6, X1
	JNE      mgscale
	JP       mgscale
	JMP      mgmad

mgscale:
	VBROADCASTSS X1, Y1
	MOVQ         DI, DX
	MOVQ         R11, CX

mgsloop:
	VCVTPH2PS (DX), Y2
	VMULPS    Y1, Y2, Y2
	VCVTPS2PH $0, Y2, (DX)
	ADDQ      $16, DX
	DECQ      CX
	JNZ       mgsloop

mgmad:
	VBROADCASTSS (R14)(R10*1), Y1
	MOVQ         DI, DX
	MOVQ         R8, SI
	MOVQ         R11, CX

mgmloop:
	VCVTPH2PS   (SI), Y2
	VCVTPH2PS   (DX), Y3
	VFMADD231PS Y1, Y2, Y3
	VCVTPS2PH   $0, Y3, (DX)
	ADDQ        $16, SI
	ADDQ        $16, DX
	DECQ        CX
	JNZ         mgmloop

	MOVQ d+24(FP), AX
	LEAQ (DI)(AX*2), DI
	ADDQ mstride+64(FP), R13
	ADDQ mstride+64(FP), R14
	DECQ R9
	JNZ  mghead

	ADDQ $4, R10
	ADDQ stride+16(FP), R8
	DECQ R12
	JNZ  mgcell
	VZEROUPPER
	RET
