//go:build arm64 && !purego

#include "textflag.h"

// Row dot products for arm64 NEON, bit-identical to the Go references in
// package quant (see dot_arm64.go). Each 8-lane AVX2 float accumulator of
// the reference becomes two 4-lane NEON registers (lanes 0-3, lanes 4-7)
// updated with the same per-lane FMAs (FMLA), and the horizontal sums use
// the reference's tree. Integer sums are exact, so their order is free.
//
// Every kernel exists twice: the ...SDOT symbol uses the dotprod SDOT
// instruction for the int8 4-element dot products, the ...NEON symbol the
// same products with SMULL/SADDLP/ADDP (plain ASIMD). The bodies are macros
// instantiated once per definition of DOT4.
//
// Go's assembler lacks most of the NEON arithmetic used here; those
// instructions are emitted with WORD by the macros below, whose arguments
// are register numbers in the Arm operand order (destination first).

// SDOT Vd.4S, Vn.16B, Vm.16B
#define WSDOT(d, n, m) WORD $(0x4E809400 | ((m)<<16) | ((n)<<5) | (d))
// SMULL Vd.8H, Vn.8B, Vm.8B
#define WSMULL8H(d, n, m) WORD $(0x0E20C000 | ((m)<<16) | ((n)<<5) | (d))
// SMULL2 Vd.8H, Vn.16B, Vm.16B
#define WSMULL2_8H(d, n, m) WORD $(0x4E20C000 | ((m)<<16) | ((n)<<5) | (d))
// SMULL Vd.4S, Vn.4H, Vm.4H
#define WSMULL4S(d, n, m) WORD $(0x0E60C000 | ((m)<<16) | ((n)<<5) | (d))
// SMULL2 Vd.4S, Vn.8H, Vm.8H
#define WSMULL2_4S(d, n, m) WORD $(0x4E60C000 | ((m)<<16) | ((n)<<5) | (d))
// SADDLP Vd.4S, Vn.8H
#define WSADDLP4S(d, n) WORD $(0x4E602800 | ((n)<<5) | (d))
// ADDP Vd.4S, Vn.4S, Vm.4S
#define WADDP4S(d, n, m) WORD $(0x4EA0BC00 | ((m)<<16) | ((n)<<5) | (d))
// ADDP Vd.8H, Vn.8H, Vm.8H
#define WADDP8H(d, n, m) WORD $(0x4E60BC00 | ((m)<<16) | ((n)<<5) | (d))
// ADD Vd.4S, Vn.4S, Vm.4S
#define WADD4S(d, n, m) WORD $(0x4EA08400 | ((m)<<16) | ((n)<<5) | (d))
// SUB Vd.4S, Vn.4S, Vm.4S
#define WSUB4S(d, n, m) WORD $(0x6EA08400 | ((m)<<16) | ((n)<<5) | (d))
// MUL Vd.4S, Vn.4S, Vm.S[i]
#define WMULE4S(d, n, m, i) WORD $(0x4F808000 | (((i)&1)<<21) | (((i)>>1)<<11) | ((m)<<16) | ((n)<<5) | (d))
// MLA Vd.4S, Vn.4S, Vm.S[i]
#define WMLAE4S(d, n, m, i) WORD $(0x6F800000 | (((i)&1)<<21) | (((i)>>1)<<11) | ((m)<<16) | ((n)<<5) | (d))
// ADDV Sd, Vn.4S
#define WADDV4S(d, n) WORD $(0x4EB1B800 | ((n)<<5) | (d))
// SHL Vd.4S, Vn.4S, #sh
#define WSHL4S(d, n, sh) WORD $(0x4F005400 | ((32+(sh))<<16) | ((n)<<5) | (d))
// SXTL Vd.8H, Vn.8B (SSHLL #0) and SXTL2 Vd.8H, Vn.16B
#define WSXTL8H(d, n) WORD $(0x0F08A400 | ((n)<<5) | (d))
#define WSXTL2_8H(d, n) WORD $(0x4F08A400 | ((n)<<5) | (d))
// SXTL Vd.4S, Vn.4H and SXTL2 Vd.4S, Vn.8H
#define WSXTL4S(d, n) WORD $(0x0F10A400 | ((n)<<5) | (d))
#define WSXTL2_4S(d, n) WORD $(0x4F10A400 | ((n)<<5) | (d))
// UXTL Vd.8H, Vn.8B (USHLL #0)
#define WUXTL8H(d, n) WORD $(0x2F08A400 | ((n)<<5) | (d))
// UXTL Vd.4S, Vn.4H and UXTL2 Vd.4S, Vn.8H
#define WUXTL4S(d, n) WORD $(0x2F10A400 | ((n)<<5) | (d))
#define WUXTL2_4S(d, n) WORD $(0x6F10A400 | ((n)<<5) | (d))
// AND / ORR / SUB on Vd.16B
#define WAND16B(d, n, m) WORD $(0x4E201C00 | ((m)<<16) | ((n)<<5) | (d))
#define WORR16B(d, n, m) WORD $(0x4EA01C00 | ((m)<<16) | ((n)<<5) | (d))
#define WSUB16B(d, n, m) WORD $(0x6E208400 | ((m)<<16) | ((n)<<5) | (d))
// USHR Vd.16B, Vn.16B, #sh and SHL Vd.16B, Vn.16B, #sh (1 <= sh <= 7)
#define WUSHR16B(d, n, sh) WORD $(0x6F000400 | ((16-(sh))<<16) | ((n)<<5) | (d))
#define WSHL16B(d, n, sh) WORD $(0x4F005400 | ((8+(sh))<<16) | ((n)<<5) | (d))
// SCVTF Vd.4S, Vn.4S
#define WSCVTF4S(d, n) WORD $(0x4E21D800 | ((n)<<5) | (d))
// FMLA Vd.4S, Vn.4S, Vm.4S (fused, one rounding)
#define WFMLA4S(d, n, m) WORD $(0x4E20CC00 | ((m)<<16) | ((n)<<5) | (d))
// FADD Vd.4S / Vd.2S
#define WFADD4S(d, n, m) WORD $(0x4E20D400 | ((m)<<16) | ((n)<<5) | (d))
#define WFADD2S(d, n, m) WORD $(0x0E20D400 | ((m)<<16) | ((n)<<5) | (d))
// FADDP Sd, Vn.2S
#define WFADDP2S(d, n) WORD $(0x7E30D800 | ((n)<<5) | (d))
// EXT Vd.16B, Vn.16B, Vm.16B, #8
#define WEXT8(d, n, m) WORD $(0x6E004000 | ((m)<<16) | ((n)<<5) | (d))
// DUP Vd.4S, Vn.S[i]
#define WDUPS(d, n, i) WORD $(0x4E000400 | ((((i)<<3)|4)<<16) | ((n)<<5) | (d))
// Scalar single precision: FCVT Sd, Hn; FMUL, FNMUL (-(n*m)), FADD, FSUB
// Sd, Sn, Sm; FMADD Sd, Sn, Sm, Sa (n*m+a, one rounding); SCVTF Sd, Sn;
// FMLA Sd, Sn, Vm.S[i] (d += n*m[i], one rounding).
#define WFCVTSH(d, n) WORD $(0x1EE24000 | ((n)<<5) | (d))
#define WFMULS(d, n, m) WORD $(0x1E200800 | ((m)<<16) | ((n)<<5) | (d))
#define WFNMULS(d, n, m) WORD $(0x1E208800 | ((m)<<16) | ((n)<<5) | (d))
#define WFADDS(d, n, m) WORD $(0x1E202800 | ((m)<<16) | ((n)<<5) | (d))
#define WFSUBS(d, n, m) WORD $(0x1E203800 | ((m)<<16) | ((n)<<5) | (d))
#define WFMADDS(d, n, m, a) WORD $(0x1F000000 | ((m)<<16) | ((a)<<10) | ((n)<<5) | (d))
#define WSCVTFS(d, n) WORD $(0x5E21D800 | ((n)<<5) | (d))
#define WFMLAES(d, n, m, i) WORD $(0x5F801000 | (((i)&1)<<21) | (((i)>>1)<<11) | ((m)<<16) | ((n)<<5) | (d))

