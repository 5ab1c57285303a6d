//go:build amd64 && !purego

#include "textflag.h"
#include "kquant_amd64.h"

// Eight-token form of the Q6_K row dot, for batched decoding of eight
// sequences: each weight super-block is unpacked once and multiplied with
// the Q8_K blocks of eight activation rows. Every (row, token) result takes
// exactly the steps of dotRowsQ6KAVX2 and dotRows4Q6KAVX2 (the integer sum
// of a super-block is exact; the float conversion, the FMA into the 8-lane
// accumulator and the final horizontal sum are the same), so results are
// bit-identical.
//
// func dotRows8Q6KAVX2(w, x *byte, xStride int, out *float32, outStride, rows, nb int)
// x points at token 0's activation row, token t's at x + t*xStride;
// out[t*outStride + r] receives row r's dot with token t (strides in bytes).
//
// Registers in the block loop: Y0-Y7 sumi of tokens 0-7; Y8-Y11 the four
// unpacked quant vectors of the current half; Y14, Y15 the int16 scales of
// the first two of them; Y12, Y13 temporaries. SI weights, BX token 0's
// block, R14 token 4's block, R11/R12/R13 = 1/2/3 × xStride, R9 blocks left.
//
// Frame: acc_t at 32*t(SP) (t < 8), the int16 scales of quant vectors 2 and
// 3 of the current half at 256(SP) and 288(SP), the weight block's d
// broadcast at 320(SP).
//
// q6shuf<>+16*i (kquant_amd64.h) spreads scale bytes 2i and 2i+1 over 8
// bytes each: the two scales of a quant vector, 8 int16 each after the
// sign extension.

// Bytes ahead of the current weight block that are prefetched: the weights
// stream from memory in real use.
#define Q6K8_PF 1024

// Q6K8_INIT(y, xb, bs): sumi_t (y) starts at -32 * (bsums . scales) pairwise
// (Y8 = -32 * scales as int16, exact: |32 * scale| <= 4096). The integer
// sum is the one of the other kernels; only its grouping differs.
#define Q6K8_INIT(y, xb, bs) \
	VPMADDWD bs xb, Y8, y

// Q6K8_TOK(y, h, xb, qs): sumi_t (y) += sum over k of scale_k *
// maddubs(q_k, q8_t[32k]), the quants of the activation block at qs.
#define Q6K8_TOK(y, h, xb, qs) \
	VPMADDUBSW (qs+128*h) xb, Y8, Y12 \
	VPMADDWD   Y12, Y14, Y12 \
	VPMADDUBSW (qs+128*h+32) xb, Y9, Y13 \
	VPMADDWD   Y13, Y15, Y13 \
	VPADDD     Y12, Y13, Y12 \
	VPADDD     Y12, y, y \
	VPMADDUBSW (qs+128*h+64) xb, Y10, Y12 \
	VPMADDWD   256(SP), Y12, Y12 \
	VPMADDUBSW (qs+128*h+96) xb, Y11, Y13 \
	VPMADDWD   288(SP), Y13, Y13 \
	VPADDD     Y12, Y13, Y12 \
	VPADDD     Y12, y, y

// Q6K8_HALF(h, qs): unpack the 128 quants of half h into Y8-Y11
// (Q6K_UNPACK), their scales into Y14, Y15 and the frame, then the eight
// tokens.
#define Q6K8_HALF(h, qs) \
	Q6K_UNPACK(h, Y12, Y13, Y14, Y15, Y8, Y9, Y10, Y11) \
	VMOVDQU   192(SI), X15 \
	VPSHUFB   q6shuf<>+(64*h+32)(SB), X15, X12 \
	VPMOVSXBW X12, Y12 \
	VMOVDQU   Y12, 256(SP) \
	VPSHUFB   q6shuf<>+(64*h+48)(SB), X15, X13 \
	VPMOVSXBW X13, Y13 \
	VMOVDQU   Y13, 288(SP) \
	VPSHUFB   q6shuf<>+(64*h)(SB), X15, X14 \
	VPMOVSXBW X14, Y14 \
	VPSHUFB   q6shuf<>+(64*h+16)(SB), X15, X15 \
	VPMOVSXBW X15, Y15 \
	Q6K8_TOK(Y0, h, (BX), qs) \
	Q6K8_TOK(Y1, h, (BX)(R11*1), qs) \
	Q6K8_TOK(Y2, h, (BX)(R12*1), qs) \
	Q6K8_TOK(Y3, h, (BX)(R13*1), qs) \
	Q6K8_TOK(Y4, h, (R14), qs) \
	Q6K8_TOK(Y5, h, (R14)(R11*1), qs) \
	Q6K8_TOK(Y6, h, (R14)(R12*1), qs) \
	Q6K8_TOK(Y7, h, (R14)(R13*1), qs)

// Q6K8_ACC(t, y, xb): acc_t = fma(d_t, float(sumi_t), acc_t), d_t = y.d * dw
// (dw broadcast in Y15): the same single-precision product in every lane;
// acc_t is the FMA's memory operand.
#define Q6K8_ACC(t, y, xb) \
	VCVTDQ2PS    y, y \
	VBROADCASTSS xb, Y12 \
	VMULPS       Y15, Y12, Y12 \
	VFMADD213PS  (32*t)(SP), Y12, y \
	VMOVUPS      y, (32*t)(SP)

// Q6K8_ACCP: Q6K8_ACC for a padded activation block, whose first 32
// bytes hold y.d eight times.
#define Q6K8_ACCP(t, y, xb) \
	VCVTDQ2PS   y, y \
	VMULPS      xb, Y15, Y12 \
	VFMADD213PS (32*t)(SP), Y12, y \
	VMOVUPS     y, (32*t)(SP)

