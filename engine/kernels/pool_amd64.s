//go:build !purego

#include "textflag.h"

// func vecPartials8(s []float32, acc *[8]float32)
TEXT ·vecPartials8(SB), NOSPLIT, $0-32
	MOVQ s_base+0(FP), SI
	MOVQ s_len+8(FP), CX
	MOVQ acc+24(FP), DI
	VXORPS Y0, Y0, Y0
	SHRQ $3, CX
	JEQ pdone
ploop:
	VADDPS (SI), Y0, Y0
	ADDQ $32, SI
	DECQ CX
	JNE ploop
pdone:
	VMOVUPS Y0, (DI)
	VZEROUPPER
	RET
