package flate

import (
	"encoding/binary"
	"errors"
	"io"
)

// The decoder reads its input from memory, a 64-bit word at a time, and
// never waits for more; it stops only when its window is full, for Read to
// empty it. An input in segments is read with 64-bit loads too, a byte at a
// time only across the few bytes where one segment ends and the next
// begins. It asks for the bits of a Huffman code only as compress/flate
// asks for them, so that an input cut short gives the same bytes before
// its error.

// The errors a Reader reports for input that is not a whole stream.
var (
	// ErrCorrupt is reported for input that is not the start of any
	// DEFLATE stream.
	ErrCorrupt = errors.New("flate: corrupt input")
	// ErrTruncated is reported for input that stops inside a block.
	ErrTruncated = errors.New("flate: input ends inside a block")
)

const (
	maxDistance = 1 << 15 // the farthest a match reaches back
	historySize = 2 * maxDistance
)

type readerState uint8

const (
	atBlockHeader readerState = iota
	inStoredBlock
	inHuffmanBlock
)

// A Reader inflates one DEFLATE stream held in memory into the caller's
// buffer. NewReader makes one; Reset and ResetSegments give it another
// stream, keeping its 64 KiB window.
type Reader struct {
	in   []byte // the segment of the input being read: segs[seg]
	pos  int    // next byte of in to load into b
	b    uint64 // bits loaded, the next one lowest
	nb   uint   // bits in b
	fake uint   // of those, bits past the end of the input (zeros, never to be used)

	segs [][]byte // the input's segments
	seg  int
	one  [1][]byte // segs for an input in one piece

	hist []byte // historySize bytes: hist[:w] is history, hist[r:w] not yet read
	r, w int

	state     readerState
	final     bool // the current block is the last
	stored    int  // bytes left in the current stored block
	copyLen   int  // bytes left of a match cut short by a full window
	copyDist  int
	lit, dist *huffTable
	dynLit    huffTable
	dynDist   huffTable
	err       error // io.EOF once the stream has ended
}

// NewReader returns a Reader inflating the stream in, after the last
// 32 KiB of dict as the history its matches may refer to.
func NewReader(in, dict []byte) *Reader {
	f := new(Reader)
	f.Reset(in, dict)
	return f
}

// Reset makes f inflate the stream in, after the last 32 KiB of dict. f
// reads in as it goes, so in must not change until f is reset again;
// Reset(nil, nil) lets go of it.
func (f *Reader) Reset(in, dict []byte) {
	f.one[0] = in
	f.ResetSegments(f.one[:], dict)
}

// ResetSegments makes f inflate the stream made of segs, in order, after
// the last 32 KiB of dict. Segments may be empty. f reads segs as it goes,
// so neither segs nor the slices in it may change until f is reset again.
func (f *Reader) ResetSegments(segs [][]byte, dict []byte) {
	if f.hist == nil {
		f.hist = make([]byte, historySize)
	}
	if len(segs) == 0 || &segs[0] != &f.one[0] {
		f.one[0] = nil // not to hold on to the input Reset gave
	}
	f.segs, f.seg = segs, -1
	f.in, f.pos = nil, 0
	f.b, f.nb, f.fake = 0, 0, 0
	f.r = copy(f.hist, dict[max(0, len(dict)-maxDistance):])
	f.w = f.r
	f.state, f.final, f.err = atBlockHeader, false, nil
	f.stored, f.copyLen = 0, 0
	if !f.nextSegment() {
		f.err = io.EOF // no input, no stream: nothing to inflate
	}
}

// nextSegment makes the next segment that is not empty the one being read,
// once in is read to its end; it reports false at the end of the input.
func (f *Reader) nextSegment() bool {
	for f.seg+1 < len(f.segs) {
		f.seg++
		f.in, f.pos = f.segs[f.seg], 0
		if len(f.in) > 0 {
			return true
		}
	}
	return false
}

// atEnd reports whether the whole input has been loaded.
func (f *Reader) atEnd() bool {
	if f.pos < len(f.in) {
		return false
	}
	for _, s := range f.segs[f.seg+1:] {
		if len(s) > 0 {
			return false
		}
	}
	return true
}

// Progress returns how many bytes of its input f has decoded, give or take
// the few it has loaded ahead, and how many there are in all. With the
// output so far, it tells how much the rest may inflate to.
func (f *Reader) Progress() (read, total int) {
	read = f.pos - int(f.nb-f.fake)>>3
	for i, s := range f.segs {
		if i < f.seg {
			read += len(s)
		}
		total += len(s)
	}
	return read, total
}

// Buffered returns how many inflated bytes wait in f's window for Read.
func (f *Reader) Buffered() int { return f.w - f.r }

