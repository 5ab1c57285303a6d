// Package plan decides how to run a model on this machine: it reads the
// hardware facts (cores, memory, cgroup limits, SIMD, GPUs), estimates the
// memory a model needs at a given context, and picks the defaults —
// threads, context size, KV cache type — saying why.
package plan

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path"
	"runtime"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/sys/cpu"
)

// GPU is an accelerator found on the machine. hearth does not use GPUs
// yet; they are reported so the user knows one was seen.
type GPU struct {
	Vendor string `json:"vendor"`
	Name   string `json:"name"`
	Memory uint64 `json:"memory_bytes,omitempty"`
}

// Machine holds the facts the planner decides from.
type Machine struct {
	OS              string   `json:"os"`
	Arch            string   `json:"arch"`
	LogicalCPUs     int      `json:"logical_cpus"`               // CPUs this process may run on
	PhysicalCores   int      `json:"physical_cores"`             // cores, not hyperthreads or efficiency cores (0: unknown)
	EfficiencyCores int      `json:"efficiency_cores,omitempty"` // hybrid CPUs' E-cores (logical), left out
	CPUQuota        float64  `json:"cpu_quota"`                  // cgroup CPU limit in CPUs (0: none)
	TotalRAM        uint64   `json:"total_ram"`
	AvailableRAM    uint64   `json:"available_ram"`
	MemoryLimit     uint64   `json:"memory_limit"` // cgroup memory limit (0: none)
	PageSize        int      `json:"page_size"`
	SIMD            []string `json:"simd"`
	GPUs            []GPU    `json:"gpus"`
}

// UsableCores is the number of threads worth running: physical cores
// available to the process, capped by the cgroup quota.
func (m Machine) UsableCores() int {
	n := m.LogicalCPUs
	if m.PhysicalCores > 0 && m.PhysicalCores < n {
		n = m.PhysicalCores
	}
	if m.CPUQuota > 0 && int(m.CPUQuota+0.5) < n {
		n = max(1, int(m.CPUQuota+0.5))
	}
	return max(1, n)
}

// UsableRAM is the memory this process can count on: the available RAM,
// capped by the cgroup limit.
func (m Machine) UsableRAM() uint64 {
	r := m.AvailableRAM
	if r == 0 {
		r = m.TotalRAM
	}
	if m.MemoryLimit > 0 && m.MemoryLimit < r {
		r = m.MemoryLimit
	}
	return r
}

// Detect reads the facts of the running machine.
func Detect() Machine {
	m := detectFS(os.DirFS("/"), runtime.NumCPU())
	m.OS, m.Arch = runtime.GOOS, runtime.GOARCH
	m.PageSize = os.Getpagesize()
	m.SIMD = simdFeatures()
	detectPlatform(&m)
	return m
}

func simdFeatures() []string {
	var f []string
	add := func(ok bool, name string) {
		if ok {
			f = append(f, name)
		}
	}
	switch runtime.GOARCH {
	case "amd64", "386":
		add(cpu.X86.HasAVX, "avx")
		add(cpu.X86.HasAVX2, "avx2")
		add(cpu.X86.HasFMA, "fma")
		add(cpu.X86.HasF16C, "f16c")
		add(cpu.X86.HasAVX512F, "avx512f")
		add(cpu.X86.HasAVX512BW, "avx512bw")
		add(cpu.X86.HasAVX512VNNI, "avx512vnni")
		add(cpu.X86.HasAVXVNNI, "avxvnni")
	case "arm64":
		add(cpu.ARM64.HasASIMD, "neon")
		add(cpu.ARM64.HasASIMDDP, "dotprod")
		add(cpu.ARM64.HasI8MM, "i8mm")
		add(cpu.ARM64.HasSVE, "sve")
	}
	return f
}

// detectFS reads Linux facts from a root file system (the real "/" or a
// fake one in tests). Missing files leave fields at zero.
func detectFS(root fs.FS, logical int) Machine {
	m := Machine{LogicalCPUs: logical}
	if b, err := fs.ReadFile(root, "proc/cpuinfo"); err == nil {
		// On hybrid Intel CPUs the kernel lists the efficiency cores in
		// /sys/devices/cpu_atom/cpus; threads placed there slow the
		// whole matmul down to their pace, so they are not counted.
		var eff map[int]bool
		if b, err := fs.ReadFile(root, "sys/devices/cpu_atom/cpus"); err == nil {
			eff = cpuList(strings.TrimSpace(string(b)))
			m.EfficiencyCores = len(eff)
		}
		m.PhysicalCores = physicalCores(b, eff)
	}
	if b, err := fs.ReadFile(root, "proc/meminfo"); err == nil {
		m.TotalRAM = meminfo(b, "MemTotal")
		m.AvailableRAM = meminfo(b, "MemAvailable")
	}
	m.CPUQuota, m.MemoryLimit = cgroupLimits(root)
	m.GPUs = nvidiaGPUs(root)
	return m
}

