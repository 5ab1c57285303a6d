package gguf

import (
	"fmt"
	"io"
	"math"
	"os"
)

// Open maps the GGUF file at path read-only and parses its header. Tensor
// data is not read: Data returns views into the mapping, paged in on use.
// Where memory maps are not available the file is read into memory.
// Close the File to release the mapping.
func Open(path string) (*File, error) {
	fd, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("gguf: %w", err)
	}
	defer fd.Close()
	st, err := fd.Stat()
	if err != nil {
		return nil, fmt.Errorf("gguf: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("gguf: %s: not a regular file", path)
	}
	size := st.Size()
	if size < 0 || uint64(size) > math.MaxInt {
		return nil, fmt.Errorf("gguf: %s: file of %d bytes is too large for this platform", path, size)
	}
	var data []byte
	var closer func([]byte) error
	if size > 0 {
		data, closer, err = mapFile(fd, int(size))
		if err != nil {
			// Some file systems cannot map files: read it instead.
			data, closer = make([]byte, size), nil
			if _, rerr := io.ReadFull(io.NewSectionReader(fd, 0, size), data); rerr != nil {
				return nil, fmt.Errorf("gguf: %s: %v; reading instead: %w", path, err, rerr)
			}
		}
	}
	f, err := Parse(data)
	if err != nil {
		if closer != nil {
			closer(data)
		}
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	f.closer = closer
	return f, nil
}
