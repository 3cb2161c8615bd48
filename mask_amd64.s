//go:build amd64 && !purego

#include "textflag.h"

// func maskAVX2(p *byte, n int, key uint32)
//
// XORs the n bytes at p (n a multiple of 32) with key repeated, 128 bytes
// per iteration while at least 128 remain, then 32 at a time.
TEXT ·maskAVX2(SB), NOSPLIT, $0-20
	MOVQ p+0(FP), DI
	MOVQ n+8(FP), CX
	MOVL key+16(FP), AX
	MOVQ AX, X0
	VPBROADCASTD X0, Y0
	CMPQ CX, $128
	JB   tail

loop128:
	VPXOR   (DI), Y0, Y1
	VPXOR   32(DI), Y0, Y2
	VPXOR   64(DI), Y0, Y3
	VPXOR   96(DI), Y0, Y4
	VMOVDQU Y1, (DI)
	VMOVDQU Y2, 32(DI)
	VMOVDQU Y3, 64(DI)
	VMOVDQU Y4, 96(DI)
	ADDQ    $128, DI
	SUBQ    $128, CX
	CMPQ    CX, $128
	JAE     loop128

tail:
	CMPQ    CX, $32
	JB      done
	VPXOR   (DI), Y0, Y1
	VMOVDQU Y1, (DI)
	ADDQ    $32, DI
	SUBQ    $32, CX
	JMP     tail

done:
	VZEROUPPER
	RET

// func cpuHasAVX2() bool
//
// Reports whether the CPU has AVX2 and the operating system saves the YMM
// registers (CPUID leaves 0, 1 and 7, and XCR0).
TEXT ·cpuHasAVX2(SB), NOSPLIT, $0-1
	XORL AX, AX
	XORL CX, CX
	CPUID
	CMPL AX, $7
	JB   no

	MOVL $1, AX
	XORL CX, CX
	CPUID
	ANDL $0x18000000, CX // OSXSAVE (bit 27) and AVX (bit 28)
	CMPL CX, $0x18000000
	JNE  no

	XORL   CX, CX
	XGETBV
	ANDL   $6, AX // XMM and YMM state enabled
	CMPL   AX, $6
	JNE    no

	MOVL $7, AX
	XORL CX, CX
	CPUID
	ANDL $0x20, BX // AVX2 (bit 5)
	JZ   no

	MOVB $1, ret+0(FP)
	RET

no:
	MOVB $0, ret+0(FP)
	RET
