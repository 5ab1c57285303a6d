//go:build amd64 && !purego

#include "textflag.h"

// Conversions between float32 and float16 vectors with F16C, round to
// nearest even: ggml's GGML_FP32_TO_FP16/GGML_FP16_TO_FP32 on x86, element
// for element equal to quant.FP32ToFP16/FP16ToFP32 (kernels/f16conv_test.go).

// func toF16AVX2(dst *uint16, src *float32, n int)
// dst[i] = f16(src[i]) for n elements, n a multiple of 8.
TEXT ·toF16AVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $3, CX
	JZ   tfdone

tfloop:
	VMOVUPS   (SI), Y0
	VCVTPS2PH $0, Y0, (DI)
	ADDQ      $32, SI
	ADDQ      $16, DI
	DECQ      CX
	JNZ       tfloop

tfdone:
	VZEROUPPER
	RET

// func roundF16AVX2(dst, src *float32, n int)
// dst[i] = f32(f16(src[i])) for n elements, n a multiple of 8.
TEXT ·roundF16AVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $3, CX
	JZ   rfdone

rfloop:
	VMOVUPS   (SI), Y0
	VCVTPS2PH $0, Y0, X1
	VCVTPH2PS X1, Y1
	VMOVUPS   Y1, (DI)
	ADDQ      $32, SI
	ADDQ      $32, DI
	DECQ      CX
	JNZ       rfloop

rfdone:
	VZEROUPPER
	RET

// func fromF16ScaleAVX2(dst *float32, src *uint16, n int, s float32)
// dst[i] = f32(src[i]) * s for n elements, n a multiple of 8.
TEXT ·fromF16ScaleAVX2(SB), NOSPLIT, $0-28
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS s+24(FP), Y2
	SHRQ         $3, CX
	JZ           fsdone

fsloop:
	VCVTPH2PS (SI), Y0
	VMULPS    Y2, Y0, Y0
	VMOVUPS   Y0, (DI)
	ADDQ      $16, SI
	ADDQ      $32, DI
	DECQ      CX
	JNZ       fsloop

fsdone:
	VZEROUPPER
	RET
