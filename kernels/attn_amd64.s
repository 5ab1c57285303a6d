//go:build amd64 && !purego

#include "textflag.h"

// AVX2+FMA+F16C kernels of one query row of AttendTiled (see
// attendTiledGeneric): the scores of a KV tile and the value accumulation.
// Each float result is computed by the same chain of fused multiply-adds
// (VFMADD231PS rounds once, as quant.FMA32 does) in the same order as the
// Go reference, so the results are identical bit for bit.

// Lane numbers 0..7 as int32.
DATA attnIota<>+0x00(SB)/8, $0x0000000100000000
DATA attnIota<>+0x08(SB)/8, $0x0000000300000002
DATA attnIota<>+0x10(SB)/8, $0x0000000500000004
DATA attnIota<>+0x18(SB)/8, $0x0000000700000006
GLOBL attnIota<>(SB), RODATA|NOPTR, $32

// SCORE_GROUP adds to ACC (the scores of 8 KV rows, one row a lane) the
// products of the next 8 head dims: the row pointers of the group are at
// OFF(SP) .. OFF+56(SP), DX is the byte offset of the dims in a row and
// R12 points at q of the first of them. The 8×8 block of float16 is
// transposed in three unpack stages (words, dwords, qwords) so that each
// XMM holds one dim of the 8 rows, widened by VCVTPH2PS and multiplied by
// the broadcast q element into the row's chain: acc = fma(k, q, acc), dim
// after dim. Uses X4..X14 and AX.
#define SCORE_GROUP(OFF, ACC) \
	MOVQ        OFF+0(SP), AX    \
	VMOVDQU     (AX)(DX*1), X4   \
	MOVQ        OFF+8(SP), AX    \
	VMOVDQU     (AX)(DX*1), X5   \
	MOVQ        OFF+16(SP), AX   \
	VMOVDQU     (AX)(DX*1), X6   \
	MOVQ        OFF+24(SP), AX   \
	VMOVDQU     (AX)(DX*1), X7   \
	MOVQ        OFF+32(SP), AX   \
	VMOVDQU     (AX)(DX*1), X8   \
	MOVQ        OFF+40(SP), AX   \
	VMOVDQU     (AX)(DX*1), X9   \
	MOVQ        OFF+48(SP), AX   \
	VMOVDQU     (AX)(DX*1), X10  \
	MOVQ        OFF+56(SP), AX   \
	VMOVDQU     (AX)(DX*1), X11  \
	VPUNPCKLWD  X5, X4, X12      \
	VPUNPCKHWD  X5, X4, X5       \
	VPUNPCKLWD  X7, X6, X4       \
	VPUNPCKHWD  X7, X6, X7       \
	VPUNPCKLWD  X9, X8, X6       \
	VPUNPCKHWD  X9, X8, X9       \
	VPUNPCKLWD  X11, X10, X8     \
	VPUNPCKHWD  X11, X10, X11    \
	VPUNPCKLDQ  X4, X12, X10     \
	VPUNPCKHDQ  X4, X12, X4      \
	VPUNPCKLDQ  X7, X5, X12      \
	VPUNPCKHDQ  X7, X5, X7       \
	VPUNPCKLDQ  X8, X6, X5       \
	VPUNPCKHDQ  X8, X6, X8       \
	VPUNPCKLDQ  X11, X9, X6      \
	VPUNPCKHDQ  X11, X9, X11     \
	VPUNPCKLQDQ X5, X10, X9      \
	VCVTPH2PS   X9, Y13          \
	VBROADCASTSS 0(R12), Y14     \
	VFMADD231PS Y14, Y13, ACC    \
	VPUNPCKHQDQ X5, X10, X9      \
	VCVTPH2PS   X9, Y13          \
	VBROADCASTSS 4(R12), Y14     \
	VFMADD231PS Y14, Y13, ACC    \
	VPUNPCKLQDQ X8, X4, X9       \
	VCVTPH2PS   X9, Y13          \
	VBROADCASTSS 8(R12), Y14     \
	VFMADD231PS Y14, Y13, ACC    \
	VPUNPCKHQDQ X8, X4, X9       \
	VCVTPH2PS   X9, Y13          \
	VBROADCASTSS 12(R12), Y14    \
	VFMADD231PS Y14, Y13, ACC    \
	VPUNPCKLQDQ X6, X12, X9      \
	VCVTPH2PS   X9, Y13          \
	VBROADCASTSS 16(R12), Y14    \
	VFMADD231PS Y14, Y13, ACC    \
	VPUNPCKHQDQ X6, X12, X9      \
	VCVTPH2PS   X9, Y13          \
	VBROADCASTSS 20(R12), Y14    \
	VFMADD231PS Y14, Y13, ACC    \
	VPUNPCKLQDQ X11, X7, X9      \
	VCVTPH2PS   X9, Y13          \
	VBROADCASTSS 24(R12), Y14    \
	VFMADD231PS Y14, Y13, ACC    \
	VPUNPCKHQDQ X11, X7, X9      \
	VCVTPH2PS   X9, Y13          \
	VBROADCASTSS 28(R12), Y14    \
	VFMADD231PS Y14, Y13, ACC

