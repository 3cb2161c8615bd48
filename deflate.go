package websocket

import (
	"bytes"
	stdflate "compress/flate"
	"context"
	"io"
	"math"
	"sync"
	"sync/atomic"

	"github.com/f30c7f75/websocket/internal/flate"
)

// This file holds the data path of permessage-deflate (RFC 7692 section 7.2):
// compressing outgoing messages and inflating incoming ones. The DEFLATE
// codec itself is in internal/flate.

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

	// A compressed message being read is gathered whole in zbuf, or in
	// chunks when it takes more than one (see gatherChunks; the first is
	// then zbuf), and then inflated by zr; zout counts the bytes inflated.
	// All are guarded by the read semaphore.
	zbuf   []byte
	chunks [][]byte
	zr     *flate.Reader
	zout   int64
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

// compressor is a DEFLATE encoder: internal/flate's Writer for level 1 and
// windows under 15 bits, compress/flate's for levels 2 to 9.
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
		fw, err := flate.NewWriter(dst, bits)
		if err != nil {
			// Negotiation keeps window bits from 8 to 15 (extension.go).
			panic("websocket: " + err.Error())
		}
		return fw
	}
	fw, _ := stdflate.NewWriter(dst, level) // levels 2 to 9 are valid
	return &stdWriter{Writer: fw, level: level}
}

// stdWriter is a compress/flate Writer as a compressor.
type stdWriter struct {
	*stdflate.Writer
	level  int
	primed bool // made with a dictionary, which the Writer's Reset keeps
}

// Reset starts a new stream to dst, with no dictionary.
func (w *stdWriter) Reset(dst io.Writer) { w.ResetDict(dst, nil) }

// ResetDict starts a new stream to dst, primed with dict. The package primes
// only compressors of windows up to dictWindowBits, which are
// internal/flate's, so a stdWriter is never primed in practice; if it is, it
// takes a new encoder, and another when it is reset without a dictionary.
func (w *stdWriter) ResetDict(dst io.Writer, dict []byte) {
	switch {
	case len(dict) > 0:
		w.Writer, _ = stdflate.NewWriterDict(dst, w.level, dict)
		w.primed = true
	case w.primed:
		w.Writer, _ = stdflate.NewWriter(dst, w.level)
		w.primed = false
	default:
		w.Writer.Reset(dst)
	}
}

func putFlateWriter(bits, level int, fw compressor) {
	fw.Reset(nil)
	flateWriters[bits][coderLevel(bits, level)].Put(fw)
}

// coderLevel is the level that compressors of window bits are told apart
// by: under 15 bits, only internal/flate's.
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
	if pc, ok := c.nc.(*pageConn); ok {
		return pc.extensions // the page's socket compresses, if anything does
	}
	if c.deflate == nil {
		return ""
	}
	return c.deflate.params.String()
}

// inflateBlock is the size of the blocks a message is inflated into once
// the destination buffer is full.
const inflateBlock = 64 << 10

var inflateBlocks = sync.Pool{New: func() any { return new([inflateBlock]byte) }}

// inflaters pools the decoders of messages being inflated, each with its
// 64 KiB window: a connection holds one only while it reads a compressed
// message.
var inflaters = sync.Pool{New: func() any { return flate.NewReader(nil, nil) }}

// A compressed message is gathered whole before it is inflated. It starts
// in zbuf, which grows by copying, as a small message's buffer does, up to
// inflateBlock, and is kept for the next message when the message fit in
// it. Beyond that it goes into further chunks (c.deflate.chunks), which are
// filled and never copied; those of a block's size come from the pool of
// inflateBlocks and go back to it. A new chunk is as large as the message
// so far, and at least a block, so that memory follows the bytes that have
// arrived: a peer announcing a huge frame and sending little of it costs no
// more than twice what it sent, and a block. It is no larger than the
// current frame fills, though, when that frame ends the message or is
// larger than a block; otherwise it is a block, which the frames after it
// share. So a large frame is gathered in chunks it fills exactly, the last
// with room for the tail that section 7.2.2 puts back, and of the blocks
// small frames share only the last may be left partly empty.

// gatherChunks reads the rest of the current compressed message into zbuf
// and c.deflate.chunks. Interrupted, it leaves what it read there for the
// next read to go on.
func (c *Conn) gatherChunks(ctx context.Context) error {
	r := &c.r
	for r.active {
		if r.remain == 0 {
			if err := c.nextDataFrame(ctx); err != nil {
				return err
			}
			continue
		}
		chunk := &c.deflate.zbuf
		if n := len(c.deflate.chunks); n > 0 {
			chunk = &c.deflate.chunks[n-1]
		}
		if len(*chunk) == cap(*chunk) {
			chunk = c.gatherChunk()
		}
		n, err := c.readPayload(ctx, (*chunk)[len(*chunk):cap(*chunk)])
		*chunk = (*chunk)[:len(*chunk)+n]
		if err != nil {
			return err
		}
	}
	return nil
}

