package plan

import (
	"os"
	"strings"
	"testing"
)

func TestDetectCgroupV2(t *testing.T) {
	m := detectFS(os.DirFS("testdata/v2"), 8)
	if m.PhysicalCores != 4 {
		t.Errorf("physical cores = %d, want 4 (8 hyperthreads on 4 cores)", m.PhysicalCores)
	}
	if m.CPUQuota != 1.5 {
		t.Errorf("cpu quota = %v, want 1.5", m.CPUQuota)
	}
	if m.MemoryLimit != 4<<30 {
		t.Errorf("memory limit = %d, want 4 GiB", m.MemoryLimit)
	}
	if m.TotalRAM != 16384000*1024 || m.AvailableRAM != 12000000*1024 {
		t.Errorf("RAM total %d available %d", m.TotalRAM, m.AvailableRAM)
	}
	if got := m.UsableCores(); got != 2 {
		t.Errorf("usable cores = %d, want 2 (quota 1.5 rounds to 2, below 4 cores)", got)
	}
	if got := m.UsableRAM(); got != 4<<30 {
		t.Errorf("usable RAM = %d, want the 4 GiB cgroup limit", got)
	}
}

func TestDetectCgroupV1(t *testing.T) {
	m := detectFS(os.DirFS("testdata/v1"), 2)
	if m.CPUQuota != 0.5 || m.MemoryLimit != 2<<30 {
		t.Errorf("quota %v limit %d, want 0.5 and 2 GiB", m.CPUQuota, m.MemoryLimit)
	}
	if got := m.UsableCores(); got != 1 {
		t.Errorf("usable cores = %d, want 1", got)
	}
}

func TestDetectNoCgroupNoFiles(t *testing.T) {
	m := detectFS(os.DirFS(t.TempDir()), 3)
	if m.UsableCores() != 3 || m.MemoryLimit != 0 || m.CPUQuota != 0 {
		t.Errorf("empty root: %+v", m)
	}
}

func TestDetectNvidia(t *testing.T) {
	m := detectFS(os.DirFS("testdata/nvidia"), 1)
	if len(m.GPUs) != 1 || m.GPUs[0].Name != "NVIDIA H100 80GB HBM3" {
		t.Fatalf("GPUs = %+v", m.GPUs)
	}
	if s := m.String(); !strings.Contains(s, "GPU found, not used yet") {
		t.Errorf("summary does not mention the GPU: %s", s)
	}
}

// A 1B-parameter-like model: 1.3 GB of weights, 16 layers, 8 KV heads of 64.
var facts1B = ModelFacts{
	FileBytes: 1300 << 20, Layers: 16, Embedding: 2048, Heads: 32, KVHeads: 8, HeadDim: 64,
	FFN: 8192, Vocab: 128256, ContextLength: 131072, ActivationBytesPerElem: 34.0 / 32,
	TokenizerBytes: 30 << 20,
}

func machineWith(ram uint64, cores int) Machine {
	return Machine{LogicalCPUs: cores, PhysicalCores: cores, TotalRAM: ram, AvailableRAM: ram}
}

func TestKVCacheSize(t *testing.T) {
	e := EstimateMemory(facts1B, 8192, KVF16)
	// 16 layers × 8192 positions × 512 (8 heads × 64) × K and V × 2 bytes.
	if want := int64(16 * 8192 * 512 * 2 * 2); e.KVCache != want {
		t.Errorf("KV cache %d, want %d", e.KVCache, want)
	}
	if e.Total != e.Weights+e.KVCache+e.Compute+e.Runtime {
		t.Error("total is not the sum of its parts")
	}
}

