//go:build !purego

#include "textflag.h"

// AVX2+FMA kernels for elementwise.go, softmax.go and norm.go. Every
// kernel walks its slices 8 float32 lanes at a time and finishes the last
// len%8 elements with one masked step (VMASKMOVPS), so each element gets
// the same instructions wherever a slice starts or ends: elementwise
// results do not depend on how the caller splits the work. Row sums keep
// lane-partial sums and combine them in the fixed tree of HSUM, so their
// order depends only on the length.
//
// Register use: Y0 is the element (input and result), Y1-Y11 scratch,
// Y12 the second stream (dy), Y13 the accumulated stream (dx) or a row
// accumulator, Y14 a broadcast scalar, Y15 the tail mask.

// CONST8 defines sym<> as eight copies of the 32-bit pattern bits.
#define CONST8(sym, bits) \
	DATA sym<>+0(SB)/4, bits; \
	DATA sym<>+4(SB)/4, bits; \
	DATA sym<>+8(SB)/4, bits; \
	DATA sym<>+12(SB)/4, bits; \
	DATA sym<>+16(SB)/4, bits; \
	DATA sym<>+20(SB)/4, bits; \
	DATA sym<>+24(SB)/4, bits; \
	DATA sym<>+28(SB)/4, bits; \
	GLOBL sym<>(SB), RODATA|NOPTR, $32

CONST8(vecSignMask, $0x80000000)
CONST8(vecAbsMask, $0x7fffffff)
CONST8(vecNegInf, $0xff800000)
CONST8(vecI127, $0x0000007f)
CONST8(vecOne, $0x3f800000) // 1
CONST8(vecHalf, $0x3f000000) // 0.5
CONST8(vecThree, $0x40400000) // 3
CONST8(vecNegThree, $0xc0400000) // -3
CONST8(vecSix, $0x40c00000) // 6
CONST8(vecSixth, $0x3e2aaaab) // 0.16666667
CONST8(vecExpHi, $0x42b20000) // 89
CONST8(vecExpLo, $0xc2e60000) // -115
CONST8(vecLog2e, $0x3fb8aa3b) // 1.442695
CONST8(vecLn2Hi, $0x3f318000) // 0.6933594
CONST8(vecLn2Lo, $0xb95e8083) // -0.00021219444
CONST8(vecExpP0, $0x39506967) // 0.00019875691
CONST8(vecExpP1, $0x3ab743ce) // 0.0013981999
CONST8(vecExpP2, $0x3c088908) // 0.008333452
CONST8(vecExpP3, $0x3d2aa9c1) // 0.041665796
CONST8(vecExpP4, $0x3e2aaaaa) // 0.16666666
CONST8(vecExpP5, $0x3f000000) // 0.5
CONST8(vecTanhThr, $0x3f200000) // 0.625
CONST8(vecTanhP0, $0xbbbaf0ea) // -0.0057049887
CONST8(vecTanhP1, $0x3ca9134e) // 0.020639088
CONST8(vecTanhP2, $0xbd5c1e2d) // -0.053739715
CONST8(vecTanhP3, $0x3e088393) // 0.13331442
CONST8(vecTanhP4, $0xbeaaaa99) // -0.3333328
CONST8(vecInvSqrt2, $0x3f3504f3) // 0.70710677
CONST8(vecInvSqrt2Pi, $0x3ecc422a) // 0.3989423
CONST8(vecErfcMax, $0x41280000) // 10.5
CONST8(vecBig, $0x7149f2ca) // 1e30
CONST8(vecGeluXMax, $0x416d967f) // 14.849242 = 10.5·√2
CONST8(vecGeluB, $0x3f4c422a) // 0.7978846
CONST8(vecGeluB3K, $0x3ddb33b6) // 0.107032225
CONST8(vecGelu2B, $0x3fcc422a) // 1.5957692
CONST8(vecGelu2BK, $0x3d922279) // 0.071354814
CONST8(vecErfA0, $0x3e0375d4) // 0.12837917
CONST8(vecErfA1, $0xbec0939f) // -0.37612626
CONST8(vecErfA2, $0x3de7167c) // 0.112835854
CONST8(vecErfA3, $0xbcdbfc91) // -0.026853831
CONST8(vecErfA4, $0x3baa031f) // 0.0051883603
CONST8(vecErfA5, $0xba51fd46) // -0.0008010458
CONST8(vecErfA6, $0x38a4b97d) // 7.854679e-05
CONST8(vecErfB0, $0x3f106fca) // 0.56420577
CONST8(vecErfB1, $0xba1a867e) // -0.00058946747
CONST8(vecErfB2, $0xbe8bd899) // -0.27313688
CONST8(vecErfB3, $0xbd98740a) // -0.07444008
CONST8(vecErfB4, $0x3f4acb48) // 0.7921643
CONST8(vecErfB5, $0xbf8b2020) // -1.0869179
CONST8(vecErfB6, $0x3f0a1d04) // 0.53950524
CONST8(vecErfB7, $0x3e848842) // 0.25885206
CONST8(vecErfB8, $0xbf049182) // -0.5178453
CONST8(vecErfB9, $0x3e909061) // 0.28235152
CONST8(vecErfB10, $0xbd67b190) // -0.05656582

// vecMaskTab is eight all-ones lanes then eight zero lanes: the 32 bytes
// at vecMaskTab+32-4r enable the first r lanes.
DATA vecMaskTab<>+0(SB)/8, $-1
DATA vecMaskTab<>+8(SB)/8, $-1
DATA vecMaskTab<>+16(SB)/8, $-1
DATA vecMaskTab<>+24(SB)/8, $-1
DATA vecMaskTab<>+32(SB)/8, $0
DATA vecMaskTab<>+40(SB)/8, $0
DATA vecMaskTab<>+48(SB)/8, $0
DATA vecMaskTab<>+56(SB)/8, $0
GLOBL vecMaskTab<>(SB), RODATA|NOPTR, $64

// TAILMASK sets Y15 to enable the first CX (1..7) lanes; clobbers AX, CX.
#define TAILMASK \
	LEAQ vecMaskTab<>+32(SB), AX; \
	SHLQ $2, CX; \
	SUBQ CX, AX; \
	VMOVUPS (AX), Y15

// HSUM leaves in the low lane of X(R) the sum of the eight lanes of Y(R) in
// a fixed tree, ((l0+l4)+(l2+l6)) + ((l1+l5)+(l3+l7)); clobbers X(T).
#define HSUM(Y, X, T) \
	VEXTRACTF128 $1, Y, T; \
	VADDPS T, X, X; \
	VPERMILPS $0x4e, X, T; \
	VADDPS T, X, X; \
	VPERMILPS $0xb1, X, T; \
	VADDPS T, X, X

// EXP2 computes exp(X) as the product of two factors, T2 = p·2^(n>>1) and
// T1 = 2^(n-(n>>1)): clamp X to [-115, 89] (NaN passes through
// VMINPS/VMAXPS as the second source), n = round(X·log2 e), r = X - n·ln2
// in two FMA steps (Cephes' C1 + C2), p = e^r by Cephes' expf polynomial.
// Both factors are normal numbers, so T2·T1 rounds once even when the
// result is subnormal, underflows to 0 below -103.98 and overflows to +Inf
// at 2^128; a caller can fold a multiplier into T2 first (x·e^x stays
// accurate where e^x alone would be subnormal). Clobbers X, T3.
#define EXP2(X, T1, T2, T3) \
	VMOVUPS vecExpHi<>(SB), T1; \
	VMINPS X, T1, X; \
	VMOVUPS vecExpLo<>(SB), T1; \
	VMAXPS X, T1, X; \
	VMULPS vecLog2e<>(SB), X, T1; \
	VROUNDPS $0, T1, T1; \
	VFNMADD231PS vecLn2Hi<>(SB), T1, X; \
	VFNMADD231PS vecLn2Lo<>(SB), T1, X; \
	VMOVUPS vecExpP0<>(SB), T2; \
	VFMADD213PS vecExpP1<>(SB), X, T2; \
	VFMADD213PS vecExpP2<>(SB), X, T2; \
	VFMADD213PS vecExpP3<>(SB), X, T2; \
	VFMADD213PS vecExpP4<>(SB), X, T2; \
	VFMADD213PS vecExpP5<>(SB), X, T2; \
	VMULPS X, X, T3; \
	VFMADD213PS X, T3, T2; \
	VADDPS vecOne<>(SB), T2, T2; \
	VCVTPS2DQ T1, T1; \
	VPSRAD $1, T1, T3; \
	VPSUBD T3, T1, T1; \
	VPADDD vecI127<>(SB), T3, T3; \
	VPADDD vecI127<>(SB), T1, T1; \
	VPSLLD $23, T3, T3; \
	VPSLLD $23, T1, T1; \
	VMULPS T3, T2, T2

