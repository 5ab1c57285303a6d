//go:build arm64 && !purego

#include "textflag.h"

// F32, F16 and BF16 row dot products for arm64 NEON (dot_float_arm64.go),
// bit-identical to quant's dotF32/dotF16/dotBF16 (vec_dot order, rows of a
// multiple of 32 elements) and quant.TinyDot (tinyBLAS order, multiples of
// 8). Each 8-lane accumulator of the reference is two 4-lane registers with
// the same FMAs (FMLA); the reductions follow the reference's trees.
// Arithmetic the Go assembler lacks is emitted with WORD; macro arguments
// are register numbers, destination first.

// FCVTL Vd.4S, Vn.4H / FCVTL2 Vd.4S, Vn.8H (exact)
#define WFCVTL(d, n) WORD $(0x0E217800 | ((n)<<5) | (d))
#define WFCVTL2(d, n) WORD $(0x4E217800 | ((n)<<5) | (d))
// SHLL Vd.4S, Vn.4H, #16 / SHLL2 Vd.4S, Vn.8H, #16 (bfloat16 to float32)
#define WSHLL16(d, n) WORD $(0x2E613800 | ((n)<<5) | (d))
#define WSHLL2_16(d, n) WORD $(0x6E613800 | ((n)<<5) | (d))
// FMLA Vd.4S, Vn.4S, Vm.4S (one rounding); FADD, FADDP Vd.4S; FADD Vd.2S
#define WFMLA4S(d, n, m) WORD $(0x4E20CC00 | ((m)<<16) | ((n)<<5) | (d))
#define WFADD4S(d, n, m) WORD $(0x4E20D400 | ((m)<<16) | ((n)<<5) | (d))
#define WFADDP4S(d, n, m) WORD $(0x6E20D400 | ((m)<<16) | ((n)<<5) | (d))
#define WFADD2S(d, n, m) WORD $(0x0E20D400 | ((m)<<16) | ((n)<<5) | (d))
// FADDP Sd, Vn.2S; EXT Vd.16B, Vn.16B, Vm.16B, #8
#define WFADDP2S(d, n) WORD $(0x7E30D800 | ((n)<<5) | (d))
#define WEXT8(d, n, m) WORD $(0x6E004000 | ((m)<<16) | ((n)<<5) | (d))

// Loads of 32 elements as float32 into V16-V23 (weights, from R0) or
// V24-V31 (activations, from R5), pointers advanced.
#define LDW32_F32 \
	VLD1.P 64(R0), [V16.B16, V17.B16, V18.B16, V19.B16] \
	VLD1.P 64(R0), [V20.B16, V21.B16, V22.B16, V23.B16]
#define LDX32_F32 \
	VLD1.P 64(R5), [V24.B16, V25.B16, V26.B16, V27.B16] \
	VLD1.P 64(R5), [V28.B16, V29.B16, V30.B16, V31.B16]
#define LDW32_F16 \
	VLD1.P 64(R0), [V8.B16, V9.B16, V10.B16, V11.B16] \
	WFCVTL(16, 8) \
	WFCVTL2(17, 8) \
	WFCVTL(18, 9) \
	WFCVTL2(19, 9) \
	WFCVTL(20, 10) \
	WFCVTL2(21, 10) \
	WFCVTL(22, 11) \
	WFCVTL2(23, 11)
#define LDX32_F16 \
	VLD1.P 64(R5), [V12.B16, V13.B16, V14.B16, V15.B16] \
	WFCVTL(24, 12) \
	WFCVTL2(25, 12) \
	WFCVTL(26, 13) \
	WFCVTL2(27, 13) \
	WFCVTL(28, 14) \
	WFCVTL2(29, 14) \
	WFCVTL(30, 15) \
	WFCVTL2(31, 15)
#define LDW32_BF16 \
	VLD1.P 64(R0), [V8.B16, V9.B16, V10.B16, V11.B16] \
	WSHLL16(16, 8) \
	WSHLL2_16(17, 8) \
	WSHLL16(18, 9) \
	WSHLL2_16(19, 9) \
	WSHLL16(20, 10) \
	WSHLL2_16(21, 10) \
	WSHLL16(22, 11) \
	WSHLL2_16(23, 11)
#define LDX32_BF16 \
	VLD1.P 64(R5), [V12.B16, V13.B16, V14.B16, V15.B16] \
	WSHLL16(24, 12) \
	WSHLL2_16(25, 12) \
	WSHLL16(26, 13) \
	WSHLL2_16(27, 13) \
	WSHLL16(28, 14) \
	WSHLL2_16(29, 14) \
	WSHLL16(30, 15) \
	WSHLL2_16(31, 15)

// Loads of 8 elements into V16/V17 (weights, R0) or V24/V25 (R5).
#define LDW8_F32 VLD1.P 32(R0), [V16.B16, V17.B16]
#define LDX8_F32 VLD1.P 32(R5), [V24.B16, V25.B16]
#define LDW8_F16 \
	VLD1.P 16(R0), [V8.B16] \
	WFCVTL(16, 8) \
	WFCVTL2(17, 8)
#define LDX8_F16 \
	VLD1.P 16(R5), [V12.B16] \
	WFCVTL(24, 12) \
	WFCVTL2(25, 12)
#define LDW8_BF16 \
	VLD1.P 16(R0), [V8.B16] \
	WSHLL16(16, 8) \
	WSHLL2_16(17, 8)
