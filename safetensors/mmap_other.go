//go:build !unix

package safetensors

import (
	"io"
	"os"
)

func mapFile(fd *os.File, size int) ([]byte, func([]byte) error, error) {
	b := make([]byte, size)
	if _, err := io.ReadFull(fd, b); err != nil {
		return nil, nil, err
	}
	return b, nil, nil
}
