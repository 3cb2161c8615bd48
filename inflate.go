package websocket

import (
	"encoding/binary"
	"io"
	"math/bits"
	"sync"
)

// This file holds the DEFLATE decoder (RFC 1951) that inflates compressed
// messages. A message is gathered whole before it is inflated, so the
// decoder reads from memory, a 64-bit word at a time, and never waits for
// input; it stops only when its window is full, for Read to empty it. A
// large message is gathered in several segments (see gatherChunks): the
// decoder reads each with 64-bit loads, and loads a byte at a time only
// across the few bytes where one segment ends and the next begins.
//
// It accepts and rejects exactly what compress/flate does, which fuzzing
// checks (FuzzInflateDecoder), and reads no further than compress/flate
// would: it asks for the bits of a Huffman code only as compress/flate asks
// for them, so that a message cut short yields the same bytes before its
// error.

const (
	inflateWindow = 1 << 15 // the farthest a match reaches back
	inflateHist   = 2 * inflateWindow
	maxNumLit     = 286 // literal/length symbols a dynamic block may code
	maxNumDist    = 30
	endOfBlock    = 256
	tableBits     = 9 // bits resolved by a table's first level
)

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
	var next [16]int
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

	// Codes longer than tableBits: each second-level table is as large as
	// the longest code under its first tableBits bits needs.
	const mask = 1<<tableBits - 1
	var subBits [1 << tableBits]uint8
	if maxLen > tableBits {
		pos := next
		for _, n := range lengths {
			if n > tableBits {
				rev := reverseBits(pos[n], n)
				pos[n]++
				i := rev & mask
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
		link := t.first[rev&mask]
		sub := t.sub[link>>16 : link>>16+1<<(link>>5&0xf)]
		for j := rev >> tableBits; j < len(sub); j += 1 << (n - tableBits) {
			sub[j] = e
		}
	}
	return true
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

// fixedLitLengths are the code lengths of the fixed literal/length code of
// section 3.2.6; every fixed distance code is 5 bits long.
var fixedLitLengths = func() (l [288]uint8) {
	for i := range l {
		switch {
		case i < 144:
			l[i] = 8
		case i < 256:
			l[i] = 9
		case i < 280:
			l[i] = 7
		default:
			l[i] = 8
		}
	}
	return l
}()

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

// Length and distance symbols: the base of each and its extra bits
// (section 3.2.5).
var (
	lengthBase = [29]uint16{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31,
		35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	lengthExtra = [29]uint8{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2,
		3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	distBase = [30]uint16{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193,
		257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	distExtra = [30]uint8{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6,
		7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
	// The order of the code length code's lengths (section 3.2.7).
	codeLengthOrder = [19]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}
)

type inflateState uint8

const (
	atBlockHeader inflateState = iota
	inStoredBlock
	inHuffmanBlock
)

// inflater decodes one message's DEFLATE stream: the payload with the
// sync-flush tail put back (RFC 7692 section 7.2.2). The stream ends with a
// final block, after which the rest is ignored (section 7.2.3.4), or with a
// block that is not final but ends exactly at the end of the input and is
// stored: the empty stored block of a sync flush, whose length the tail is.
// A stream that ends anywhere else was cut short, or its Huffman codes
// happen to end with the tail, which no sync flush leaves.
type inflater struct {
	in   []byte // the stream, or the segment of it being read: segs[seg]
	pos  int    // next byte of in to load into b
	b    uint64 // bits loaded, the next one lowest
	nb   uint   // bits in b
	fake uint   // of those, bits past the end of in (zeros, never to be used)

	hist []byte // inflateHist bytes: hist[:w] is history, hist[r:w] not yet read
	r, w int

	state     inflateState
	final     bool // the current block is the last
	stored    int  // bytes left in the current stored block
	copyLen   int  // bytes left of a match cut short by a full window
	copyDist  int
	lit, dist *huffTable
	dynLit    huffTable
	dynDist   huffTable
	err       error // io.EOF once the stream has ended

	segs [][]byte // the stream's segments, when it is in more than one
	seg  int
}

var inflaters = sync.Pool{New: func() any { return &inflater{hist: make([]byte, inflateHist)} }}

// getInflater returns an inflater for the stream in, with dict as the
// history a match may reach back into (context takeover).
func getInflater(in, dict []byte) *inflater {
	return newInflater(in, nil, dict)
}

// getSegmentsInflater returns an inflater for the stream made of segs, in
// order, none of them empty.
func getSegmentsInflater(segs [][]byte, dict []byte) *inflater {
	return newInflater(segs[0], segs, dict)
}

func newInflater(in []byte, segs [][]byte, dict []byte) *inflater {
	f := inflaters.Get().(*inflater)
	f.in, f.pos = in, 0
	f.segs, f.seg = segs, 0
	f.b, f.nb, f.fake = 0, 0, 0
	f.r = copy(f.hist, dict[max(0, len(dict)-inflateWindow):])
	f.w = f.r
	f.state, f.final, f.err = atBlockHeader, false, nil
	f.stored, f.copyLen = 0, 0
	if len(in) == 0 {
		f.err = io.EOF
	}
	return f
}

func putInflater(f *inflater) {
	f.in, f.segs = nil, nil
	inflaters.Put(f)
}

// nextSegment makes the next segment of the input the one being read, once
// in is read to its end; it reports false at the end of the input.
func (f *inflater) nextSegment() bool {
	if f.seg+1 >= len(f.segs) {
		return false
	}
	f.seg++
	f.in, f.pos = f.segs[f.seg], 0
	return true
}

// progress returns how many bytes of its input f has decoded, give or take
// the few in its bit buffer, and how many there are in all.
func (f *inflater) progress() (read, total int) {
	read = f.pos - int(f.nb-f.fake)>>3
	if f.segs == nil {
		return read, len(f.in)
	}
	for i, s := range f.segs {
		if i < f.seg {
			read += len(s)
		}
		total += len(s)
	}
	return read, total
}

// pending returns how many inflated bytes wait in the window to be read.
func (f *inflater) pending() int { return f.w - f.r }

// Read reads inflated bytes into p. It returns io.EOF at the end of the
// stream, and errCorruptDeflate or errTruncatedDeflate for a stream that is
// not valid, after the bytes inflated before the fault.
func (f *inflater) Read(p []byte) (int, error) {
	for f.r == f.w {
		if f.err != nil {
			return 0, f.err
		}
		if f.w == len(f.hist) {
			// Keep one window of history.
			f.w = copy(f.hist, f.hist[f.w-inflateWindow:f.w])
			f.r = f.w
		}
		for f.w < len(f.hist) && f.err == nil {
			switch f.state {
			case atBlockHeader:
				f.blockHeader()
			case inStoredBlock:
				f.storedData()
			case inHuffmanBlock:
				f.huffmanData()
			}
		}
	}
	n := copy(p, f.hist[f.r:f.w])
	f.r += n
	return n, nil
}

// refill loads bits until b holds at least 56, past the end of the input
// with zeros counted in fake.
func (f *inflater) refill() {
	if f.nb >= 56 {
		return
	}
	if f.pos+8 <= len(f.in) {
		// The bits loaded above nb are those of the next byte, which the
		// next refill loads again at the same place.
		f.b |= binary.LittleEndian.Uint64(f.in[f.pos:]) << f.nb
		k := (63 - f.nb) >> 3
		f.pos += int(k)
		f.nb += k << 3
		return
	}
	for f.nb < 56 {
		if f.pos < len(f.in) || f.nextSegment() {
			f.b |= uint64(f.in[f.pos]) << f.nb
			f.pos++
		} else {
			f.fake += 8
		}
		f.nb += 8
	}
}

// has reports whether n bits of the input are loaded.
func (f *inflater) has(n uint) bool { return f.nb >= f.fake+n }

func (f *inflater) consume(n uint) {
	f.b >>= n
	f.nb -= n
}

// fail ends the stream with err.
func (f *inflater) fail(err error) { f.err = err }

// symbol reads the next symbol of t's code, after refill. It fails the
// stream when the input ends first or the bits are no code.
func (f *inflater) symbol(t *huffTable) (uint32, bool) {
	if !f.has(t.min) {
		f.fail(errTruncatedDeflate)
		return 0, false
	}
	sym, n := t.decode(f.b)
	switch {
	case n == 0:
		f.fail(errCorruptDeflate)
		return 0, false
	case !f.has(n):
		f.fail(errTruncatedDeflate)
		return 0, false
	}
	f.consume(n)
	return sym, true
}

// extra reads n extra bits, after refill.
func (f *inflater) extra(n uint8) (int, bool) {
	if !f.has(uint(n)) {
		f.fail(errTruncatedDeflate)
		return 0, false
	}
	v := int(f.b & (1<<n - 1))
	f.consume(uint(n))
	return v, true
}

// based reads the extra bits of a length or distance symbol and returns
// the value they make with its base, failing the stream for a symbol
// beyond the table.
func (f *inflater) based(sym uint32, base []uint16, extra []uint8) (int, bool) {
	if sym >= uint32(len(base)) {
		f.fail(errCorruptDeflate)
		return 0, false
	}
	v, ok := f.extra(extra[sym])
	return v + int(base[sym]), ok
}

func (f *inflater) blockHeader() {
	f.refill()
	if !f.has(3) {
		f.fail(errTruncatedDeflate)
		return
	}
	f.final = f.b&1 != 0
	typ := f.b >> 1 & 3
	f.consume(3)
	switch typ {
	case 0:
		f.storedHeader()
	case 1:
		f.lit, f.dist = fixedTables()
		f.state = inHuffmanBlock
	case 2:
		if f.readCodes() {
			f.lit, f.dist = &f.dynLit, &f.dynDist
			f.state = inHuffmanBlock
		}
	default:
		f.fail(errCorruptDeflate)
	}
}

// storedHeader reads a stored block's length, from the byte boundary.
func (f *inflater) storedHeader() {
	f.consume(f.nb & 7)
	f.pos -= int(f.nb-f.fake) >> 3 // give back the whole bytes loaded
	for f.pos < 0 {
		// Some came from the segments before.
		f.seg--
		f.in = f.segs[f.seg]
		f.pos += len(f.in)
	}
	f.b, f.nb, f.fake = 0, 0, 0
	var lens uint32 // the length and its complement
	if f.pos+4 <= len(f.in) {
		lens = binary.LittleEndian.Uint32(f.in[f.pos:])
		f.pos += 4
	} else {
		for i := 0; i < 32; i += 8 {
			if f.pos == len(f.in) && !f.nextSegment() {
				f.fail(errTruncatedDeflate)
				return
			}
			lens |= uint32(f.in[f.pos]) << i
			f.pos++
		}
	}
	n := uint16(lens)
	if ^n != uint16(lens>>16) {
		f.fail(errCorruptDeflate)
		return
	}
	f.stored = int(n)
	f.state = inStoredBlock
	if n == 0 {
		f.endBlock()
	}
}

func (f *inflater) storedData() {
	n := min(f.stored, len(f.hist)-f.w, len(f.in)-f.pos)
	copy(f.hist[f.w:], f.in[f.pos:f.pos+n])
	f.w += n
	f.pos += n
	f.stored -= n
	switch {
	case f.stored == 0:
		f.endBlock()
	case f.pos == len(f.in) && !f.nextSegment():
		f.fail(errTruncatedDeflate)
	}
}

// atEnd reports whether the whole input has been loaded.
func (f *inflater) atEnd() bool { return f.pos == len(f.in) && f.seg+1 >= len(f.segs) }

// endBlock ends the current block, and the stream after a final block or a
// stored one that ends the input.
func (f *inflater) endBlock() {
	if f.final || f.state == inStoredBlock && f.atEnd() {
		f.err = io.EOF
		return
	}
	f.state = atBlockHeader
}

// readCodes reads a dynamic block's code lengths (section 3.2.7) and builds
// its tables, failing the stream as compress/flate does for codes that
// cannot be.
func (f *inflater) readCodes() bool {
	f.refill()
	if !f.has(14) {
		f.fail(errTruncatedDeflate)
		return false
	}
	nlit := int(f.b&0x1f) + 257
	ndist := int(f.b>>5&0x1f) + 1
	nclen := int(f.b>>10&0xf) + 4
	f.consume(14)
	if nlit > maxNumLit || ndist > maxNumDist {
		f.fail(errCorruptDeflate)
		return false
	}
	var clLengths [19]uint8
	for _, sym := range codeLengthOrder[:nclen] {
		f.refill()
		v, ok := f.extra(3)
		if !ok {
			return false
		}
		clLengths[sym] = uint8(v)
	}
	// The code length code goes in dynDist until the lengths are read.
	cl := &f.dynDist
	if !cl.build(clLengths[:]) {
		f.fail(errCorruptDeflate)
		return false
	}
	var all [maxNumLit + maxNumDist]uint8
	lengths := all[:nlit+ndist]
	for i := 0; i < len(lengths); {
		f.refill()
		sym, ok := f.symbol(cl)
		if !ok {
			return false
		}
		if sym < 16 {
			lengths[i] = uint8(sym)
			i++
			continue
		}
		var rep int
		var fill uint8
		switch sym {
		case 16:
			if i == 0 {
				f.fail(errCorruptDeflate)
				return false
			}
			rep, ok = f.extra(2)
			rep += 3
			fill = lengths[i-1]
		case 17:
			rep, ok = f.extra(3)
			rep += 3
		default:
			rep, ok = f.extra(7)
			rep += 11
		}
		if !ok {
			return false
		}
		if i+rep > len(lengths) {
			f.fail(errCorruptDeflate)
			return false
		}
		for range rep {
			lengths[i] = fill
			i++
		}
	}
	if !f.dynLit.build(lengths[:nlit]) || !f.dynDist.build(lengths[nlit:]) {
		f.fail(errCorruptDeflate)
		return false
	}
	// Every block ends with its end-of-block code, so compress/flate waits
	// for at least as many bits before each symbol.
	f.dynLit.min = max(f.dynLit.min, uint(lengths[endOfBlock]))
	return true
}

// huffmanData inflates a Huffman-coded block until it ends or the window
// is full.
func (f *inflater) huffmanData() {
	if f.copyLen > 0 && !f.copyMatch(f.copyLen, f.copyDist) {
		return
	}
	for f.fake == 0 && f.huffmanFast() {
		// Too near the end of the segment for a word: huffmanTail goes on,
		// and hands back once it is into the next.
		if !f.huffmanTail() {
			return
		}
	}
	if f.fake != 0 {
		f.huffmanTail()
	}
}

// huffmanFast inflates while at least 48 bits of input, the most a symbol
// with its match takes, are loaded before each symbol. It reports true
// when it stopped for want of input, for huffmanTail to go on.
func (f *inflater) huffmanFast() bool {
	in, pos, b, nb := f.in, f.pos, f.b, f.nb
	hist, w := f.hist, f.w
	lit, dist := f.lit, f.dist
	var err error
	for w < len(hist) {
		if nb < 48 {
			if pos+8 > len(in) {
				break
			}
			b |= binary.LittleEndian.Uint64(in[pos:]) << nb
			k := (63 - nb) >> 3
			pos += int(k)
			nb += k << 3
		}
		sym, n := lit.decode(b)
		if n == 0 {
			err = errCorruptDeflate
			break
		}
		b >>= n
		nb -= n
		if sym < endOfBlock {
			hist[w] = byte(sym)
			w++
			continue
		}
		if sym == endOfBlock {
			f.in, f.pos, f.b, f.nb, f.w = in, pos, b, nb, w
			f.endBlock()
			return false
		}
		sym -= endOfBlock + 1
		if sym >= uint32(len(lengthBase)) {
			err = errCorruptDeflate
			break
		}
		eb := lengthExtra[sym]
		length := int(lengthBase[sym]) + int(b&(1<<eb-1))
		b >>= eb
		nb -= uint(eb)
		dsym, n := dist.decode(b)
		if n == 0 || dsym >= uint32(len(distBase)) {
			err = errCorruptDeflate
			break
		}
		b >>= n
		nb -= n
		eb = distExtra[dsym]
		d := int(distBase[dsym]) + int(b&(1<<eb-1))
		b >>= eb
		nb -= uint(eb)
		if d > w {
			err = errCorruptDeflate
			break
		}
		if end := w + length; d >= length && end <= len(hist) {
			copy(hist[w:end], hist[w-d:])
			w = end
			continue
		}
		f.w = w
		ok := f.copyMatch(length, d)
		w = f.w
		if !ok {
			break
		}
	}
	f.in, f.pos, f.b, f.nb, f.w = in, pos, b, nb, w
	if err != nil {
		f.fail(err)
		return false
	}
	return w < len(hist) && f.copyLen == 0
}

// huffmanTail inflates a block near the end of the input, or of a segment
// of it, checking before each symbol that its bits are there. It reports
// true when it stopped with a word of input ahead, in the next segment, for
// huffmanFast to go on.
func (f *inflater) huffmanTail() bool {
	for f.w < len(f.hist) {
		// (Near the end of the last segment, pos only comes closer to it.)
		if f.pos+8 <= len(f.in) && f.fake == 0 {
			return true
		}
		f.refill()
		sym, ok := f.symbol(f.lit)
		if !ok {
			return false
		}
		if sym < endOfBlock {
			f.hist[f.w] = byte(sym)
			f.w++
			continue
		}
		if sym == endOfBlock {
			f.endBlock()
			return false
		}
		length, ok := f.based(sym-(endOfBlock+1), lengthBase[:], lengthExtra[:])
		if !ok {
			return false
		}
		dsym, ok := f.symbol(f.dist)
		if !ok {
			return false
		}
		dist, ok := f.based(dsym, distBase[:], distExtra[:])
		if !ok {
			return false
		}
		if dist > f.w {
			f.fail(errCorruptDeflate)
			return false
		}
		if !f.copyMatch(length, dist) {
			return false
		}
	}
	return false
}

// copyMatch copies length bytes from dist back, as far as the window has
// room; it keeps the rest for later and reports false when it has not.
func (f *inflater) copyMatch(length, dist int) bool {
	n := min(length, len(f.hist)-f.w)
	end := f.w + n
	for f.w < end {
		f.w += copy(f.hist[f.w:end], f.hist[f.w-dist:f.w])
	}
	f.copyLen, f.copyDist = length-n, dist
	return f.copyLen == 0
}