// EXP sets X = exp(X) (float32, within 1 ulp); clobbers T1, T2, T3.
#define EXP(X, T1, T2, T3) \
	EXP2(X, T1, T2, T3); \
	VMULPS T1, T2, X

// ERFPOLY sets, for z = Y0 (kept), Y5 = |z| and Y6 = erf(z) = z + z·A(z²)
// (odd minimax polynomial fitted for |z| < 1, max error 1 ulp). Clobbers Y1.
#define ERFPOLY \
	VANDPS vecAbsMask<>(SB), Y0, Y5; \
	VMULPS Y0, Y0, Y1; \
	VMOVUPS vecErfA6<>(SB), Y6; \
	VFMADD213PS vecErfA5<>(SB), Y1, Y6; \
	VFMADD213PS vecErfA4<>(SB), Y1, Y6; \
	VFMADD213PS vecErfA3<>(SB), Y1, Y6; \
	VFMADD213PS vecErfA2<>(SB), Y1, Y6; \
	VFMADD213PS vecErfA1<>(SB), Y1, Y6; \
	VFMADD213PS vecErfA0<>(SB), Y1, Y6; \
	VFMADD213PS Y0, Y0, Y6

// ERFSQ sets Y8 = hi and Y4 = lo with hi + lo = W² exactly (W = Y(W), an
// FMA gives lo), for W = min(|z|, 10.5) = Y9.
#define ERFSQ(W) \
	VMULPS W, W, Y8; \
	VMOVUPS Y8, Y4; \
	VFMSUB231PS W, W, Y4

// ERFTAIL takes Y5 = |z|, Y9 = b = min(|z|, 10.5) and b² = Y8 + Y4, and sets
//	Y8 = e^{-b²} (as e^{-hi}·(1 - lo))
//	Y7 = erfc(b) = e^{-b²}·u·B(u), u = 1/b (B fitted for 1 <= b <= 10.5,
//	     within 5 ulps; beyond 10.5, e^{-b²} is 0)
//	Y5 = mask |z| < 1, where Y6 is to be used instead of 1 - Y7.
// Clobbers Y1-Y3.
#define ERFTAIL \
	VXORPS vecSignMask<>(SB), Y8, Y8; \
	EXP(Y8, Y1, Y2, Y3); \
	VFNMADD231PS Y4, Y8, Y8; \
	VMOVUPS vecOne<>(SB), Y1; \
	VDIVPS Y9, Y1, Y1; \
	VMOVUPS vecErfB10<>(SB), Y7; \
	VFMADD213PS vecErfB9<>(SB), Y1, Y7; \
	VFMADD213PS vecErfB8<>(SB), Y1, Y7; \
	VFMADD213PS vecErfB7<>(SB), Y1, Y7; \
	VFMADD213PS vecErfB6<>(SB), Y1, Y7; \
	VFMADD213PS vecErfB5<>(SB), Y1, Y7; \
	VFMADD213PS vecErfB4<>(SB), Y1, Y7; \
	VFMADD213PS vecErfB3<>(SB), Y1, Y7; \
	VFMADD213PS vecErfB2<>(SB), Y1, Y7; \
	VFMADD213PS vecErfB1<>(SB), Y1, Y7; \
	VFMADD213PS vecErfB0<>(SB), Y1, Y7; \
	VMULPS Y1, Y7, Y7; \
	VMULPS Y8, Y7, Y7; \
	VCMPPS $1, vecOne<>(SB), Y5, Y5

// ERFPARTS is ERFPOLY and ERFTAIL for erf(z), z = Y0. Clobbers Y1-Y4, Y9.
#define ERFPARTS \
	ERFPOLY; \
	VMOVUPS vecErfcMax<>(SB), Y9; \
	VMINPS Y5, Y9, Y9; \
	ERFSQ(Y9); \
	ERFTAIL

// GELUPARTS is ERFPARTS for z = x/√2 with x = Y10: b² = x²/2 is formed
// from x (hi and lo of x², halved exactly), not from the rounded z, so that
// e^{-b²} keeps its relative accuracy in GELU's tail. Sets Y0 = z.
// Clobbers Y1-Y4, Y9.
#define GELUPARTS \
	VMULPS vecInvSqrt2<>(SB), Y10, Y0; \
	ERFPOLY; \
	VANDPS vecAbsMask<>(SB), Y10, Y9; \
	VMINPS vecGeluXMax<>(SB), Y9, Y9; \
	ERFSQ(Y9); \
	VMULPS vecHalf<>(SB), Y8, Y8; \
	VMULPS vecHalf<>(SB), Y4, Y4; \
	VMOVUPS vecErfcMax<>(SB), Y9; \
	VMINPS Y5, Y9, Y9; \
	ERFTAIL

// SIGPARTS sets Y4 = e = exp(-|Y(Z)|) and Y1 = 1 + e; clobbers Y2, Y3.
#define SIGPARTS(Z) \
	VORPS vecSignMask<>(SB), Z, Y4; \
	EXP(Y4, Y1, Y2, Y3); \
	VADDPS vecOne<>(SB), Y4, Y1

// XSIGPARTS sets, for the exponent argument Z and the multiplier Y0,
// Y4 = e = exp(-|Z|), Y1 = 1 + e and Y5 = Y0·e rounded once (see EXP2;
// Y0·0 where -|Z| is below EXP2's clamp, so huge multipliers give 0 and
// infinite ones NaN, as in float64); clobbers Y2, Y3, Y8, Y9.
#define XSIGPARTS(Z) \
	VORPS vecSignMask<>(SB), Z, Y4; \
	VCMPPS $1, vecExpLo<>(SB), Y4, Y8; \
	EXP2(Y4, Y1, Y2, Y3); \
	VMULPS Y0, Y2, Y5; \
	VMULPS Y1, Y5, Y5; \
	VXORPS Y9, Y9, Y9; \
	VMULPS Y9, Y0, Y9; \
	VBLENDVPS Y8, Y9, Y5, Y5; \
	VMULPS Y1, Y2, Y4; \
	VADDPS vecOne<>(SB), Y4, Y1

// ---- loop templates ----

// MAP runs BODY (Y0 -> Y0) over func(dst, x []float32), len(x) elements.
#define MAP(BODY) \
	MOVQ dst_base+0(FP), DI; \
	MOVQ x_base+24(FP), SI; \
	MOVQ x_len+32(FP), CX; \
loop: \
	CMPQ CX, $8; \
	JLT tail; \
	VMOVUPS (SI), Y0; \
	BODY; \
	VMOVUPS Y0, (DI); \
	ADDQ $32, SI; \
	ADDQ $32, DI; \
	SUBQ $8, CX; \
	JMP loop; \
tail: \
	TESTQ CX, CX; \
	JEQ done; \
	TAILMASK; \
	VMASKMOVPS (SI), Y15, Y0; \
	BODY; \
	VMASKMOVPS Y0, Y15, (DI); \
done: \
	VZEROUPPER; \
	RET

// BACK runs BODY over func(dx, dy, a []float32), len(dy) elements, with
// Y0 = a, Y12 = dy and Y13 = dx, storing Y13 back to dx.
#define BACK(BODY) \
	MOVQ dx_base+0(FP), DI; \
	MOVQ dy_base+24(FP), SI; \
	MOVQ dy_len+32(FP), CX; \
	MOVQ a_base+48(FP), DX; \
loop: \
	CMPQ CX, $8; \
	JLT tail; \
	VMOVUPS (DX), Y0; \
	VMOVUPS (SI), Y12; \
	VMOVUPS (DI), Y13; \
	BODY; \
	VMOVUPS Y13, (DI); \
	ADDQ $32, SI; \
	ADDQ $32, DI; \
	ADDQ $32, DX; \
	SUBQ $8, CX; \
	JMP loop; \
