//go:build amd64 && !purego

package websocket

// On amd64 the bulk of a long payload is masked with AVX2 when the CPU has
// it (mask_amd64.s); the purego build tag leaves only the Go code.

//go:noescape
func maskAVX2(p *byte, n int, key uint32)

func cpuHasAVX2() bool

var useAVX2 = cpuHasAVX2()

// maskAsmMin is the shortest payload worth the assembly's setup.
const maskAsmMin = 64 // Mask calls maskBulk from this length on

// maskBulk masks a prefix of b, whose length is a multiple of 8, with the
// key k (rotated to apply to b[0]) and returns that length. It may mask
// nothing and return 0.
func maskBulk(b []byte, k uint32) int {
	if !useAVX2 || len(b) < maskAsmMin {
		return maskWords(b, k)
	}
	n := len(b) &^ 31
	maskAVX2(&b[0], n, k)
	return n
}
