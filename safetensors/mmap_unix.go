//go:build unix

package safetensors

import (
	"io"
	"os"
	"syscall"
)

func mapFile(fd *os.File, size int) ([]byte, func([]byte) error, error) {
	if size == 0 {
		return nil, nil, nil
	}
	b, err := syscall.Mmap(int(fd.Fd()), 0, size, syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		// Some file systems refuse mmap: read the file instead.
		b = make([]byte, size)
		if _, rerr := io.ReadFull(fd, b); rerr != nil {
			return nil, nil, rerr
		}
		return b, nil, nil
	}
	return b, syscall.Munmap, nil
}