tail: \
	TESTQ CX, CX; \
	JEQ done; \
	TAILMASK; \
	VMASKMOVPS (DX), Y15, Y0; \
	VMASKMOVPS (SI), Y15, Y12; \
	VMASKMOVPS (DI), Y15, Y13; \
	BODY; \
	VMASKMOVPS Y13, Y15, (DI); \
done: \
	VZEROUPPER; \
	RET

// BACKSET is BACK for a BODY that sets Y13 without reading it: dx is only
// written.
#define BACKSET(BODY) \
	MOVQ dx_base+0(FP), DI; \
	MOVQ dy_base+24(FP), SI; \
	MOVQ dy_len+32(FP), CX; \
	MOVQ a_base+48(FP), DX; \
loop: \
	CMPQ CX, $8; \
	JLT tail; \
	VMOVUPS (DX), Y0; \
	VMOVUPS (SI), Y12; \
	BODY; \
	VMOVUPS Y13, (DI); \
	ADDQ $32, SI; \
	ADDQ $32, DI; \
	ADDQ $32, DX; \
	SUBQ $8, CX; \
	JMP loop; \
tail: \
	TESTQ CX, CX; \
	JEQ done; \
	TAILMASK; \
	VMASKMOVPS (DX), Y15, Y0; \
	VMASKMOVPS (SI), Y15, Y12; \
	BODY; \
	VMASKMOVPS Y13, Y15, (DI); \
done: \
	VZEROUPPER; \
	RET

// MAP3 runs BODY over func(dst, a, b []float32), len(a) elements, with
// Y0 = a, Y12 = b, storing Y0 to dst.
#define MAP3(BODY) \
	MOVQ dst_base+0(FP), DI; \
	MOVQ a_base+24(FP), SI; \
	MOVQ a_len+32(FP), CX; \
	MOVQ b_base+48(FP), DX; \
loop: \
	CMPQ CX, $8; \
	JLT tail; \
	VMOVUPS (SI), Y0; \
	VMOVUPS (DX), Y12; \
	BODY; \
	VMOVUPS Y0, (DI); \
	ADDQ $32, SI; \
	ADDQ $32, DI; \
	ADDQ $32, DX; \
	SUBQ $8, CX; \
	JMP loop; \
tail: \
	TESTQ CX, CX; \
	JEQ done; \
	TAILMASK; \
	VMASKMOVPS (SI), Y15, Y0; \
	VMASKMOVPS (DX), Y15, Y12; \
	BODY; \
	VMASKMOVPS Y0, Y15, (DI); \
done: \
	VZEROUPPER; \
	RET

// MAP4 runs BODY over func(dst, a, b, c []float32), len(a) elements, with
// Y0 = a, Y12 = b, Y13 = c, storing Y0 to dst.
#define MAP4(BODY) \
	MOVQ dst_base+0(FP), DI; \
	MOVQ a_base+24(FP), SI; \
	MOVQ a_len+32(FP), CX; \
	MOVQ b_base+48(FP), DX; \
	MOVQ c_base+72(FP), R8; \
loop: \
	CMPQ CX, $8; \
	JLT tail; \
	VMOVUPS (SI), Y0; \
	VMOVUPS (DX), Y12; \
	VMOVUPS (R8), Y13; \
	BODY; \
	VMOVUPS Y0, (DI); \
	ADDQ $32, SI; \
	ADDQ $32, DI; \
	ADDQ $32, DX; \
	ADDQ $32, R8; \
	SUBQ $8, CX; \
	JMP loop; \
tail: \
	TESTQ CX, CX; \
	JEQ done; \
	TAILMASK; \
	VMASKMOVPS (SI), Y15, Y0; \
	VMASKMOVPS (DX), Y15, Y12; \
	VMASKMOVPS (R8), Y15, Y13; \
	BODY; \
	VMASKMOVPS Y0, Y15, (DI); \
done: \
	VZEROUPPER; \
	RET

// ACC runs BODY over func(dx, x []float32), len(x) elements, with Y0 = x
// and Y13 = dx, storing Y13 back to dx.
#define ACC(BODY) \
	MOVQ dx_base+0(FP), DI; \
	MOVQ x_base+24(FP), SI; \
	MOVQ x_len+32(FP), CX; \
loop: \
	CMPQ CX, $8; \
	JLT tail; \
	VMOVUPS (SI), Y0; \
	VMOVUPS (DI), Y13; \
	BODY; \
	VMOVUPS Y13, (DI); \
	ADDQ $32, SI; \
	ADDQ $32, DI; \
	SUBQ $8, CX; \
	JMP loop; \
tail: \
	TESTQ CX, CX; \
	JEQ done; \
	TAILMASK; \
	VMASKMOVPS (SI), Y15, Y0; \
	VMASKMOVPS (DI), Y15, Y13; \
	BODY; \
	VMASKMOVPS Y13, Y15, (DI); \
done: \
	VZEROUPPER; \
	RET

// ---- forward elementwise ----

#define EXP_BODY EXP(Y0, Y1, Y2, Y3)

// func vecExp(dst, x []float32)
TEXT ·vecExp(SB), NOSPLIT, $0-48
	MAP(EXP_BODY)

// sigmoid(x) = (x < 0 ? e : 1) / (1 + e), e = exp(-|x|).
#define SIGMOID_BODY \
	SIGPARTS(Y0); \
	VMOVUPS vecOne<>(SB), Y2; \
	VBLENDVPS Y0, Y4, Y2, Y2; \
	VDIVPS Y1, Y2, Y0

// func vecSigmoid(dst, x []float32)
TEXT ·vecSigmoid(SB), NOSPLIT, $0-48
	MAP(SIGMOID_BODY)

// silu(x) = (x < 0 ? x·e : x) / (1 + e), e = exp(-|x|).
#define SILU_BODY \
	XSIGPARTS(Y0); \
	VBLENDVPS Y0, Y5, Y0, Y2; \
	VDIVPS Y1, Y2, Y0

// func vecSiLU(dst, x []float32)
TEXT ·vecSiLU(SB), NOSPLIT, $0-48
	MAP(SILU_BODY)

// tanh(x): for |x| < 0.625 Cephes' tanhf polynomial x + x³·P(x²); else
// sign(x)·(1-e)/(1+e) with e = exp(-2|x|), which cannot overflow.
#define TANH_BODY \
	VANDPS vecAbsMask<>(SB), Y0, Y5; \
	VADDPS Y5, Y5, Y4; \
	VXORPS vecSignMask<>(SB), Y4, Y4; \
	EXP(Y4, Y1, Y2, Y3); \
	VMOVUPS vecOne<>(SB), Y1; \
	VSUBPS Y4, Y1, Y2; \
	VADDPS Y1, Y4, Y1; \
	VDIVPS Y1, Y2, Y4; \
	VMULPS Y0, Y0, Y1; \
	VMOVUPS vecTanhP0<>(SB), Y2; \
	VFMADD213PS vecTanhP1<>(SB), Y1, Y2; \
	VFMADD213PS vecTanhP2<>(SB), Y1, Y2; \
	VFMADD213PS vecTanhP3<>(SB), Y1, Y2; \
	VFMADD213PS vecTanhP4<>(SB), Y1, Y2; \
	VMULPS Y1, Y2, Y2; \
	VFMADD213PS Y0, Y0, Y2; \
	VANDPS vecSignMask<>(SB), Y0, Y1; \
	VORPS Y1, Y4, Y4; \
	VCMPPS $1, vecTanhThr<>(SB), Y5, Y5; \
	VBLENDVPS Y5, Y2, Y4, Y0

// func vecTanh(dst, x []float32)
TEXT ·vecTanh(SB), NOSPLIT, $0-48
	MAP(TANH_BODY)

// erf(z) = |z| < 1 ? Y6 : sign(z)·(1 - erfc(|z|)).
#define ERF_BODY \
	ERFPARTS; \
	VMOVUPS vecOne<>(SB), Y1; \
	VSUBPS Y7, Y1, Y1; \
	VANDPS vecSignMask<>(SB), Y0, Y2; \
	VORPS Y2, Y1, Y1; \
	VBLENDVPS Y5, Y6, Y1, Y0

// func vecErf(dst, x []float32)
TEXT ·vecErf(SB), NOSPLIT, $0-48
	MAP(ERF_BODY)