// SCORE_STORE scales the 8 scores of ACC (s *= scale, the scale in Y15),
// sets the lanes of rows at or past rows (R10) or before lo (R12) to -inf
// and stores them at OFF(R11), R11 pointing at kq of the half tile whose
// first row is BX; Y11 holds the lane numbers. Uses AX, Y12 and Y13.
#define SCORE_STORE(OFF, ACC) \
	VMULPS       Y15, ACC, ACC         \
	MOVQ         R10, AX               \
	SUBQ         BX, AX                \
	SUBQ         $(OFF/4), AX          \
	VMOVQ        AX, X13               \
	VPBROADCASTD X13, Y13              \
	VPCMPGTD     Y11, Y13, Y13         \
	MOVQ         R12, AX               \
	SUBQ         BX, AX                \
	SUBQ         $(OFF/4+1), AX        \
	VMOVQ        AX, X12               \
	VPBROADCASTD X12, Y12              \
	VPCMPGTD     Y12, Y11, Y12         \
	VPAND        Y12, Y13, Y13         \
	VBLENDVPS    Y13, ACC, Y14, ACC    \
	VMOVUPS      ACC, OFF(R11)

// func attnScoresAVX2(q *float32, k *uint16, strideBytes, d, rows, lo int, scale float32, kq *float32) float32
//
// kq[t] = scale * (fma chain over i < d of k[t][i]*q[i], from +0) for
// lo <= t < rows, kq[t] = -inf for t < lo (masked) and rows <= t < 64
// (padding), k[t] being the float16 row at k + t*strideBytes; returns the
// maximum of kq[0:64]. d is a positive multiple of 8, 1 <= rows <= 64,
// 0 <= lo < rows. The rows are taken 32 at a time (four 8-lane chains
// interleaved); the pointer table on the stack repeats row 0 for rows
// past the end, whose lanes are then overwritten with -inf.
TEXT ·attnScoresAVX2(SB), NOSPLIT, $256-68
	MOVQ q+0(FP), DI
	MOVQ k+8(FP), SI
	MOVQ strideBytes+16(FP), R8
	MOVQ d+24(FP), R9
	MOVQ rows+32(FP), R10
	MOVQ kq+56(FP), R11
	SHRQ $3, R9
	XORQ BX, BX

scorehalf:
	// The table of the 32 row pointers of this half tile.
	XORQ CX, CX

scoreptr:
	LEAQ    (BX)(CX*1), AX
	XORQ    R13, R13
	CMPQ    AX, R10
	CMOVQGE R13, AX
	IMULQ   R8, AX
	ADDQ    SI, AX
	MOVQ    AX, (SP)(CX*8)
	INCQ    CX
	CMPQ    CX, $32
	JLT     scoreptr

	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	XORQ   DX, DX
	MOVQ   DI, R12
	MOVQ   R9, CX

