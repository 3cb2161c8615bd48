package websocket

// Tests of Flush and of the ends of a SendQueue: what Flush waits for, and
// what each method does once the queue is closed, its connection closed or
// failed, or both happen at once.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"
)

// TestSendQueueDeadConnection checks that Send fails at once on a closed
// connection, and that a failed write stops the queue.
func TestSendQueueDeadConnection(t *testing.T) {
	srv, cli := pipePair(t)
	q := NewSendQueue(srv, nil)
	defer q.Close()
	cli.CloseNow()
	srv.CloseNow()
	if err := q.Send(textMessage("to nobody")); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("send on a closed connection: %v, want ErrClosed", err)
	}

	srv2, cli2 := pipePair(t)
	q2 := NewSendQueue(srv2, nil)
	defer q2.Close()
	cli2.NetConn().Close() // the peer vanishes; the server side is open
	if err := q2.Send(textMessage("lost")); err != nil {
		t.Fatalf("first send: %v", err)
	}
	<-q2.Done()
	if err := q2.Send(textMessage("after failure")); err == nil {
		t.Fatal("send after a failed write succeeded")
	}
	if !srv2.isClosed() {
		t.Fatal("a failed write left the connection open")
	}
}

// TestSendQueueFlush checks that Flush waits for the messages queued to be
// written: it gives up with its context while the peer reads nothing, and
// returns once the peer has read them.
func TestSendQueueFlush(t *testing.T) {
	srv, cli := pipePair(t)
	q := NewSendQueue(srv, nil)
	defer q.Close()
	for i := range 3 {
		if err := q.Send(textMessage(fmt.Sprint("m", i))); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := q.Flush(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Flush with messages stuck: %v, want context.Canceled", err)
	}
	flushed := make(chan error, 1)
	go func() { flushed <- q.Flush(context.Background()) }()
	for i := range 3 {
		if _, got, err := cli.ReadMessage(context.Background(), nil); err != nil || string(got) != fmt.Sprint("m", i) {
			t.Fatalf("message %d: %q, %v", i, got, err)
		}
	}
	if err := <-flushed; err != nil {
		t.Fatalf("Flush: %v", err)
	}
	if q.Len() != 0 || q.writing() {
		t.Fatal("Flush returned with messages still queued")
	}
}

// waitingCtx is a context that closes waiting the first time its Done is
// called: Flush calls it once it has noted what it waits for.
type waitingCtx struct {
	context.Context
	once    sync.Once
	waiting chan struct{}
}

func newWaitingCtx() *waitingCtx {
	return &waitingCtx{Context: context.Background(), waiting: make(chan struct{})}
}

func (c *waitingCtx) Done() <-chan struct{} {
	c.once.Do(func() { close(c.waiting) })
	return c.Context.Done()
}

// TestSendQueueFlushOnlyWaitsForEarlier checks that Flush returns once the
// messages sent before it are written, while one sent after it is stuck.
func TestSendQueueFlushOnlyWaitsForEarlier(t *testing.T) {
	srv, cli, writes := signalPipe(t)
	q := NewSendQueue(srv, &SendQueueOptions{WriteTimeout: -1})
	defer q.Close()
	fillQueue(t, q, writes, 1) // m0 is being written, m1 waits
	ctx := newWaitingCtx()
	flushed := make(chan error, 1)
	go func() { flushed <- q.Flush(ctx) }()
	<-ctx.waiting
	readAll(t, cli, 1)
	<-writes // m1 is being written, alone
	if err := q.Send(textMessage("m2")); err != nil {
		t.Fatal(err)
	}
	if _, got, err := cli.ReadMessage(context.Background(), nil); err != nil || string(got) != "m1" {
		t.Fatalf("read %q, %v; want m1", got, err)
	}
	// m2 is now being written, and the peer does not read it.
	if err := await(t, flushed, "Flush of m0 and m1 with m2 stuck"); err != nil {
		t.Fatal(err)
	}
}

// TestSendQueueFlushStopped checks that Flush returns once the queue has
// given up on a slow peer, without waiting for the write in progress.
func TestSendQueueFlushStopped(t *testing.T) {
	srv, _, writes := signalPipe(t)
	srv.SetCloseTimeout(time.Hour)
	q := NewSendQueue(srv, &SendQueueOptions{Size: 1, Full: CloseTryAgainLater, WriteTimeout: -1})
	defer q.Close()
	fillQueue(t, q, writes, 1)
	if err := q.Send(textMessage("one too many")); !errors.Is(err, ErrSlowConsumer) {
		t.Fatalf("send to a full queue: %v", err)
	}
	flushed := make(chan error, 1)
	go func() { flushed <- q.Flush(context.Background()) }()
	if err := await(t, flushed, "Flush of a queue that gave up"); !errors.Is(err, ErrSlowConsumer) {
		t.Fatalf("Flush: %v, want ErrSlowConsumer", err)
	}
}

// TestSendQueueConnClosed checks each method of a queue whose connection
// has been closed: from the moment it is, the queue reports it stopped.
func TestSendQueueConnClosed(t *testing.T) {
	for range 50 {
		srv, _ := pipePair(t)
		q := NewSendQueue(srv, nil)
		srv.CloseNow()
		if err := q.Err(); !errors.Is(err, ErrClosed) {
			t.Fatalf("Err: %v, want ErrClosed", err)
		}
		if err := q.Flush(context.Background()); !errors.Is(err, ErrClosed) {
			t.Fatalf("Flush: %v, want ErrClosed", err)
		}
		if err := q.Send(textMessage("m0")); !errors.Is(err, ErrClosed) {
			t.Fatalf("Send: %v, want ErrClosed", err)
		}
		if n := q.Len(); n != 0 {
			t.Fatalf("Len %d", n)
		}
		await(t, q.Done(), "Done")
		q.Close()
		q.Close()
	}
}

// TestSendQueueClosed checks each method of a queue after Close, which
// dropped messages waiting: they are gone, and the connection still works.
func TestSendQueueClosed(t *testing.T) {
	srv, cli, writes := signalPipe(t)
	q := NewSendQueue(srv, nil)
	fillQueue(t, q, writes, 3)
	q.Close()
	for name, err := range map[string]error{
		"Err":   q.Err(),
		"Send":  q.Send(textMessage("after")),
		"Flush": q.Flush(context.Background()),
	} {
		if !errors.Is(err, errQueueClosed) {
			t.Errorf("%s after Close: %v, want errQueueClosed", name, err)
		}
	}
	if n := q.Len(); n != 0 {
		t.Errorf("Len after Close: %d messages, want 0", n)
	}
	await(t, q.Done(), "Done after Close")
	q.Close()
	go srv.WriteMessage(context.Background(), MessageText, []byte("m0"))
	readAll(t, cli, 1)
}

// TestSendQueueRaces runs pairs of calls at once: Send and Close, Flush
// and Close, Close and Close, Send and the connection closing. Each call
// must return, with nil, ErrQueueFull or the reason the queue stopped, and
// leave the queue stopped, holding nothing, its goroutine returned.
func TestSendQueueRaces(t *testing.T) {
	pm := textMessage("m")
	send := func(q *SendQueue, _ *Conn) error { return q.Send(pm) }
	flush := func(q *SendQueue, _ *Conn) error { return q.Flush(context.Background()) }
	closeQueue := func(q *SendQueue, _ *Conn) error { q.Close(); return nil }
	closeConn := func(_ *SendQueue, c *Conn) error { c.CloseNow(); return nil }
	for _, tc := range []struct {
		name string
		a, b func(*SendQueue, *Conn) error
	}{
		{"Send/Close", send, closeQueue},
		{"Flush/Close", flush, closeQueue},
		{"Close/Close", closeQueue, closeQueue},
		{"Send/CloseNow", send, closeConn},
		{"Flush/CloseNow", flush, closeConn},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for range 100 {
				srv, _ := pipePair(t)
				q := NewSendQueue(srv, &SendQueueOptions{Size: 2})
				// Something waits, so that Close has messages to drop
				// and Flush has something to wait for.
				q.Send(pm)
				q.Send(pm)
				errs := make(chan error, 2)
				go func() { errs <- tc.a(q, srv) }()
				go func() { errs <- tc.b(q, srv) }()
				got := []error{await(t, errs, tc.name), await(t, errs, tc.name)}
				srv.CloseNow()
				q.Close()
				await(t, q.Done(), "Done")
				stopped := q.Err()
				for _, err := range got {
					if err != nil && !errors.Is(err, ErrQueueFull) && err != stopped {
						t.Fatalf("returned %v; the queue stopped with %v", err, stopped)
					}
				}
				if n := q.Len(); n != 0 {
					t.Fatalf("Len %d once stopped", n)
				}
			}
		})
	}
}
