package websocket

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// loopEcho echoes every message, and sends the error OnClose gets on
// done.
type loopEcho struct{ done chan error }

func newLoopEcho() loopEcho { return loopEcho{done: make(chan error, 1)} }

func (h loopEcho) OnMessage(c *Conn, typ MessageType, msg []byte) {
	c.WriteMessage(context.Background(), typ, msg)
}

func (h loopEcho) OnClose(c *Conn, err error) { h.done <- err }

// newTestLoop starts an EventLoop that the test's cleanup closes.
func newTestLoop(t testing.TB, workers int) *EventLoop {
	t.Helper()
	l, err := NewEventLoop(&EventLoopOptions{Workers: workers})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// serveWith is a server loop that hands the connection to l with an echo
// handler and returns what OnClose gets; or, when then is not nil, runs
// then and returns its error, once OnClose has been called.
func serveWith(l *EventLoop, then func(*Conn) error) func(*Conn) error {
	return func(c *Conn) error {
		h := newLoopEcho()
		if err := l.Serve(c, h); err != nil {
			return err
		}
		if then == nil {
			return <-h.done
		}
		err := then(c)
		<-h.done
		return err
	}
}

// loopWith is a handler that does echo with each message, and closes the
// connection when it fails.
type loopWith struct {
	loopEcho
	echo func(c *Conn, typ MessageType, msg []byte) error
}

func (h loopWith) OnMessage(c *Conn, typ MessageType, msg []byte) {
	if err := h.echo(c, typ, msg); err != nil {
		c.CloseNow()
	}
}

// serveEcho is serveWith with a handler that does echo with each message.
func serveEcho(l *EventLoop, echo func(c *Conn, typ MessageType, msg []byte) error) func(*Conn) error {
	return func(c *Conn) error {
		h := loopWith{newLoopEcho(), echo}
		if err := l.Serve(c, h); err != nil {
			return err
		}
		return <-h.done
	}
}

func TestEventLoopEcho(t *testing.T) {
	l := newTestLoop(t, 2)
	for _, z := range []*CompressionOptions{nil, {}, {ServerNoContextTakeover: true, ClientNoContextTakeover: true}} {
		s := serveConn(t, &AcceptOptions{Compression: z}, nil, serveWith(l, nil))
		c, _, err := Dial(testCtx(t), s.url(), &DialOptions{Compression: z, Proxy: noProxy})
		if err != nil {
			t.Fatal(err)
		}
		ctx := testCtx(t)
		for _, typ := range []MessageType{MessageText, MessageBinary} {
			for _, n := range []int{0, 1, 125, 126, 4095, 4096, 65535, 65536, 1 << 20} {
				msg := compressible("echo", n)
				if typ == MessageText {
					msg = bytes.Repeat([]byte("a"), n)
				}
				if err := c.WriteMessage(ctx, typ, msg); err != nil {
					t.Fatal(err)
				}
				gotTyp, got, err := c.ReadMessage(ctx, nil)
				if err != nil || gotTyp != typ || !bytes.Equal(got, msg) {
					t.Fatalf("%v of %d bytes: got %v of %d bytes, %v", typ, n, gotTyp, len(got), err)
				}
			}
		}
		// In pieces, so that the loop reads the message in parts.
		msg := compressible("pieces", 300<<10)
		if err := writePieces(ctx, c, MessageBinary, msg, 1000); err != nil {
			t.Fatal(err)
		}
		if _, got, err := c.ReadMessage(ctx, nil); err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("message in pieces: %d bytes back, %v", len(got), err)
		}
		if err := c.Close(StatusNormalClosure, "bye"); err != nil {
			t.Fatal(err)
		}
		wantCloseError(t, s.result(t), StatusNormalClosure, "bye")
	}
}

func TestEventLoopServedConnCannotBeRead(t *testing.T) {
	l := newTestLoop(t, 1)
	read := make(chan error, 2)
	s := startServer(t, nil, serveWith(l, func(c *Conn) error {
		_, _, err := c.ReadMessage(context.Background(), nil)
		read <- err
		_, _, err = c.NextReader(context.Background())
		read <- err
		return nil
	}))
	c, _, err := Dial(testCtx(t), s.url(), &DialOptions{Proxy: noProxy})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := <-read; !errors.Is(err, errServed) {
			t.Errorf("reading a served connection: %v", err)
		}
	}
	c.Close(StatusNormalClosure, "")
	s.result(t)
}