// gelu(x) = x·Φ(x), z = x/√2: for |z| < 1, x/2 + x/2·erf(z) (one FMA);
// else x·Φ with Φ = erfc(|z|)/2 for x < 0 and 1 - erfc(z)/2 for x >= 0,
// so the negative tail keeps its relative accuracy.
#define GELU_BODY \
	VMOVUPS Y0, Y10; \
	GELUPARTS; \
	VMULPS vecHalf<>(SB), Y10, Y11; \
	VFMADD213PS Y11, Y11, Y6; \
	VMULPS vecHalf<>(SB), Y7, Y7; \
	VMOVUPS vecOne<>(SB), Y1; \
	VSUBPS Y7, Y1, Y1; \
	VBLENDVPS Y10, Y7, Y1, Y1; \
	VMULPS Y10, Y1, Y1; \
	VBLENDVPS Y5, Y6, Y1, Y0

// func vecGELU(dst, x []float32)
TEXT ·vecGELU(SB), NOSPLIT, $0-48
	MAP(GELU_BODY)

// gelu_tanh(x) = x/2·(1 + tanh(u)) = x·sigmoid(2u), 2u = x·(2β + 2βκ·x²),
// as silu with the multiplier x.
#define GELUTANH_BODY \
	VMULPS Y0, Y0, Y1; \
	VMOVUPS vecGelu2BK<>(SB), Y2; \
	VFMADD213PS vecGelu2B<>(SB), Y1, Y2; \
	VMULPS Y0, Y2, Y6; \
	XSIGPARTS(Y6); \
	VBLENDVPS Y6, Y5, Y0, Y2; \
	VDIVPS Y1, Y2, Y0

// func vecGELUTanh(dst, x []float32)
TEXT ·vecGELUTanh(SB), NOSPLIT, $0-48
	MAP(GELUTANH_BODY)

// hardsigmoid(x) = min(max(x+3, 0), 6) / 6, NaN kept (x is the second
// source of VMAXPS and VMINPS).
#define HARDSIG_CORE \
	VXORPS Y1, Y1, Y1; \
	VADDPS vecThree<>(SB), Y0, Y2; \
	VMAXPS Y2, Y1, Y2; \
	VMOVUPS vecSix<>(SB), Y3; \
	VMINPS Y2, Y3, Y2

#define HARDSIG_BODY \
	HARDSIG_CORE; \
	VDIVPS vecSix<>(SB), Y2, Y0

// func vecHardSigmoid(dst, x []float32)
TEXT ·vecHardSigmoid(SB), NOSPLIT, $0-48
	MAP(HARDSIG_BODY)

// hardswish(x) = x·min(max(x+3, 0), 6) / 6, in PyTorch's order.
#define HARDSWISH_BODY \
	HARDSIG_CORE; \
	VMULPS Y2, Y0, Y0; \
	VDIVPS vecSix<>(SB), Y0, Y0

// func vecHardSwish(dst, x []float32)
TEXT ·vecHardSwish(SB), NOSPLIT, $0-48
	MAP(HARDSWISH_BODY)

// relu(x) = max(x, 0) + 0: NaN kept, and -0 + 0 = +0 as Go's max gives.
#define RELU_BODY \
	VXORPS Y1, Y1, Y1; \
	VMAXPS Y0, Y1, Y0; \
	VADDPS Y1, Y0, Y0

// func vecReLU(dst, x []float32)
TEXT ·vecReLU(SB), NOSPLIT, $0-48
	MAP(RELU_BODY)

#define RELU6_BODY \
	VXORPS Y1, Y1, Y1; \
	VMAXPS Y0, Y1, Y0; \
	VMOVUPS vecSix<>(SB), Y2; \
	VMINPS Y0, Y2, Y0; \
	VADDPS Y1, Y0, Y0

// func vecReLU6(dst, x []float32)
TEXT ·vecReLU6(SB), NOSPLIT, $0-48
	MAP(RELU6_BODY)

// ---- backward elementwise: dx += dy · f'(a) ----

// func vecExpBack(dx, dy, a []float32)
TEXT ·vecExpBack(SB), NOSPLIT, $0-72
#define EXPBACK_BODY VFMADD231PS Y0, Y12, Y13
	BACK(EXPBACK_BODY)

// dx += (dy·(1-y))·y
#define SIGMOIDBACK_BODY \
	VMOVUPS vecOne<>(SB), Y1; \
	VSUBPS Y0, Y1, Y1; \
	VMULPS Y12, Y1, Y1; \
	VFMADD231PS Y1, Y0, Y13

// func vecSigmoidBack(dx, dy, a []float32)
TEXT ·vecSigmoidBack(SB), NOSPLIT, $0-72
	BACK(SIGMOIDBACK_BODY)

// dx += dy·(1 - y·y), y·y rounded as in the generic loop (1 - y·y cancels
// near |y| = 1, so an FMA here would change the result by more than an ulp).
#define TANHBACK_BODY \
	VMULPS Y0, Y0, Y1; \
	VMOVUPS vecOne<>(SB), Y2; \
	VSUBPS Y1, Y2, Y2; \
	VFMADD231PS Y2, Y12, Y13

// func vecTanhBack(dx, dy, a []float32)
TEXT ·vecTanhBack(SB), NOSPLIT, $0-72
	BACK(TANHBACK_BODY)

// s = sigmoid(x) and 1-s from e = exp(-|x|) without cancellation;
// dx += dy·(s + x·s·(1-s)).
#define SILUBACK_BODY \
	SIGPARTS(Y0); \
	VMOVUPS vecOne<>(SB), Y2; \
	VDIVPS Y1, Y2, Y1; \
	VMULPS Y4, Y1, Y4; \
	VBLENDVPS Y0, Y4, Y1, Y2; \
	VBLENDVPS Y0, Y1, Y4, Y3; \
	VMULPS Y3, Y2, Y3; \
	VFMADD213PS Y2, Y0, Y3; \
	VFMADD231PS Y3, Y12, Y13

// func vecSiLUBack(dx, dy, a []float32)
TEXT ·vecSiLUBack(SB), NOSPLIT, $0-72
	BACK(SILUBACK_BODY)

// dx += dy·(Φ(x) + x·φ(x)), Φ as in GELU_BODY, φ = e^{-x²/2}/√(2π) from
// ERFPARTS' e^{-b²}.
#define GELUBACK_BODY \
	VMOVUPS Y0, Y10; \
	GELUPARTS; \
	VMOVUPS vecHalf<>(SB), Y1; \
	VFMADD213PS Y1, Y1, Y6; \
	VMULPS vecHalf<>(SB), Y7, Y7; \
	VMOVUPS vecOne<>(SB), Y2; \
	VSUBPS Y7, Y2, Y2; \
	VBLENDVPS Y10, Y7, Y2, Y2; \
	VBLENDVPS Y5, Y6, Y2, Y2; \
	VMULPS vecInvSqrt2Pi<>(SB), Y8, Y8; \
	VFMADD231PS Y8, Y10, Y2; \
	VFMADD231PS Y2, Y12, Y13

// func vecGELUBack(dx, dy, a []float32)
TEXT ·vecGELUBack(SB), NOSPLIT, $0-72
	BACK(GELUBACK_BODY)

// With s = sigmoid(2u) (so 1+t = 2s, 1-t² = 4s(1-s)):
// dx += dy·(s + 2x·s(1-s)·β(1 + 3κx²)), x² capped at 1e30 in the last
// factor so that a saturated s(1-s) = 0 gives 0, not 0·Inf.
#define GELUTANHBACK_BODY \
	VMULPS Y0, Y0, Y7; \
	VMOVUPS vecGelu2BK<>(SB), Y2; \
	VFMADD213PS vecGelu2B<>(SB), Y7, Y2; \
	VMULPS Y0, Y2, Y6; \
	SIGPARTS(Y6); \
	VMOVUPS vecOne<>(SB), Y2; \
	VDIVPS Y1, Y2, Y1; \
	VMULPS Y4, Y1, Y4; \
	VBLENDVPS Y6, Y4, Y1, Y2; \
	VBLENDVPS Y6, Y1, Y4, Y3; \
	VMULPS Y3, Y2, Y3; \
	VMINPS vecBig<>(SB), Y7, Y7; \
	VMOVUPS vecGeluB3K<>(SB), Y8; \
	VFMADD213PS vecGeluB<>(SB), Y7, Y8; \
	VADDPS Y0, Y0, Y9; \
	VMULPS Y9, Y3, Y3; \
	VFMADD213PS Y2, Y8, Y3; \
	VFMADD231PS Y3, Y12, Y13

