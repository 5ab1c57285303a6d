//go:build amd64 && !purego

#include "textflag.h"

// AVX2+FMA kernels for ops.go: ggml_v_expf (vexpf) eight lanes at a time,
// and with it SwiGLU (ggml_vec_swiglu_f32) and the body of
// ggml_vec_soft_max_f32. Every lane does the operations of the Go
// reference in the same order with the same roundings (the hardware fused
// multiply-add is the one quant.FMA32 emulates), so results are bit for
// bit those of vexpf, siluMulGeneric and softMaxTileGeneric.

// Broadcast constants of ggml_v_expf.
DATA vexpR<>+0x00(SB)/8, $0x4b4000004b400000
DATA vexpR<>+0x08(SB)/8, $0x4b4000004b400000
DATA vexpR<>+0x10(SB)/8, $0x4b4000004b400000
DATA vexpR<>+0x18(SB)/8, $0x4b4000004b400000
GLOBL vexpR<>(SB), RODATA|NOPTR, $32

DATA vexpLog2e<>+0x00(SB)/8, $0x3fb8aa3b3fb8aa3b
DATA vexpLog2e<>+0x08(SB)/8, $0x3fb8aa3b3fb8aa3b
DATA vexpLog2e<>+0x10(SB)/8, $0x3fb8aa3b3fb8aa3b
DATA vexpLog2e<>+0x18(SB)/8, $0x3fb8aa3b3fb8aa3b
GLOBL vexpLog2e<>(SB), RODATA|NOPTR, $32

DATA vexpLn2hi<>+0x00(SB)/8, $0x3f3172003f317200
DATA vexpLn2hi<>+0x08(SB)/8, $0x3f3172003f317200
DATA vexpLn2hi<>+0x10(SB)/8, $0x3f3172003f317200
DATA vexpLn2hi<>+0x18(SB)/8, $0x3f3172003f317200
GLOBL vexpLn2hi<>(SB), RODATA|NOPTR, $32

DATA vexpLn2lo<>+0x00(SB)/8, $0x35bfbe8e35bfbe8e
DATA vexpLn2lo<>+0x08(SB)/8, $0x35bfbe8e35bfbe8e
DATA vexpLn2lo<>+0x10(SB)/8, $0x35bfbe8e35bfbe8e
DATA vexpLn2lo<>+0x18(SB)/8, $0x35bfbe8e35bfbe8e
GLOBL vexpLn2lo<>(SB), RODATA|NOPTR, $32

DATA vexpC5<>+0x00(SB)/8, $0x3c0720103c072010
DATA vexpC5<>+0x08(SB)/8, $0x3c0720103c072010
DATA vexpC5<>+0x10(SB)/8, $0x3c0720103c072010
DATA vexpC5<>+0x18(SB)/8, $0x3c0720103c072010
GLOBL vexpC5<>(SB), RODATA|NOPTR, $32

DATA vexpC4<>+0x00(SB)/8, $0x3d2b9f173d2b9f17
DATA vexpC4<>+0x08(SB)/8, $0x3d2b9f173d2b9f17
DATA vexpC4<>+0x10(SB)/8, $0x3d2b9f173d2b9f17
DATA vexpC4<>+0x18(SB)/8, $0x3d2b9f173d2b9f17
GLOBL vexpC4<>(SB), RODATA|NOPTR, $32

DATA vexpC3<>+0x00(SB)/8, $0x3e2aaf333e2aaf33
DATA vexpC3<>+0x08(SB)/8, $0x3e2aaf333e2aaf33
DATA vexpC3<>+0x10(SB)/8, $0x3e2aaf333e2aaf33
DATA vexpC3<>+0x18(SB)/8, $0x3e2aaf333e2aaf33
GLOBL vexpC3<>(SB), RODATA|NOPTR, $32

DATA vexpC2<>+0x00(SB)/8, $0x3efffedb3efffedb
DATA vexpC2<>+0x08(SB)/8, $0x3efffedb3efffedb
DATA vexpC2<>+0x10(SB)/8, $0x3efffedb3efffedb
DATA vexpC2<>+0x18(SB)/8, $0x3efffedb3efffedb
GLOBL vexpC2<>(SB), RODATA|NOPTR, $32

DATA vexpC1<>+0x00(SB)/8, $0x3f7ffff63f7ffff6
DATA vexpC1<>+0x08(SB)/8, $0x3f7ffff63f7ffff6
DATA vexpC1<>+0x10(SB)/8, $0x3f7ffff63f7ffff6
DATA vexpC1<>+0x18(SB)/8, $0x3f7ffff63f7ffff6
GLOBL vexpC1<>(SB), RODATA|NOPTR, $32

