package websocket

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
)

// writeBufSize is the payload capacity of a write buffer: the most a frame
// from NextWriter carries before the writer sends it and starts the next.
const writeBufSize = 16 << 10

// smallFrame is the largest payload a server copies behind its header to
// send both in one write; larger payloads go out as a vectored write.
const smallFrame = 2048

// largeFrame is the payload size above which a frame goes out in two
// writes: its header with the first writeBufSize bytes, then the rest. The
// first write wakes the peer, which then reads while the kernel takes in the
// bulk; sent whole, the bulk is queued before the peer starts. On loopback
// this took a quarter off the server's CPU time per 1 MiB echo and raised
// throughput by a third (bench/), for one more system call per large frame.
const largeFrame = 64 << 10

// writeBuffer has room for a header in front of a frame's payload, so that
// the two go out in a single write.
type writeBuffer [MaxFrameHeaderSize + writeBufSize]byte

var writeBufPool = sync.Pool{New: func() any { return new(writeBuffer) }}

func (c *Conn) checkMessageType(typ MessageType) error {
	if typ != MessageText && typ != MessageBinary {
		return fmt.Errorf("websocket: invalid message type %d", int(typ))
	}
	return nil
}

// WriteMessage sends p as one message of type typ, in a single frame. For
// text, p must be valid UTF-8; it is not checked. If ctx ends or the write
// deadline passes before any of the frame is sent, WriteMessage returns the
// error and the connection stays usable; if the frame was cut off part way,
// the connection is closed.
func (c *Conn) WriteMessage(ctx context.Context, typ MessageType, p []byte) error {
	if err := c.checkMessageType(typ); err != nil {
		return err
	}
	if err := c.msgSem.lock(ctx, c.closed); err != nil {
		return err
	}
	if c.compressing() && len(p) >= c.deflate.threshold {
		return c.writeCompressed(ctx, typ, p)
	}
	err := c.writeFrame(ctx, FrameHeader{Fin: true, Opcode: Opcode(typ)}, p, nil)
	c.msgSem.unlock()
	return err
}

// writeCompressed sends p as one compressed message, holding msgSem, which
// it releases. The caller has decided to compress: SetWriteCompression
// called since then applies from the next message.
func (c *Conn) writeCompressed(ctx context.Context, typ MessageType, p []byte) error {
	w := c.startWriter(ctx, typ, true)
	_, err := w.compress(p)
	if cerr := w.closeCompressed(); err == nil {
		err = cerr
	}
	return err
}

// compressing reports whether new messages are to be compressed.
func (c *Conn) compressing() bool {
	return c.deflate != nil && !c.deflate.writeOff.Load()
}

// NextWriter starts a message of type typ and returns a writer for its
// payload. The message is sent in frames of up to 16 KiB as the writer fills
// (a single Write larger than that goes out as one frame of its own), and
// Close sends its final frame. ctx governs every write. Until Close, other
// data messages wait; control frames may still go out between the frames.
//
// A message cannot be abandoned half sent: if a write fails after some of
// the message has gone out, the connection is closed.
//
// The writer is for one goroutine at a time. Once closed it fails every
// Write and Close with an error, whatever messages follow.
func (c *Conn) NextWriter(ctx context.Context, typ MessageType) (io.WriteCloser, error) {
	if err := c.checkMessageType(typ); err != nil {
		return nil, err
	}
	if err := c.msgSem.lock(ctx, c.closed); err != nil {
		return nil, err
	}
	c.startWriter(ctx, typ, c.compressing())
	return (*writerHandle)(takeHandle(&c.wchunk, c)), nil
}

// writerHandle is the writer NextWriter returns: c.writer, until the
// handle's Close. Each message has a handle of its own, never reused, so that
// one used after its Close fails instead of writing into another message. A
// handle is one byte of a handleChunk, and the check that it is live reads
// only that byte: a stale one, even used from another goroutine, touches
// nothing the live message uses.
type writerHandle uint8

func (h *writerHandle) conn() *Conn { return chunkOf((*uint8)(h)).c }

// Write adds p to the message, sending frames as they fill.
func (h *writerHandle) Write(p []byte) (int, error) {
	if *h&handleDone != 0 {
		return 0, errWriterClosed
	}
	w := &h.conn().writer
	if w.fw != nil {
		return w.compress(p)
	}
	if w.err != nil {
		return 0, w.err
	}
	return w.buffer(p, true)
}

// Close sends what is buffered as the message's final frame, and lets the
// next message go.
func (h *writerHandle) Close() error {
	if *h&handleDone != 0 {
		return errWriterClosed
	}
	*h |= handleDone // before the next message may begin
	w := &h.conn().writer
	if w.fw != nil {
		return w.closeCompressed()
	}
	err := w.err
	if err == nil {
		err = w.flush(true)
	}
	w.release()
	return err
}