// FMUL Vd.4S, Vn.4S, Vm.S[i]
#define WFMULE4S(d, n, m, i) WORD $(0x4F809000 | (((i)&1)<<21) | (((i)>>1)<<11) | ((m)<<16) | ((n)<<5) | (d))
// FSUB Vd.4S
#define WFSUB4S(d, n, m) WORD $(0x4EA0D400 | ((m)<<16) | ((n)<<5) | (d))
// TRN1 / TRN2 Vd.4S; ZIP1 / ZIP2 Vd.2D
#define WTRN1_4S(d, n, m) WORD $(0x4E802800 | ((m)<<16) | ((n)<<5) | (d))
#define WTRN2_4S(d, n, m) WORD $(0x4E806800 | ((m)<<16) | ((n)<<5) | (d))
#define WZIP1_2D(d, n, m) WORD $(0x4EC03800 | ((m)<<16) | ((n)<<5) | (d))
#define WZIP2_2D(d, n, m) WORD $(0x4EC07800 | ((m)<<16) | ((n)<<5) | (d))
// FCVTL Vd.4S, Vn.4H
#define WFCVTL(d, n) WORD $(0x0E217800 | ((n)<<5) | (d))

// FMLA Vd.4S, Vn.4S, Vm.S[i] (one rounding); FNEG Vd.4S
#define WFMLAE4S(d, n, m, i) WORD $(0x4F801000 | (((i)&1)<<21) | (((i)>>1)<<11) | ((m)<<16) | ((n)<<5) | (d))
#define WFNEG4S(d, n) WORD $(0x6EA0F800 | ((n)<<5) | (d))

// DOT4 (defined before each instantiation): Vd.4S[l] += sum of the
// products of bytes 4l..4l+3 of Vn.16B and Vm.16B (signed).
#define DOT4_SDOT(d, n, m) WSDOT(d, n, m)

// Without dotprod: 16 exact int16 products, pairwise to int32, pairwise
// again, added to d. Clobbers V30, V31.
#define DOT4_NEON(d, n, m) \
	WSMULL8H(30, n, m) \
	WSMULL2_8H(31, n, m) \
	WSADDLP4S(30, 30) \
	WSADDLP4S(31, 31) \
	WADDP4S(30, 30, 31) \
	WADD4S(d, d, 30)

// HSUM8 sets Sa to quant's hsum8 of the 8 lanes (Va lanes 0-3, Vb lanes
// 4-7): l_i = a_i + b_i, then (l0+l2) + (l1+l3). Clobbers Vb.
#define HSUM8(a, b) \
	WFADD4S(a, a, b) \
	WEXT8(b, a, a) \
	WFADD2S(a, a, b) \
	WFADDP2S(a, a)

// LOADF16(off, base, F, f) sets Sf (register F, number f) to the float16
// at off(base). Clobbers R7.
#define LOADF16(off, base, F, f) \
	MOVHU off(base), R7 \
	FMOVS R7, F \
	WFCVTSH(f, f)

// KSCALES decodes the 12 packed 6-bit scales and mins of a Q4_K/Q5_K block
// at 4(R0) (quant's scaleMinK4 for j = 0..7): R12 gets the 8 scales as
// bytes, R14 the 8 mins. Clobbers R7, R8, R11, R13.
#define KSCALES \
	MOVD  4(R0), R7 \
	MOVWU 12(R0), R8 \
	ANDW  $0x3f3f3f3f, R7, R12 \
	LSRW  $6, R7, R13 \
	ANDW  $0x03030303, R13, R13 \
	ANDW  $0x0f0f0f0f, R8, R11 \
	ORRW  R13<<4, R11, R11 \
	ORR   R11<<32, R12, R12 \
	LSR   $32, R7, R13 \
	ANDW  $0x3f3f3f3f, R13, R14 \
	LSRW  $6, R13, R13 \
	ANDW  $0x03030303, R13, R13 \
	LSRW  $4, R8, R11 \
	ANDW  $0x0f0f0f0f, R11, R11 \
	ORRW  R13<<4, R11, R11 \
	ORR   R11<<32, R14, R14

// KMINS: with the mins in R14, sets V22 (scales 0-3) and V23 (scales 4-7)
// as int32 from R12, and V27 to quant's k4Mins: lane p =
// min_2p*(bsum_4p+bsum_4p+1) + min_2p+1*(bsum_4p+2+bsum_4p+3), the bsums of
// the Q8_K block at R5. Clobbers R9, V20, V21, V24-V26, V28.
#define KMINS \
	FMOVD R12, F20 \
	FMOVD R14, F21 \
	WUXTL8H(20, 20) \
	WUXTL8H(21, 21) \
	WUXTL4S(22, 20) \
	WUXTL2_4S(23, 20) \
	ADD   $260, R5, R9 \
	VLD1  (R9), [V24.B16, V25.B16] \
	WADDP8H(26, 24, 25) \
	WSMULL4S(27, 21, 26) \
	WSMULL2_4S(28, 21, 26) \
	WADDP4S(27, 27, 28)

// ---------------------------------------------------------------------
// Q8_0 and Q4_0 weights × Q8_0 activations (quant.dotQ0): per block
// acc = fma(dw*dx, float(lanes), acc), hsum8 per row.
//
// func dotRowsQ8_0(w, x *byte, out *float32, rows, nb int)

#define Q80BODY \
	MOVD w+0(FP), R0 \
	MOVD x+8(FP), R1 \
	MOVD out+16(FP), R2 \
	MOVD rows+24(FP), R3 \
	MOVD nb+32(FP), R4 \
q80row: \
	VEOR V0.B16, V0.B16, V0.B16 \
	VEOR V1.B16, V1.B16, V1.B16 \
	MOVD R1, R5 \
	MOVD R4, R6 \
q80block: \
	LOADF16(0, R0, F7, 7) \
	LOADF16(0, R5, F8, 8) \
	WFMULS(7, 7, 8) \
	WDUPS(6, 7, 0) \
	ADD  $2, R0, R9 \
	VLD1 (R9), [V2.B16, V3.B16] \
	ADD  $2, R5, R9 \
	VLD1 (R9), [V4.B16, V5.B16] \
	VEOR V16.B16, V16.B16, V16.B16 \
	VEOR V17.B16, V17.B16, V17.B16 \
	DOT4(16, 2, 4) \
	DOT4(17, 3, 5) \
	WSCVTF4S(16, 16) \
	WSCVTF4S(17, 17) \
	WFMLA4S(0, 6, 16) \
	WFMLA4S(1, 6, 17) \
	ADD  $34, R0 \
	ADD  $34, R5 \
	SUBS $1, R6 \
	BNE  q80block \
	HSUM8(0, 1) \
	FMOVS.P F0, 4(R2) \
	SUBS $1, R3 \
	BNE  q80row \
	RET

// Q4_0: 16 bytes of nibbles at 2(w), low nibbles elements 0-15, high
// 16-31, minus 8.
#define Q40BODY \
	MOVD w+0(FP), R0 \
	MOVD x+8(FP), R1 \
	MOVD out+16(FP), R2 \
	MOVD rows+24(FP), R3 \
	MOVD nb+32(FP), R4 \
	VMOVI $15, V15.B16 \
	VMOVI $8, V14.B16 \
q40row: \
	VEOR V0.B16, V0.B16, V0.B16 \
	VEOR V1.B16, V1.B16, V1.B16 \
	MOVD R1, R5 \
	MOVD R4, R6 \
q40block: \
	LOADF16(0, R0, F7, 7) \
	LOADF16(0, R5, F8, 8) \
	WFMULS(7, 7, 8) \
	WDUPS(6, 7, 0) \
	ADD  $2, R0, R9 \
	VLD1 (R9), [V2.B16] \
	WAND16B(3, 2, 15) \
	WUSHR16B(2, 2, 4) \
	WSUB16B(3, 3, 14) \
	WSUB16B(2, 2, 14) \
	ADD  $2, R5, R9 \
	VLD1 (R9), [V4.B16, V5.B16] \
	VEOR V16.B16, V16.B16, V16.B16 \
	VEOR V17.B16, V17.B16, V17.B16 \
	DOT4(16, 3, 4) \
	DOT4(17, 2, 5) \
	WSCVTF4S(16, 16) \
	WSCVTF4S(17, 17) \
	WFMLA4S(0, 6, 16) \
	WFMLA4S(1, 6, 17) \
	ADD  $18, R0 \
	ADD  $34, R5 \
	SUBS $1, R6 \
	BNE  q40block \
	HSUM8(0, 1) \
	FMOVS.P F0, 4(R2) \
	SUBS $1, R3 \
	BNE  q40row \
	RET

// ---------------------------------------------------------------------
// Q4_K × Q8_K (quant.dotQ4_K): V0/V1 acc, V2 the 4-lane mins accumulator.
// For each 64-element group j the 32 low nibbles (scale 2j) and 32 high
// nibbles (scale 2j+1) go to lanes by byte position: bytes 0-15 to lanes
// 0-3 (V3), 16-31 to lanes 4-7 (V4).
//
// func dotRowsQ4K(w, x *byte, out *float32, rows, nb int)

