package websocket

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// An EventLoop reads many connections with a few goroutines, for servers
// that hold many connections that are mostly idle. A connection handed to
// it with Serve holds, while idle, no goroutine and no read buffer: only
// its Conn and the kernel's socket. When bytes arrive, a worker of the
// loop reads them without waiting for more: a message that has arrived in
// part stays with its connection until the rest comes, so a peer trickling
// bytes holds no worker. Each whole message goes to the Handler, on the
// worker.
//
// Everything else about the connection is unchanged: write with
// WriteMessage, WritePreparedMessage, NextWriter or a SendQueue, from the
// handler or any goroutine; control frames, limits, UTF-8 checks,
// compression and the closing handshake behave as when a goroutine reads.
//
// On Linux the loop waits for readability with epoll, for TCP and Unix
// connections. Elsewhere, and for connections it cannot watch (TLS, HTTP/2
// streams), it reads each connection from a goroutine of its own, calling
// the same handler: the API is the same, the memory that of a goroutine
// per connection. The choice between the two: a goroutine per connection
// (ReadMessage in the handler that accepted it) is the simplest, and the
// fastest when connections are busy; an EventLoop when holding many idle
// connections costs more than serving them.
type EventLoop struct {
	poll  *epoll       // nil when the system has none: a goroutine per connection
	work  chan *served // connections with something to read
	procs sync.WaitGroup
	live  sync.WaitGroup // the connections being served

	mu     sync.Mutex
	closed bool
	slots  []*served // the connections being served, by slot
	free   []int32   // slots free for reuse
	gen    uint32    // numbers the connections served (see served.gen)

	spareMu sync.Mutex
	spare   [][]byte // buffers for workers that gave theirs to a connection (see readNext)
}

// EventLoopOptions configures an EventLoop.
type EventLoopOptions struct {
	// Workers is how many goroutines read connections and run the
	// handler. A handler that blocks holds its worker; the others go on.
	// Zero means 4 × GOMAXPROCS.
	Workers int
}

// A Handler handles the connections an EventLoop serves.
type Handler interface {
	// OnMessage handles a message of c. The loop calls it on one of its
	// workers, for one message of c at a time, in order; msg is valid
	// only until it returns. While it runs its worker reads nothing else:
	// hand long work to a goroutine of its own.
	OnMessage(c *Conn, typ MessageType, msg []byte)
	// OnClose is called once, after the last OnMessage, when c has
	// closed; err says why, as ReadMessage would have: a *CloseError, a
	// *ProtocolError, or ErrClosed.
	OnClose(c *Conn, err error)
}

// loopRun bounds the messages a worker reads from one connection before it
// turns to the others, so that a connection sending without pause cannot
// keep its worker.
const loopRun = 16

// NewEventLoop starts an event loop. Close stops it.
func NewEventLoop(opts *EventLoopOptions) (*EventLoop, error) {
	if opts == nil {
		opts = &EventLoopOptions{}
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = 4 * runtime.GOMAXPROCS(0)
	}
	l := &EventLoop{work: make(chan *served, 4*workers)}
	poll, err := newEpoll()
	if err != nil && !errors.Is(err, errors.ErrUnsupported) {
		return nil, fmt.Errorf("websocket: starting an event loop: %w", err)
	}
	l.poll = poll
	for range workers {
		l.procs.Go(l.worker)
	}
	if poll != nil {
		l.procs.Go(func() { poll.run(l.ready) })
	}
	return l, nil
}

// Serve hands c to the loop, which reads it from then on and calls h for
// each message and once when it closes; Serve returns at once. ReadMessage
// and NextReader then fail, and c's read deadline no longer applies.
//
// Serve fails, leaving c as it was, if l is closed, if c is being read or
// already served.
func (l *EventLoop) Serve(c *Conn, h Handler) error {
	if h == nil {
		return errors.New("websocket: Serve with a nil Handler")
	}
	r := &c.r
	if !r.sem.tryLock() {
		return errors.New("websocket: Serve: the connection is being read")
	}
	if err := l.serve(c, h); err != nil {
		r.sem.unlock()
		return err
	}
	r.sem.unlock()
	if s := c.ev.Load(); s.watched {
		// Readable before the poller watched it, or with bytes already
		// buffered. (Until now the read semaphore kept workers off.)
		s.schedule()
	}
	return nil
}

