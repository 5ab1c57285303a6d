package plan

import (
	"fmt"
	"sort"
)

// Request is what the user asked for; zero fields mean "choose for me".
type Request struct {
	Threads int
	Context int
	KVType  KVType
}

// Choice is what the planner decided, each part with its reason.
type Choice struct {
	Threads    int      `json:"threads"`
	ThreadsWhy string   `json:"threads_reason"`
	Context    int      `json:"context"`
	ContextWhy string   `json:"context_reason"`
	KVType     KVType   `json:"kv_type"`
	KVWhy      string   `json:"kv_type_reason"`
	Estimate   Estimate `json:"estimate"`
	Warnings   []string `json:"warnings,omitempty"`
}

// headroomFraction of usable RAM is kept free for the rest of the system.
const headroomFraction = 0.10

func budget(m Machine) int64 { return int64(float64(m.UsableRAM()) * (1 - headroomFraction)) }

// contextCandidates are the trained context and the powers of two below
// it, largest first, down to 256.
func contextCandidates(trained int) []int {
	seen := map[int]bool{trained: true}
	c := []int{trained}
	for p := 1 << 30; p >= 256; p >>= 1 {
		if p < trained && !seen[p] {
			c = append(c, p)
			seen[p] = true
		}
	}
	sort.Sort(sort.Reverse(sort.IntSlice(c)))
	return c
}

// Decide picks threads, context and KV type for a model on a machine.
// It returns an error, before anything is loaded, when the model cannot
// fit; the error says what would fit instead.
func Decide(m Machine, f ModelFacts, req Request) (Choice, error) {
	var c Choice
	if req.Threads > 0 {
		c.Threads, c.ThreadsWhy = req.Threads, "as asked (-t)"
	} else {
		c.Threads = m.UsableCores()
		c.ThreadsWhy = fmt.Sprintf("the physical cores this process may use (%d logical CPUs", m.LogicalCPUs)
		if m.CPUQuota > 0 {
			c.ThreadsWhy += fmt.Sprintf(", cgroup quota %.1f CPUs", m.CPUQuota)
		}
		c.ThreadsWhy += "); change with -t"
	}
	trained := f.ContextLength
	if trained <= 0 {
		trained = 2048
	}
	limit := budget(m)
	switch req.KVType {
	case "":
		c.KVType, c.KVWhy = chooseKV(m, f, trained, req.Context)
	case KVF16, KVQ8_0:
		if req.KVType == KVQ8_0 && !f.q8KV() {
			return c, fmt.Errorf("plan: a q8_0 KV cache needs a head size that is a multiple of 32, and this model's is %d", f.HeadDim)
		}
		c.KVType, c.KVWhy = req.KVType, "as asked (--kv-type)"
	default:
		return c, fmt.Errorf("plan: KV cache type %q is not supported (f16 or q8_0)", req.KVType)
	}
	if req.Context > 0 {
		c.Context, c.ContextWhy = req.Context, "as asked (--ctx)"
		if req.Context > trained {
			c.Warnings = append(c.Warnings, fmt.Sprintf("context %d is larger than the %d tokens the model was trained on: expect worse output past %d", req.Context, trained, trained))
		}
		c.Estimate = EstimateMemory(f, c.Context, c.KVType).WithMachine(m)
		if c.Estimate.Total > limit {
			return c, fmt.Errorf("plan: a context of %d tokens needs %s with a %s KV cache but %s of memory is usable (keeping %d%% free)%s",
				c.Context, Bytes(c.Estimate.Total), c.KVType, Bytes(limit), int(headroomFraction*100), fitHint(m, f, trained, c.KVType))
		}
		return c, nil
	}
	for _, ctx := range contextCandidates(trained) {
		e := EstimateMemory(f, ctx, c.KVType).WithMachine(m)
		if e.Total <= limit {
			c.Context, c.Estimate = ctx, e
			if ctx == trained {
				c.ContextWhy = fmt.Sprintf("the model's trained context; it fits in memory (%s of %s usable); change with --ctx", Bytes(e.Total), Bytes(int64(m.UsableRAM())))
			} else {
				c.ContextWhy = fmt.Sprintf("the largest size that fits in memory (%s of %s usable; the trained context %d would need %s); change with --ctx",
					Bytes(e.Total), Bytes(int64(m.UsableRAM())), trained, Bytes(EstimateMemory(f, trained, c.KVType).Total))
			}
			return c, nil
		}
	}
	e := EstimateMemory(f, 256, c.KVType)
	return c, fmt.Errorf("plan: the model does not fit: even a 256-token context needs %s and %s of memory is usable; use a smaller quantization of this model", Bytes(e.Total), Bytes(limit))
}

func fitHint(m Machine, f ModelFacts, trained int, kv KVType) string {
	if ctx := largestFit(m, f, trained, kv); ctx > 0 {
		return fmt.Sprintf("; a context of %d fits (--ctx %d)", ctx, ctx)
	}
	return "; no context fits: use a smaller quantization"
}

// q8KV reports whether the model's heads can be held in a q8_0 cache
// (blocks of 32 values).
func (f ModelFacts) q8KV() bool { return f.HeadDim > 0 && f.HeadDim%32 == 0 }

// largestFit is the largest candidate context (the trained one and the
// powers of two below it, down to 256) that fits with a kv cache, or 0.
func largestFit(m Machine, f ModelFacts, trained int, kv KVType) int {
	limit := budget(m)
	for _, ctx := range contextCandidates(trained) {
		if EstimateMemory(f, ctx, kv).WithMachine(m).Total <= limit {
			return ctx
		}
	}
	return 0
}

// chooseKV picks the KV cache type: f16, llama.cpp's default, unless it
// does not fit the wanted context (the one asked for, else the trained
// one) and q8_0, at 34 bytes per 32 values instead of 64, at least doubles
// the context that fits.
func chooseKV(m Machine, f ModelFacts, trained, asked int) (KVType, string) {
	want := trained
	if asked > 0 {
		want = asked
	}
	limit := budget(m)
	if EstimateMemory(f, want, KVF16).WithMachine(m).Total <= limit {
		return KVF16, "f16, llama.cpp's default; the context fits with it; change with --kv-type"
	}
	if !f.q8KV() {
		return KVF16, fmt.Sprintf("f16: a q8_0 cache needs a head size that is a multiple of 32, not %d", f.HeadDim)
	}
	if asked > 0 {
		if EstimateMemory(f, asked, KVQ8_0).WithMachine(m).Total <= limit {
			return KVQ8_0, fmt.Sprintf("q8_0: the asked context of %d tokens does not fit with an f16 cache (%s) but does with q8_0 (%s); change with --kv-type",
				asked, Bytes(EstimateMemory(f, asked, KVF16).Total), Bytes(EstimateMemory(f, asked, KVQ8_0).Total))
		}
		return KVF16, "f16, llama.cpp's default (the asked context fits with neither f16 nor q8_0)"
	}
	f16, q8 := largestFit(m, f, trained, KVF16), largestFit(m, f, trained, KVQ8_0)
	if q8 > 0 && q8 >= 2*f16 {
		return KVQ8_0, fmt.Sprintf("q8_0: the trained context %d does not fit with an f16 cache, and q8_0 fits %d tokens where f16 fits %d; change with --kv-type", trained, q8, f16)
	}
	return KVF16, fmt.Sprintf("f16, llama.cpp's default: the trained context %d does not fit, and q8_0 would not double the %d tokens that fit; change with --kv-type", trained, f16)
}
