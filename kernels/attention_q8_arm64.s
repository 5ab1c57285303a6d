//go:build arm64 && !purego

#include "textflag.h"

// madQ8 (attention_q8_arm64.go) in NEON; arithmetic the Go assembler lacks
// is emitted with WORD, macro arguments being register numbers,
// destination first.

// SXTL Vd.8H, Vn.8B / SXTL2 Vd.8H, Vn.16B; SXTL Vd.4S, Vn.4H / SXTL2
#define WSXTL8H(d, n) WORD $(0x0F08A400 | ((n)<<5) | (d))
#define WSXTL2_8H(d, n) WORD $(0x4F08A400 | ((n)<<5) | (d))
#define WSXTL4S(d, n) WORD $(0x0F10A400 | ((n)<<5) | (d))
#define WSXTL2_4S(d, n) WORD $(0x4F10A400 | ((n)<<5) | (d))
// SCVTF Vd.4S, Vn.4S; FMUL Vd.4S; FMLA Vd.4S (one rounding)
#define WSCVTF4S(d, n) WORD $(0x4E21D800 | ((n)<<5) | (d))
#define WFMUL4S(d, n, m) WORD $(0x6E20DC00 | ((m)<<16) | ((n)<<5) | (d))
#define WFMLA4S(d, n, m) WORD $(0x4E20CC00 | ((m)<<16) | ((n)<<5) | (d))
// FCVT Sd, Hn; DUP Vd.4S, Vn.S[0]
#define WFCVTSH(d, n) WORD $(0x1EE24000 | ((n)<<5) | (d))
#define WDUPS0(d, n) WORD $(0x4E040400 | ((n)<<5) | (d))

// VALS(d, n): Vd = float(Vn.4S ints) * V30 (the block scale), rounded.
#define VALS(d, n) \
	WSCVTF4S(d, n) \
	WFMUL4S(d, d, 30)

// func madQ8NEON(acc *float32, v *byte, nb int, s float32)
// For each of nb q8_0 blocks of v: acc[j] = fma(float(q[j])*d, s, acc[j]).
TEXT ·madQ8NEON(SB), NOSPLIT, $0-28
	MOVD  acc+0(FP), R0
	MOVD  v+8(FP), R1
	MOVD  nb+16(FP), R2
	FMOVS s+24(FP), F31
	WDUPS0(31, 31)

block:
	MOVHU  (R1), R3
	FMOVS  R3, F30
	WFCVTSH(30, 30)
	WDUPS0(30, 30)
	ADD    $2, R1, R4
	VLD1   (R4), [V0.B16, V1.B16]
	WSXTL8H(2, 0)
	WSXTL2_8H(3, 0)
	WSXTL8H(4, 1)
	WSXTL2_8H(5, 1)
	WSXTL4S(16, 2)
	WSXTL2_4S(17, 2)
	WSXTL4S(18, 3)
	WSXTL2_4S(19, 3)
	WSXTL4S(20, 4)
	WSXTL2_4S(21, 4)
	WSXTL4S(22, 5)
	WSXTL2_4S(23, 5)
	VALS(16, 16)
	VALS(17, 17)
	VALS(18, 18)
	VALS(19, 19)
	VALS(20, 20)
	VALS(21, 21)
	VALS(22, 22)
	VALS(23, 23)
	MOVD   R0, R5
	VLD1.P 64(R5), [V24.B16, V25.B16, V26.B16, V27.B16]
	VLD1   (R5), [V8.B16, V9.B16, V10.B16, V11.B16]
	WFMLA4S(24, 16, 31)
	WFMLA4S(25, 17, 31)
	WFMLA4S(26, 18, 31)
	WFMLA4S(27, 19, 31)
	WFMLA4S(8, 20, 31)
	WFMLA4S(9, 21, 31)
	WFMLA4S(10, 22, 31)
	WFMLA4S(11, 23, 31)
	VST1.P [V24.B16, V25.B16, V26.B16, V27.B16], 64(R0)
	VST1.P [V8.B16, V9.B16, V10.B16, V11.B16], 64(R0)
	ADD    $34, R1
	SUBS   $1, R2
	BNE    block
	RET
