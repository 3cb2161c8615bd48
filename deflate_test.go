package websocket

import (
	"bytes"
	"compress/flate"
	"fmt"
	"io"
	"testing"

	"github.com/f30c7f75/websocket/internal/flate/flatetest"
)

// Tests of permessage-deflate's data path (RFC 7692 section 7.2). The raw
// peer compresses with the standard library's compress/flate (which the
// package also uses for levels 2 to 9, its own internal/flate for the
// rest), and decompresses with it too; where it
// must limit its window or report back-reference distances, it uses tlz,
// the small encoder below, and the reference decoder of
// internal/flate/flatetest (both written from RFC 1951 alone).

// jsonLike returns n bytes of text resembling a JSON feed, compressible as
// real traffic is.
func jsonLike(n int, seed int64) []byte { return flatetest.JSONLike(n, seed) }

// randomBytes returns n random bytes: incompressible, and unlikely to hold
// any 3-byte string twice, so that the only matches a compressor finds in
// data built from them are the repetitions a test puts there.
func randomBytes(n int, seed int64) []byte { return flatetest.RandomBytes(n, seed) }

// mixedBinary returns n bytes of binary data, partly random and partly
// repeated runs, compressible by about half.
func mixedBinary(n int, seed int64) []byte { return flatetest.MixedBinary(n, seed) }

// ---------------------------------------------------------------------------
// The reference DEFLATE decoder (internal/flate/flatetest), which reports
// the largest back-reference distance it follows, under the names the
// tests of this package use.

// tinflateResult is what tinflate decoded.
type tinflateResult struct {
	out     []byte // the decoded bytes, without the dictionary
	maxDist int    // the largest distance of a back-reference
	blocks  int    // blocks decoded
	final   bool   // a block had BFINAL set; decoding stopped after it
	stored  bool   // the last block decoded was stored
	rest    int    // input bytes left after a final block
}

// tinflate decodes the DEFLATE stream in, which may refer back into dict,
// with flatetest.Inflate: it ends cleanly where the input ends at a block
// boundary or after a final block; input that ends inside a block is an
// error.
func tinflate(in, dict []byte) (tinflateResult, error) {
	r, err := flatetest.Inflate(in, dict)
	return tinflateResult{out: r.Out, maxDist: r.MaxDist, blocks: r.Blocks, final: r.Final, stored: r.Stored, rest: r.Rest}, err
}

// tClOrder is the order of the code length code's lengths (RFC 1951
// section 3.2.7), for streams built bit by bit.
var tClOrder = flatetest.CodeLengthOrder

// ---------------------------------------------------------------------------
// A DEFLATE encoder with a window of any size, for a peer that must keep
// its back-references within the window negotiated for it: greedy LZ77
// matching with one candidate per hash, fixed Huffman codes, a sync flush
// at the end of each message.

type tlz struct {
	window    int
	noContext bool
	hist      []byte // the end of the previous messages, with context takeover
}

type tbitWriter struct {
	out []byte
	acc uint64
	n   uint
}

func (w *tbitWriter) bits(v uint32, n uint) {
	w.acc |= uint64(v) << w.n
	w.n += n
	for w.n >= 8 {
		w.out = append(w.out, byte(w.acc))
		w.acc >>= 8
		w.n -= 8
	}
}

// code writes a Huffman code of n bits, most significant bit first.
func (w *tbitWriter) code(c uint32, n uint) {
	var r uint32
	for i := uint(0); i < n; i++ {
		r = r<<1 | c>>i&1
	}
	w.bits(r, n)
}

func (w *tbitWriter) align() {
	if w.n > 0 {
		w.out = append(w.out, byte(w.acc))
		w.acc, w.n = 0, 0
	}
}

func (w *tbitWriter) literal(sym int) {
	switch {
	case sym < 144:
		w.code(uint32(0x30+sym), 8)
	case sym < 256:
		w.code(uint32(0x190+sym-144), 9)
	case sym < 280:
		w.code(uint32(sym-256), 7)
	default:
		w.code(uint32(0xc0+sym-280), 8)
	}
}

