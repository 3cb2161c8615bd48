package flate

import (
	"math/bits"
	"slices"
)

// The encoder's Huffman codes: built from a block's symbol counts, length
// limited, and sent in a dynamic block's header (RFC 1951 section 3.2.7).

// huffCode is a Huffman code ready for writing: each symbol's code, its
// bits reversed as DEFLATE writes them, and its length (0: no code).
type huffCode struct {
	code [288]uint16 // the fixed code has 288 lengths, of 286 symbols
	len  [288]uint8
}

// build makes c a Huffman code for freq, no code longer than maxBits, and
// returns the symbols that have a code, in order.
func (c *huffCode) build(freq []int32, maxBits int, sc *huffScratch) []uint16 {
	var count [16]uint16
	// Symbols by frequency, least frequent first: frequency<<9 | symbol.
	n := 0
	for sym, f := range freq {
		if f > 0 {
			sc.byFreq[n] = uint32(f)<<9 | uint32(sym)
			sc.syms[n] = uint16(sym)
			n++
		}
	}
	lengths := c.len[:len(freq)]
	clear(lengths)
	if n < 2 {
		a := 0
		if n == 1 {
			a = int(sc.byFreq[0] & 511)
		}
		b := 1 - min(a, 1) // symbol 1, or 0 when a is 0
		lengths[a], lengths[b] = 1, 1
		sc.syms[0], sc.syms[1] = uint16(min(a, b)), uint16(max(a, b))
		count[1] = 2
		c.assign(sc.syms[:2], &count)
		return sc.syms[:2]
	}
	sorted := sc.byFreq[:n]
	slices.Sort(sorted)
	depth := sc.depth[:n]
	for i, v := range sorted {
		depth[i] = int32(v >> 9)
	}
	minRedundancy(depth)
	if int(depth[0]) > maxBits {
		limitLengths(depth, maxBits)
	}
	for i, v := range sorted {
		lengths[v&511] = uint8(depth[i])
		count[depth[i]&15]++
	}
	c.assign(sc.syms[:n], &count)
	return sc.syms[:n]
}

// codeBits returns the bits the symbols used, counted in freq, take with
// code lengths lengths, extra bits included.
func codeBits(freq []int32, used []uint16, lengths, extra []uint8) int {
	n := 0
	for _, sym := range used {
		n += int(freq[sym]) * int(lengths[sym]+extra[sym])
	}
	return n
}

// huffScratch is room for building a Huffman code.
type huffScratch struct {
	byFreq [maxNumLit]uint32
	depth  [maxNumLit]int32
	syms   [maxNumLit]uint16 // the symbols that occur, in order
}

// assign gives syms, in ascending order, their canonical codes (RFC 1951
// section 3.2.2) from their lengths, of which count has the number of each.
func (c *huffCode) assign(syms []uint16, count *[16]uint16) {
	var next [16]uint16
	code := uint16(0)
	for l := 1; l < 16; l++ {
		code = (code + count[l-1]) << 1
		next[l] = code
	}
	for _, sym := range syms {
		l := c.len[sym] & 15
		c.code[sym] = bits.Reverse16(next[l]) >> (16 - l)
		next[l]++
	}
}

// minRedundancy turns a, frequencies in ascending order, into the lengths
// of an optimal prefix code for them, in place (Moffat and Katajainen, "In-
// place calculation of minimum-redundancy codes", 1995): first the parent
// of each internal node, then the depth of each internal node, then the
// depth of each leaf. len(a) must be at least 2.
func minRedundancy(a []int32) {
	n := len(a)
	a[0] += a[1]
	root, leaf := 0, 2
	for next := 1; next < n-1; next++ {
		if leaf >= n || a[root] < a[leaf] {
			a[next] = a[root]
			a[root] = int32(next)
			root++
		} else {
			a[next] = a[leaf]
			leaf++
		}
		if leaf >= n || (root < next && a[root] < a[leaf]) {
			a[next] += a[root]
			a[root] = int32(next)
			root++
		} else {
			a[next] += a[leaf]
			leaf++
		}
	}
	a[n-2] = 0
	for next := n - 3; next >= 0; next-- {
		a[next] = a[a[next]] + 1
	}
	avail, used, depth := 1, 0, int32(0)
	root, next := n-2, n-1
	for avail > 0 {
		for root >= 0 && a[root] == depth {
			used++
			root--
		}
		for avail > used {
			a[next] = depth
			next--
			avail--
		}
		avail, used = 2*used, 0
		depth++
	}
}

// limitLengths shortens the lengths in depth (non-increasing) to at most
// maxBits and lengthens others so that the code stays complete, keeping
// the shortest codes for the most frequent symbols, which come last.
func limitLengths(depth []int32, maxBits int) {
	var count [maxNumLit + 1]int
	for _, l := range depth {
		count[min(int(l), maxBits)]++
	}
	total := 0
	for l := 1; l <= maxBits; l++ {
		total += count[l] << (maxBits - l)
	}
	// Each turn takes away one code of maxBits bits and splits a shorter
	// one in two: the Kraft sum drops by one unit.
	for ; total > 1<<maxBits; total-- {
		count[maxBits]--
		for l := maxBits - 1; l > 0; l-- {
			if count[l] > 0 {
				count[l]--
				count[l+1] += 2
				break
			}
		}
	}
	i := 0
	for l := maxBits; l > 0; l-- {
		for range count[l] {
			depth[i] = int32(l)
			i++
		}
	}
}