// gatherChunk makes room for the current frame's next bytes, the last
// chunk being full: it grows zbuf or adds a chunk, and returns it.
func (c *Conn) gatherChunk() *[]byte {
	r, z := &c.r, c.deflate
	want := r.remain // what the frame still brings, and the tail after the last
	if r.frame.Fin {
		want += int64(len(deflateTail))
	}
	if len(z.chunks) == 0 && cap(z.zbuf) < inflateBlock {
		size := min(inflateBlock, max(int64(len(z.zbuf))+want, 2*int64(cap(z.zbuf))))
		grown := make([]byte, len(z.zbuf), size)
		copy(grown, z.zbuf)
		z.zbuf = grown
		return &z.zbuf
	}
	size := max(inflateBlock, r.size-r.remain) // what has arrived
	if r.frame.Fin {
		size = min(size, want)
	} else {
		size = min(size, max(want, inflateBlock))
	}
	var chunk []byte
	if size == inflateBlock {
		chunk = inflateBlocks.Get().(*[inflateBlock]byte)[:0]
	} else {
		chunk = make([]byte, 0, size)
	}
	if len(z.chunks) == 0 {
		z.chunks = append(z.chunks, z.zbuf)
	}
	z.chunks = append(z.chunks, chunk)
	return &z.chunks[len(z.chunks)-1]
}

// startInflate begins inflating the compressed message gathered by
// gatherChunks.
func (c *Conn) startInflate() {
	r, z := &c.r, c.deflate
	var dict []byte
	if !z.readNoContext {
		dict = z.received.window()
	}
	z.zr = inflaters.Get().(*flate.Reader)
	switch {
	case len(z.chunks) == 0 && len(z.zbuf) == 0:
		// An empty payload is an empty message; it is not a DEFLATE
		// stream, even with the tail put back, and inflates to nothing.
		z.zr.Reset(nil, nil)
	case len(z.chunks) == 0 && cap(z.zbuf)-len(z.zbuf) >= len(deflateTail):
		z.zbuf = append(z.zbuf, deflateTail...)
		z.zr.Reset(z.zbuf, dict)
	default:
		// The tail goes at the end of the last chunk if it fits, or in a
		// segment of its own.
		if len(z.chunks) == 0 {
			z.chunks = append(z.chunks, z.zbuf)
		}
		last := &z.chunks[len(z.chunks)-1]
		if cap(*last)-len(*last) >= len(deflateTail) {
			*last = append(*last, deflateTail...)
		} else {
			z.chunks = append(z.chunks, deflateTail)
		}
		z.zr.ResetSegments(z.chunks, dict)
	}
	z.zout = 0
	r.utf8 = utf8Validator{}
}

// inflating reports whether the current message is being inflated.
func (c *Conn) inflating() bool { return c.deflate != nil && c.deflate.zr != nil }

// inflate reads the next inflated bytes of the current message into p,
// checking them against the read limit and, for text, UTF-8. It returns
// io.EOF, with its decoder back in the pool, once the message is whole.
func (c *Conn) inflate(p []byte) (int, error) {
	r, z := &c.r, c.deflate
	if room := r.msgLimit - z.zout; room < int64(len(p)) {
		p = p[:room+1] // one byte past the limit is enough to know
	}
	n, err := z.zr.Read(p)
	if n > 0 {
		z.zout += int64(n)
		if z.zout > r.msgLimit {
			c.endInflate()
			return 0, c.fail(StatusMessageTooBig, "message inflates beyond the read limit of %d bytes", r.msgLimit)
		}
		if r.typ == MessageText && !r.utf8.write(p[:n]) {
			c.endInflate()
			return 0, c.fail(StatusInvalidFramePayloadData, "text message is not valid UTF-8")
		}
		z.remember(p[:n])
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
		return n, c.fail(StatusInvalidFramePayloadData, "compressed message: %v", err)
	}
}

// endInflate releases what inflating a message used.
func (c *Conn) endInflate() {
	z := c.deflate
	if z.zr != nil {
		z.zr.Reset(nil, nil) // not to keep the message's buffers
		inflaters.Put(z.zr)
		z.zr = nil
	}
	if len(z.chunks) > 0 {
		// Do not hold on to a large message's buffers.
		for _, chunk := range z.chunks {
			if cap(chunk) == inflateBlock {
				inflateBlocks.Put((*[inflateBlock]byte)(chunk[:inflateBlock]))
			}
		}
		clear(z.chunks)
		z.chunks = z.chunks[:0]
		if cap(z.chunks) > 64 {
			z.chunks = nil
		}
		z.zbuf = nil
	} else if cap(z.zbuf) > inflateBlock {
		z.zbuf = nil
	} else {
		z.zbuf = z.zbuf[:0]
	}
}

// estimateAfter is how much of a message is inflated into blocks, past
// the caller's buffer, before the size of the whole is estimated.
const estimateAfter = 8 * inflateBlock

