//go:build amd64 && !purego

#include "textflag.h"

// Lane kernels of the K-quant scale searches (quantize_lanes.go): lane j of
// every YMM register belongs to group j of eight, and each lane does the
// float32 operations of the scalar search (quantize_ref.go) in their order:
// no FMA, sums in element order, choices by compare masks and blends that
// follow the scalar conditions (ordered compares, false on NaN, as C's).

DATA lanesMagic<>+0(SB)/4, $0x4b400000 // 1.5·2^23, nearest_int's addend
GLOBL lanesMagic<>(SB), RODATA|NOPTR, $4
DATA lanesMant<>+0(SB)/4, $0x007fffff
GLOBL lanesMant<>(SB), RODATA|NOPTR, $4
DATA lanesOff<>+0(SB)/4, $0x00400000
GLOBL lanesOff<>(SB), RODATA|NOPTR, $4
DATA lanesAbs<>+0(SB)/4, $0x7fffffff
GLOBL lanesAbs<>(SB), RODATA|NOPTR, $4
DATA lanesSign<>+0(SB)/4, $0x80000000
GLOBL lanesSign<>(SB), RODATA|NOPTR, $4
DATA lanesOne<>+0(SB)/4, $0x3f800000
GLOBL lanesOne<>(SB), RODATA|NOPTR, $4
DATA lanesEps<>+0(SB)/4, $0x26901d7d // 1e-15f, GROUP_MAX_EPS
GLOBL lanesEps<>(SB), RODATA|NOPTR, $4

// LEVELS turns the float y into clamp(nearest_int(y), Y4, Y5) as int32:
// ggml's nearest_int (add 1.5·2^23, keep the low 23 bits, less 2^22).
// Y1-Y3 hold the addend, the mask and the offset.
#define LEVELS(y) \
	VADDPS Y1, y, y; \
	VPAND Y2, y, y; \
	VPSUBD Y3, y, y; \
	VPMAXSD Y4, y, y; \
	VPMINSD Y5, y, y

// Offsets in qkx2Groups.
#define GX 0
#define GW 1024
#define GF 2048
#define GL 3072
#define GNUMS 4096
#define GSCALE 4224
#define GMIN 4256
#define GLO 4288
#define GHI 4320
#define GSUMW 4352
#define GSUMX 4384
#define GBEST 4416
#define GWINI 4448
#define GWINLO 4480
#define GFLAT 4512

// func qkx2GroupsAVX2(grp *qkx2Groups, n, nstep, wmode int, nmax int32, mad bool)
// make_qkx2_quants on eight groups of n values; wmode 1 or 2 makes the
// weights (weightsAbs, weightsRMS), 0 takes them from grp.w.
TEXT ·qkx2GroupsAVX2(SB), NOSPLIT, $0-37
	MOVQ grp+0(FP), DI
	MOVQ n+8(FP), CX
	MOVQ nstep+16(FP), R11
	MOVQ wmode+24(FP), R9
	MOVBLZX mad+36(FP), R12
	VBROADCASTSS lanesAbs<>(SB), Y15
	CMPQ R9, $1
	JLT weightsDone
	JGT weightsRMS

	// w = |x|
	LEAQ GX(DI), SI
	LEAQ GW(DI), R8
	XORQ AX, AX

wabs:
	VANDPS (SI), Y15, Y10
	VMOVUPS Y10, (R8)
	ADDQ $32, SI
	ADDQ $32, R8
	INCQ AX
	CMPQ AX, CX
	JLT wabs
	JMP weightsDone

weightsRMS:
	// w = sqrtf(Σx²/n) + |x|
	VXORPS Y6, Y6, Y6
	LEAQ GX(DI), SI
	XORQ AX, AX

wsum:
	VMOVUPS (SI), Y10
	VMULPS Y10, Y10, Y10
	VADDPS Y10, Y6, Y6
	ADDQ $32, SI
	INCQ AX
	CMPQ AX, CX
	JLT wsum
	CVTSQ2SS CX, X7
	VBROADCASTSS X7, Y7
	VDIVPS Y7, Y6, Y6
	VSQRTPS Y6, Y6
	LEAQ GX(DI), SI
	LEAQ GW(DI), R8
	XORQ AX, AX

