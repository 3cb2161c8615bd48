package websocket

import (
	"context"
	"math"
	"sync"
	"time"
)

// queueContext is the context of a SendQueue's writes: it ends when the
// batch being written outlives the queue's write timeout, or when the queue
// is closed. One is made per queue and reused for every batch, and
// ioDeadline.begin arms it directly, so a batch allocates nothing; a
// context.WithTimeout per batch and the context.AfterFunc that arms it
// cost about eight allocations for every message a broadcast hands to each
// connection's queue.
type queueContext struct {
	timer  *time.Timer // fires at the batch's deadline
	disarm func() bool // made once: the stop func arm returns

	mu       sync.Mutex
	deadline time.Time     // the batch's; zero between batches and for none
	done     chan struct{} // closed when err is set
	err      error         // context.Canceled once closed, context.DeadlineExceeded once a batch timed out
	armed    *ioDeadline   // the write deadline the batch's write armed, if any
	gen      uint64        // and the write's call number in it
}

func newQueueContext() *queueContext {
	qc := &queueContext{done: make(chan struct{})}
	qc.timer = time.AfterFunc(math.MaxInt64, qc.timeUp)
	qc.timer.Stop()
	qc.disarm = qc.unarm
	return qc
}

// startBatch bounds the next writes by timeout from now; 0 for no bound.
func (qc *queueContext) startBatch(timeout time.Duration) {
	qc.mu.Lock()
	defer qc.mu.Unlock()
	if qc.err == context.DeadlineExceeded {
		// The last batch's timer fired as its write finished.
		qc.err = nil
		qc.done = make(chan struct{})
	}
	if timeout > 0 {
		qc.deadline = time.Now().Add(timeout)
		qc.timer.Reset(timeout)
	}
}

// endBatch lifts the bound set by startBatch.
func (qc *queueContext) endBatch() {
	qc.mu.Lock()
	qc.deadline = time.Time{}
	qc.mu.Unlock()
	qc.timer.Stop()
}

// timeUp ends the context if the batch's deadline has passed; the timer
// may fire late, after its batch ended or another began.
func (qc *queueContext) timeUp() {
	qc.mu.Lock()
	defer qc.mu.Unlock()
	if !qc.deadline.IsZero() && !time.Now().Before(qc.deadline) {
		qc.end(context.DeadlineExceeded)
	}
}

// interrupt ends the context for good: the queue is closing.
func (qc *queueContext) interrupt() {
	qc.mu.Lock()
	defer qc.mu.Unlock()
	qc.end(context.Canceled)
}

// end expires the write under way and closes done with err. qc.mu is held.
func (qc *queueContext) end(err error) {
	if qc.err != nil {
		return
	}
	qc.err = err
	if qc.armed != nil {
		qc.armed.expire(qc.gen)
	}
	close(qc.done)
}

// arm is what ioDeadline.begin does with this context in place of
// context.AfterFunc: call gen of d expires when the context ends, or now if
// it has.
func (qc *queueContext) arm(d *ioDeadline, gen uint64) func() bool {
	qc.mu.Lock()
	defer qc.mu.Unlock()
	if qc.err != nil {
		d.expire(gen)
	} else {
		qc.armed, qc.gen = d, gen
	}
	return qc.disarm
}

func (qc *queueContext) unarm() bool {
	qc.mu.Lock()
	defer qc.mu.Unlock()
	armed := qc.armed != nil
	qc.armed = nil
	return armed
}

func (qc *queueContext) Deadline() (time.Time, bool) {
	qc.mu.Lock()
	defer qc.mu.Unlock()
	return qc.deadline, !qc.deadline.IsZero()
}

func (qc *queueContext) Done() <-chan struct{} {
	qc.mu.Lock()
	defer qc.mu.Unlock()
	return qc.done
}

func (qc *queueContext) Err() error {
	qc.mu.Lock()
	defer qc.mu.Unlock()
	return qc.err
}

func (qc *queueContext) Value(any) any { return nil }