// startWriter prepares c.writer for a message, compressed or not as the
// caller decided, once; the caller holds msgSem.
func (c *Conn) startWriter(ctx context.Context, typ MessageType, compress bool) *messageWriter {
	w := &c.writer // w.c is c from the start, and w.fw nil after a message
	w.ctx, w.op, w.rsv1, w.buf = ctx, Opcode(typ), false, writeBufPool.Get().(*writeBuffer)
	w.n, w.sent, w.err = 0, false, nil
	if compress {
		w.fw = c.deflate.compressWriter((*deflateOutput)(w))
		w.rsv1 = true
	}
	return w
}

// messageWriter writes a message in frames, for NextWriter (through a
// writerHandle) and for compressed messages from WriteMessage.
type messageWriter struct {
	c    *Conn
	ctx  context.Context
	op   Opcode       // opcode of the next frame
	rsv1 bool         // the next frame starts a compressed message
	buf  *writeBuffer // nil once closed
	n    int          // payload bytes buffered at buf[MaxFrameHeaderSize:]
	sent bool         // a frame of the message has gone out
	err  error
	fw   compressor // compressing the message, when non-nil
}

// deflateOutput receives a message writer's compressed output.
type deflateOutput messageWriter

func (o *deflateOutput) Write(p []byte) (int, error) {
	w := (*messageWriter)(o)
	return w.buffer(p, false)
}

var errWriterClosed = errors.New("websocket: write to a closed message writer")

// compress adds p to a compressed message.
func (w *messageWriter) compress(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	n, err := w.fw.Write(p)
	if err == nil {
		err = w.err // from sending the compressed output
	}
	w.c.deflate.compressed(p[:n])
	return n, err
}

// buffer adds p to the message, sending frames as the buffer fills. With
// direct, a large p goes out as a frame of its own instead of through the
// buffer.
func (w *messageWriter) buffer(p []byte, direct bool) (int, error) {
	total := len(p)
	for len(p) > 0 {
		if w.n == writeBufSize {
			if err := w.flush(false); err != nil {
				return total - len(p), err
			}
		}
		if direct && w.n == 0 && len(p) > writeBufSize {
			if err := w.frame(FrameHeader{Opcode: w.op}, p, nil); err != nil {
				return total - len(p), err
			}
			return total, nil
		}
		k := copy(w.buf[MaxFrameHeaderSize+w.n:], p)
		w.n += k
		p = p[k:]
	}
	return total, nil
}

// closeCompressed ends a compressed message: the compressor's last bytes,
// the final frame without the sync-flush tail, and the compressor back to
// its pool (reset, if the message failed).
func (w *messageWriter) closeCompressed() error {
	err := w.err
	if err == nil {
		err = w.fw.Flush()
	}
	if err == nil {
		err = w.err
	}
	if err == nil {
		err = w.flushCompressed(true)
	}
	w.c.deflate.releaseWriter(w.fw, (*deflateOutput)(w), err != nil)
	w.fw = nil
	w.release()
	return err
}

// release gives back the message's buffer and lets the next message go.
func (w *messageWriter) release() {
	writeBufPool.Put(w.buf)
	w.buf, w.ctx = nil, nil // an idle connection keeps neither
	w.c.msgSem.unlock()
}

func (w *messageWriter) flush(fin bool) error {
	if w.fw != nil {
		return w.flushCompressed(fin)
	}
	err := w.frame(FrameHeader{Fin: fin, Opcode: w.op}, w.buf[MaxFrameHeaderSize:MaxFrameHeaderSize+w.n], w.buf)
	w.n = 0
	return err
}

// flushCompressed sends the buffered compressed bytes as a frame. The last
// four bytes buffered may be the start of the sync-flush tail that section
// 7.2.1 drops from the end of the message, so they wait for the next frame;
// the final frame drops the tail.
func (w *messageWriter) flushCompressed(fin bool) error {
	n := w.n - len(deflateTail)
	if fin && !bytes.Equal(w.buf[MaxFrameHeaderSize+n:MaxFrameHeaderSize+w.n], deflateTail) {
		return errors.New("websocket: compressor output does not end with a sync flush")
	}
	err := w.frame(FrameHeader{Fin: fin, Rsv1: w.rsv1, Opcode: w.op}, w.buf[MaxFrameHeaderSize:MaxFrameHeaderSize+n], w.buf)
	w.n = copy(w.buf[MaxFrameHeaderSize:], w.buf[MaxFrameHeaderSize+n:MaxFrameHeaderSize+w.n])
	if fin {
		w.n = 0
	}
	return err
}