func (w *tbitWriter) match(length, dist int) {
	i := 28
	for flatetest.LengthBase[i] > length {
		i--
	}
	w.literal(257 + i)
	w.bits(uint32(length-flatetest.LengthBase[i]), flatetest.LengthExtra[i])
	j := 29
	for flatetest.DistBase[j] > dist {
		j--
	}
	w.code(uint32(j), 5)
	w.bits(uint32(dist-flatetest.DistBase[j]), flatetest.DistExtra[j])
}

// compress returns msg compressed as a permessage-deflate payload: one
// fixed-Huffman block and a sync flush, whose 00 00 ff ff tail is removed.
func (e *tlz) compress(msg []byte) []byte {
	buf := append(append([]byte(nil), e.hist...), msg...)
	start := len(e.hist)
	const hashBits = 16
	table := make([]int32, 1<<hashBits) // 1 + the last position with each hash
	hash := func(i int) uint32 {
		return (uint32(buf[i]) | uint32(buf[i+1])<<8 | uint32(buf[i+2])<<16) * 2654435761 >> (32 - hashBits)
	}
	for i := 0; i+3 <= start; i++ {
		table[hash(i)] = int32(i + 1)
	}
	w := &tbitWriter{}
	w.bits(0, 1) // not final
	w.bits(1, 2) // fixed Huffman codes
	for i := start; i < len(buf); {
		length, dist := 0, 0
		if i+3 <= len(buf) {
			h := hash(i)
			if cand := int(table[h]) - 1; cand >= 0 && i-cand <= e.window {
				for length < 258 && i+length < len(buf) && buf[cand+length] == buf[i+length] {
					length++
				}
				dist = i - cand
			}
			table[h] = int32(i + 1)
		}
		if length < 3 {
			w.literal(int(buf[i]))
			i++
			continue
		}
		w.match(length, dist)
		for j := i + 1; j < i+length && j+3 <= len(buf); j++ {
			table[hash(j)] = int32(j + 1)
		}
		i += length
	}
	w.literal(256)
	w.bits(0, 3) // sync flush: an empty stored block
	w.align()
	w.out = append(w.out, 0, 0, 0xff, 0xff)
	if !e.noContext {
		e.hist = append(e.hist[:0], buf[max(0, len(buf)-e.window):]...)
	}
	return w.out[:len(w.out)-4]
}

// ---------------------------------------------------------------------------
// The raw peer's permessage-deflate codec.

// pmdTail is what section 7.2.1 removes from the end of each compressed
// message and section 7.2.2 puts back.
var pmdTail = []byte{0x00, 0x00, 0xff, 0xff}

// peerEncoder compresses the raw peer's messages: with compress/flate when
// its window is the full 32 KiB, with tlz when it must be smaller.
type peerEncoder struct {
	bits      int
	noContext bool
	level     int
	fw        *flate.Writer
	buf       bytes.Buffer
	lz        *tlz
}

func newPeerEncoder(bits int, noContext bool, level int) *peerEncoder {
	return &peerEncoder{bits: bits, noContext: noContext, level: level}
}

// compress returns msg as a compressed payload, tail removed.
func (e *peerEncoder) compress(t testing.TB, msg []byte) []byte {
	t.Helper()
	if e.bits < 15 {
		if e.lz == nil || e.noContext {
			e.lz = &tlz{window: 1 << e.bits, noContext: e.noContext}
		}
		return e.lz.compress(msg)
	}
	if e.fw == nil || e.noContext {
		var err error
		if e.fw, err = flate.NewWriter(&e.buf, e.level); err != nil {
			t.Fatal(err)
		}
	}
	e.buf.Reset()
	if _, err := e.fw.Write(msg); err != nil {
		t.Fatal(err)
	}
	if err := e.fw.Flush(); err != nil {
		t.Fatal(err)
	}
	out := e.buf.Bytes()
	if !bytes.HasSuffix(out, pmdTail) {
		t.Fatalf("compress/flate's sync flush does not end with 00 00 ff ff: % x", out[max(0, len(out)-8):])
	}
	return append([]byte(nil), out[:len(out)-4]...)
}

