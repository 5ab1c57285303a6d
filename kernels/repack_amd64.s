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
// The kernels take eight weight rows at a time. In the gemv kernels and the
// Q4_0 gemm, a ymm register holds 16 bytes of row i (i < 4) in its low
// 128-bit lane and the same bytes of row i+4 in its high lane ("pair i"),
// each lane multiplied with the same activation bytes (VBROADCASTI128).
// Three VPHADDD/VPHADDW steps then turn the four pair registers into one
// register of eight row sums, lane r = row r, whose float FMAs are then
// done side by side. The Q4_K gemm transposes instead (see repackQ4KGemm4).
// Quants are multiplied as unsigned nibbles with VPMADDUBSW; the int16 sums
// never hold more than 16 products of at most 15*128, so cannot overflow.
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

// KQ_TRANSPOSE(h, t): bytes 16h..16h+15 of the current 32 quant bytes of
// eight rows (rows 0..3 at AX + 0, R9, 2*R9, R10; rows 4..7 likewise at
// CX) transposed to Y0..Y3: dword r of Yj (lane 0 rows 0..3, lane 1 rows
// 4..7) = bytes 16h+4j..+3 of row r. Clobbers Y8..Y10 and t.
#define KQ_TRANSPOSE(h, t) \
	VMOVDQU     (16+16*h)(AX), X0 \
	VINSERTI128 $1, (16+16*h)(CX), Y0, Y0 \
	VMOVDQU     (16+16*h)(AX)(R9*1), X1 \
	VINSERTI128 $1, (16+16*h)(CX)(R9*1), Y1, Y1 \
	VMOVDQU     (16+16*h)(AX)(R9*2), X2 \
	VINSERTI128 $1, (16+16*h)(CX)(R9*2), Y2, Y2 \
	VMOVDQU     (16+16*h)(AX)(R10*1), X3 \
	VINSERTI128 $1, (16+16*h)(CX)(R10*1), Y3, Y3 \
	VPUNPCKLDQ  Y1, Y0, Y8 \
	VPUNPCKHDQ  Y1, Y0, Y9 \
	VPUNPCKLDQ  Y3, Y2, Y10 \
	VPUNPCKHDQ  Y3, Y2, t \
	VPUNPCKLQDQ Y10, Y8, Y0 \
	VPUNPCKHQDQ Y10, Y8, Y1 \
	VPUNPCKLQDQ t, Y9, Y2 \
	VPUNPCKHQDQ t, Y9, Y3

// KQ_ARGS(wslot, oslot, gslot): the arguments of the transposed Q4_K
// kernels (repackQ4KGemm4, repackQ4KGemv8) to their registers and the
// frame slots wslot (w), oslot (out), gslot (groups): R9 = rowBytes,
// R10 = 3*rowBytes, R11/R12/R13 = 1/2/3 × xStride.
#define KQ_ARGS(wslot, oslot, gslot) \
	MOVQ w+0(FP), AX \
	MOVQ AX, wslot(SP) \
	MOVQ rowBytes+8(FP), R9 \
	LEAQ (R9)(R9*2), R10 \
	MOVQ xStride+24(FP), R11 \
	LEAQ (R11)(R11*1), R12 \
	LEAQ (R12)(R11*1), R13 \
	MOVQ out+32(FP), AX \
	MOVQ AX, oslot(SP) \
	MOVQ groups+48(FP), AX \
	MOVQ AX, gslot(SP)

// KQ_GROUP(wslot, nslot, aslot): the start of a group of eight rows:
// SI/DI = rows 0/4, R14 = the next group (for prefetching), BX = token 0's
// activation row, the super-block count to the frame slot nslot and the address of
// the row's sub-block sums (repackPrepare) to aslot.
#define KQ_GROUP(wslot, nslot, aslot) \
	MOVQ   wslot(SP), SI \
	LEAQ   (SI)(R9*4), DI \
	LEAQ   (SI)(R9*8), R14 \
	MOVQ   x+16(FP), BX \
	MOVQ   nb+56(FP), AX \
	MOVQ   AX, nslot(SP) \
	IMUL3Q $292, AX, AX \
	ADDQ   BX, AX \
	MOVQ   AX, aslot(SP)

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

