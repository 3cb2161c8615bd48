package websocket

// Tests of the bounds on a SendQueue's writes: WriteTimeout, its default
// and its extremes, Close interrupting a write the peer does not take, and
// the context the queue writes with.

import (
	"context"
	"errors"
	"io"
	"math"
	"testing"
	"time"
)

// TestSendQueueWriteTimeout checks that a write the peer does not take
// within WriteTimeout closes the connection and stops the queue.
func TestSendQueueWriteTimeout(t *testing.T) {
	srv, _ := pipePair(t)
	q := NewSendQueue(srv, &SendQueueOptions{WriteTimeout: 20 * time.Millisecond})
	defer q.Close()
	if err := q.Send(textMessage("never read")); err != nil {
		t.Fatal(err)
	}
	<-q.Done()
	if err := q.Err(); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("queue stopped with %v, want a deadline error", err)
	}
	if !srv.isClosed() {
		t.Fatal("connection left open after a write timed out")
	}
}

// TestSendQueueDefaultWriteTimeout checks that a queue made without a
// WriteTimeout bounds its writes by DefaultQueueWriteTimeout, and that a
// negative one turns the bound off.
func TestSendQueueDefaultWriteTimeout(t *testing.T) {
	for _, tc := range []struct {
		opt, want time.Duration
	}{
		{0, DefaultQueueWriteTimeout},
		{-1, 0},
		{math.MinInt64, 0},
		{1, 1},
		{time.Second, time.Second},
		{math.MaxInt64, math.MaxInt64},
	} {
		q := &SendQueue{opts: SendQueueOptions{WriteTimeout: tc.opt}}
		if got := q.writeTimeout(); got != tc.want {
			t.Errorf("WriteTimeout %v: writes bounded by %v, want %v", tc.opt, got, tc.want)
		}
	}
}

// TestSendQueueCloseInterrupts checks that Close interrupts a write the
// peer does not take, under the default write timeout, and that a write
// interrupted before any byte went out leaves the connection usable.
func TestSendQueueCloseInterrupts(t *testing.T) {
	srv, cli, writes := signalPipe(t)
	q := NewSendQueue(srv, nil)
	fillQueue(t, q, writes, 0)
	closed := make(chan struct{})
	go func() { q.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(DefaultQueueWriteTimeout / 2):
		t.Fatal("Close did not interrupt the write in progress")
	}
	if err := q.Err(); !errors.Is(err, errQueueClosed) {
		t.Fatalf("queue stopped with %v, want errQueueClosed", err)
	}
	if srv.isClosed() {
		t.Fatal("a write interrupted before sending anything closed the connection")
	}
	go srv.WriteMessage(context.Background(), MessageText, []byte("after"))
	if _, msg, err := cli.ReadMessage(context.Background(), nil); err != nil || string(msg) != "after" {
		t.Fatalf("read after the interrupted queue: %q, %v", msg, err)
	}
}

// TestQueueContext checks the context a SendQueue writes with: a batch's
// deadline ends it and expires the write armed in it, the next batch starts
// afresh, and once interrupted it stays ended and expires any write armed
// later at once.
func TestQueueContext(t *testing.T) {
	var sets []time.Time
	d := &ioDeadline{nc: deadlineRecorder{sets: &sets}, write: true}
	qc := newQueueContext()
	// arm arms a write the way d.begin does, but also when the context is
	// already over (which begin refuses): the write may be armed in the
	// moment the context ends, and must then expire at once.
	arm := func() func() bool {
		d.mu.Lock()
		d.gen++
		gen := d.gen
		d.mu.Unlock()
		return qc.arm(d, gen)
	}

	qc.startBatch(time.Millisecond)
	stop := arm()
	<-qc.Done()
	if err := qc.Err(); err != context.DeadlineExceeded {
		t.Fatalf("after the batch's deadline: Err %v", err)
	}
	d.mu.Lock()
	expired := d.expired
	d.mu.Unlock()
	if !expired {
		t.Fatal("the batch's deadline did not expire the write armed in it")
	}
	d.end(stop)
	qc.endBatch()

	qc.startBatch(0)
	if _, ok := qc.Deadline(); ok || qc.Err() != nil {
		t.Fatal("a batch without a timeout has a deadline, or starts ended")
	}
	select {
	case <-qc.Done():
		t.Fatal("Done closed in a new batch")
	default:
	}
	qc.endBatch()

	qc.interrupt()
	qc.startBatch(time.Hour)
	if err := qc.Err(); err != context.Canceled {
		t.Fatalf("after interrupt and a new batch: Err %v, want Canceled", err)
	}
	sets = nil
	if stop, err := d.begin(qc); stop != nil || err != context.Canceled || len(sets) != 0 {
		t.Fatalf("begin after the interrupt armed a write (%v, deadlines set %v), or returned %v, want Canceled", stop != nil, sets, err)
	}
	stop = arm()
	if len(sets) == 0 || !sets[len(sets)-1].Equal(aLongTimeAgo) {
		t.Fatalf("a write armed after the interrupt was not expired at once: deadlines set %v", sets)
	}
	d.end(stop)
	qc.endBatch()
}

// TestSendQueueWriteTimeouts checks WriteTimeout at its extremes: the
// longest and any negative one let a write take as long as the peer
// takes, and Close still interrupts it; the shortest fails a write the
// peer does not take at once.
func TestSendQueueWriteTimeouts(t *testing.T) {
	for _, d := range []time.Duration{math.MaxInt64, -1, math.MinInt64} {
		t.Run(d.String(), func(t *testing.T) {
			srv, cli, writes := signalPipe(t)
			q := NewSendQueue(srv, &SendQueueOptions{WriteTimeout: d})
			fillQueue(t, q, writes, 1)
			readAll(t, cli, 2)
			if err := q.Flush(context.Background()); err != nil {
				t.Fatal(err)
			}
			<-writes // m1's
			if err := q.Send(textMessage("stuck")); err != nil {
				t.Fatal(err)
			}
			<-writes
			q.Close()
			if err := q.Err(); !errors.Is(err, errQueueClosed) {
				t.Fatalf("Err after Close: %v", err)
			}
		})
	}
	t.Run("1ns", func(t *testing.T) {
		srv, _ := pipePair(t)
		q := NewSendQueue(srv, &SendQueueOptions{WriteTimeout: 1})
		defer q.Close()
		if err := q.Send(textMessage("not read")); err != nil {
			t.Fatal(err)
		}
		await(t, q.Done(), "Done")
		if err := q.Err(); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Err: %v, want a deadline error", err)
		}
	})
}

// deadlineRecorder is a net.Conn that records the write deadlines set.
type deadlineRecorder struct {
	utNopConn
	sets *[]time.Time
}

func (deadlineRecorder) Read([]byte) (int, error)    { return 0, io.EOF }
func (deadlineRecorder) Write(p []byte) (int, error) { return len(p), nil }
func (c deadlineRecorder) SetWriteDeadline(t time.Time) error {
	*c.sets = append(*c.sets, t)
	return nil
}
