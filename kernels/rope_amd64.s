//go:build amd64 && !purego

#include "textflag.h"

// Rotary embeddings with the products fused as RopeNorm and RopeNeox
// describe (ggml-cpu's build of rotate_pairs): x0' = fma(x0, cos, -(x1·sin)),
// x1' = fma(x0, sin, x1·cos), element for element equal to the Go loops.

// func ropeNeoxAVX2(x *float32, cache *float32, h, k int)
// Pairs (x[i], x[i+h]) for i < k, k a multiple of 8; cache holds cos, sin
// of pair i at 2i, 2i+1.
TEXT ·ropeNeoxAVX2(SB), NOSPLIT, $0-32
	MOVQ x+0(FP), DI
	MOVQ cache+8(FP), SI
	MOVQ h+16(FP), CX
	LEAQ (DI)(CX*4), DX // x + h
	MOVQ k+24(FP), CX
	SHRQ $3, CX
	JZ   nxdone

nxloop:
	VMOVUPS     (SI), Y0          // c0 s0 c1 s1 c2 s2 c3 s3
	VMOVUPS     32(SI), Y1        // c4 s4 ... c7 s7
	VSHUFPS     $0x88, Y1, Y0, Y2 // c0 c1 c4 c5 | c2 c3 c6 c7
	VSHUFPS     $0xdd, Y1, Y0, Y3 // s0 s1 s4 s5 | s2 s3 s6 s7
	VPERMPD     $0xd8, Y2, Y2     // c0..c7
	VPERMPD     $0xd8, Y3, Y3     // s0..s7
	VMOVUPS     (DI), Y4          // x0
	VMOVUPS     (DX), Y5          // x1
	VMULPS      Y3, Y5, Y6        // x1·s
	VMULPS      Y2, Y5, Y7        // x1·c
	VFMSUB231PS Y2, Y4, Y6        // x0·c - x1·s
	VFMADD231PS Y3, Y4, Y7        // x0·s + x1·c
	VMOVUPS     Y6, (DI)
	VMOVUPS     Y7, (DX)
	ADDQ        $64, SI
	ADDQ        $32, DI
	ADDQ        $32, DX
	DECQ        CX
	JNZ         nxloop

nxdone:
	VZEROUPPER
	RET

// func ropeNormAVX2(x *float32, cache *float32, n int)
// Adjacent pairs (x[2i], x[2i+1]) of the first n elements, n a multiple of
// 8; cache holds cos, sin of pair i at 2i, 2i+1.
TEXT ·ropeNormAVX2(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), DI
	MOVQ cache+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $3, CX
	JZ   nmdone

nmloop:
	VMOVUPS        (SI), Y0       // c s c s ...
	VPERMILPS      $0xb1, Y0, Y1  // s c s c ...
	VMOVUPS        (DI), Y2       // x0 x1 ...
	VMOVSLDUP      Y2, Y3         // x0 x0 ...
	VMOVSHDUP      Y2, Y4         // x1 x1 ...
	VMULPS         Y1, Y4, Y4     // x1·s, x1·c
	VFMADDSUB231PS Y0, Y3, Y4     // even: x0·c - x1·s, odd: x0·s + x1·c
	VMOVUPS        Y4, (DI)
	ADDQ           $32, SI
	ADDQ           $32, DI
	DECQ           CX
	JNZ            nmloop

nmdone:
	VZEROUPPER
	RET