func (w *messageWriter) frame(h FrameHeader, p []byte, wb *writeBuffer) error {
	err := w.c.writeFrame(w.ctx, h, p, wb)
	if err != nil {
		w.err = err
		if w.sent {
			// The peer is inside a message that can no longer be finished.
			w.c.closeTCP()
		}
		return err
	}
	w.sent = true
	w.op = OpContinuation
	w.rsv1 = false
	return nil
}

// writeFrame sends one frame with header h (its length and mask filled in
// here) and payload p. When wb is non-nil, p is the start of wb's payload
// area, so the header goes in front of it and p may be masked in place.
func (c *Conn) writeFrame(ctx context.Context, h FrameHeader, p []byte, wb *writeBuffer) error {
	stop, err := c.beginWrite(ctx)
	if err != nil {
		return err
	}
	n, err := c.writeFrameLocked(h, p, wb)
	return c.endWrite(ctx, stop, n, err)
}

// beginWrite takes frameSem to write frames and arms ctx for the write. A
// nil error must be followed by endWrite.
func (c *Conn) beginWrite(ctx context.Context) (stop func() bool, err error) {
	if err := c.frameSem.lock(ctx, c.closed); err != nil {
		return nil, err
	}
	if c.closeSent {
		c.frameSem.unlock()
		return nil, errCloseSent
	}
	stop, err = c.wdl.begin(ctx)
	if err != nil {
		// A write begun with a context already over sends nothing, rather
		// than racing the context.
		c.frameSem.unlock()
		return nil, err
	}
	return stop, nil
}

// endWrite ends what beginWrite began, given what the write returned: n
// bytes sent and err. A failed write is dealt with before other writers
// may go on.
func (c *Conn) endWrite(ctx context.Context, stop func() bool, n int, err error) error {
	c.wdl.end(stop)
	if err != nil {
		err = c.writeFailed(ctx, n, err)
	}
	c.frameSem.unlock()
	return err
}

// writeFailed turns a network error met while writing into the error to
// return. Nothing of the frame sent and a deadline or cancelled context:
// the connection stays usable. Anything else leaves the peer inside a frame
// that cannot be finished, so the connection is closed.
func (c *Conn) writeFailed(ctx context.Context, n int, err error) error {
	if n == 0 && isTimeout(err) && !c.isClosed() {
		return ctxErr(ctx, err)
	}
	closedHere := c.isClosed()
	c.closeTCP()
	if closedHere && errors.Is(err, net.ErrClosed) {
		return ErrClosed
	}
	return fmt.Errorf("websocket: write: %w", ctxErr(ctx, err))
}

// writeFrameLocked writes a frame, holding frameSem, and returns the number
// of bytes written.
func (c *Conn) writeFrameLocked(h FrameHeader, p []byte, wb *writeBuffer) (int, error) {
	h.Length = int64(len(p))
	if c.client {
		h.Masked = true
		binary.LittleEndian.PutUint32(h.Mask[:], uint32(c.rng.Uint64()))
	}
	if wb != nil {
		hdr := AppendFrameHeader(c.hdr[:0], h)
		start := MaxFrameHeaderSize - len(hdr)
		copy(wb[start:], hdr)
		if h.Masked {
			Mask(h.Mask, 0, p)
		}
		return c.nc.Write(wb[start : MaxFrameHeaderSize+len(p)])
	}
	if h.Masked {
		return c.writeMaskedCopy(h, p)
	}
	if len(p) <= smallFrame {
		b := writeBufPool.Get().(*writeBuffer)
		frame := append(AppendFrameHeader(b[:0], h), p...)
		n, err := c.nc.Write(frame)
		writeBufPool.Put(b)
		return n, err
	}
	head, rest := p, p[len(p):]
	if len(p) > largeFrame {
		head, rest = p[:writeBufSize], p[writeBufSize:]
	}
	c.vec[0] = AppendFrameHeader(c.hdr[:0], h)
	c.vec[1] = head
	c.bufs = c.vec[:]
	n, err := c.bufs.WriteTo(c.nc)
	c.vec[1] = nil // do not hold on to the caller's payload
	if err == nil && len(rest) > 0 {
		var m int
		m, err = c.nc.Write(rest)
		n += int64(m)
	}
	return int(n), err
}

// writeMaskedCopy sends a client frame whose payload belongs to the caller:
// it is copied into a write buffer a piece at a time and masked there.
func (c *Conn) writeMaskedCopy(h FrameHeader, p []byte) (int, error) {
	b := writeBufPool.Get().(*writeBuffer)
	defer writeBufPool.Put(b)
	head := len(AppendFrameHeader(b[:0], h))
	total, pos := 0, 0
	for {
		k := copy(b[head:], p)
		pos = Mask(h.Mask, pos, b[head:head+k])
		n, err := c.nc.Write(b[:head+k])
		total += n
		if err != nil {
			return total, err
		}
		p = p[k:]
		if len(p) == 0 {
			return total, nil
		}
		head = 0
	}
}
