package websocket

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"testing"
	"time"
)

// pipePair returns a server and a client connection joined by net.Pipe, on
// which a write blocks until the other side reads: a peer that does not
// read is as slow as can be.
func pipePair(t *testing.T) (srv, cli *Conn) {
	a, b := net.Pipe()
	srv = newConn(a, false, "", nil)
	cli = newConn(b, true, "", nil)
	srv.SetCloseTimeout(time.Second)
	cli.SetCloseTimeout(time.Second)
	t.Cleanup(func() { srv.CloseNow(); cli.CloseNow() })
	return srv, cli
}

// writing reports whether a message taken from the queue is being written,
// while no Send is under way.
func (q *SendQueue) writing() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.inflight > len(q.ch)
}

func textMessage(s string) *PreparedMessage {
	pm, _ := NewPreparedMessage(MessageText, []byte(s))
	return pm
}

// fillQueue sends messages to q until one is being written (and blocks, as
// the peer does not read) and size more wait, then returns how many it
// sent.
func fillQueue(t *testing.T, q *SendQueue, size int) int {
	t.Helper()
	if err := q.Send(textMessage("m0")); err != nil {
		t.Fatal(err)
	}
	for !q.writing() {
		time.Sleep(time.Millisecond) // waiting for the writer, not timing it
	}
	for i := 1; i <= size; i++ {
		if err := q.Send(textMessage(fmt.Sprint("m", i))); err != nil {
			t.Fatalf("send %d into a queue of %d: %v", i, size, err)
		}
	}
	return size + 1
}

// TestSendQueueDrop checks the DropMessage policy: Send never blocks, a
// message that finds the queue full is dropped with ErrQueueFull, the
// connection lives on and the others arrive in order.
func TestSendQueueDrop(t *testing.T) {
	srv, cli := pipePair(t)
	q := NewSendQueue(srv, &SendQueueOptions{Size: 3})
	defer q.Close()
	n := fillQueue(t, q, 3)
	for range 5 {
		if err := q.Send(textMessage("dropped")); !errors.Is(err, ErrQueueFull) {
			t.Fatalf("send to a full queue: %v, want ErrQueueFull", err)
		}
	}
	ctx := context.Background()
	for i := range n {
		_, got, err := cli.ReadMessage(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprint("m", i); string(got) != want {
			t.Fatalf("message %d: got %q, want %q", i, got, want)
		}
	}
	// The queue still works, and nothing dropped was sent.
	if err := q.Send(textMessage("after")); err != nil {
		t.Fatal(err)
	}
	if _, got, err := cli.ReadMessage(ctx, nil); err != nil || string(got) != "after" {
		t.Fatalf("got %q, %v; want \"after\"", got, err)
	}
	if err := q.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestSendQueueCloseSlow checks the closing policies: a message that finds
// the queue full closes the connection with the policy's status code, and
// every later Send fails at once.
func TestSendQueueCloseSlow(t *testing.T) {
	for _, tc := range []struct {
		policy FullPolicy
		code   StatusCode
	}{
		{ClosePolicyViolation, StatusPolicyViolation},
		{CloseTryAgainLater, StatusTryAgainLater},
	} {
		t.Run(tc.code.String(), func(t *testing.T) {
			srv, cli := pipePair(t)
			q := NewSendQueue(srv, &SendQueueOptions{Size: 2, Full: tc.policy})
			defer q.Close()
			fillQueue(t, q, 2)
			err := q.Send(textMessage("one too many"))
			if !errors.Is(err, ErrSlowConsumer) {
				t.Fatalf("send to a full queue: %v, want ErrSlowConsumer", err)
			}
			if err := q.Send(textMessage("later")); !errors.Is(err, ErrSlowConsumer) {
				t.Fatalf("send after giving up: %v, want ErrSlowConsumer", err)
			}
			// The peer, reading at last, gets what was being written and
			// then the close frame.
			ctx := context.Background()
			for i := 0; ; i++ {
				_, msg, err := cli.ReadMessage(ctx, nil)
				if err != nil {
					if got := CloseStatus(err); got != tc.code {
						t.Fatalf("peer read ended with %v, want close code %v", err, tc.code)
					}
					break
				}
				if i > 2 || string(msg) == "one too many" {
					t.Fatalf("peer read message %d %q after the queue gave up", i, msg)
				}
			}
			<-q.Done()
		})
	}
}

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

// TestSendQueueDefaultWriteTimeout checks that a queue made without a
// WriteTimeout bounds its writes by DefaultQueueWriteTimeout, and that a
// negative one turns the bound off.
func TestSendQueueDefaultWriteTimeout(t *testing.T) {
	for _, tc := range []struct {
		opt, want time.Duration
	}{{0, DefaultQueueWriteTimeout}, {-1, 0}, {time.Second, time.Second}} {
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
	srv, cli := pipePair(t)
	q := NewSendQueue(srv, nil)
	fillQueue(t, q, 0)
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

// waitWritten waits, without allocating, until every message sent to q has
// been written.
func waitWritten(q *SendQueue) {
	for {
		q.mu.Lock()
		n := q.inflight
		q.mu.Unlock()
		if n == 0 {
			return
		}
		runtime.Gosched()
	}
}

// TestSendQueueAllocs checks that a message handed to a queue and written
// allocates nothing, plain and compressed, in steady state.
func TestSendQueueAllocs(t *testing.T) {
	data := compressible("queued", 512)
	noCtx := &deflateParams{serverNoContext: true, clientNoContext: true, serverBits: 15, clientBits: 15}
	for _, p := range []*deflateParams{nil, noCtx} {
		c := newConn(&utDiscardConn{}, false, "", nil)
		if p != nil {
			c.deflate = newCompression(*p, &CompressionOptions{}, false)
		}
		q := NewSendQueue(c, nil)
		pm, err := NewPreparedMessage(MessageText, data)
		if err != nil {
			t.Fatal(err)
		}
		send := func() {
			if err := q.Send(pm); err != nil {
				t.Fatal(err)
			}
			waitWritten(q)
		}
		send() // frames (and compresses) pm once, for every connection
		if n := testing.AllocsPerRun(200, send); n != 0 {
			t.Errorf("compressed %v: %v allocations per message queued and written, want 0", p != nil, n)
		}
		q.Close()
	}
}

// BenchmarkSendQueue hands one prepared message at a time to a queue and
// waits until it is written.
func BenchmarkSendQueue(b *testing.B) {
	data := compressible("queued", 512)
	c := newConn(&utDiscardConn{}, false, "", nil)
	q := NewSendQueue(c, nil)
	defer q.Close()
	pm, err := NewPreparedMessage(MessageText, data)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := q.Send(pm); err != nil {
			b.Fatal(err)
		}
		waitWritten(q)
	}
}

// TestQueueContext checks the context a SendQueue writes with: a batch's
// deadline ends it and expires the write armed in it, the next batch starts
// afresh, and once interrupted it stays ended and expires any write armed
// later at once.
func TestQueueContext(t *testing.T) {
	var sets []time.Time
	d := &ioDeadline{set: func(t time.Time) error { sets = append(sets, t); return nil }}
	qc := newQueueContext()

	qc.startBatch(time.Millisecond)
	stop := d.begin(qc)
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
	stop = d.begin(qc)
	if len(sets) == 0 || !sets[len(sets)-1].Equal(aLongTimeAgo) {
		t.Fatalf("a write armed after the interrupt was not expired at once: deadlines set %v", sets)
	}
	d.end(stop)
	qc.endBatch()
}
