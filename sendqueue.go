package websocket

import (
	"context"
	"errors"
	"fmt"
	"math/bits"
	"sync"
	"time"
)

// FullPolicy says what a SendQueue does with a message that finds its queue
// full: the connection's peer is reading more slowly than messages come.
// A value other than the three below is taken as DropMessage.
type FullPolicy int

const (
	// DropMessage drops the message; Send returns ErrQueueFull and the
	// connection carries on.
	DropMessage FullPolicy = iota
	// ClosePolicyViolation drops the message and closes the connection
	// with StatusPolicyViolation (1008). The close frame goes out once the
	// write in progress ends; if that takes longer than the closing
	// handshake's timeout, the connection is closed without it.
	ClosePolicyViolation
	// CloseTryAgainLater drops the message and closes the connection with
	// StatusTryAgainLater (1013), as ClosePolicyViolation does.
	CloseTryAgainLater
)

// DefaultQueueSize is the number of messages a SendQueue holds unless
// SendQueueOptions says otherwise.
const DefaultQueueSize = 64

// SendQueueOptions configures a SendQueue. The zero value is a queue of
// DefaultQueueSize messages that drops what does not fit.
type SendQueueOptions struct {
	// Size is the most messages waiting to be written. Zero or less
	// means DefaultQueueSize. It is a bound and not a reservation: the
	// queue's memory follows the messages actually waiting, so any size
	// up to math.MaxInt may be given.
	Size int
	// Full is the policy for a message that finds the queue full.
	Full FullPolicy
	// WriteTimeout bounds each write; a write that times out closes the
	// connection, as a peer that slow is taken for dead. Zero means
	// DefaultQueueWriteTimeout; a negative value, none. Any positive
	// value, up to math.MaxInt64, is taken as given.
	WriteTimeout time.Duration
}

// DefaultQueueWriteTimeout is how long a SendQueue waits for one write
// unless SendQueueOptions says otherwise.
const DefaultQueueWriteTimeout = 10 * time.Second

// ErrQueueFull is returned by Send for a message dropped because the queue
// was full.
var ErrQueueFull = errors.New("websocket: send queue full, message dropped")

// ErrSlowConsumer is the reason a SendQueue with a closing FullPolicy gives
// for closing a connection whose queue filled up.
var ErrSlowConsumer = errors.New("websocket: send queue full, connection closed")

// A SendQueue writes messages to one connection from a goroutine of its own, so
// that Send never waits for the network: a broadcaster can hand the same
// PreparedMessage to many queues without one slow peer holding up the others.
// Messages are written in the order they were sent; those waiting together go
// out in one vectored write where the connection allows. Once a write fails or
// the queue gives up on the connection, every Send fails at once.
//
// A queue holding nothing keeps little memory: room for more than a few
// waiting messages is taken as they arrive and handed back once they have
// been written.
type SendQueue struct {
	c    *Conn
	opts SendQueueOptions
	wake chan struct{} // capacity 1: a token tells the writer to look again
	done chan struct{} // closed once the writer has returned
	ctx  *queueContext // the writes'; Close interrupts them through it

	mu    sync.Mutex
	err   error              // why the queue stopped; nil while it runs
	ring  []*PreparedMessage // the messages waiting, from head on, wrapping round; len(ring) is the room
	head  int
	n     int      // messages waiting
	big   *ringBuf // the ring, when it outgrew small; nil otherwise
	small [smallRing]*PreparedMessage

	sent     uint64        // messages Send has taken
	finished uint64        // of those, how many were written or dropped
	flushAt  uint64        // the least count of finished a waiting Flush wants
	flushed  chan struct{} // made by a waiting Flush, closed when finished reaches flushAt or the queue stops

	one [1]*PreparedMessage // the writer's batch when one message waits
}

// smallRing is how many waiting messages a queue keeps room for in itself.
// A queue that needs more borrows a ring from ringPools, doubling it as it
// fills, and hands it back once everything waiting has gone out.
const smallRing = 4

// ringBuf holds a borrowed ring. The pools keep pointers, so that handing
// one back allocates nothing.
type ringBuf struct{ s []*PreparedMessage }

// ringPools[i] keeps rings of smallRing<<(i+1) messages, so that a queue
// that keeps filling up and draining does not allocate each time. Larger
// rings are left to the garbage collector.
var ringPools [12]sync.Pool

// ringClass returns the index in ringPools of rings of n messages.
func ringClass(n int) (int, bool) {
	i := bits.Len(uint(n)) - bits.Len(uint(smallRing)) - 1
	return i, n&(n-1) == 0 && i >= 0 && i < len(ringPools)
}