// func vecGELUTanhBack(dx, dy, a []float32)
TEXT ·vecGELUTanhBack(SB), NOSPLIT, $0-72
	BACK(GELUTANHBACK_BODY)

// dx = (y > 0) ? dx + dy : dx (a blend, so an untouched dx keeps its bits).
#define RELUBACK_BODY \
	VXORPS Y1, Y1, Y1; \
	VCMPPS $1, Y0, Y1, Y2; \
	VADDPS Y12, Y13, Y3; \
	VBLENDVPS Y2, Y3, Y13, Y13

// func vecReLUBack(dx, dy, a []float32)
TEXT ·vecReLUBack(SB), NOSPLIT, $0-72
	BACK(RELUBACK_BODY)

// dx = (0 < x < 6) ? dx + dy : dx
#define RELU6BACK_BODY \
	VXORPS Y1, Y1, Y1; \
	VCMPPS $1, Y0, Y1, Y2; \
	VCMPPS $1, vecSix<>(SB), Y0, Y3; \
	VANDPS Y3, Y2, Y2; \
	VADDPS Y12, Y13, Y3; \
	VBLENDVPS Y2, Y3, Y13, Y13

// func vecReLU6Back(dx, dy, a []float32)
TEXT ·vecReLU6Back(SB), NOSPLIT, $0-72
	BACK(RELU6BACK_BODY)

// dx = (|x| < 3) ? dx + dy·(1/6) : dx
#define HARDSIGBACK_BODY \
	VANDPS vecAbsMask<>(SB), Y0, Y1; \
	VCMPPS $1, vecThree<>(SB), Y1, Y2; \
	VMULPS vecSixth<>(SB), Y12, Y3; \
	VADDPS Y3, Y13, Y3; \
	VBLENDVPS Y2, Y3, Y13, Y13

// func vecHardSigmoidBack(dx, dy, a []float32)
TEXT ·vecHardSigmoidBack(SB), NOSPLIT, $0-72
	BACK(HARDSIGBACK_BODY)

// x < -3: dx unchanged; x <= 3: dx += dy·(x/3 + 1/2); else (x > 3 or NaN,
// as the generic switch): dx += dy.
#define HARDSWISHBACK_BODY \
	VDIVPS vecThree<>(SB), Y0, Y1; \
	VADDPS vecHalf<>(SB), Y1, Y1; \
	VCMPPS $6, vecThree<>(SB), Y0, Y2; \
	VBLENDVPS Y2, vecOne<>(SB), Y1, Y1; \
	VFMADD213PS Y13, Y12, Y1; \
	VCMPPS $1, vecNegThree<>(SB), Y0, Y2; \
	VBLENDVPS Y2, Y13, Y1, Y13

// func vecHardSwishBack(dx, dy, a []float32)
TEXT ·vecHardSwishBack(SB), NOSPLIT, $0-72
	BACK(HARDSWISHBACK_BODY)

// ---- bodies of the row and norm kernels (macro arguments cannot hold commas) ----
#define SCALE_BODY VMULPS Y14, Y0, Y0
#define SHIFT2_BODY VSUBPS Y14, Y0, Y0; VSUBPS Y11, Y0, Y0
#define SOFTMAXBACK_BODY VSUBPS Y14, Y12, Y1; VFMADD231PS Y1, Y0, Y13
#define LOGSOFTMAXBACK_BODY EXP(Y0, Y1, Y2, Y3); VFNMADD231PS Y14, Y0, Y12; VADDPS Y12, Y13, Y13
#define AXPB_BODY VFMADD213PS Y11, Y14, Y0
#define SUBMUL_BODY VSUBPS Y14, Y0, Y0; VMULPS Y11, Y0, Y0
#define MUL_BODY VMULPS Y12, Y0, Y0
#define ADD_BODY VADDPS Y12, Y0, Y0
#define RELUBACKSET_BODY VXORPS Y1, Y1, Y1; VCMPPS $1, Y0, Y1, Y2; VANDPS Y12, Y2, Y0
#define NORMROW_BODY VSUBPS Y14, Y0, Y0; VMULPS Y11, Y0, Y0; VFMADD213PS Y13, Y12, Y0
#define FMA3_BODY VFMADD213PS Y13, Y12, Y0
#define AXPY_BODY VFMADD231PS Y14, Y0, Y13
#define LNBACK_BODY VSUBPS Y14, Y0, Y0; VMULPS Y11, Y0, Y0; VSUBPS Y10, Y12, Y1; VFNMADD231PS Y9, Y0, Y1; VFMADD231PS Y11, Y1, Y13
#define BNGRAD_BODY VSUBPS Y10, Y0, Y0; VSUBPS Y11, Y12, Y1; VFNMADD231PS Y9, Y0, Y1; VFMADD231PS Y14, Y1, Y13
#define BNGRADSET_BODY VSUBPS Y10, Y0, Y0; VSUBPS Y11, Y12, Y1; VFNMADD231PS Y9, Y0, Y1; VMULPS Y14, Y1, Y13

// ---- rows ----

// func vecMax(x []float32) float32
TEXT ·vecMax(SB), NOSPLIT, $0-28
	MOVQ x_base+0(FP), SI
	MOVQ x_len+8(FP), CX
	VMOVUPS vecNegInf<>(SB), Y1
loop:
	CMPQ CX, $8
	JLT tail
	VMAXPS (SI), Y1, Y1
	ADDQ $32, SI
	SUBQ $8, CX
	JMP loop
tail:
	TESTQ CX, CX
	JEQ done
	TAILMASK
	VMASKMOVPS (SI), Y15, Y0
	VBLENDVPS Y15, Y0, Y1, Y0
	VMAXPS Y0, Y1, Y1
done:
	VEXTRACTF128 $1, Y1, X2
	VMAXPS X2, X1, X1
	VPERMILPS $0x4e, X1, X2
	VMAXPS X2, X1, X1
	VPERMILPS $0xb1, X1, X2
	VMAXPS X2, X1, X1
	VMOVSS X1, ret+24(FP)
	VZEROUPPER
	RET

// func vecSum(x []float32) float32
// Four accumulators over 32-element blocks, then 8-element blocks into the
// first, the masked tail into the second; ((a0+a1)+(a2+a3)) then HSUM.
TEXT ·vecSum(SB), NOSPLIT, $0-28
	MOVQ x_base+0(FP), SI
	MOVQ x_len+8(FP), CX
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
loop32:
	CMPQ CX, $32
	JLT loop8
	VADDPS (SI), Y1, Y1
	VADDPS 32(SI), Y2, Y2
	VADDPS 64(SI), Y3, Y3
	VADDPS 96(SI), Y4, Y4
	ADDQ $128, SI
	SUBQ $32, CX
	JMP loop32
loop8:
	CMPQ CX, $8
	JLT tail
	VADDPS (SI), Y1, Y1
	ADDQ $32, SI
	SUBQ $8, CX
	JMP loop8
tail:
	TESTQ CX, CX
	JEQ done
	TAILMASK
	VMASKMOVPS (SI), Y15, Y0
	VADDPS Y0, Y2, Y2
done:
	VADDPS Y2, Y1, Y1
	VADDPS Y4, Y3, Y3
	VADDPS Y3, Y1, Y1
	HSUM(Y1, X1, X2)
	VMOVSS X1, ret+24(FP)
	VZEROUPPER
	RET

// func vecDot(a, b []float32) float32
// Σ a·b with the accumulators of vecSum.
TEXT ·vecDot(SB), NOSPLIT, $0-52
	MOVQ a_base+0(FP), SI
	MOVQ a_len+8(FP), CX
	MOVQ b_base+24(FP), DX
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
loop32:
	CMPQ CX, $32
	JLT loop8
	VMOVUPS (SI), Y5
	VMOVUPS 32(SI), Y6
	VMOVUPS 64(SI), Y7
	VMOVUPS 96(SI), Y8
	VFMADD231PS (DX), Y5, Y1
	VFMADD231PS 32(DX), Y6, Y2
	VFMADD231PS 64(DX), Y7, Y3
	VFMADD231PS 96(DX), Y8, Y4
	ADDQ $128, SI
	ADDQ $128, DX
	SUBQ $32, CX
	JMP loop32
loop8:
	CMPQ CX, $8
	JLT tail
	VMOVUPS (SI), Y5
	VFMADD231PS (DX), Y5, Y1
	ADDQ $32, SI
	ADDQ $32, DX
	SUBQ $8, CX
	JMP loop8
