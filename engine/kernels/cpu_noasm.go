//go:build !amd64 || purego

package kernels

// asmBuilt reports whether this build carries the amd64 assembly kernels.
const asmBuilt = false