scoredims:
	SCORE_GROUP(0, Y0)
	SCORE_GROUP(64, Y1)
	SCORE_GROUP(128, Y2)
	SCORE_GROUP(192, Y3)
	ADDQ $16, DX
	ADDQ $32, R12
	DECQ CX
	JNZ  scoredims

	VBROADCASTSS scale+48(FP), Y15
	VPCMPEQD     Y14, Y14, Y14
	VPSLLD       $23, Y14, Y14
	VMOVDQU      attnIota<>(SB), Y11
	MOVQ         lo+40(FP), R12
	SCORE_STORE(0, Y0)
	SCORE_STORE(32, Y1)
	SCORE_STORE(64, Y2)
	SCORE_STORE(96, Y3)
	ADDQ         $128, R11
	ADDQ         $32, BX
	CMPQ         BX, R10
	JGE          scoredone
	CMPQ         BX, $64
	JLT          scorehalf

scoredone:
	CMPQ    BX, $64
	JGE     scoremax
	VMOVUPS Y14, 0(R11)
	VMOVUPS Y14, 32(R11)
	VMOVUPS Y14, 64(R11)
	VMOVUPS Y14, 96(R11)

scoremax:
	MOVQ         kq+56(FP), R11
	VMOVUPS      0(R11), Y0
	VMOVUPS      32(R11), Y1
	VMAXPS       64(R11), Y0, Y0
	VMAXPS       96(R11), Y1, Y1
	VMAXPS       128(R11), Y0, Y0
	VMAXPS       160(R11), Y1, Y1
	VMAXPS       192(R11), Y0, Y0
	VMAXPS       224(R11), Y1, Y1
	VMAXPS       Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VMAXPS       X1, X0, X0
	VMOVHLPS     X0, X0, X1
	VMAXPS       X1, X0, X0
	VMOVSHDUP    X0, X1
	VMAXSS       X1, X0, X0
	VMOVSS       X0, ret+64(FP)
	VZEROUPPER
	RET

// ACCUM_CHUNK(N, ...) updates acc[0:8N] at DI (N accumulators ACCs):
// acc *= ms (Y15), then for each of the rows (R10) of the tile, row t at
// SI + t*R8 (offset DX bytes) with weight p[t] (BX): acc[i] = fma(v[i],
// p[t], acc[i]), t in order.

// func attnAccumAVX2(acc *float32, d int, v *uint16, strideBytes, rows int, p *float32, ms float32)
//
// acc[i] = acc[i]*ms, then acc[i] = fma(v[t][i], p[t], acc[i]) for t =
// 0..rows-1 in order, v[t] the float16 row at v + t*strideBytes. d is a
// positive multiple of 8 and rows >= 1. The dims are taken 64 at a time
// (eight independent chains), then 32, then 8.
TEXT ·attnAccumAVX2(SB), NOSPLIT, $0-52
	MOVQ         acc+0(FP), DI
	MOVQ         d+8(FP), R9
	MOVQ         v+16(FP), SI
	MOVQ         strideBytes+24(FP), R8
	MOVQ         rows+32(FP), R10
	VBROADCASTSS ms+48(FP), Y15

acc64:
	CMPQ    R9, $64
	JLT     acc32
	VMULPS  0(DI), Y15, Y0
	VMULPS  32(DI), Y15, Y1
	VMULPS  64(DI), Y15, Y2
	VMULPS  96(DI), Y15, Y3
	VMULPS  128(DI), Y15, Y4
	VMULPS  160(DI), Y15, Y5
	VMULPS  192(DI), Y15, Y6
	VMULPS  224(DI), Y15, Y7
	MOVQ    SI, AX
	MOVQ    p+40(FP), BX
	MOVQ    R10, CX