// serve is Serve under c's read semaphore.
func (l *EventLoop) serve(c *Conn, h Handler) error {
	r := &c.r
	if c.ev.Load() != nil {
		return errors.New("websocket: Serve: the connection is already served")
	}
	s := &served{c: c, h: h, l: l}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return errors.New("websocket: Serve: the event loop is closed")
	}
	l.gen++
	s.gen = l.gen
	if n := len(l.free); n > 0 {
		s.slot = l.free[n-1]
		l.free = l.free[:n-1]
	} else {
		s.slot = int32(len(l.slots))
		l.slots = append(l.slots, nil)
	}
	l.slots[s.slot] = s
	l.live.Add(1)
	l.mu.Unlock()

	if l.poll != nil && r.raw != nil {
		s.watched = true
		if err := s.watch(); err != nil {
			l.mu.Lock()
			l.slots[s.slot] = nil
			l.free = append(l.free, s.slot)
			l.mu.Unlock()
			l.live.Done()
			return fmt.Errorf("websocket: Serve: %w", err)
		}
		c.ev.Store(s)
		return nil
	}
	c.ev.Store(s)
	go s.serveAlone()
	return nil
}

// Close closes every connection the loop serves, as CloseNow does, waits
// for their handlers' OnClose, and stops the loop.
func (l *EventLoop) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	var conns []*Conn
	for _, s := range l.slots {
		if s != nil {
			conns = append(conns, s.c)
		}
	}
	l.mu.Unlock()
	for _, c := range conns {
		c.CloseNow()
	}
	l.live.Wait()
	if l.poll != nil {
		l.poll.close()
	}
	close(l.work)
	l.procs.Wait()
	return nil
}

// ready schedules the connection whose key the poller reports readable.
func (l *EventLoop) ready(key uint64) {
	slot, gen := int32(key), uint32(key>>32)
	l.mu.Lock()
	var s *served
	if slot >= 0 && int(slot) < len(l.slots) && l.slots[slot] != nil && l.slots[slot].gen == gen {
		s = l.slots[slot]
	}
	l.mu.Unlock()
	if s != nil {
		s.schedule()
	}
}

// worker runs the connections that have something to read.
func (l *EventLoop) worker() {
	var buf []byte // the message being read, reused from one to the next
	rd := newRawReadTo()
	for s := range l.work {
		// Not reset after: run may have handed s to another worker.
		s.rd = rd
		buf = s.run(buf)
		if cap(buf) > maxWorkerBuf {
			buf = nil
		}
	}
}

// served is a connection an EventLoop serves.
type served struct {
	c    *Conn
	h    Handler
	l    *EventLoop
	slot int32
	gen  uint32 // so that an event for the slot's previous connection is not taken for s's

	// state is idle, running (queued or being read) or again (running,
	// and more has come since the worker last found nothing to read).
	state atomic.Int32

	// The worker's, under c.r.sem.
	reading    bool       // the worker is reading: reads do not wait (readNow)
	drained    bool       // the last read found the socket empty
	ended      bool       // OnClose has been called
	watched    bool       // the poller watches the socket (c.r.raw); else serveAlone reads it
	lingerLeft int        // after failing the connection: how much more to drop (see linger)
	rd         *rawReadTo // the reader of the worker running s (or of the last one)
}

const (
	idle int32 = iota
	running
	again
)

// watch has the poller watch s's socket.
func (s *served) watch() error {
	var err error
	cerr := s.c.r.raw.Control(func(fd uintptr) {
		err = s.l.poll.watch(int(fd), uint64(uint32(s.slot))|uint64(s.gen)<<32)
	})
	if cerr != nil {
		return cerr
	}
	return err
}

// schedule has a worker read s, unless one is already on it, and then
// has it read again.
func (s *served) schedule() {
	for {
		switch st := s.state.Load(); st {
		case idle:
			if s.state.CompareAndSwap(idle, running) {
				s.enqueue()
				return
			}
		case running:
			if s.state.CompareAndSwap(running, again) {
				return
			}
		default:
			return
		}
	}
}

// enqueue hands s to the workers. It does not wait for room: a worker
// closing another connection must not wait for itself.
func (s *served) enqueue() {
	select {
	case s.l.work <- s:
	default:
		go func() { s.l.work <- s }()
	}
}

