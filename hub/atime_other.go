//go:build !linux && !darwin

package hub

import (
	"os"
	"time"
)

func atime(fi os.FileInfo) time.Time { return fi.ModTime() }
