//go:build unix

package convert

import (
	"fmt"
	"syscall"
)

// zeroRegion returns n bytes of read-only zeros that cost no memory until
// read (an anonymous mapping).
func zeroRegion(n int) ([]byte, func(), error) {
	if n == 0 {
		return nil, func() {}, nil
	}
	b, err := syscall.Mmap(-1, 0, n, syscall.PROT_READ, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return nil, nil, fmt.Errorf("convert: map %d bytes: %w", n, err)
	}
	return b, func() { syscall.Munmap(b) }, nil
}
