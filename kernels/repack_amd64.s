//go:build amd64 && !purego

#include "textflag.h"

// Q4_0 and Q4_K row products in the order of ggml-cpu's repacked (AVX2)
// kernels, ggml_gemv/gemm_q4_0_8x8_q8_0 and ggml_gemv/gemm_q4_K_8x8_q8_K,
// computed on the original GGUF blocks (see quant.RepackDotRows and
// repack_amd64.go). Per weight row the order is: an exact integer sum per
// block (Q4_0), per super-block (Q4_K gemv) or per 64 elements (Q4_K gemm),
// then one float FMA of that sum into the row's accumulator. Integer sums
// are exact in any order, so only the FMAs have to be in sequence.
//
// The kernels take eight weight rows at a time. A ymm register holds row i
// (i < 4) in its low 128-bit lane and row i+4 in its high lane ("pair i"),
// and each lane is multiplied with the same activation bytes (loaded with
// VBROADCASTI128). Three VPHADDD/VPHADDW steps then turn the four pair
// registers into one register of eight row sums, lane r = row r, whose
// float FMAs are then done side by side.
//
// Row i of a group starts at SI (i < 4) or DI = SI + 4*rowBytes (i >= 4),
// plus 0, R9 = rowBytes, 2*R9 or R10 = 3*rowBytes.
//
// Block layouts (bytes):
//   Q4_0 18: d f16 @0, qs[16] @2 (element j: low nibble of qs[j], j+16: high)
//   Q8_0 34: d f16 @0, qs int8[32] @2
//   Q4_K 144: d f16 @0, dmin f16 @2, scales[12] @4, qs[128] @16
//             (elements 64p+e and 64p+32+e: low/high nibble of qs[32p+e])
//   Q8_K 292: d f32 @0, qs int8[256] @4, bsums int16[16] @260

