//go:build !purego

package kernels

// maskedCopy16 sets dst[i] = src[off+i] where bit i%16 of masks[i/16] is
// set, and dst[i] = 0 where it is clear, for i < n, in AVX-512 with
// zero-masked loads: src[off+i] is never read (so may lie outside the
// slice, even before its start) where the bit is clear. dst holds n values
// and masks ceil(n/16). Only call it when useAVX512.
//
//go:noescape
func maskedCopy16(dst, src *float32, off int, masks *uint16, n int)

// maskedAdd16 adds src[i] to dst[off+i] where bit i%16 of masks[i/16] is
// set, for i < n, in AVX-512 with masked loads and stores: neither
// dst[off+i] nor src[i] is read or written where the bit is clear. Only
// call it when useAVX512.
//
//go:noescape
func maskedAdd16(dst *float32, off int, src *float32, masks *uint16, n int)

// gatherMasked16 sets dst[i] = src[idx[i]] where bit i%16 of masks[i/16]
// is set, and dst[i] = 0 where it is clear, for i < n, with AVX-512
// gathers (src[idx[i]] is not read where the bit is clear). idx holds
// ceil(n/16)·16 indices and masks ceil(n/16). Only call it when useAVX512.
//
//go:noescape
func gatherMasked16(dst, src *float32, idx *int32, masks *uint16, n int)

// scatterAddMasked16 adds src[i] to dst[idx[i]] where bit i%16 of
// masks[i/16] is set, for i < n, with AVX-512 gathers and scatters (nothing
// is read or written where the bit is clear). The indices of a group of 16
// set bits must be distinct. idx holds ceil(n/16)·16 indices and masks
// ceil(n/16). Only call it when useAVX512.
//
//go:noescape
func scatterAddMasked16(dst *float32, idx *int32, src *float32, masks *uint16, n int)

// deintRows splits rows rows of n floats, src + r·sstride, into their even
// and odd elements: even[r·dstride + j] = src[r·sstride + 2j] for 2j < n,
// odd[r·dstride + j] = src[r·sstride + 2j+1] for 2j+1 < n (odd may be nil:
// not written), and sets even[r·dstride - 1] (and odd's) to 0, the zero
// that leads a row of stackGeom's layout. Nothing else is written; src is
// not read past n in a row. Only call it when useAVX512.
//
//go:noescape
func deintRows(even, odd *float32, dstride int, src *float32, sstride, rows, n int)

// intRows is deintRows' inverse: it sets (with add, adds to) dst[r·dstride
// + 2j] the value even[r·sstride + j] and dst[r·dstride + 2j+1] the value
// odd[r·sstride + j], for the n values 2j, 2j+1 < n of rows rows (odd may
// be nil: the odd values are not touched). Only call it when useAVX512.
//
//go:noescape
func intRows(dst *float32, dstride int, even, odd *float32, sstride, rows, n int, add bool)

// copyRows sets (with add, adds to) dst[r·dstride + i] the value src[r·sstride
// + i] for i < n, r < rows, and with lead sets dst[r·dstride - 1] to 0 (the
// zero that leads a row of stackGeom's layout when padL is 1). Nothing
// else is read or written. Only call it when useAVX512.
//
//go:noescape
func copyRows(dst *float32, dstride int, src *float32, sstride, rows, n int, add, lead bool)