// repackQ4KGemm4 lays the eight rows out the other way: dword r of a ymm
// register holds four consecutive quants of row r (lane 0 rows 0..3, lane 1
// rows 4..7; the quant bytes are transposed once per 64 elements for the
// four tokens), multiplied with four activation bytes broadcast to every
// dword (VPBROADCASTD), so the row sums build up in place: no horizontal
// steps, and one VPMADDWD with the scales per sub-block and token.
//
// Frame (byte offsets from SP): KT_SCT + 32k: sub-block k's scales, row
// r's in both words of dword r; d and dmin (floats, lane r = row r); per
// token t, d*da, then the quant and min accumulators.
#define KT_SCT 0
#define KT_DW 256
#define KT_DMW 288
#define KT_DV(t) (320+32*(t))
#define KT_ACC(t) (448+32*(t))
#define KT_ACCM(t) (576+32*(t))
#define KT_NB 704
#define KT_GROUPS 712
#define KT_OUT 720
#define KT_W 728
#define KT_IACC(t) (736+32*(t))
#define KT_GV 864
#define KT_AUX 872

// KT_T(h, j, L, H, xb): one token's products with the quants in Y8 (low
// nibbles) and Y9 (high), dword r = row r: L += maddubs(Y8, 4 activations
// of the low sub-block), H likewise for the high one. Clobbers Y10.
#define KT_T(h, j, L, H, xb) \
	VPBROADCASTD (4+16*h+4*j)xb, Y10 \
	VPMADDUBSW   Y10, Y8, Y10 \
	VPADDW       Y10, L, L \
	VPBROADCASTD (36+16*h+4*j)xb, Y10 \
	VPMADDUBSW   Y10, Y9, Y10 \
	VPADDW       Y10, H, H

#define KT_J(h, j, q) \
	VPSRLW $4, q, Y9 \
	VPAND  rpk0f<>(SB), q, Y8 \
	VPAND  rpk0f<>(SB), Y9, Y9 \
	KT_T(h, j, Y4, Y11, (R8)) \
	KT_T(h, j, Y5, Y12, (R8)(R11*1)) \
	KT_T(h, j, Y6, Y13, (R8)(R12*1)) \
	KT_T(h, j, Y7, Y14, (R8)(R13*1))

// KT_HALF(h): bytes 16h..16h+15 of the 32 quant bytes at AX/CX transposed
// (KQ_TRANSPOSE), then their products with the four tokens.
#define KT_HALF(h) \
	KQ_TRANSPOSE(h, Y15) \
	KT_J(h, 0, Y0) \
	KT_J(h, 1, Y1) \
	KT_J(h, 2, Y2) \
	KT_J(h, 3, Y3)

// KT_FIN(t, L, H): acc_t = fma(float(row sums), d*da_t, acc_t) with the
// sub-block scales of this p (DX = 64p).
#define KT_FIN(t, L, H) \
	VPMADDWD    KT_SCT(SP)(DX*1), L, L \
	VPMADDWD    (KT_SCT+32)(SP)(DX*1), H, H \
	VPADDD      H, L, L \
	VCVTDQ2PS   L, L \
	VMOVUPS     KT_ACC(t)(SP), Y8 \
	VFMADD231PS KT_DV(t)(SP), L, Y8 \
	VMOVUPS     Y8, KT_ACC(t)(SP)

// KT_FIN_GV(t, L, H): as KT_FIN, for gemv order: the row sums of this p
// are added to token t's exact integer sums of the super-block, which
// KT_GV_FOLD folds into acc_t once the super-block is done.
#define KT_FIN_GV(t, L, H) \
	VPMADDWD KT_SCT(SP)(DX*1), L, L \
	VPMADDWD (KT_SCT+32)(SP)(DX*1), H, H \
	VPADDD   H, L, L \
	VPADDD   KT_IACC(t)(SP), L, L \
	VMOVDQU  L, KT_IACC(t)(SP)

