package websocket

import (
	"errors"
	"io"
	"sync"
	"sync/atomic"

	"github.com/klauspost/compress/flate"
)

// This file holds the data path of permessage-deflate (RFC 7692 section 7.2):
// compressing outgoing messages and inflating incoming ones.

// deflateTail ends every sync-flushed DEFLATE stream. Section 7.2.1 removes
// it from each compressed message; section 7.2.2 puts it back to inflate.
var deflateTail = []byte{0x00, 0x00, 0xff, 0xff}

// compression is a connection's permessage-deflate state, in this side's
// terms: what it compresses with, and what the peer compresses with.
type compression struct {
	params deflateParams

	level          int
	threshold      int
	writeBits      int
	writeNoContext bool
	writeOff       atomic.Bool // SetWriteCompression(false)
	fw             compressor  // kept between messages with context takeover and a large window

	sent history // what was compressed, when it primes pooled compressors

	readBits      int
	readNoContext bool
	received      history // the end of the inflated stream, for context takeover
}

func newCompression(p deflateParams, o *CompressionOptions, client bool) *compression {
	z := &compression{params: p, level: o.Level, threshold: o.Threshold}
	if z.level == 0 {
		z.level = 1
	}
	if client {
		z.writeBits, z.writeNoContext = p.clientBits, p.clientNoContext
		z.readBits, z.readNoContext = p.serverBits, p.serverNoContext
	} else {
		z.writeBits, z.writeNoContext = p.serverBits, p.serverNoContext
		z.readBits, z.readNoContext = p.clientBits, p.clientNoContext
	}
	return z
}

// compressor is a DEFLATE encoder: our deflater for level 1 and windows
// under 15 bits, klauspost/compress's for levels 2 to 9.
type compressor interface {
	io.Writer
	// Flush encodes what was written and ends the output with an empty
	// stored block, on a byte boundary.
	Flush() error
	Reset(dst io.Writer)
	ResetDict(dst io.Writer, dict []byte)
}

// flateWriters pools compressors without context, by window bits and, for
// the full window, level.
var flateWriters [16][10]sync.Pool

// newFlateWriter returns a compressor writing to dst with window bits and
// level, from the pool when one is there.
func newFlateWriter(bits, level int, dst io.Writer) compressor {
	level = coderLevel(bits, level)
	if fw, ok := flateWriters[bits][level].Get().(compressor); ok {
		fw.Reset(dst)
		return fw
	}
	if level == 1 {
		return newDeflater(dst, bits)
	}
	return newKlauspost(dst, level)
}

func newKlauspost(dst io.Writer, level int) *flate.Writer {
	fw, _ := flate.NewWriter(dst, level)
	return fw
}

func putFlateWriter(bits, level int, fw compressor) {
	fw.Reset(nil)
	flateWriters[bits][coderLevel(bits, level)].Put(fw)
}

// coderLevel is the level that compressors of window bits are told apart
// by: under 15 bits, only our deflater's.
func coderLevel(bits, level int) int {
	if bits < 15 {
		return 1
	}
	return level
}

// dictWindowBits is the largest window for which a compressor with context
// takeover is not kept between messages: the connection keeps only the last
// window of what it sent, and primes a pooled compressor with it for each
// message, which costs encoding the window again. Larger windows keep their
// compressor.
const dictWindowBits = 12

// compressWriter returns the compressor for the next message, sending its
// output to dst.
func (z *compression) compressWriter(dst io.Writer) compressor {
	switch {
	case z.writeNoContext:
		return newFlateWriter(z.writeBits, z.level, dst)
	case z.writeBits <= dictWindowBits:
		fw := newFlateWriter(z.writeBits, z.level, dst)
		fw.ResetDict(dst, z.sent.window())
		return fw
	}
	if z.fw == nil {
		z.fw = newFlateWriter(z.writeBits, z.level, dst)
	}
	return z.fw
}

// compressed notes that p was fed to the compressor, for the history that
// primes the next message's.
func (z *compression) compressed(p []byte) {
	if !z.writeNoContext && z.writeBits <= dictWindowBits {
		z.sent.add(p, 1<<z.writeBits)
	}
}

// releaseWriter ends a message's use of fw. failed says the message was cut
// short: the compressor's context is then forgotten, since the peer never
// saw what it had absorbed (forgetting context is always safe for the peer).
func (z *compression) releaseWriter(fw compressor, dst io.Writer, failed bool) {
	switch {
	case z.writeNoContext:
		putFlateWriter(z.writeBits, z.level, fw)
	case z.writeBits <= dictWindowBits:
		if failed {
			z.sent.reset()
		}
		fw.ResetDict(nil, nil) // drop the reference to this connection's history
		putFlateWriter(z.writeBits, z.level, fw)
	case failed:
		fw.Reset(dst)
	}
}

// historySize is how much inflated output a connection keeps for context
// takeover: the peer's window, and at least 512 bytes because zlib, asked
// for an 8-bit window, uses 9 bits.
func (z *compression) historySize() int { return 1 << max(z.readBits, 9) }

// newInflater returns an inflater for the message in, with the
// connection's history when the peer keeps its context.
func (z *compression) newInflater(in []byte) *inflater {
	var dict []byte
	if !z.readNoContext {
		dict = z.received.window()
	}
	return getInflater(in, dict)
}

// remember adds inflated output to the history kept for context takeover.
func (z *compression) remember(p []byte) {
	if !z.readNoContext {
		z.received.add(p, z.historySize())
	}
}

// history keeps the last bytes of a stream. Its buffer holds two windows,
// so that it slides only once per window of input.
type history struct {
	buf  []byte
	size int // the window
}

