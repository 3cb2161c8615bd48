package websocket

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"
)

// writing reports whether a message taken from the queue is being written,
// while no Send is under way.
func (q *SendQueue) writing() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.sent-q.finished > uint64(q.n)
}

func textMessage(s string) *PreparedMessage {
	pm, _ := NewPreparedMessage(MessageText, []byte(s))
	return pm
}

// fillQueue sends messages to q, whose connection signals its writes on
// writes, until one is being written (and blocks, as the peer does not
// read) and size more wait, then returns how many it sent.
func fillQueue(t *testing.T, q *SendQueue, writes <-chan struct{}, size int) int {
	t.Helper()
	if err := q.Send(textMessage("m0")); err != nil {
		t.Fatal(err)
	}
	<-writes // the writer has taken m0 and is writing it
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
	srv, cli, writes := signalPipe(t)
	q := NewSendQueue(srv, &SendQueueOptions{Size: 3})
	defer q.Close()
	n := fillQueue(t, q, writes, 3)
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
			srv, cli, writes := signalPipe(t)
			q := NewSendQueue(srv, &SendQueueOptions{Size: 2, Full: tc.policy})
			defer q.Close()
			fillQueue(t, q, writes, 2)
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

// waitWritten waits, without allocating, until every message sent to q has
// been written.
func waitWritten(q *SendQueue) {
	for {
		q.mu.Lock()
		done := q.finished == q.sent
		q.mu.Unlock()
		if done {
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

// gateConn is a net.Conn whose writes wait until open is closed, and are
// then dropped.
type gateConn struct {
	utNopConn
	open chan struct{}
}

func (c *gateConn) Read([]byte) (int, error) { select {} }

func (c *gateConn) Write(p []byte) (int, error) {
	<-c.open
	return len(p), nil
}

// BenchmarkSendQueueIdle reports what a queue holding nothing costs: the
// heap it keeps (heap-B/queue) and its writer's stack (stack-B/queue),
// when new and after a burst that filled it has been written.
func BenchmarkSendQueueIdle(b *testing.B) {
	pm := textMessage("burst")
	for _, burst := range []int{0, DefaultQueueSize} {
		b.Run(fmt.Sprint("burst=", burst), func(b *testing.B) {
			const n = 1000
			conns := make([]*gateConn, n)
			cs := make([]*Conn, n)
			qs := make([]*SendQueue, n)
			var heap, stack float64
			for range b.N {
				for i := range n {
					// What the connection allocates for its first
					// writes is its own cost, not the queue's.
					open := make(chan struct{})
					close(open)
					conns[i] = &gateConn{open: open}
					cs[i] = newConn(conns[i], false, "", nil)
					if _, err := cs[i].writePreparedBatch(context.Background(), []*PreparedMessage{pm, pm}, nil); err != nil {
						b.Fatal(err)
					}
					conns[i].open = make(chan struct{})
				}
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				for i := range n {
					qs[i] = NewSendQueue(cs[i], nil)
					for range burst {
						qs[i].Send(pm)
					}
				}
				for i := range n {
					close(conns[i].open)
					if err := qs[i].Flush(context.Background()); err != nil {
						b.Fatal(err)
					}
				}
				runtime.GC()
				runtime.GC()
				runtime.ReadMemStats(&after)
				heap += float64(after.HeapAlloc) - float64(before.HeapAlloc)
				stack += float64(after.StackInuse) - float64(before.StackInuse)
				for i := range n {
					qs[i].Close()
				}
				clear(qs)
			}
			b.ReportMetric(heap/float64(b.N*n), "heap-B/queue")
			b.ReportMetric(stack/float64(b.N*n), "stack-B/queue")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// newQueue is NewSendQueue, failing the test rather than the program if it
// panics.
func newQueue(t *testing.T, c *Conn, opts *SendQueueOptions) (q *SendQueue) {
	t.Helper()
	defer func() {
		if p := recover(); p != nil {
			t.Fatalf("NewSendQueue(%+v) panicked: %v", *opts, p)
		}
	}()
	return NewSendQueue(c, opts)
}

// readAll reads n messages from c and checks they are m0, m1, ...
func readAll(t *testing.T, c *Conn, n int) {
	t.Helper()
	readRange(t, c, 0, n)
}

// readRange reads messages from c and checks they are m<from> to m<to-1>.
func readRange(t *testing.T, c *Conn, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		_, got, err := c.ReadMessage(context.Background(), nil)
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if want := fmt.Sprint("m", i); string(got) != want {
			t.Fatalf("message %d: got %q, want %q", i, got, want)
		}
	}
}

// TestSendQueueSize checks Size at zero, one, the most an int holds and
// below zero, under each FullPolicy and values outside them: how many
// messages wait beside the one being written, what the one after them
// gets, and that those accepted arrive in order.
func TestSendQueueSize(t *testing.T) {
	for _, tc := range []struct {
		size, holds int // holds: messages that wait; -1 for more than we send
	}{
		{0, DefaultQueueSize},
		{-1, DefaultQueueSize},
		{math.MinInt, DefaultQueueSize},
		{1, 1},
		{3, 3},
		{math.MaxInt, -1},
		{1 << 30, -1},
	} {
		for _, full := range []FullPolicy{DropMessage, ClosePolicyViolation, CloseTryAgainLater, -1, 3, 99} {
			t.Run(fmt.Sprintf("size=%d/full=%d", tc.size, full), func(t *testing.T) {
				srv, cli, writes := signalPipe(t)
				q := newQueue(t, srv, &SendQueueOptions{Size: tc.size, Full: full})
				defer q.Close()
				holds := tc.holds
				if holds < 0 {
					holds = 3 * DefaultQueueSize
				}
				n := fillQueue(t, q, writes, holds)
				if got := q.Len(); got != holds {
					t.Fatalf("Len %d, want %d", got, holds)
				}
				if tc.holds < 0 {
					// Nothing was turned away; the peer gets it all.
					readAll(t, cli, n)
					if err := q.Flush(context.Background()); err != nil {
						t.Fatal(err)
					}
					return
				}
				err := q.Send(textMessage("one too many"))
				switch full {
				case ClosePolicyViolation, CloseTryAgainLater:
					if !errors.Is(err, ErrSlowConsumer) {
						t.Fatalf("send to a full queue: %v, want ErrSlowConsumer", err)
					}
					if q.Len() != 0 {
						t.Fatalf("Len %d after giving up, want 0", q.Len())
					}
					return
				}
				if !errors.Is(err, ErrQueueFull) {
					t.Fatalf("send to a full queue: %v, want ErrQueueFull", err)
				}
				readAll(t, cli, n)
				if err := q.Flush(context.Background()); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}

// TestSendQueueSizeMemory checks that a queue allows for Size messages
// without allocating room for them up front.
func TestSendQueueSizeMemory(t *testing.T) {
	c := newConn(&utDiscardConn{}, false, "", nil)
	for _, size := range []int{1 << 30, math.MaxInt} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		q := newQueue(t, c, &SendQueueOptions{Size: size})
		runtime.ReadMemStats(&after)
		q.Close()
		if n := after.TotalAlloc - before.TotalAlloc; n > 64<<10 {
			t.Errorf("Size %d: NewSendQueue allocated %d bytes", size, n)
		}
	}
}

// TestSendQueueNil checks that a nil message is refused by Send rather than
// failing the queue's goroutine, and that a nil Conn is refused by
// NewSendQueue rather than by that goroutine.
func TestSendQueueNil(t *testing.T) {
	srv, cli := pipePair(t)
	q := NewSendQueue(srv, nil)
	defer q.Close()
	if err := q.Send(nil); err == nil {
		t.Fatal("Send(nil) succeeded")
	}
	if err := q.Send(textMessage("m0")); err != nil {
		t.Fatalf("send after Send(nil): %v", err)
	}
	readAll(t, cli, 1)
	if err := q.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}

	func() {
		defer func() {
			if recover() == nil {
				t.Error("NewSendQueue(nil, nil) did not panic")
			}
		}()
		NewSendQueue(nil, nil)
	}()
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

// lockConn is a net.Conn whose writes wait while mu is held, and are then
// dropped. Holding mu lets messages pile up in a queue without a channel
// made per round.
type lockConn struct {
	utNopConn
	mu sync.Mutex
}

func (c *lockConn) Read([]byte) (int, error) { return 0, net.ErrClosed }

func (c *lockConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.mu.Unlock()
	return len(p), nil
}

// burst sends n messages to q while its connection's writes wait, then
// lets them go and waits until all are written.
func burst(q *SendQueue, nc *lockConn, pm *PreparedMessage, n int) error {
	nc.mu.Lock()
	for range n {
		if err := q.Send(pm); err != nil {
			nc.mu.Unlock()
			return err
		}
	}
	nc.mu.Unlock()
	waitWritten(q)
	return nil
}

// TestSendQueueBurstAllocs checks that a queue that fills up and drains
// over and over allocates nothing once it has done so once: the room it
// borrows for a burst is handed back and borrowed again.
func TestSendQueueBurstAllocs(t *testing.T) {
	nc := &lockConn{}
	q := NewSendQueue(newConn(nc, false, "", nil), nil)
	defer q.Close()
	pm := textMessage("burst")
	round := func() {
		if err := burst(q, nc, pm, DefaultQueueSize); err != nil {
			t.Fatal(err)
		}
	}
	round()
	checkZeroAllocs(t, testing.AllocsPerRun(100, round)/DefaultQueueSize, fmt.Sprint("burst of ", DefaultQueueSize))
}

// TestSendQueueRing checks the room a queue keeps for waiting messages: it
// grows as they pile up, to less than twice as many, and goes back to the
// queue's own small ring once they are written.
func TestSendQueueRing(t *testing.T) {
	for _, size := range []int{1, smallRing, smallRing + 1, 100, DefaultQueueSize, 1000, math.MaxInt} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			srv, cli, writes := signalPipe(t)
			q := NewSendQueue(srv, &SendQueueOptions{Size: size})
			defer q.Close()
			hold := min(size, 1000)
			n := fillQueue(t, q, writes, hold)
			q.mu.Lock()
			room, big := len(q.ring), q.big != nil
			q.mu.Unlock()
			if room < hold || room > max(smallRing, 2*hold-1) {
				t.Errorf("%d messages waiting in a ring of %d", hold, room)
			}
			if big != (hold > smallRing) {
				t.Errorf("%d messages waiting: borrowed ring %v", hold, big)
			}
			readAll(t, cli, n)
			if err := q.Flush(context.Background()); err != nil {
				t.Fatal(err)
			}
			q.mu.Lock()
			defer q.mu.Unlock()
			if q.big != nil || len(q.ring) != smallRing || q.n != 0 {
				t.Errorf("drained queue keeps a ring of %d (borrowed %v), %d waiting", len(q.ring), q.big != nil, q.n)
			}
		})
	}
}

// TestSendQueueRingWraps checks that messages keep their order when the
// ring wraps round, and when it grows while wrapped: the writer takes a
// batch from the front while more are added behind.
func TestSendQueueRingWraps(t *testing.T) {
	srv, cli, writes := signalPipe(t)
	q := NewSendQueue(srv, &SendQueueOptions{Size: math.MaxInt})
	defer q.Close()
	n := fillQueue(t, q, writes, 100) // m0 being written, m1 to m100 in a ring of 128
	readAll(t, cli, 1)
	<-writes // the writer has taken m1 to m64
	for i := range 100 {
		if err := q.Send(textMessage(fmt.Sprint("m", n+i))); err != nil {
			t.Fatal(err)
		}
	}
	q.mu.Lock()
	waiting, room := q.n, len(q.ring)
	q.mu.Unlock()
	if waiting != 136 || room != 256 {
		t.Fatalf("%d messages waiting in a ring of %d, want 136 in 256", waiting, room)
	}
	readRange(t, cli, 1, n+100)
}

// BenchmarkSendQueueBurst hands DefaultQueueSize messages to a queue while
// its writes wait, then lets them go and waits until all are written.
func BenchmarkSendQueueBurst(b *testing.B) {
	nc := &lockConn{}
	q := NewSendQueue(newConn(nc, false, "", nil), nil)
	defer q.Close()
	pm, err := NewPreparedMessage(MessageText, compressible("queued", 512))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(DefaultQueueSize * len(pm.Data())))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := burst(q, nc, pm, DefaultQueueSize); err != nil {
			b.Fatal(err)
		}
	}
}