// KT_GV_FOLD(t): acc_t = fma(float(super-block sums), d*da_t, acc_t).
#define KT_GV_FOLD(t) \
	VCVTDQ2PS   KT_IACC(t)(SP), Y8 \
	VMOVUPS     KT_ACC(t)(SP), Y9 \
	VFMADD231PS KT_DV(t)(SP), Y8, Y9 \
	VMOVUPS     Y9, KT_ACC(t)(SP)

// KT_SCT2(m, w): the scale vectors of sub-blocks 2m, 2m+1 from w (words
// 0..3: sub-block 2m of rows 0..3, 4..7: sub-block 2m+1; lane 1 rows 4..7):
// each row's scale in both words of its dword.
#define KT_SCT2(m, w) \
	VPUNPCKLWD w, w, Y8 \
	VMOVDQU    Y8, (KT_SCT+64*m)(SP) \
	VPUNPCKHWD w, w, Y8 \
	VMOVDQU    Y8, (KT_SCT+64*m+32)(SP)

// KT_TOKSETUP(t, xb): d*da and dmin*da of token t, and its min sums in
// gemm order: accMin = fma(float(m_p), dmin*da, accMin) for p = 0..3, with
// Y0..Y3 = the mins of rows 0..7 for p (dword r: m[2p], m[2p+1] of row r).
#define KT_TOKSETUP(t, xb) \
	VBROADCASTSS   xb, Y4 \
	VMULPS         KT_DW(SP), Y4, Y5 \
	VMOVUPS        Y5, KT_DV(t)(SP) \
	VMULPS         KT_DMW(SP), Y4, Y5 \
	VBROADCASTI128 260 xb, Y6 \
	VBROADCASTI128 276 xb, Y7 \
	VPHADDW        Y7, Y6, Y6 \
	VMOVUPS        KT_ACCM(t)(SP), Y8 \
	VPSHUFD        $0x00, Y6, Y7 \
	VPMADDWD       Y7, Y0, Y7 \
	VCVTDQ2PS      Y7, Y7 \
	VFMADD231PS    Y5, Y7, Y8 \
	VPSHUFD        $0x55, Y6, Y7 \
	VPMADDWD       Y7, Y1, Y7 \
	VCVTDQ2PS      Y7, Y7 \
	VFMADD231PS    Y5, Y7, Y8 \
	VPSHUFD        $0xAA, Y6, Y7 \
	VPMADDWD       Y7, Y2, Y7 \
	VCVTDQ2PS      Y7, Y7 \
	VFMADD231PS    Y5, Y7, Y8 \
	VPSHUFD        $0xFF, Y6, Y7 \
	VPMADDWD       Y7, Y3, Y7 \
	VCVTDQ2PS      Y7, Y7 \
	VFMADD231PS    Y5, Y7, Y8 \
	VMOVUPS        Y8, KT_ACCM(t)(SP)

// TOKSETUP_GV(dv, accm, iacc, xb, ab): the gemv-order token set-up with the
// frame offsets of d*da (dv), the min accumulator (accm) and the integer
// sums (iacc) of the token at xb, whose super-block's sub-block sums in
// pairs (repackPrepare's words for Q4_K) are at ab.
#define TOKSETUP_GV(dv, accm, iacc, xb, ab) \
	VBROADCASTSS xb, Y4 \
	VMULPS       KT_DW(SP), Y4, Y5 \
	VMOVUPS      Y5, dv(SP) \
	VMULPS       KT_DMW(SP), Y4, Y5 \
	VPMADDWD     ab, Y0, Y8 \
	VPMADDWD     32 ab, Y1, Y7 \
	VPADDD       Y7, Y8, Y8 \
	VPMADDWD     64 ab, Y2, Y7 \
	VPADDD       Y7, Y8, Y8 \
	VPMADDWD     96 ab, Y3, Y7 \
	VPADDD       Y7, Y8, Y8 \
	VCVTDQ2PS    Y8, Y8 \
	VMOVUPS      accm(SP), Y7 \
	VFMADD231PS  Y5, Y8, Y7 \
	VMOVUPS      Y7, accm(SP) \
	VPXOR        Y7, Y7, Y7 \
	VMOVDQU      Y7, iacc(SP)

