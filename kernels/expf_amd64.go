//go:build amd64 && !purego

package kernels

//go:noescape
func expfAVX2(dst, src *float32, n int) int

// expfVec sets dst[i] = Expf(src[i]) for i < len(src); dst may be src.
// The AVX2 kernel does four at a time and leaves the fours with an input
// that Expf treats specially (|x| >= 88, infinities, NaNs) to Expf.
func expfVec(dst, src []float32) {
	dst = dst[:len(src)]
	for i := 0; i < len(src); {
		if useAVX2 && len(src)-i >= 4 {
			i += expfAVX2(&dst[i], &src[i], len(src)-i)
		}
		for end := min(i+4, len(src)); i < end; i++ {
			dst[i] = Expf(src[i])
		}
	}
}
