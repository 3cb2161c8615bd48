package websocket

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// FullPolicy says what a SendQueue does with a message that finds its queue
// full: the connection's peer is reading more slowly than messages come.
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
	// Size is the most messages waiting to be written. Zero means
	// DefaultQueueSize.
	Size int
	// Full is the policy for a message that finds the queue full.
	Full FullPolicy
	// WriteTimeout bounds each write; a write that times out closes the
	// connection, as a peer that slow is taken for dead. Zero means
	// DefaultQueueWriteTimeout; a negative value, none.
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

// A SendQueue writes messages to one connection from a goroutine of its
// own, so that Send never waits for the network: a broadcaster can hand the
// same PreparedMessage to many queues without one slow peer holding up the
// others. Messages are written in the order they were sent; those waiting
// together go out in one vectored write where the connection allows. Once a write
// fails or the queue gives up on the connection, every Send fails at once.
type SendQueue struct {
	c    *Conn
	opts SendQueueOptions
	ch   chan *PreparedMessage
	stop chan struct{} // closed to stop the writer
	done chan struct{} // closed once the writer has returned
	ctx  *queueContext // the writes'; Close interrupts them through it

	mu       sync.Mutex
	err      error         // why the queue stopped; nil while it runs
	inflight int           // messages sent and not yet written
	idle     chan struct{} // made by a waiting Flush, closed when inflight drops to 0
}

// NewSendQueue starts a queue writing to c. Stop it with Close, or by
// closing c.
func NewSendQueue(c *Conn, opts *SendQueueOptions) *SendQueue {
	q := &SendQueue{c: c, stop: make(chan struct{}), done: make(chan struct{})}
	if opts != nil {
		q.opts = *opts
	}
	if q.opts.Size <= 0 {
		q.opts.Size = DefaultQueueSize
	}
	q.ch = make(chan *PreparedMessage, q.opts.Size)
	q.ctx = newQueueContext()
	go q.run()
	return q
}

// Send queues pm for writing without waiting. It returns ErrQueueFull if
// the message was dropped under DropMessage, and otherwise an error (which
// Err returns too) once the queue has stopped: the connection failed or was
// closed, the queue was full under a closing policy, or Close was called.
func (q *SendQueue) Send(pm *PreparedMessage) error {
	if q.c.isClosed() {
		q.halt(ErrClosed)
		return q.Err()
	}
	q.mu.Lock()
	err := q.err
	if err == nil {
		q.inflight++
	}
	q.mu.Unlock()
	if err != nil {
		return err
	}
	select {
	case q.ch <- pm:
		return nil
	default:
	}
	q.written(1)
	switch q.opts.Full {
	case ClosePolicyViolation:
		return q.giveUp(StatusPolicyViolation)
	case CloseTryAgainLater:
		return q.giveUp(StatusTryAgainLater)
	}
	return ErrQueueFull
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

// halt records err as the reason the queue stopped, and stops the writer.
// It reports whether this call stopped it.
func (q *SendQueue) halt(err error) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.err != nil {
		return false
	}
	q.err = err
	close(q.stop)
	return true
}

// Err returns why the queue stopped, or nil while it runs.
func (q *SendQueue) Err() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.err
}

// Len returns the number of messages waiting.
func (q *SendQueue) Len() int { return len(q.ch) }

// Done is closed once the queue's goroutine has returned.
func (q *SendQueue) Done() <-chan struct{} { return q.done }

// errQueueClosed is the reason Close gives the queue.
var errQueueClosed = errors.New("websocket: send queue closed")

// Close stops the queue, dropping the messages waiting, interrupts the
// write in progress and waits for the queue's goroutine to return. It
// leaves the connection open, except that an interrupted write that had
// begun sending a frame closes it. Flush first to send what is queued.
func (q *SendQueue) Close() {
	q.halt(errQueueClosed)
	q.ctx.interrupt()
	<-q.done
}

// Flush waits until the messages queued so far have been written, the
// queue has stopped, or ctx ends.
func (q *SendQueue) Flush(ctx context.Context) error {
	q.mu.Lock()
	if q.inflight == 0 {
		err := q.err
		q.mu.Unlock()
		return err
	}
	if q.idle == nil {
		q.idle = make(chan struct{})
	}
	idle := q.idle
	q.mu.Unlock()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-q.done:
	case <-idle:
	}
	return q.Err()
}

// written notes that n messages sent have been written or dropped.
func (q *SendQueue) written(n int) {
	q.mu.Lock()
	q.inflight -= n
	if q.inflight == 0 && q.idle != nil {
		close(q.idle)
		q.idle = nil
	}
	q.mu.Unlock()
}

// maxBatch is the most queued messages written in one vectored write.
const maxBatch = 64

func (q *SendQueue) run() {
	defer close(q.done)
	var batch []*PreparedMessage
	var vec [][]byte
	for {
		select {
		case <-q.stop:
			return
		case <-q.c.closed:
			q.halt(ErrClosed)
			return
		case pm := <-q.ch:
			// Whatever else is waiting goes out in the same write.
			batch = append(batch[:0], pm)
		more:
			for len(batch) < maxBatch {
				select {
				case pm := <-q.ch:
					batch = append(batch, pm)
				default:
					break more
				}
			}
			var err error
			vec, err = q.write(batch, vec)
			if err != nil && q.halt(fmt.Errorf("websocket: send queue: %w", err)) {
				q.c.CloseNow()
			}
			q.written(len(batch))
			clear(batch)
			if err != nil {
				return
			}
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

func (q *SendQueue) write(batch []*PreparedMessage, vec [][]byte) ([][]byte, error) {
	q.ctx.startBatch(q.writeTimeout())
	defer q.ctx.endBatch()
	return q.c.writePreparedBatch(q.ctx, batch, vec)
}
