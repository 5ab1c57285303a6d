package kernels

import "unsafe"

// Padded Q8_K blocks: the 292 bytes of a Q8_K block (d as a float32, 256
// quants, 16 int16 block sums) laid out in 320: d eight times (a vector of
// it), the quants at offset 32 and the sums at 288. In rows that start 32-byte aligned every 32 quants
// of a block are then one aligned load; in plain Q8_K rows (blocks 292
// bytes apart, the quants at 4) half of those loads split a cache line,
// which costs the eight-token Q6_K kernel about a tenth of its time. Only
// the layout differs: the numbers are the plain row's.
const (
	q8KPadBytes = 320
	q8KPadQS    = 32
	q8KPadSums  = 288

	// A plain Q8_K block (quant.RowBytes(gguf.TypeQ8_K, 256)): d at 0, the
	// quants at 4, the block sums at q8KSums.
	q8KBlockBytes = 292
	q8KSums       = 260
)

// padQ8KRow copies the plain Q8_K row src into dst in padded blocks
// (len(dst) = q8KPadBytes per block of src).
func padQ8KRow(dst, src []byte) {
	const bb = q8KBlockBytes
	for b := 0; b < len(src)/bb; b++ {
		s, d := src[b*bb:(b+1)*bb], dst[b*q8KPadBytes:(b+1)*q8KPadBytes]
		for i := 0; i < q8KPadQS; i += 4 {
			copy(d[i:i+4], s[:4])
		}
		copy(d[q8KPadQS:q8KPadQS+256], s[4:q8KSums])
		copy(d[q8KPadSums:], s[q8KSums:])
	}
}

// alignedBytes returns n bytes of *buf at a 64-byte aligned address,
// growing *buf when it is too short. (The Go heap does not move objects, so
// the alignment holds as long as the slice is used.)
func alignedBytes(buf *[]byte, n int) []byte {
	if cap(*buf) < n+63 {
		*buf = make([]byte, n+63)
	}
	b := (*buf)[:cap(*buf)]
	off := int(-uintptr(unsafe.Pointer(unsafe.SliceData(b))) & 63)
	return b[off : off+n]
}