// run reads s's messages until there is nothing more to read, calling the
// handler for each, or until loopRun messages, when it requeues s. It
// returns the buffer for the worker's next connection.
func (s *served) run(buf []byte) []byte {
	s.drained = false // scheduled: something may have come
	for n := 0; ; n++ {
		if s.ended {
			return buf
		}
		if n == loopRun {
			s.enqueue() // still running: the others go first
			return buf
		}
		typ, msg, owned, err := s.c.readNext(s, &buf)
		switch err {
		case nil:
			s.h.OnMessage(s.c, typ, msg)
			if owned {
				buf = s.l.keepLarger(buf, msg)
			} else if cap(msg) <= maxWorkerBuf {
				buf = msg[:0]
			}
			continue
		case errWouldBlock, errReadBusy:
		default:
			if s.lingerLeft == 0 || s.c.isClosed() {
				s.end(err)
				return buf
			}
			if s.dropLingering() {
				s.c.closeTCP() // schedules the end
			}
		}
		if s.state.CompareAndSwap(running, idle) {
			return buf
		}
		s.state.Store(running) // more came meanwhile
		s.drained = false
	}
}

// end closes s's connection, if it is not closed yet, and calls OnClose.
func (s *served) end(err error) {
	s.ended = true
	s.c.closeTCP()
	l := s.l
	l.mu.Lock()
	l.slots[s.slot] = nil
	l.free = append(l.free, s.slot)
	l.mu.Unlock()
	s.h.OnClose(s.c, err)
	l.live.Done()
}

// linger is Conn.linger for a connection the loop reads: it ends this
// side's direction of the transport and has the worker drop what the peer
// sends, as it comes, until the peer closes its side, lingerBytes have
// come or lingerTime has passed, and then close the transport.
func (s *served) linger() {
	s.c.closeWrite()
	s.lingerLeft = lingerBytes
	time.AfterFunc(lingerTime, s.c.closeTCP)
}

// dropLingering drops what has come of the peer's input while s lingers,
// and reports whether the lingering is over.
func (s *served) dropLingering() bool {
	var scratch [512]byte
	s.reading = true
	defer func() { s.reading = false }()
	for s.lingerLeft > 0 {
		n, err := s.readNow(scratch[:min(len(scratch), s.lingerLeft)])
		if err == errWouldBlock {
			return false
		}
		if err != nil {
			return true // the peer has closed its side, or the transport failed
		}
		s.lingerLeft -= n
	}
	return true
}

// serveAlone reads s from a goroutine of its own, where the loop cannot
// watch its socket.
func (s *served) serveAlone() {
	var buf []byte
	for {
		typ, msg, err := s.c.ReadMessage(loopContext{context.Background()}, buf)
		if err != nil {
			s.end(err)
			return
		}
		s.h.OnMessage(s.c, typ, msg)
		buf = msg[:0]
	}
}

// errWouldBlock is what a worker's read returns when the socket has
// nothing more for now. It is a timeout, so that the reader leaves the
// message where it stopped, as for a deadline.
var errWouldBlock error = wouldBlock{}

type wouldBlock struct{}

func (wouldBlock) Error() string   { return "websocket: nothing to read yet" }
func (wouldBlock) Timeout() bool   { return true }
func (wouldBlock) Temporary() bool { return true }

// errReadBusy is what readNext returns when another goroutine holds the
// read semaphore: Close, reading the peer's close frame. When it is done the
// connection closes, and closeTCP schedules a last run.
var errReadBusy = errors.New("websocket: the connection is being read")

// loopContext is the context of the reads of the goroutine an EventLoop
// runs for a connection it cannot watch: ReadMessage accepts no other on a
// connection the loop serves.
type loopContext struct{ context.Context }

// errServed is what ReadMessage and NextReader return for a connection an
// EventLoop serves.
var errServed = errors.New("websocket: the connection is served by an EventLoop, which reads it")

// readNow reads from the socket into p without waiting. After a short read
// the socket is taken as drained until the poller reports it readable
// again: reading again before then would only find nothing, at the cost of
// a system call.
func (s *served) readNow(p []byte) (int, error) {
	if s.drained || len(p) == 0 {
		return 0, errWouldBlock
	}
	d := s.rd
	d.p = p
	cerr := s.c.r.raw.Control(d.fn)
	n, err := d.n, d.err
	d.p, d.err = nil, nil
	switch {
	case cerr != nil:
		return 0, cerr
	case err == syscall.EAGAIN:
		s.drained = true
		return 0, errWouldBlock
	case err != nil:
		nc := s.c.nc
		return 0, &net.OpError{Op: "read", Net: nc.LocalAddr().Network(), Source: nc.LocalAddr(), Addr: nc.RemoteAddr(), Err: os.NewSyscallError("read", err)}
	case n == 0:
		return 0, io.EOF
	}
	if n < len(p) {
		s.drained = true
	}
	return n, nil
}