// dynamicCode is the pair of codes of a dynamic block, and how their
// lengths are sent (section 3.2.7).
type dynamicCode struct {
	lit, dist   huffCode
	nlit, ndist int
	clc         huffCode                       // the code length code
	ncl         int                            // code length code lengths sent
	rle         [maxNumLit + maxNumDist]uint16 // the lengths, run-length coded: symbol | extra<<5
	nrle        int
	sc          huffScratch
}

// build makes the codes for freq, and returns the bits the block's symbols
// take with them and with the fixed code, without the header.
func (dc *dynamicCode) build(freq *blockFreq) (bits, fixedBits int) {
	used := dc.lit.build(freq.lit[:], 15, &dc.sc)
	bits = codeBits(freq.lit[:], used, dc.lit.len[:], litExtra[:])
	fixedBits = codeBits(freq.lit[:], used, fixedEnc.lit.len[:], litExtra[:])
	used = dc.dist.build(freq.dist[:], 15, &dc.sc)
	bits += codeBits(freq.dist[:], used, dc.dist.len[:], distExtra[:])
	fixedBits += codeBits(freq.dist[:], used, fixedEnc.dist.len[:], distExtra[:])
	dc.nlit, dc.ndist = maxNumLit, maxNumDist
	for dc.nlit > 257 && dc.lit.len[dc.nlit-1] == 0 {
		dc.nlit--
	}
	for dc.ndist > 1 && dc.dist.len[dc.ndist-1] == 0 {
		dc.ndist--
	}
	var all [maxNumLit + maxNumDist]uint8
	copy(all[:], dc.lit.len[:dc.nlit])
	copy(all[dc.nlit:], dc.dist.len[:dc.ndist])
	var clFreq [19]int32
	dc.runLengths(all[:dc.nlit+dc.ndist], &clFreq)
	dc.clc.build(clFreq[:], 7, &dc.sc)
	dc.ncl = 19
	for dc.ncl > 4 && dc.clc.len[codeLengthOrder[dc.ncl-1]] == 0 {
		dc.ncl--
	}
	return bits, fixedBits
}

// runLengths codes the code lengths as a dynamic block's header sends
// them, into rle: runs of zeros as symbols 17 and 18, other lengths once
// and then their repeats as 16. It counts the symbols in clFreq, for the
// code length code.
func (dc *dynamicCode) runLengths(lengths []uint8, clFreq *[19]int32) {
	emit := func(sym, extra int) {
		dc.rle[dc.nrle] = uint16(sym | extra<<5)
		dc.nrle++
		clFreq[sym]++
	}
	dc.nrle = 0
	for i := 0; i < len(lengths); {
		v := lengths[i]
		run := 1
		for i+run < len(lengths) && lengths[i+run] == v {
			run++
		}
		i += run
		if v == 0 {
			for run >= 11 {
				r := min(run, 138)
				emit(18, r-11)
				run -= r
			}
			if run >= 3 {
				emit(17, run-3)
				run = 0
			}
		} else {
			emit(int(v), 0)
			run--
			for run >= 3 {
				r := min(run, 6)
				emit(16, r-3)
				run -= r
			}
		}
		for ; run > 0; run-- {
			emit(int(v), 0)
		}
	}
}

// clExtra is the number of extra bits after code length symbols 16, 17, 18.
var clExtra = [19]uint8{16: 2, 17: 3, 18: 7}

// litExtra is the number of extra bits after each literal/length symbol.
var litExtra = func() (t [maxNumLit]uint8) {
	copy(t[257:], lengthExtra[:])
	return t
}()

// headerBits is the size of the block header after its first three bits.
func (dc *dynamicCode) headerBits() int {
	n := 5 + 5 + 4 + 3*dc.ncl
	for _, r := range dc.rle[:dc.nrle] {
		sym := r & 31
		n += int(dc.clc.len[sym]) + int(clExtra[sym])
	}
	return n
}

// writeHeader writes the block header after its first three bits: the
// numbers of codes, the code length code, and the run-length coded lengths.
func (dc *dynamicCode) writeHeader(w *bitWriter) {
	w.write(uint64(dc.nlit-257)|uint64(dc.ndist-1)<<5|uint64(dc.ncl-4)<<10, 14)
	for _, sym := range codeLengthOrder[:dc.ncl] {
		w.write(uint64(dc.clc.len[sym]), 3)
	}
	for _, r := range dc.rle[:dc.nrle] {
		sym := r & 31
		w.write(uint64(dc.clc.code[sym])|uint64(r>>5)<<dc.clc.len[sym], uint(dc.clc.len[sym]+clExtra[sym]))
	}
}

// fixedEnc is the fixed code of section 3.2.6, for writing.
var fixedEnc = func() (f struct{ lit, dist huffCode }) {
	var syms [288]uint16
	var litCount, distCount [16]uint16
	for i, l := range fixedLitLengths {
		syms[i] = uint16(i)
		f.lit.len[i] = l
		litCount[l]++
	}
	f.lit.assign(syms[:], &litCount)
	for i := range 32 {
		f.dist.len[i] = 5
		distCount[5]++
	}
	f.dist.assign(syms[:32], &distCount)
	return f
}()