DATA vexpOne<>+0x00(SB)/8, $0x3f8000003f800000
DATA vexpOne<>+0x08(SB)/8, $0x3f8000003f800000
DATA vexpOne<>+0x10(SB)/8, $0x3f8000003f800000
DATA vexpOne<>+0x18(SB)/8, $0x3f8000003f800000
GLOBL vexpOne<>(SB), RODATA|NOPTR, $32

DATA vexpAbs<>+0x00(SB)/8, $0x7fffffff7fffffff
DATA vexpAbs<>+0x08(SB)/8, $0x7fffffff7fffffff
DATA vexpAbs<>+0x10(SB)/8, $0x7fffffff7fffffff
DATA vexpAbs<>+0x18(SB)/8, $0x7fffffff7fffffff
GLOBL vexpAbs<>(SB), RODATA|NOPTR, $32

DATA vexp126<>+0x00(SB)/8, $0x42fc000042fc0000
DATA vexp126<>+0x08(SB)/8, $0x42fc000042fc0000
DATA vexp126<>+0x10(SB)/8, $0x42fc000042fc0000
DATA vexp126<>+0x18(SB)/8, $0x42fc000042fc0000
GLOBL vexp126<>(SB), RODATA|NOPTR, $32

DATA vexp192<>+0x00(SB)/8, $0x4340000043400000
DATA vexp192<>+0x08(SB)/8, $0x4340000043400000
DATA vexp192<>+0x10(SB)/8, $0x4340000043400000
DATA vexp192<>+0x18(SB)/8, $0x4340000043400000
GLOBL vexp192<>(SB), RODATA|NOPTR, $32

DATA vexpG<>+0x00(SB)/8, $0x8200000082000000
DATA vexpG<>+0x08(SB)/8, $0x8200000082000000
DATA vexpG<>+0x10(SB)/8, $0x8200000082000000
DATA vexpG<>+0x18(SB)/8, $0x8200000082000000
GLOBL vexpG<>(SB), RODATA|NOPTR, $32

DATA vexpBias<>+0x00(SB)/8, $0x7f0000007f000000
DATA vexpBias<>+0x08(SB)/8, $0x7f0000007f000000
DATA vexpBias<>+0x10(SB)/8, $0x7f0000007f000000
DATA vexpBias<>+0x18(SB)/8, $0x7f0000007f000000
GLOBL vexpBias<>(SB), RODATA|NOPTR, $32

// VEXPF sets R to ggml_v_expf(X), lane by lane the Go vexpf:
//
//	z = fma(x, log2e, r)         Z
//	n = z - r                    N
//	b = fma(-n, ln2lo, fma(-n, ln2hi, x))   (fnmadd: -(n*c)+y is fma(-n, c, y))
//	k = bits(z)<<23 + bits(1)    K
//	u = b*b                      U
//	j = fma(fma(fma(c5,b,c4), u, fma(c3,b,c2)), u, c1*b)   T1
//	r = fma(j, k, k)
//
// and, only when some lane has |n| > 126 (else it jumps to SKIP), the
// overflow/underflow branches: g = n <= 0 ? 0x82000000 : 0,
// s1 = g + 0x7f000000, s2 = bits(z)<<23 - g; lanes with |n| > 192 take
// s1*s1, the other lanes with |n| > 126 fma(s2, j, s2)*s1. X is kept;
// Z, N, B, K, U, T1, T2 and AX are clobbered.
#define VEXPF(X, R, Z, N, B, K, U, T1, T2, SKIP) \
	VMOVUPS      vexpR<>(SB), Z          \
	VFMADD231PS  vexpLog2e<>(SB), X, Z   \
	VSUBPS       vexpR<>(SB), Z, N       \
	VMOVUPS      X, B                    \
	VFNMADD231PS vexpLn2hi<>(SB), N, B   \
	VFNMADD231PS vexpLn2lo<>(SB), N, B   \
	VPSLLD       $23, Z, K               \
	VPADDD       vexpOne<>(SB), K, K     \
	VMULPS       B, B, U                 \
	VMOVUPS      vexpC4<>(SB), T1        \
	VFMADD231PS  vexpC5<>(SB), B, T1     \
	VMOVUPS      vexpC2<>(SB), T2        \
	VFMADD231PS  vexpC3<>(SB), B, T2     \
	VFMADD231PS  U, T1, T2               \
	VMULPS       vexpC1<>(SB), B, T1     \
	VFMADD231PS  U, T2, T1               \
	VMOVUPS      K, R                    \
	VFMADD231PS  K, T1, R                \
	VANDPS       vexpAbs<>(SB), N, U     \
	VCMPPS       $0x1e, vexp126<>(SB), U, T2 \
	VMOVMSKPS    T2, AX                  \
	TESTL        AX, AX                  \
	JZ           SKIP                    \
	VXORPS       B, B, B                 \
	VCMPPS       $0x12, B, N, B          \
	VANDPS       vexpG<>(SB), B, B       \
	VPSLLD       $23, Z, K               \
	VPSUBD       B, K, K                 \
	VPADDD       vexpBias<>(SB), B, B    \
	VFMADD231PS  K, T1, K                \
	VMULPS       B, K, K                 \
	VBLENDVPS    T2, K, R, R             \
	VMULPS       B, B, B                 \
	VCMPPS       $0x1e, vexp192<>(SB), U, T2 \
	VBLENDVPS    T2, B, R, R             \
