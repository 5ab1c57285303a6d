//go:build amd64 && !purego

#include "textflag.h"

// Expf (glibc's expf) four float32 lanes at a time, in float64 lanes with
// the same operations in the same order: kd = fma(InvLn2N, x, Shift), its
// low bits k, r = fma(InvLn2N, x, -(kd-Shift)), s = 2^(k/32) from expfTab
// plus k<<47 in the exponent, y = fma(fma(C0, r, C1), r*r, fma(C2, r, 1))*s,
// rounded to float32 once.

DATA expfInvLn2N<>+0(SB)/8, $0x40471547652b82fe
GLOBL expfInvLn2N<>(SB), RODATA|NOPTR, $8
DATA expfShift<>+0(SB)/8, $0x4338000000000000
GLOBL expfShift<>(SB), RODATA|NOPTR, $8
DATA expfC0<>+0(SB)/8, $0x3ebc6af84b912394
GLOBL expfC0<>(SB), RODATA|NOPTR, $8
DATA expfC1<>+0(SB)/8, $0x3f2ebfce50fac4f3
GLOBL expfC1<>(SB), RODATA|NOPTR, $8
DATA expfC2<>+0(SB)/8, $0x3f962e42ff0c52d6
GLOBL expfC2<>(SB), RODATA|NOPTR, $8
DATA expfOne<>+0(SB)/8, $0x3ff0000000000000
GLOBL expfOne<>(SB), RODATA|NOPTR, $8
DATA expfIdx<>+0(SB)/8, $31
GLOBL expfIdx<>(SB), RODATA|NOPTR, $8
DATA expfAbs<>+0(SB)/4, $0x7fffffff
GLOBL expfAbs<>(SB), RODATA|NOPTR, $4
DATA expfBig<>+0(SB)/4, $0x42afffff
GLOBL expfBig<>(SB), RODATA|NOPTR, $4

// func expfAVX2(dst, src *float32, n int) int
// Sets dst[i] = Expf(src[i]) four at a time from i = 0 while at least four
// are left and none of the four has |x| >= 88, is infinite or a NaN (Expf's
// abstop >= 0x42b, left to the caller); returns how many it did.
TEXT ·expfAVX2(SB), NOSPLIT, $0-32
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         n+16(FP), CX
	XORQ         AX, AX
	LEAQ         ·expfTab(SB), R8
	VBROADCASTSD expfInvLn2N<>(SB), Y8
	VBROADCASTSD expfShift<>(SB), Y9
	VBROADCASTSD expfC0<>(SB), Y10
	VBROADCASTSD expfC1<>(SB), Y11
	VBROADCASTSD expfC2<>(SB), Y12
	VBROADCASTSD expfOne<>(SB), Y13
	VPBROADCASTQ expfIdx<>(SB), Y7
	VPBROADCASTD expfAbs<>(SB), X14
	VPBROADCASTD expfBig<>(SB), X15
	SUBQ         $4, CX
	JLT          done

loop:
	VMOVUPS  (SI)(AX*4), X0
	VPAND    X14, X0, X1
	VPCMPGTD X15, X1, X1
	VPTEST   X1, X1
	JNZ      done

	VCVTPS2PD   X0, Y0             // xd
	VMOVAPD     Y9, Y1
	VFMADD231PD Y8, Y0, Y1         // kd = InvLn2N*xd + Shift; ki its bits
	VSUBPD      Y9, Y1, Y2         // kd - Shift
	VFMSUB231PD Y8, Y0, Y2         // r = InvLn2N*xd - kd
	VPAND       Y7, Y1, Y3         // ki % 32
	VPCMPEQQ    Y4, Y4, Y4
	VPGATHERQQ  Y4, (R8)(Y3*8), Y5 // expfTab[ki%32]
	VPSLLQ      $47, Y1, Y1
	VPADDQ      Y1, Y5, Y5         // s
	VMOVAPD     Y11, Y3
	VFMADD231PD Y10, Y2, Y3        // zz = C0*r + C1
	VMULPD      Y2, Y2, Y6         // r2
	VMOVAPD     Y13, Y4
	VFMADD231PD Y12, Y2, Y4        // y = C2*r + 1
	VFMADD231PD Y6, Y3, Y4         // y = zz*r2 + y
	VMULPD      Y5, Y4, Y4         // y*s
	VCVTPD2PSY  Y4, X4
	VMOVUPS     X4, (DI)(AX*4)
	ADDQ        $4, AX
	SUBQ        $4, CX
	JGE         loop

done:
	MOVQ AX, ret+24(FP)
	VZEROUPPER
	RET