tail:
	TESTQ CX, CX
	JEQ done
	TAILMASK
	VMASKMOVPS (SI), Y15, Y5
	VMASKMOVPS (DX), Y15, Y6
	VFMADD231PS Y6, Y5, Y2
done:
	VADDPS Y2, Y1, Y1
	VADDPS Y4, Y3, Y3
	VADDPS Y3, Y1, Y1
	HSUM(Y1, X1, X2)
	VMOVSS X1, ret+48(FP)
	VZEROUPPER
	RET

// func vecExpShiftSum(dst, x []float32, m float32) float32
// dst = exp(x - m); returns Σ dst in eight lane sums (in order within a
// lane) combined by HSUM.
TEXT ·vecExpShiftSum(SB), NOSPLIT, $0-60
	MOVQ dst_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ x_len+32(FP), CX
	VBROADCASTSS m+48(FP), Y14
	VXORPS Y13, Y13, Y13
loop:
	CMPQ CX, $8
	JLT tail
	VMOVUPS (SI), Y0
	VSUBPS Y14, Y0, Y0
	EXP(Y0, Y1, Y2, Y3)
	VMOVUPS Y0, (DI)
	VADDPS Y0, Y13, Y13
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP loop
tail:
	TESTQ CX, CX
	JEQ done
	TAILMASK
	VMASKMOVPS (SI), Y15, Y0
	VSUBPS Y14, Y0, Y0
	EXP(Y0, Y1, Y2, Y3)
	VANDPS Y15, Y0, Y0
	VMASKMOVPS Y0, Y15, (DI)
	VADDPS Y0, Y13, Y13
done:
	HSUM(Y13, X13, X2)
	VMOVSS X13, ret+56(FP)
	VZEROUPPER
	RET

// func vecExpShiftSumOnly(x []float32, m float32) float32
// Σ exp(x - m), summed as vecExpShiftSum, nothing stored.
TEXT ·vecExpShiftSumOnly(SB), NOSPLIT, $0-36
	MOVQ x_base+0(FP), SI
	MOVQ x_len+8(FP), CX
	VBROADCASTSS m+24(FP), Y14
	VXORPS Y13, Y13, Y13
loop:
	CMPQ CX, $8
	JLT tail
	VMOVUPS (SI), Y0
	VSUBPS Y14, Y0, Y0
	EXP(Y0, Y1, Y2, Y3)
	VADDPS Y0, Y13, Y13
	ADDQ $32, SI
	SUBQ $8, CX
	JMP loop
tail:
	TESTQ CX, CX
	JEQ done
	TAILMASK
	VMASKMOVPS (SI), Y15, Y0
	VSUBPS Y14, Y0, Y0
	EXP(Y0, Y1, Y2, Y3)
	VANDPS Y15, Y0, Y0
	VADDPS Y0, Y13, Y13
done:
	HSUM(Y13, X13, X2)
	VMOVSS X13, ret+32(FP)
	VZEROUPPER
	RET

// func vecScale(dst, x []float32, s float32)
TEXT ·vecScale(SB), NOSPLIT, $0-52
	VBROADCASTSS s+48(FP), Y14
	MAP(SCALE_BODY)

// func vecShift2(dst, x []float32, m, ls float32)
// dst = (x - m) - ls
TEXT ·vecShift2(SB), NOSPLIT, $0-56
	VBROADCASTSS m+48(FP), Y14
	VBROADCASTSS ls+52(FP), Y11
	MAP(SHIFT2_BODY)

// func vecSoftmaxBack(dx, dy, a []float32, s float32)
// dx += y·(dy - s), y = a
TEXT ·vecSoftmaxBack(SB), NOSPLIT, $0-76
	VBROADCASTSS s+72(FP), Y14
	BACK(SOFTMAXBACK_BODY)

// func vecLogSoftmaxBack(dx, dy, a []float32, s float32)
// dx += dy - exp(y)·s, y = a
TEXT ·vecLogSoftmaxBack(SB), NOSPLIT, $0-76
	VBROADCASTSS s+72(FP), Y14
	BACK(LOGSOFTMAXBACK_BODY)

// ---- norm ----

// HSUMPD leaves in the low lane of X(R) (l0+l2)+(l1+l3) of Y(R); clobbers X(T).
#define HSUMPD(Y, X, T) \
	VEXTRACTF128 $1, Y, T; \
	VADDPD T, X, X; \
	VPERMILPD $1, X, T; \
	VADDSD T, X, X

// The float64-lane sums: blocks of 16 elements go to Y1-Y4 (four doubles
// each), then blocks of 4 to Y1, then single elements to X5; the result is
// HSUMPD((Y1+Y2)+(Y3+Y4)) + X5.

#define F64ZERO \
	VXORPD Y1, Y1, Y1; \
	VXORPD Y2, Y2, Y2; \
	VXORPD Y3, Y3, Y3; \
	VXORPD Y4, Y4, Y4; \
	VXORPD X5, X5, X5

#define F64DONE \
	VADDPD Y2, Y1, Y1; \
	VADDPD Y4, Y3, Y3; \
	VADDPD Y3, Y1, Y1; \
	HSUMPD(Y1, X1, X2); \
	VADDSD X5, X1, X1

// func vecSum64(x []float32) float64
TEXT ·vecSum64(SB), NOSPLIT, $0-32
	MOVQ x_base+0(FP), SI
	MOVQ x_len+8(FP), CX
	F64ZERO
loop16:
	CMPQ CX, $16
	JLT loop4
	VCVTPS2PD (SI), Y6
	VCVTPS2PD 16(SI), Y7
	VCVTPS2PD 32(SI), Y8
	VCVTPS2PD 48(SI), Y9
	VADDPD Y6, Y1, Y1
	VADDPD Y7, Y2, Y2
	VADDPD Y8, Y3, Y3
	VADDPD Y9, Y4, Y4
	ADDQ $64, SI
	SUBQ $16, CX
	JMP loop16
loop4:
	CMPQ CX, $4
	JLT loop1
	VCVTPS2PD (SI), Y6
	VADDPD Y6, Y1, Y1
	ADDQ $16, SI
	SUBQ $4, CX
	JMP loop4
loop1:
	TESTQ CX, CX
	JEQ done
	VMOVSS (SI), X6
	VCVTSS2SD X6, X6, X6
	VADDSD X6, X5, X5
	ADDQ $4, SI
	DECQ CX
	JMP loop1
done:
	F64DONE
	VMOVSD X1, ret+24(FP)
	VZEROUPPER
	RET

// func vecSumSqDev64(x []float32, mu float64) float64
// Σ (x - mu)² in float64.
TEXT ·vecSumSqDev64(SB), NOSPLIT, $0-40
	MOVQ x_base+0(FP), SI
	MOVQ x_len+8(FP), CX
	VBROADCASTSD mu+24(FP), Y14
	F64ZERO
loop16:
	CMPQ CX, $16
	JLT loop4
	VCVTPS2PD (SI), Y6
	VCVTPS2PD 16(SI), Y7
	VCVTPS2PD 32(SI), Y8
	VCVTPS2PD 48(SI), Y9
	VSUBPD Y14, Y6, Y6
	VSUBPD Y14, Y7, Y7
	VSUBPD Y14, Y8, Y8
	VSUBPD Y14, Y9, Y9
	VFMADD231PD Y6, Y6, Y1
	VFMADD231PD Y7, Y7, Y2
	VFMADD231PD Y8, Y8, Y3
	VFMADD231PD Y9, Y9, Y4
	ADDQ $64, SI
	SUBQ $16, CX
	JMP loop16
loop4:
	CMPQ CX, $4
	JLT loop1
	VCVTPS2PD (SI), Y6
	VSUBPD Y14, Y6, Y6
	VFMADD231PD Y6, Y6, Y1
	ADDQ $16, SI
	SUBQ $4, CX
	JMP loop4
loop1:
	TESTQ CX, CX
	JEQ done
	VMOVSS (SI), X6
	VCVTSS2SD X6, X6, X6
	VSUBSD X14, X6, X6
	VFMADD231SD X6, X6, X5
	ADDQ $4, SI
	DECQ CX
	JMP loop1
done:
	F64DONE
	VMOVSD X1, ret+32(FP)
	VZEROUPPER
	RET

