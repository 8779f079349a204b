//go:build !purego

#include "textflag.h"

// func maskedCopy16(dst, src *float32, off int, masks *uint16, n int)
TEXT ·maskedCopy16(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ off+16(FP), AX
	LEAQ (SI)(AX*4), SI
	MOVQ masks+24(FP), BX
	MOVQ n+32(FP), CX

full:
	CMPQ CX, $16
	JLT tail
	KMOVW (BX), K1
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	ADDQ $2, BX
	SUBQ $16, CX
	JMP full

tail:
	TESTQ CX, CX
	JEQ done
	KMOVW (BX), K1
	MOVL $1, DX
	SHLL CX, DX
	DECL DX
	KMOVW DX, K2
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS Z0, K2, (DI)

done:
	VZEROUPPER
	RET

// func maskedAdd16(dst *float32, off int, src *float32, masks *uint16, n int)
TEXT ·maskedAdd16(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ off+8(FP), AX
	LEAQ (DI)(AX*4), DI
	MOVQ src+16(FP), SI
	MOVQ masks+24(FP), BX
	MOVQ n+32(FP), CX

addloop:
	TESTQ CX, CX
	JLE adddone
	KMOVW (BX), K1
	VMOVUPS.Z (SI), K1, Z1
	VMOVUPS.Z (DI), K1, Z0
	VADDPS Z1, Z0, Z0
	VMOVUPS Z0, K1, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	ADDQ $2, BX
	SUBQ $16, CX
	JMP addloop

adddone:
	VZEROUPPER
	RET

// func gatherMasked16(dst, src *float32, idx *int32, masks *uint16, n int)
TEXT ·gatherMasked16(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ idx+16(FP), R8
	MOVQ masks+24(FP), BX
	MOVQ n+32(FP), CX

gfull:
	CMPQ CX, $16
	JLT gtail
	KMOVW (BX), K1
	VMOVDQU32 (R8), Z1
	VPXORD Z0, Z0, Z0
	VGATHERDPS (SI)(Z1*4), K1, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, R8
	ADDQ $64, DI
	ADDQ $2, BX
	SUBQ $16, CX
	JMP gfull

gtail:
	TESTQ CX, CX
	JEQ gdone
	KMOVW (BX), K1
	VMOVDQU32 (R8), Z1
	VPXORD Z0, Z0, Z0
	VGATHERDPS (SI)(Z1*4), K1, Z0
	MOVL $1, DX
	SHLL CX, DX
	DECL DX
	KMOVW DX, K2
	VMOVUPS Z0, K2, (DI)

gdone:
	VZEROUPPER
	RET

// func scatterAddMasked16(dst *float32, idx *int32, src *float32, masks *uint16, n int)
TEXT ·scatterAddMasked16(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ idx+8(FP), R8
	MOVQ src+16(FP), SI
	MOVQ masks+24(FP), BX
	MOVQ n+32(FP), CX

sloop:
	TESTQ CX, CX
	JLE sdone
	KMOVW (BX), K1
	KMOVW (BX), K2
	VMOVDQU32 (R8), Z1
	VPXORD Z0, Z0, Z0
	VGATHERDPS (DI)(Z1*4), K1, Z0
	VMOVUPS.Z (SI), K2, Z2
	VADDPS Z2, Z0, Z0
	VSCATTERDPS Z0, K2, (DI)(Z1*4)
	ADDQ $64, R8
	ADDQ $64, SI
	ADDQ $2, BX
	SUBQ $16, CX
	JMP sloop

sdone:
	VZEROUPPER
	RET


// The indices of the even and of the odd elements of 32 (deintRows).
DATA deintIdx<>+0(SB)/4, $0
DATA deintIdx<>+4(SB)/4, $2
DATA deintIdx<>+8(SB)/4, $4
DATA deintIdx<>+12(SB)/4, $6
DATA deintIdx<>+16(SB)/4, $8
DATA deintIdx<>+20(SB)/4, $10
DATA deintIdx<>+24(SB)/4, $12
DATA deintIdx<>+28(SB)/4, $14
DATA deintIdx<>+32(SB)/4, $16
DATA deintIdx<>+36(SB)/4, $18
DATA deintIdx<>+40(SB)/4, $20
DATA deintIdx<>+44(SB)/4, $22
DATA deintIdx<>+48(SB)/4, $24
DATA deintIdx<>+52(SB)/4, $26
DATA deintIdx<>+56(SB)/4, $28
DATA deintIdx<>+60(SB)/4, $30
DATA deintIdx<>+64(SB)/4, $1
DATA deintIdx<>+68(SB)/4, $3
DATA deintIdx<>+72(SB)/4, $5
DATA deintIdx<>+76(SB)/4, $7
DATA deintIdx<>+80(SB)/4, $9
DATA deintIdx<>+84(SB)/4, $11
DATA deintIdx<>+88(SB)/4, $13
DATA deintIdx<>+92(SB)/4, $15
DATA deintIdx<>+96(SB)/4, $17
DATA deintIdx<>+100(SB)/4, $19
DATA deintIdx<>+104(SB)/4, $21
DATA deintIdx<>+108(SB)/4, $23
DATA deintIdx<>+112(SB)/4, $25
DATA deintIdx<>+116(SB)/4, $27
DATA deintIdx<>+120(SB)/4, $29
DATA deintIdx<>+124(SB)/4, $31
GLOBL deintIdx<>(SB), RODATA|NOPTR, $128

// func deintRows(even, odd *float32, dstride int, src *float32, sstride, rows, n int)
TEXT ·deintRows(SB), NOSPLIT, $0-56
	MOVQ even+0(FP), DI
	MOVQ odd+8(FP), R8
	MOVQ dstride+16(FP), R9
	SHLQ $2, R9
	MOVQ src+24(FP), SI
	MOVQ sstride+32(FP), R10
	SHLQ $2, R10
	MOVQ rows+40(FP), R11
	VMOVDQU32 deintIdx<>+0(SB), Z6
	VMOVDQU32 deintIdx<>+64(SB), Z7

drow:
	TESTQ R11, R11
	JLE ddone
	MOVQ DI, R12
	MOVQ R8, R13
	MOVQ SI, BX
	MOVQ n+48(FP), CX
	MOVL $0, -4(R12) // the row's leading zero
	TESTQ R13, R13
	JZ dloop
	MOVL $0, -4(R13)

dloop:
	CMPQ CX, $32
	JLT dtail
	VMOVUPS (BX), Z0
	VMOVUPS 64(BX), Z1
	VMOVDQA32 Z6, Z2
	VPERMI2PS Z1, Z0, Z2
	VMOVUPS Z2, (R12)
	ADDQ $64, R12
	TESTQ R13, R13
	JZ dnext
	VMOVDQA32 Z7, Z3
	VPERMI2PS Z1, Z0, Z3
	VMOVUPS Z3, (R13)
	ADDQ $64, R13

dnext:
	ADDQ $128, BX
	SUBQ $32, CX
	JMP dloop

dtail:
	TESTQ CX, CX
	JLE drowend
	MOVQ $1, DX
	SHLXQ CX, DX, DX
	DECQ DX
	KMOVW DX, K1
	VMOVUPS.Z (BX), K1, Z0
	VPXORD Z1, Z1, Z1
	CMPQ CX, $16
	JLE dtail1
	SHRQ $16, DX
	KMOVW DX, K2
	VMOVUPS.Z 64(BX), K2, Z1

dtail1:
	MOVQ CX, AX
	INCQ AX
	SHRQ $1, AX
	MOVQ $1, DX
	SHLXQ AX, DX, DX
	DECQ DX
	KMOVW DX, K3
	VMOVDQA32 Z6, Z2
	VPERMI2PS Z1, Z0, Z2
	VMOVUPS Z2, K3, (R12)
	TESTQ R13, R13
	JZ drowend
	MOVQ CX, AX
	SHRQ $1, AX
	MOVQ $1, DX
	SHLXQ AX, DX, DX
	DECQ DX
	KMOVW DX, K3
	VMOVDQA32 Z7, Z3
	VPERMI2PS Z1, Z0, Z3
	VMOVUPS Z3, K3, (R13)

drowend:
	ADDQ R9, DI
	TESTQ R8, R8
	JZ drownext
	ADDQ R9, R8

drownext:
	ADDQ R10, SI
	DECQ R11
	JMP drow

ddone:
	VZEROUPPER
	RET

// The indices interleaving two vectors of 16: the first 8 of each, then
// the last 8 of each (intRows).
DATA intIdx<>+0(SB)/4, $0
DATA intIdx<>+4(SB)/4, $16
DATA intIdx<>+8(SB)/4, $1
DATA intIdx<>+12(SB)/4, $17
DATA intIdx<>+16(SB)/4, $2
DATA intIdx<>+20(SB)/4, $18
DATA intIdx<>+24(SB)/4, $3
DATA intIdx<>+28(SB)/4, $19
DATA intIdx<>+32(SB)/4, $4
DATA intIdx<>+36(SB)/4, $20
DATA intIdx<>+40(SB)/4, $5
DATA intIdx<>+44(SB)/4, $21
DATA intIdx<>+48(SB)/4, $6
DATA intIdx<>+52(SB)/4, $22
DATA intIdx<>+56(SB)/4, $7
DATA intIdx<>+60(SB)/4, $23
DATA intIdx<>+64(SB)/4, $8
DATA intIdx<>+68(SB)/4, $24
DATA intIdx<>+72(SB)/4, $9
DATA intIdx<>+76(SB)/4, $25
DATA intIdx<>+80(SB)/4, $10
DATA intIdx<>+84(SB)/4, $26
DATA intIdx<>+88(SB)/4, $11
DATA intIdx<>+92(SB)/4, $27
DATA intIdx<>+96(SB)/4, $12
DATA intIdx<>+100(SB)/4, $28
DATA intIdx<>+104(SB)/4, $13
DATA intIdx<>+108(SB)/4, $29
DATA intIdx<>+112(SB)/4, $14
DATA intIdx<>+116(SB)/4, $30
DATA intIdx<>+120(SB)/4, $15
DATA intIdx<>+124(SB)/4, $31
GLOBL intIdx<>(SB), RODATA|NOPTR, $128

// func intRows(dst *float32, dstride int, even, odd *float32, sstride, rows, n int, add bool)
TEXT ·intRows(SB), NOSPLIT, $0-57
	MOVQ dst+0(FP), DI
	MOVQ dstride+8(FP), R8
	SHLQ $2, R8
	MOVQ even+16(FP), SI
	MOVQ odd+24(FP), R9
	MOVQ sstride+32(FP), R10
	SHLQ $2, R10
	MOVQ rows+40(FP), R11
	VMOVDQU32 intIdx<>+0(SB), Z6
	VMOVDQU32 intIdx<>+64(SB), Z7
	MOVL $0xFFFF, AX
	TESTQ R9, R9
	JNZ imask
	MOVL $0x5555, AX // no odd values: the even lanes alone

imask:
	KMOVW AX, K4
	MOVBLZX add+56(FP), AX
	NEGL AX
	KMOVW AX, K5 // all lanes when adding, else none: dst is read as zeros

irow:
	TESTQ R11, R11
	JLE idone
	MOVQ DI, BX
	MOVQ SI, R12
	MOVQ R9, R13
	MOVQ n+48(FP), CX

iloop:
	CMPQ CX, $32
	JLT itail
	VMOVUPS (R12), Z0
	VPXORD Z1, Z1, Z1
	TESTQ R13, R13
	JZ i1
	VMOVUPS (R13), Z1
	ADDQ $64, R13

i1:
	VMOVDQA32 Z6, Z2
	VPERMI2PS Z1, Z0, Z2
	VMOVDQA32 Z7, Z3
	VPERMI2PS Z1, Z0, Z3
	KMOVW K4, K1
	KMOVW K4, K2
	KANDW K5, K1, K6
	KANDW K5, K2, K7
	VMOVUPS.Z (BX), K6, Z4
	VMOVUPS.Z 64(BX), K7, Z5
	VADDPS Z4, Z2, Z2
	VADDPS Z5, Z3, Z3
	VMOVUPS Z2, K1, (BX)
	VMOVUPS Z3, K2, 64(BX)
	ADDQ $64, R12
	ADDQ $128, BX
	SUBQ $32, CX
	JMP iloop

itail:
	TESTQ CX, CX
	JLE irowend
	MOVQ CX, AX
	INCQ AX
	SHRQ $1, AX
	MOVQ $1, DX
	SHLXQ AX, DX, DX
	DECQ DX
	KMOVW DX, K1
	VMOVUPS.Z (R12), K1, Z0
	VPXORD Z1, Z1, Z1
	TESTQ R13, R13
	JZ i2
	MOVQ CX, AX
	SHRQ $1, AX
	MOVQ $1, DX
	SHLXQ AX, DX, DX
	DECQ DX
	KMOVW DX, K1
	VMOVUPS.Z (R13), K1, Z1

i2:
	VMOVDQA32 Z6, Z2
	VPERMI2PS Z1, Z0, Z2
	VMOVDQA32 Z7, Z3
	VPERMI2PS Z1, Z0, Z3
	MOVQ $1, DX
	SHLXQ CX, DX, DX
	DECQ DX
	KMOVW DX, K1
	SHRQ $16, DX
	KMOVW DX, K2
	KANDW K4, K1, K1
	KANDW K4, K2, K2
	KANDW K5, K1, K6
	KANDW K5, K2, K7
	VMOVUPS.Z (BX), K6, Z4
	VMOVUPS.Z 64(BX), K7, Z5
	VADDPS Z4, Z2, Z2
	VADDPS Z5, Z3, Z3
	VMOVUPS Z2, K1, (BX)
	VMOVUPS Z3, K2, 64(BX)

irowend:
	ADDQ R8, DI
	ADDQ R10, SI
	TESTQ R9, R9
	JZ irownext
	ADDQ R10, R9

irownext:
	DECQ R11
	JMP irow

idone:
	VZEROUPPER
	RET

// func copyRows(dst *float32, dstride int, src *float32, sstride, rows, n int, add, lead bool)
TEXT ·copyRows(SB), NOSPLIT, $0-50
	MOVQ dst+0(FP), DI
	MOVQ dstride+8(FP), R8
	SHLQ $2, R8
	MOVQ src+16(FP), SI
	MOVQ sstride+24(FP), R10
	SHLQ $2, R10
	MOVQ rows+32(FP), R11
	MOVBLZX add+48(FP), AX
	MOVBLZX lead+49(FP), R9

crow:
	TESTQ R11, R11
	JLE cdone
	MOVQ DI, BX
	MOVQ SI, R12
	MOVQ n+40(FP), CX
	TESTQ R9, R9
	JZ cloop
	MOVL $0, -4(BX) // the row's leading zero

cloop:
	CMPQ CX, $16
	JLT ctail
	VMOVUPS (R12), Z0
	TESTQ AX, AX
	JZ cstore
	VADDPS (BX), Z0, Z0

cstore:
	VMOVUPS Z0, (BX)
	ADDQ $64, R12
	ADDQ $64, BX
	SUBQ $16, CX
	JMP cloop

ctail:
	TESTQ CX, CX
	JLE crowend
	MOVL $1, DX
	SHLL CX, DX
	DECL DX
	KMOVW DX, K1
	VMOVUPS.Z (R12), K1, Z0
	TESTQ AX, AX
	JZ ctstore
	VMOVUPS.Z (BX), K1, Z1
	VADDPS Z1, Z0, Z0

ctstore:
	VMOVUPS Z0, K1, (BX)

crowend:
	ADDQ R8, DI
	ADDQ R10, SI
	DECQ R11
	JMP crow

cdone:
	VZEROUPPER
	RET