// KT_TOKSETUP_GV(t, xb, ab): as KT_TOKSETUP, in gemv order: the four min
// sums are added as integers, then accMin = fma(float(sum), dmin*da,
// accMin) once per super-block. Also clears token t's quant sums.
#define KT_TOKSETUP_GV(t, xb, ab) TOKSETUP_GV(KT_DV(t), KT_ACCM(t), KT_IACC(t), xb, ab)

// KT_BLOCK: a super-block's head for the transposed kernels: K_HEAD, d
// and dmin of rows 0..7 to KT_DW and KT_DMW, per sub-block k row r's
// scale in both words of dword r to KT_SCT + 32k, and Y0..Y3 = the mins
// per p (dword r = m[2p], m[2p+1] of row r).
#define KT_BLOCK \
	K_HEAD \
	VMOVUPS Y5, KT_DW(SP) \
	VMOVUPS Y4, KT_DMW(SP) \
	VPMOVZXBW  X0, Y4 \
	VPMOVZXBW  X1, Y5 \
	VPMOVZXBW  X2, Y6 \
	VPMOVZXBW  X3, Y7 \
	VPUNPCKLWD Y5, Y4, Y8 \
	VPUNPCKHWD Y5, Y4, Y9 \
	VPUNPCKLWD Y7, Y6, Y10 \
	VPUNPCKHWD Y7, Y6, Y11 \
	VPUNPCKLDQ Y10, Y8, Y4 \
	VPUNPCKHDQ Y10, Y8, Y5 \
	VPUNPCKLDQ Y11, Y9, Y6 \
	VPUNPCKHDQ Y11, Y9, Y7 \
	KT_SCT2(0, Y4) \
	KT_SCT2(1, Y5) \
	KT_SCT2(2, Y6) \
	KT_SCT2(3, Y7) \
	VEXTRACTI128 $1, Y0, X4 \
	VPMOVZXBW    X4, Y4 \
	VEXTRACTI128 $1, Y1, X5 \
	VPMOVZXBW    X5, Y5 \
	VEXTRACTI128 $1, Y2, X6 \
	VPMOVZXBW    X6, Y6 \
	VEXTRACTI128 $1, Y3, X7 \
	VPMOVZXBW    X7, Y7 \
	VPUNPCKLDQ   Y5, Y4, Y8 \
	VPUNPCKHDQ   Y5, Y4, Y9 \
	VPUNPCKLDQ   Y7, Y6, Y10 \
	VPUNPCKHDQ   Y7, Y6, Y11 \
	VPUNPCKLQDQ  Y10, Y8, Y0 \
	VPUNPCKHQDQ  Y10, Y8, Y1 \
	VPUNPCKLQDQ  Y11, Y9, Y2 \
	VPUNPCKHQDQ  Y11, Y9, Y3

// func repackQ4KGemm4(w *byte, rowBytes int, x *byte, xStride int, out *float32, outStride, groups, nb, gemv int)
//
// Four tokens in gemm order, or, with gemv != 0, in gemv order (each
// token's result is then the one repackQ4KGemv gives it alone).
TEXT ·repackQ4KGemm4(SB), $880-72
	KQ_ARGS(KT_W, KT_OUT, KT_GROUPS)
	MOVQ gemv+64(FP), AX
	MOVQ AX, KT_GV(SP)