// peerDecoder inflates the messages the package sends to the raw peer, with
// compress/flate, and checks them with tinflate: both must agree, the
// stream must end at a block boundary, and no back-reference may reach
// further than the negotiated window.
type peerDecoder struct {
	bits      int
	noContext bool
	hist      []byte // the inflated stream so far, with context takeover
}

func (d *peerDecoder) dict() []byte {
	if d.noContext {
		return nil
	}
	return d.hist[max(0, len(d.hist)-1<<d.bits):]
}

// decode inflates payload with the history of the compressed messages
// before it.
func (d *peerDecoder) decode(payload []byte) ([]byte, error) {
	data := append(append([]byte(nil), payload...), pmdTail...)
	dict := d.dict()
	out, err := io.ReadAll(flate.NewReaderDict(bytes.NewReader(data), dict))
	if err != nil && err != io.ErrUnexpectedEOF {
		return nil, fmt.Errorf("compress/flate: %v (after %d bytes)", err, len(out))
	}
	res, err := tinflate(data, dict)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(res.out, out) {
		return nil, fmt.Errorf("tinflate (%d bytes) and compress/flate (%d bytes) disagree", len(res.out), len(out))
	}
	if res.maxDist > 1<<d.bits {
		return nil, fmt.Errorf("a back-reference reaches %d bytes back, beyond the %d-byte window (%d bits)", res.maxDist, 1<<d.bits, d.bits)
	}
	if !d.noContext {
		d.hist = append(d.hist, out...)
		if len(d.hist) > 64<<10 {
			d.hist = append(d.hist[:0], d.hist[len(d.hist)-32<<10:]...)
		}
	}
	return out, nil
}

// TestZeroBomb checks zeroBomb's hand-made block with compress/flate and
// the reference decoder: it inflates to the zeros asked for.
func TestZeroBomb(t *testing.T) {
	for _, n := range []int{1, 2, 258, 259, 260, 100000} {
		data := append(zeroBomb(n), pmdTail...)
		out, err := io.ReadAll(flate.NewReader(bytes.NewReader(data)))
		if err != io.ErrUnexpectedEOF || !bytes.Equal(out, make([]byte, n)) {
			t.Fatalf("zeroBomb(%d): %d bytes, %v", n, len(out), err)
		}
		if res, err := tinflate(data, nil); err != nil || !bytes.Equal(res.out, out) {
			t.Fatalf("zeroBomb(%d) with tinflate: %d bytes, %v", n, len(res.out), err)
		}
	}
}

// TestTestEncoder checks tlz, the test's windowed encoder: its output
// inflates with compress/flate, with and without context takeover, and
// never refers further back than its window.
func TestTestEncoder(t *testing.T) {
	for bits := 8; bits <= 15; bits++ {
		for _, noContext := range []bool{false, true} {
			w := 1 << bits
			enc := &tlz{window: w, noContext: noContext}
			dec := &peerDecoder{bits: bits, noContext: noContext}
			r := randomBytes(w, int64(bits))
			msgs := [][]byte{
				r, r, // the second copy only at exactly the window's distance
				append(append(randomBytes(w/2, 1), r...), r...),
				jsonLike(3*w, 2), jsonLike(3*w, 2), {}, []byte("x"),
			}
			var total, firstR, secondR int
			for i, m := range msgs {
				p := enc.compress(m)
				total += len(p)
				switch i {
				case 0:
					firstR = len(p)
				case 1:
					secondR = len(p)
				}
				got, err := dec.decode(p)
				if err != nil || !bytes.Equal(got, m) {
					t.Fatalf("bits %d, no context %v, message %d: %v (%d bytes, want %d)", bits, noContext, i, err, len(got), len(m))
				}
			}
			if !noContext && secondR > firstR/10 {
				t.Errorf("bits %d: the repeated block took %d bytes after %d: no match at the window's distance", bits, secondR, firstR)
			}
		}
	}
}