// Q4KJ: one 64-element group; the weight nibbles at (R9), the activations
// at (R10), both advanced; scale 2j is Vra.S[ia], 2j+1 Vrb.S[ib].
#define Q4KJ(ra, ia, rb, ib) \
	VLD1.P 32(R9), [V5.B16, V6.B16] \
	VLD1.P 64(R10), [V16.B16, V17.B16, V18.B16, V19.B16] \
	WAND16B(12, 5, 15) \
	WAND16B(13, 6, 15) \
	WUSHR16B(5, 5, 4) \
	WUSHR16B(6, 6, 4) \
	VEOR   V24.B16, V24.B16, V24.B16 \
	VEOR   V25.B16, V25.B16, V25.B16 \
	VEOR   V26.B16, V26.B16, V26.B16 \
	VEOR   V27.B16, V27.B16, V27.B16 \
	DOT4(24, 12, 16) \
	DOT4(25, 13, 17) \
	DOT4(26, 5, 18) \
	DOT4(27, 6, 19) \
	WMLAE4S(3, 24, ra, ia) \
	WMLAE4S(4, 25, ra, ia) \
	WMLAE4S(3, 26, rb, ib) \
	WMLAE4S(4, 27, rb, ib)

#define Q4KBODY \
	MOVD w+0(FP), R0 \
	MOVD x+8(FP), R1 \
	MOVD out+16(FP), R2 \
	MOVD rows+24(FP), R3 \
	MOVD nb+32(FP), R4 \
	VMOVI $15, V15.B16 \
q4krow: \
	VEOR V0.B16, V0.B16, V0.B16 \
	VEOR V1.B16, V1.B16, V1.B16 \
	VEOR V2.B16, V2.B16, V2.B16 \
	MOVD R1, R5 \
	MOVD R4, R6 \
q4kblock: \
	LOADF16(0, R0, F7, 7) \
	LOADF16(2, R0, F8, 8) \
	FMOVS (R5), F9 \
	WFMULS(10, 9, 7) \
	WFNMULS(11, 9, 8) \
	KSCALES \
	KMINS \
	WSCVTF4S(27, 27) \
	WDUPS(29, 11, 0) \
	WFMLA4S(2, 29, 27) \
	VEOR V3.B16, V3.B16, V3.B16 \
	VEOR V4.B16, V4.B16, V4.B16 \
	ADD  $16, R0, R9 \
	ADD  $4, R5, R10 \
	Q4KJ(22, 0, 22, 1) \
	Q4KJ(22, 2, 22, 3) \
	Q4KJ(23, 0, 23, 1) \
	Q4KJ(23, 2, 23, 3) \
	WSCVTF4S(3, 3) \
	WSCVTF4S(4, 4) \
	WDUPS(28, 10, 0) \
	WFMLA4S(0, 28, 3) \
	WFMLA4S(1, 28, 4) \
	ADD  $144, R0 \
	ADD  $292, R5 \
	SUBS $1, R6 \
	BNE  q4kblock \
	HSUM8(0, 1) \
	WEXT8(3, 2, 2) \
	WFADD2S(2, 2, 3) \
	WFADDP2S(2, 2) \
	WFADDS(0, 0, 2) \
	FMOVS.P F0, 4(R2) \
	SUBS $1, R3 \
	BNE  q4krow \
	RET

// ---------------------------------------------------------------------
// Q5_K × Q8_K (quant.dotQ5_K): as Q4_K with the fifth bits from qh at
// 16(w) (running copies in V7/V8, shifted right once per bit used), the
// nibbles at 48(w), and the mins summed to one integer folded into the
// scalar S2 = fma(float(mins), dmin, S2).
//
// func dotRowsQ5K(w, x *byte, out *float32, rows, nb int)

#define Q5KJ(ra, ia, rb, ib) \
	VLD1.P 32(R9), [V5.B16, V6.B16] \
	VLD1.P 64(R10), [V16.B16, V17.B16, V18.B16, V19.B16] \
	WAND16B(12, 5, 15) \
	WSHL16B(9, 7, 4) \
	WAND16B(9, 9, 14) \
	WORR16B(12, 12, 9) \
	WAND16B(13, 6, 15) \
	WSHL16B(9, 8, 4) \
	WAND16B(9, 9, 14) \
	WORR16B(13, 13, 9) \
	WUSHR16B(7, 7, 1) \
	WUSHR16B(8, 8, 1) \
	WUSHR16B(5, 5, 4) \
	WSHL16B(9, 7, 4) \
	WAND16B(9, 9, 14) \
	WORR16B(5, 5, 9) \
	WUSHR16B(6, 6, 4) \
	WSHL16B(9, 8, 4) \
	WAND16B(9, 9, 14) \
	WORR16B(6, 6, 9) \
	WUSHR16B(7, 7, 1) \
	WUSHR16B(8, 8, 1) \
	VEOR   V24.B16, V24.B16, V24.B16 \
	VEOR   V25.B16, V25.B16, V25.B16 \
	VEOR   V26.B16, V26.B16, V26.B16 \
	VEOR   V27.B16, V27.B16, V27.B16 \
	DOT4(24, 12, 16) \
	DOT4(25, 13, 17) \
	DOT4(26, 5, 18) \
	DOT4(27, 6, 19) \
	WMLAE4S(3, 24, ra, ia) \
	WMLAE4S(4, 25, ra, ia) \
	WMLAE4S(3, 26, rb, ib) \
	WMLAE4S(4, 27, rb, ib)

#define Q5KBODY \
	MOVD w+0(FP), R0 \
	MOVD x+8(FP), R1 \
	MOVD out+16(FP), R2 \
	MOVD rows+24(FP), R3 \
	MOVD nb+32(FP), R4 \
	VMOVI $15, V15.B16 \
	VMOVI $16, V14.B16 \
q5krow: \
	VEOR V0.B16, V0.B16, V0.B16 \
	VEOR V1.B16, V1.B16, V1.B16 \
	VEOR V2.B16, V2.B16, V2.B16 \
	MOVD R1, R5 \
	MOVD R4, R6 \
q5kblock: \
	LOADF16(0, R0, F7, 7) \
	LOADF16(2, R0, F8, 8) \
	FMOVS (R5), F9 \
	WFMULS(10, 9, 7) \
	WFNMULS(11, 9, 8) \
	KSCALES \
	KMINS \
	WADDV4S(27, 27) \
	WSCVTFS(27, 27) \
	WFMADDS(2, 27, 11, 2) \
	VEOR V3.B16, V3.B16, V3.B16 \
	VEOR V4.B16, V4.B16, V4.B16 \
	ADD  $16, R0, R9 \
	VLD1.P 32(R9), [V7.B16, V8.B16] \
	ADD  $4, R5, R10 \
	Q5KJ(22, 0, 22, 1) \
	Q5KJ(22, 2, 22, 3) \
	Q5KJ(23, 0, 23, 1) \
	Q5KJ(23, 2, 23, 3) \
	WSCVTF4S(3, 3) \
	WSCVTF4S(4, 4) \
	WDUPS(28, 10, 0) \
	WFMLA4S(0, 28, 3) \
	WFMLA4S(1, 28, 4) \
	ADD  $176, R0 \
	ADD  $292, R5 \
	SUBS $1, R6 \
	BNE  q5kblock \
	HSUM8(0, 1) \
	WFADDS(0, 0, 2) \
	FMOVS.P F0, 4(R2) \
	SUBS $1, R3 \
	BNE  q5krow \
	RET

// ---------------------------------------------------------------------
// Q6_K × Q8_K (quant.dotQ6_K): for half h and shift step i, the 32 6-bit
// values of elements 128h+32i+b; bytes b 0-15 to lanes 0-3 (V27, scale
// 8h+2i), 16-31 to lanes 4-7 (V28, scale 8h+2i+1); minus 32 times the
// bsum·scale pairs (V16, V18).
//
// func dotRowsQ6K(w, x *byte, out *float32, rows, nb int)

// Q6STEP: the values in V8 (bytes 0-15) and V9 (16-31) against the next 32
// activations at (R10), scales Vs.S[ia] and Vs.S[ib].
#define Q6STEP(s, ia, ib) \
	VLD1.P 32(R10), [V10.B16, V11.B16] \
	VEOR   V12.B16, V12.B16, V12.B16 \
	VEOR   V13.B16, V13.B16, V13.B16 \
	DOT4(12, 8, 10) \
	DOT4(13, 9, 11) \
	WMLAE4S(27, 12, s, ia) \
	WMLAE4S(28, 13, s, ib)