// Read reads inflated bytes into p. It returns io.EOF at the end of the
// stream, and ErrCorrupt or ErrTruncated for input that is not a whole
// stream, once the bytes inflated before the fault are read.
func (f *Reader) Read(p []byte) (int, error) {
	for f.r == f.w {
		if f.err != nil {
			return 0, f.err
		}
		if f.w == len(f.hist) {
			// Keep one window of history.
			f.w = copy(f.hist, f.hist[f.w-maxDistance:f.w])
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
func (f *Reader) refill() {
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
func (f *Reader) has(n uint) bool { return f.nb >= f.fake+n }

func (f *Reader) consume(n uint) {
	f.b >>= n
	f.nb -= n
}

// fail ends the stream with err.
func (f *Reader) fail(err error) { f.err = err }

// symbol reads the next symbol of t's code, after refill. It fails the
// stream when the input ends first or the bits are no code.
func (f *Reader) symbol(t *huffTable) (uint32, bool) {
	if !f.has(t.min) {
		f.fail(ErrTruncated)
		return 0, false
	}
	sym, n := t.decode(f.b)
	switch {
	case n == 0:
		f.fail(ErrCorrupt)
		return 0, false
	case !f.has(n):
		f.fail(ErrTruncated)
		return 0, false
	}
	f.consume(n)
	return sym, true
}

// extra reads n extra bits, after refill.
func (f *Reader) extra(n uint8) (int, bool) {
	if !f.has(uint(n)) {
		f.fail(ErrTruncated)
		return 0, false
	}
	v := int(f.b & (1<<n - 1))
	f.consume(uint(n))
	return v, true
}

// based reads the extra bits of a length or distance symbol and returns
// the value they make with its base, failing the stream for a symbol
// beyond the table.
func (f *Reader) based(sym uint32, base []uint16, extra []uint8) (int, bool) {
	if sym >= uint32(len(base)) {
		f.fail(ErrCorrupt)
		return 0, false
	}
	v, ok := f.extra(extra[sym])
	return v + int(base[sym]), ok
}

func (f *Reader) blockHeader() {
	f.refill()
	if !f.has(3) {
		f.fail(ErrTruncated)
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
		f.fail(ErrCorrupt)
	}
}

// storedHeader reads a stored block's length, from the byte boundary.
func (f *Reader) storedHeader() {
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
				f.fail(ErrTruncated)
				return
			}
			lens |= uint32(f.in[f.pos]) << i
			f.pos++
		}
	}
	n := uint16(lens)
	if ^n != uint16(lens>>16) {
		f.fail(ErrCorrupt)
		return
	}
	f.stored = int(n)
	f.state = inStoredBlock
	if n == 0 {
		f.endBlock()
	}
}

func (f *Reader) storedData() {
	n := min(f.stored, len(f.hist)-f.w, len(f.in)-f.pos)
	copy(f.hist[f.w:], f.in[f.pos:f.pos+n])
	f.w += n
	f.pos += n
	f.stored -= n
	switch {
	case f.stored == 0:
		f.endBlock()
	case f.pos == len(f.in) && !f.nextSegment():
		f.fail(ErrTruncated)
	}
}

// endBlock ends the current block, and the stream after a final block or a
// stored one that ends the input: the empty stored block of a sync flush.
// A stream that ends anywhere else was cut short, or its Huffman codes
// happen to end like a sync flush, which no sync flush leaves.
func (f *Reader) endBlock() {
	if f.final || f.state == inStoredBlock && f.atEnd() {
		f.err = io.EOF
		return
	}
	f.state = atBlockHeader
}

// readCodes reads a dynamic block's code lengths (section 3.2.7) and builds
// its tables, failing the stream as compress/flate does for codes that
// cannot be.
func (f *Reader) readCodes() bool {
	f.refill()
	if !f.has(14) {
		f.fail(ErrTruncated)
		return false
	}
	nlit := int(f.b&0x1f) + 257
	ndist := int(f.b>>5&0x1f) + 1
	nclen := int(f.b>>10&0xf) + 4
	f.consume(14)
	if nlit > maxNumLit || ndist > maxNumDist {
		f.fail(ErrCorrupt)
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
		f.fail(ErrCorrupt)
		return false
	}
	var all [maxNumLit + maxNumDist]uint8
	lengths := all[:nlit+ndist]
	if !f.readLengths(cl, lengths) {
		return false
	}
	if !f.dynLit.build(lengths[:nlit]) || !f.dynDist.build(lengths[nlit:]) {
		f.fail(ErrCorrupt)
		return false
	}
	// Every block ends with its end-of-block code, so compress/flate waits
	// for at least as many bits before each symbol.
	f.dynLit.min = max(f.dynLit.min, uint(lengths[endOfBlock]))
	return true
}

// readLengths reads the run-length coded code lengths of a dynamic block,
// in the code length code cl, until lengths is full.
func (f *Reader) readLengths(cl *huffTable, lengths []uint8) bool {
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
		case 16: // the previous length again
			if i == 0 {
				f.fail(ErrCorrupt)
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
			f.fail(ErrCorrupt)
			return false
		}
		for range rep {
			lengths[i] = fill
			i++
		}
	}
	return true
}
