//go:build amd64 && !purego

#include "textflag.h"
#include "kquant_amd64.h"

// Row dot products of Q8_0 and Q4_0 weights with Q8_0 activations,
// AVX2+FMA+F16C, in the order of ggml's AVX2 vec_dot (see dot_amd64.go).
//
// Block layouts (bytes):
//   Q8_0 34: d f16 @0, qs int8[32] @2
//   Q4_0 18: d f16 @0, qs [16] @2 (element j low nibble, j+16 high nibble)

DATA q8b0f<>+0(SB)/4, $0x0f0f0f0f
GLOBL q8b0f<>(SB), RODATA|NOPTR, $4
DATA q8b08<>+0(SB)/4, $0x08080808
GLOBL q8b08<>(SB), RODATA|NOPTR, $4
DATA q8w1<>+0(SB)/4, $0x00010001
GLOBL q8w1<>(SB), RODATA|NOPTR, $4

// BLOCKSCALE sets Y4 to f16(w scale at (SI)) * f16(x scale at (BX)) in
// every lane. Clobbers AX, R10, X5.
#define BLOCKSCALE \
	MOVWLZX      (SI), AX \
	MOVWLZX      (BX), R10 \
	SHLL         $16, R10 \
	ORL          R10, AX \
	VMOVD        AX, X4 \
	VCVTPH2PS    X4, X4 \
	VMOVSHDUP    X4, X5 \
	VMULSS       X5, X4, X4 \
	VBROADCASTSS X4, Y4

// SIGNED_DOT: Y2 (weights, int8) . Y3 (activations, int8) as ggml's
// mul_sum_i8_pairs_float: |w| times sign-adjusted x, pairs to int16 then
// to int32, converted to float, then Y0 += Y4 * that.
#define SIGNED_DOT \
	VPSIGNB     Y2, Y2, Y5 \
	VPSIGNB     Y2, Y3, Y3 \
	VPMADDUBSW  Y3, Y5, Y3 \
	VPMADDWD    Y3, Y15, Y3 \
	VCVTDQ2PS   Y3, Y3 \
	VFMADD231PS Y3, Y4, Y0

// Q8_PF is how far ahead of the block it reads dotRowsQ8_0AVX2 prefetches
// the weights: decode streams short rows in chunks whose ends the hardware
// prefetcher does not see coming.
#define Q8_PF 1536

// func dotRowsQ8_0AVX2(w, x *byte, out *float32, rows, nb int)
TEXT ·dotRowsQ8_0AVX2(SB), NOSPLIT, $0-40
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ out+16(FP), DX
	MOVQ rows+24(FP), CX
	MOVQ nb+32(FP), R8
	VPBROADCASTD q8w1<>(SB), Y15

q80row:
	VXORPS Y0, Y0, Y0
	MOVQ   DI, BX
	MOVQ   R8, R9

q80block:
	PREFETCHT0 Q8_PF(SI)
	BLOCKSCALE
	VMOVDQU 2(SI), Y2
	VMOVDQU 2(BX), Y3
	SIGNED_DOT
	ADDQ    $34, SI
	ADDQ    $34, BX
	DECQ    R9
	JNZ     q80block

	HSUM8(Y0, X0, X2, X3)
	VMOVSS X2, (DX)
	ADDQ   $4, DX
	DECQ   CX
	JNZ    q80row
	VZEROUPPER
	RET

// func dotRowsQ4_0AVX2(w, x *byte, out *float32, rows, nb int)
TEXT ·dotRowsQ4_0AVX2(SB), NOSPLIT, $0-40
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ out+16(FP), DX
	MOVQ rows+24(FP), CX
	MOVQ nb+32(FP), R8
	VPBROADCASTD q8w1<>(SB), Y15
	VPBROADCASTD q8b0f<>(SB), Y14
	VPBROADCASTD q8b08<>(SB), Y13

q40row:
	VXORPS Y0, Y0, Y0
	MOVQ   DI, BX
	MOVQ   R8, R9

