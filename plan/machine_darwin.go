package plan

import "golang.org/x/sys/unix"

// detectPlatform fills the macOS facts from sysctl: physical and
// performance cores, memory, and Apple Silicon's unified-memory GPU.
func detectPlatform(m *Machine) {
	if n, err := unix.SysctlUint32("hw.perflevel0.physicalcpu"); err == nil && n > 0 {
		m.PhysicalCores = int(n) // performance cores only
	} else if n, err := unix.SysctlUint32("hw.physicalcpu"); err == nil {
		m.PhysicalCores = int(n)
	}
	if mem, err := unix.SysctlUint64("hw.memsize"); err == nil {
		m.TotalRAM = mem
		m.AvailableRAM = mem
	}
	if brand, err := unix.Sysctl("machdep.cpu.brand_string"); err == nil && len(brand) >= 5 && brand[:5] == "Apple" {
		m.GPUs = append(m.GPUs, GPU{Vendor: "Apple", Name: brand + " GPU (unified memory)", Memory: m.TotalRAM})
	}
}