#define Q6K8_OUT(t, dst) \
	VMOVUPS (32*t)(SP), Y0 \
	HSUM8(Y0, X0, X2, X3) \
	VMOVSS  X2, dst

// The function bodies; Q6K8_BLOCK(qs, bs, acc) for activation blocks with
// the quants at offset qs and the block sums at bs, and acc their
// accumulation step.
#define Q6K8_PRE \
	MOVQ w+0(FP), SI \
	MOVQ xStride+16(FP), R11 \
	MOVQ out+24(FP), DX \
	MOVQ outStride+32(FP), CX \
	MOVQ rows+40(FP), R8 \
	LEAQ (R11)(R11*1), R12 \
	LEAQ (R12)(R11*1), R13

#define Q6K8_ROWINIT \
	VXORPS  Y0, Y0, Y0 \
	VMOVUPS Y0, 0(SP) \
	VMOVUPS Y0, 32(SP) \
	VMOVUPS Y0, 64(SP) \
	VMOVUPS Y0, 96(SP) \
	VMOVUPS Y0, 128(SP) \
	VMOVUPS Y0, 160(SP) \
	VMOVUPS Y0, 192(SP) \
	VMOVUPS Y0, 224(SP) \
	MOVQ    x+8(FP), BX \
	LEAQ    (BX)(R11*4), R14 \
	MOVQ    nb+48(FP), R9

#define Q6K8_BLOCK(qs, bs, acc) \
	PREFETCHT0 (Q6K8_PF)(SI) \
	PREFETCHT0 (Q6K8_PF+64)(SI) \
	PREFETCHT0 (Q6K8_PF+128)(SI) \
	PREFETCHT0 (Q6K8_PF+192)(SI) \
	MOVWLZX   208(SI), AX \
	VMOVD     AX, X9 \
	VCVTPH2PS X9, X9 \
	VBROADCASTSS X9, Y9 \
	VMOVUPS   Y9, 320(SP) \
	VPMOVSXBW 192(SI), Y8 \
	VPSLLW    $5, Y8, Y8 \
	VPXOR     Y9, Y9, Y9 \
	VPSUBW    Y8, Y9, Y8 \
	Q6K8_INIT(Y0, (BX), bs) \
	Q6K8_INIT(Y1, (BX)(R11*1), bs) \
	Q6K8_INIT(Y2, (BX)(R12*1), bs) \
	Q6K8_INIT(Y3, (BX)(R13*1), bs) \
	Q6K8_INIT(Y4, (R14), bs) \
	Q6K8_INIT(Y5, (R14)(R11*1), bs) \
	Q6K8_INIT(Y6, (R14)(R12*1), bs) \
	Q6K8_INIT(Y7, (R14)(R13*1), bs) \
	Q6K8_HALF(0, qs) \
	Q6K8_HALF(1, qs) \
	VMOVUPS 320(SP), Y15 \
	acc(0, Y0, (BX)) \
	acc(1, Y1, (BX)(R11*1)) \
	acc(2, Y2, (BX)(R12*1)) \
	acc(3, Y3, (BX)(R13*1)) \
	acc(4, Y4, (R14)) \
	acc(5, Y5, (R14)(R11*1)) \
	acc(6, Y6, (R14)(R12*1)) \
	acc(7, Y7, (R14)(R13*1))

#define Q6K8_ROWEND \
	Q6K8_OUT(0, (DX)) \
	Q6K8_OUT(1, (DX)(CX*1)) \
	LEAQ (DX)(CX*2), AX \
	Q6K8_OUT(2, (AX)) \
	Q6K8_OUT(3, (AX)(CX*1)) \
	LEAQ (AX)(CX*2), AX \
	Q6K8_OUT(4, (AX)) \
	Q6K8_OUT(5, (AX)(CX*1)) \
	LEAQ (AX)(CX*2), AX \
	Q6K8_OUT(6, (AX)) \
	Q6K8_OUT(7, (AX)(CX*1)) \
	ADDQ $4, DX

// func dotRows8Q6KAVX2(w, x *byte, xStride int, out *float32, outStride, rows, nb int)
// Activations in Q8_K blocks (292 bytes: d, quants at 4, bsums at 260).
TEXT ·dotRows8Q6KAVX2(SB), $352-56
	Q6K8_PRE

q6k8row:
	Q6K8_ROWINIT

q6k8block:
	Q6K8_BLOCK(4, 260, Q6K8_ACC)
	ADDQ $210, SI
	ADDQ $292, BX
	ADDQ $292, R14
	DECQ R9
	JNZ  q6k8block

	Q6K8_ROWEND
	DECQ R8
	JNZ  q6k8row
	VZEROUPPER
	RET

// func dotRows8Q6KPadAVX2(w, x *byte, xStride int, out *float32, outStride, rows, nb int)
// Activations in padded Q8_K blocks (q8KPadBytes = 320 bytes: d, quants at
// 32, bsums at 288; see padQ8K), so that with x 32-byte aligned no load of
// 32 quants crosses a cache line (in the 292-byte layout half of them do).
TEXT ·dotRows8Q6KPadAVX2(SB), $352-56
	Q6K8_PRE

q6k8row:
	Q6K8_ROWINIT

q6k8block:
	Q6K8_BLOCK(32, 288, Q6K8_ACCP)
	ADDQ $210, SI
	ADDQ $320, BX
	ADDQ $320, R14
	DECQ R9
	JNZ  q6k8block

	Q6K8_ROWEND
	DECQ R8
	JNZ  q6k8row
	VZEROUPPER
	RET

