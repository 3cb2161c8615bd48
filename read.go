package websocket

import (
	"context"
	"errors"
	"io"
	"sync/atomic"
	"syscall"
)

// Defaults for the limits a Conn applies to what it reads.
const (
	// DefaultReadLimit is the largest message a Conn accepts unless
	// SetReadLimit says otherwise: 32 MiB.
	DefaultReadLimit = 32 << 20
	// DefaultFragmentLimit is the most frames a message may arrive in
	// unless SetFragmentLimit says otherwise. Without such a limit a stream
	// of empty continuation frames would never end a message nor cross
	// the read limit.
	DefaultFragmentLimit = 1 << 17
)

// readBufSize is the size of a connection's read buffer. Payloads larger
// than it are read straight into the destination.
const readBufSize = 4096

// readState is the reading half of a Conn. Everything in it is guarded by
// sem, held by the one goroutine reading.
type readState struct {
	c   *Conn
	sem sem // held by a read
	dl  ioDeadline

	buf     []byte // bytes read from the network: buf[r:w] are not yet consumed
	r, w    int
	pooled  *[readBufSize]byte    // buf's array, when it came from readBufPool
	raw     syscall.RawConn       // for waiting for readability without a buffer
	rawFunc func(fd uintptr) bool // r.rawRead
	rawN    int
	rawErr  error

	// The data frame being read.
	frame   FrameHeader
	remain  int64 // payload bytes of frame not yet read
	maskPos int

	// The message being read: active from its first frame's header until
	// its final frame's payload has been read.
	// (The small fields sit together, with compressed below, to keep the
	// Conn small.)
	utf8       utf8Validator
	active     bool
	resume     bool // a read was interrupted inside the message; the next read continues it
	compressed bool // the message is compressed (see compression.zbuf)
	typ        MessageType
	size       int64  // payload bytes announced so far, for the limit
	msgLimit   int64  // the read limit when the message began
	frames     int64  // frames of the message so far
	msgFrames  int64  // the fragment limit when the message began
	partial    []byte // what an interrupted ReadMessage had read of the message

	// Set by SetReadLimit, SetFragmentLimit, OnPing and OnPong, perhaps
	// while a read is under way.
	limit          atomic.Int64
	maxFrames      atomic.Int64
	onPing, onPong atomic.Pointer[func([]byte)]

	err     error                    // once set, every read returns it
	pong    *[MaxControlPayload]byte // made when a pong could not be sent at once
	pongDue bool                     // a pong could not be sent yet
	pongLen uint8                    // the pending pong's payload is pong[:pongLen]

	live   *readerHandle // the reader NextReader returned last, until the next read begins
	rchunk *handleChunk  // where the next readers come from
}

func (r *readState) init(c *Conn, buffered []byte) {
	r.c = c
	r.dl.nc = c.nc
	r.limit.Store(DefaultReadLimit)
	r.maxFrames.Store(DefaultFragmentLimit)
	r.raw = rawReader(c.nc)
	r.rawFunc = r.rawRead
	if len(buffered) > 0 {
		r.buf = make([]byte, max(readBufSize, len(buffered)))
		r.w = copy(r.buf, buffered)
	}
}

// ReadMessage reads the next whole message and returns its type and
// payload. The payload is read into buf's storage when it is large enough
// (buf's length is ignored), so a caller that passes back the previous
// payload reads without allocating; with a nil buf the payload is newly
// allocated.
//
// When ctx ends or the read deadline passes, ReadMessage returns the
// context's or the deadline's error and the connection stays usable: the
// next ReadMessage returns the interrupted message whole.
//
// Once the connection has closed, ReadMessage returns a *CloseError with the
// peer's status code, a *ProtocolError if this side failed the connection,
// or ErrClosed if this side closed it.
func (c *Conn) ReadMessage(ctx context.Context, buf []byte) (MessageType, []byte, error) {
	if c.ev.Load() != nil {
		if _, ok := ctx.(loopContext); !ok {
			return 0, nil, errServed
		}
	}
	r := &c.r
	stop, err := c.beginRead(ctx)
	if err != nil {
		return 0, nil, err
	}
	defer c.endRead(stop)
	r.live = nil // a reader from NextReader is over

	dst := buf[:0]
	if r.resume {
		r.resume = false
		dst = append(dst, r.partial...)
		r.partial = nil
	} else if err := c.startMessage(ctx); err != nil {
		return 0, nil, err
	}
	typ := r.typ
	if r.compressed {
		dst, err = c.readCompressed(ctx, dst)
	} else {
		dst, err = c.readFrames(ctx, dst)
	}
	if err != nil {
		return 0, nil, c.interrupted(err, dst)
	}
	return typ, dst, nil
}