ktgroup:
	KQ_GROUP(KT_W, KT_NB, KT_AUX)
	VXORPS  Y0, Y0, Y0
	VMOVUPS Y0, KT_ACC(0)(SP)
	VMOVUPS Y0, KT_ACC(1)(SP)
	VMOVUPS Y0, KT_ACC(2)(SP)
	VMOVUPS Y0, KT_ACC(3)(SP)
	VMOVUPS Y0, KT_ACCM(0)(SP)
	VMOVUPS Y0, KT_ACCM(1)(SP)
	VMOVUPS Y0, KT_ACCM(2)(SP)
	VMOVUPS Y0, KT_ACCM(3)(SP)

ktblock:
	PREFETCH_SB(R14)
	ADDQ    $1152, R14
	KT_BLOCK
	CMPQ KT_GV(SP), $0
	JNE  kttoksgv
	KT_TOKSETUP(0, (BX))
	KT_TOKSETUP(1, (BX)(R11*1))
	KT_TOKSETUP(2, (BX)(R12*1))
	KT_TOKSETUP(3, (BX)(R13*1))
	JMP  kttoksdone

kttoksgv:
	MOVQ KT_AUX(SP), AX
	KT_TOKSETUP_GV(0, (BX), (AX))
	KT_TOKSETUP_GV(1, (BX)(R11*1), (AX)(R11*1))
	KT_TOKSETUP_GV(2, (BX)(R12*1), (AX)(R12*1))
	KT_TOKSETUP_GV(3, (BX)(R13*1), (AX)(R13*1))

kttoksdone:

	// Quants, per 64 elements p: AX/CX = rows 0/4 + 32p, R8 = x + 64p,
	// DX = 64p.
	MOVQ SI, AX
	MOVQ DI, CX
	MOVQ BX, R8
	MOVQ $0, DX

ktp:
	VPXOR Y4, Y4, Y4
	VPXOR Y5, Y5, Y5
	VPXOR Y6, Y6, Y6
	VPXOR Y7, Y7, Y7
	VPXOR Y11, Y11, Y11
	VPXOR Y12, Y12, Y12
	VPXOR Y13, Y13, Y13
	VPXOR Y14, Y14, Y14
	KT_HALF(0)
	KT_HALF(1)
	CMPQ  KT_GV(SP), $0
	JNE   ktpgv
	KT_FIN(0, Y4, Y11)
	KT_FIN(1, Y5, Y12)
	KT_FIN(2, Y6, Y13)
	KT_FIN(3, Y7, Y14)
	JMP   ktpnext

ktpgv:
	KT_FIN_GV(0, Y4, Y11)
	KT_FIN_GV(1, Y5, Y12)
	KT_FIN_GV(2, Y6, Y13)
	KT_FIN_GV(3, Y7, Y14)

ktpnext:
	ADDQ  $32, AX
	ADDQ  $32, CX
	ADDQ  $64, R8
	ADDQ  $64, DX
	CMPQ  DX, $256
	JNE   ktp

	CMPQ KT_GV(SP), $0
	JE   ktblocknext
	KT_GV_FOLD(0)
	KT_GV_FOLD(1)
	KT_GV_FOLD(2)
	KT_GV_FOLD(3)

ktblocknext:
	ADDQ $144, SI
	ADDQ $144, DI
	ADDQ $292, BX
	ADDQ $128, KT_AUX(SP)
	DECQ KT_NB(SP)
	JNZ  ktblock

	MOVQ    KT_OUT(SP), AX
	MOVQ    outStride+40(FP), CX
	VMOVUPS KT_ACC(0)(SP), Y0
	VSUBPS  KT_ACCM(0)(SP), Y0, Y0
	VMOVUPS Y0, (AX)
	ADDQ    CX, AX
	VMOVUPS KT_ACC(1)(SP), Y0
	VSUBPS  KT_ACCM(1)(SP), Y0, Y0
	VMOVUPS Y0, (AX)
	ADDQ    CX, AX
	VMOVUPS KT_ACC(2)(SP), Y0
	VSUBPS  KT_ACCM(2)(SP), Y0, Y0
	VMOVUPS Y0, (AX)
	ADDQ    CX, AX
	VMOVUPS KT_ACC(3)(SP), Y0
	VSUBPS  KT_ACCM(3)(SP), Y0, Y0
	VMOVUPS Y0, (AX)

	ADDQ $32, KT_OUT(SP)
	MOVQ KT_W(SP), AX
	LEAQ (AX)(R9*8), AX
	MOVQ AX, KT_W(SP)
	DECQ KT_GROUPS(SP)
	JNZ  ktgroup
	VZEROUPPER
	RET

