//go:build !purego

#include "textflag.h"

// dwMask<>: eight all-ones lanes then eight zero lanes; the 8 lanes loaded
// from element 8-n have the first n set.
DATA dwMask<>+0(SB)/8, $0xffffffffffffffff
DATA dwMask<>+8(SB)/8, $0xffffffffffffffff
DATA dwMask<>+16(SB)/8, $0xffffffffffffffff
DATA dwMask<>+24(SB)/8, $0xffffffffffffffff
DATA dwMask<>+32(SB)/8, $0
DATA dwMask<>+40(SB)/8, $0
DATA dwMask<>+48(SB)/8, $0
DATA dwMask<>+56(SB)/8, $0
GLOBL dwMask<>(SB), RODATA|NOPTR, $64

// func dwTaps(dst, src []float32, offs []int, wts []float32, bias float32)
//
// Blocks of 64 outputs held in eight registers over all taps (one
// broadcast weight, one memory-operand FMA per 8 outputs), then one such
// block for the last 1..63 outputs, stored in part.
TEXT ·dwTaps(SB), NOSPLIT, $0-100
	MOVQ         dst_base+0(FP), DI
	MOVQ         dst_len+8(FP), CX
	MOVQ         src_base+24(FP), SI
	MOVQ         offs_base+48(FP), R8
	MOVQ         wts_base+72(FP), R9
	MOVQ         wts_len+80(FP), R10
	VBROADCASTSS bias+96(FP), Y15
	TESTQ        R10, R10
	JEQ          notaps

b64:
	CMPQ CX, $64
	JLT  b8
	VMOVAPS Y15, Y0
	VMOVAPS Y15, Y1
	VMOVAPS Y15, Y2
	VMOVAPS Y15, Y3
	VMOVAPS Y15, Y4
	VMOVAPS Y15, Y5
	VMOVAPS Y15, Y6
	VMOVAPS Y15, Y7
	XORQ R11, R11

