//go:build !amd64 || purego

package kernels

// expfVec sets dst[i] = Expf(src[i]) for i < len(src); dst may be src.
func expfVec(dst, src []float32) { expfVecGeneric(dst, src) }