// dialServed dials s with our client.
func dialServed(t *testing.T, s *serverUnderTest) *Conn {
	t.Helper()
	c, _, err := Dial(testCtx(t), s.url(), &DialOptions{Proxy: noProxy})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseNow() })
	return c
}

func echoOnce(t *testing.T, c *Conn, msg string) {
	t.Helper()
	if err := c.WriteMessage(testCtx(t), MessageText, []byte(msg)); err != nil {
		t.Fatal(err)
	}
	if _, got, err := c.ReadMessage(testCtx(t), nil); err != nil || string(got) != msg {
		t.Fatalf("echo of %q: %q, %v", msg, got, err)
	}
}

// TestEventLoopTrickle checks that a peer sending a message a byte at a
// time holds no worker: with one worker, another connection is echoed
// while the trickled message is still incomplete.
func TestEventLoopTrickle(t *testing.T) {
	l := newTestLoop(t, 1)
	s1 := startServer(t, nil, serveWith(l, nil))
	s2 := startServer(t, nil, serveWith(l, nil))
	p := s1.dialRaw(t)
	c := dialServed(t, s2)
	msg := bytes.Repeat([]byte("slow"), 100)
	frame := p.frame(true, OpText, msg)
	half := len(frame) / 2
	p.writeChunks(frame[:half], 1, 0)
	echoOnce(t, c, "not held up")
	p.writeChunks(frame[half:], 1, 0)
	p.expectMessage(OpText, msg)
	echoOnce(t, c, "still fine")
}

// slowDiscard is a handler that drops every message, taking its time.
type slowDiscard struct{ loopEcho }

func (slowDiscard) OnMessage(*Conn, MessageType, []byte) { time.Sleep(20 * time.Microsecond) }

// TestEventLoopFlood checks that a connection whose input never runs dry
// (its handler is slower than its peer) does not keep the only worker from
// another connection.
func TestEventLoopFlood(t *testing.T) {
	l := newTestLoop(t, 1)
	h := slowDiscard{newLoopEcho()}
	s1 := startServer(t, nil, func(c *Conn) error {
		if err := l.Serve(c, h); err != nil {
			return err
		}
		return <-h.done
	})
	s2 := startServer(t, nil, serveWith(l, nil))
	p := s1.dialRaw(t)
	c := dialServed(t, s2)
	var block []byte
	for range 2000 {
		block = append(block, p.frame(true, OpBinary, make([]byte, 10))...)
	}
	stop := make(chan struct{})
	flooded := make(chan struct{})
	go func() {
		defer close(flooded)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if p.writeMayFail(block) != nil {
				return
			}
		}
	}()
	for i := range 5 {
		echoOnce(t, c, fmt.Sprintf("between floods %d", i))
	}
	close(stop)
	p.close()
	<-flooded
}

// closeOnAsk closes its connection with 4000 when asked to, from OnMessage.
type closeOnAsk struct{ loopEcho }

func (h closeOnAsk) OnMessage(c *Conn, typ MessageType, msg []byte) {
	if string(msg) == "close" {
		if err := c.Close(4000, "asked"); err != nil {
			panic(err)
		}
		return
	}
	h.loopEcho.OnMessage(c, typ, msg)
}