wrms:
	VANDPS (SI), Y15, Y10
	VADDPS Y10, Y6, Y10
	VMOVUPS Y10, (R8)
	ADDQ $32, SI
	ADDQ $32, R8
	INCQ AX
	CMPQ AX, CX
	JLT wrms

weightsDone:
	VBROADCASTSS lanesMagic<>(SB), Y1
	VPBROADCASTD lanesMant<>(SB), Y2
	VPBROADCASTD lanesOff<>(SB), Y3
	VPXOR Y4, Y4, Y4
	MOVL nmax+32(FP), DX
	VMOVD DX, X5
	VPBROADCASTD X5, Y5

	// min, max, Σw and Σw·x of each group, in element order
	VMOVUPS GX(DI), Y6 // lo
	VMOVUPS Y6, Y7     // hi
	VMOVUPS GW(DI), Y8 // sumW
	VMULPS Y6, Y8, Y9  // sumX = w·x
	LEAQ GX+32(DI), SI
	LEAQ GW+32(DI), R8
	MOVQ $1, AX

pro:
	CMPQ AX, CX
	JGE proDone
	VMOVUPS (SI), Y10
	VCMPPS $0x11, Y6, Y10, Y11 // x < lo (LT_OQ)
	VBLENDVPS Y11, Y10, Y6, Y6
	VCMPPS $0x1e, Y7, Y10, Y11 // x > hi (GT_OQ)
	VBLENDVPS Y11, Y10, Y7, Y7
	VMOVUPS (R8), Y12
	VADDPS Y12, Y8, Y8
	VMULPS Y10, Y12, Y13
	VADDPS Y13, Y9, Y9
	ADDQ $32, SI
	ADDQ $32, R8
	INCQ AX
	JMP pro

proDone:
	VXORPS Y15, Y15, Y15
	VCMPPS $0x1e, Y15, Y6, Y11 // lo > 0: lo = 0
	VBLENDVPS Y11, Y15, Y6, Y6
	VCMPPS $0x00, Y6, Y7, Y11  // flat: hi == lo (EQ_OQ)
	VMOVUPS Y11, GFLAT(DI)
	VMOVUPS Y7, GHI(DI)
	VMOVUPS Y8, GSUMW(DI)
	VMOVUPS Y9, GSUMX(DI)
	VMOVUPS Y6, GLO(DI)
	VMOVUPS Y6, GWINLO(DI)

	// first guess: iscale = nmax/(hi-lo), scale = 1/iscale
	VCVTDQ2PS Y5, Y12
	VSUBPS Y6, Y7, Y13
	VDIVPS Y13, Y12, Y0
	VMOVUPS Y0, GWINI(DI)
	VBROADCASTSS lanesOne<>(SB), Y12
	VDIVPS Y0, Y12, Y12
	VMOVUPS Y12, GSCALE(DI)

	// its error Σ w·e((scale·l + lo) - x), e = |·| or ·²
	VXORPS Y8, Y8, Y8
	VBROADCASTSS lanesAbs<>(SB), Y15
	LEAQ GX(DI), SI
	LEAQ GW(DI), R8
	XORQ AX, AX

first:
	VMOVUPS (SI), Y10
	VSUBPS Y6, Y10, Y9
	VMULPS Y9, Y0, Y9
	LEVELS(Y9)
	VCVTDQ2PS Y9, Y9
	VMULPS Y9, Y12, Y9
	VADDPS Y6, Y9, Y9
	VSUBPS Y10, Y9, Y9
	TESTQ R12, R12
	JNZ firstMAD
	VMULPS Y9, Y9, Y9
	JMP firstW

firstMAD:
	VANDPS Y15, Y9, Y9

firstW:
	VMOVUPS (R8), Y11
	VMULPS Y9, Y11, Y9
	VADDPS Y9, Y8, Y8
	ADDQ $32, SI
	ADDQ $32, R8
	INCQ AX
	CMPQ AX, CX
	JLT first
	VMOVUPS Y8, GBEST(DI)

	// candidates is = 0..nstep: iscale = nums[is]/(hi - lo)
	XORQ BX, BX