// readCompressed reads the rest of the current message, compressed,
// gathering it and then inflating it into dst. Interrupted, it returns nil:
// the message keeps what it gathered itself.
func (c *Conn) readCompressed(ctx context.Context, dst []byte) ([]byte, error) {
	if err := c.gatherCompressed(ctx); err != nil {
		return nil, err
	}
	return c.inflateMessage(dst)
}

// readFrames reads the rest of the current message's payload, appending it
// to dst.
func (c *Conn) readFrames(ctx context.Context, dst []byte) ([]byte, error) {
	r := &c.r
	for r.active {
		if r.remain == 0 {
			if err := c.nextDataFrame(ctx); err != nil {
				return dst, err
			}
			continue
		}
		if len(dst) == cap(dst) {
			dst = grow(dst, int(c.growth(len(dst))))
		}
		n, err := c.readPayload(ctx, dst[len(dst):cap(dst)])
		dst = dst[:len(dst)+n]
		if err != nil {
			return dst, err
		}
	}
	return dst, nil
}

// grow returns dst with room for exactly g more bytes. (slices.Grow rounds
// up as append does: a 1 MiB message grown by doubling ended in 1.18 MB.)
func grow(dst []byte, g int) []byte {
	b := make([]byte, len(dst), len(dst)+g)
	copy(b, dst)
	return b
}

// growth is how much room to add to a message's buffer holding n bytes,
// at the start of the current frame's remaining payload or inside it. The
// last frame of a message says how much is left: up to 64 KiB, that is
// what is added. Otherwise the buffer doubles, and never by more than what
// has arrived (plus 64 KiB), so that memory follows the bytes that come,
// not those a frame header announces: a message of small frames costs
// about twice its size in all, not the sum of copies that growing frame by
// frame costs (five times its size for 16 KiB frames).
func (c *Conn) growth(n int) int64 {
	r := &c.r
	if r.frame.Fin && r.remain <= 64<<10 {
		return r.remain
	}
	g := max(min(r.remain, 64<<10), int64(n))
	if r.frame.Fin {
		g = min(g, r.remain)
	}
	return min(g, r.msgLimit-int64(n)) // never past the read limit
}

// gatherCompressed reads the rest of a compressed message (gatherChunks),
// and then starts inflating it. Interrupted, it leaves what it read for the
// next read to continue.
func (c *Conn) gatherCompressed(ctx context.Context) error {
	if err := c.gatherChunks(ctx); err != nil {
		return c.interrupted(err, nil)
	}
	c.startInflate()
	return nil
}

// beginRead takes the read semaphore and arms ctx for a read, unless the
// connection is done reading. endRead undoes it.
func (c *Conn) beginRead(ctx context.Context) (stop func() bool, err error) {
	r := &c.r
	if err := r.sem.lock(ctx, c.closed); err != nil {
		return nil, err
	}
	if r.err != nil {
		r.sem.unlock()
		return nil, r.err
	}
	stop, err = r.dl.begin(ctx)
	if err != nil {
		// A read begun with a context already over does nothing, rather
		// than racing the context for the bytes already there.
		r.sem.unlock()
		return nil, err
	}
	return stop, nil
}

func (c *Conn) endRead(stop func() bool) {
	c.r.dl.end(stop)
	c.r.releaseBuffer()
	c.r.sem.unlock()
}

// interrupted records, when err leaves the connection usable, that the next
// read resumes the message; read is what the interrupted read had read of it.
func (c *Conn) interrupted(err error, read []byte) error {
	r := &c.r
	if r.err == nil && r.active {
		r.resume = true
		r.partial = append(r.partial[:0], read...)
	}
	return err
}

