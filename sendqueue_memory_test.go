package websocket

// Tests and benchmarks of what a SendQueue costs: no allocation per
// message in steady state nor per burst once it has had one, the room it
// keeps for waiting messages, and the memory of an idle queue.

import (
	"context"
	"fmt"
	"math"
	"net"
	"runtime"
	"sync"
	"testing"
)

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