cand:
	CMPQ BX, R11
	JGT final
	VMOVUPS GLO(DI), Y14
	VMOVUPS GHI(DI), Y13
	VSUBPS Y14, Y13, Y13
	VBROADCASTSS GNUMS(DI)(BX*4), Y0
	VDIVPS Y13, Y0, Y0
	VXORPS Y6, Y6, Y6 // sumL
	VXORPS Y7, Y7, Y7 // sumL2
	VXORPS Y8, Y8, Y8 // sumXL
	LEAQ GX(DI), SI
	LEAQ GW(DI), R8
	LEAQ GF(DI), R10
	XORQ AX, AX

sums:
	// l = clamp(nearest_int(iscale·(x-lo)), 0, nmax); wl = w·l;
	// sumL += wl; sumL2 += wl·l; sumXL += wl·x
	VMOVUPS (SI), Y13
	VSUBPS Y14, Y13, Y9
	VMULPS Y9, Y0, Y9
	LEVELS(Y9)
	VCVTDQ2PS Y9, Y9
	VMOVUPS Y9, (R10)
	VMOVUPS (R8), Y10
	VMULPS Y9, Y10, Y11
	VADDPS Y11, Y6, Y6
	VMULPS Y9, Y11, Y12
	VADDPS Y12, Y7, Y7
	VMULPS Y13, Y11, Y12
	VADDPS Y12, Y8, Y8
	ADDQ $32, SI
	ADDQ $32, R8
	ADDQ $32, R10
	INCQ AX
	CMPQ AX, CX
	JLT sums

	// D = sumW·sumL2 - sumL²; scale = (sumW·sumXL - sumX·sumL)/D;
	// min = (sumL2·sumX - sumL·sumXL)/D; min > 0: min = 0, scale = sumXL/sumL2
	VMOVUPS GSUMW(DI), Y9
	VMOVUPS GSUMX(DI), Y10
	VMULPS Y7, Y9, Y11
	VMULPS Y6, Y6, Y12
	VSUBPS Y12, Y11, Y11
	VMULPS Y8, Y9, Y12
	VMULPS Y6, Y10, Y13
	VSUBPS Y13, Y12, Y12
	VDIVPS Y11, Y12, Y12
	VMULPS Y10, Y7, Y13
	VMULPS Y8, Y6, Y9
	VSUBPS Y9, Y13, Y13
	VDIVPS Y11, Y13, Y13
	VXORPS Y15, Y15, Y15
	VCMPPS $0x1e, Y15, Y13, Y9
	VDIVPS Y7, Y8, Y10
	VBLENDVPS Y9, Y10, Y12, Y12
	VBLENDVPS Y9, Y15, Y13, Y13

	// err = Σ w·e((scale·l + min) - x)
	VXORPS Y6, Y6, Y6
	VBROADCASTSS lanesAbs<>(SB), Y7
	LEAQ GX(DI), SI
	LEAQ GW(DI), R8
	LEAQ GF(DI), R10
	XORQ AX, AX
	TESTQ R12, R12
	JNZ errMAD

errSq:
	VMULPS (R10), Y12, Y9
	VADDPS Y13, Y9, Y9
	VSUBPS (SI), Y9, Y9
	VMULPS Y9, Y9, Y9
	VMOVUPS (R8), Y10
	VMULPS Y9, Y10, Y9
	VADDPS Y9, Y6, Y6
	ADDQ $32, SI
	ADDQ $32, R8
	ADDQ $32, R10
	INCQ AX
	CMPQ AX, CX
	JLT errSq
	JMP pick

errMAD:
	VMULPS (R10), Y12, Y9
	VADDPS Y13, Y9, Y9
	VSUBPS (SI), Y9, Y9
	VANDPS Y7, Y9, Y9
	VMOVUPS (R8), Y10
	VMULPS Y9, Y10, Y9
	VADDPS Y9, Y6, Y6
	ADDQ $32, SI
	ADDQ $32, R8
	ADDQ $32, R10
	INCQ AX
	CMPQ AX, CX
	JLT errMAD

