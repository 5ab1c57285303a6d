//go:build !unix

package gguf

import (
	"io"
	"os"
)

// mapFile reads the file into memory where memory maps are not available.
func mapFile(fd *os.File, size int) ([]byte, func([]byte) error, error) {
	b := make([]byte, size)
	if _, err := io.ReadFull(fd, b); err != nil {
		return nil, nil, err
	}
	return b, nil, nil
}
