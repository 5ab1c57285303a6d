//go:build !linux

package engine

func peakRSS() int64 { return 0 }