pick:
	// a group takes the candidate when D > 0 and err < best (and it is
	// not flat): best, scale, the inverse scale and min of its levels,
	// then the min
	VXORPS Y15, Y15, Y15
	VCMPPS $0x1e, Y15, Y11, Y9
	VMOVUPS GBEST(DI), Y10
	VCMPPS $0x11, Y10, Y6, Y7
	VANDPS Y7, Y9, Y9
	VMOVUPS GFLAT(DI), Y7
	VANDNPS Y9, Y7, Y9
	VBLENDVPS Y9, Y6, Y10, Y10
	VMOVUPS Y10, GBEST(DI)
	VMOVUPS GSCALE(DI), Y7
	VBLENDVPS Y9, Y12, Y7, Y7
	VMOVUPS Y7, GSCALE(DI)
	VMOVUPS GWINI(DI), Y7
	VBLENDVPS Y9, Y0, Y7, Y7
	VMOVUPS Y7, GWINI(DI)
	VMOVUPS GWINLO(DI), Y7
	VBLENDVPS Y9, Y14, Y7, Y7
	VMOVUPS Y7, GWINLO(DI)
	VBLENDVPS Y9, Y13, Y14, Y14
	VMOVUPS Y14, GLO(DI)
	INCQ BX
	JMP cand

final:
	// levels of the chosen candidate (0 for flat groups), scale (0 for
	// flat groups) and -min
	VMOVUPS GWINI(DI), Y0
	VMOVUPS GWINLO(DI), Y14
	VMOVUPS GFLAT(DI), Y15
	LEAQ GX(DI), SI
	LEAQ GL(DI), R10
	XORQ AX, AX

lev:
	VMOVUPS (SI), Y9
	VSUBPS Y14, Y9, Y9
	VMULPS Y9, Y0, Y9
	LEVELS(Y9)
	VPANDN Y9, Y15, Y9
	VMOVDQU Y9, (R10)
	ADDQ $32, SI
	ADDQ $32, R10
	INCQ AX
	CMPQ AX, CX
	JLT lev
	VMOVUPS GSCALE(DI), Y7
	VANDNPS Y7, Y15, Y7
	VMOVUPS Y7, GSCALE(DI)
	VMOVUPS GLO(DI), Y7
	VBROADCASTSS lanesSign<>(SB), Y8
	VXORPS Y8, Y7, Y7
	VMOVUPS Y7, GMIN(DI)
	VZEROUPPER
	RET

// Offsets in qxGroups.
#define QX 0
#define QL 512
#define QNUMS 1024
#define QSCALE 1120
#define QBEST 1152
#define QBESTI 1184
#define QMAXV 1216
#define QZERO 1248

// func qxGroupsAVX2(grp *qxGroups, n int, nmax int32)
// make_qx_quants (rmse_type 1) on eight groups of n values.
TEXT ·qxGroupsAVX2(SB), NOSPLIT, $0-20
	MOVQ grp+0(FP), DI
	MOVQ n+8(FP), CX
	VBROADCASTSS lanesMagic<>(SB), Y1
	VPBROADCASTD lanesMant<>(SB), Y2
	VPBROADCASTD lanesOff<>(SB), Y3
	MOVL nmax+16(FP), DX
	VMOVD DX, X6
	VPBROADCASTD X6, Y6 // nmax
	VPXOR Y4, Y4, Y4
	VPSUBD Y6, Y4, Y4 // -nmax
	VPCMPEQD Y5, Y5, Y5
	VPADDD Y5, Y6, Y5 // nmax-1

	// the value of largest magnitude, the first of equals
	VXORPS Y7, Y7, Y7  // amax
	VXORPS Y14, Y14, Y14 // maxv
	VBROADCASTSS lanesAbs<>(SB), Y15
	LEAQ QX(DI), SI
	XORQ AX, AX

