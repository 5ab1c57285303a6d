//go:build arm64 && !purego

package kernels

// cpuRelax executes YIELD: a spin-wait hint to the core (and to an SMT
// sibling where there is one) while polling.
func cpuRelax()
