package plan

import (
	"fmt"
	"sort"
)

// Request is what the user asked for; zero fields mean "choose for me".
type Request struct {
	Threads int
	Context int
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
	c.KVType, c.KVWhy = KVF16, "f16, llama.cpp's default (the only KV type this version runs)"
	trained := f.ContextLength
	if trained <= 0 {
		trained = 2048
	}
	limit := budget(m)
	if req.Context > 0 {
		c.Context, c.ContextWhy = req.Context, "as asked (--ctx)"
		if req.Context > trained {
			c.Warnings = append(c.Warnings, fmt.Sprintf("context %d is larger than the %d tokens the model was trained on: expect worse output past %d", req.Context, trained, trained))
		}
		c.Estimate = EstimateMemory(f, c.Context, c.KVType).WithMachine(m)
		if c.Estimate.Total > limit {
			return c, fmt.Errorf("plan: a context of %d tokens needs %s but %s of memory is usable (keeping %d%% free)%s",
				c.Context, Bytes(c.Estimate.Total), Bytes(limit), int(headroomFraction*100), fitHint(m, f, trained))
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

func fitHint(m Machine, f ModelFacts, trained int) string {
	limit := budget(m)
	for _, ctx := range contextCandidates(trained) {
		if e := EstimateMemory(f, ctx, KVF16); e.Total <= limit {
			return fmt.Sprintf("; a context of %d fits (--ctx %d)", ctx, ctx)
		}
	}
	return "; no context fits: use a smaller quantization"
}