// NextReader waits for the next message and returns its type and a reader
// for its payload, which returns io.EOF at the end of the message. ctx
// governs the reader's reads too. The reader is valid until the next call to
// NextReader or ReadMessage, which discards what it has left unread; after
// that it returns io.EOF if it had reached the end of its message, and an
// error otherwise.
//
// When ctx ends or the read deadline passes during a read, the read returns
// the error and the connection stays usable: the next NextReader returns a
// reader for the rest of the interrupted message.
func (c *Conn) NextReader(ctx context.Context) (MessageType, io.Reader, error) {
	if c.ev.Load() != nil {
		return 0, nil, errServed
	}
	r := &c.r
	stop, err := c.beginRead(ctx)
	if err != nil {
		return 0, nil, err
	}
	defer c.endRead(stop)
	r.live = nil
	if r.resume {
		r.resume = false
	} else if err := c.startMessage(ctx); err != nil {
		return 0, nil, err
	}
	if r.compressed {
		if err := c.gatherCompressed(ctx); err != nil {
			return 0, nil, err
		}
	}
	if k := r.rchunk; k != nil && !sameContext(k.ctx, ctx) {
		r.rchunk = nil // readers of another context take a chunk of their own
	}
	r.live = (*readerHandle)(takeHandle(&r.rchunk, c))
	if r.rchunk.used == 1 {
		r.rchunk.ctx = ctx // the chunk is new: no reader of it is out yet
	}
	return r.typ, r.live, nil
}

// startMessage discards what is left of a message abandoned by its reader
// and reads up to the first data frame of the next one.
func (c *Conn) startMessage(ctx context.Context) error {
	r := &c.r
	r.partial = nil
	if r.active || c.inflating() {
		if err := c.discardMessage(ctx); err != nil {
			return err
		}
	}
	return c.nextDataFrame(ctx)
}

// discardMessage reads the rest of the current message and drops it. The
// payload is still checked, as the peer must send a valid message whether or
// not it is read. If discardMessage is interrupted, the next read carries on
// discarding.
func (c *Conn) discardMessage(ctx context.Context) error {
	r := &c.r
	scratch := make([]byte, 512)
	if r.compressed {
		// Inflate it all the same: with context takeover the next messages
		// may refer to it.
		if !c.inflating() {
			if err := c.gatherCompressed(ctx); err != nil {
				return err
			}
		}
		for {
			if _, err := c.inflate(scratch); err != nil {
				if err == io.EOF {
					return nil
				}
				return err
			}
		}
	}
	for r.active {
		if r.remain == 0 {
			if err := c.nextDataFrame(ctx); err != nil {
				return err
			}
			continue
		}
		if _, err := c.readPayload(ctx, scratch); err != nil {
			return err
		}
	}
	return nil
}

// readerHandle is the io.Reader NextReader returns, a byte of a
// handleChunk. Each NextReader takes a new one; one kept past its message
// fails instead of reading the next.
type readerHandle uint8

var errReaderStale = errors.New("websocket: read from a message reader whose message was discarded by a later read")

func (h *readerHandle) Read(p []byte) (n int, err error) {
	if *h&handleDone != 0 {
		return 0, io.EOF // for good, whatever follows
	}
	k := chunkOf((*uint8)(h))
	c := k.c
	r := &c.r
	if err := r.sem.lock(k.ctx, c.closed); err != nil {
		return 0, err
	}
	defer r.sem.unlock()
	if r.live != h {
		return 0, errReaderStale
	}
	n, err = c.readMessagePart(k.ctx, p)
	if err == io.EOF {
		*h |= handleDone
	}
	return n, err
}