// zeroBomb returns a permessage-deflate payload (tail removed) inflating to
// n zero bytes, about n/1032 bytes long: one dynamic-Huffman block whose
// codes make each 258-byte copy of the previous byte two bits.
func zeroBomb(n int) []byte {
	w := &tbitWriter{}
	w.bits(0, 1)       // not final
	w.bits(2, 2)       // dynamic Huffman codes
	w.bits(286-257, 5) // HLIT: literal/length codes up to 285
	w.bits(0, 5)       // HDIST: one distance code
	w.bits(18-4, 4)    // HCLEN: code length codes up to "1" in tClOrder
	// Code length code: 0, 1 and 18 in 2 bits, 2 and 17 in 3.
	clen := map[int]uint32{0: 2, 1: 2, 18: 2, 2: 3, 17: 3}
	for _, sym := range tClOrder[:18] {
		w.bits(clen[sym], 3)
	}
	cl := func(sym int) { // canonical: 0=00 1=01 18=10 2=110 17=111
		switch sym {
		case 0:
			w.code(0, 2)
		case 1:
			w.code(1, 2)
		case 18:
			w.code(2, 2)
		case 2:
			w.code(6, 3)
		}
	}
	zeros := func(k int) { // k from 11 to 138
		cl(18)
		w.bits(uint32(k-11), 7)
	}
	// Literal/length lengths: 0 and 256 (end of block) in 2 bits, 285
	// (length 258) in 1; distance code 0 (distance 1) in 1.
	cl(2)      // literal 0
	zeros(138) // 1-138
	zeros(117) // 139-255
	cl(2)      // 256
	zeros(28)  // 257-284
	cl(1)      // 285
	cl(1)      // distance 0
	// Canonical codes: 285 = 0, literal 0 = 10, 256 = 11; distance 0 = 0.
	w.code(2, 2) // one literal zero
	n--
	for ; n >= 258; n -= 258 {
		w.bits(0, 2) // 258 bytes from 1 back
	}
	for ; n > 0; n-- {
		w.code(2, 2)
	}
	w.code(3, 2) // end of block
	w.bits(0, 3) // sync flush
	w.align()
	return w.out
}

// TestStdWriterDict checks the compressor of levels 2 to 9, compress/flate
// behind the compressor interface: primed with a dictionary, its stream
// refers back into it and inflates to the message; reset without one, it
// stands alone.
func TestStdWriterDict(t *testing.T) {
	dict := jsonLike(4096, 1)
	msg := append([]byte(nil), dict[1000:3000]...)
	for _, level := range []int{2, 9} {
		var z bytes.Buffer
		fw, ok := newFlateWriter(15, level, &z).(*stdWriter)
		if !ok {
			t.Fatalf("level %d: the compressor is not compress/flate's", level)
		}
		fw.ResetDict(&z, dict)
		fw.Write(msg)
		fw.Flush()
		got, err := tinflate(z.Bytes(), dict)
		if err != nil || !bytes.Equal(got.out, msg) {
			t.Fatalf("level %d, with a dictionary: %v, inflated %d bytes, want the %d of the message", level, err, len(got.out), len(msg))
		}
		if z.Len() > len(msg)/10 {
			t.Errorf("level %d: %d bytes for a message that is all in the dictionary", level, z.Len())
		}

		z.Reset()
		fw.ResetDict(&z, nil)
		fw.Write(msg)
		fw.Flush()
		if got, err := tinflate(z.Bytes(), nil); err != nil || !bytes.Equal(got.out, msg) {
			t.Fatalf("level %d, without a dictionary: %v, inflated %d bytes, want %d", level, err, len(got.out), len(msg))
		}
		putFlateWriter(15, level, fw)
	}
}
