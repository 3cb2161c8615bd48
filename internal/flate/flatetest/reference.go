// Package flatetest holds what tests of DEFLATE streams (RFC 1951) share:
// a decoder written from the RFC alone, independent of internal/flate and
// of compress/flate, that also reports how far back the stream's matches
// reach; and the messages tests compress.
package flatetest

import (
	"errors"
	"fmt"
)

// Result is what Inflate decoded.
type Result struct {
	Out     []byte // the decoded bytes, without the dictionary
	MaxDist int    // the largest distance of a back-reference
	Blocks  int    // blocks decoded
	Final   bool   // a block had BFINAL set; decoding stopped after it
	Stored  bool   // the last block decoded was stored
	Rest    int    // input bytes left after a final block
}

// ErrTruncated is reported for input that ends inside a block.
var ErrTruncated = errors.New("flatetest: input ends inside a block")

// bitReader reads the bits of a DEFLATE stream, least significant first.
type bitReader struct {
	in  []byte
	pos int    // next byte of in to load
	acc uint32 // bits loaded and not yet consumed
	n   uint   // how many bits acc holds (at most 7 between reads)
}

func (b *bitReader) bits(n uint) (uint32, error) {
	for b.n < n {
		if b.pos >= len(b.in) {
			return 0, ErrTruncated
		}
		b.acc |= uint32(b.in[b.pos]) << b.n
		b.pos++
		b.n += 8
	}
	v := b.acc & (1<<n - 1)
	b.acc >>= n
	b.n -= n
	return v, nil
}

// huffman is a canonical Huffman code: the number of codes of each length
// and the symbols in code order.
type huffman struct {
	count  [16]int
	symbol []int
}

func newHuffman(lengths []int) (*huffman, error) {
	h := &huffman{symbol: make([]int, 0, len(lengths))}
	for _, l := range lengths {
		h.count[l]++
	}
	left := 1
	for l := 1; l < 16; l++ {
		left = left<<1 - h.count[l]
		if left < 0 {
			return nil, errors.New("flatetest: over-subscribed Huffman code")
		}
	}
	// An incomplete code is corrupt (as zlib and compress/flate hold),
	// except an empty one and one of a single 1-bit code.
	if n := len(lengths) - h.count[0]; left > 0 && n != 0 && !(n == 1 && h.count[1] == 1) {
		return nil, errors.New("flatetest: incomplete Huffman code")
	}
	var offs [16]int
	for l := 1; l < 15; l++ {
		offs[l+1] = offs[l] + h.count[l]
	}
	h.symbol = h.symbol[:offs[15]+h.count[15]]
	for sym, l := range lengths {
		if l != 0 {
			h.symbol[offs[l]] = sym
			offs[l]++
		}
	}
	return h, nil
}

// decode reads one symbol, a bit at a time (codes are sent most significant
// bit first).
func (b *bitReader) decode(h *huffman) (int, error) {
	code, first, index := 0, 0, 0
	for l := 1; l < 16; l++ {
		bit, err := b.bits(1)
		if err != nil {
			return 0, err
		}
		code |= int(bit)
		count := h.count[l]
		if code-count < first {
			return h.symbol[index+code-first], nil
		}
		index += count
		first = (first + count) << 1
		code <<= 1
	}
	return 0, errors.New("flatetest: invalid Huffman code")
}

