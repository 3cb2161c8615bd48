package flate

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/bits"
	"sync"
)

// The window sizes a Writer takes, in bits: RFC 7692 lets each side limit
// the other's window to 2^8 to 2^15 bytes.
const (
	MinWindowBits = 8
	MaxWindowBits = 15
)

// A Writer is a DEFLATE encoder written for messages: a hash table of
// 5-byte sequences probed once per position tried, then one block per
// 16 KiB of input, the smallest of a dynamic Huffman code, the fixed code
// or no compression. Most messages are small, so what costs per block
// (building the codes) is kept cheap. A Writer holds its 64 KiB table and
// its window with 16 KiB more.
type Writer struct {
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
	blockSize      = 16 << 10 // input encoded per block
	matchTableBits = 14
	minMatch       = 4 // DEFLATE allows 3; 4 bytes are compared at once
	maxMatch       = 258
)

// NewWriter returns a Writer sending its output to dst, whose matches
// reach back at most 2^windowBits bytes. windowBits must be from
// MinWindowBits to MaxWindowBits.
func NewWriter(dst io.Writer, windowBits int) (*Writer, error) {
	if windowBits < MinWindowBits || windowBits > MaxWindowBits {
		return nil, fmt.Errorf("flate: a window of %d bits; want %d to %d", windowBits, MinWindowBits, MaxWindowBits)
	}
	return &Writer{dst: dst, window: 1 << windowBits}, nil
}

// Reset discards the history and any error, and starts a new stream sent
// to dst.
func (w *Writer) Reset(dst io.Writer) {
	w.dst, w.err = dst, nil
	w.bw = bitWriter{out: w.bw.out[:0]}
	// Moving cur past every position in use leaves the old entries pointing
	// before the start of buf, where no match is looked for.
	if w.cur > 1<<30 {
		clear(w.table[:])
		w.cur = 0
	}
	w.cur += int32(len(w.buf))
	w.buf = w.buf[:0]
	w.start = 0
}

// ResetDict is Reset with the last window of dict as the history that
// matches may refer to, as though it had been written before. The peer
// must inflate with the same dictionary.
func (w *Writer) ResetDict(dst io.Writer, dict []byte) {
	w.Reset(dst)
	if len(dict) > w.window {
		dict = dict[len(dict)-w.window:]
	}
	if len(dict) == 0 {
		return
	}
	w.grow()
	w.buf = append(w.buf, dict...)
	for i := 0; i+8 <= len(dict); i++ {
		w.table[hash5(binary.LittleEndian.Uint64(w.buf[i:]))] = int32(i) + w.cur
	}
	w.start = len(w.buf)
}

// grow gives buf room for the window and a block.
func (w *Writer) grow() {
	if cap(w.buf) < w.window+blockSize {
		w.buf = make([]byte, 0, w.window+blockSize)
	}
}

// Write compresses p, sending a block to dst each time 16 KiB of input
// wait; Flush sends the rest. An error from dst stays until Reset.
func (w *Writer) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	w.grow()
	total := len(p)
	for len(p) > 0 {
		if len(w.buf)-w.start == blockSize {
			w.block()
			if w.err != nil {
				return total - len(p), w.err
			}
		}
		if len(w.buf) == cap(w.buf) {
			// Keep the window before start; what waits is less than a block.
			drop := w.start - w.window
			n := copy(w.buf, w.buf[drop:])
			w.buf = w.buf[:n]
			w.start -= drop
			w.cur += int32(drop)
		}
		room := min(cap(w.buf), w.start+blockSize) - len(w.buf)
		n := copy(w.buf[len(w.buf):len(w.buf)+room], p)
		w.buf = w.buf[:len(w.buf)+n]
		p = p[n:]
	}
	return total, nil
}

// Flush compresses what was written and sends it to dst, ending it on a
// byte boundary with an empty stored block (00 00 ff ff), which RFC 7692
// section 7.2.1 then drops from the message. The stream goes on: what is
// written next may refer back to what was written before.
func (w *Writer) Flush() error {
	if w.err != nil {
		return w.err
	}
	if len(w.buf) > w.start {
		w.block()
	}
	w.bw.write(0, 3) // not final, stored
	w.bw.align()
	w.bw.out = append(w.bw.out, 0, 0, 0xff, 0xff)
	w.send()
	return w.err
}

func (w *Writer) send() {
	if w.err == nil && len(w.bw.out) > 0 {
		_, w.err = w.dst.Write(w.bw.out)
	}
	w.bw.out = w.bw.out[:0]
}

// blockTokens pools the token lists of blocks being encoded, which a
// Writer kept between messages need not hold.
var blockTokens = sync.Pool{New: func() any { return new([blockSize + 1]uint32) }}

// A token is a literal byte (below 256) or a match: 1<<31, its length
// minus 3 in bits 16-23 and its distance minus 1 in bits 0-15.
const matchToken = 1 << 31

// block encodes buf[start:] as one block.
func (w *Writer) block() {
	toks := blockTokens.Get().(*[blockSize + 1]uint32)
	w.freq = blockFreq{}
	n := w.findMatches(toks[:0], &w.freq)
	w.writeBlock(toks[:n], &w.freq, w.buf[w.start:])
	blockTokens.Put(toks)
	w.start = len(w.buf)
	w.send()
}

// blockFreq counts the symbols of a block's two codes.
type blockFreq struct {
	lit  [maxNumLit]int32
	dist [maxNumDist]int32
}

// findMatches turns buf[start:] into tokens, counting their symbols, and
// returns how many there are.
func (w *Writer) findMatches(toks []uint32, freq *blockFreq) int {
	buf, end := w.buf, len(w.buf)
	s, emit := w.start, w.start
	window := uint(w.window)
	table, cur := &w.table, w.cur
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
func (w *Writer) writeBlock(toks []uint32, freq *blockFreq, raw []byte) {
	dyn := &w.dyn
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
		w.bw.write(0, 3)
		w.bw.align()
		w.bw.out = binary.LittleEndian.AppendUint16(w.bw.out, uint16(len(raw)))
		w.bw.out = binary.LittleEndian.AppendUint16(w.bw.out, ^uint16(len(raw)))
		w.bw.out = append(w.bw.out, raw...)
	case fixedBits <= dynBits:
		w.bw.write(1<<1, 3)
		w.bw.tokens(toks, &fixedEnc.lit, &fixedEnc.dist)
	default:
		w.bw.write(2<<1, 3)
		dyn.writeHeader(&w.bw)
		w.bw.tokens(toks, &dyn.lit, &dyn.dist)
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