b64tap:
	VBROADCASTSS (R9)(R11*4), Y8
	MOVQ         (R8)(R11*8), R12
	LEAQ         (SI)(R12*4), R12
	VFMADD231PS 0(R12), Y8, Y0
	VFMADD231PS 32(R12), Y8, Y1
	VFMADD231PS 64(R12), Y8, Y2
	VFMADD231PS 96(R12), Y8, Y3
	VFMADD231PS 128(R12), Y8, Y4
	VFMADD231PS 160(R12), Y8, Y5
	VFMADD231PS 192(R12), Y8, Y6
	VFMADD231PS 224(R12), Y8, Y7
	INCQ R11
	CMPQ R11, R10
	JLT  b64tap
	VMOVUPS Y0, 0(DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	VMOVUPS Y4, 128(DI)
	VMOVUPS Y5, 160(DI)
	VMOVUPS Y6, 192(DI)
	VMOVUPS Y7, 224(DI)
	ADDQ $256, DI
	ADDQ $256, SI
	SUBQ $64, CX
	JMP  b64

b8:
	// The last 1..63 outputs: eight accumulators (one round of the taps,
	// reading up to 64 floats past the block: src has the slack), of which
	// the needed ones are stored, the last masked.
	TESTQ CX, CX
	JEQ   done
	VMOVAPS Y15, Y0
	VMOVAPS Y15, Y1
	VMOVAPS Y15, Y2
	VMOVAPS Y15, Y3
	VMOVAPS Y15, Y4
	VMOVAPS Y15, Y5
	VMOVAPS Y15, Y6
	VMOVAPS Y15, Y7
	XORQ R11, R11

b8tap:
	VBROADCASTSS (R9)(R11*4), Y8
	MOVQ         (R8)(R11*8), R12
	LEAQ         (SI)(R12*4), R12
	VFMADD231PS 0(R12), Y8, Y0
	VFMADD231PS 32(R12), Y8, Y1
	VFMADD231PS 64(R12), Y8, Y2
	VFMADD231PS 96(R12), Y8, Y3
	VFMADD231PS 128(R12), Y8, Y4
	VFMADD231PS 160(R12), Y8, Y5
	VFMADD231PS 192(R12), Y8, Y6
	VFMADD231PS 224(R12), Y8, Y7
	INCQ R11
	CMPQ R11, R10
	JLT  b8tap
	LEAQ dwMask<>(SB), R12
	CMPQ CX, $8
	JLE  last0
	VMOVUPS Y0, 0(DI)
	SUBQ $8, CX
	CMPQ CX, $8
	JLE  last1
	VMOVUPS Y1, 32(DI)
	SUBQ $8, CX
	CMPQ CX, $8
	JLE  last2
	VMOVUPS Y2, 64(DI)
	SUBQ $8, CX
	CMPQ CX, $8
	JLE  last3
	VMOVUPS Y3, 96(DI)
	SUBQ $8, CX
	CMPQ CX, $8
	JLE  last4
	VMOVUPS Y4, 128(DI)
	SUBQ $8, CX
	CMPQ CX, $8
	JLE  last5
	VMOVUPS Y5, 160(DI)
	SUBQ $8, CX
	CMPQ CX, $8
	JLE  last6
	VMOVUPS Y6, 192(DI)
	SUBQ $8, CX
	CMPQ CX, $8
	JLE  last7
	VMOVUPS Y7, 224(DI)
	SUBQ $8, CX
	JMP done

last0:
	MOVQ       $8, R13
	SUBQ       CX, R13
	VMOVUPS    (R12)(R13*4), Y14
	VMASKMOVPS Y0, Y14, 0(DI)
	JMP        done

last1:
	MOVQ       $8, R13
	SUBQ       CX, R13
	VMOVUPS    (R12)(R13*4), Y14
	VMASKMOVPS Y1, Y14, 32(DI)
	JMP        done

last2:
	MOVQ       $8, R13
	SUBQ       CX, R13
	VMOVUPS    (R12)(R13*4), Y14
	VMASKMOVPS Y2, Y14, 64(DI)
	JMP        done

last3:
	MOVQ       $8, R13
	SUBQ       CX, R13
	VMOVUPS    (R12)(R13*4), Y14
	VMASKMOVPS Y3, Y14, 96(DI)
	JMP        done

last4:
	MOVQ       $8, R13
	SUBQ       CX, R13
	VMOVUPS    (R12)(R13*4), Y14
	VMASKMOVPS Y4, Y14, 128(DI)
	JMP        done

last5:
	MOVQ       $8, R13
	SUBQ       CX, R13
	VMOVUPS    (R12)(R13*4), Y14
	VMASKMOVPS Y5, Y14, 160(DI)
	JMP        done

last6:
	MOVQ       $8, R13
	SUBQ       CX, R13
	VMOVUPS    (R12)(R13*4), Y14
	VMASKMOVPS Y6, Y14, 192(DI)
	JMP        done

last7:
	MOVQ       $8, R13
	SUBQ       CX, R13
	VMOVUPS    (R12)(R13*4), Y14
	VMASKMOVPS Y7, Y14, 224(DI)
	JMP        done

done:
	VZEROUPPER
	RET

notaps:
	// No taps: dst = bias.
	CMPQ CX, $8
	JLT  nttail
	VMOVUPS Y15, (DI)
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  notaps

nttail:
	TESTQ CX, CX
	JEQ   done
	LEAQ  dwMask<>(SB), R12
	MOVQ  $8, R13
	SUBQ  CX, R13
	VMOVUPS (R12)(R13*4), Y14
	VMASKMOVPS Y15, Y14, (DI)
	JMP done

// func dwDotTaps(gy, src []float32, offs []int, out []float32)
//
// Four taps at a time; for each, two accumulators (even and odd 8-blocks of
// q) share the gy loads.
TEXT ·dwDotTaps(SB), NOSPLIT, $0-96
	MOVQ gy_base+0(FP), DI
	MOVQ gy_len+8(FP), BX
	SHLQ $2, BX
	MOVQ src_base+24(FP), SI
	MOVQ offs_base+48(FP), R8
	MOVQ offs_len+56(FP), R9
	MOVQ out_base+72(FP), DX

group:
	CMPQ R9, $4
	JLT  dotdone
	MOVQ 0(R8), R10
	LEAQ (SI)(R10*4), R10
	MOVQ 8(R8), R11
	LEAQ (SI)(R11*4), R11
	MOVQ 16(R8), R12
	LEAQ (SI)(R12*4), R12
	MOVQ 24(R8), R13
	LEAQ (SI)(R13*4), R13
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	XORQ AX, AX
	CMPQ AX, BX
	JGE  groupend

dotloop:
	VMOVUPS     (DI)(AX*1), Y8
	VMOVUPS     32(DI)(AX*1), Y9
	VFMADD231PS (R10)(AX*1), Y8, Y0
	VFMADD231PS 32(R10)(AX*1), Y9, Y4
	VFMADD231PS (R11)(AX*1), Y8, Y1
	VFMADD231PS 32(R11)(AX*1), Y9, Y5
	VFMADD231PS (R12)(AX*1), Y8, Y2
	VFMADD231PS 32(R12)(AX*1), Y9, Y6
	VFMADD231PS (R13)(AX*1), Y8, Y3
	VFMADD231PS 32(R13)(AX*1), Y9, Y7
	ADDQ $64, AX
	CMPQ AX, BX
	JLT  dotloop

groupend:
	VADDPS  Y4, Y0, Y0
	VADDPS  Y5, Y1, Y1
	VADDPS  Y6, Y2, Y2
	VADDPS  Y7, Y3, Y3
	VMOVUPS Y0, 0(DX)
	VMOVUPS Y1, 32(DX)
	VMOVUPS Y2, 64(DX)
	VMOVUPS Y3, 96(DX)
	ADDQ $128, DX
	ADDQ $32, R8
	SUBQ $4, R9
	JMP  group

dotdone:
	VZEROUPPER
	RET

// func dwDeinterleave(src, even, odd []float32)
TEXT ·dwDeinterleave(SB), NOSPLIT, $0-72
	MOVQ src_base+0(FP), SI
	MOVQ even_base+24(FP), DI
	MOVQ even_len+32(FP), CX
	MOVQ odd_base+48(FP), DX

de8:
	CMPQ    CX, $8
	JLT     detail
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VSHUFPS $0x88, Y1, Y0, Y2
	VSHUFPS $0xDD, Y1, Y0, Y3
	VPERMPD $0xD8, Y2, Y2
	VPERMPD $0xD8, Y3, Y3
	VMOVUPS Y2, (DI)
	VMOVUPS Y3, (DX)
	ADDQ    $64, SI
	ADDQ    $32, DI
	ADDQ    $32, DX
	SUBQ    $8, CX
	JMP     de8

detail:
	TESTQ CX, CX
	JEQ   dedone
	MOVL  (SI), AX
	MOVL  AX, (DI)
	MOVL  4(SI), AX
	MOVL  AX, (DX)
	ADDQ  $8, SI
	ADDQ  $4, DI
	ADDQ  $4, DX
	DECQ  CX
	JMP   detail

dedone:
	VZEROUPPER
	RET

// func dwCopyRows(dst []float32, dpitch int, src []float32, spitch int, rows, cols int)
TEXT ·dwCopyRows(SB), NOSPLIT, $0-80
	MOVQ dst_base+0(FP), DI
	MOVQ dpitch+24(FP), R8
	SHLQ $2, R8
	MOVQ src_base+32(FP), SI
	MOVQ spitch+56(FP), R9
	SHLQ $2, R9
	MOVQ rows+64(FP), R10
	MOVQ cols+72(FP), R11

crow:
	TESTQ R10, R10
	JEQ   cdone
	XORQ  CX, CX
	MOVQ  R11, R13

cvec:
	CMPQ    R13, $8
	JLT     ctail
	VMOVUPS (SI)(CX*4), Y0
	VMOVUPS Y0, (DI)(CX*4)
	ADDQ    $8, CX
	SUBQ    $8, R13
	JMP     cvec

ctail:
	TESTQ R13, R13
	JEQ   cnext
	MOVL  (SI)(CX*4), AX
	MOVL  AX, (DI)(CX*4)
	INCQ  CX
	DECQ  R13
	JMP   ctail

cnext:
	ADDQ R8, DI
	ADDQ R9, SI
	DECQ R10
	JMP  crow

cdone:
	VZEROUPPER
	RET
