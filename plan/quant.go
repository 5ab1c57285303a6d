package plan

import (
	"fmt"
	"strings"
)

// quantRank orders GGUF quantizations by quality, best first. F16, BF16
// and F32 come after Q8_0: Q8_0 is within noise of them on every
// benchmark and reads half the bytes per token, so it is the best choice
// whenever it fits; the float types are only picked when a repo has no
// quantized file that fits.
var quantRank = []string{
	"Q8_0", "Q6_K", "Q5_K_M", "Q5_K_L", "Q5_K_S", "Q5_1", "Q5_0", "Q4_K_M", "Q4_K_L", "Q4_K_S", "IQ4_XS", "IQ4_NL",
	"Q4_1", "Q4_0", "Q3_K_L", "Q3_K_M", "IQ3_M", "IQ3_S", "Q3_K_S", "IQ3_XS", "IQ3_XXS", "Q2_K_L", "Q2_K", "IQ2_M",
	"IQ2_S", "IQ2_XS", "IQ2_XXS", "IQ1_M", "IQ1_S", "BF16", "F16", "F32",
}

func rankOf(q string) int {
	q = strings.ToUpper(strings.TrimPrefix(strings.ToUpper(q), "UD-"))
	for i, r := range quantRank {
		if r == q {
			return i
		}
	}
	return len(quantRank)
}

// usefulContextShare is the part of the memory budget a quant's file may
// take so that a useful context (thousands of tokens of KV cache and the
// compute buffers) still fits beside it.
const usefulContextShare = 0.70

// ChooseQuant picks, among the quantizations a repo offers (name and
// total bytes), the best quality whose file leaves room for a useful
// context on this machine. It returns the index and the reason, or an
// error when none fits.
func ChooseQuant(m Machine, names []string, sizes []int64) (int, string, error) {
	limit := int64(float64(budget(m)) * usefulContextShare)
	best := -1
	for i := range names {
		if sizes[i] > limit {
			continue
		}
		if best < 0 || rankOf(names[i]) < rankOf(names[best]) ||
			(rankOf(names[i]) == rankOf(names[best]) && sizes[i] < sizes[best]) {
			best = i
		}
	}
	if best < 0 {
		small := 0
		for i := range sizes {
			if sizes[i] < sizes[small] {
				small = i
			}
		}
		if len(sizes) == 0 {
			return -1, "", fmt.Errorf("plan: no model files to choose from")
		}
		return -1, "", fmt.Errorf("plan: no quantization of this model fits: the smallest (%s, %s) needs more than the %s this machine can give it with room for a context",
			names[small], Bytes(sizes[small]), Bytes(limit))
	}
	q := names[best]
	if q == "" {
		q = "the file"
	}
	return best, fmt.Sprintf("no quant given: %s (%s), the best quality whose weights fit in %d%% of the %s usable with room for a useful context",
		q, Bytes(sizes[best]), int(usefulContextShare*100), Bytes(budget(m))), nil
}