// readMessagePart reads the current message for its readerHandle.
func (c *Conn) readMessagePart(ctx context.Context, p []byte) (int, error) {
	r := &c.r
	if len(r.partial) > 0 {
		n := copy(p, r.partial)
		r.partial = r.partial[n:]
		return n, nil
	}
	if r.err != nil {
		return 0, r.err
	}
	if c.inflating() {
		return c.inflate(p)
	}
	if !r.active {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	stop, err := r.dl.begin(ctx)
	if err != nil {
		// As in beginRead: no read from the network once ctx is over.
		return 0, c.interrupted(err, nil)
	}
	defer r.dl.end(stop)
	for r.remain == 0 {
		if !r.active {
			return 0, io.EOF
		}
		if err := c.nextDataFrame(ctx); err != nil {
			return 0, c.interrupted(err, nil)
		}
	}
	n, err := c.readPayload(ctx, p)
	if err != nil {
		return n, c.interrupted(err, nil)
	}
	if !r.active {
		return n, io.EOF
	}
	return n, nil
}

// readFailed turns a network error met while reading into the error to
// return. A deadline or a cancelled context leaves the connection usable;
// anything else means the connection is gone.
func (c *Conn) readFailed(ctx context.Context, err error) error {
	if err == errWouldBlock && !c.isClosed() {
		return err // an EventLoop's worker has read all there is for now
	}
	if isTimeout(err) && !c.isClosed() {
		return ctxErr(ctx, err)
	}
	if c.r.err == nil {
		c.r.err = c.lostErr(err)
	}
	c.closeTCP()
	return c.r.err
}

// nextDataFrame reads frames, handling the control frames among them, up to
// the header of the next data frame, which it checks against the message
// being read and makes the current frame.
func (c *Conn) nextDataFrame(ctx context.Context) error {
	r := &c.r
	for {
		if r.pongDue {
			if err := c.sendPong(ctx, r.pong[:r.pongLen]); err != nil {
				return err
			}
		}
		if err := r.fill(2); err != nil {
			return c.readFailed(ctx, err)
		}
		n := frameHeaderSize(r.buf[r.r+1])
		if err := r.fill(n); err != nil {
			return c.readFailed(ctx, err)
		}
		h, _, err := ParseFrameHeader(r.buf[r.r : r.r+n])
		if err != nil {
			return c.fail(StatusProtocolError, "%s", err)
		}
		if err := c.checkHeader(h); err != nil {
			return err
		}
		if h.Opcode.IsControl() {
			// Consume a control frame only once it is whole, so that an
			// interrupted read leaves it to be read again.
			total := n + int(h.Length)
			if err := r.fill(total); err != nil {
				return c.readFailed(ctx, err)
			}
			// The payload is unmasked where it lies, in the read buffer,
			// which nothing reads again.
			p := r.buf[r.r+n : r.r+total]
			r.r += total
			if h.Masked {
				Mask(h.Mask, 0, p)
			}
			if err := c.handleControl(ctx, h.Opcode, p); err != nil {
				return err
			}
			continue
		}
		r.r += n
		r.frame = h
		r.remain = h.Length
		r.maskPos = 0
		if h.Opcode == OpContinuation {
			if !r.active {
				return c.fail(StatusProtocolError, "continuation frame outside a fragmented message")
			}
			if r.frames++; r.frames > r.msgFrames {
				return c.fail(StatusMessageTooBig, "message arrives in more than %d frames", r.msgFrames)
			}
		} else {
			if r.active {
				return c.fail(StatusProtocolError, "new data frame inside a fragmented message")
			}
			r.active = true
			r.typ = MessageType(h.Opcode)
			r.size = 0
			r.frames = 1
			r.msgLimit = r.limit.Load()
			r.msgFrames = r.maxFrames.Load()
			r.utf8 = utf8Validator{}
			r.compressed = h.Rsv1
		}
		limit := r.msgLimit
		if r.compressed {
			limit = compressedLimit(limit)
		}
		if h.Length > limit-r.size {
			return c.fail(StatusMessageTooBig, "message exceeds the read limit of %d bytes", r.msgLimit)
		}
		r.size += h.Length
		if r.remain == 0 {
			return c.endFrame()
		}
		return nil
	}
}

// checkHeader applies the rules of section 5 that depend on the connection:
// reserved bits and opcodes, masking by role, and the limits on control
// frames.
func (c *Conn) checkHeader(h FrameHeader) error {
	switch {
	case h.Rsv1 && (c.deflate == nil || h.Opcode != OpText && h.Opcode != OpBinary):
		if c.deflate != nil {
			return c.fail(StatusProtocolError, "RSV1 set on a %v frame", h.Opcode)
		}
		return c.fail(StatusProtocolError, "reserved bits set without a negotiated extension")
	case h.Rsv2 || h.Rsv3:
		return c.fail(StatusProtocolError, "reserved bits set without a negotiated extension")
	case h.Opcode.IsReserved():
		return c.fail(StatusProtocolError, "reserved opcode %#x", byte(h.Opcode))
	case h.Masked == c.client:
		if c.client {
			return c.fail(StatusProtocolError, "masked frame from the server")
		}
		return c.fail(StatusProtocolError, "unmasked frame from the client")
	case h.Opcode.IsControl() && !h.Fin:
		return c.fail(StatusProtocolError, "fragmented %v frame", h.Opcode)
	case h.Opcode.IsControl() && h.Length > MaxControlPayload:
		return c.fail(StatusProtocolError, "%v frame payload of %d bytes", h.Opcode, h.Length)
	}
	return nil
}

// readPayload reads up to len(p) bytes of the current data frame's payload
// into p, unmasking and validating them.
func (c *Conn) readPayload(ctx context.Context, p []byte) (int, error) {
	r := &c.r
	if int64(len(p)) > r.remain {
		p = p[:r.remain]
	}
	var n int
	var err error
	switch {
	case r.w > r.r:
		n = copy(p, r.buf[r.r:r.w])
		r.r += n
	case len(p) >= readBufSize:
		// Large payloads go straight to their destination.
		n, err = r.read(p)
		if n > 0 {
			err = nil // what was read counts; a lasting error comes back next time
		}
	default:
		if err = r.fill(1); err == nil {
			n = copy(p, r.buf[r.r:r.w])
			r.r += n
		}
	}
	if n > 0 {
		p = p[:n]
		if r.frame.Masked {
			r.maskPos = Mask(r.frame.Mask, r.maskPos, p)
		}
		r.remain -= int64(n)
		if r.typ == MessageText && !r.compressed && !r.utf8.write(p) {
			return n, c.fail(StatusInvalidFramePayloadData, "text message is not valid UTF-8")
		}
		if r.remain == 0 {
			if ferr := c.endFrame(); ferr != nil {
				return n, ferr
			}
		}
	}
	if err != nil {
		return n, c.readFailed(ctx, noEOF(err))
	}
	return n, nil
}

// endFrame notes that the current data frame has been read whole.
func (c *Conn) endFrame() error {
	r := &c.r
	if !r.frame.Fin {
		return nil
	}
	r.active = false
	if r.typ == MessageText && !r.compressed && !r.utf8.complete() {
		return c.fail(StatusInvalidFramePayloadData, "text message ends inside a UTF-8 sequence")
	}
	return nil
}

// handleControl acts on a control frame with payload p.
func (c *Conn) handleControl(ctx context.Context, op Opcode, p []byte) error {
	r := &c.r
	switch op {
	case OpPing:
		if err := c.sendPong(ctx, p); err != nil {
			return err
		}
		if f := r.onPing.Load(); f != nil {
			(*f)(p)
		}
	case OpPong:
		c.pongReceived(p)
		if f := r.onPong.Load(); f != nil {
			(*f)(p)
		}
	case OpClose:
		return c.closeReceived(p)
	}
	return nil
}

// sendPong answers a ping whose payload is p. If ctx ends first, the pong
// stays due, its payload kept in r.pong, and the next read sends it.
func (c *Conn) sendPong(ctx context.Context, p []byte) error {
	r := &c.r
	err := c.writeFrame(ctx, FrameHeader{Fin: true, Opcode: OpPong}, p, nil)
	if err != nil && (errors.Is(err, ctx.Err()) || isTimeout(err)) && !c.isClosed() {
		if r.pong == nil {
			r.pong = new([MaxControlPayload]byte)
		}
		r.pongLen = uint8(copy(r.pong[:], p)) // at most MaxControlPayload
		r.pongDue = true
		return err
	}
	// Sent, or not worth retrying: the connection is closing or gone and
	// the next read says so.
	r.pongDue = false
	return nil
}
