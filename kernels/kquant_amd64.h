// Shared by the K-quant row-dot kernels (dot_kquant*_amd64.s, dot_q8_amd64.s):
// the horizontal sum they all end with and the Q6_K quant unpacking of the
// four- and eight-token kernels. The tables are file-local (<>): every file
// that includes this one gets its own copy.

// HSUM8 sets the low float of xt to ggml's hsum_float_8 of y (low half x):
// (hi+lo), then lanes 0+2 and 1+3, then those two. Clobbers xs.
#define HSUM8(y, x, xt, xs) \
	VEXTRACTF128 $1, y, xt \
	VADDPS       x, xt, xt \
	VMOVHLPS     xt, xt, xs \
	VADDPS       xs, xt, xt \
	VMOVSHDUP    xt, xs \
	VADDSS       xs, xt, xt

// q6shuf<>+16*i spreads bytes 2i and 2i+1 over 8 bytes each.
DATA q6shuf<>+0x00(SB)/8, $0x0000000000000000
DATA q6shuf<>+0x08(SB)/8, $0x0101010101010101
DATA q6shuf<>+0x10(SB)/8, $0x0202020202020202
DATA q6shuf<>+0x18(SB)/8, $0x0303030303030303
DATA q6shuf<>+0x20(SB)/8, $0x0404040404040404
DATA q6shuf<>+0x28(SB)/8, $0x0505050505050505
DATA q6shuf<>+0x30(SB)/8, $0x0606060606060606
DATA q6shuf<>+0x38(SB)/8, $0x0707070707070707
DATA q6shuf<>+0x40(SB)/8, $0x0808080808080808
DATA q6shuf<>+0x48(SB)/8, $0x0909090909090909
DATA q6shuf<>+0x50(SB)/8, $0x0a0a0a0a0a0a0a0a
DATA q6shuf<>+0x58(SB)/8, $0x0b0b0b0b0b0b0b0b
DATA q6shuf<>+0x60(SB)/8, $0x0c0c0c0c0c0c0c0c
DATA q6shuf<>+0x68(SB)/8, $0x0d0d0d0d0d0d0d0d
DATA q6shuf<>+0x70(SB)/8, $0x0e0e0e0e0e0e0e0e
DATA q6shuf<>+0x78(SB)/8, $0x0f0f0f0f0f0f0f0f
GLOBL q6shuf<>(SB), RODATA|NOPTR, $128

// The Q6_K unpacking masks as 32-byte vectors.
DATA q6m0f<>+0(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA q6m0f<>+8(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA q6m0f<>+16(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA q6m0f<>+24(SB)/8, $0x0f0f0f0f0f0f0f0f
GLOBL q6m0f<>(SB), RODATA|NOPTR, $32
DATA q6m03<>+0(SB)/8, $0x0303030303030303
DATA q6m03<>+8(SB)/8, $0x0303030303030303
DATA q6m03<>+16(SB)/8, $0x0303030303030303
DATA q6m03<>+24(SB)/8, $0x0303030303030303
GLOBL q6m03<>(SB), RODATA|NOPTR, $32
DATA q6m0c<>+0(SB)/8, $0x0c0c0c0c0c0c0c0c
DATA q6m0c<>+8(SB)/8, $0x0c0c0c0c0c0c0c0c
DATA q6m0c<>+16(SB)/8, $0x0c0c0c0c0c0c0c0c
DATA q6m0c<>+24(SB)/8, $0x0c0c0c0c0c0c0c0c
GLOBL q6m0c<>(SB), RODATA|NOPTR, $32
DATA q6m30<>+0(SB)/8, $0x3030303030303030
DATA q6m30<>+8(SB)/8, $0x3030303030303030
DATA q6m30<>+16(SB)/8, $0x3030303030303030
DATA q6m30<>+24(SB)/8, $0x3030303030303030
GLOBL q6m30<>(SB), RODATA|NOPTR, $32
DATA q6mc0<>+0(SB)/8, $0xc0c0c0c0c0c0c0c0
DATA q6mc0<>+8(SB)/8, $0xc0c0c0c0c0c0c0c0
DATA q6mc0<>+16(SB)/8, $0xc0c0c0c0c0c0c0c0
DATA q6mc0<>+24(SB)/8, $0xc0c0c0c0c0c0c0c0
GLOBL q6mc0<>(SB), RODATA|NOPTR, $32

// Q6K_UNPACK(h, la, lb, qh, t, q0, q1, q2, q3): the 128 unsigned 6-bit
// quants of half h of the Q6_K super-block at SI (ql at 64h, qh at
// 128+32h) as bytes: q0 = elements 0..31 of the half, q1 32..63, q2
// 64..95, q3 96..127 (each ql nibble with its two qh bits above it).
// la, lb, qh hold the loaded bytes; t is clobbered.
#define Q6K_UNPACK(h, la, lb, qh, t, q0, q1, q2, q3) \
	VMOVDQU (64*h)(SI), la \
	VMOVDQU (64*h+32)(SI), lb \
	VMOVDQU (128+32*h)(SI), qh \
	VPAND   q6m0f<>(SB), la, q0 \
	VPAND   q6m03<>(SB), qh, t \
	VPSLLW  $4, t, t \
	VPOR    t, q0, q0 \
	VPAND   q6m0f<>(SB), lb, q1 \
	VPAND   q6m0c<>(SB), qh, t \
	VPSLLW  $2, t, t \
	VPOR    t, q1, q1 \
	VPSRLW  $4, la, q2 \
	VPAND   q6m0f<>(SB), q2, q2 \
	VPAND   q6m30<>(SB), qh, t \
	VPOR    t, q2, q2 \
	VPSRLW  $4, lb, q3 \
	VPAND   q6m0f<>(SB), q3, q3 \
	VPAND   q6mc0<>(SB), qh, t \
	VPSRLW  $2, t, t \
	VPOR    t, q3, q3