// rawReadTo reads a socket into p without waiting, for RawConn.Control.
// A worker has one, its method value made once, instead of each
// connection.
type rawReadTo struct {
	p   []byte
	n   int
	err error
	fn  func(fd uintptr) // read
}

func newRawReadTo() *rawReadTo {
	d := &rawReadTo{}
	d.fn = d.read
	return d
}

func (d *rawReadTo) read(fd uintptr) {
	for {
		d.n, d.err = sysRead(fd, d.p)
		if d.err != syscall.EINTR {
			return
		}
	}
}

// readNext reads, for an EventLoop's worker, what has arrived of the next
// message without waiting for more: it returns the message once whole, or
// errWouldBlock, keeping what it read for the next call. The message is
// read into the worker's buffer *buf, as ReadMessage reads into its buf,
// until it is interrupted; then the connection keeps it in storage of its
// own, and the message, once whole, is owned: the worker may keep its
// storage (keepLarger). The storage a message keeps is the worker's buffer
// itself when the message needs most of it (the worker then takes a spare
// one), so that a large message arriving in many pieces is neither copied
// nor grown again; otherwise a copy of what was read.
func (c *Conn) readNext(s *served, buf *[]byte) (typ MessageType, msg []byte, owned bool, err error) {
	r := &c.r
	if !r.sem.tryLock() {
		return 0, nil, false, errReadBusy
	}
	defer r.sem.unlock()
	defer r.releaseBuffer()
	if r.err != nil {
		return 0, nil, false, r.err
	}
	s.reading = true
	defer func() { s.reading = false }()
	r.live = nil // a reader from NextReader is over
	ctx := context.Background()

	dst := (*buf)[:0]
	if r.resume {
		r.resume = false
		dst, owned = r.partial, true
		r.partial = nil
	} else if err := c.startMessage(ctx); err != nil {
		return 0, nil, false, err
	}
	typ = r.typ
	if r.compressed {
		dst, err = c.readCompressed(ctx, dst)
	} else {
		dst, err = c.readFrames(ctx, dst)
	}
	// Owned: the message is not in the worker's buffer, having resumed in
	// storage of its own or outgrown the buffer.
	owned = owned || cap(dst) == 0 || unsafe.SliceData(dst) != unsafe.SliceData(*buf)
	if err != nil {
		if r.err == nil && r.active {
			r.resume = true
			switch {
			case owned && len(dst) > 0:
				r.partial = dst // storage of the message's own
			case len(dst) == 0:
			case cap(dst) >= handOverMin && int64(len(dst))+r.remain >= int64(cap(dst)/2):
				r.partial = dst
				*buf = s.l.takeSpare()
			default:
				r.partial = append([]byte(nil), dst...)
			}
		}
		return 0, nil, false, err
	}
	return typ, dst, owned, nil
}

// maxWorkerBuf bounds the buffer a worker keeps from one message to the
// next, and handOverMin is the smallest a worker gives to a connection
// whose message it has begun (see readNext): below, copying is cheap.
const (
	maxWorkerBuf = 1 << 20
	handOverMin  = 64 << 10
	maxSpare     = 4 // spare buffers an EventLoop keeps for its workers
)

// takeSpare returns a buffer for a worker that gave its own to a
// connection, or nil.
func (l *EventLoop) takeSpare() []byte {
	l.spareMu.Lock()
	defer l.spareMu.Unlock()
	n := len(l.spare)
	if n == 0 {
		return nil
	}
	b := l.spare[n-1]
	l.spare[n-1] = nil
	l.spare = l.spare[:n-1]
	return b
}

// keepLarger returns the buffer a worker keeps after an owned message,
// whose handler has returned: the larger of its own and the message's
// storage. The other becomes a spare, if it is worth keeping and there is
// room.
func (l *EventLoop) keepLarger(buf, msg []byte) []byte {
	if cap(msg) > maxWorkerBuf {
		msg = nil
	}
	if cap(msg) > cap(buf) {
		buf, msg = msg[:0], buf
	}
	if cap(msg) >= handOverMin {
		l.spareMu.Lock()
		if len(l.spare) < maxSpare {
			l.spare = append(l.spare, msg[:0])
		}
		l.spareMu.Unlock()
	}
	return buf
}
