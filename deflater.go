package websocket

import (
	"encoding/binary"
	"io"
	"math"
	"math/bits"
	"slices"
	"sync"
)

// deflater is our DEFLATE encoder (RFC 1951), the fastest level: a hash
// table of 5-byte sequences probed once per position tried, then one block
// per 16 KiB of input, the smallest of a dynamic Huffman code, the fixed
// code or no compression. It is written for messages: most are small, so
// what costs per block (building the codes) is kept cheap, and matches
// reach back no further than the negotiated window. A connection that keeps
// one holds its 64 KiB table and its window with 16 KiB more, where
// klauspost/compress's holds over 800 KiB.
type deflater struct {
	dst    io.Writer
	window int    // the farthest a match may reach back, 2^bits bytes
	buf    []byte // history, then from start the input not yet encoded
	start  int
	cur    int32 // table entries hold positions in buf plus cur
	bw     bitWriter
	err    error
	freq   blockFreq
	dyn    dynamicCode
	table  [1 << matchTableBits]int32 // the last position of each hash of 5 bytes
}

const (
	deflateBlock   = 16 << 10 // input encoded per block
	matchTableBits = 14
	minMatch       = 4 // DEFLATE allows 3; 4 bytes are compared at once
	maxMatch       = 258
)

func newDeflater(dst io.Writer, windowBits int) *deflater {
	return &deflater{dst: dst, window: 1 << windowBits}
}

// Reset discards the history and sends the output to dst.
func (d *deflater) Reset(dst io.Writer) {
	d.dst, d.err = dst, nil
	d.bw = bitWriter{out: d.bw.out[:0]}
	// Moving cur past every position in use leaves the old entries pointing
	// before the start of buf, where no match is looked for.
	if d.cur > 1<<30 {
		clear(d.table[:])
		d.cur = 0
	}
	d.cur += int32(len(d.buf))
	d.buf = d.buf[:0]
	d.start = 0
}

// ResetDict is Reset with dict as the history that matches may refer to.
func (d *deflater) ResetDict(dst io.Writer, dict []byte) {
	d.Reset(dst)
	if len(dict) > d.window {
		dict = dict[len(dict)-d.window:]
	}
	if len(dict) == 0 {
		return
	}
	d.grow()
	d.buf = append(d.buf, dict...)
	for i := 0; i+8 <= len(dict); i++ {
		d.table[hash5(binary.LittleEndian.Uint64(d.buf[i:]))] = int32(i) + d.cur
	}
	d.start = len(d.buf)
}

// grow gives buf room for the window and a block.
func (d *deflater) grow() {
	if cap(d.buf) < d.window+deflateBlock {
		d.buf = make([]byte, 0, d.window+deflateBlock)
	}
}

// Write takes p in, encoding a block each time deflateBlock bytes wait.
func (d *deflater) Write(p []byte) (int, error) {
	if d.err != nil {
		return 0, d.err
	}
	d.grow()
	total := len(p)
	for len(p) > 0 {
		if len(d.buf)-d.start == deflateBlock {
			d.block()
			if d.err != nil {
				return total - len(p), d.err
			}
		}
		if len(d.buf) == cap(d.buf) {
			// Keep the window before start; what waits is less than a block.
			drop := d.start - d.window
			n := copy(d.buf, d.buf[drop:])
			d.buf = d.buf[:n]
			d.start -= drop
			d.cur += int32(drop)
		}
		room := min(cap(d.buf), d.start+deflateBlock) - len(d.buf)
		n := copy(d.buf[len(d.buf):len(d.buf)+room], p)
		d.buf = d.buf[:len(d.buf)+n]
		p = p[n:]
	}
	return total, nil
}

// Flush encodes what waits and ends the output on a byte boundary with an
// empty stored block (00 00 ff ff), which section 7.2.1 of RFC 7692 then
// drops from the message.
func (d *deflater) Flush() error {
	if d.err != nil {
		return d.err
	}
	if len(d.buf) > d.start {
		d.block()
	}
	d.bw.write(0, 3) // not final, stored
	d.bw.align()
	d.bw.out = append(d.bw.out, 0, 0, 0xff, 0xff)
	d.send()
	return d.err
}

func (d *deflater) send() {
	if d.err == nil && len(d.bw.out) > 0 {
		_, d.err = d.dst.Write(d.bw.out)
	}
	d.bw.out = d.bw.out[:0]
}

// deflateTokens pools the token lists of blocks being encoded, which a
// connection keeping its deflater need not hold between messages.
var deflateTokens = sync.Pool{New: func() any { return new([deflateBlock + 1]uint32) }}

// A token is a literal byte (below 256) or a match: 1<<31, its length
// minus 3 in bits 16-23 and its distance minus 1 in bits 0-15.
const matchToken = 1 << 31