func TestEventLoopClose(t *testing.T) {
	t.Run("from the handler", func(t *testing.T) {
		l := newTestLoop(t, 1)
		h := closeOnAsk{newLoopEcho()}
		s := startServer(t, nil, func(c *Conn) error {
			if err := l.Serve(c, h); err != nil {
				return err
			}
			return <-h.done
		})
		c := dialServed(t, s)
		echoOnce(t, c, "hello")
		if err := c.WriteMessage(testCtx(t), MessageText, []byte("close")); err != nil {
			t.Fatal(err)
		}
		_, _, err := c.ReadMessage(testCtx(t), nil)
		wantCloseError(t, err, 4000, "asked")
		// The server closed first: OnClose reads the echo of its close.
		wantCloseError(t, s.result(t), 4000, "asked")
	})
	t.Run("CloseNow elsewhere", func(t *testing.T) {
		l := newTestLoop(t, 1)
		served := make(chan *Conn, 1)
		s := startServer(t, nil, serveWith(l, func(c *Conn) error {
			served <- c
			return nil
		}))
		c := dialServed(t, s)
		echoOnce(t, c, "hello")
		sc := <-served
		if err := sc.CloseNow(); err != nil {
			t.Fatal(err)
		}
		if err := s.result(t); err != nil {
			t.Fatal(err)
		}
		_, _, err := c.ReadMessage(testCtx(t), nil)
		wantCloseError(t, err, StatusAbnormalClosure, "")
	})
	t.Run("the peer closes", func(t *testing.T) {
		l := newTestLoop(t, 1)
		s := startServer(t, nil, serveWith(l, nil))
		c := dialServed(t, s)
		echoOnce(t, c, "hello")
		if err := c.Close(4001, "done"); err != nil {
			t.Fatal(err)
		}
		wantCloseError(t, s.result(t), 4001, "done")
	})
	t.Run("the loop closes", func(t *testing.T) {
		l, err := NewEventLoop(nil)
		if err != nil {
			t.Fatal(err)
		}
		const n = 20
		var servers []*serverUnderTest
		var clients []*Conn
		for range n {
			s := startServer(t, nil, serveWith(l, nil))
			c := dialServed(t, s)
			echoOnce(t, c, "hello")
			servers = append(servers, s)
			clients = append(clients, c)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		for i := range n {
			if err := servers[i].result(t); !errors.Is(err, ErrClosed) {
				t.Errorf("OnClose after the loop's Close: %v, want ErrClosed", err)
			}
			_, _, err := clients[i].ReadMessage(testCtx(t), nil)
			wantCloseError(t, err, StatusAbnormalClosure, "")
		}
		// A closed loop serves no more.
		s := startServer(t, nil, serveWith(l, nil))
		c := dialServed(t, s)
		if err := s.result(t); err == nil || !strings.Contains(err.Error(), "event loop is closed") {
			t.Errorf("Serve on a closed loop: %v", err)
		}
		c.CloseNow()
		if err := l.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
	})
}

func TestEventLoopServeErrors(t *testing.T) {
	l := newTestLoop(t, 1)
	errs := make(chan error, 4)
	reading := make(chan struct{})
	s := startServer(t, nil, func(c *Conn) error {
		errs <- l.Serve(c, nil)
		go func() {
			close(reading)
			c.ReadMessage(context.Background(), nil)
		}()
		<-reading
		for c.r.sem.held.Load() == 0 {
			runtime.Gosched() // until the read holds the semaphore
		}
		errs <- l.Serve(c, newLoopEcho())
		return nil
	})
	c := dialServed(t, s)
	if err := <-errs; err == nil || !strings.Contains(err.Error(), "nil Handler") {
		t.Errorf("Serve with a nil handler: %v", err)
	}
	if err := <-errs; err == nil || !strings.Contains(err.Error(), "being read") {
		t.Errorf("Serve while a read is under way: %v", err)
	}
	s.result(t)
	c.CloseNow()

	twice := make(chan error, 1)
	s = startServer(t, nil, serveWith(l, func(c *Conn) error {
		twice <- l.Serve(c, newLoopEcho())
		return nil
	}))
	c = dialServed(t, s)
	if err := <-twice; err == nil || !strings.Contains(err.Error(), "already served") {
		t.Errorf("Serve twice: %v", err)
	}
	echoOnce(t, c, "served once")
}

// TestEventLoopAlone checks a connection the loop cannot watch (TLS): a
// goroutine of its own reads it, with the same handler.
func TestEventLoopAlone(t *testing.T) {
	l := newTestLoop(t, 1)
	h := newLoopEcho()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := Accept(w, r, nil)
		if err != nil {
			return
		}
		if err := l.Serve(c, h); err != nil {
			h.done <- err
		}
	}))
	t.Cleanup(srv.Close)
	c, _, err := Dial(testCtx(t), "wss"+strings.TrimPrefix(srv.URL, "https"), &DialOptions{TLSConfig: srv.Client().Transport.(*http.Transport).TLSClientConfig, Proxy: noProxy})
	if err != nil {
		t.Fatal(err)
	}
	echoOnce(t, c, "over TLS")
	if err := c.Close(StatusNormalClosure, "tls"); err != nil {
		t.Fatal(err)
	}
	wantCloseError(t, <-h.done, StatusNormalClosure, "tls")
}

