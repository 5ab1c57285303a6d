package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/hearthlm/hearth/gguf"
	"github.com/hearthlm/hearth/quant"
)

// TestPadQ8KRow: a padded block holds d eight times, the quants and the
// block sums of the plain block at their offsets.
func TestPadQ8KRow(t *testing.T) {
	const nb = 3
	if rb := quant.RowBytes(gguf.TypeQ8_K, 256); rb != q8KBlockBytes {
		t.Fatalf("a Q8_K block is %d bytes, q8KBlockBytes says %d", rb, q8KBlockBytes)
	}
	src := make([]byte, nb*292)
	for i := range src {
		src[i] = byte(i*7 + 1)
	}
	dst := make([]byte, nb*q8KPadBytes)
	padQ8KRow(dst, src)
	for b := 0; b < nb; b++ {
		s, d := src[b*292:], dst[b*q8KPadBytes:]
		for i := 0; i < q8KPadQS; i++ {
			if d[i] != s[i%4] {
				t.Fatalf("block %d: byte %d of the d vector", b, i)
			}
		}
		for i := 0; i < 256; i++ {
			if d[q8KPadQS+i] != s[4+i] {
				t.Fatalf("block %d: quant %d", b, i)
			}
		}
		for i := 0; i < 32; i++ {
			if d[q8KPadSums+i] != s[260+i] {
				t.Fatalf("block %d: block-sum byte %d", b, i)
			}
		}
	}
}

// TestDotRows8Padded: the eight-token Q6_K kernel on padded activation rows
// gives, bit for bit, quant.DotRows of each token (random and extreme
// blocks, as TestDotRowsFastNQ6KBatches), and leaves the gaps between
// output rows alone.
func TestDotRows8Padded(t *testing.T) {
	const typ = gguf.TypeQ6_K
	if !padQ8K(typ) {
		t.Skip("no kernel for padded activations here")
	}
	rng := rand.New(rand.NewPCG(9, 10))
	for _, extreme := range []bool{false, true} {
		for _, n := range []int{256, 1024, 4352} {
			xrb := quant.RowBytes(gguf.TypeQ8_K, n)
			for _, rows := range []int{1, 3, 17} {
				for _, ntok := range []int{8, 16} {
					w, x := q6kBatchInputs(rng, extreme, n, rows, ntok, xrb)
					w = shifted(w, rows%4)
					xpStride := n/256*q8KPadBytes + 32*(ntok/8-1)
					var buf []byte
					xp := alignedBytes(&buf, ntok*xpStride)
					for tok := 0; tok < ntok; tok++ {
						padQ8KRow(xp[tok*xpStride:], x[tok*xrb:(tok+1)*xrb])
					}
					outStride := rows + 1
					out := sentinelOut(ntok, outStride)
					dotRows8Padded(typ, n, w, rows, xp, xpStride, ntok, out, outStride)
					checkRowsOut(t, out, rows, ntok, outStride, func(tok int, dst []float32) {
						quant.DotRows(typ, n, w, rows, x[tok*xrb:(tok+1)*xrb], dst)
					}, fmt.Sprintf("extreme=%v n=%d", extreme, n))
				}
			}
		}
	}
}
