//go:build amd64 && !purego

#include "textflag.h"
#include "kquant_amd64.h"

// Four-token forms of the K-quant row dots: each weight block is decoded
// once and multiplied with the blocks of four activation rows, for prompt
// processing. Every (row, token) result is computed with exactly the steps
// of the one-token kernel in dot_kquant_amd64.s, so results are identical.
//
// func dotRows4Q4KAVX2(w, x *byte, xStride int, out *float32, outStride, rows, nb int)
// x points at token 0's activation row, token t's at x + t*xStride;
// out[t*outStride + r] receives row r's dot with token t (strides in bytes).
//
// Frame: acc_t at 32*t(SP), acc_m_t at 128+16*t(SP), d_t at 192+4*t(SP).

DATA k4shufB<>+0x00(SB)/8, $0x0100010001000100
DATA k4shufB<>+0x08(SB)/8, $0x0100010001000100
DATA k4shufB<>+0x10(SB)/8, $0x0100010001000100
DATA k4shufB<>+0x18(SB)/8, $0x0100010001000100
DATA k4shufB<>+0x20(SB)/8, $0x0302030203020302
DATA k4shufB<>+0x28(SB)/8, $0x0302030203020302
DATA k4shufB<>+0x30(SB)/8, $0x0302030203020302
DATA k4shufB<>+0x38(SB)/8, $0x0302030203020302
DATA k4shufB<>+0x40(SB)/8, $0x0504050405040504
DATA k4shufB<>+0x48(SB)/8, $0x0504050405040504
DATA k4shufB<>+0x50(SB)/8, $0x0504050405040504
DATA k4shufB<>+0x58(SB)/8, $0x0504050405040504
DATA k4shufB<>+0x60(SB)/8, $0x0706070607060706
DATA k4shufB<>+0x68(SB)/8, $0x0706070607060706
DATA k4shufB<>+0x70(SB)/8, $0x0706070607060706
DATA k4shufB<>+0x78(SB)/8, $0x0706070607060706
DATA k4shufB<>+0x80(SB)/8, $0x0908090809080908
DATA k4shufB<>+0x88(SB)/8, $0x0908090809080908
DATA k4shufB<>+0x90(SB)/8, $0x0908090809080908
DATA k4shufB<>+0x98(SB)/8, $0x0908090809080908
DATA k4shufB<>+0xa0(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA k4shufB<>+0xa8(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA k4shufB<>+0xb0(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA k4shufB<>+0xb8(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA k4shufB<>+0xc0(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA k4shufB<>+0xc8(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA k4shufB<>+0xd0(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA k4shufB<>+0xd8(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA k4shufB<>+0xe0(SB)/8, $0x0f0e0f0e0f0e0f0e
DATA k4shufB<>+0xe8(SB)/8, $0x0f0e0f0e0f0e0f0e
DATA k4shufB<>+0xf0(SB)/8, $0x0f0e0f0e0f0e0f0e
DATA k4shufB<>+0xf8(SB)/8, $0x0f0e0f0e0f0e0f0e
GLOBL k4shufB<>(SB), RODATA|NOPTR, $256

DATA m0f<>+0(SB)/4, $0x0f0f0f0f
GLOBL m0f<>(SB), RODATA|NOPTR, $4
DATA m03<>+0(SB)/4, $0x03030303
GLOBL m03<>(SB), RODATA|NOPTR, $4
DATA m0c<>+0(SB)/4, $0x0c0c0c0c
GLOBL m0c<>(SB), RODATA|NOPTR, $4
DATA m30<>+0(SB)/4, $0x30303030
GLOBL m30<>(SB), RODATA|NOPTR, $4
DATA mc0<>+0(SB)/4, $0xc0c0c0c0
GLOBL mc0<>(SB), RODATA|NOPTR, $4

#define KSCALES \
	MOVL  4(SI), R9 \
	MOVL  8(SI), R10 \
	MOVL  12(SI), AX \
	MOVL  AX, DI \
	SHRL  $4, DI \
	ANDL  $0x0f0f0f0f, DI \
	MOVL  R10, R14 \
	SHRL  $6, R14 \
	ANDL  $0x03030303, R14 \
	SHLL  $4, R14 \
	ORL   R14, DI \
	ANDL  $0x0f0f0f0f, AX \
	MOVL  R9, R14 \
	SHRL  $6, R14 \
	ANDL  $0x03030303, R14 \
	SHLL  $4, R14 \
	ORL   R14, AX \
	ANDL  $0x3f3f3f3f, R10 \
	ANDL  $0x3f3f3f3f, R9 \
	SHLQ  $32, AX \
	ORQ   AX, R9 \
	SHLQ  $32, DI \
	ORQ   DI, R10 \
	VMOVQ R9, X6 \
	VPINSRQ $1, R10, X6, X6

// Q4K_MINS(t, xaddr): d_t, dmin_t from X4 = [dw, dminw]; acc_m_t -= dmin_t *
// (mins . pairwise bsums of token t). xaddr is token t's block.
#define Q4K_MINS(t, bs, yd) \
	VBROADCASTSS yd, X6 \
	VMULPS       X4, X6, X6 \
	VMOVSS       X6, (192+4*t)(SP) \
	VPERMILPS    $0x55, X6, X7 \
	VMOVDQU      bs, Y5 \
	VEXTRACTI128 $1, Y5, X10 \
	VPHADDW      X10, X5, X5 \
	VPMADDWD     X5, X8, X5 \
	VCVTDQ2PS    X5, X5 \
	VMOVUPS      (128+16*t)(SP), X10 \
	VFNMADD231PS X5, X7, X10 \
	VMOVUPS      X10, (128+16*t)(SP)

// Q4K_TOK: sumi_t (y) += scale_l*maddubs(q4l, lo) + scale_h*maddubs(q4h, hi)
#define Q4K_TOK(y, lo, hi) \
	VPMADDUBSW lo, Y13, Y10 \
	VPMADDWD   Y10, Y11, Y10 \
	VPMADDUBSW hi, Y14, Y5 \
	VPMADDWD   Y5, Y12, Y5 \
	VPADDD     Y10, Y5, Y10 \
	VPADDD     Y10, y, y

#define Q4K_STEP4(j) \
	VPSHUFB    k4shufB<>+(64*j)(SB), Y9, Y11 \
	VPSHUFB    k4shufB<>+(64*j+32)(SB), Y9, Y12 \
	VMOVDQU    (16+32*j)(SI), Y13 \
	VPSRLW     $4, Y13, Y14 \
	VPAND      Y15, Y13, Y13 \
	VPAND      Y15, Y14, Y14 \
	Q4K_TOK(Y0, (4+64*j)(BX), (4+64*j+32)(BX)) \
	Q4K_TOK(Y1, (4+64*j)(BX)(R11*1), (4+64*j+32)(BX)(R11*1)) \
	Q4K_TOK(Y2, (4+64*j)(BX)(R12*1), (4+64*j+32)(BX)(R12*1)) \
	Q4K_TOK(Y3, (4+64*j)(BX)(R13*1), (4+64*j+32)(BX)(R13*1))

#define ACC_UPDATE(t, y) \
	VCVTDQ2PS    y, y \
	VBROADCASTSS (192+4*t)(SP), Y5 \
	VMOVUPS      (32*t)(SP), Y10 \
	VFMADD231PS  y, Y5, Y10 \
	VMOVUPS      Y10, (32*t)(SP)

#define Q4K_OUT(t, dst) \
	VMOVUPS   (32*t)(SP), Y0 \
	HSUM8(Y0, X0, X2, X3) \
	VMOVUPS   (128+16*t)(SP), X1 \
	VMOVHLPS  X1, X1, X3 \
	VADDPS    X3, X1, X1 \
	VMOVSHDUP X1, X3 \
	VADDSS    X3, X1, X1 \
	VADDSS    X1, X2, X2 \
	VMOVSS    X2, dst

TEXT ·dotRows4Q4KAVX2(SB), $256-56
	MOVQ w+0(FP), SI
	MOVQ xStride+16(FP), R11
	MOVQ out+24(FP), DX
	MOVQ outStride+32(FP), CX
	MOVQ rows+40(FP), R8
	LEAQ (R11)(R11*1), R12
	LEAQ (R12)(R11*1), R13
	VPBROADCASTD m0f<>(SB), Y15

q4k4row:
	VXORPS  Y0, Y0, Y0
	VMOVUPS Y0, 0(SP)
	VMOVUPS Y0, 32(SP)
	VMOVUPS Y0, 64(SP)
	VMOVUPS Y0, 96(SP)
	VMOVUPS Y0, 128(SP)
	VMOVUPS Y0, 160(SP)
	MOVQ    x+8(FP), BX
	MOVQ    nb+48(FP), AX
	MOVQ    AX, 248(SP)

q4k4block:
	MOVL      (SI), AX
	VMOVD     AX, X4
	VCVTPH2PS X4, X4 // [dw, dminw]
	KSCALES
	VPMOVZXBW X6, Y9
	VEXTRACTI128 $1, Y9, X8 // mins
	Q4K_MINS(0, 260(BX), (BX))
	Q4K_MINS(1, 260(BX)(R11*1), (BX)(R11*1))
	Q4K_MINS(2, 260(BX)(R12*1), (BX)(R12*1))
	Q4K_MINS(3, 260(BX)(R13*1), (BX)(R13*1))
	VINSERTI128 $1, X9, Y9, Y9
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	VPXOR Y2, Y2, Y2
	VPXOR Y3, Y3, Y3
	Q4K_STEP4(0)
	Q4K_STEP4(1)
	Q4K_STEP4(2)
	Q4K_STEP4(3)
	ACC_UPDATE(0, Y0)
	ACC_UPDATE(1, Y1)
	ACC_UPDATE(2, Y2)
	ACC_UPDATE(3, Y3)

	ADDQ $144, SI
	ADDQ $292, BX
	DECQ 248(SP)
	JNZ  q4k4block

	Q4K_OUT(0, (DX))
	Q4K_OUT(1, (DX)(CX*1))
	LEAQ (DX)(CX*2), AX
	Q4K_OUT(2, (AX))
	Q4K_OUT(3, (AX)(CX*1))
	ADDQ $4, DX
	DECQ R8
	JNZ  q4k4row
	VZEROUPPER
	RET

// Q6K_INIT(t, y, xb): d_t = y.d * dw (X4) to the frame; sumi_t (y) starts
// at -32 * (bsums . scales) pairwise (Y7 = scales as int16).
#define Q6K_INIT(t, y, xb) \
	VMOVSS       xb, X10 \
	VMULSS       X4, X10, X10 \
	VMOVSS       X10, (192+4*t)(SP) \
	VPMADDWD     260 xb, Y7, Y10 \
	VPSLLD       $5, Y10, Y10 \
	VPXOR        y, y, y \
	VPSUBD       Y10, y, y

// Q6K_TOK: sumi_t (y) += sum over k of scale_k * maddubs(q_k, q8_t[32k]).
#define Q6K_TOK(y, h, xb) \
	VPMADDUBSW (4+128*h) xb, Y4, Y14 \
	VPMADDWD   Y14, Y9, Y14 \
	VPMADDUBSW (4+128*h+32) xb, Y5, Y15 \
	VPMADDWD   Y15, Y11, Y15 \
	VPADDD     Y14, Y15, Y14 \
	VPADDD     Y14, y, y \
	VPMADDUBSW (4+128*h+64) xb, Y7, Y14 \
	VPMADDWD   Y14, Y12, Y14 \
	VPMADDUBSW (4+128*h+96) xb, Y8, Y15 \
	VPMADDWD   Y15, Y13, Y15 \
	VPADDD     Y14, Y15, Y14 \
	VPADDD     Y14, y, y

#define Q6K_HALF4(h) \
	Q6K_UNPACK(h, Y13, Y14, Y15, Y10, Y4, Y5, Y7, Y8) \
	VPSHUFB   q6shuf<>+(64*h)(SB), X6, X9 \
	VPMOVSXBW X9, Y9 \
	VPSHUFB   q6shuf<>+(64*h+16)(SB), X6, X11 \
	VPMOVSXBW X11, Y11 \
	VPSHUFB   q6shuf<>+(64*h+32)(SB), X6, X12 \
	VPMOVSXBW X12, Y12 \
	VPSHUFB   q6shuf<>+(64*h+48)(SB), X6, X13 \
	VPMOVSXBW X13, Y13 \
	Q6K_TOK(Y0, h, (BX)) \
	Q6K_TOK(Y1, h, (BX)(R11*1)) \
	Q6K_TOK(Y2, h, (BX)(R12*1)) \
	Q6K_TOK(Y3, h, (BX)(R13*1))

#define Q6K_OUT(t, dst) \
	VMOVUPS (32*t)(SP), Y0 \
	HSUM8(Y0, X0, X2, X3) \
	VMOVSS  X2, dst

// func dotRows4Q6KAVX2(w, x *byte, xStride int, out *float32, outStride, rows, nb int)
TEXT ·dotRows4Q6KAVX2(SB), $256-56
	MOVQ w+0(FP), SI
	MOVQ xStride+16(FP), R11
	MOVQ out+24(FP), DX
	MOVQ outStride+32(FP), CX
	MOVQ rows+40(FP), R8
	LEAQ (R11)(R11*1), R12
	LEAQ (R12)(R11*1), R13

q6k4row:
	VXORPS  Y0, Y0, Y0
	VMOVUPS Y0, 0(SP)
	VMOVUPS Y0, 32(SP)
	VMOVUPS Y0, 64(SP)
	VMOVUPS Y0, 96(SP)
	MOVQ    x+8(FP), BX
	MOVQ    nb+48(FP), AX
	MOVQ    AX, 248(SP)

q6k4block:
	MOVWLZX   208(SI), AX
	VMOVD     AX, X4
	VCVTPH2PS X4, X4
	VMOVDQU   192(SI), X6
	VPMOVSXBW X6, Y7
	Q6K_INIT(0, Y0, (BX))
	Q6K_INIT(1, Y1, (BX)(R11*1))
	Q6K_INIT(2, Y2, (BX)(R12*1))
	Q6K_INIT(3, Y3, (BX)(R13*1))
	Q6K_HALF4(0)
	Q6K_HALF4(1)
	ACC_UPDATE(0, Y0)
	ACC_UPDATE(1, Y1)
	ACC_UPDATE(2, Y2)
	ACC_UPDATE(3, Y3)

	ADDQ $210, SI
	ADDQ $292, BX
	DECQ 248(SP)
	JNZ  q6k4block

	Q6K_OUT(0, (DX))
	Q6K_OUT(1, (DX)(CX*1))
	LEAQ (DX)(CX*2), AX
	Q6K_OUT(2, (AX))
	Q6K_OUT(3, (AX)(CX*1))
	ADDQ $4, DX
	DECQ R8
	JNZ  q6k4row
	VZEROUPPER
	RET