SKIP:

// func siluMulAVX2(gate, up *float32, n int)
// gate[i] = gate[i]/(1+vexpf(0-gate[i])) * up[i] for n elements, n a
// positive multiple of 8.
TEXT ·siluMulAVX2(SB), NOSPLIT, $0-24
	MOVQ gate+0(FP), DI
	MOVQ up+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $3, CX

siluloop:
	VMOVUPS (DI), Y0
	VXORPS  Y1, Y1, Y1
	VSUBPS  Y0, Y1, Y1
	VEXPF(Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, siluexp)
	VADDPS  vexpOne<>(SB), Y2, Y2
	VDIVPS  Y2, Y0, Y3
	VMULPS  (SI), Y3, Y3
	VMOVUPS Y3, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	DECQ    CX
	JNZ     siluloop
	VZEROUPPER
	RET

// func softMaxTileAVX2(x *float32, n int, m float32) float64
// x[i] = vexpf(x[i] - m) for n elements, n a positive multiple of 8, and
// returns the sum of the eight-element groups' pairwise sums
// ((e0+e4)+(e2+e6))+((e1+e5)+(e3+e7)), each widened to float64 and added
// in order from 0.
TEXT ·softMaxTileAVX2(SB), NOSPLIT, $0-32
	MOVQ         x+0(FP), DI
	MOVQ         n+8(FP), CX
	VBROADCASTSS m+16(FP), Y15
	SHRQ         $3, CX
	VXORPD       X14, X14, X14

smloop:
	VMOVUPS      (DI), Y0
	VSUBPS       Y15, Y0, Y0
	VEXPF(Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, smexp)
	VMOVUPS      Y1, (DI)
	VEXTRACTF128 $1, Y1, X2
	VADDPS       X2, X1, X2
	VMOVHLPS     X2, X2, X3
	VADDPS       X3, X2, X3
	VMOVSHDUP    X3, X4
	VADDSS       X4, X3, X3
	VCVTSS2SD    X3, X3, X3
	VADDSD       X3, X14, X14
	ADDQ         $32, DI
	DECQ         CX
	JNZ          smloop
	VMOVSD       X14, ret+24(FP)
	VZEROUPPER
	RET

// func maxNonNaNAVX(x *float32, n int, init float32) float32
// n a positive multiple of 32. VMAXPS returns its second source when
// either is a NaN, so with the running maximum there a NaN element leaves
// it unchanged; equal values keep it (only ±0 can differ, and they
// compare equal).
TEXT ·maxNonNaNAVX(SB), NOSPLIT, $0-28
	MOVQ         x+0(FP), SI
	MOVQ         n+8(FP), CX
	VBROADCASTSS init+16(FP), Y0
	VMOVAPS      Y0, Y1
	VMOVAPS      Y0, Y2
	VMOVAPS      Y0, Y3

maxloop:
	VMOVUPS (SI), Y4
	VMOVUPS 32(SI), Y5
	VMOVUPS 64(SI), Y6
	VMOVUPS 96(SI), Y7
	VMAXPS  Y0, Y4, Y0
	VMAXPS  Y1, Y5, Y1
	VMAXPS  Y2, Y6, Y2
	VMAXPS  Y3, Y7, Y3
	ADDQ    $128, SI
	SUBQ    $32, CX
	JNZ     maxloop

	VMAXPS       Y0, Y1, Y0
	VMAXPS       Y2, Y3, Y2
	VMAXPS       Y0, Y2, Y0
	VEXTRACTF128 $1, Y0, X1
	VMAXPS       X0, X1, X0
	VPERMILPS    $0x4E, X0, X1
	VMAXPS       X0, X1, X0
	VPERMILPS    $0xB1, X0, X1
	VMAXPS       X0, X1, X0
	VZEROUPPER
	MOVSS        X0, ret+24(FP)
	RET
