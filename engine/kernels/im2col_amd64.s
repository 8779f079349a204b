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