func (h *history) add(p []byte, size int) {
	h.size = size
	if len(p) >= size {
		h.buf = append(h.buf[:0], p[len(p)-size:]...)
		return
	}
	if h.buf == nil {
		h.buf = make([]byte, 0, 2*size)
	}
	if len(h.buf)+len(p) > cap(h.buf) {
		keep := size - len(p)
		n := copy(h.buf, h.buf[len(h.buf)-keep:])
		h.buf = h.buf[:n]
	}
	h.buf = append(h.buf, p...)
}

// window returns the last window of the stream.
func (h *history) window() []byte { return h.buf[max(0, len(h.buf)-h.size):] }

func (h *history) reset() { h.buf = h.buf[:0] }

// SetWriteCompression sets whether the messages written from now on are
// compressed, when permessage-deflate was negotiated. It is on by default.
func (c *Conn) SetWriteCompression(on bool) {
	if c.deflate != nil {
		c.deflate.writeOff.Store(!on)
	}
}

// Extensions returns the extensions negotiated in the opening handshake, as
// the Sec-WebSocket-Extensions header gave them, or "" if none.
func (c *Conn) Extensions() string {
	if c.deflate == nil {
		return ""
	}
	return c.deflate.params.String()
}

// inflateBlock is the size of the blocks a message is inflated into once
// the destination buffer is full.
const inflateBlock = 64 << 10

var inflateBlocks = sync.Pool{New: func() any { return new([inflateBlock]byte) }}

var errCorruptDeflate = errors.New("compressed message is not valid DEFLATE data")

// startInflate begins inflating the compressed message gathered in r.zbuf.
func (c *Conn) startInflate() {
	r := &c.r
	// An empty payload is an empty message; it is not a DEFLATE stream,
	// even with the tail put back.
	if len(r.zbuf) > 0 {
		r.zbuf = append(r.zbuf, deflateTail...)
	}
	r.zr = c.deflate.newInflater(r.zbuf)
	r.zout = 0
	r.utf8 = utf8Validator{}
}

var errTruncatedDeflate = errors.New("compressed message ends inside a DEFLATE block")

// inflate reads the next inflated bytes of the current message into p,
// checking them against the read limit and, for text, UTF-8. It returns
// io.EOF, with the inflater released, once the message is whole.
func (c *Conn) inflate(p []byte) (int, error) {
	r := &c.r
	if room := r.msgLimit - r.zout; room < int64(len(p)) {
		p = p[:room+1] // one byte past the limit is enough to know
	}
	n, err := r.zr.Read(p)
	if n > 0 {
		r.zout += int64(n)
		if r.zout > r.msgLimit {
			c.endInflate()
			return 0, c.fail(StatusMessageTooBig, "message inflates beyond the read limit of %d bytes", r.msgLimit)
		}
		if r.typ == MessageText && !r.utf8.write(p[:n]) {
			c.endInflate()
			return 0, c.fail(StatusInvalidFramePayloadData, "text message is not valid UTF-8")
		}
		c.deflate.remember(p[:n])
	}
	switch {
	case err == nil:
		return n, nil
	case err == io.EOF:
		// The stream ended with the final block appended, or with a final
		// block of the peer's own (RFC 7692 section 7.2.3.4), after which
		// the rest is ignored.
		c.endInflate()
		if r.typ == MessageText && !r.utf8.complete() {
			return n, c.fail(StatusInvalidFramePayloadData, "text message ends inside a UTF-8 sequence")
		}
		return n, io.EOF
	default:
		c.endInflate()
		return n, c.fail(StatusInvalidFramePayloadData, "%v", errCorruptDeflate)
	}
}

// endInflate releases what inflating a message used.
func (c *Conn) endInflate() {
	r := &c.r
	if r.zr != nil {
		putInflater(r.zr)
		r.zr = nil
	}
	if cap(r.zbuf) > inflateBlock {
		r.zbuf = nil // do not hold on to a large message's buffer
	} else {
		r.zbuf = r.zbuf[:0]
	}
}

// inflateMessage inflates the whole current message, appending it to dst.
// While dst has room it inflates in place; beyond that into pooled blocks,
// and the result is assembled with one allocation of the exact size, so a
// message that inflates past the read limit costs no more than the limit.
func (c *Conn) inflateMessage(dst []byte) ([]byte, error) {
	for len(dst) < cap(dst) {
		n, err := c.inflate(dst[len(dst):cap(dst)])
		dst = dst[:len(dst)+n]
		if err == io.EOF {
			return dst, nil
		}
		if err != nil {
			return dst, err
		}
	}
	var spare [8]*[inflateBlock]byte
	blocks := spare[:0]
	defer func() {
		for _, b := range blocks {
			inflateBlocks.Put(b)
		}
	}()
	last := inflateBlock // bytes used in the last block
	for {
		if last == inflateBlock {
			blocks = append(blocks, inflateBlocks.Get().(*[inflateBlock]byte))
			last = 0
		}
		n, err := c.inflate(blocks[len(blocks)-1][last:])
		last += n
		if err == io.EOF {
			break
		}
		if err != nil {
			return dst, err
		}
	}
	if len(blocks) == 1 && last == 0 {
		return dst, nil // the message filled dst exactly
	}
	out := make([]byte, len(dst), len(dst)+(len(blocks)-1)*inflateBlock+last)
	copy(out, dst)
	for i, b := range blocks {
		if i == len(blocks)-1 {
			out = append(out, b[:last]...)
		} else {
			out = append(out, b[:]...)
		}
	}
	return out, nil
}

// compressedLimit is the most compressed bytes accepted for a message under
// a read limit of n: DEFLATE can grow incompressible data by a little.
func compressedLimit(n int64) int64 {
	if n > 1<<60 {
		return n
	}
	return n + n>>8 + 1024
}
