//go:build amd64 && !purego

package kernels

// cpuRelax executes PAUSE: a spin-wait hint that frees the core's
// resources for its sibling thread and saves power while polling.
func cpuRelax()