// Q6KH: one half: ql (64 bytes) at (R9), qh (32 bytes) at (R11), scales
// 8h..8h+3 in Vlo, 8h+4..8h+7 in Vhi.
#define Q6KH(lo, hi) \
	VLD1.P 64(R9), [V2.B16, V3.B16, V4.B16, V5.B16] \
	VLD1.P 32(R11), [V6.B16, V7.B16] \
	WAND16B(8, 2, 15) \
	WSHL16B(12, 6, 4) \
	WAND16B(12, 12, 14) \
	WORR16B(8, 8, 12) \
	WAND16B(9, 3, 15) \
	WSHL16B(13, 7, 4) \
	WAND16B(13, 13, 14) \
	WORR16B(9, 9, 13) \
	Q6STEP(lo, 0, 1) \
	WAND16B(8, 4, 15) \
	WSHL16B(12, 6, 2) \
	WAND16B(12, 12, 14) \
	WORR16B(8, 8, 12) \
	WAND16B(9, 5, 15) \
	WSHL16B(13, 7, 2) \
	WAND16B(13, 13, 14) \
	WORR16B(9, 9, 13) \
	Q6STEP(lo, 2, 3) \
	WUSHR16B(8, 2, 4) \
	WAND16B(12, 6, 14) \
	WORR16B(8, 8, 12) \
	WUSHR16B(9, 3, 4) \
	WAND16B(13, 7, 14) \
	WORR16B(9, 9, 13) \
	Q6STEP(hi, 0, 1) \
	WUSHR16B(8, 4, 4) \
	WUSHR16B(12, 6, 2) \
	WAND16B(12, 12, 14) \
	WORR16B(8, 8, 12) \
	WUSHR16B(9, 5, 4) \
	WUSHR16B(13, 7, 2) \
	WAND16B(13, 13, 14) \
	WORR16B(9, 9, 13) \
	Q6STEP(hi, 2, 3)

#define Q6KBODY \
	MOVD w+0(FP), R0 \
	MOVD x+8(FP), R1 \
	MOVD out+16(FP), R2 \
	MOVD rows+24(FP), R3 \
	MOVD nb+32(FP), R4 \
	VMOVI $15, V15.B16 \
	VMOVI $48, V14.B16 \
q6krow: \
	VEOR V0.B16, V0.B16, V0.B16 \
	VEOR V1.B16, V1.B16, V1.B16 \
	MOVD R1, R5 \
	MOVD R4, R6 \
q6kblock: \
	LOADF16(208, R0, F7, 7) \
	FMOVS (R5), F9 \
	WFMULS(29, 9, 7) \
	ADD  $192, R0, R9 \
	VLD1 (R9), [V20.B16] \
	WSXTL8H(21, 20) \
	WSXTL2_8H(22, 20) \
	WSXTL4S(23, 21) \
	WSXTL2_4S(24, 21) \
	WSXTL4S(25, 22) \
	WSXTL2_4S(26, 22) \
	ADD  $260, R5, R9 \
	VLD1 (R9), [V27.B16, V28.B16] \
	WSMULL4S(16, 21, 27) \
	WSMULL2_4S(17, 21, 27) \
	WSMULL4S(18, 22, 28) \
	WSMULL2_4S(19, 22, 28) \
	WADDP4S(16, 16, 17) \
	WADDP4S(18, 18, 19) \
	VEOR V27.B16, V27.B16, V27.B16 \
	VEOR V28.B16, V28.B16, V28.B16 \
	MOVD R0, R9 \
	ADD  $128, R0, R11 \
	ADD  $4, R5, R10 \
	Q6KH(23, 24) \
	Q6KH(25, 26) \
	WSHL4S(16, 16, 5) \
	WSHL4S(18, 18, 5) \
	WSUB4S(27, 27, 16) \
	WSUB4S(28, 28, 18) \
	WSCVTF4S(27, 27) \
	WSCVTF4S(28, 28) \
	WDUPS(29, 29, 0) \
	WFMLA4S(0, 29, 27) \
	WFMLA4S(1, 29, 28) \
	ADD  $210, R0 \
	ADD  $292, R5 \
	SUBS $1, R6 \
	BNE  q6kblock \
	HSUM8(0, 1) \
	FMOVS.P F0, 4(R2) \
	SUBS $1, R3 \
	BNE  q6krow \
	RET

// ---------------------------------------------------------------------
// Repacked order (quant.RepackDotRows), one scalar accumulator per row.
//
// Q4_K (quant.repackQ4_K): per pair p of sub-blocks the exact sums s_p =
// sc_2p·dot_2p + sc_2p+1·dot_2p+1 (lanes of V2) and the min sums m_p (V27);
// gemv (gemm == 0) folds Σs_p and Σm_p once per block, gemm each p in turn:
// S0 = fma(s, d, S0), S1 = fma(m, dmin, S1); the result is S0 - S1.
//
// func repackQ4KRows(w, x *byte, out *float32, rows, nb, gemm int)

// R4KP: pair p, weights at (R9), activations at (R10), both advanced; sets
// Vt to sc_2p (Vra.S[ia]) times the low-nibble dot plus sc_2p+1 (Vrb.S[ib])
// times the high-nibble dot, per lane.
#define R4KP(t, ra, ia, rb, ib) \
	VLD1.P 32(R9), [V5.B16, V6.B16] \
	VLD1.P 64(R10), [V16.B16, V17.B16, V18.B16, V19.B16] \
	WAND16B(12, 5, 15) \
	WAND16B(13, 6, 15) \
	WUSHR16B(5, 5, 4) \
	WUSHR16B(6, 6, 4) \
	VEOR   V24.B16, V24.B16, V24.B16 \
	VEOR   V25.B16, V25.B16, V25.B16 \
	DOT4(24, 12, 16) \
	DOT4(24, 13, 17) \
	DOT4(25, 5, 18) \
	DOT4(25, 6, 19) \
	WMULE4S(t, 24, ra, ia) \
	WMLAE4S(t, 25, rb, ib)

#define R4KBODY \
	MOVD w+0(FP), R0 \
	MOVD x+8(FP), R1 \
	MOVD out+16(FP), R2 \
	MOVD rows+24(FP), R3 \
	MOVD nb+32(FP), R4 \
	MOVD gemm+40(FP), R19 \
	VMOVI $15, V15.B16 \
r4krow: \
	VEOR V0.B16, V0.B16, V0.B16 \
	VEOR V1.B16, V1.B16, V1.B16 \
	MOVD R1, R5 \
	MOVD R4, R6 \
r4kblock: \
	LOADF16(0, R0, F7, 7) \
	LOADF16(2, R0, F8, 8) \
	FMOVS (R5), F9 \
	WFMULS(10, 7, 9) \
	WFMULS(11, 8, 9) \
	KSCALES \
	KMINS \
	ADD  $16, R0, R9 \
	ADD  $4, R5, R10 \
	R4KP(2, 22, 0, 22, 1) \
	R4KP(3, 22, 2, 22, 3) \
	R4KP(4, 23, 0, 23, 1) \
	R4KP(26, 23, 2, 23, 3) \
	WADDP4S(2, 2, 3) \
	WADDP4S(4, 4, 26) \
	WADDP4S(2, 2, 4) \
	CBNZ R19, r4kgemm \
	WADDV4S(2, 2) \
	WADDV4S(27, 27) \
	WSCVTFS(2, 2) \
	WSCVTFS(27, 27) \
	WFMADDS(0, 2, 10, 0) \
	WFMADDS(1, 27, 11, 1) \
	B    r4knext \
r4kgemm: \
	WSCVTF4S(2, 2) \
	WSCVTF4S(27, 27) \
	WFMLAES(0, 10, 2, 0) \
	WFMLAES(1, 11, 27, 0) \
	WFMLAES(0, 10, 2, 1) \
	WFMLAES(1, 11, 27, 1) \
	WFMLAES(0, 10, 2, 2) \
	WFMLAES(1, 11, 27, 2) \
	WFMLAES(0, 10, 2, 3) \
	WFMLAES(1, 11, 27, 3) \
r4knext: \
	ADD  $144, R0 \
	ADD  $292, R5 \
	SUBS $1, R6 \
	BNE  r4kblock \
	WFSUBS(0, 0, 1) \
	FMOVS.P F0, 4(R2) \
	SUBS $1, R3 \
	BNE  r4krow \
	RET

// Q4_0 (quant.repackQ4_0): per block the exact Σ(q-8)·a, then
// S0 = fma(float(sum), dw*dx, S0). x is the prepared row; its Q8_0 blocks
// come first.
//
// func repackQ4_0Rows(w, x *byte, out *float32, rows, nb int)