// block encodes buf[start:] as one block.
func (d *deflater) block() {
	toks := deflateTokens.Get().(*[deflateBlock + 1]uint32)
	d.freq = blockFreq{}
	n := d.findMatches(toks[:0], &d.freq)
	d.writeBlock(toks[:n], &d.freq, d.buf[d.start:])
	deflateTokens.Put(toks)
	d.start = len(d.buf)
	d.send()
}

// blockFreq counts the symbols of a block's two codes.
type blockFreq struct {
	lit  [maxNumLit]int32
	dist [maxNumDist]int32
}

// findMatches turns buf[start:] into tokens, counting their symbols, and
// returns how many there are.
func (d *deflater) findMatches(toks []uint32, freq *blockFreq) int {
	buf, end := d.buf, len(d.buf)
	s, emit := d.start, d.start
	window := uint(d.window)
	table, cur := &d.table, d.cur
	literals := func(p []byte) {
		for _, b := range p {
			toks = append(toks, uint32(b))
			freq.lit[b]++
		}
	}
	// Each turn loads 8 bytes at s and looks for a match at s and at s+1.
	for s+8 <= end {
		x := binary.LittleEndian.Uint64(buf[s:])
		h0, h1 := hash5(x), hash5(x>>8)
		c0, c1 := int(table[h0]-cur), int(table[h1]-cur)
		table[h0], table[h1] = int32(s)+cur, int32(s+1)+cur
		cand := -1
		switch {
		case c0 >= 0 && uint(s-c0-1) < window && load32(buf, c0) == uint32(x):
			cand = c0
		case c1 >= 0 && uint(s-c1) < window && load32(buf, c1) == uint32(x>>8):
			cand = c1
			s++
		default:
			// Skip ahead faster the longer nothing has matched, so that
			// data that does not compress passes quickly.
			s += 2 + (s-emit)>>5
			continue
		}
		// Extend the match backwards over bytes not yet emitted.
		for cand > 0 && s > emit && buf[cand-1] == buf[s-1] {
			cand--
			s--
		}
		l := minMatch + matchLen(buf[cand+minMatch:], buf[s+minMatch:min(end, s+maxMatch)])
		literals(buf[emit:s])
		dist := s - cand
		toks = append(toks, matchToken|uint32(l-3)<<16|uint32(dist-1))
		freq.lit[257+int(lengthCode[l-3])]++
		freq.dist[distCode(dist-1)]++
		s += l
		emit = s
		if s+7 <= end {
			table[hash5(binary.LittleEndian.Uint64(buf[s-1:]))] = int32(s-1) + cur
		}
	}
	literals(buf[emit:end])
	freq.lit[endOfBlock]++
	return len(toks)
}

// writeBlock writes the tokens of the input raw as the smallest of a
// dynamic, a fixed and a stored block.
func (d *deflater) writeBlock(toks []uint32, freq *blockFreq, raw []byte) {
	dyn := &d.dyn
	var dynBits, fixedBits int
	if len(toks) < fewTokens {
		dynBits, fixedBits = math.MaxInt, 3+fixedSize(toks)
	} else {
		dynBits, fixedBits = dyn.build(freq)
		dynBits += 3 + dyn.headerBits()
		fixedBits += 3
	}
	storedBits := 3 + 7 + 32 + 8*len(raw)
	switch {
	case storedBits <= fixedBits && storedBits <= dynBits:
		d.bw.write(0, 3)
		d.bw.align()
		d.bw.out = binary.LittleEndian.AppendUint16(d.bw.out, uint16(len(raw)))
		d.bw.out = binary.LittleEndian.AppendUint16(d.bw.out, ^uint16(len(raw)))
		d.bw.out = append(d.bw.out, raw...)
	case fixedBits <= dynBits:
		d.bw.write(1<<1, 3)
		d.bw.tokens(toks, &fixedEnc.lit, &fixedEnc.dist)
	default:
		d.bw.write(2<<1, 3)
		dyn.writeHeader(&d.bw)
		d.bw.tokens(toks, &dyn.lit, &dyn.dist)
	}
}

// fewTokens is the number of tokens under which a block is not worth the
// header of codes of its own: the header takes 20 bytes or more, and a
// dynamic code saves at most a few bits a symbol over the fixed code.
const fewTokens = 64