// rpkShuf: entry k (32 bytes) broadcasts int16 k of each 128-bit lane.
DATA rpkShuf<>+0x00(SB)/8, $0x0100010001000100
DATA rpkShuf<>+0x08(SB)/8, $0x0100010001000100
DATA rpkShuf<>+0x10(SB)/8, $0x0100010001000100
DATA rpkShuf<>+0x18(SB)/8, $0x0100010001000100
DATA rpkShuf<>+0x20(SB)/8, $0x0302030203020302
DATA rpkShuf<>+0x28(SB)/8, $0x0302030203020302
DATA rpkShuf<>+0x30(SB)/8, $0x0302030203020302
DATA rpkShuf<>+0x38(SB)/8, $0x0302030203020302
DATA rpkShuf<>+0x40(SB)/8, $0x0504050405040504
DATA rpkShuf<>+0x48(SB)/8, $0x0504050405040504
DATA rpkShuf<>+0x50(SB)/8, $0x0504050405040504
DATA rpkShuf<>+0x58(SB)/8, $0x0504050405040504
DATA rpkShuf<>+0x60(SB)/8, $0x0706070607060706
DATA rpkShuf<>+0x68(SB)/8, $0x0706070607060706
DATA rpkShuf<>+0x70(SB)/8, $0x0706070607060706
DATA rpkShuf<>+0x78(SB)/8, $0x0706070607060706
DATA rpkShuf<>+0x80(SB)/8, $0x0908090809080908
DATA rpkShuf<>+0x88(SB)/8, $0x0908090809080908
DATA rpkShuf<>+0x90(SB)/8, $0x0908090809080908
DATA rpkShuf<>+0x98(SB)/8, $0x0908090809080908
DATA rpkShuf<>+0xa0(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA rpkShuf<>+0xa8(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA rpkShuf<>+0xb0(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA rpkShuf<>+0xb8(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA rpkShuf<>+0xc0(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA rpkShuf<>+0xc8(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA rpkShuf<>+0xd0(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA rpkShuf<>+0xd8(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA rpkShuf<>+0xe0(SB)/8, $0x0f0e0f0e0f0e0f0e
DATA rpkShuf<>+0xe8(SB)/8, $0x0f0e0f0e0f0e0f0e
DATA rpkShuf<>+0xf0(SB)/8, $0x0f0e0f0e0f0e0f0e
DATA rpkShuf<>+0xf8(SB)/8, $0x0f0e0f0e0f0e0f0e
GLOBL rpkShuf<>(SB), RODATA|NOPTR, $256

// rpkDSel: per lane, int16 [d0 m0 d1 m1 d2 m2 d3 m3] -> [d0 d1 d2 d3 m0 m1 m2 m3].
DATA rpkDSel<>+0x00(SB)/8, $0x0d0c090805040100
DATA rpkDSel<>+0x08(SB)/8, $0x0f0e0b0a07060302
DATA rpkDSel<>+0x10(SB)/8, $0x0d0c090805040100
DATA rpkDSel<>+0x18(SB)/8, $0x0f0e0b0a07060302
GLOBL rpkDSel<>(SB), RODATA|NOPTR, $32

// rpkSh04: per-dword shift counts 0, 4, 0, 4, ...
DATA rpkSh04<>+0x00(SB)/8, $0x0000000400000000
DATA rpkSh04<>+0x08(SB)/8, $0x0000000400000000
DATA rpkSh04<>+0x10(SB)/8, $0x0000000400000000
DATA rpkSh04<>+0x18(SB)/8, $0x0000000400000000
GLOBL rpkSh04<>(SB), RODATA|NOPTR, $32

DATA rpk0f<>+0x00(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA rpk0f<>+0x08(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA rpk0f<>+0x10(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA rpk0f<>+0x18(SB)/8, $0x0f0f0f0f0f0f0f0f
GLOBL rpk0f<>(SB), RODATA|NOPTR, $32

DATA rpk3f<>+0x00(SB)/8, $0x3f3f3f3f3f3f3f3f
DATA rpk3f<>+0x08(SB)/8, $0x3f3f3f3f3f3f3f3f
DATA rpk3f<>+0x10(SB)/8, $0x3f3f3f3f3f3f3f3f
DATA rpk3f<>+0x18(SB)/8, $0x3f3f3f3f3f3f3f3f
GLOBL rpk3f<>(SB), RODATA|NOPTR, $32

DATA rpk30<>+0x00(SB)/8, $0x3030303030303030
DATA rpk30<>+0x08(SB)/8, $0x3030303030303030
DATA rpk30<>+0x10(SB)/8, $0x3030303030303030
DATA rpk30<>+0x18(SB)/8, $0x3030303030303030
GLOBL rpk30<>(SB), RODATA|NOPTR, $32

DATA rpkOnes<>+0x00(SB)/8, $0x0001000100010001
DATA rpkOnes<>+0x08(SB)/8, $0x0001000100010001
DATA rpkOnes<>+0x10(SB)/8, $0x0001000100010001
DATA rpkOnes<>+0x18(SB)/8, $0x0001000100010001
GLOBL rpkOnes<>(SB), RODATA|NOPTR, $32

// PREFETCH_SB(r): prefetch 1152 bytes at r (one Q4_K super-block of
// eight rows). The kernels read each group of eight rows as eight short
// interleaved streams, which the hardware prefetcher does not follow well
// when rows are short, so while one group is computed the next group's
// bytes (contiguous, rowBytes*8 of them) are prefetched linearly.
#define PREFETCH_SB(r) \
	PREFETCHT0 (r) \
	PREFETCHT0 64(r) \
	PREFETCHT0 128(r) \
	PREFETCHT0 192(r) \
	PREFETCHT0 256(r) \
	PREFETCHT0 320(r) \
	PREFETCHT0 384(r) \
	PREFETCHT0 448(r) \
	PREFETCHT0 512(r) \
	PREFETCHT0 576(r) \
	PREFETCHT0 640(r) \
	PREFETCHT0 704(r) \
	PREFETCHT0 768(r) \
	PREFETCHT0 832(r) \
	PREFETCHT0 896(r) \
	PREFETCHT0 960(r) \
	PREFETCHT0 1024(r) \
	PREFETCHT0 1088(r)

// ---------------------------------------------------------------- Q4_K

// K_SCALES(a, b, t1, t2, t3): a and b hold the first 16 bytes of a
// super-block of two pairs' rows (dwords [d|dmin, s0..3, s4..7, s8..11] per
// lane). Afterwards each lane of a (b) is its row's 6-bit scales sc[0..7]
// then mins m[0..7], as bytes:
//   sc[j] = s[j]&63, m[j] = s[j+4]&63                             (j < 4)
//   sc[j] = s[j+4]&15 | (s[j-4]>>6)<<4, m[j] = s[j+4]>>4 | (s[j]>>6)<<4 (j >= 4)
#define K_SCALES(a, b, t1, t2, t3) \
	VSHUFPS    $0x99, b, a, t1 \
	VSHUFPS    $0xFF, b, a, t2 \
	VPSRLVD    rpkSh04<>(SB), t2, t2 \
	VPAND      rpk0f<>(SB), t2, t2 \
	VPSRLD     $2, t1, t3 \
	VPAND      rpk30<>(SB), t3, t3 \
	VPOR       t3, t2, t2 \
	VPAND      rpk3f<>(SB), t1, t1 \
	VPUNPCKLDQ t2, t1, a \
	VPUNPCKHDQ t2, t1, b

// K_HEAD: for the super-block of the eight rows at SI/DI, Y5 = d of rows
// 0..7 and Y4 = dmin (floats, lane r = row r), and Y0..Y3 = pairs 0..3 as
// qwords [sc row i, sc row i+4, m row i, m row i+4]. Clobbers Y6..Y8.
#define K_HEAD \
	VMOVDQU      (SI), X0 \
	VINSERTI128  $1, (DI), Y0, Y0 \
	VMOVDQU      (SI)(R9*1), X1 \
	VINSERTI128  $1, (DI)(R9*1), Y1, Y1 \
	VMOVDQU      (SI)(R9*2), X2 \
	VINSERTI128  $1, (DI)(R9*2), Y2, Y2 \
	VMOVDQU      (SI)(R10*1), X3 \
	VINSERTI128  $1, (DI)(R10*1), Y3, Y3 \
	VPUNPCKLDQ   Y1, Y0, Y4 \
	VPUNPCKLDQ   Y3, Y2, Y5 \
	VPUNPCKLQDQ  Y5, Y4, Y4 \
	VPSHUFB      rpkDSel<>(SB), Y4, Y4 \
	VPERMQ       $0xD8, Y4, Y4 \
	VCVTPH2PS    X4, Y5 \
	VEXTRACTI128 $1, Y4, X4 \
	VCVTPH2PS    X4, Y4 \
	K_SCALES(Y0, Y1, Y6, Y7, Y8) \
	K_SCALES(Y2, Y3, Y6, Y7, Y8) \
	VPERMQ       $0xD8, Y0, Y0 \
	VPERMQ       $0xD8, Y1, Y1 \
	VPERMQ       $0xD8, Y2, Y2 \
	VPERMQ       $0xD8, Y3, Y3

// K_NIBBLES(p, ra, rb): the 64 quants of elements 64p..64p+63 of a pair:
// Y4 = elements 64p+e, Y5 = 64p+32+e, Y6 = 64p+16+e, Y7 = 64p+48+e
// (e < 16; lane 0 row ra, lane 1 row rb), one unsigned byte each.
#define K_NIBBLES(p, ra, rb) \
	VMOVDQU     (16+32*p)ra, X4 \
	VINSERTI128 $1, (16+32*p)rb, Y4, Y4 \
	VMOVDQU     (32+32*p)ra, X6 \
	VINSERTI128 $1, (32+32*p)rb, Y6, Y6 \
	VPSRLW      $4, Y4, Y5 \
	VPSRLW      $4, Y6, Y7 \
	VPAND       Y15, Y4, Y4 \
	VPAND       Y15, Y5, Y5 \
	VPAND       Y15, Y6, Y6 \
	VPAND       Y15, Y7, Y7

// K_DOT(p, xb, s): s = the pair's scaled quant sums of elements 64p..64p+63
// with the activations of block xb (Y8, Y9: the two scales as int16), as
// four int32 per lane. Clobbers Y10, Y11, Y13.
#define K_DOT(p, xb, s) \
	VBROADCASTI128 (4+64*p)xb, Y10 \
	VPMADDUBSW     Y10, Y4, Y10 \
	VBROADCASTI128 (4+64*p+16)xb, Y11 \
	VPMADDUBSW     Y11, Y6, Y11 \
	VPADDW         Y11, Y10, Y10 \
	VPMADDWD       Y8, Y10, Y10 \
	VBROADCASTI128 (4+64*p+32)xb, Y11 \
	VPMADDUBSW     Y11, Y5, Y11 \
	VBROADCASTI128 (4+64*p+48)xb, Y13 \
	VPMADDUBSW     Y13, Y7, Y13 \
	VPADDW         Y13, Y11, Y11 \
	VPMADDWD       Y9, Y11, Y11 \
	VPADDD         Y11, Y10, s

// K_SC(p): Y8, Y9 = the scales of sub-blocks 2p and 2p+1 (Y12: the pair's
// scales as int16), broadcast over each lane.
#define K_SC(p) \
	VPSHUFB rpkShuf<>+(64*p)(SB), Y12, Y8 \
	VPSHUFB rpkShuf<>+(64*p+32)(SB), Y12, Y9

// K_GV_PAIR(y, x, ra, rb): y (holding the pair's scales, see K_HEAD) =
// the pair's quant sums over the whole super-block, for the token at BX.
#define K_GV_PAIR(y, x, ra, rb) \
	VPMOVZXBW x, Y12 \
	K_NIBBLES(0, ra, rb) \
	K_SC(0) \
	K_DOT(0, (BX), y) \
	K_NIBBLES(1, ra, rb) \
	K_SC(1) \
	K_DOT(1, (BX), Y14) \
	VPADDD    Y14, y, y \
	K_NIBBLES(2, ra, rb) \
	K_SC(2) \
	K_DOT(2, (BX), Y14) \
	VPADDD    Y14, y, y \
	K_NIBBLES(3, ra, rb) \
	K_SC(3) \
	K_DOT(3, (BX), Y14) \
	VPADDD    Y14, y, y

// K_MINS(y, m, bsp): m = pmaddwd(mins of pair y, bsp): per lane, int32 j =
// m[2j]*bsp[2j] + m[2j+1]*bsp[2j+1].
#define K_MINS(y, m, bsp) \
	VEXTRACTI128 $1, y, X10 \
	VPMOVZXBW    X10, m \
	VPMADDWD     bsp, m, m

// func repackQ4KGemv(w *byte, rowBytes int, x *byte, out *float32, groups, nb int)
//
// gemv order, one token: out[8g+r] for g < groups, r < 8. Frame: d*da of
// the current super-block at 0(SP), accumulators at 32(SP) (quants) and
// 64(SP) (mins).
TEXT ·repackQ4KGemv(SB), NOSPLIT, $96-48
	MOVQ w+0(FP), R8
	MOVQ rowBytes+8(FP), R9
	LEAQ (R9)(R9*2), R10
	MOVQ out+24(FP), DX
	MOVQ groups+32(FP), CX
	VMOVDQU rpk0f<>(SB), Y15

kgvgroup:
	MOVQ    R8, SI
	LEAQ    (R8)(R9*4), DI
	LEAQ    (R8)(R9*8), R11
	MOVQ    x+16(FP), BX
	MOVQ    nb+40(FP), AX
	VXORPS  Y0, Y0, Y0
	VMOVUPS Y0, 32(SP)
	VMOVUPS Y0, 64(SP)

kgvblock:
	PREFETCH_SB(R11)
	ADDQ $1152, R11
	K_HEAD
	VBROADCASTSS (BX), Y6
	VMULPS       Y6, Y5, Y5
	VMOVUPS      Y5, 0(SP)
	VMULPS       Y6, Y4, Y4

	// Mins: one int32 per row, then accMin = fma(float(mins), dmin*da, accMin).
	VBROADCASTI128 260(BX), Y5
	VBROADCASTI128 276(BX), Y6
	VPHADDW        Y6, Y5, Y5
	K_MINS(Y0, Y6, Y5)
	K_MINS(Y1, Y7, Y5)
	K_MINS(Y2, Y8, Y5)
	K_MINS(Y3, Y9, Y5)
	VPHADDD        Y7, Y6, Y6
	VPHADDD        Y9, Y8, Y8
	VPHADDD        Y8, Y6, Y6
	VCVTDQ2PS      Y6, Y6
	VMOVUPS        64(SP), Y7
	VFMADD231PS    Y4, Y6, Y7
	VMOVUPS        Y7, 64(SP)

	// Quants: one int32 per row, then acc = fma(float(sum), d*da, acc).
	K_GV_PAIR(Y0, X0, (SI), (DI))
	K_GV_PAIR(Y1, X1, (SI)(R9*1), (DI)(R9*1))
	K_GV_PAIR(Y2, X2, (SI)(R9*2), (DI)(R9*2))
	K_GV_PAIR(Y3, X3, (SI)(R10*1), (DI)(R10*1))
	VPHADDD     Y1, Y0, Y0
	VPHADDD     Y3, Y2, Y2
	VPHADDD     Y2, Y0, Y0
	VCVTDQ2PS   Y0, Y0
	VMOVUPS     32(SP), Y1
	VFMADD231PS 0(SP), Y0, Y1
	VMOVUPS     Y1, 32(SP)

	ADDQ $144, SI
	ADDQ $144, DI
	ADDQ $292, BX
	DECQ AX
	JNZ  kgvblock

	VMOVUPS 32(SP), Y0
	VSUBPS  64(SP), Y0, Y0
	VMOVUPS Y0, (DX)
	ADDQ    $32, DX
	LEAQ    (R8)(R9*8), R8
	DECQ    CX
	JNZ     kgvgroup
	VZEROUPPER
	RET

// Frame of repackQ4KGemm4 (byte offsets from SP).
#define KG_S(p, t, i) ((((p)*4+(t))*4+(i))*32)
#define KG_ACC(t) (2048+32*(t))
#define KG_ACCM(t) (2176+32*(t))
#define KG_DW 2304
#define KG_DMW 2336
#define KG_MN(i) (2368+32*(i))
#define KG_NB 2496
#define KG_GROUPS 2504

// KG_P(i, p, ra, rb): the quant sums of pair i, elements 64p..64p+63, for
// the four tokens, to KG_S(p, t, i).
#define KG_P(i, p, ra, rb) \
	K_NIBBLES(p, ra, rb) \
	K_SC(p) \
	K_DOT(p, (BX), Y10) \
	VMOVDQU Y10, KG_S(p, 0, i)(SP) \
	K_DOT(p, (BX)(R11*1), Y10) \
	VMOVDQU Y10, KG_S(p, 1, i)(SP) \
	K_DOT(p, (BX)(R12*1), Y10) \
	VMOVDQU Y10, KG_S(p, 2, i)(SP) \
	K_DOT(p, (BX)(R13*1), Y10) \
	VMOVDQU Y10, KG_S(p, 3, i)(SP)

#define KG_PAIR(i, x, ra, rb) \
	VPMOVZXBW x, Y12 \
	KG_P(i, 0, ra, rb) \
	KG_P(i, 1, ra, rb) \
	KG_P(i, 2, ra, rb) \
	KG_P(i, 3, ra, rb)

// KG_RED(p, t): Y3 = fma(float(row sums of KG_S(p, t, .)), Y1, Y3).
#define KG_RED(p, t) \
	VMOVDQU     KG_S(p, t, 0)(SP), Y4 \
	VPHADDD     KG_S(p, t, 1)(SP), Y4, Y4 \
	VMOVDQU     KG_S(p, t, 2)(SP), Y5 \
	VPHADDD     KG_S(p, t, 3)(SP), Y5, Y5 \
	VPHADDD     Y5, Y4, Y4 \
	VCVTDQ2PS   Y4, Y4 \
	VFMADD231PS Y1, Y4, Y3

// KG_TOK(t, xb): fold token t's sums of this super-block into its
// accumulators, in ggml_gemm_q4_K_8x8_q8_K's order: per 64 elements p,
// acc = fma(float(quant sum), d*da, acc), accMin = fma(float(min sum),
// dmin*da, accMin).
#define KG_TOK(t, xb) \
	VBROADCASTSS   xb, Y0 \
	VMULPS         KG_DW(SP), Y0, Y1 \
	VMULPS         KG_DMW(SP), Y0, Y2 \
	VMOVUPS        KG_ACC(t)(SP), Y3 \
	KG_RED(0, t) \
	KG_RED(1, t) \
	KG_RED(2, t) \
	KG_RED(3, t) \
	VMOVUPS        Y3, KG_ACC(t)(SP) \
	VBROADCASTI128 260 xb, Y5 \
	VBROADCASTI128 276 xb, Y6 \
	VPHADDW        Y6, Y5, Y5 \
	VPMADDWD       KG_MN(0)(SP), Y5, Y6 \
	VPMADDWD       KG_MN(1)(SP), Y5, Y7 \
	VPMADDWD       KG_MN(2)(SP), Y5, Y8 \
	VPMADDWD       KG_MN(3)(SP), Y5, Y9 \
	VPUNPCKLDQ     Y7, Y6, Y10 \
	VPUNPCKHDQ     Y7, Y6, Y11 \
	VPUNPCKLDQ     Y9, Y8, Y4 \
	VPUNPCKHDQ     Y9, Y8, Y5 \
	VPUNPCKLQDQ    Y4, Y10, Y6 \
	VPUNPCKHQDQ    Y4, Y10, Y7 \
	VPUNPCKLQDQ    Y5, Y11, Y8 \
	VPUNPCKHQDQ    Y5, Y11, Y9 \
	VMOVUPS        KG_ACCM(t)(SP), Y3 \
	VCVTDQ2PS      Y6, Y6 \
	VFMADD231PS    Y2, Y6, Y3 \
	VCVTDQ2PS      Y7, Y7 \
	VFMADD231PS    Y2, Y7, Y3 \
	VCVTDQ2PS      Y8, Y8 \
	VFMADD231PS    Y2, Y8, Y3 \
	VCVTDQ2PS      Y9, Y9 \
	VFMADD231PS    Y2, Y9, Y3 \
	VMOVUPS        Y3, KG_ACCM(t)(SP)

#define KG_OUT(t, dst) \
	VMOVUPS KG_ACC(t)(SP), Y0 \
	VSUBPS  KG_ACCM(t)(SP), Y0, Y0 \
	VMOVUPS Y0, dst

// func repackQ4KGemm4(w *byte, rowBytes int, x *byte, xStride int, out *float32, outStride, groups, nb int)
//
// gemm order, four tokens: token t's activations at x + t*xStride, its
// results out[t*outStride/4 + 8g + r] (strides in bytes).
TEXT ·repackQ4KGemm4(SB), $2512-64
	MOVQ w+0(FP), R8
	MOVQ rowBytes+8(FP), R9
	LEAQ (R9)(R9*2), R10
	MOVQ xStride+24(FP), R11
	LEAQ (R11)(R11*1), R12
	LEAQ (R12)(R11*1), R13
	MOVQ out+32(FP), DX
	MOVQ outStride+40(FP), CX
	MOVQ groups+48(FP), AX
	MOVQ AX, KG_GROUPS(SP)
	VMOVDQU rpk0f<>(SB), Y15

kgmgroup:
	MOVQ    R8, SI
	LEAQ    (R8)(R9*4), DI
	LEAQ    (R8)(R9*8), R14
	MOVQ    x+16(FP), BX
	MOVQ    nb+56(FP), AX
	MOVQ    AX, KG_NB(SP)
	VXORPS  Y0, Y0, Y0
	VMOVUPS Y0, KG_ACC(0)(SP)
	VMOVUPS Y0, KG_ACC(1)(SP)
	VMOVUPS Y0, KG_ACC(2)(SP)
	VMOVUPS Y0, KG_ACC(3)(SP)
	VMOVUPS Y0, KG_ACCM(0)(SP)
	VMOVUPS Y0, KG_ACCM(1)(SP)
	VMOVUPS Y0, KG_ACCM(2)(SP)
	VMOVUPS Y0, KG_ACCM(3)(SP)

kgmblock:
	PREFETCH_SB(R14)
	ADDQ $1152, R14
	K_HEAD
	VMOVUPS      Y5, KG_DW(SP)
	VMOVUPS      Y4, KG_DMW(SP)
	VEXTRACTI128 $1, Y0, X4
	VPMOVZXBW    X4, Y4
	VMOVDQU      Y4, KG_MN(0)(SP)
	VEXTRACTI128 $1, Y1, X4
	VPMOVZXBW    X4, Y4
	VMOVDQU      Y4, KG_MN(1)(SP)
	VEXTRACTI128 $1, Y2, X4
	VPMOVZXBW    X4, Y4
	VMOVDQU      Y4, KG_MN(2)(SP)
	VEXTRACTI128 $1, Y3, X4
	VPMOVZXBW    X4, Y4
	VMOVDQU      Y4, KG_MN(3)(SP)

	KG_PAIR(0, X0, (SI), (DI))
	KG_PAIR(1, X1, (SI)(R9*1), (DI)(R9*1))
	KG_PAIR(2, X2, (SI)(R9*2), (DI)(R9*2))
	KG_PAIR(3, X3, (SI)(R10*1), (DI)(R10*1))

	KG_TOK(0, (BX))
	KG_TOK(1, (BX)(R11*1))
	KG_TOK(2, (BX)(R12*1))
	KG_TOK(3, (BX)(R13*1))

	ADDQ $144, SI
	ADDQ $144, DI
	ADDQ $292, BX
	DECQ KG_NB(SP)
	JNZ  kgmblock

	KG_OUT(0, (DX))
	KG_OUT(1, (DX)(CX*1))
	LEAQ (DX)(CX*2), AX
	KG_OUT(2, (AX))
	KG_OUT(3, (AX)(CX*1))
	ADDQ $32, DX
	LEAQ (R8)(R9*8), R8
	DECQ KG_GROUPS(SP)
	JNZ  kgmgroup
	VZEROUPPER
	RET

// ---------------------------------------------------------------- Q4_0
//
// Per block, sum = Σ q*a - 8*Σa over the 32 elements (q the unsigned
// nibbles), then acc = fma(float(sum), dw*da, acc). The activation row is
// followed by its "aux" words (see repackPrepare): per block b, at
// aux + 8b, da as a float32 and 8*Σa as an int32.
//
// Bounds: q*a is within ±1920, so the int16 sums of the VPHADDW steps (at
// most 16 products) stay within ±30720.

// Q40_D: Y13 = dw of the eight rows' current blocks (floats, lane r =
// row r). Clobbers CX, R14.
#define Q40_D \
	MOVWQZX   (SI), CX \
	MOVWQZX   (SI)(R9*1), R14 \
	SHLQ      $16, R14 \
	ORQ       R14, CX \
	MOVWQZX   (SI)(R9*2), R14 \
	SHLQ      $32, R14 \
	ORQ       R14, CX \
	MOVWQZX   (SI)(R10*1), R14 \
	SHLQ      $48, R14 \
	ORQ       R14, CX \
	VMOVQ     CX, X13 \
	MOVWQZX   (DI), CX \
	MOVWQZX   (DI)(R9*1), R14 \
	SHLQ      $16, R14 \
	ORQ       R14, CX \
	MOVWQZX   (DI)(R9*2), R14 \
	SHLQ      $32, R14 \
	ORQ       R14, CX \
	MOVWQZX   (DI)(R10*1), R14 \
	SHLQ      $48, R14 \
	ORQ       R14, CX \
	VPINSRQ   $1, CX, X13, X13 \
	VCVTPH2PS X13, Y13

// Q40_NIB(ra, rb, lo, hi): lo = elements 0..15 of the pair's block, hi =
// elements 16..31 (unsigned nibbles; lane 0 row ra, lane 1 row rb).
#define Q40_NIB(ra, rb, lo, hi) \
	VMOVDQU     2 ra, lo \
	VINSERTI128 $1, 2 rb, lo, lo \
	VPSRLW      $4, lo, hi \
	VPAND       Y15, lo, lo \
	VPAND       Y15, hi, hi

// Q40_SUM(ab, y): y = eight row sums (lane r = row r) of the pairs in
// Y0..Y7 with the activations broadcast in Y8/Y9, minus 8*Σa from ab,
// as floats. Clobbers Y8..Y12.
#define Q40_SUM(ab, y) \
	VPMADDUBSW   Y8, Y0, y \
	VPMADDUBSW   Y9, Y1, Y11 \
	VPADDW       Y11, y, y \
	VPMADDUBSW   Y8, Y2, Y11 \
	VPMADDUBSW   Y9, Y3, Y12 \
	VPADDW       Y12, Y11, Y11 \
	VPHADDW      Y11, y, y \
	VPMADDUBSW   Y8, Y4, Y11 \
	VPMADDUBSW   Y9, Y5, Y12 \
	VPADDW       Y12, Y11, Y11 \
	VPMADDUBSW   Y8, Y6, Y12 \
	VPMADDUBSW   Y9, Y7, Y8 \
	VPADDW       Y8, Y12, Y12 \
	VPHADDW      Y12, Y11, Y11 \
	VPHADDW      Y11, y, y \
	VPMADDWD     rpkOnes<>(SB), y, y \
	VPBROADCASTD 4 ab, Y11 \
	VPSUBD       Y11, y, y \
	VCVTDQ2PS    y, y

#define Q40_DECODE \
	Q40_NIB((SI), (DI), Y0, Y1) \
	Q40_NIB((SI)(R9*1), (DI)(R9*1), Y2, Y3) \
	Q40_NIB((SI)(R9*2), (DI)(R9*2), Y4, Y5) \
	Q40_NIB((SI)(R10*1), (DI)(R10*1), Y6, Y7)

// func repackQ4_0Gemv(w *byte, rowBytes int, x, aux *byte, out *float32, groups, nb int)
TEXT ·repackQ4_0Gemv(SB), NOSPLIT, $0-56
	MOVQ w+0(FP), R8
	MOVQ rowBytes+8(FP), R9
	LEAQ (R9)(R9*2), R10
	MOVQ out+32(FP), DX
	MOVQ groups+40(FP), R12
	VMOVDQU rpk0f<>(SB), Y15

q40gvgroup:
	MOVQ   R8, SI
	LEAQ   (R8)(R9*4), DI
	LEAQ   (R8)(R9*8), R13
	MOVQ   x+16(FP), BX
	MOVQ   aux+24(FP), R11
	MOVQ   nb+48(FP), AX
	VXORPS Y14, Y14, Y14

q40gvblock:
	PREFETCHT0 (R13)
	PREFETCHT0 48(R13)
	PREFETCHT0 96(R13)
	ADDQ       $144, R13
	Q40_D
	Q40_DECODE
	VBROADCASTI128 2(BX), Y8
	VBROADCASTI128 18(BX), Y9
	Q40_SUM((R11), Y10)
	VBROADCASTSS   (R11), Y11
	VMULPS         Y13, Y11, Y11
	VFMADD231PS    Y11, Y10, Y14

	ADDQ $18, SI
	ADDQ $18, DI
	ADDQ $34, BX
	ADDQ $8, R11
	DECQ AX
	JNZ  q40gvblock

	VMOVUPS Y14, (DX)
	ADDQ    $32, DX
	LEAQ    (R8)(R9*8), R8
	DECQ    R12
	JNZ     q40gvgroup
	VZEROUPPER
	RET

// Q40_TOK(t, xb, ab): token t's block: acc_t (at 32t(SP)) =
// fma(float(sum), dw*da, acc_t).
#define Q40_TOK(t, xb, ab) \
	VBROADCASTI128 2 xb, Y8 \
	VBROADCASTI128 18 xb, Y9 \
	Q40_SUM(ab, Y10) \
	VBROADCASTSS   ab, Y11 \
	VMULPS         Y13, Y11, Y11 \
	VMOVUPS        (32*t)(SP), Y12 \
	VFMADD231PS    Y11, Y10, Y12 \
	VMOVUPS        Y12, (32*t)(SP)

// func repackQ4_0Gemm4(w *byte, rowBytes int, x, aux *byte, xStride int, out *float32, outStride, groups, nb int)
//
// Four tokens: token t's activations at x + t*xStride, its aux words at
// aux + t*xStride, its results at out + t*outStride (bytes). Frame:
// accumulators at 32t(SP), block count at 128(SP), groups left at 136(SP),
// prefetch pointer at 144(SP).
TEXT ·repackQ4_0Gemm4(SB), NOSPLIT, $152-72
	MOVQ w+0(FP), R8
	MOVQ rowBytes+8(FP), R9
	LEAQ (R9)(R9*2), R10
	MOVQ xStride+32(FP), R11
	LEAQ (R11)(R11*1), R12
	LEAQ (R12)(R11*1), R13
	MOVQ out+40(FP), DX
	MOVQ groups+56(FP), AX
	MOVQ AX, 136(SP)
	VMOVDQU rpk0f<>(SB), Y15

q40gmgroup:
	MOVQ    R8, SI
	LEAQ    (R8)(R9*4), DI
	LEAQ    (R8)(R9*8), CX
	MOVQ    CX, 144(SP)
	MOVQ    x+16(FP), BX
	MOVQ    aux+24(FP), AX
	MOVQ    nb+64(FP), CX
	MOVQ    CX, 128(SP)
	VXORPS  Y0, Y0, Y0
	VMOVUPS Y0, 0(SP)
	VMOVUPS Y0, 32(SP)
	VMOVUPS Y0, 64(SP)
	VMOVUPS Y0, 96(SP)

q40gmblock:
	MOVQ       144(SP), CX
	PREFETCHT0 (CX)
	PREFETCHT0 48(CX)
	PREFETCHT0 96(CX)
	ADDQ       $144, 144(SP)
	Q40_D
	Q40_DECODE
	Q40_TOK(0, (BX), (AX))
	Q40_TOK(1, (BX)(R11*1), (AX)(R11*1))
	Q40_TOK(2, (BX)(R12*1), (AX)(R12*1))
	Q40_TOK(3, (BX)(R13*1), (AX)(R13*1))

	ADDQ $18, SI
	ADDQ $18, DI
	ADDQ $34, BX
	ADDQ $8, AX
	DECQ 128(SP)
	JNZ  q40gmblock

	MOVQ    outStride+48(FP), CX
	VMOVUPS 0(SP), Y0
	VMOVUPS Y0, (DX)
	VMOVUPS 32(SP), Y0
	VMOVUPS Y0, (DX)(CX*1)
	LEAQ    (DX)(CX*2), R14
	VMOVUPS 64(SP), Y0
	VMOVUPS Y0, (R14)
	VMOVUPS 96(SP), Y0
	VMOVUPS Y0, (R14)(CX*1)
	ADDQ    $32, DX
	LEAQ    (R8)(R9*8), R8
	DECQ    136(SP)
	JNZ     q40gmgroup
	VZEROUPPER
	RET
