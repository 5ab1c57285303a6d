//go:build amd64 && !purego

#include "textflag.h"

// tinyBLAS-order dot products (quant.TinyDot) of four F32, F16 or BF16
// weight rows with one activation row of the same type: per row a single
// 8-lane accumulator, lane l = fma over elements l, l+8, l+16, ... in
// order, then quant's hsum8: (a0+a4 + a2+a6) + (a1+a5 + a3+a7).
// n8 counts steps of 8 elements (at least 1); stride is the weight row
// length in bytes.

// HSUM8(Y, X): the hsum8 of Y into the low float of X (X is Y's low half;
// X15 is scratch).
#define HSUM8(Y, X) \
	VEXTRACTF128 $1, Y, X15 \
	VADDPS       X15, X, X \
	VMOVHLPS     X, X, X15 \
	VADDPS       X15, X, X \
	VMOVSHDUP    X, X15 \
	VADDSS       X15, X, X

#define STORE4 \
	HSUM8(Y0, X0) \
	HSUM8(Y1, X1) \
	HSUM8(Y2, X2) \
	HSUM8(Y3, X3) \
	VMOVSS X0, (DX) \
	VMOVSS X1, 4(DX) \
	VMOVSS X2, 8(DX) \
	VMOVSS X3, 12(DX) \
	VZEROUPPER

#define PROLOGUE \
	MOVQ w+0(FP), SI \
	MOVQ stride+8(FP), R10 \
	MOVQ x+16(FP), DI \
	MOVQ out+24(FP), DX \
	MOVQ n8+32(FP), CX \
	LEAQ (SI)(R10*2), R11 \
	VXORPS Y0, Y0, Y0 \
	VXORPS Y1, Y1, Y1 \
	VXORPS Y2, Y2, Y2 \
	VXORPS Y3, Y3, Y3

// func tinyRows4F32AVX2(w *byte, stride int, x *byte, out *float32, n8 int)
TEXT ·tinyRows4F32AVX2(SB), NOSPLIT, $0-40
	PROLOGUE
f32loop:
	VMOVUPS     (DI), Y4
	VMOVUPS     (SI), Y5
	VFMADD231PS Y4, Y5, Y0
	VMOVUPS     (SI)(R10*1), Y6
	VFMADD231PS Y4, Y6, Y1
	VMOVUPS     (R11), Y7
	VFMADD231PS Y4, Y7, Y2
	VMOVUPS     (R11)(R10*1), Y8
	VFMADD231PS Y4, Y8, Y3
	ADDQ        $32, DI
	ADDQ        $32, SI
	ADDQ        $32, R11
	DECQ        CX
	JNZ         f32loop
	STORE4
	RET

// func tinyRows4F16AVX2(w *byte, stride int, x *byte, out *float32, n8 int)
TEXT ·tinyRows4F16AVX2(SB), NOSPLIT, $0-40
	PROLOGUE
f16loop:
	VCVTPH2PS   (DI), Y4
	VCVTPH2PS   (SI), Y5
	VFMADD231PS Y4, Y5, Y0
	VCVTPH2PS   (SI)(R10*1), Y6
	VFMADD231PS Y4, Y6, Y1
	VCVTPH2PS   (R11), Y7
	VFMADD231PS Y4, Y7, Y2
	VCVTPH2PS   (R11)(R10*1), Y8
	VFMADD231PS Y4, Y8, Y3
	ADDQ        $16, DI
	ADDQ        $16, SI
	ADDQ        $16, R11
	DECQ        CX
	JNZ         f16loop
	STORE4
	RET

// func tinyRows4BF16AVX2(w *byte, stride int, x *byte, out *float32, n8 int)
TEXT ·tinyRows4BF16AVX2(SB), NOSPLIT, $0-40
	PROLOGUE
bf16loop:
	VPMOVZXWD   (DI), Y4
	VPSLLD      $16, Y4, Y4
	VPMOVZXWD   (SI), Y5
	VPSLLD      $16, Y5, Y5
	VFMADD231PS Y4, Y5, Y0
	VPMOVZXWD   (SI)(R10*1), Y6
	VPSLLD      $16, Y6, Y6
	VFMADD231PS Y4, Y6, Y1
	VPMOVZXWD   (R11), Y7
	VPSLLD      $16, Y7, Y7
	VFMADD231PS Y4, Y7, Y2
	VPMOVZXWD   (R11)(R10*1), Y8
	VPSLLD      $16, Y8, Y8
	VFMADD231PS Y4, Y8, Y3
	ADDQ        $16, DI
	ADDQ        $16, SI
	ADDQ        $16, R11
	DECQ        CX
	JNZ         bf16loop
	STORE4
	RET