// func vecSumDot64(g, x []float32, mu float64) (sg, sgx float64)
// Σ g and Σ g·(x - mu) in float64: blocks of 8 into Y1,Y2 (Σg) and
// Y3,Y4 (Σg·(x-mu)), blocks of 4 into Y1 and Y3, single elements into X5
// and X6.
TEXT ·vecSumDot64(SB), NOSPLIT, $0-72
	MOVQ g_base+0(FP), SI
	MOVQ g_len+8(FP), CX
	MOVQ x_base+24(FP), DX
	VBROADCASTSD mu+48(FP), Y14
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	VXORPD X5, X5, X5
	VXORPD X6, X6, X6
loop8:
	CMPQ CX, $8
	JLT loop4
	VCVTPS2PD (SI), Y7
	VCVTPS2PD 16(SI), Y8
	VCVTPS2PD (DX), Y9
	VCVTPS2PD 16(DX), Y10
	VSUBPD Y14, Y9, Y9
	VSUBPD Y14, Y10, Y10
	VADDPD Y7, Y1, Y1
	VADDPD Y8, Y2, Y2
	VFMADD231PD Y9, Y7, Y3
	VFMADD231PD Y10, Y8, Y4
	ADDQ $32, SI
	ADDQ $32, DX
	SUBQ $8, CX
	JMP loop8
loop4:
	CMPQ CX, $4
	JLT loop1
	VCVTPS2PD (SI), Y7
	VCVTPS2PD (DX), Y9
	VSUBPD Y14, Y9, Y9
	VADDPD Y7, Y1, Y1
	VFMADD231PD Y9, Y7, Y3
	ADDQ $16, SI
	ADDQ $16, DX
	SUBQ $4, CX
loop1:
	TESTQ CX, CX
	JEQ done
	VMOVSS (SI), X7
	VCVTSS2SD X7, X7, X7
	VMOVSS (DX), X9
	VCVTSS2SD X9, X9, X9
	VSUBSD X14, X9, X9
	VADDSD X7, X5, X5
	VFMADD231SD X9, X7, X6
	ADDQ $4, SI
	ADDQ $4, DX
	DECQ CX
	JMP loop1
done:
	VADDPD Y2, Y1, Y1
	HSUMPD(Y1, X1, X2)
	VADDSD X5, X1, X1
	VMOVSD X1, sg+56(FP)
	VADDPD Y4, Y3, Y3
	HSUMPD(Y3, X3, X2)
	VADDSD X6, X3, X3
	VMOVSD X3, sgx+64(FP)
	VZEROUPPER
	RET

// func vecAxpb(dst, x []float32, a, b float32)
// dst = x·a + b (one FMA)
TEXT ·vecAxpb(SB), NOSPLIT, $0-56
	VBROADCASTSS a+48(FP), Y14
	VBROADCASTSS b+52(FP), Y11
	MAP(AXPB_BODY)

// func vecSubMul(dst, x []float32, m, r float32)
// dst = (x - m)·r
TEXT ·vecSubMul(SB), NOSPLIT, $0-56
	VBROADCASTSS m+48(FP), Y14
	VBROADCASTSS r+52(FP), Y11
	MAP(SUBMUL_BODY)

// func vecMul(dst, a, b []float32)
// dst = a·b
TEXT ·vecMul(SB), NOSPLIT, $0-72
	MAP3(MUL_BODY)

// func vecAdd(dst, a, b []float32)
// dst = a + b
TEXT ·vecAdd(SB), NOSPLIT, $0-72
	MAP3(ADD_BODY)

// func vecReLUBackSet(dx, y, dy []float32)
// dx = (0 < y) ? dy : 0
TEXT ·vecReLUBackSet(SB), NOSPLIT, $0-72
	MAP3(RELUBACKSET_BODY)

// func vecNormRow(dst, a, b, c []float32, m, r float32)
// dst = ((x - m)·r)·gamma + beta with x = a, gamma = b, beta = c
TEXT ·vecNormRow(SB), NOSPLIT, $0-104
	VBROADCASTSS m+96(FP), Y14
	VBROADCASTSS r+100(FP), Y11
	MAP4(NORMROW_BODY)

// func vecFMA3(dst, a, b, c []float32)
// dst = a·b + c (one FMA)
TEXT ·vecFMA3(SB), NOSPLIT, $0-96
	MAP4(FMA3_BODY)

// func vecAxpy(dx, x []float32, k float32)
// dx += k·x
TEXT ·vecAxpy(SB), NOSPLIT, $0-52
	VBROADCASTSS k+48(FP), Y14
	ACC(AXPY_BODY)

// func vecLNBack(dx, dy, a []float32, mu, rs, ma, mb float32)
// dx += rs·(ĝ - ma - ((x - mu)·rs)·mb) with ĝ = dy, x = a
TEXT ·vecLNBack(SB), NOSPLIT, $0-88
	VBROADCASTSS mu+72(FP), Y14
	VBROADCASTSS rs+76(FP), Y11
	VBROADCASTSS ma+80(FP), Y10
	VBROADCASTSS mb+84(FP), Y9
	BACK(LNBACK_BODY)

// func vecBNGrad(dx, dy, a []float32, k, gm, u, xc float32)
// dx += k·(g - gm - (x - u)·xc) with g = dy, x = a
TEXT ·vecBNGrad(SB), NOSPLIT, $0-88
	VBROADCASTSS k+72(FP), Y14
	VBROADCASTSS gm+76(FP), Y11
	VBROADCASTSS u+80(FP), Y10
	VBROADCASTSS xc+84(FP), Y9
	BACK(BNGRAD_BODY)

// func vecBNGradSet(dx, dy, a []float32, k, gm, u, xc float32)
// dx = k·(g - gm - (x - u)·xc) with g = dy, x = a
TEXT ·vecBNGradSet(SB), NOSPLIT, $0-88
	VBROADCASTSS k+72(FP), Y14
	VBROADCASTSS gm+76(FP), Y11
	VBROADCASTSS u+80(FP), Y10
	VBROADCASTSS xc+84(FP), Y9
	BACKSET(BNGRADSET_BODY)

// func vecLNParam(sa, sb []float64, g, x []float32, mu, rs float32)
// sa[j] += float64(g[j]); sb[j] += float64(g[j])·float64((x[j]-mu)·rs)
TEXT ·vecLNParam(SB), NOSPLIT, $0-104
	MOVQ sa_base+0(FP), DI
	MOVQ sb_base+24(FP), R8
	MOVQ g_base+48(FP), SI
	MOVQ g_len+56(FP), CX
	MOVQ x_base+72(FP), DX
	VBROADCASTSS mu+96(FP), X14
	VBROADCASTSS rs+100(FP), X11
loop4:
	CMPQ CX, $4
	JLT loop1
	VCVTPS2PD (SI), Y1
	VMOVUPS (DX), X2
	VSUBPS X14, X2, X2
	VMULPS X11, X2, X2
	VCVTPS2PD X2, Y2
	VADDPD (DI), Y1, Y3
	VMOVUPD Y3, (DI)
	VFMADD213PD (R8), Y1, Y2
	VMOVUPD Y2, (R8)
	ADDQ $16, SI
	ADDQ $16, DX
	ADDQ $32, DI
	ADDQ $32, R8
	SUBQ $4, CX
	JMP loop4
loop1:
	TESTQ CX, CX
	JEQ done
	VMOVSS (SI), X1
	VCVTSS2SD X1, X1, X1
	VMOVSS (DX), X2
	VSUBSS X14, X2, X2
	VMULSS X11, X2, X2
	VCVTSS2SD X2, X2, X2
	VADDSD (DI), X1, X3
	VMOVSD X3, (DI)
	VFMADD213SD (R8), X1, X2
	VMOVSD X2, (R8)
	ADDQ $4, SI
	ADDQ $4, DX
	ADDQ $8, DI
	ADDQ $8, R8
	DECQ CX
	JMP loop1
done:
	VZEROUPPER
	RET

// The AVX-512 GELU: GELU_BODY's instructions on 16 lanes, each lane the
// same operations in the same order (so the same bits as vecGELU), with
// the constants broadcast from the tables above, VPANDD/VPXORD for the
// bitwise ops (AVX-512F has no VANDPS on Z registers), VRNDSCALEPS $0 for
// VROUNDPS $0 (both round to nearest even), and mask registers for the
// blends: K1 = |z| < 1, K2 = sign bit of x. K7 holds the tail mask.