func TestDecideContextFitsMachine(t *testing.T) {
	// 4 GiB: weights 1.3 GB leave room for a long context but not 128K
	// (128K of f16 KV alone is 4 GiB).
	c, err := Decide(machineWith(4<<30, 4), facts1B, Request{KVType: KVF16})
	if err != nil {
		t.Fatal(err)
	}
	if c.Context >= 131072 || c.Context < 8192 {
		t.Errorf("context %d: want the largest power of two that fits in 4 GiB", c.Context)
	}
	if c.Estimate.Total > budget(machineWith(4<<30, 4)) {
		t.Errorf("chosen context needs %d, over the budget", c.Estimate.Total)
	}
	next := EstimateMemory(facts1B, c.Context*2, KVF16)
	if next.Total <= budget(machineWith(4<<30, 4)) {
		t.Errorf("context %d would also fit; the planner did not take the largest", c.Context*2)
	}
	if c.Threads != 4 || !strings.Contains(c.ContextWhy, "fits") {
		t.Errorf("threads %d, reason %q", c.Threads, c.ContextWhy)
	}
	// Plenty of memory: the trained context.
	c, err = Decide(machineWith(64<<30, 4), facts1B, Request{})
	if err != nil || c.Context != 131072 {
		t.Errorf("64 GiB: context %d, err %v; want the trained 131072", c.Context, err)
	}
}

func TestDecideMachineTooSmall(t *testing.T) {
	_, err := Decide(machineWith(1<<30, 2), facts1B, Request{})
	if err == nil || !strings.Contains(err.Error(), "does not fit") || !strings.Contains(err.Error(), "smaller quantization") {
		t.Fatalf("1 GiB machine: err = %v, want a refusal that suggests a smaller quantization", err)
	}
	_, err = Decide(machineWith(4<<30, 2), facts1B, Request{Context: 131072, KVType: KVF16})
	if err == nil || !strings.Contains(err.Error(), "--ctx") {
		t.Fatalf("asked 128K on 4 GiB: err = %v, want a refusal naming a context that fits", err)
	}
}