// inflateMargin: the estimate of a message's size is raised by
// 1/inflateMargin of itself, for compression that gets better as the
// message goes on.
const inflateMargin = 128

// estimateRatio is the most the rest of a message is estimated to inflate
// by, per compressed byte. Text compresses by less, as a rule; a message
// whose start compresses by more (a run of zeros, say) tells little of the
// rest, which could be incompressible, and an estimate from it could cost
// many times the message.
const estimateRatio = 16

// inflateMessage inflates the whole current message, appending it to dst.
// While dst has room it inflates in place; beyond that, inflateBeyond
// takes over.
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
	return c.inflateBeyond(dst)
}

// inflateBeyond inflates the rest of the current message, which has filled
// dst, into pooled blocks; a message that ends within estimateAfter of them
// is assembled with one allocation of the exact size. A larger message gets
// a buffer of its estimated size (inflatedSize), with the blocks copied in
// and returned to the pool, and inflates on in place: it costs its size and
// a little (the estimate's margin). When the estimate falls short, the rest
// goes into blocks, and the whole into a second buffer of the exact size:
// about twice the message, as a message whose estimate is not trusted costs
// too. Such a message, inflating past the read limit, fails there having
// cost little more than the limit. When the estimate overshoots by more
// than half the message, the message is copied into a buffer of its size,
// so that the caller does not hold the rest.
func (c *Conn) inflateBeyond(dst []byte) ([]byte, error) {
	var spare [estimateAfter / inflateBlock]*[inflateBlock]byte
	blocks := spare[:0]
	last := inflateBlock // bytes used in the last block
	release := func() {
		for _, b := range blocks {
			inflateBlocks.Put(b)
		}
		blocks, last = blocks[:0], inflateBlock
	}
	defer release()
	estimated := false // and, when dst is then not full, it is the estimate's
	for {
		var n int
		var err error
		if len(dst) < cap(dst) { // and there are no blocks
			n, err = c.inflate(dst[len(dst):cap(dst)])
			dst = dst[:len(dst)+n]
		} else {
			inBlocks := len(blocks)*inflateBlock - (inflateBlock - last)
			if !estimated && inBlocks >= estimateAfter {
				estimated = true
				if size := c.inflatedSize(); size > len(dst)+inBlocks {
					out := make([]byte, len(dst), size)
					copy(out, dst)
					dst = appendBlocks(out, blocks, last)
					release()
					continue
				}
			}
			if last == inflateBlock {
				blocks = append(blocks, inflateBlocks.Get().(*[inflateBlock]byte))
				last = 0
			}
			n, err = c.inflate(blocks[len(blocks)-1][last:])
			last += n
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return dst, err
		}
	}
	inBlocks := len(blocks)*inflateBlock - (inflateBlock - last)
	if inBlocks == 0 {
		if estimated && cap(dst)-len(dst) > len(dst)/2 {
			// The estimate overshot by far, the start of the message
			// having compressed much better than the rest: a buffer of
			// the message's size is handed over instead, for the caller
			// not to hold on to the rest.
			return bytes.Clone(dst), nil
		}
		return dst, nil // the message fit in dst
	}
	out := make([]byte, len(dst), len(dst)+inBlocks)
	copy(out, dst)
	return appendBlocks(out, blocks, last), nil
}

// appendBlocks appends to out the blocks a message inflated into, of which
// the last holds last bytes.
func appendBlocks(out []byte, blocks []*[inflateBlock]byte, last int) []byte {
	for i, b := range blocks {
		if i == len(blocks)-1 {
			return append(out, b[:last]...)
		}
		out = append(out, b[:]...)
	}
	return out
}

// inflatedSize estimates the size of the message being inflated: the bytes
// inflated so far, and the rest of the compressed message at the ratio so
// far (at most estimateRatio), raised by 1/inflateMargin and no more than
// the read limit. It returns 0 when the estimate passes the limit by more
// than an eighth: the message is most likely to be refused for it, and is
// better left to go on in blocks, which stop at the limit, than given a
// buffer of the limit as well.
func (c *Conn) inflatedSize() int {
	r, z := &c.r, c.deflate
	read, total := z.zr.Progress()
	if read <= 0 {
		return 0
	}
	out := float64(z.zout) + float64(z.zr.Buffered())
	est := out + float64(total-read)*min(out/float64(read), estimateRatio)
	if limit := float64(r.msgLimit); est > limit+limit/8 {
		return 0
	}
	est = min(est+est/inflateMargin, float64(r.msgLimit))
	if est > math.MaxInt/2 {
		return 0 // not to be allocated anyway
	}
	return int(est)
}

// compressedLimit is the most compressed bytes accepted for a message under
// a read limit of n: DEFLATE can grow incompressible data by a little.
func compressedLimit(n int64) int64 {
	if n > 1<<60 {
		return n
	}
	return n + n>>8 + 1024
}