// The tables of RFC 1951 section 3.2.5, written out again here so that
// the reference shares nothing with the code it checks: the base of each
// length and distance symbol and its extra bits, and the order of the code
// length code's lengths (section 3.2.7).
var (
	LengthBase      = [29]int{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	LengthExtra     = [29]uint{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	DistBase        = [30]int{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	DistExtra       = [30]uint{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
	CodeLengthOrder = [19]int{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}
)

var fixedLit, fixedDist = func() (*huffman, *huffman) {
	l := make([]int, 288)
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
	d := make([]int, 32) // 30 and 31 take part in the code but never occur
	for i := range d {
		d[i] = 5
	}
	lit, _ := newHuffman(l)
	dist, _ := newHuffman(d)
	return lit, dist
}()

// Inflate decodes the DEFLATE stream in, which may refer back into dict.
// It ends cleanly where the input ends at a block boundary (a sync-flushed
// permessage-deflate message with its tail put back ends so) or after a
// block with BFINAL set; input that ends inside a block is an error.
func Inflate(in, dict []byte) (res Result, err error) {
	b := &bitReader{in: in}
	win := append([]byte(nil), dict...)
	defer func() { res.Out = win[len(dict):] }()
	for !res.Final {
		if b.pos == len(in) && b.n < 8 && b.acc == 0 && res.Blocks > 0 {
			return res, nil // input used up at a block boundary
		}
		var hdr uint32
		if hdr, err = b.bits(3); err != nil {
			return res, err
		}
		res.Final = hdr&1 == 1
		res.Blocks++
		res.Stored = hdr>>1 == 0
		switch hdr >> 1 {
		case 0: // stored
			b.acc, b.n = 0, 0
			if b.pos+4 > len(in) {
				return res, ErrTruncated
			}
			n := int(in[b.pos]) | int(in[b.pos+1])<<8
			nn := int(in[b.pos+2]) | int(in[b.pos+3])<<8
			if n != ^nn&0xffff {
				return res, errors.New("flatetest: stored block length does not match its complement")
			}
			b.pos += 4
			if b.pos+n > len(in) {
				return res, ErrTruncated
			}
			win = append(win, in[b.pos:b.pos+n]...)
			b.pos += n
		case 1: // fixed Huffman codes
			if win, err = readSymbols(b, win, fixedLit, fixedDist, &res); err != nil {
				return res, err
			}
		case 2: // dynamic Huffman codes
			lit, dist, err := readTables(b)
			if err != nil {
				return res, err
			}
			if win, err = readSymbols(b, win, lit, dist, &res); err != nil {
				return res, err
			}
		default:
			return res, errors.New("flatetest: reserved block type")
		}
	}
	res.Rest = len(in) - b.pos
	return res, nil
}

// readTables reads the code tables of a dynamic block.
func readTables(b *bitReader) (lit, dist *huffman, err error) {
	v, err := b.bits(14)
	if err != nil {
		return nil, nil, err
	}
	nlen, ndist, ncode := int(v&31)+257, int(v>>5&31)+1, int(v>>10)+4
	if nlen > 286 || ndist > 30 {
		return nil, nil, errors.New("flatetest: too many codes")
	}
	cl := make([]int, 19)
	for i := 0; i < ncode; i++ {
		x, err := b.bits(3)
		if err != nil {
			return nil, nil, err
		}
		cl[CodeLengthOrder[i]] = int(x)
	}
	clh, err := newHuffman(cl)
	if err != nil {
		return nil, nil, err
	}
	lengths := make([]int, 0, nlen+ndist)
	for len(lengths) < nlen+ndist {
		sym, err := b.decode(clh)
		if err != nil {
			return nil, nil, err
		}
		if sym < 16 {
			lengths = append(lengths, sym)
			continue
		}
		var val int
		var rep uint32
		switch sym {
		case 16:
			if len(lengths) == 0 {
				return nil, nil, errors.New("flatetest: repeat with no previous length")
			}
			val = lengths[len(lengths)-1]
			rep, err = b.bits(2)
			rep += 3
		case 17:
			rep, err = b.bits(3)
			rep += 3
		default:
			rep, err = b.bits(7)
			rep += 11
		}
		if err != nil {
			return nil, nil, err
		}
		if len(lengths)+int(rep) > nlen+ndist {
			return nil, nil, errors.New("flatetest: too many lengths")
		}
		for ; rep > 0; rep-- {
			lengths = append(lengths, val)
		}
	}
	if lengths[256] == 0 {
		return nil, nil, errors.New("flatetest: no end-of-block code")
	}
	if lit, err = newHuffman(lengths[:nlen]); err != nil {
		return nil, nil, err
	}
	if dist, err = newHuffman(lengths[nlen:]); err != nil {
		return nil, nil, err
	}
	return lit, dist, nil
}

// readSymbols decodes the symbols of a Huffman block, appending to win.
func readSymbols(b *bitReader, win []byte, lit, dist *huffman, res *Result) ([]byte, error) {
	for {
		sym, err := b.decode(lit)
		if err != nil {
			return win, err
		}
		switch {
		case sym < 256:
			win = append(win, byte(sym))
			continue
		case sym == 256:
			return win, nil
		case sym > 285:
			return win, errors.New("flatetest: invalid length code")
		}
		sym -= 257
		x, err := b.bits(LengthExtra[sym])
		if err != nil {
			return win, err
		}
		length := LengthBase[sym] + int(x)
		dsym, err := b.decode(dist)
		if err != nil {
			return win, err
		}
		if dsym >= 30 {
			return win, errors.New("flatetest: invalid distance code")
		}
		x, err = b.bits(DistExtra[dsym])
		if err != nil {
			return win, err
		}
		d := DistBase[dsym] + int(x)
		if d > len(win) {
			return win, fmt.Errorf("flatetest: distance %d reaches before the start of the %d bytes of history", d, len(win))
		}
		res.MaxDist = max(res.MaxDist, d)
		for i := 0; i < length; i++ {
			win = append(win, win[len(win)-d])
		}
	}
}