// repackQ4KGemv8 is repackQ4KGemm4's gemv order for eight tokens (a batch
// of decoding sequences): the eight rows' quants are decoded once per
// super-block for all eight, so the per-token work is one broadcast, one
// VPMADDUBSW and one VPADDW per four quants of eight rows. Eight tokens'
// accumulators do not fit beside both nibble halves, so each 64 elements p
// are transposed once into the frame (the bytes, and the bytes shifted
// right by four: low and high nibbles once masked as they are loaded), and the
// low sub-block (2p) and the high one (2p+1) are summed one after the
// other, each into eight int16 accumulators. The int32 sums per super-block
// are the gemv kernel's exactly (integer sums, no overflow: see
// repackQ4KGemm4), so every token's result is repackQ4KGemv's.
//
// Frame: the scales, d and dmin at KT_SCT, KT_DW, KT_DMW (as
// repackQ4KGemm4); per token t, d*da, the quant and min accumulators and
// the super-block's integer sums; the transposed nibbles of p.
#define G8_DV(t) (320+32*(t))
#define G8_ACC(t) (576+32*(t))
#define G8_ACCM(t) (832+32*(t))
#define G8_IACC(t) (1088+32*(t))
#define G8_LO(k) (1344+32*(k))
#define G8_HI(k) (1600+32*(k))
#define G8_LOB 1344
#define G8_HIB 1600
#define G8_NB 1856
#define G8_GROUPS 1864
#define G8_OUT 1872
#define G8_W 1880
#define G8_PF 1888
#define G8_AUX 1896

// G8_TOKSETUP(t, xb, ab): KT_TOKSETUP_GV for token t of eight.
#define G8_TOKSETUP(t, xb, ab) TOKSETUP_GV(G8_DV(t), G8_ACCM(t), G8_IACC(t), xb, ab)

// G8_NIB(k, q): the quant bytes q to G8_LO(k) and q shifted right by four
// bits (as int16 words) to G8_HI(k): masked with 0x0f bytes when they are
// loaded (G8_K), they are the low and high nibbles. Clobbers Y13.
#define G8_NIB(k, q) \
	VPSRLW  $4, q, Y13 \
	VMOVDQU q, G8_LO(k)(SP) \
	VMOVDQU Y13, G8_HI(k)(SP)

// G8_HALF(h): bytes 16h..16h+15 of the 32 quant bytes of p of the eight
// rows, transposed as in KT_HALF, to G8_LO/G8_HI(4h+j).
#define G8_HALF(h) \
	KQ_TRANSPOSE(h, Y11) \
	G8_NIB(4*h, Y0) \
	G8_NIB(4*h+1, Y1) \
	G8_NIB(4*h+2, Y2) \
	G8_NIB(4*h+3, Y3)

// G8_T(acc, o, xb, tmp): acc += maddubs(Y12, the four activation bytes at
// o(xb) broadcast).
#define G8_T(acc, o, xb, tmp) \
	VPBROADCASTD o xb, tmp \
	VPMADDUBSW   tmp, Y12, tmp \
	VPADDW       tmp, acc, acc

// G8_T0: G8_T for the first four elements of a sub-block: acc = the
// products.
#define G8_T0(acc, o, xb) \
	VPBROADCASTD o xb, acc \
	VPMADDUBSW   acc, Y12, acc

