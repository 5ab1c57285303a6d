//go:build !unix

package convert

// releasePages does nothing where the kernel is not told (see
// release_unix.go).
func releasePages(b []byte) {}