// TestEventLoopMany echoes on many connections at once, over few workers.
func TestEventLoopMany(t *testing.T) {
	l := newTestLoop(t, 3)
	const conns, msgs = 100, 20
	var wg sync.WaitGroup
	for i := range conns {
		s := startServer(t, nil, serveWith(l, nil))
		c := dialServed(t, s)
		wg.Go(func() {
			for j := range msgs {
				msg := fmt.Sprintf("conn %d message %d", i, j)
				if err := c.WriteMessage(context.Background(), MessageText, []byte(msg)); err != nil {
					t.Error(err)
					return
				}
				if _, got, err := c.ReadMessage(context.Background(), nil); err != nil || string(got) != msg {
					t.Errorf("got %q, %v, want %q", got, err, msg)
					return
				}
			}
			c.Close(StatusNormalClosure, "")
		})
	}
	wg.Wait()
}

// TestEventLoopPing checks that the loop's worker notices pongs, for Ping
// and KeepAlive on a served connection.
func TestEventLoopPing(t *testing.T) {
	l := newTestLoop(t, 1)
	pinged := make(chan error, 1)
	s := startServer(t, nil, serveWith(l, func(c *Conn) error {
		_, err := c.Ping(testCtx(t))
		pinged <- err
		return nil
	}))
	c := dialServed(t, s)
	go c.ReadMessage(context.Background(), nil) // answers the ping
	if err := <-pinged; err != nil {
		t.Fatalf("Ping on a served connection: %v", err)
	}
}

// TestEventLoopServeRace has two goroutines hand the same connection to
// the loop at once: one Serve succeeds, the other fails, and the
// connection is served once.
func TestEventLoopServeRace(t *testing.T) {
	l := newTestLoop(t, 2)
	results := make(chan error, 2)
	h := newLoopEcho()
	s := startServer(t, nil, func(c *Conn) error {
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(func() { results <- l.Serve(c, h) })
		}
		wg.Wait()
		return <-h.done
	})
	c := dialServed(t, s)
	var ok, failed int
	for range 2 {
		if err := <-results; err == nil {
			ok++
		} else {
			failed++
		}
	}
	if ok != 1 || failed != 1 {
		t.Fatalf("%d Serve calls succeeded and %d failed, want 1 and 1", ok, failed)
	}
	echoOnce(t, c, "served once")
	c.Close(StatusNormalClosure, "")
	wantCloseError(t, s.result(t), StatusNormalClosure, "")
}

// TestEventLoopLargeInPieces checks large messages that arrive in many
// pieces on several connections at once, with fewer workers: a worker
// gives its buffer to a connection whose message needs most of it and
// takes a spare, and buffers move between workers and connections as
// messages complete. Every echo must come back whole and unmixed.
func TestEventLoopLargeInPieces(t *testing.T) {
	l := newTestLoop(t, 2)
	sizes := []int{100 << 10, 300 << 10, 1 << 20, 70 << 10, 200 << 10, 1<<20 - 1, 65 << 10}
	var wg sync.WaitGroup
	for i := range 4 {
		s := startServer(t, nil, serveWith(l, nil))
		c := dialServed(t, s)
		wg.Go(func() {
			ctx := context.Background()
			for j, n := range sizes {
				msg := make([]byte, n)
				rand.NewChaCha8([32]byte{byte(i), byte(j)}).Read(msg)
				if err := writePieces(ctx, c, MessageBinary, msg, 16<<10); err != nil {
					t.Error(err)
					return
				}
				if _, got, err := c.ReadMessage(ctx, nil); err != nil || !bytes.Equal(got, msg) {
					t.Errorf("conn %d message %d of %d bytes: %d bytes back, %v", i, j, n, len(got), err)
					return
				}
			}
			c.Close(StatusNormalClosure, "")
		})
	}
	wg.Wait()
}
