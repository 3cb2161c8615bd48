package flate

import "encoding/binary"

// Inflating the symbols of a block coded with Huffman codes: the loop that
// takes most of the time.

// huffmanData inflates a Huffman-coded block until it ends or the window
// is full.
func (f *Reader) huffmanData() {
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
//
// It is one loop over locals on purpose: the input, the bit buffer and the
// window stay in registers, which helpers taking the Reader would make it
// store and load again for each symbol.
func (f *Reader) huffmanFast() bool {
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
			err = ErrCorrupt
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
			err = ErrCorrupt
			break
		}
		eb := lengthExtra[sym]
		length := int(lengthBase[sym]) + int(b&(1<<eb-1))
		b >>= eb
		nb -= uint(eb)
		dsym, n := dist.decode(b)
		if n == 0 || dsym >= uint32(len(distBase)) {
			err = ErrCorrupt
			break
		}
		b >>= n
		nb -= n
		eb = distExtra[dsym]
		d := int(distBase[dsym]) + int(b&(1<<eb-1))
		b >>= eb
		nb -= uint(eb)
		if d > w {
			err = ErrCorrupt
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
func (f *Reader) huffmanTail() bool {
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
			f.fail(ErrCorrupt)
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
func (f *Reader) copyMatch(length, dist int) bool {
	n := min(length, len(f.hist)-f.w)
	end := f.w + n
	for f.w < end {
		f.w += copy(f.hist[f.w:end], f.hist[f.w-dist:f.w])
	}
	f.copyLen, f.copyDist = length-n, dist
	return f.copyLen == 0
}