func getRing(n int) *ringBuf {
	if i, ok := ringClass(n); ok {
		if r, _ := ringPools[i].Get().(*ringBuf); r != nil {
			return r
		}
	}
	return &ringBuf{s: make([]*PreparedMessage, n)}
}

// putRing hands back r, which must hold no messages.
func putRing(r *ringBuf) {
	if i, ok := ringClass(len(r.s)); ok {
		ringPools[i].Put(r)
	}
}

// sendBatch is where the writer gathers a batch of more than one message
// and the frames of its vectored write. It is borrowed from batchPool while
// the queue is busy, as it takes 2 KiB that an idle queue has no use for.
type sendBatch struct {
	pms [maxBatch]*PreparedMessage
	vec [maxBatch][]byte
}

var batchPool = sync.Pool{New: func() any { return new(sendBatch) }}

// NewSendQueue starts a queue writing to c. Stop it with Close, or by
// closing c.
func NewSendQueue(c *Conn, opts *SendQueueOptions) *SendQueue {
	if c == nil {
		panic("websocket: NewSendQueue with a nil *Conn")
	}
	q := &SendQueue{
		c:    c,
		wake: make(chan struct{}, 1),
		done: make(chan struct{}),
		ctx:  newQueueContext(),
	}
	if opts != nil {
		q.opts = *opts
	}
	if q.opts.Size <= 0 {
		q.opts.Size = DefaultQueueSize
	}
	q.ring = q.small[:]
	go q.run()
	return q
}

// errNilMessage is what Send returns for a nil message.
var errNilMessage = errors.New("websocket: SendQueue.Send of a nil *PreparedMessage")

// Send queues pm for writing without waiting. It returns ErrQueueFull if
// the message was dropped under DropMessage, and otherwise an error (which
// Err returns too) once the queue has stopped: the connection failed or was
// closed, the queue was full under a closing policy, or Close was called.
// A nil pm is refused with an error and leaves the queue as it was.
func (q *SendQueue) Send(pm *PreparedMessage) error {
	if pm == nil {
		return errNilMessage
	}
	q.noteClosed()
	q.mu.Lock()
	if err := q.err; err != nil {
		q.mu.Unlock()
		return err
	}
	if q.n >= q.opts.Size {
		q.mu.Unlock()
		switch q.opts.Full {
		case ClosePolicyViolation:
			return q.giveUp(StatusPolicyViolation)
		case CloseTryAgainLater:
			return q.giveUp(StatusTryAgainLater)
		}
		return ErrQueueFull
	}
	if q.n == len(q.ring) {
		q.grow()
	}
	i := q.head + q.n
	if i >= len(q.ring) {
		i -= len(q.ring)
	}
	q.ring[i] = pm
	q.n++
	q.sent++
	first := q.n == 1
	q.mu.Unlock()
	if first {
		// The writer may be waiting; if it is busy, it finds pm when it
		// looks again, and the token only makes it look once more.
		select {
		case q.wake <- struct{}{}:
		default:
		}
	}
	return nil
}

// grow doubles the room of the full ring. It is called only when fewer
// than Size messages wait, so the room stays below twice Size, and below
// twice the most messages that have waited since the queue last drained;
// it is always a power of two, as the pools keep. q.mu is held.
func (q *SendQueue) grow() {
	r := getRing(2 * len(q.ring))
	k := copy(r.s, q.ring[q.head:])
	copy(r.s[k:], q.ring[:q.head])
	clear(q.ring)
	if q.big != nil {
		putRing(q.big)
	}
	q.big, q.ring, q.head = r, r.s, 0
}

// take moves the first len(batch) messages waiting into batch. A ring
// left empty goes back to the pool. q.mu is held.
func (q *SendQueue) take(batch []*PreparedMessage) {
	for i := range batch {
		batch[i] = q.ring[q.head]
		q.ring[q.head] = nil
		if q.head++; q.head == len(q.ring) {
			q.head = 0
		}
	}
	q.n -= len(batch)
	if q.n == 0 {
		q.emptyRing()
	}
}

// emptyRing drops the messages waiting and returns the queue to its own
// small ring. q.mu is held.
func (q *SendQueue) emptyRing() {
	if q.n > 0 {
		clear(q.ring)
		q.finished += uint64(q.n)
		q.n = 0
	}
	if q.big != nil {
		putRing(q.big)
		q.big = nil
	}
	q.ring, q.head = q.small[:], 0
}

// giveUp stops the queue of a peer too slow to keep up, and closes the
// connection with code.
func (q *SendQueue) giveUp(code StatusCode) error {
	if !q.halt(fmt.Errorf("%w (%v)", ErrSlowConsumer, code)) {
		return q.Err()
	}
	// The writer may be stuck in a write to the peer; the close frame
	// waits for it for at most the close timeout, and then the connection
	// is closed regardless.
	go q.c.Close(code, "too slow to keep up")
	return q.Err()
}