func TestDecideWarnsPastTrainedContext(t *testing.T) {
	f := facts1B
	f.ContextLength = 4096
	c, err := Decide(machineWith(64<<30, 2), f, Request{Context: 8192, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Warnings) == 0 || !strings.Contains(c.Warnings[0], "trained") {
		t.Errorf("no warning for a context past the trained one: %v", c.Warnings)
	}
	if c.Threads != 1 || c.ThreadsWhy != "as asked (-t)" {
		t.Errorf("threads %d (%s)", c.Threads, c.ThreadsWhy)
	}
}

func TestChooseQuant(t *testing.T) {
	names := []string{"Q2_K", "Q4_K_M", "Q8_0", "F16", "Q6_K"}
	sizes := []int64{3 << 30, 5 << 30, 8 << 30, 16 << 30, 6 << 30}
	for _, c := range []struct {
		ram  uint64
		want string
	}{
		{64 << 30, "Q8_0"}, // F16 fits too, but Q8_0 ranks first
		{11 << 30, "Q6_K"}, // 11 GiB × 0.9 × 0.7 = 6.9 GiB: Q8_0 (8) no, Q6_K (6) yes
		{7 << 30, "Q2_K"},  // 4.4 GiB: only Q2_K
	} {
		i, why, err := ChooseQuant(machineWith(c.ram, 4), names, sizes)
		if err != nil || names[i] != c.want {
			t.Errorf("%d GiB: chose %v (%s), err %v; want %s", c.ram>>30, i, why, err, c.want)
		}
	}
	if _, _, err := ChooseQuant(machineWith(2<<30, 4), names, sizes); err == nil || !strings.Contains(err.Error(), "Q2_K") {
		t.Errorf("2 GiB: err = %v, want a refusal naming the smallest quant", err)
	}
	// Only float files: the smallest that fits.
	i, _, err := ChooseQuant(machineWith(64<<30, 4), []string{"F32", "BF16"}, []int64{20 << 30, 10 << 30})
	if err != nil || i != 1 {
		t.Errorf("float-only repo: chose %d, err %v; want BF16", i, err)
	}
}

func TestDetectHybridExcludesEfficiencyCores(t *testing.T) {
	// 2 performance cores with hyperthreads (CPUs 0-3), 4 efficiency cores (4-7).
	m := detectFS(os.DirFS("testdata/hybrid"), 8)
	if m.PhysicalCores != 2 || m.EfficiencyCores != 4 || m.UsableCores() != 2 {
		t.Errorf("physical %d, efficiency %d, usable %d; want 2, 4, 2", m.PhysicalCores, m.EfficiencyCores, m.UsableCores())
	}
	if got := cpuList("0-2,5,9-10"); len(got) != 6 || !got[10] || got[3] {
		t.Errorf("cpuList = %v", got)
	}
}

// TestDecideKVType: the planner keeps llama.cpp's f16 cache when the
// wanted context fits with it, and takes q8_0 when f16 does not fit it and
// q8_0 at least doubles the context that fits (or makes an asked context
// fit); --kv-type overrides it; heads that are not multiples of 32 keep f16.
func TestDecideKVType(t *testing.T) {
	big, small := machineWith(64<<30, 4), machineWith(4<<30, 4)
	c, err := Decide(big, facts1B, Request{})
	if err != nil || c.KVType != KVF16 || c.Context != 131072 || !strings.Contains(c.KVWhy, "fits") {
		t.Errorf("64 GiB: %s (%s), context %d, err %v; want f16 at the trained context", c.KVType, c.KVWhy, c.Context, err)
	}
	f16, err := Decide(small, facts1B, Request{KVType: KVF16})
	if err != nil || f16.KVWhy != "as asked (--kv-type)" {
		t.Fatalf("4 GiB, f16 asked: %+v, err %v", f16, err)
	}
	c, err = Decide(small, facts1B, Request{})
	if err != nil {
		t.Fatal(err)
	}
	if c.KVType != KVQ8_0 || c.Context < 2*f16.Context || c.Estimate.KVType != KVQ8_0 || !strings.Contains(c.KVWhy, "q8_0 fits") {
		t.Errorf("4 GiB: %s (%s), context %d (f16 fits %d); want q8_0 at twice the context or more", c.KVType, c.KVWhy, c.Context, f16.Context)
	}
	if c.Estimate.Total > budget(small) {
		t.Errorf("the q8_0 plan needs %d, over the budget", c.Estimate.Total)
	}
	t.Logf("4 GiB: f16 fits %d tokens, q8_0 %d (%s)", f16.Context, c.Context, c.KVWhy)
	// An asked context that only q8_0 fits.
	asked := 2 * f16.Context
	c, err = Decide(small, facts1B, Request{Context: asked})
	if err != nil || c.KVType != KVQ8_0 || c.Context != asked {
		t.Errorf("4 GiB, --ctx %d: %s (%s), err %v; want q8_0", asked, c.KVType, c.KVWhy, err)
	}
	c, err = Decide(small, facts1B, Request{Context: f16.Context})
	if err != nil || c.KVType != KVF16 {
		t.Errorf("4 GiB, --ctx %d: %s, err %v; want f16, which fits", f16.Context, c.KVType, err)
	}
	// Head size 80: no q8_0 cache.
	f := facts1B
	f.HeadDim, f.Heads, f.KVHeads = 80, 26, 8
	c, err = Decide(small, f, Request{})
	if err != nil || c.KVType != KVF16 || !strings.Contains(c.KVWhy, "multiple of 32") {
		t.Errorf("head size 80: %s (%s), err %v; want f16", c.KVType, c.KVWhy, err)
	}
	if _, err := Decide(small, f, Request{KVType: KVQ8_0}); err == nil || !strings.Contains(err.Error(), "multiple of 32") {
		t.Errorf("head size 80, q8_0 asked: err %v", err)
	}
	if _, err := Decide(small, facts1B, Request{KVType: "q4_0"}); err == nil {
		t.Error("q4_0 KV accepted")
	}
	// q8_0 KV takes 34 bytes per 32 values.
	if e := EstimateMemory(facts1B, 8192, KVQ8_0); e.KVCache != int64(16*8192*512*2)/32*34 {
		t.Errorf("q8_0 KV cache %d bytes", e.KVCache)
	}
}