acc64row:
	VBROADCASTSS (BX), Y14
	VCVTPH2PS    0(AX), Y8
	VFMADD231PS  Y14, Y8, Y0
	VCVTPH2PS    16(AX), Y9
	VFMADD231PS  Y14, Y9, Y1
	VCVTPH2PS    32(AX), Y10
	VFMADD231PS  Y14, Y10, Y2
	VCVTPH2PS    48(AX), Y11
	VFMADD231PS  Y14, Y11, Y3
	VCVTPH2PS    64(AX), Y12
	VFMADD231PS  Y14, Y12, Y4
	VCVTPH2PS    80(AX), Y13
	VFMADD231PS  Y14, Y13, Y5
	VCVTPH2PS    96(AX), Y8
	VFMADD231PS  Y14, Y8, Y6
	VCVTPH2PS    112(AX), Y9
	VFMADD231PS  Y14, Y9, Y7
	ADDQ         R8, AX
	ADDQ         $4, BX
	DECQ         CX
	JNZ          acc64row
	VMOVUPS      Y0, 0(DI)
	VMOVUPS      Y1, 32(DI)
	VMOVUPS      Y2, 64(DI)
	VMOVUPS      Y3, 96(DI)
	VMOVUPS      Y4, 128(DI)
	VMOVUPS      Y5, 160(DI)
	VMOVUPS      Y6, 192(DI)
	VMOVUPS      Y7, 224(DI)
	ADDQ         $256, DI
	ADDQ         $128, SI
	SUBQ         $64, R9
	JMP          acc64

acc32:
	CMPQ    R9, $32
	JLT     acc8
	VMULPS  0(DI), Y15, Y0
	VMULPS  32(DI), Y15, Y1
	VMULPS  64(DI), Y15, Y2
	VMULPS  96(DI), Y15, Y3
	MOVQ    SI, AX
	MOVQ    p+40(FP), BX
	MOVQ    R10, CX

acc32row:
	VBROADCASTSS (BX), Y14
	VCVTPH2PS    0(AX), Y8
	VFMADD231PS  Y14, Y8, Y0
	VCVTPH2PS    16(AX), Y9
	VFMADD231PS  Y14, Y9, Y1
	VCVTPH2PS    32(AX), Y10
	VFMADD231PS  Y14, Y10, Y2
	VCVTPH2PS    48(AX), Y11
	VFMADD231PS  Y14, Y11, Y3
	ADDQ         R8, AX
	ADDQ         $4, BX
	DECQ         CX
	JNZ          acc32row
	VMOVUPS      Y0, 0(DI)
	VMOVUPS      Y1, 32(DI)
	VMOVUPS      Y2, 64(DI)
	VMOVUPS      Y3, 96(DI)
	ADDQ         $128, DI
	ADDQ         $64, SI
	SUBQ         $32, R9

acc8:
	CMPQ    R9, $8
	JLT     accdone
	VMULPS  0(DI), Y15, Y0
	MOVQ    SI, AX
	MOVQ    p+40(FP), BX
	MOVQ    R10, CX

acc8row:
	VBROADCASTSS (BX), Y14
	VCVTPH2PS    (AX), Y8
	VFMADD231PS  Y14, Y8, Y0
	ADDQ         R8, AX
	ADDQ         $4, BX
	DECQ         CX
	JNZ          acc8row
	VMOVUPS      Y0, 0(DI)
	ADDQ         $32, DI
	ADDQ         $16, SI
	SUBQ         $8, R9
	JMP          acc8

accdone:
	VZEROUPPER
	RET

