package main

import (
	"crypto/rand"
	"encoding/binary"
)

func newSeed() uint64 {
	var b [8]byte
	rand.Read(b[:])
	return binary.LittleEndian.Uint64(b[:])
}
