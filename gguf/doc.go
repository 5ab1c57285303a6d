// Package gguf reads and writes GGUF files, the model file format of ggml
// and llama.cpp. It deals with the file format only: metadata, tensor
// infos and views of tensor data; it does no compute.
//
// Open maps a file read-only and parses its header without touching the
// tensor data; Data returns views into the mapping. Parse does the same over
// bytes in memory. Versions 1 (32-bit counts), 2 and 3 are read; every
// count, length, shape and offset is checked against the file before
// anything is allocated, and a malformed file gives an error that names the
// problem, never a panic.
//
// Write produces GGUF v3 in the layout llama.cpp's writers use, so a file
// they wrote is written back byte for byte.
package gguf
