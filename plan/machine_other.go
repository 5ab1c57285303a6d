//go:build !linux && !darwin

package plan

func detectPlatform(m *Machine) {}