q40block:
	BLOCKSCALE
	VMOVDQU     2(SI), X2
	VPSRLW      $4, X2, X3
	VINSERTI128 $1, X3, Y2, Y2
	VPAND       Y14, Y2, Y2
	VPSUBB      Y13, Y2, Y2
	VMOVDQU     2(BX), Y3
	SIGNED_DOT
	ADDQ        $18, SI
	ADDQ        $34, BX
	DECQ        R9
	JNZ         q40block

	HSUM8(Y0, X0, X2, X3)
	VMOVSS X2, (DX)
	ADDQ   $4, DX
	DECQ   CX
	JNZ    q40row
	VZEROUPPER
	RET

// Q80_TOK(y, off): token t's block at off: acc_t (y) += d_t * i8 dot.
#define Q80_TOK(y, xb, t) \
	VMOVDQU      2 xb, Y6 \
	VPSIGNB      Y5, Y6, Y6 \
	VPMADDUBSW   Y6, Y4, Y6 \
	VPMADDWD     Y6, Y15, Y6 \
	VCVTDQ2PS    Y6, Y6 \
	VBROADCASTSS (4*t)(SP), Y7 \
	VFMADD231PS  Y6, Y7, y

// func dotRows4Q8_0AVX2(w, x *byte, xStride int, out *float32, outStride, rows, nb int)
// Four-token form of dotRowsQ8_0AVX2: each weight block is loaded, its
// absolute values and scale computed once for four activation rows; every
// (row, token) result takes the one-token kernel's steps.
TEXT ·dotRows4Q8_0AVX2(SB), $32-56
	MOVQ w+0(FP), SI
	MOVQ xStride+16(FP), R11
	MOVQ out+24(FP), DX
	MOVQ outStride+32(FP), CX
	MOVQ rows+40(FP), R8
	LEAQ (R11)(R11*1), R12
	LEAQ (R12)(R11*1), R13
	VPBROADCASTD q8w1<>(SB), Y15

q804row:
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	MOVQ   x+8(FP), BX
	MOVQ   nb+48(FP), R9

q804block:
	// d_t = f16(w.d) * f16(x_t.d) for the four tokens, to 0..15(SP)
	VPINSRW      $0, (BX), X8, X8
	VPINSRW      $1, (BX)(R11*1), X8, X8
	VPINSRW      $2, (BX)(R12*1), X8, X8
	VPINSRW      $3, (BX)(R13*1), X8, X8
	VCVTPH2PS    X8, X8
	MOVWLZX      (SI), AX
	VMOVD        AX, X9
	VCVTPH2PS    X9, X9
	VBROADCASTSS X9, X9
	VMULPS       X8, X9, X9
	VMOVUPS      X9, 0(SP)
	VMOVDQU      2(SI), Y5
	VPSIGNB      Y5, Y5, Y4
	Q80_TOK(Y0, (BX), 0)
	Q80_TOK(Y1, (BX)(R11*1), 1)
	Q80_TOK(Y2, (BX)(R12*1), 2)
	Q80_TOK(Y3, (BX)(R13*1), 3)
	ADDQ $34, SI
	ADDQ $34, BX
	DECQ R9
	JNZ  q804block

	HSUM8(Y0, X0, X8, X9)
	VMOVSS X8, (DX)
	HSUM8(Y1, X1, X8, X9)
	VMOVSS X8, (DX)(CX*1)
	LEAQ   (DX)(CX*2), AX
	HSUM8(Y2, X2, X8, X9)
	VMOVSS X8, (AX)
	HSUM8(Y3, X3, X8, X9)
	VMOVSS X8, (AX)(CX*1)
	ADDQ   $4, DX
	DECQ   R8
	JNZ    q804row
	VZEROUPPER
	RET

// Q80_PAIR(wsrc, wabs, acc, soff): one (row, token) pair of the 2×4 kernel
// for the token block in Y12: acc += f32(scale at soff(SP)) * i8 dot, the
// one-token kernel's steps.
#define Q80_PAIR(wsrc, wabs, acc, soff) \
	VPSIGNB      wsrc, Y12, Y13 \
	VPMADDUBSW   Y13, wabs, Y13 \
	VPMADDWD     Y13, Y15, Y13 \
	VCVTDQ2PS    Y13, Y13 \
	VBROADCASTSS soff(SP), Y14 \
	VFMADD231PS  Y13, Y14, acc