#define R40BODY \
	MOVD w+0(FP), R0 \
	MOVD x+8(FP), R1 \
	MOVD out+16(FP), R2 \
	MOVD rows+24(FP), R3 \
	MOVD nb+32(FP), R4 \
	VMOVI $15, V15.B16 \
	VMOVI $8, V14.B16 \
r40row: \
	VEOR V0.B16, V0.B16, V0.B16 \
	MOVD R1, R5 \
	MOVD R4, R6 \
r40block: \
	LOADF16(0, R0, F7, 7) \
	LOADF16(0, R5, F8, 8) \
	WFMULS(10, 7, 8) \
	ADD  $2, R0, R9 \
	VLD1 (R9), [V2.B16] \
	WAND16B(3, 2, 15) \
	WUSHR16B(2, 2, 4) \
	WSUB16B(3, 3, 14) \
	WSUB16B(2, 2, 14) \
	ADD  $2, R5, R9 \
	VLD1 (R9), [V4.B16, V5.B16] \
	VEOR V16.B16, V16.B16, V16.B16 \
	DOT4(16, 3, 4) \
	DOT4(16, 2, 5) \
	WADDV4S(16, 16) \
	WSCVTFS(16, 16) \
	WFMADDS(0, 16, 10, 0) \
	ADD  $18, R0 \
	ADD  $34, R5 \
	SUBS $1, R6 \
	BNE  r40block \
	FMOVS.P F0, 4(R2) \
	SUBS $1, R3 \
	BNE  r40row \
	RET

// ---------------------------------------------------------------------
// Four-token repacked-order kernels: one weight row decoded once for four
// activation rows (token t's at x + t*xStride, its results at out +
// t*outStride, strides in bytes). Token t's accumulators are lane t of
// V0 (and V1), so each lane takes exactly the single-token kernel's FMAs.
//
// Q4_K, gemm order (quant.repackQ4_K with gemm set):
// func repackQ4KGemm4(w, x *byte, xStride int, out *float32, outStride, rows, nb int)

// G4KTOK: token sums of one pair for the token whose activations are at
// (Rx) (advanced): Vt = sc_2p·dot_lo + sc_2p+1·dot_hi per lane, the
// nibbles in V12/V13 (low) and V5/V6 (high).
#define G4KTOK(t, Rx, ra, ia, rb, ib) \
	VLD1.P 64(Rx), [V16.B16, V17.B16, V18.B16, V19.B16] \
	VEOR   V24.B16, V24.B16, V24.B16 \
	VEOR   V25.B16, V25.B16, V25.B16 \
	DOT4(24, 12, 16) \
	DOT4(24, 13, 17) \
	DOT4(25, 5, 18) \
	DOT4(25, 6, 19) \
	WMULE4S(t, 24, ra, ia) \
	WMLAE4S(t, 25, rb, ib)

// G4KP: pair p for the four tokens; V0 lane t = fma(float(s_p,t), d_t, ·).
#define G4KP(ra, ia, rb, ib) \
	VLD1.P 32(R9), [V5.B16, V6.B16] \
	WAND16B(12, 5, 15) \
	WAND16B(13, 6, 15) \
	WUSHR16B(5, 5, 4) \
	WUSHR16B(6, 6, 4) \
	G4KTOK(2, R10, ra, ia, rb, ib) \
	G4KTOK(3, R11, ra, ia, rb, ib) \
	G4KTOK(4, R12, ra, ia, rb, ib) \
	G4KTOK(26, R13, ra, ia, rb, ib) \
	WADDP4S(2, 2, 3) \
	WADDP4S(4, 4, 26) \
	WADDP4S(2, 2, 4) \
	WSCVTF4S(2, 2) \
	WFMLA4S(0, 10, 2)

// G4KMIN: Vm = the four min sums (lanes p) of the token at (Rx) (quant's
// k4Mins over bsum pairs), the mins in V21 (int16). Clobbers R9, V24-V26,
// V28.
#define G4KMIN(m, Rx) \
	ADD  $260, Rx, R9 \
	VLD1 (R9), [V24.B16, V25.B16] \
	WADDP8H(26, 24, 25) \
	WSMULL4S(24, 21, 26) \
	WSMULL2_4S(28, 21, 26) \
	WADDP4S(m, 24, 28)

#define G4KBODY \
	MOVD w+0(FP), R0 \
	MOVD x+8(FP), R1 \
	MOVD xStride+16(FP), R15 \
	MOVD out+24(FP), R2 \
	MOVD outStride+32(FP), R24 \
	MOVD rows+40(FP), R3 \
	MOVD nb+48(FP), R4 \
	VMOVI $15, V15.B16 \
g4krow: \
	VEOR V0.B16, V0.B16, V0.B16 \
	VEOR V1.B16, V1.B16, V1.B16 \
	MOVD R1, R20 \
	ADD  R15, R20, R21 \
	ADD  R15, R21, R22 \
	ADD  R15, R22, R23 \
	MOVD R4, R6 \
g4kblock: \
	LOADF16(0, R0, F7, 7) \
	LOADF16(2, R0, F8, 8) \
	VLD1 (R20), V9.S[0] \
	VLD1 (R21), V9.S[1] \
	VLD1 (R22), V9.S[2] \
	VLD1 (R23), V9.S[3] \
	WFMULE4S(10, 9, 7, 0) \
	WFMULE4S(11, 9, 8, 0) \
	KSCALES \
	FMOVD R12, F20 \
	FMOVD R14, F21 \
	WUXTL8H(20, 20) \
	WUXTL8H(21, 21) \
	WUXTL4S(22, 20) \
	WUXTL2_4S(23, 20) \
	G4KMIN(2, R20) \
	G4KMIN(3, R21) \
	G4KMIN(4, R22) \
	G4KMIN(14, R23) \
	WTRN1_4S(24, 2, 3) \
	WTRN2_4S(25, 2, 3) \
	WTRN1_4S(26, 4, 14) \
	WTRN2_4S(27, 4, 14) \
	WZIP1_2D(2, 24, 26) \
	WZIP1_2D(3, 25, 27) \
	WZIP2_2D(4, 24, 26) \
	WZIP2_2D(14, 25, 27) \
	WSCVTF4S(2, 2) \
	WSCVTF4S(3, 3) \
	WSCVTF4S(4, 4) \
	WSCVTF4S(14, 14) \
	WFMLA4S(1, 11, 2) \
	WFMLA4S(1, 11, 3) \
	WFMLA4S(1, 11, 4) \
	WFMLA4S(1, 11, 14) \
	ADD  $16, R0, R9 \
	ADD  $4, R20, R10 \
	ADD  $4, R21, R11 \
	ADD  $4, R22, R12 \
	ADD  $4, R23, R13 \
	G4KP(22, 0, 22, 1) \
	G4KP(22, 2, 22, 3) \
	G4KP(23, 0, 23, 1) \
	G4KP(23, 2, 23, 3) \
	ADD  $144, R0 \
	ADD  $292, R20 \
	ADD  $292, R21 \
	ADD  $292, R22 \
	ADD  $292, R23 \
	SUBS $1, R6 \
	BNE  g4kblock \
	WFSUB4S(0, 0, 1) \
	STORE4 \
	SUBS $1, R3 \
	BNE  g4krow \
	RET

// STORE4: lane t of V0 to R2 + t*R24; R2 advanced by 4. Clobbers R7, R8.
#define STORE4 \
	FMOVS F0, (R2) \
	ADD   R24, R2, R8 \
	VMOV  V0.S[1], R7 \
	MOVW  R7, (R8) \
	ADD   R24, R8 \
	VMOV  V0.S[2], R7 \
	MOVW  R7, (R8) \
	ADD   R24, R8 \
	VMOV  V0.S[3], R7 \
	MOVW  R7, (R8) \
	ADD   $4, R2

// Q4_0 (quant.repackQ4_0), four tokens: V0 lane t = fma(float(s_t),
// dw*dx_t, ·) per block.
// func repackQ4_0Gemm4(w, x *byte, xStride int, out *float32, outStride, rows, nb int)

#define G40BODY \
	MOVD w+0(FP), R0 \
	MOVD x+8(FP), R1 \
	MOVD xStride+16(FP), R15 \
	MOVD out+24(FP), R2 \
	MOVD outStride+32(FP), R24 \
	MOVD rows+40(FP), R3 \
	MOVD nb+48(FP), R4 \
	VMOVI $15, V15.B16 \
	VMOVI $8, V14.B16 \
g40row: \
	VEOR V0.B16, V0.B16, V0.B16 \
	MOVD R1, R20 \
	ADD  R15, R20, R21 \
	ADD  R15, R21, R22 \
	ADD  R15, R22, R23 \
	MOVD R4, R6 \