// TRANSPOSE_GROUP loads the 8 rows whose pointers are at OFF(BX) ..
// OFF+56(BX), at byte offset DX, and transposes the 8×8 block of float16
// as SCORE_GROUP does, widening each dim's 8 rows to float32 and storing
// them at DI, DI+256, ..., DI+7*256 (one 64-float line of the transposed
// tile per dim). Uses X4..X13 and AX.
#define TRANSPOSE_GROUP(OFF) \
	MOVQ        OFF+0(BX), AX    \
	VMOVDQU     (AX)(DX*1), X4   \
	MOVQ        OFF+8(BX), AX    \
	VMOVDQU     (AX)(DX*1), X5   \
	MOVQ        OFF+16(BX), AX   \
	VMOVDQU     (AX)(DX*1), X6   \
	MOVQ        OFF+24(BX), AX   \
	VMOVDQU     (AX)(DX*1), X7   \
	MOVQ        OFF+32(BX), AX   \
	VMOVDQU     (AX)(DX*1), X8   \
	MOVQ        OFF+40(BX), AX   \
	VMOVDQU     (AX)(DX*1), X9   \
	MOVQ        OFF+48(BX), AX   \
	VMOVDQU     (AX)(DX*1), X10  \
	MOVQ        OFF+56(BX), AX   \
	VMOVDQU     (AX)(DX*1), X11  \
	VPUNPCKLWD  X5, X4, X12      \
	VPUNPCKHWD  X5, X4, X5       \
	VPUNPCKLWD  X7, X6, X4       \
	VPUNPCKHWD  X7, X6, X7       \
	VPUNPCKLWD  X9, X8, X6       \
	VPUNPCKHWD  X9, X8, X9       \
	VPUNPCKLWD  X11, X10, X8     \
	VPUNPCKHWD  X11, X10, X11    \
	VPUNPCKLDQ  X4, X12, X10     \
	VPUNPCKHDQ  X4, X12, X4      \
	VPUNPCKLDQ  X7, X5, X12      \
	VPUNPCKHDQ  X7, X5, X7       \
	VPUNPCKLDQ  X8, X6, X5       \
	VPUNPCKHDQ  X8, X6, X8       \
	VPUNPCKLDQ  X11, X9, X6      \
	VPUNPCKHDQ  X11, X9, X11     \
	VPUNPCKLQDQ X5, X10, X9      \
	VCVTPH2PS   X9, Y13          \
	VMOVUPS     Y13, 0(DI)       \
	VPUNPCKHQDQ X5, X10, X9      \
	VCVTPH2PS   X9, Y13          \
	VMOVUPS     Y13, 256(DI)     \
	VPUNPCKLQDQ X8, X4, X9       \
	VCVTPH2PS   X9, Y13          \
	VMOVUPS     Y13, 512(DI)     \
	VPUNPCKHQDQ X8, X4, X9       \
	VCVTPH2PS   X9, Y13          \
	VMOVUPS     Y13, 768(DI)     \
	VPUNPCKLQDQ X6, X12, X9      \
	VCVTPH2PS   X9, Y13          \
	VMOVUPS     Y13, 1024(DI)    \
	VPUNPCKHQDQ X6, X12, X9      \
	VCVTPH2PS   X9, Y13          \
	VMOVUPS     Y13, 1280(DI)    \
	VPUNPCKLQDQ X11, X7, X9      \
	VCVTPH2PS   X9, Y13          \
	VMOVUPS     Y13, 1536(DI)    \
	VPUNPCKHQDQ X11, X7, X9      \
	VCVTPH2PS   X9, Y13          \
	VMOVUPS     Y13, 1792(DI)

// func attnTransposeAVX2(k *uint16, strideBytes, d, rows int, kt *float32)
//
// kt[i*64+t] = float32(k[t][i]) for i < d and t < 8*ceil(rows/8), k[t]
// the float16 row at k + t*strideBytes: the K tile transposed so that one
// dim of 64 rows is a line of 64 floats. Lanes of rows at or past rows
// (in the last group of 8) repeat row 0; lines of groups past them are
// not written. d is a positive multiple of 8, 1 <= rows <= 64.
TEXT ·attnTransposeAVX2(SB), NOSPLIT, $512-40
	MOVQ k+0(FP), SI
	MOVQ strideBytes+8(FP), R8
	MOVQ d+16(FP), R9
	MOVQ rows+24(FP), R10
	MOVQ kt+32(FP), R11
	SHRQ $3, R9

	// The table of the 64 row pointers.
	XORQ CX, CX

transptr:
	MOVQ    CX, AX
	XORQ    R13, R13
	CMPQ    AX, R10
	CMOVQGE R13, AX
	IMULQ   R8, AX
	ADDQ    SI, AX
	MOVQ    AX, (SP)(CX*8)
	INCQ    CX
	CMPQ    CX, $64
	JLT     transptr

	LEAQ (SP), BX
	XORQ CX, CX

transgroup:
	XORQ DX, DX
	MOVQ R11, DI
	MOVQ R9, R12

transdims:
	TRANSPOSE_GROUP(0)
	ADDQ $16, DX
	ADDQ $2048, DI
	DECQ R12
	JNZ  transdims

	ADDQ $64, BX
	ADDQ $32, R11
	ADDQ $8, CX
	CMPQ CX, R10
	JLT  transgroup
	VZEROUPPER
	RET