#define LDX8_BF16 \
	VLD1.P 16(R5), [V12.B16] \
	WSHLL16(24, 12) \
	WSHLL2_16(25, 12)

// X8: x_l = (c0_l + c2_l) + (c1_l + c3_l) for the four accumulators
// c_j = V(2j) (lanes 0-3), V(2j+1) (lanes 4-7); lanes 0-3 in V0, 4-7 in V1.
#define X8 \
	WFADD4S(0, 0, 4) \
	WFADD4S(2, 2, 6) \
	WFADD4S(0, 0, 2) \
	WFADD4S(1, 1, 5) \
	WFADD4S(3, 3, 7) \
	WFADD4S(1, 1, 3)

// RED4X8: quant's reduce4x8 into S0: t = x[0:4] + x[4:8], (t0+t1) + (t2+t3).
#define RED4X8 \
	X8 \
	WFADD4S(0, 0, 1) \
	WFADDP4S(0, 0, 0) \
	WFADDP2S(0, 0)

// HSUM8: quant's hsum8 of V0 (lanes 0-3) and V1 (4-7) into S0: l = lo + hi,
// (l0+l2) + (l1+l3).
#define HSUM8 \
	WFADD4S(0, 0, 1) \
	WEXT8(1, 0, 0) \
	WFADD2S(0, 0, 1) \
	WFADDP2S(0, 0)

// REDBF16: dotBF16's (c0+c2)+(c1+c3) per lane, then hsum8.
#define REDBF16 \
	X8 \
	HSUM8

// func dotRowsF32(w, x *byte, out *float32, rows, nb int): vec_dot order,
// nb groups of 32 elements per row.
#define FROWSBODY \
	MOVD w+0(FP), R0 \
	MOVD x+8(FP), R1 \
	MOVD out+16(FP), R2 \
	MOVD rows+24(FP), R3 \
	MOVD nb+32(FP), R4 \
frow: \
	VEOR V0.B16, V0.B16, V0.B16 \
	VEOR V1.B16, V1.B16, V1.B16 \
	VEOR V2.B16, V2.B16, V2.B16 \
	VEOR V3.B16, V3.B16, V3.B16 \
	VEOR V4.B16, V4.B16, V4.B16 \
	VEOR V5.B16, V5.B16, V5.B16 \
	VEOR V6.B16, V6.B16, V6.B16 \
	VEOR V7.B16, V7.B16, V7.B16 \
	MOVD R1, R5 \
	MOVD R4, R6 \
fblock: \
	LDW32 \
	LDX32 \
	WFMLA4S(0, 16, 24) \
	WFMLA4S(1, 17, 25) \
	WFMLA4S(2, 18, 26) \
	WFMLA4S(3, 19, 27) \
	WFMLA4S(4, 20, 28) \
	WFMLA4S(5, 21, 29) \
	WFMLA4S(6, 22, 30) \
	WFMLA4S(7, 23, 31) \
	SUBS $1, R6 \
	BNE  fblock \
	FINAL \
	FMOVS.P F0, 4(R2) \
	SUBS $1, R3 \
	BNE  frow \
	RET

// func tinyRowsF32(w, x *byte, out *float32, rows, n8 int): tinyBLAS
// order, one 8-lane accumulator over steps of 8, hsum8.
#define TROWSBODY \
	MOVD w+0(FP), R0 \
	MOVD x+8(FP), R1 \
	MOVD out+16(FP), R2 \
	MOVD rows+24(FP), R3 \
	MOVD n8+32(FP), R4 \
trow: \
	VEOR V0.B16, V0.B16, V0.B16 \
	VEOR V1.B16, V1.B16, V1.B16 \
	MOVD R1, R5 \
	MOVD R4, R6 \
tstep: \
	LDW8 \
	LDX8 \
	WFMLA4S(0, 16, 24) \
	WFMLA4S(1, 17, 25) \
	SUBS $1, R6 \
	BNE  tstep \
	HSUM8 \
	FMOVS.P F0, 4(R2) \
	SUBS $1, R3 \
	BNE  trow \
	RET

#define LDW32 LDW32_F32
#define LDX32 LDX32_F32
#define FINAL RED4X8
#define LDW8 LDW8_F32
#define LDX8 LDX8_F32

TEXT ·dotRowsF32NEON(SB), NOSPLIT, $0-40
	FROWSBODY

TEXT ·tinyRowsF32NEON(SB), NOSPLIT, $0-40
	TROWSBODY

#undef LDW32
#undef LDX32
#undef LDW8
#undef LDX8
#define LDW32 LDW32_F16
#define LDX32 LDX32_F16
#define LDW8 LDW8_F16
#define LDX8 LDX8_F16

TEXT ·dotRowsF16NEON(SB), NOSPLIT, $0-40
	FROWSBODY

TEXT ·tinyRowsF16NEON(SB), NOSPLIT, $0-40
	TROWSBODY

#undef LDW32
#undef LDX32
#undef LDW8
#undef LDX8
#undef FINAL
#define LDW32 LDW32_BF16
#define LDX32 LDX32_BF16
#define LDW8 LDW8_BF16
#define LDX8 LDX8_BF16
#define FINAL REDBF16

TEXT ·dotRowsBF16NEON(SB), NOSPLIT, $0-40
	FROWSBODY

TEXT ·tinyRowsBF16NEON(SB), NOSPLIT, $0-40
	TROWSBODY