// halt records err as the reason the queue stopped, drops the messages
// waiting, releases any Flush and tells the writer to return. It reports
// whether this call stopped the queue.
func (q *SendQueue) halt(err error) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.err != nil {
		return false
	}
	q.err = err
	q.emptyRing()
	if q.flushed != nil {
		close(q.flushed)
		q.flushed = nil
	}
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return true
}

// noteClosed stops the queue if its connection has closed, so that the
// queue says so from then on, without waiting for its writer to notice.
func (q *SendQueue) noteClosed() {
	if q.c.isClosed() {
		q.halt(ErrClosed)
	}
}

// Err returns why the queue stopped, or nil while it runs.
func (q *SendQueue) Err() error {
	q.noteClosed()
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.err
}

// Len returns the number of messages waiting.
func (q *SendQueue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n
}

// Done is closed once the queue's goroutine has returned.
func (q *SendQueue) Done() <-chan struct{} { return q.done }

// errQueueClosed is the reason Close gives the queue.
var errQueueClosed = errors.New("websocket: send queue closed")

// Close stops the queue, dropping the messages waiting, interrupts the
// write in progress and waits for the queue's goroutine to return. It
// leaves the connection open, except that an interrupted write that had
// begun sending a frame closes it. Flush first to send what is queued.
// Close may be called more than once, and at the same time as any other
// method.
func (q *SendQueue) Close() {
	q.halt(errQueueClosed)
	q.ctx.interrupt()
	<-q.done
}

// Flush waits until the messages queued so far have been written, the
// queue has stopped, or ctx ends. Messages sent once Flush has begun are
// not waited for.
func (q *SendQueue) Flush(ctx context.Context) error {
	q.noteClosed()
	q.mu.Lock()
	want := q.sent
	for q.err == nil && q.finished < want {
		if q.flushed == nil {
			q.flushed = make(chan struct{})
			q.flushAt = want
		}
		q.flushAt = min(q.flushAt, want)
		flushed := q.flushed
		q.mu.Unlock()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-flushed:
		}
		q.mu.Lock()
	}
	err := q.err
	q.mu.Unlock()
	return err
}

// finish notes that k messages taken by the writer have been written or
// failed, and wakes the Flushes waiting for them. q.mu is held.
func (q *SendQueue) finish(k int) {
	q.finished += uint64(k)
	if q.flushed != nil && q.finished >= q.flushAt {
		close(q.flushed)
		q.flushed = nil
	}
}

// maxBatch is the most queued messages written in one vectored write.
const maxBatch = 64

func (q *SendQueue) run() {
	defer close(q.done)
	var b *sendBatch // borrowed while batches of more than one go out
	defer func() {
		if b != nil {
			batchPool.Put(b)
		}
	}()
	k := 0 // messages in the batch last written
	for {
		q.mu.Lock()
		q.finish(k)
		for q.err == nil && q.n == 0 {
			q.mu.Unlock()
			if b != nil {
				batchPool.Put(b)
				b = nil
			}
			select {
			case <-q.wake:
			case <-q.c.closed:
				q.halt(ErrClosed)
				return
			}
			q.mu.Lock()
		}
		if q.err != nil {
			q.mu.Unlock()
			return
		}
		// Whatever else is waiting goes out in the same write.
		k = min(q.n, maxBatch)
		batch, vec := q.one[:], [][]byte(nil)
		if k > 1 {
			if b == nil {
				b = batchPool.Get().(*sendBatch)
			}
			batch, vec = b.pms[:k], b.vec[:0]
		}
		q.take(batch)
		q.mu.Unlock()

		err := q.write(batch, vec)
		clear(batch)
		if b != nil {
			clear(b.vec[:k]) // the frames, should the write have left any
		}
		if err != nil {
			if q.halt(fmt.Errorf("websocket: send queue: %w", err)) {
				q.c.CloseNow()
			}
			q.mu.Lock()
			q.finish(k)
			q.mu.Unlock()
			return
		}
	}
}

// writeTimeout is the bound on each write; 0 for none.
func (q *SendQueue) writeTimeout() time.Duration {
	switch {
	case q.opts.WriteTimeout == 0:
		return DefaultQueueWriteTimeout
	case q.opts.WriteTimeout < 0:
		return 0
	}
	return q.opts.WriteTimeout
}

// write sends batch; vec, when not nil, is room for its frames.
func (q *SendQueue) write(batch []*PreparedMessage, vec [][]byte) error {
	q.ctx.startBatch(q.writeTimeout())
	defer q.ctx.endBatch()
	_, err := q.c.writePreparedBatch(q.ctx, batch, vec)
	return err
}