// SCORET_STORE scales the 8 scores of ACC (scale in Y15), sets the lanes
// of rows at or past rows (R10) or before lo (R9) to -inf (Y14), stores
// them at OFF(R11) and folds them into the running maximum Y12; Y10 holds
// the lane numbers. Uses AX, Y8 and Y13.
#define SCORET_STORE(OFF, ACC) \
	VMULPS       Y15, ACC, ACC         \
	MOVQ         R10, AX               \
	SUBQ         $(OFF/4), AX          \
	VMOVQ        AX, X13               \
	VPBROADCASTD X13, Y13              \
	VPCMPGTD     Y10, Y13, Y13         \
	MOVQ         R9, AX                \
	SUBQ         $(OFF/4+1), AX        \
	VMOVQ        AX, X8                \
	VPBROADCASTD X8, Y8                \
	VPCMPGTD     Y8, Y10, Y8           \
	VPAND        Y8, Y13, Y13          \
	VBLENDVPS    Y13, ACC, Y14, ACC    \
	VMOVUPS      ACC, OFF(R11)         \
	VMAXPS       ACC, Y12, Y12

// func attnScoresTAVX2(q *float32, kt *float32, d, rows, lo int, scale float32, kq *float32) float32
//
// The result of attnScoresAVX2 from the transposed tile of
// attnTransposeAVX2: kq[t] = scale * (fma chain over i < d of
// kt[i*64+t]*q[i], from +0) for lo <= t < rows, -inf for t < lo and
// rows <= t < 64; returns the maximum of kq[0:64]. Eight accumulators,
// one per group of 8 rows, each updated once per dim; d is a positive
// multiple of 8.
TEXT ·attnScoresTAVX2(SB), NOSPLIT, $0-60
	MOVQ   q+0(FP), SI
	MOVQ   kt+8(FP), DI
	MOVQ   d+16(FP), CX
	MOVQ   rows+24(FP), R10
	MOVQ   lo+32(FP), R9
	MOVQ   kq+48(FP), R11
	SHRQ   $1, CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7

scoretdims:
	VBROADCASTSS 0(SI), Y8
	VFMADD231PS  0(DI), Y8, Y0
	VFMADD231PS  32(DI), Y8, Y1
	VFMADD231PS  64(DI), Y8, Y2
	VFMADD231PS  96(DI), Y8, Y3
	VFMADD231PS  128(DI), Y8, Y4
	VFMADD231PS  160(DI), Y8, Y5
	VFMADD231PS  192(DI), Y8, Y6
	VFMADD231PS  224(DI), Y8, Y7
	VBROADCASTSS 4(SI), Y9
	VFMADD231PS  256(DI), Y9, Y0
	VFMADD231PS  288(DI), Y9, Y1
	VFMADD231PS  320(DI), Y9, Y2
	VFMADD231PS  352(DI), Y9, Y3
	VFMADD231PS  384(DI), Y9, Y4
	VFMADD231PS  416(DI), Y9, Y5
	VFMADD231PS  448(DI), Y9, Y6
	VFMADD231PS  480(DI), Y9, Y7
	ADDQ         $8, SI
	ADDQ         $512, DI
	DECQ         CX
	JNZ          scoretdims

	VBROADCASTSS scale+40(FP), Y15
	VPCMPEQD     Y14, Y14, Y14
	VPSLLD       $23, Y14, Y14
	VMOVUPS      Y14, Y12
	VMOVDQU      attnIota<>(SB), Y10
	SCORET_STORE(0, Y0)
	SCORET_STORE(32, Y1)
	SCORET_STORE(64, Y2)
	SCORET_STORE(96, Y3)
	SCORET_STORE(128, Y4)
	SCORET_STORE(160, Y5)
	SCORET_STORE(192, Y6)
	SCORET_STORE(224, Y7)
	VEXTRACTF128 $1, Y12, X1
	VMAXPS       X1, X12, X0
	VMOVHLPS     X0, X0, X1
	VMAXPS       X1, X0, X0
	VMOVSHDUP    X0, X1
	VMAXSS       X1, X0, X0
	VMOVSS       X0, ret+56(FP)
	VZEROUPPER
	RET