// fixedSize returns the bits toks and the end of block take in the fixed
// code.
func fixedSize(toks []uint32) int {
	n := int(fixedEnc.lit.len[endOfBlock])
	for _, t := range toks {
		if t < matchToken {
			n += int(fixedEnc.lit.len[t])
			continue
		}
		lc := lengthCode[t>>16&0xff]
		n += int(fixedEnc.lit.len[257+int(lc)]+lengthExtra[lc]) + 5 + int(distExtra[distCode(int(t&0xffff))])
	}
	return n
}

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
	lengths := all[:dc.nlit+dc.ndist]
	var clFreq [19]int32
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
	dc.clc.build(clFreq[:], 7, &dc.sc)
	dc.ncl = 19
	for dc.ncl > 4 && dc.clc.len[codeLengthOrder[dc.ncl-1]] == 0 {
		dc.ncl--
	}
	return bits, fixedBits
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

// lengthCode is the length symbol, less 257, of each match length less 3.
var lengthCode = func() (t [256]uint8) {
	for code := range len(lengthBase) - 1 {
		for l := lengthBase[code]; l < lengthBase[code+1]; l++ {
			t[l-3] = uint8(code)
		}
	}
	t[255] = 28
	return t
}()

// distCodes maps distances less one to their symbols: those below 256
// directly, longer ones by their distance less one divided by 128.
var distCodes = func() (t [512]uint8) {
	for code := range maxNumDist {
		lo, hi := int(distBase[code])-1, 1<<15
		if code+1 < maxNumDist {
			hi = int(distBase[code+1]) - 1
		}
		for d := lo; d < hi; d++ {
			if d < 256 {
				t[d] = uint8(code)
			} else {
				t[256+d>>7] = uint8(code)
			}
		}
	}
	return t
}()

// distCode returns the symbol of distance d+1.
func distCode(d int) int {
	if d < 256 {
		return int(distCodes[d])
	}
	return int(distCodes[256+d>>7])
}

func load32(b []byte, i int) uint32 { return binary.LittleEndian.Uint32(b[i:]) }

// hash5 hashes the low 5 bytes of x to matchTableBits bits.
func hash5(x uint64) uint32 { return uint32((x << 24) * 0xcf1bbcdcb7a56463 >> (64 - matchTableBits)) }

// matchLen returns how many bytes at the start of b a holds too; a is at
// least as long as b.
func matchLen(a, b []byte) int {
	n := 0
	for len(b)-n >= 8 {
		if x := binary.LittleEndian.Uint64(a[n:]) ^ binary.LittleEndian.Uint64(b[n:]); x != 0 {
			return n + bits.TrailingZeros64(x)>>3
		}
		n += 8
	}
	for n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// bitWriter gathers bits least significant first, as DEFLATE packs them.
type bitWriter struct {
	acc uint64
	n   uint // bits in acc, under 32 between writes
	out []byte
}

// write adds the low n bits of v (n at most 32; v has no higher bits).
func (w *bitWriter) write(v uint64, n uint) {
	w.acc |= v << w.n
	w.n += n
	if w.n >= 32 {
		w.out = binary.LittleEndian.AppendUint32(w.out, uint32(w.acc))
		w.acc >>= 32
		w.n -= 32
	}
}

// align pads with zero bits to a byte boundary and moves every whole byte
// to out.
func (w *bitWriter) align() {
	w.n = (w.n + 7) &^ 7
	for ; w.n > 0; w.n -= 8 {
		w.out = append(w.out, byte(w.acc))
		w.acc >>= 8
	}
}

// tokens writes toks and the end of the block with the codes lit and dist.
// It keeps the bits in locals and, before each token and at the end,
// stores all eight bytes of them into room made beforehand and moves on by
// the whole bytes among them: fewer than 8 bits are then left, and a token
// adds at most 48.
func (w *bitWriter) tokens(toks []uint32, lit, dist *huffCode) {
	w.out = slices.Grow(w.out, 6*len(toks)+24)
	out := w.out[:cap(w.out)]
	i := len(w.out)
	acc, n := w.acc, w.n
	for _, t := range append(toks, endOfBlock) {
		binary.LittleEndian.PutUint64(out[i:], acc)
		i += int(n >> 3)
		acc >>= n &^ 7
		n &= 7
		if t < matchToken {
			acc |= uint64(lit.code[t]) << n
			n += uint(lit.len[t])
			continue
		}
		l := int(t >> 16 & 0xff)
		lc := lengthCode[l]
		sym := 257 + int(lc)
		acc |= (uint64(lit.code[sym]) | uint64(l+3-int(lengthBase[lc]))<<lit.len[sym]) << n
		n += uint(lit.len[sym] + lengthExtra[lc])
		d := int(t & 0xffff)
		dc := distCode(d)
		acc |= (uint64(dist.code[dc]) | uint64(d+1-int(distBase[dc]))<<dist.len[dc]) << n
		n += uint(dist.len[dc] + distExtra[dc])
	}
	binary.LittleEndian.PutUint64(out[i:], acc)
	w.out, w.acc, w.n = out[:i+int(n>>3)], acc>>(n&^7), n&7
}