// G8_K0: G8_K for the first four elements of a sub-block.
#define G8_K0(q, o) \
	VPAND   q(SP), Y15, Y12 \
	G8_T0(Y4, o, (R8)) \
	G8_T0(Y5, o, (R8)(R11*1)) \
	G8_T0(Y6, o, (R8)(R12*1)) \
	G8_T0(Y7, o, (R8)(R13*1)) \
	G8_T0(Y8, o, (R14)) \
	G8_T0(Y9, o, (R14)(R11*1)) \
	G8_T0(Y10, o, (R14)(R12*1)) \
	G8_T0(Y11, o, (R14)(R13*1))

// G8_K(q, o): the eight tokens' products with the nibbles at q(SP)
// (masked with Y15, 0x0f bytes), activation bytes at offset o of each
// token's p.
#define G8_K(q, o) \
	VPAND   q(SP), Y15, Y12 \
	G8_T(Y4, o, (R8), Y13) \
	G8_T(Y5, o, (R8)(R11*1), Y14) \
	G8_T(Y6, o, (R8)(R12*1), Y13) \
	G8_T(Y7, o, (R8)(R13*1), Y14) \
	G8_T(Y8, o, (R14), Y13) \
	G8_T(Y9, o, (R14)(R11*1), Y14) \
	G8_T(Y10, o, (R14)(R12*1), Y13) \
	G8_T(Y11, o, (R14)(R13*1), Y14)

// G8_SUB(nib, o0, sc): one sub-block of p for the eight tokens (nib: the
// frame offset of its nibbles, G8_LOB or G8_HIB): the
// int16 sums over its 32 elements, times the rows' scales (sc: KT_SCT
// offset of the sub-block's), added to the tokens' super-block sums.
#define G8_SUB(nib, o0, sc) \
	G8_K0((nib+32*0), o0) \
	G8_K((nib+32*1), (o0+4)) \
	G8_K((nib+32*2), (o0+8)) \
	G8_K((nib+32*3), (o0+12)) \
	G8_K((nib+32*4), (o0+16)) \
	G8_K((nib+32*5), (o0+20)) \
	G8_K((nib+32*6), (o0+24)) \
	G8_K((nib+32*7), (o0+28)) \
	G8_FIN(0, Y4, sc) \
	G8_FIN(1, Y5, sc) \
	G8_FIN(2, Y6, sc) \
	G8_FIN(3, Y7, sc) \
	G8_FIN(4, Y8, sc) \
	G8_FIN(5, Y9, sc) \
	G8_FIN(6, Y10, sc) \
	G8_FIN(7, Y11, sc)

// G8_FIN(t, acc, sc): token t's super-block sums += pmaddwd(acc, scales).
#define G8_FIN(t, acc, sc) \
	VPMADDWD sc(SP)(DX*1), acc, acc \
	VPADDD   G8_IACC(t)(SP), acc, acc \
	VMOVDQU  acc, G8_IACC(t)(SP)

// G8_FOLD(t): acc_t = fma(float(super-block sums), d*da_t, acc_t).
#define G8_FOLD(t) \
	VCVTDQ2PS   G8_IACC(t)(SP), Y8 \
	VMOVUPS     G8_ACC(t)(SP), Y9 \
	VFMADD231PS G8_DV(t)(SP), Y8, Y9 \
	VMOVUPS     Y9, G8_ACC(t)(SP)

// G8_OUTT(t): token t's results (quant sums minus min sums) to (AX),
// then AX += outStride (CX).
#define G8_OUTT(t) \
	VMOVUPS G8_ACC(t)(SP), Y0 \
	VSUBPS  G8_ACCM(t)(SP), Y0, Y0 \
	VMOVUPS Y0, (AX) \
	ADDQ    CX, AX

// func repackQ4KGemv8(w *byte, rowBytes int, x *byte, xStride int, out *float32, outStride, groups, nb int)
TEXT ·repackQ4KGemv8(SB), $1920-64
	KQ_ARGS(G8_W, G8_OUT, G8_GROUPS)

