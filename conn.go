package websocket

import (
	"context"
	crand "crypto/rand"
	"math"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// A Conn is a WebSocket connection, made by Accept on the server or by Dial
// on the client.
//
// Concurrency: every method may be called from any goroutine at any time.
// Any number of goroutines may write at once (WriteMessage, NextWriter,
// WritePreparedMessage, Ping); data messages never interleave, while control
// frames may go out between the frames of a message being streamed. One
// goroutine at a time reads (ReadMessage, NextReader); a second waits for
// the first. The setters (SetReadLimit, OnPing, SetCloseTimeout...) may be
// called while other goroutines read and write; they take effect from the
// next message or frame read. Close and CloseNow may be called at any time,
// and interrupt the calls in progress. The readers and writers that
// NextReader and NextWriter return are for one goroutine at a time, as any
// io.Reader or io.Writer, and stop working once their message is over.
//
// Control frames are handled by whichever goroutine is reading: pings are
// answered, pongs complete Ping calls and a close frame completes the closing
// handshake. A connection that is not read therefore neither answers pings
// nor notices the peer closing it.
//
// A peer that breaks the protocol or a limit makes the reader fail the
// connection (RFC 6455 section 7.1.7): it sends a close frame with the
// status code the RFC calls for, processes nothing more from the peer, and
// closes TCP once the peer has closed its side, 16 KiB more have arrived or
// 100 ms have passed, whichever comes first (so that closing does not reset
// the connection before the peer has read the close frame).
type Conn struct {
	nc           net.Conn
	subprotocol  string
	closeTimeout atomic.Int64 // a time.Duration

	r       readState
	deflate *compression // nil unless permessage-deflate was negotiated

	// Writing. msgSem is held for a whole data message, frameSem while one
	// frame is written; control frames take only frameSem.
	msgSem    sem
	frameSem  sem
	wdl       ioDeadline
	vec       [2][]byte     // header and payload for a vectored write
	bufs      net.Buffers   // vec or a batch of prepared frames, as WriteTo consumes it
	rng       *rand.ChaCha8 // masking keys, for a client
	writer    messageWriter // the message being written, through NextWriter or internally
	wchunk    *handleChunk  // where the next handles come from; guarded by msgSem
	hdr       [MaxFrameHeaderSize]byte
	closeSent bool // guarded by frameSem
	client    bool

	// Closing.
	closeMu   sync.Mutex
	closing   bool                       // someone has begun the closing handshake
	peerClose atomic.Pointer[CloseError] // the peer's close frame, once read
	closeRcvd chan struct{}              // made by the first awaitPeerClose, closed once peerClose is set; guarded by closeMu
	closed    chan struct{}              // closed once the TCP connection is closed
	closeOnce sync.Once
	lost      *CloseError // why KeepAlive gave up, set before closed is closed

	ev atomic.Pointer[served] // set while an EventLoop serves the connection

	pingMu sync.Mutex
	pings  *pingWaits // made by the first Ping
}

// newConn makes a Conn on nc, whose opening handshake is complete. buffered
// holds bytes already read from nc past the handshake.
func newConn(nc net.Conn, client bool, subprotocol string, buffered []byte) *Conn {
	c := &Conn{
		nc:          nc,
		client:      client,
		subprotocol: subprotocol,
		closed:      make(chan struct{}),
	}
	c.closeTimeout.Store(int64(DefaultCloseTimeout))
	c.wdl.nc, c.wdl.write = nc, true
	c.r.init(c, buffered)
	c.writer.c = c
	if client {
		var seed [32]byte
		cryptoRand(seed[:])
		c.rng = rand.NewChaCha8(seed)
	}
	return c
}

// Subprotocol returns the subprotocol the opening handshake selected, or ""
// if none.
func (c *Conn) Subprotocol() string { return c.subprotocol }

// NetConn returns the connection c runs on, as tls.Conn's NetConn does
// (over HTTP/2, a net.Conn made of the stream; in a web page, an in-memory
// pipe to the browser's WebSocket). Reading from or writing to
// it directly corrupts the WebSocket stream; it is there for addresses,
// socket options and the like. For a net.Conn that carries a byte stream
// in messages, see StreamConn.
func (c *Conn) NetConn() net.Conn { return c.nc }

// SetReadDeadline sets the deadline for reads, as net.Conn does. A read that
// reaches it returns an error for which os.ErrDeadlineExceeded is true, and
// the connection stays usable: the next read resumes where it stopped. A
// zero value means no deadline.
func (c *Conn) SetReadDeadline(t time.Time) error { return c.r.dl.setUser(t) }

// SetWriteDeadline sets the deadline for writes, as net.Conn does. A write
// that reaches it before sending any byte of its frame returns an error and
// leaves the connection usable; one cut off inside a frame closes the
// connection, whose stream can no longer be continued.
func (c *Conn) SetWriteDeadline(t time.Time) error { return c.wdl.setUser(t) }

// SetReadLimit sets the largest message, in bytes, that reads accept; a
// larger one fails the connection with StatusMessageTooBig before it is
// buffered (for a compressed message, as soon as its inflated bytes cross
// the limit). A negative n removes the limit; 0 accepts only empty
// messages. The default is DefaultReadLimit. A new limit applies from the
// next message.
func (c *Conn) SetReadLimit(n int64) {
	if n < 0 {
		n = math.MaxInt64
	}
	c.r.limit.Store(n)
}

// SetFragmentLimit sets the most frames a message may arrive in; a message
// with more fails the connection with StatusMessageTooBig. A negative n
// removes the limit; 0 and 1 accept unfragmented messages only. The default
// is DefaultFragmentLimit. A new limit applies from the next message.
func (c *Conn) SetFragmentLimit(n int) {
	if n < 0 {
		n = math.MaxInt
	}
	c.r.maxFrames.Store(int64(max(n, 1)))
}

// DefaultCloseTimeout bounds the closing handshake unless SetCloseTimeout
// says otherwise: how long Close waits to send its close frame and then for
// the peer's.
const DefaultCloseTimeout = 5 * time.Second

// SetCloseTimeout sets how long the closing handshake may take: Close
// waits that long to send its close frame and then as long for the peer's.
// A connection failed for a protocol error waits as long to send its close
// frame, and then lingers for at most 100 ms (see Conn). Zero or a negative
// d leaves no time: the close frame goes out only if it can at once. The
// default is DefaultCloseTimeout; a new timeout applies to the closing
// handshakes begun afterwards.
func (c *Conn) SetCloseTimeout(d time.Duration) { c.closeTimeout.Store(int64(d)) }

// closeDeadline is when a closing handshake begun now must end.
func (c *Conn) closeDeadline() time.Time {
	return time.Now().Add(time.Duration(c.closeTimeout.Load()))
}

// OnPing sets a function called with the payload of each ping received,
// after the pong answering it has been sent; nil removes it. The goroutine
// reading calls it, so it must not block. The payload is valid only during
// the call.
func (c *Conn) OnPing(f func(payload []byte)) { c.r.onPing.Store(callbackOf(f)) }

// OnPong sets a function called with the payload of each pong received;
// nil removes it. The goroutine reading calls it, so it must not block.
// The payload is valid only during the call.
func (c *Conn) OnPong(f func(payload []byte)) { c.r.onPong.Store(callbackOf(f)) }

// callbackOf returns what OnPing and OnPong store for f.
func callbackOf(f func([]byte)) *func([]byte) {
	if f == nil {
		return nil
	}
	return &f
}

// closeTCP closes the underlying connection, once. Concurrent callers
// return once it is closed.
func (c *Conn) closeTCP() { c.closeTCPLost(nil) }

// closeTCPLost is closeTCP recording, when lost is non-nil, why the
// connection was given up (see lostErr). It reports whether this call
// closed the connection.
func (c *Conn) closeTCPLost(lost *CloseError) (closed bool) {
	c.closeOnce.Do(func() {
		// Mark the connection closed first, so that calls woken by the
		// close below see why.
		c.lost = lost
		close(c.closed)
		c.nc.Close()
		closed = true
		if s := c.ev.Load(); s != nil && s.watched {
			s.schedule() // for the handler's OnClose
		}
	})
	return closed
}

// isClosed reports whether the TCP connection has been closed.
func (c *Conn) isClosed() bool {
	select {
	case <-c.closed:
		return true
	default:
		return false
	}
}

// lostErr returns the error for a connection whose transport failed with
// err. Once this side has closed the transport, what the transport says
// afterwards (use of a closed connection, or over HTTP/2 a deadline passing
// on the stream's reader) is only the echo of that close. (Had the peer's
// close frame been read, the read that read it would have set r.err, and
// readFailed would not ask.)
func (c *Conn) lostErr(err error) error {
	if c.isClosed() {
		if c.lost != nil {
			return c.lost
		}
		return ErrClosed
	}
	return &CloseError{Code: StatusAbnormalClosure, Err: err}
}

// handleChunk holds the handles of 39 messages, from NextReader or
// NextWriter: each is one byte, its index here and a bit, handleDone, that
// its message's end sets. Handles are never reused, so that one kept past
// its message stays stale, and cost one allocation of 64 bytes per 39
// messages. A chunk of readers also holds their context, the same for all
// of them: NextReader begins a new chunk when its context is another.
type handleChunk struct {
	c       *Conn
	ctx     context.Context
	used    uint8
	handles [39]uint8
}

// handleDone is the bit of a handle that its message's end sets: a writer's
// Close, or the io.EOF of a reader.
const handleDone = 0x80

// takeHandle returns the next handle of the chunk at *p, which it replaces
// by a new one for c when there is none or it is full.
func takeHandle(p **handleChunk, c *Conn) *uint8 {
	k := *p
	if k == nil || int(k.used) == len(k.handles) {
		k = &handleChunk{c: c}
		*p = k
	}
	h := &k.handles[k.used]
	*h = k.used
	k.used++
	return h
}

// chunkOf finds the chunk of the handle at h, h's index before h.
func chunkOf(h *uint8) *handleChunk {
	k := int(*h &^ handleDone)
	start := unsafe.Add(unsafe.Pointer(h), -int(unsafe.Offsetof(handleChunk{}.handles))-k)
	return (*handleChunk)(start)
}

// sameContext reports whether a and b are certainly the same context: the
// same dynamic type and the same data word. Unlike ==, it cannot panic on a
// context type that is not comparable; two equal contexts it misses only
// cost a new chunk.
func sameContext(a, b context.Context) bool {
	return *(*[2]unsafe.Pointer)(unsafe.Pointer(&a)) == *(*[2]unsafe.Pointer)(unsafe.Pointer(&b))
}

// cryptoRand fills b from the operating system's secure random source.
func cryptoRand(b []byte) {
	if _, err := crand.Read(b); err != nil {
		panic("websocket: reading random bytes: " + err.Error())
	}
}

// pingWaits numbers a connection's pings and holds the Ping calls waiting
// for their pongs, by number. Few connections ping, so the Conn holds it
// by pointer.
type pingWaits struct {
	seq   uint64
	waits map[uint64]chan struct{}
}