g40block: \
	LOADF16(0, R0, F7, 7) \
	VLD1 (R20), V9.H[0] \
	VLD1 (R21), V9.H[1] \
	VLD1 (R22), V9.H[2] \
	VLD1 (R23), V9.H[3] \
	WFCVTL(9, 9) \
	WFMULE4S(10, 9, 7, 0) \
	ADD  $2, R0, R9 \
	VLD1 (R9), [V2.B16] \
	WAND16B(3, 2, 15) \
	WUSHR16B(2, 2, 4) \
	WSUB16B(3, 3, 14) \
	WSUB16B(2, 2, 14) \
	VEOR V16.B16, V16.B16, V16.B16 \
	VEOR V17.B16, V17.B16, V17.B16 \
	VEOR V18.B16, V18.B16, V18.B16 \
	VEOR V19.B16, V19.B16, V19.B16 \
	ADD  $2, R20, R9 \
	VLD1 (R9), [V4.B16, V5.B16] \
	DOT4(16, 3, 4) \
	DOT4(16, 2, 5) \
	ADD  $2, R21, R9 \
	VLD1 (R9), [V4.B16, V5.B16] \
	DOT4(17, 3, 4) \
	DOT4(17, 2, 5) \
	ADD  $2, R22, R9 \
	VLD1 (R9), [V4.B16, V5.B16] \
	DOT4(18, 3, 4) \
	DOT4(18, 2, 5) \
	ADD  $2, R23, R9 \
	VLD1 (R9), [V4.B16, V5.B16] \
	DOT4(19, 3, 4) \
	DOT4(19, 2, 5) \
	WADDP4S(16, 16, 17) \
	WADDP4S(18, 18, 19) \
	WADDP4S(16, 16, 18) \
	WSCVTF4S(16, 16) \
	WFMLA4S(0, 10, 16) \
	ADD  $18, R0 \
	ADD  $34, R20 \
	ADD  $34, R21 \
	ADD  $34, R22 \
	ADD  $34, R23 \
	SUBS $1, R6 \
	BNE  g40block \
	STORE4 \
	SUBS $1, R3 \
	BNE  g40row \
	RET

// ---------------------------------------------------------------------
// Multi-token vec_dot kernels for DotRowsFastN: each weight block decoded
// once for several activation rows (token t's at x + t*xStride, its
// results at out + t*outStride, strides in bytes), each token's
// accumulators updated exactly as in the one-token kernel.
//
// func dotRows4Q8_0(w, x *byte, xStride int, out *float32, outStride, rows, nb int)
// Token t's accumulator: V(2t) lanes 0-3, V(2t+1) lanes 4-7.

// M8TOK: token t (block at Rx), its scale dw*dx_t in V10.S[t].
#define M8TOK(Rx, lo, hi, t) \
	ADD  $2, Rx, R9 \
	VLD1 (R9), [V18.B16, V19.B16] \
	VEOR V20.B16, V20.B16, V20.B16 \
	VEOR V21.B16, V21.B16, V21.B16 \
	DOT4(20, 16, 18) \
	DOT4(21, 17, 19) \
	WSCVTF4S(20, 20) \
	WSCVTF4S(21, 21) \
	WFMLAE4S(lo, 20, 10, t) \
	WFMLAE4S(hi, 21, 10, t)

#define M80BODY \
	MOVD w+0(FP), R0 \
	MOVD x+8(FP), R1 \
	MOVD xStride+16(FP), R15 \
	MOVD out+24(FP), R2 \
	MOVD outStride+32(FP), R24 \
	MOVD rows+40(FP), R3 \
	MOVD nb+48(FP), R4 \
m80row: \
	VEOR V0.B16, V0.B16, V0.B16 \
	VEOR V1.B16, V1.B16, V1.B16 \
	VEOR V2.B16, V2.B16, V2.B16 \
	VEOR V3.B16, V3.B16, V3.B16 \
	VEOR V4.B16, V4.B16, V4.B16 \
	VEOR V5.B16, V5.B16, V5.B16 \
	VEOR V6.B16, V6.B16, V6.B16 \
	VEOR V7.B16, V7.B16, V7.B16 \
	MOVD R1, R20 \
	ADD  R15, R20, R21 \
	ADD  R15, R21, R22 \
	ADD  R15, R22, R23 \
	MOVD R4, R6 \
m80block: \
	LOADF16(0, R0, F11, 11) \
	VLD1 (R20), V9.H[0] \
	VLD1 (R21), V9.H[1] \
	VLD1 (R22), V9.H[2] \
	VLD1 (R23), V9.H[3] \
	WFCVTL(9, 9) \
	WFMULE4S(10, 9, 11, 0) \
	ADD  $2, R0, R9 \
	VLD1 (R9), [V16.B16, V17.B16] \
	M8TOK(R20, 0, 1, 0) \
	M8TOK(R21, 2, 3, 1) \
	M8TOK(R22, 4, 5, 2) \
	M8TOK(R23, 6, 7, 3) \
	ADD  $34, R0 \
	ADD  $34, R20 \
	ADD  $34, R21 \
	ADD  $34, R22 \
	ADD  $34, R23 \
	SUBS $1, R6 \
	BNE  m80block \
	HSUM8(0, 1) \
	HSUM8(2, 3) \
	HSUM8(4, 5) \
	HSUM8(6, 7) \
	FMOVS F0, (R2) \
	ADD   R24, R2, R8 \
	FMOVS F2, (R8) \
	ADD   R24, R8 \
	FMOVS F4, (R8) \
	ADD   R24, R8 \
	FMOVS F6, (R8) \
	ADD   $4, R2 \
	SUBS $1, R3 \
	BNE  m80row \
	RET

// Q4_K, two tokens (quant.dotQ4_K each):
// func dotRows2Q4K(w, x *byte, xStride int, out *float32, outStride, rows, nb int)
// Token 0: acc V0/V1, mins V4, sums V6/V7; token 1: V2/V3, V5, V8/V9;
// d_t in V10.S[t], dmin_t in V11.S[t].

// M4KMIN: the min sums of the token at Rx into its mins accumulator.
#define M4KMIN(Rx, accm, t) \
	ADD  $260, Rx, R9 \
	VLD1 (R9), [V24.B16, V25.B16] \
	WADDP8H(26, 24, 25) \
	WSMULL4S(27, 21, 26) \
	WSMULL2_4S(28, 21, 26) \
	WADDP4S(27, 27, 28) \
	WSCVTF4S(27, 27) \
	WFMLAE4S(accm, 27, 11, t)

// M4KTOK: group j for the token whose activations are at (Rx) (advanced),
// the nibbles in V12/V13 (low) and V26/V27 (high).
#define M4KTOK(Rx, slo, shi, ra, ia, rb, ib) \
	VLD1.P 64(Rx), [V16.B16, V17.B16, V18.B16, V19.B16] \
	VEOR   V24.B16, V24.B16, V24.B16 \
	VEOR   V25.B16, V25.B16, V25.B16 \
	VEOR   V28.B16, V28.B16, V28.B16 \
	VEOR   V29.B16, V29.B16, V29.B16 \
	DOT4(24, 12, 16) \
	DOT4(25, 13, 17) \
	DOT4(28, 26, 18) \
	DOT4(29, 27, 19) \
	WMLAE4S(slo, 24, ra, ia) \
	WMLAE4S(shi, 25, ra, ia) \
	WMLAE4S(slo, 28, rb, ib) \
	WMLAE4S(shi, 29, rb, ib)

#define M4KJ(ra, ia, rb, ib) \
	VLD1.P 32(R9), [V26.B16, V27.B16] \
	WAND16B(12, 26, 15) \
	WAND16B(13, 27, 15) \
	WUSHR16B(26, 26, 4) \
	WUSHR16B(27, 27, 4) \
	M4KTOK(R10, 6, 7, ra, ia, rb, ib) \
	M4KTOK(R11, 8, 9, ra, ia, rb, ib)

#define M4KBODY \
	MOVD w+0(FP), R0 \
	MOVD x+8(FP), R1 \
	MOVD xStride+16(FP), R15 \
	MOVD out+24(FP), R2 \
	MOVD outStride+32(FP), R24 \
	MOVD rows+40(FP), R3 \
	MOVD nb+48(FP), R4 \
	VMOVI $15, V15.B16 \
m4krow: \
	VEOR V0.B16, V0.B16, V0.B16 \
	VEOR V1.B16, V1.B16, V1.B16 \
	VEOR V2.B16, V2.B16, V2.B16 \
	VEOR V3.B16, V3.B16, V3.B16 \
	VEOR V4.B16, V4.B16, V4.B16 \
	VEOR V5.B16, V5.B16, V5.B16 \
	MOVD R1, R20 \
	ADD  R15, R20, R21 \
	MOVD R4, R6 \