// physicalCores counts distinct (physical id, core id) pairs of the
// processors not in exclude; on systems that list no core ids it returns
// 0 (unknown).
func physicalCores(cpuinfo []byte, exclude map[int]bool) int {
	cores := map[string]bool{}
	phys, proc := "0", -1
	sc := bufio.NewScanner(bytes.NewReader(cpuinfo))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch k {
		case "processor":
			proc, _ = strconv.Atoi(v)
		case "physical id":
			phys = v
		case "core id":
			if !exclude[proc] {
				cores[phys+"/"+v] = true
			}
		}
	}
	return len(cores)
}

// cpuList parses the kernel's CPU list format ("0-3,8,10-11").
func cpuList(s string) map[int]bool {
	set := map[int]bool{}
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(strings.TrimSpace(lo))
		if err != nil {
			continue
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(strings.TrimSpace(hi)); err != nil || b < a || b-a > 1<<16 {
				continue
			}
		}
		for i := a; i <= b; i++ {
			set[i] = true
		}
	}
	return set
}

func meminfo(b []byte, key string) uint64 {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || strings.TrimSpace(k) != key {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			return 0
		}
		n, err := strconv.ParseUint(f[0], 10, 64)
		if err != nil {
			return 0
		}
		if len(f) > 1 && strings.EqualFold(f[1], "kB") {
			n *= 1024
		}
		return n
	}
	return 0
}

// cgroupLimits reads the CPU quota (in CPUs) and memory limit of this
// process's cgroup, v2 first, then v1.
func cgroupLimits(root fs.FS) (cpus float64, mem uint64) {
	v2dir := "sys/fs/cgroup"
	if b, err := fs.ReadFile(root, "proc/self/cgroup"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if p, ok := strings.CutPrefix(line, "0::"); ok {
				v2dir = path.Join("sys/fs/cgroup", strings.TrimPrefix(strings.TrimSpace(p), "/"))
			}
		}
	}
	for _, dir := range []string{v2dir, "sys/fs/cgroup"} {
		if b, err := fs.ReadFile(root, path.Join(dir, "cpu.max")); err == nil && cpus == 0 {
			f := strings.Fields(string(b))
			if len(f) == 2 && f[0] != "max" {
				q, err1 := strconv.ParseFloat(f[0], 64)
				p, err2 := strconv.ParseFloat(f[1], 64)
				if err1 == nil && err2 == nil && p > 0 {
					cpus = q / p
				}
			}
		}
		if b, err := fs.ReadFile(root, path.Join(dir, "memory.max")); err == nil && mem == 0 {
			if s := strings.TrimSpace(string(b)); s != "max" {
				mem, _ = strconv.ParseUint(s, 10, 64)
			}
		}
	}
	if cpus == 0 {
		q := readInt(root, "sys/fs/cgroup/cpu/cpu.cfs_quota_us")
		p := readInt(root, "sys/fs/cgroup/cpu/cpu.cfs_period_us")
		if q > 0 && p > 0 {
			cpus = float64(q) / float64(p)
		}
	}
	if mem == 0 {
		// cgroup v1 reports "no limit" as a huge number near 2^63.
		if v := readInt(root, "sys/fs/cgroup/memory/memory.limit_in_bytes"); v > 0 && v < 1<<60 {
			mem = uint64(v)
		}
	}
	return cpus, mem
}

func readInt(root fs.FS, name string) int64 {
	b, err := fs.ReadFile(root, name)
	if err != nil {
		return 0
	}
	v, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return 0
	}
	return v
}

// nvidiaGPUs lists GPUs the NVIDIA driver reports in /proc.
func nvidiaGPUs(root fs.FS) []GPU {
	entries, err := fs.ReadDir(root, "proc/driver/nvidia/gpus")
	if err != nil {
		return nil
	}
	var gpus []GPU
	for _, e := range entries {
		b, err := fs.ReadFile(root, path.Join("proc/driver/nvidia/gpus", e.Name(), "information"))
		if err != nil {
			continue
		}
		g := GPU{Vendor: "NVIDIA"}
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "Model" {
				g.Name = strings.TrimSpace(v)
			}
		}
		gpus = append(gpus, g)
	}
	sort.Slice(gpus, func(i, j int) bool { return gpus[i].Name < gpus[j].Name })
	return gpus
}

// String is a one-line summary.
func (m Machine) String() string {
	s := fmt.Sprintf("%s/%s, %d cores usable (%d logical", m.OS, m.Arch, m.UsableCores(), m.LogicalCPUs)
	if m.CPUQuota > 0 {
		s += fmt.Sprintf(", cgroup quota %.1f", m.CPUQuota)
	}
	s += fmt.Sprintf("), %.1f GiB usable of %.1f GiB RAM", float64(m.UsableRAM())/(1<<30), float64(m.TotalRAM)/(1<<30))
	if len(m.SIMD) > 0 {
		s += ", " + strings.Join(m.SIMD, " ")
	}
	for _, g := range m.GPUs {
		s += fmt.Sprintf("; GPU found, not used yet: %s %s", g.Vendor, g.Name)
	}
	return s
}
