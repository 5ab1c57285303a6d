//go:build arm64 && !purego

#include "textflag.h"

// Float16 vector helpers for attention (see f16vec_arm64.go), NEON,
// bit-identical to the element-wise references in f16vec_generic.go and
// quant.DotF16. Arithmetic the Go assembler lacks is emitted with WORD;
// macro arguments are register numbers, destination first.

// FCVTL Vd.4S, Vn.4H and FCVTL2 Vd.4S, Vn.8H (exact)
#define WFCVTL(d, n) WORD $(0x0E217800 | ((n)<<5) | (d))
#define WFCVTL2(d, n) WORD $(0x4E217800 | ((n)<<5) | (d))
// FCVTN Vd.4H, Vn.4S and FCVTN2 Vd.8H, Vn.4S (round to nearest even)
#define WFCVTN(d, n) WORD $(0x0E216800 | ((n)<<5) | (d))
#define WFCVTN2(d, n) WORD $(0x4E216800 | ((n)<<5) | (d))
// FMLA Vd.4S, Vn.4S, Vm.4S (one rounding); FMUL, FADD, FADDP Vd.4S
#define WFMLA4S(d, n, m) WORD $(0x4E20CC00 | ((m)<<16) | ((n)<<5) | (d))
#define WFMUL4S(d, n, m) WORD $(0x6E20DC00 | ((m)<<16) | ((n)<<5) | (d))
#define WFADD4S(d, n, m) WORD $(0x4E20D400 | ((m)<<16) | ((n)<<5) | (d))
#define WFADDP4S(d, n, m) WORD $(0x6E20D400 | ((m)<<16) | ((n)<<5) | (d))
// FADDP Sd, Vn.2S
#define WFADDP2S(d, n) WORD $(0x7E30D800 | ((n)<<5) | (d))
// DUP Vd.4S, Vn.S[0]
#define WDUPS0(d, n) WORD $(0x4E040400 | ((n)<<5) | (d))

// func scaleF16NEON(acc *uint16, n int, s float32)
// acc[i] = f16(f32(acc[i]) * s) for i < n, n a positive multiple of 8.
TEXT ·scaleF16NEON(SB), NOSPLIT, $0-20
	MOVD  acc+0(FP), R0
	MOVD  n+8(FP), R2
	FMOVS s+16(FP), F31
	WDUPS0(31, 31)

scaleloop:
	VLD1 (R0), [V0.B16]
	WFCVTL(2, 0)
	WFCVTL2(3, 0)
	WFMUL4S(2, 2, 31)
	WFMUL4S(3, 3, 31)
	WFCVTN(0, 2)
	WFCVTN2(0, 3)
	VST1.P [V0.B16], 16(R0)
	SUBS $8, R2
	BNE  scaleloop
	RET

// func madF16NEON(acc, v *uint16, n int, s float32)
// acc[i] = f16(fma(f32(v[i]), s, f32(acc[i]))) for i < n, n a positive
// multiple of 8.
TEXT ·madF16NEON(SB), NOSPLIT, $0-28
	MOVD  acc+0(FP), R0
	MOVD  v+8(FP), R1
	MOVD  n+16(FP), R2
	FMOVS s+24(FP), F31
	WDUPS0(31, 31)

madloop:
	VLD1   (R0), [V0.B16]
	VLD1.P 16(R1), [V1.B16]
	WFCVTL(2, 0)
	WFCVTL2(3, 0)
	WFCVTL(4, 1)
	WFCVTL2(5, 1)
	WFMLA4S(2, 4, 31)
	WFMLA4S(3, 5, 31)
	WFCVTN(0, 2)
	WFCVTN2(0, 3)
	VST1.P [V0.B16], 16(R0)
	SUBS   $8, R2
	BNE    madloop
	RET

// func dotF16F32NEON(a *uint16, b *float32, n int) float32
// quant.DotF16's main loop and reduce4x8 over n elements, n a positive
// multiple of 32: accumulator j (j < 4) of the reference is V(2j) (lanes
// 0-3) and V(2j+1) (lanes 4-7).
TEXT ·dotF16F32NEON(SB), NOSPLIT, $0-28
	MOVD a+0(FP), R0
	MOVD b+8(FP), R1
	MOVD n+16(FP), R2
	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16
	VEOR V2.B16, V2.B16, V2.B16
	VEOR V3.B16, V3.B16, V3.B16
	VEOR V4.B16, V4.B16, V4.B16
	VEOR V5.B16, V5.B16, V5.B16
	VEOR V6.B16, V6.B16, V6.B16
	VEOR V7.B16, V7.B16, V7.B16

dotloop:
	VLD1.P 64(R0), [V16.B16, V17.B16, V18.B16, V19.B16]
	VLD1.P 64(R1), [V8.B16, V9.B16, V10.B16, V11.B16]
	VLD1.P 64(R1), [V12.B16, V13.B16, V14.B16, V15.B16]
	WFCVTL(20, 16)
	WFCVTL2(21, 16)
	WFCVTL(22, 17)
	WFCVTL2(23, 17)
	WFCVTL(24, 18)
	WFCVTL2(25, 18)
	WFCVTL(26, 19)
	WFCVTL2(27, 19)
	WFMLA4S(0, 20, 8)
	WFMLA4S(1, 21, 9)
	WFMLA4S(2, 22, 10)
	WFMLA4S(3, 23, 11)
	WFMLA4S(4, 24, 12)
	WFMLA4S(5, 25, 13)
	WFMLA4S(6, 26, 14)
	WFMLA4S(7, 27, 15)
	SUBS $32, R2
	BNE  dotloop

	// x = (s0 + s2) + (s1 + s3) per lane; t = x[0:4] + x[4:8];
	// (t0 + t1) + (t2 + t3).
	WFADD4S(0, 0, 4)
	WFADD4S(2, 2, 6)
	WFADD4S(0, 0, 2)
	WFADD4S(1, 1, 5)
	WFADD4S(3, 3, 7)
	WFADD4S(1, 1, 3)
	WFADD4S(0, 0, 1)
	WFADDP4S(0, 0, 0)
	WFADDP2S(0, 0)
	FMOVS F0, ret+24(FP)
	RET