m4kblock: \
	LOADF16(0, R0, F7, 7) \
	LOADF16(2, R0, F8, 8) \
	VLD1 (R20), V14.S[0] \
	VLD1 (R21), V14.S[1] \
	WFMULE4S(10, 14, 7, 0) \
	WFMULE4S(11, 14, 8, 0) \
	WFNEG4S(11, 11) \
	KSCALES \
	FMOVD R12, F20 \
	FMOVD R14, F21 \
	WUXTL8H(20, 20) \
	WUXTL8H(21, 21) \
	WUXTL4S(22, 20) \
	WUXTL2_4S(23, 20) \
	M4KMIN(R20, 4, 0) \
	M4KMIN(R21, 5, 1) \
	VEOR V6.B16, V6.B16, V6.B16 \
	VEOR V7.B16, V7.B16, V7.B16 \
	VEOR V8.B16, V8.B16, V8.B16 \
	VEOR V9.B16, V9.B16, V9.B16 \
	ADD  $16, R0, R9 \
	ADD  $4, R20, R10 \
	ADD  $4, R21, R11 \
	M4KJ(22, 0, 22, 1) \
	M4KJ(22, 2, 22, 3) \
	M4KJ(23, 0, 23, 1) \
	M4KJ(23, 2, 23, 3) \
	WSCVTF4S(6, 6) \
	WSCVTF4S(7, 7) \
	WSCVTF4S(8, 8) \
	WSCVTF4S(9, 9) \
	WFMLAE4S(0, 6, 10, 0) \
	WFMLAE4S(1, 7, 10, 0) \
	WFMLAE4S(2, 8, 10, 1) \
	WFMLAE4S(3, 9, 10, 1) \
	ADD  $144, R0 \
	ADD  $292, R20 \
	ADD  $292, R21 \
	SUBS $1, R6 \
	BNE  m4kblock \
	HSUM8(0, 1) \
	WEXT8(1, 4, 4) \
	WFADD2S(4, 4, 1) \
	WFADDP2S(4, 4) \
	WFADDS(0, 0, 4) \
	HSUM8(2, 3) \
	WEXT8(3, 5, 5) \
	WFADD2S(5, 5, 3) \
	WFADDP2S(5, 5) \
	WFADDS(2, 2, 5) \
	FMOVS F0, (R2) \
	ADD   R24, R2, R8 \
	FMOVS F2, (R8) \
	ADD   $4, R2 \
	SUBS $1, R3 \
	BNE  m4krow \
	RET

// Q6_K, two tokens (quant.dotQ6_K each):
// func dotRows2Q6K(w, x *byte, xStride int, out *float32, outStride, rows, nb int)
// Token 0: acc V0/V1, sums V4/V5; token 1: V2/V3, V6/V7; d_t in V8.S[t];
// scales as int32 in V22-V25; ql in V16-V19, qh in V20/V21 per half.

// M6CORR: V9 (lanes 0-3) and V12 (4-7) = 32·(bsum·scale pairs) of the
// token at Rx; its sums start at minus those.
#define M6CORR(Rx) \
	ADD  $260, Rx, R9 \
	VLD1 (R9), [V28.B16, V29.B16] \
	WSMULL4S(9, 26, 28) \
	WSMULL2_4S(10, 26, 28) \
	WSMULL4S(12, 27, 29) \
	WSMULL2_4S(13, 27, 29) \
	WADDP4S(9, 9, 10) \
	WADDP4S(12, 12, 13) \
	WSHL4S(9, 9, 5) \
	WSHL4S(12, 12, 5)

// M6TOK: the values in V12/V13 against the token's next 32 activations.
#define M6TOK(Rx, slo, shi, sc, ia, ib) \
	VLD1.P 32(Rx), [V28.B16, V29.B16] \
	VEOR   V9.B16, V9.B16, V9.B16 \
	VEOR   V10.B16, V10.B16, V10.B16 \
	DOT4(9, 12, 28) \
	DOT4(10, 13, 29) \
	WMLAE4S(slo, 9, sc, ia) \
	WMLAE4S(shi, 10, sc, ib)

#define M6STEP(sc, ia, ib) \
	M6TOK(R10, 4, 5, sc, ia, ib) \
	M6TOK(R12, 6, 7, sc, ia, ib)

// M6H: one half; scales 8h..8h+3 in Vlo, 8h+4..8h+7 in Vhi.
#define M6H(lo, hi) \
	VLD1.P 64(R9), [V16.B16, V17.B16, V18.B16, V19.B16] \
	VLD1.P 32(R11), [V20.B16, V21.B16] \
	WAND16B(12, 16, 15) \
	WSHL16B(14, 20, 4) \
	WAND16B(14, 14, 11) \
	WORR16B(12, 12, 14) \
	WAND16B(13, 17, 15) \
	WSHL16B(14, 21, 4) \
	WAND16B(14, 14, 11) \
	WORR16B(13, 13, 14) \
	M6STEP(lo, 0, 1) \
	WAND16B(12, 18, 15) \
	WSHL16B(14, 20, 2) \
	WAND16B(14, 14, 11) \
	WORR16B(12, 12, 14) \
	WAND16B(13, 19, 15) \
	WSHL16B(14, 21, 2) \
	WAND16B(14, 14, 11) \
	WORR16B(13, 13, 14) \
	M6STEP(lo, 2, 3) \
	WUSHR16B(12, 16, 4) \
	WAND16B(14, 20, 11) \
	WORR16B(12, 12, 14) \
	WUSHR16B(13, 17, 4) \
	WAND16B(14, 21, 11) \
	WORR16B(13, 13, 14) \
	M6STEP(hi, 0, 1) \
	WUSHR16B(12, 18, 4) \
	WUSHR16B(14, 20, 2) \
	WAND16B(14, 14, 11) \
	WORR16B(12, 12, 14) \
	WUSHR16B(13, 19, 4) \
	WUSHR16B(14, 21, 2) \
	WAND16B(14, 14, 11) \
	WORR16B(13, 13, 14) \
	M6STEP(hi, 2, 3)

#define M6KBODY \
	MOVD w+0(FP), R0 \
	MOVD x+8(FP), R1 \
	MOVD xStride+16(FP), R15 \
	MOVD out+24(FP), R2 \
	MOVD outStride+32(FP), R24 \
	MOVD rows+40(FP), R3 \
	MOVD nb+48(FP), R4 \
	VMOVI $15, V15.B16 \
	VMOVI $48, V11.B16 \
m6krow: \
	VEOR V0.B16, V0.B16, V0.B16 \
	VEOR V1.B16, V1.B16, V1.B16 \
	VEOR V2.B16, V2.B16, V2.B16 \
	VEOR V3.B16, V3.B16, V3.B16 \
	MOVD R1, R20 \
	ADD  R15, R20, R21 \
	MOVD R4, R6 \
m6kblock: \
	LOADF16(208, R0, F14, 14) \
	VLD1 (R20), V8.S[0] \
	VLD1 (R21), V8.S[1] \
	WFMULE4S(8, 8, 14, 0) \
	ADD  $192, R0, R9 \
	VLD1 (R9), [V22.B16] \
	WSXTL8H(26, 22) \
	WSXTL2_8H(27, 22) \
	WSXTL4S(22, 26) \
	WSXTL2_4S(23, 26) \
	WSXTL4S(24, 27) \
	WSXTL2_4S(25, 27) \
	M6CORR(R20) \
	VEOR V4.B16, V4.B16, V4.B16 \
	VEOR V5.B16, V5.B16, V5.B16 \
	WSUB4S(4, 4, 9) \
	WSUB4S(5, 5, 12) \
	M6CORR(R21) \
	VEOR V6.B16, V6.B16, V6.B16 \
	VEOR V7.B16, V7.B16, V7.B16 \
	WSUB4S(6, 6, 9) \
	WSUB4S(7, 7, 12) \
	MOVD R0, R9 \
	ADD  $128, R0, R11 \
	ADD  $4, R20, R10 \
	ADD  $4, R21, R12 \
	M6H(22, 23) \
	M6H(24, 25) \
	WSCVTF4S(4, 4) \
	WSCVTF4S(5, 5) \
	WSCVTF4S(6, 6) \
	WSCVTF4S(7, 7) \
	WFMLAE4S(0, 4, 8, 0) \
	WFMLAE4S(1, 5, 8, 0) \
	WFMLAE4S(2, 6, 8, 1) \
	WFMLAE4S(3, 7, 8, 1) \
	ADD  $210, R0 \
	ADD  $292, R20 \
	ADD  $292, R21 \
	SUBS $1, R6 \
	BNE  m6kblock \
	HSUM8(0, 1) \
	HSUM8(2, 3) \
	FMOVS F0, (R2) \
	ADD   R24, R2, R8 \
	FMOVS F2, (R8) \
	ADD   $4, R2 \
	SUBS $1, R3 \
	BNE  m6krow \
	RET