amax:
	VMOVUPS (SI), Y10
	VANDPS Y15, Y10, Y11
	VCMPPS $0x1e, Y7, Y11, Y12 // |x| > amax
	VBLENDVPS Y12, Y11, Y7, Y7
	VBLENDVPS Y12, Y10, Y14, Y14
	ADDQ $32, SI
	INCQ AX
	CMPQ AX, CX
	JLT amax
	VBROADCASTSS lanesEps<>(SB), Y12
	VCMPPS $0x11, Y12, Y7, Y12 // amax < GROUP_MAX_EPS: all zero
	VMOVUPS Y12, QZERO(DI)
	VMOVUPS Y14, QMAXV(DI)

	// candidates c = 0..18: iscale = nums[c]/maxv
	XORQ BX, BX

qcand:
	VBROADCASTSS QNUMS(DI)(BX*4), Y0
	VDIVPS Y14, Y0, Y0
	VXORPS Y8, Y8, Y8 // sumlx
	VXORPS Y9, Y9, Y9 // suml2
	LEAQ QX(DI), SI
	XORQ AX, AX

qsums:
	// l = clamp(nearest_int(iscale·x), -nmax, nmax-1); w = x·x;
	// sumlx += w·x·l; suml2 += w·l·l
	VMOVUPS (SI), Y10
	VMULPS Y10, Y0, Y11
	LEVELS(Y11)
	VCVTDQ2PS Y11, Y11
	VMULPS Y10, Y10, Y12
	VMULPS Y10, Y12, Y13
	VMULPS Y11, Y13, Y13
	VADDPS Y13, Y8, Y8
	VMULPS Y11, Y12, Y12
	VMULPS Y11, Y12, Y12
	VADDPS Y12, Y9, Y9
	ADDQ $32, SI
	INCQ AX
	CMPQ AX, CX
	JLT qsums
	TESTQ BX, BX
	JNZ qpick

	// the first guess: scale = suml2 != 0 ? sumlx/suml2 : 0; best = scale·sumlx
	VDIVPS Y9, Y8, Y12
	VXORPS Y13, Y13, Y13
	VCMPPS $0x04, Y13, Y9, Y10 // suml2 != 0 (NEQ_UQ)
	VANDPS Y10, Y12, Y12
	VMOVUPS Y12, QSCALE(DI)
	VMULPS Y8, Y12, Y12
	VMOVUPS Y12, QBEST(DI)
	VMOVUPS Y0, QBESTI(DI)
	JMP qnext

qpick:
	// a group takes the candidate when suml2 > 0 and sumlx² > best·suml2
	VXORPS Y13, Y13, Y13
	VCMPPS $0x1e, Y13, Y9, Y10
	VMULPS Y8, Y8, Y11
	VMOVUPS QBEST(DI), Y12
	VMULPS Y9, Y12, Y13
	VCMPPS $0x1e, Y13, Y11, Y13
	VANDPS Y13, Y10, Y10
	VDIVPS Y9, Y8, Y11
	VMOVUPS QSCALE(DI), Y13
	VBLENDVPS Y10, Y11, Y13, Y13
	VMOVUPS Y13, QSCALE(DI)
	VMULPS Y8, Y11, Y11
	VBLENDVPS Y10, Y11, Y12, Y12
	VMOVUPS Y12, QBEST(DI)
	VMOVUPS QBESTI(DI), Y13
	VBLENDVPS Y10, Y0, Y13, Y13
	VMOVUPS Y13, QBESTI(DI)

qnext:
	INCQ BX
	CMPQ BX, $19
	JLT qcand

	// levels nmax + clamp(nearest_int(iscale·x)) of the chosen candidate,
	// 0 and scale 0 for all-zero groups
	VMOVUPS QBESTI(DI), Y0
	VMOVUPS QZERO(DI), Y15
	LEAQ QX(DI), SI
	LEAQ QL(DI), R10
	XORQ AX, AX

qlev:
	VMOVUPS (SI), Y10
	VMULPS Y10, Y0, Y11
	LEVELS(Y11)
	VPADDD Y6, Y11, Y11
	VPANDN Y11, Y15, Y11
	VMOVDQU Y11, (R10)
	ADDQ $32, SI
	ADDQ $32, R10
	INCQ AX
	CMPQ AX, CX
	JLT qlev
	VMOVUPS QSCALE(DI), Y7
	VANDNPS Y7, Y15, Y7
	VMOVUPS Y7, QSCALE(DI)
	VZEROUPPER
	RET