// Q80_TOK2(xb, t): token t's block at xb against both rows.
#define Q80_TOK2(xb, t, acc0, acc1) \
	VMOVDQU 2 xb, Y12 \
	Q80_PAIR(Y10, Y8, acc0, (4*t)) \
	Q80_PAIR(Y11, Y9, acc1, (16+4*t))

// func dotRows2x4Q8_0AVX2(w *byte, rowBytes int, x *byte, xStride int, out *float32, outStride, pairs, nb int)
// Two weight rows (rowBytes apart) × four tokens per step: each weight
// block and each activation block is loaded once for the tile; every
// (row, token) result takes the one-token kernel's steps. Row pair p is
// rows 2p and 2p+1 (w + 2p*rowBytes); their results go to out[2p], out[2p+1]
// of each token.
TEXT ·dotRows2x4Q8_0AVX2(SB), $32-64
	MOVQ w+0(FP), SI
	MOVQ rowBytes+8(FP), R10
	MOVQ xStride+24(FP), R11
	MOVQ out+32(FP), DX
	MOVQ outStride+40(FP), CX
	MOVQ pairs+48(FP), R8
	LEAQ (R11)(R11*1), R12
	LEAQ (R12)(R11*1), R13
	VPBROADCASTD q8w1<>(SB), Y15

q8024pair:
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	MOVQ   x+16(FP), BX
	MOVQ   nb+56(FP), R9

q8024block:
	// The next pair's rows at this block, a pair ahead of the loads: the
	// tile streams two rows at a time, too few for the hardware prefetcher
	// to hide the memory's latency (-30% from DRAM without this).
	LEAQ       (SI)(R10*2), R14
	PREFETCHT0 (R14)
	PREFETCHT0 (R14)(R10*1)

	// scale(row r, token t) = f16(w_r.d) * f16(x_t.d) at (16r+4t)(SP)
	VPINSRW      $0, (BX), X12, X12
	VPINSRW      $1, (BX)(R11*1), X12, X12
	VPINSRW      $2, (BX)(R12*1), X12, X12
	VPINSRW      $3, (BX)(R13*1), X12, X12
	VCVTPH2PS    X12, X12
	MOVWLZX      (SI), AX
	MOVWLZX      (SI)(R10*1), DI
	SHLL         $16, DI
	ORL          DI, AX
	VMOVD        AX, X13
	VCVTPH2PS    X13, X13
	VBROADCASTSS X13, X14
	VMULPS       X12, X14, X14
	VMOVUPS      X14, 0(SP)
	VMOVSHDUP    X13, X13
	VBROADCASTSS X13, X14
	VMULPS       X12, X14, X14
	VMOVUPS      X14, 16(SP)
	VMOVDQU      2(SI), Y10
	VMOVDQU      2(SI)(R10*1), Y11
	VPSIGNB      Y10, Y10, Y8
	VPSIGNB      Y11, Y11, Y9
	Q80_TOK2((BX), 0, Y0, Y4)
	Q80_TOK2((BX)(R11*1), 1, Y1, Y5)
	Q80_TOK2((BX)(R12*1), 2, Y2, Y6)
	Q80_TOK2((BX)(R13*1), 3, Y3, Y7)
	ADDQ $34, SI
	ADDQ $34, BX
	DECQ R9
	JNZ  q8024block

	// SI is at the second row of the pair; the next pair starts a row on.
	ADDQ   R10, SI
	LEAQ   (DX)(CX*2), AX
	HSUM8(Y0, X0, X8, X9)
	VMOVSS X8, (DX)
	HSUM8(Y4, X4, X8, X9)
	VMOVSS X8, 4(DX)
	HSUM8(Y1, X1, X8, X9)
	VMOVSS X8, (DX)(CX*1)
	HSUM8(Y5, X5, X8, X9)
	VMOVSS X8, 4(DX)(CX*1)
	HSUM8(Y2, X2, X8, X9)
	VMOVSS X8, (AX)
	HSUM8(Y6, X6, X8, X9)
	VMOVSS X8, 4(AX)
	HSUM8(Y3, X3, X8, X9)
	VMOVSS X8, (AX)(CX*1)
	HSUM8(Y7, X7, X8, X9)
	VMOVSS X8, 4(AX)(CX*1)
	ADDQ   $8, DX
	DECQ   R8
	JNZ    q8024pair
	VZEROUPPER
	RET