g8group:
	KQ_GROUP(G8_W, G8_NB, G8_AUX)
	VXORPS  Y0, Y0, Y0
	VMOVUPS Y0, G8_ACC(0)(SP)
	VMOVUPS Y0, G8_ACC(1)(SP)
	VMOVUPS Y0, G8_ACC(2)(SP)
	VMOVUPS Y0, G8_ACC(3)(SP)
	VMOVUPS Y0, G8_ACC(4)(SP)
	VMOVUPS Y0, G8_ACC(5)(SP)
	VMOVUPS Y0, G8_ACC(6)(SP)
	VMOVUPS Y0, G8_ACC(7)(SP)
	VMOVUPS Y0, G8_ACCM(0)(SP)
	VMOVUPS Y0, G8_ACCM(1)(SP)
	VMOVUPS Y0, G8_ACCM(2)(SP)
	VMOVUPS Y0, G8_ACCM(3)(SP)
	VMOVUPS Y0, G8_ACCM(4)(SP)
	VMOVUPS Y0, G8_ACCM(5)(SP)
	VMOVUPS Y0, G8_ACCM(6)(SP)
	VMOVUPS Y0, G8_ACCM(7)(SP)

g8block:
	PREFETCH_SB(R14)
	ADDQ    $1152, R14
	MOVQ    R14, G8_PF(SP)
	KT_BLOCK
	LEAQ         (BX)(R11*4), R14
	MOVQ         G8_AUX(SP), AX
	LEAQ         (AX)(R11*4), CX
	G8_TOKSETUP(0, (BX), (AX))
	G8_TOKSETUP(1, (BX)(R11*1), (AX)(R11*1))
	G8_TOKSETUP(2, (BX)(R12*1), (AX)(R12*1))
	G8_TOKSETUP(3, (BX)(R13*1), (AX)(R13*1))
	G8_TOKSETUP(4, (R14), (CX))
	G8_TOKSETUP(5, (R14)(R11*1), (CX)(R11*1))
	G8_TOKSETUP(6, (R14)(R12*1), (CX)(R12*1))
	G8_TOKSETUP(7, (R14)(R13*1), (CX)(R13*1))

	// Quants, per 64 elements p: AX/CX = rows 0/4 + 32p, R8 = x + 64p
	// (tokens 0..3), R14 = R8 + 4*xStride (tokens 4..7), DX = 64p.
	MOVQ SI, AX
	MOVQ DI, CX
	MOVQ BX, R8
	MOVQ $0, DX

g8p:
	G8_HALF(0)
	G8_HALF(1)
	VMOVDQU rpk0f<>(SB), Y15
	G8_SUB(G8_LOB, 4, KT_SCT)
	G8_SUB(G8_HIB, 36, (KT_SCT+32))
	ADDQ $32, AX
	ADDQ $32, CX
	ADDQ $64, R8
	ADDQ $64, R14
	ADDQ $64, DX
	CMPQ DX, $256
	JNE  g8p

	G8_FOLD(0)
	G8_FOLD(1)
	G8_FOLD(2)
	G8_FOLD(3)
	G8_FOLD(4)
	G8_FOLD(5)
	G8_FOLD(6)
	G8_FOLD(7)

	MOVQ G8_PF(SP), R14
	ADDQ $144, SI
	ADDQ $144, DI
	ADDQ $292, BX
	ADDQ $128, G8_AUX(SP)
	DECQ G8_NB(SP)
	JNZ  g8block

	MOVQ G8_OUT(SP), AX
	MOVQ outStride+40(FP), CX
	G8_OUTT(0)
	G8_OUTT(1)
	G8_OUTT(2)
	G8_OUTT(3)
	G8_OUTT(4)
	G8_OUTT(5)
	G8_OUTT(6)
	G8_OUTT(7)

	ADDQ $32, G8_OUT(SP)
	MOVQ G8_W(SP), AX
	LEAQ (AX)(R9*8), AX
	MOVQ AX, G8_W(SP)
	DECQ G8_GROUPS(SP)
	JNZ  g8group
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