// Q5_K, two tokens (quant.dotQ5_K each):
// func dotRows2Q5K(w, x *byte, xStride int, out *float32, outStride, rows, nb int)
// As dotRows2Q4K; the fifth bits from qh at 16(w) (running copies in
// V20/V21, shifted right once per bit used, V14 = 0x10), the nibbles at
// 48(w), and the min sums of token t folded into lane t of V4:
// fma(float(Σ mins), dmin_t, ·).

#define M5KJ(ra, ia, rb, ib) \
	VLD1.P 32(R9), [V26.B16, V27.B16] \
	WAND16B(12, 26, 15) \
	WSHL16B(24, 20, 4) \
	WAND16B(24, 24, 14) \
	WORR16B(12, 12, 24) \
	WAND16B(13, 27, 15) \
	WSHL16B(24, 21, 4) \
	WAND16B(24, 24, 14) \
	WORR16B(13, 13, 24) \
	WUSHR16B(20, 20, 1) \
	WUSHR16B(21, 21, 1) \
	WUSHR16B(26, 26, 4) \
	WSHL16B(24, 20, 4) \
	WAND16B(24, 24, 14) \
	WORR16B(26, 26, 24) \
	WUSHR16B(27, 27, 4) \
	WSHL16B(24, 21, 4) \
	WAND16B(24, 24, 14) \
	WORR16B(27, 27, 24) \
	WUSHR16B(20, 20, 1) \
	WUSHR16B(21, 21, 1) \
	M4KTOK(R10, 6, 7, ra, ia, rb, ib) \
	M4KTOK(R11, 8, 9, ra, ia, rb, ib)

// M5KMIN: Vm = the four min sums (int) of the token at Rx.
#define M5KMIN(Rx, m) \
	ADD  $260, Rx, R9 \
	VLD1 (R9), [V24.B16, V25.B16] \
	WADDP8H(26, 24, 25) \
	WSMULL4S(m, 21, 26) \
	WSMULL2_4S(28, 21, 26) \
	WADDP4S(m, m, 28)

#define M5KBODY \
	MOVD w+0(FP), R0 \
	MOVD x+8(FP), R1 \
	MOVD xStride+16(FP), R15 \
	MOVD out+24(FP), R2 \
	MOVD outStride+32(FP), R24 \
	MOVD rows+40(FP), R3 \
	MOVD nb+48(FP), R4 \
	VMOVI $15, V15.B16 \
	VMOVI $16, V14.B16 \
m5krow: \
	VEOR V0.B16, V0.B16, V0.B16 \
	VEOR V1.B16, V1.B16, V1.B16 \
	VEOR V2.B16, V2.B16, V2.B16 \
	VEOR V3.B16, V3.B16, V3.B16 \
	VEOR V4.B16, V4.B16, V4.B16 \
	MOVD R1, R20 \
	ADD  R15, R20, R21 \
	MOVD R4, R6 \
m5kblock: \
	LOADF16(0, R0, F7, 7) \
	LOADF16(2, R0, F8, 8) \
	VLD1 (R20), V24.S[0] \
	VLD1 (R21), V24.S[1] \
	WFMULE4S(10, 24, 7, 0) \
	WFMULE4S(11, 24, 8, 0) \
	WFNEG4S(11, 11) \
	KSCALES \
	FMOVD R12, F20 \
	FMOVD R14, F21 \
	WUXTL8H(20, 20) \
	WUXTL8H(21, 21) \
	WUXTL4S(22, 20) \
	WUXTL2_4S(23, 20) \
	M5KMIN(R20, 29) \
	M5KMIN(R21, 27) \
	WADDP4S(29, 29, 27) \
	WADDP4S(29, 29, 29) \
	WSCVTF4S(29, 29) \
	WFMLA4S(4, 29, 11) \
	VEOR V6.B16, V6.B16, V6.B16 \
	VEOR V7.B16, V7.B16, V7.B16 \
	VEOR V8.B16, V8.B16, V8.B16 \
	VEOR V9.B16, V9.B16, V9.B16 \
	ADD  $16, R0, R9 \
	VLD1.P 32(R9), [V20.B16, V21.B16] \
	ADD  $4, R20, R10 \
	ADD  $4, R21, R11 \
	M5KJ(22, 0, 22, 1) \
	M5KJ(22, 2, 22, 3) \
	M5KJ(23, 0, 23, 1) \
	M5KJ(23, 2, 23, 3) \
	WSCVTF4S(6, 6) \
	WSCVTF4S(7, 7) \
	WSCVTF4S(8, 8) \
	WSCVTF4S(9, 9) \
	WFMLAE4S(0, 6, 10, 0) \
	WFMLAE4S(1, 7, 10, 0) \
	WFMLAE4S(2, 8, 10, 1) \
	WFMLAE4S(3, 9, 10, 1) \
	ADD  $176, R0 \
	ADD  $292, R20 \
	ADD  $292, R21 \
	SUBS $1, R6 \
	BNE  m5kblock \
	HSUM8(0, 1) \
	WFADDS(0, 0, 4) \
	HSUM8(2, 3) \
	VMOV V4.S[1], V5.S[0] \
	WFADDS(2, 2, 5) \
	FMOVS F0, (R2) \
	ADD   R24, R2, R8 \
	FMOVS F2, (R8) \
	ADD   $4, R2 \
	SUBS $1, R3 \
	BNE  m5krow \
	RET

// ---------------------------------------------------------------------
// Instantiations.

#define DOT4 DOT4_SDOT

TEXT ·dotRowsQ8_0SDOT(SB), NOSPLIT, $0-40
	Q80BODY

TEXT ·dotRowsQ4_0SDOT(SB), NOSPLIT, $0-40
	Q40BODY

TEXT ·dotRowsQ4KSDOT(SB), NOSPLIT, $0-40
	Q4KBODY

TEXT ·dotRowsQ5KSDOT(SB), NOSPLIT, $0-40
	Q5KBODY

TEXT ·dotRowsQ6KSDOT(SB), NOSPLIT, $0-40
	Q6KBODY

TEXT ·repackQ4KRowsSDOT(SB), NOSPLIT, $0-48
	R4KBODY

TEXT ·repackQ4_0RowsSDOT(SB), NOSPLIT, $0-40
	R40BODY

TEXT ·repackQ4KGemm4SDOT(SB), NOSPLIT, $0-56
	G4KBODY

TEXT ·repackQ4_0Gemm4SDOT(SB), NOSPLIT, $0-56
	G40BODY

TEXT ·dotRows4Q8_0SDOT(SB), NOSPLIT, $0-56
	M80BODY

TEXT ·dotRows2Q4KSDOT(SB), NOSPLIT, $0-56
	M4KBODY

TEXT ·dotRows2Q6KSDOT(SB), NOSPLIT, $0-56
	M6KBODY

TEXT ·dotRows2Q5KSDOT(SB), NOSPLIT, $0-56
	M5KBODY

#undef DOT4
#define DOT4 DOT4_NEON

TEXT ·dotRowsQ8_0NEON(SB), NOSPLIT, $0-40
	Q80BODY

TEXT ·dotRowsQ4_0NEON(SB), NOSPLIT, $0-40
	Q40BODY

TEXT ·dotRowsQ4KNEON(SB), NOSPLIT, $0-40
	Q4KBODY

TEXT ·dotRowsQ5KNEON(SB), NOSPLIT, $0-40
	Q5KBODY

TEXT ·dotRowsQ6KNEON(SB), NOSPLIT, $0-40
	Q6KBODY

TEXT ·repackQ4KRowsNEON(SB), NOSPLIT, $0-48
	R4KBODY

TEXT ·repackQ4_0RowsNEON(SB), NOSPLIT, $0-40
	R40BODY

TEXT ·repackQ4KGemm4NEON(SB), NOSPLIT, $0-56
	G4KBODY

TEXT ·repackQ4_0Gemm4NEON(SB), NOSPLIT, $0-56
	G40BODY

TEXT ·dotRows4Q8_0NEON(SB), NOSPLIT, $0-56
	M80BODY

TEXT ·dotRows2Q4KNEON(SB), NOSPLIT, $0-56
	M4KBODY

TEXT ·dotRows2Q6KNEON(SB), NOSPLIT, $0-56
	M6KBODY

TEXT ·dotRows2Q5KNEON(SB), NOSPLIT, $0-56
	M5KBODY