// EXP512 is EXP2 followed by EXP's product, on Z registers.
#define EXP512(X, T1, T2, T3) \
	VBROADCASTSS vecExpHi<>(SB), T1; \
	VMINPS X, T1, X; \
	VBROADCASTSS vecExpLo<>(SB), T1; \
	VMAXPS X, T1, X; \
	VMULPS.BCST vecLog2e<>(SB), X, T1; \
	VRNDSCALEPS $0, T1, T1; \
	VFNMADD231PS.BCST vecLn2Hi<>(SB), T1, X; \
	VFNMADD231PS.BCST vecLn2Lo<>(SB), T1, X; \
	VBROADCASTSS vecExpP0<>(SB), T2; \
	VFMADD213PS.BCST vecExpP1<>(SB), X, T2; \
	VFMADD213PS.BCST vecExpP2<>(SB), X, T2; \
	VFMADD213PS.BCST vecExpP3<>(SB), X, T2; \
	VFMADD213PS.BCST vecExpP4<>(SB), X, T2; \
	VFMADD213PS.BCST vecExpP5<>(SB), X, T2; \
	VMULPS X, X, T3; \
	VFMADD213PS X, T3, T2; \
	VADDPS.BCST vecOne<>(SB), T2, T2; \
	VCVTPS2DQ T1, T1; \
	VPSRAD $1, T1, T3; \
	VPSUBD T3, T1, T1; \
	VPADDD.BCST vecI127<>(SB), T3, T3; \
	VPADDD.BCST vecI127<>(SB), T1, T1; \
	VPSLLD $23, T3, T3; \
	VPSLLD $23, T1, T1; \
	VMULPS T3, T2, T2; \
	VMULPS T1, T2, X

// GELUPARTS512 is GELUPARTS and ERFTAIL's mask on Z registers, for x = Z10:
// Z0 = z, Z6 = erf(z) for |z| < 1, Z7 = erfc(b), Z8 = e^{-b²}, K1 = |z| < 1.
#define GELUPARTS512 \
	VMULPS.BCST vecInvSqrt2<>(SB), Z10, Z0; \
	VPANDD.BCST vecAbsMask<>(SB), Z0, Z5; \
	VMULPS Z0, Z0, Z1; \
	VBROADCASTSS vecErfA6<>(SB), Z6; \
	VFMADD213PS.BCST vecErfA5<>(SB), Z1, Z6; \
	VFMADD213PS.BCST vecErfA4<>(SB), Z1, Z6; \
	VFMADD213PS.BCST vecErfA3<>(SB), Z1, Z6; \
	VFMADD213PS.BCST vecErfA2<>(SB), Z1, Z6; \
	VFMADD213PS.BCST vecErfA1<>(SB), Z1, Z6; \
	VFMADD213PS.BCST vecErfA0<>(SB), Z1, Z6; \
	VFMADD213PS Z0, Z0, Z6; \
	VPANDD.BCST vecAbsMask<>(SB), Z10, Z9; \
	VMINPS.BCST vecGeluXMax<>(SB), Z9, Z9; \
	VMULPS Z9, Z9, Z8; \
	VMOVUPS Z8, Z4; \
	VFMSUB231PS Z9, Z9, Z4; \
	VMULPS.BCST vecHalf<>(SB), Z8, Z8; \
	VMULPS.BCST vecHalf<>(SB), Z4, Z4; \
	VBROADCASTSS vecErfcMax<>(SB), Z9; \
	VMINPS Z5, Z9, Z9; \
	VPXORD.BCST vecSignMask<>(SB), Z8, Z8; \
	EXP512(Z8, Z1, Z2, Z3); \
	VFNMADD231PS Z4, Z8, Z8; \
	VBROADCASTSS vecOne<>(SB), Z1; \
	VDIVPS Z9, Z1, Z1; \
	VBROADCASTSS vecErfB10<>(SB), Z7; \
	VFMADD213PS.BCST vecErfB9<>(SB), Z1, Z7; \
	VFMADD213PS.BCST vecErfB8<>(SB), Z1, Z7; \
	VFMADD213PS.BCST vecErfB7<>(SB), Z1, Z7; \
	VFMADD213PS.BCST vecErfB6<>(SB), Z1, Z7; \
	VFMADD213PS.BCST vecErfB5<>(SB), Z1, Z7; \
	VFMADD213PS.BCST vecErfB4<>(SB), Z1, Z7; \
	VFMADD213PS.BCST vecErfB3<>(SB), Z1, Z7; \
	VFMADD213PS.BCST vecErfB2<>(SB), Z1, Z7; \
	VFMADD213PS.BCST vecErfB1<>(SB), Z1, Z7; \
	VFMADD213PS.BCST vecErfB0<>(SB), Z1, Z7; \
	VMULPS Z1, Z7, Z7; \
	VMULPS Z8, Z7, Z7; \
	VCMPPS.BCST $1, vecOne<>(SB), Z5, K1

// GELU512_BODY is GELU_BODY on Z0.
#define GELU512_BODY \
	VMOVUPS Z0, Z10; \
	GELUPARTS512; \
	VMULPS.BCST vecHalf<>(SB), Z10, Z11; \
	VFMADD213PS Z11, Z11, Z6; \
	VMULPS.BCST vecHalf<>(SB), Z7, Z7; \
	VBROADCASTSS vecOne<>(SB), Z1; \
	VSUBPS Z7, Z1, Z1; \
	VPTESTMD.BCST vecSignMask<>(SB), Z10, K2; \
	VBLENDMPS Z7, Z1, K2, Z1; \
	VMULPS Z10, Z1, Z1; \
	VBLENDMPS Z6, Z1, K1, Z0

// GELUBACK512_BODY is GELUBACK_BODY on Z0 (a), Z12 (dy) and Z13 (dx).
#define GELUBACK512_BODY \
	VMOVUPS Z0, Z10; \
	GELUPARTS512; \
	VBROADCASTSS vecHalf<>(SB), Z1; \
	VFMADD213PS Z1, Z1, Z6; \
	VMULPS.BCST vecHalf<>(SB), Z7, Z7; \
	VBROADCASTSS vecOne<>(SB), Z2; \
	VSUBPS Z7, Z2, Z2; \
	VPTESTMD.BCST vecSignMask<>(SB), Z10, K2; \
	VBLENDMPS Z7, Z2, K2, Z2; \
	VBLENDMPS Z6, Z2, K1, Z2; \
	VMULPS.BCST vecInvSqrt2Pi<>(SB), Z8, Z8; \
	VFMADD231PS Z8, Z10, Z2; \
	VFMADD231PS Z2, Z12, Z13

// func vecGELU512(dst, x []float32)
TEXT ·vecGELU512(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ x_len+32(FP), CX
loop512:
	CMPQ CX, $16
	JLT tail512
	VMOVUPS (SI), Z0
	GELU512_BODY
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP loop512
tail512:
	TESTQ CX, CX
	JEQ done512
	MOVL $1, DX
	SHLL CX, DX
	DECL DX
	KMOVW DX, K7
	VMOVUPS.Z (SI), K7, Z0
	GELU512_BODY
	VMOVUPS Z0, K7, (DI)
done512:
	VZEROUPPER
	RET

// func vecGELUBack512(dx, dy, a []float32)
TEXT ·vecGELUBack512(SB), NOSPLIT, $0-72
	MOVQ dx_base+0(FP), DI
	MOVQ dy_base+24(FP), SI
	MOVQ dy_len+32(FP), CX
	MOVQ a_base+48(FP), DX
bloop512:
	CMPQ CX, $16
	JLT btail512
	VMOVUPS (DX), Z0
	VMOVUPS (SI), Z12
	VMOVUPS (DI), Z13
	GELUBACK512_BODY
	VMOVUPS Z13, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	ADDQ $64, DX
	SUBQ $16, CX
	JMP bloop512
btail512:
	TESTQ CX, CX
	JEQ bdone512
	MOVL $1, R8
	SHLL CX, R8
	DECL R8
	KMOVW R8, K7
	VMOVUPS.Z (DX), K7, Z0
	VMOVUPS.Z (SI), K7, Z12
	VMOVUPS.Z (DI), K7, Z13
	GELUBACK512_BODY
	VMOVUPS Z13, K7, (DI)
bdone512:
	VZEROUPPER
	RET
