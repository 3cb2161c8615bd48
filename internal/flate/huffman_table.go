package flate

import (
	"math/bits"
	"sync"
)

// The decoder's Huffman tables.

const tableBits = 9 // bits resolved by a table's first level

// huffTable decodes one Huffman code. An entry holds a symbol (bits 16 and
// up) and its code's length (bits 0-3; 0 for a code that is not assigned),
// or, for codes longer than tableBits, links to a second-level table: bit 4
// set, the table's offset in sub in bits 16 and up and its index bits in
// bits 5-8.
type huffTable struct {
	first [1 << tableBits]uint32 // first[:mask+1] is in use
	mask  uint64
	sub   []uint32
	min   uint // bits there must be before a symbol is decoded
}

const (
	entryLink = 1 << 4
	entryLen  = 0xf
)

// build makes t decode the canonical code (RFC 1951 section 3.2.2) with the
// given code lengths. It reports false for a code that is over-subscribed
// or incomplete, except a single code of one bit, which compress/flate and
// zlib accept (reading its unassigned code is an error). A code with no
// symbols is accepted; reading from it is an error.
func (t *huffTable) build(lengths []uint8) bool {
	var count [16]int
	minLen, maxLen := 0, 0
	for _, n := range lengths {
		if n == 0 {
			continue
		}
		count[n]++
		if minLen == 0 || int(n) < minLen {
			minLen = int(n)
		}
		maxLen = max(maxLen, int(n))
	}
	t.sub = t.sub[:0]
	t.min = uint(minLen)
	// The first level is no larger than the longest code needs, so that
	// the short codes of small messages cost little to lay out.
	firstBits := min(maxLen, tableBits)
	t.mask = 1<<firstBits - 1
	var next [16]int // the first code of each length
	code := 0
	for n := 1; n <= maxLen; n++ {
		code <<= 1
		next[n] = code
		code += count[n]
	}
	if code != 1<<maxLen {
		if maxLen != 0 && !(code == 1 && maxLen == 1) {
			return false
		}
		clear(t.first[:1<<firstBits]) // unassigned codes stay invalid
	}
	if maxLen == 0 {
		return true
	}
	if maxLen > tableBits {
		t.linkSubTables(lengths, next)
	}
	for sym, n := range lengths {
		if n == 0 {
			continue
		}
		rev := reverseBits(next[n], n)
		next[n]++
		e := uint32(sym)<<16 | uint32(n)
		if n <= tableBits {
			for j := rev; j < 1<<firstBits; j += 1 << n {
				t.first[j] = e
			}
			continue
		}
		link := t.first[rev&(1<<tableBits-1)]
		sub := t.sub[link>>16 : link>>16+1<<(link>>5&0xf)]
		for j := rev >> tableBits; j < len(sub); j += 1 << (n - tableBits) {
			sub[j] = e
		}
	}
	return true
}

// linkSubTables lays out the second-level tables of the codes longer than
// tableBits, given the first code of each length, and links them from the
// first level: each is as large as the longest code under its first
// tableBits bits needs.
func (t *huffTable) linkSubTables(lengths []uint8, next [16]int) {
	const mask = 1<<tableBits - 1
	var subBits [1 << tableBits]uint8
	for _, n := range lengths {
		if n > tableBits {
			i := reverseBits(next[n], n) & mask
			next[n]++
			subBits[i] = max(subBits[i], n-tableBits)
		}
	}
	off := 0
	for i, sb := range subBits {
		if sb > 0 {
			t.first[i] = uint32(off)<<16 | uint32(sb)<<5 | entryLink
			off += 1 << sb
		}
	}
	t.sub = append(t.sub, make([]uint32, off)...)
}

// reverseBits returns the n low bits of code in reverse order: DEFLATE
// sends Huffman codes from their first bit, into the low end of the bit
// buffer.
func reverseBits(code int, n uint8) int {
	return int(bits.Reverse16(uint16(code)) >> (16 - n))
}

// decode looks up the symbol whose code starts the low bits of b; n is 0
// when the bits are no code.
func (t *huffTable) decode(b uint64) (sym uint32, n uint) {
	e := t.first[b&t.mask]
	if e&entryLink != 0 {
		e = t.sub[e>>16+uint32(b>>tableBits)&(1<<(e>>5&0xf)-1)]
	}
	return e >> 16, uint(e & entryLen)
}

// The fixed codes of section 3.2.6, built once.
var fixedTables = sync.OnceValues(func() (*huffTable, *huffTable) {
	lengths := fixedLitLengths
	lit, dist := new(huffTable), new(huffTable)
	lit.build(lengths[:])
	// All 32 distance codes, so that the code is complete; 30 and 31 are
	// rejected when read.
	for i := range 32 {
		lengths[i] = 5
	}
	dist.build(lengths[:32])
	return lit, dist
})
