//go:build amd64 && !purego

package kernels

// streamReadAVX2 reads n bytes at p, n a multiple of 128, and returns a
// checksum; benchmarks use it as the machine's streaming read bandwidth.
//
//go:noescape
func streamReadAVX2(p *byte, n int) uint64
