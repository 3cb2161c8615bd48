package flate

import (
	"encoding/binary"
	"slices"
)

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
