//go:build unix

package convert

import (
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// releasePages tells the kernel that the whole pages inside b are not
// needed any more: they leave this process's resident set. For a
// read-only file mapping a later read maps them again from the page cache
// with the same contents; memory that was read from the file instead (where
// it could not be mapped) would read as zeros, so only callers that never
// read b again may release it.
func releasePages(b []byte) {
	page := uintptr(os.Getpagesize())
	if len(b) == 0 {
		return
	}
	start := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	lo := (start + page - 1) &^ (page - 1)
	hi := (start + uintptr(len(b))) &^ (page - 1)
	if hi <= lo {
		return
	}
	unix.Madvise(b[lo-start:hi-start], unix.MADV_DONTNEED)
}
