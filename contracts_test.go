package websocket

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Tests of the API's contracts in the states and at the limits where the
// wire-level cases cannot reach: handles used after their message, limits
// at 0, 1 and their maximum, setters racing reads, and how a failing
// connection ends.

var compressionModes = []struct {
	name string
	z    *CompressionOptions
}{
	{"plain", nil},
	{"deflate", &CompressionOptions{}},
}

// TestReadLimitExtremes reads a 1000-byte message under read limits from
// "none" to 0, plain and compressed: the message arrives when it fits,
// fails with 1009 when it does not, and no limit panics (math.MaxInt64
// used to overflow the room left for inflated bytes).
func TestReadLimitExtremes(t *testing.T) {
	const n = 1000
	msg := compressible("limits", n)
	for _, mode := range compressionModes {
		for _, limit := range []int64{math.MaxInt64, math.MaxInt64 - 1, -1, math.MinInt64, 0, 1, n - 1, n, n + 1} {
			t.Run(fmt.Sprintf("%s/%d", mode.name, limit), func(t *testing.T) {
				srv, cli := wsPair(t, mode.z, mode.z)
				srv.SetReadLimit(limit)
				ctx := context.Background()
				if err := cli.WriteMessage(ctx, MessageBinary, msg); err != nil {
					t.Fatal(err)
				}
				_, got, err := srv.ReadMessage(ctx, nil)
				if limit < 0 || limit >= n {
					if err != nil || !bytes.Equal(got, msg) {
						t.Fatalf("read %d bytes, %v; want the message", len(got), err)
					}
					return
				}
				var pe *ProtocolError
				if !errors.As(err, &pe) || pe.Code != StatusMessageTooBig {
					t.Fatalf("read returned %v, want a ProtocolError with 1009", err)
				}
				if _, _, err := cli.ReadMessage(ctx, nil); CloseStatus(err) != StatusMessageTooBig {
					t.Fatalf("the writer read %v, want a CloseError with 1009", err)
				}
			})
		}
		t.Run(mode.name+"/0/empty", func(t *testing.T) {
			srv, cli := wsPair(t, mode.z, mode.z)
			srv.SetReadLimit(0)
			ctx := context.Background()
			for range 2 {
				if err := cli.WriteMessage(ctx, MessageText, nil); err != nil {
					t.Fatal(err)
				}
				if typ, got, err := srv.ReadMessage(ctx, nil); err != nil || typ != MessageText || len(got) != 0 {
					t.Fatalf("read %v %q %v, want an empty text message", typ, got, err)
				}
			}
		})
	}
}

// TestReadLimitChangesWithMessages checks that a new read limit applies
// from the next message: the message being read keeps the limit it began
// under, whatever another goroutine sets meanwhile.
func TestReadLimitChangesWithMessages(t *testing.T) {
	srv, cli := wsPair(t, nil, nil)
	ctx := context.Background()
	msg := compressible("first", 100)
	if err := writePieces(ctx, cli, MessageBinary, msg, 50); err != nil {
		t.Fatal(err)
	}
	srv.SetReadLimit(1000)
	_, r, err := srv.NextReader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 50)
	if _, err := io.ReadFull(r, got); err != nil {
		t.Fatal(err)
	}
	srv.SetReadLimit(10) // the message has begun under 1000
	rest, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(append(got, rest...), msg) {
		t.Fatalf("the message begun under a limit of 1000 read %d bytes, %v", len(got)+len(rest), err)
	}
	if err := cli.WriteMessage(ctx, MessageBinary, msg); err != nil {
		t.Fatal(err)
	}
	if _, _, err := srv.ReadMessage(ctx, nil); CloseStatus(err) != StatusMessageTooBig {
		t.Fatalf("the next message read %v, want 1009", err)
	}
}

// TestFragmentLimitExtremes checks SetFragmentLimit at 0, 1 and negative:
// 0 and 1 accept unfragmented messages only, a negative limit none at all.
func TestFragmentLimitExtremes(t *testing.T) {
	for _, tc := range []struct {
		limit  int
		frames int
		ok     bool
	}{
		{0, 1, true}, {0, 2, false}, {1, 1, true}, {1, 2, false}, {2, 2, true}, {2, 3, false},
		{-1, 300, true}, {math.MaxInt, 300, true},
	} {
		t.Run(fmt.Sprintf("%d/%d-frames", tc.limit, tc.frames), func(t *testing.T) {
			srv, cli := wsPair(t, nil, nil)
			srv.SetFragmentLimit(tc.limit)
			ctx := context.Background()
			// Writes larger than a writer's buffer go out as frames of
			// their own; the last, smaller one goes out with Close.
			size := (tc.frames-1)*20000 + 100
			go func() {
				w, err := cli.NextWriter(ctx, MessageBinary)
				if err != nil {
					return
				}
				for i := 1; i < tc.frames; i++ {
					w.Write(make([]byte, 20000))
				}
				w.Write(make([]byte, 100))
				w.Close()
			}()
			_, got, err := srv.ReadMessage(ctx, nil)
			if tc.ok {
				if err != nil || len(got) != size {
					t.Fatalf("read %d bytes, %v", len(got), err)
				}
				return
			}
			if CloseStatus(err) != StatusMessageTooBig {
				t.Fatalf("read %v, want 1009", err)
			}
		})
	}
}

// TestWriterAfterClose checks that a writer from NextWriter is over once
// closed: a Write or a second Close on it fails and leaves the message
// another goroutine is writing meanwhile whole (they used to land inside
// it, and the second Close to end it half-way).
func TestWriterAfterClose(t *testing.T) {
	for _, mode := range compressionModes {
		t.Run(mode.name, func(t *testing.T) {
			srv, cli := wsPair(t, mode.z, mode.z)
			ctx := context.Background()
			w1, err := cli.NextWriter(ctx, MessageText)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.WriteString(w1, "one"); err != nil {
				t.Fatal(err)
			}
			if err := w1.Close(); err != nil {
				t.Fatal(err)
			}
			if _, err := io.WriteString(w1, "late"); err == nil {
				t.Fatal("Write after Close succeeded")
			}
			if err := w1.Close(); err == nil {
				t.Fatal("a second Close succeeded")
			}

			// Another goroutine writes a message in two parts; between
			// them, the stale writer tries to write and close again.
			between, resume := make(chan struct{}), make(chan struct{})
			errs := make(chan error, 1)
			go func() {
				w2, err := cli.NextWriter(ctx, MessageText)
				if err == nil {
					_, err = io.WriteString(w2, "two-a ")
				}
				close(between)
				<-resume
				if err == nil {
					_, err = io.WriteString(w2, "two-b")
				}
				if err == nil {
					err = w2.Close()
				}
				errs <- err
			}()
			<-between
			if _, err := io.WriteString(w1, "evil"); err == nil {
				t.Error("a stale writer wrote into another message")
			}
			if err := w1.Close(); err == nil {
				t.Error("a stale writer closed another message")
			}
			close(resume)
			if err := <-errs; err != nil {
				t.Fatalf("the current writer failed: %v", err)
			}
			for _, want := range []string{"one", "two-a two-b"} {
				if _, got, err := srv.ReadMessage(ctx, nil); err != nil || string(got) != want {
					t.Fatalf("read %q, %v; want %q", got, err, want)
				}
			}
		})
	}
}

// TestReaderAfterNext checks that a reader from NextReader is over once
// the next read begins: it fails if its message was left unread (it used
// to read the next message's bytes), and keeps returning io.EOF if it had
// reached the end.
func TestReaderAfterNext(t *testing.T) {
	for _, mode := range compressionModes {
		t.Run(mode.name, func(t *testing.T) {
			srv, cli := wsPair(t, mode.z, mode.z)
			ctx := context.Background()
			for _, m := range []string{"first", "second", "third", "fourth"} {
				if err := cli.WriteMessage(ctx, MessageText, []byte(m)); err != nil {
					t.Fatal(err)
				}
			}
			_, r1, err := srv.NextReader(ctx)
			if err != nil {
				t.Fatal(err)
			}
			p := make([]byte, 2)
			if _, err := io.ReadFull(r1, p); err != nil || string(p) != "fi" {
				t.Fatalf("read %q, %v", p, err)
			}
			rctx, cancel := context.WithCancel(ctx)
			_, r2, err := srv.NextReader(rctx)
			if err != nil {
				t.Fatal(err)
			}
			if n, err := r1.Read(p); n != 0 || err == nil || err == io.EOF {
				t.Fatalf("the abandoned reader read %d bytes, %v; want an error", n, err)
			}
			if got, err := io.ReadAll(r2); err != nil || string(got) != "second" {
				t.Fatalf("read %q, %v", got, err)
			}
			cancel() // a reader at its end says so whatever its context
			if n, err := r2.Read(p); n != 0 || err != io.EOF {
				t.Fatalf("a reader that had reached its end read %d bytes, %v after its context ended; want io.EOF", n, err)
			}
			if _, got, err := srv.ReadMessage(ctx, nil); err != nil || string(got) != "third" {
				t.Fatalf("read %q, %v", got, err)
			}
			if n, err := r2.Read(p); n != 0 || err != io.EOF {
				t.Fatalf("a reader that had reached its end read %d bytes, %v; want io.EOF", n, err)
			}
			if n, err := r1.Read(p); n != 0 || err == nil || err == io.EOF {
				t.Fatalf("the abandoned reader read %d bytes, %v; want an error", n, err)
			}
			if _, got, err := srv.ReadMessage(ctx, nil); err != nil || string(got) != "fourth" {
				t.Fatalf("read %q, %v", got, err)
			}
		})
	}
}

// countingConn counts the bytes read from a net.Conn, and how many had
// been read when the first close frame was written.
type countingConn struct {
	net.Conn
	read      atomic.Int64
	atClose   atomic.Int64 // -1 until a close frame is written
	closedTCP atomic.Bool
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.read.Add(int64(n))
	return n, err
}

func (c *countingConn) Write(p []byte) (int, error) {
	if len(p) > 0 && p[0]&0x0f == byte(OpClose) {
		c.atClose.CompareAndSwap(-1, c.read.Load())
	}
	return c.Conn.Write(p)
}

func (c *countingConn) CloseWrite() error { return c.Conn.(*net.TCPConn).CloseWrite() }

func (c *countingConn) Close() error {
	c.closedTCP.Store(true)
	return c.Conn.Close()
}

// TestFailStopsReading checks section 7.1.7 against a client that
// announces a frame of 8 GiB and floods: the server fails the connection
// with 1009, then reads no more than a linger's worth of the flood and
// closes TCP, even with an hour's close timeout (it used to read and drop
// the flood for the whole close timeout).
func TestFailStopsReading(t *testing.T) {
	checkNoLeaks(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	counted := make(chan *countingConn, 1)
	served := make(chan error, 1)
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			served <- err
			return
		}
		cc := &countingConn{Conn: nc}
		cc.atClose.Store(-1)
		counted <- cc
		c, err := AcceptConn(cc, nil)
		if err != nil {
			served <- err
			return
		}
		c.SetCloseTimeout(time.Hour)
		_, _, err = c.ReadMessage(context.Background(), nil)
		served <- err
	}()
	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	peer := handshakeRaw(t, nc, ln.Addr().String())
	peer.write(AppendFrameHeader(nil, FrameHeader{Fin: true, Opcode: OpBinary, Length: 8 << 30, Masked: true}))
	flooded := make(chan int64, 1)
	go func() {
		chunk := make([]byte, 64<<10)
		var n int64
		for {
			k, err := nc.Write(chunk)
			n += int64(k)
			if err != nil {
				flooded <- n
				return
			}
		}
	}()
	peer.expectClose(StatusMessageTooBig)
	nc.SetReadDeadline(time.Now().Add(peerTimeout))
	if n, err := io.Copy(io.Discard, peer.br); err != nil && !isConnReset(err) || n != 0 {
		t.Fatalf("after the close frame: %d bytes, then %v; want the connection closed", n, err)
	}
	err = <-served
	if CloseStatus(err) != StatusMessageTooBig {
		t.Fatalf("server read %v, want 1009", err)
	}
	nc.Close()
	t.Logf("the client flooded %d bytes", <-flooded)
	cc := <-counted
	after := cc.read.Load() - cc.atClose.Load()
	t.Logf("the server read %d bytes before its close frame, %d after", cc.atClose.Load(), after)
	if cc.atClose.Load() < 0 {
		t.Fatal("no close frame was written")
	}
	if after > lingerBytes+readBufSize {
		t.Errorf("the server read %d bytes after its close frame, want at most %d", after, lingerBytes+readBufSize)
	}
	if !cc.closedTCP.Load() {
		t.Error("the server did not close its connection")
	}
}

// handshakeRaw completes a client's opening handshake by hand on nc.
func handshakeRaw(t *testing.T, nc net.Conn, host string) *rawPeer {
	t.Helper()
	key := "dGhlIHNhbXBsZSBub25jZQ=="
	nc.SetDeadline(time.Now().Add(peerTimeout))
	req := "GET / HTTP/1.1\r\nHost: " + host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + key + "\r\n\r\n"
	if _, err := io.WriteString(nc, req); err != nil {
		t.Fatal(err)
	}
	p := &rawPeer{t: t, nc: nc, br: bufio.NewReader(nc), client: true}
	resp, err := http.ReadResponse(p.br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols || resp.Header.Get("Sec-WebSocket-Accept") != AcceptKey(key) {
		t.Fatalf("handshake refused: %s %v", resp.Status, resp.Header)
	}
	nc.SetDeadline(time.Time{})
	return p
}

// TestFailLingersForClose checks the other side of the linger: a peer that
// answers the failure's close frame at once and closes gets its answer
// read without a reset, and the connection is closed as soon as it does.
func TestFailLingersForClose(t *testing.T) {
	bothSides(t, func(c *Conn) { c.SetCloseTimeout(time.Hour) }, nil, func(t *testing.T, s side) {
		s.peer.send(true, OpPing, make([]byte, 126)) // too long for a control frame
		s.peer.expectClose(StatusProtocolError)
		finishAfterClose(t, s, StatusProtocolError)
	})
}

// TestCloseInvalidArguments checks that Close refuses what it may not send:
// a reason that is not UTF-8, a reason without a code, a code reserved for
// reports. It sends nothing (the peer would fail the connection on such a
// frame), closes the connection and says why.
func TestCloseInvalidArguments(t *testing.T) {
	for _, tc := range []struct {
		name   string
		code   StatusCode
		reason string
		want   string
	}{
		{"reason-not-utf8", StatusNormalClosure, "bye \xff", "UTF-8"},
		{"reason-cut-surrogate", StatusNormalClosure, "\xed\xa0\x80", "UTF-8"},
		{"reason-without-code", 0, "bye", "without a status code"},
		{"code-1006", StatusAbnormalClosure, "", "may not be sent"},
		{"code-1015", StatusTLSHandshake, "", "may not be sent"},
		{"code-5000", 5000, "", "may not be sent"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			loop := func(c *Conn) error { return c.Close(tc.code, tc.reason) }
			bothSides(t, nil, loop, func(t *testing.T, s side) {
				s.peer.expectTCPClosed() // and nothing before the end
				if err := s.result(); err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("Close returned %v, want an error about %q", err, tc.want)
				}
			})
		})
	}
}

// TestCloseEchoesReason checks that a close frame from the peer is
// answered with its code and its reason, as browsers, Node's ws and
// Python's websockets answer, so that a page closing with (4000, "bye")
// reads them back.
func TestCloseEchoesReason(t *testing.T) {
	for _, reason := range []string{"", "bye", "bye ☺", strings.Repeat("é", MaxCloseReason/2)} {
		t.Run(fmt.Sprint(len(reason)), func(t *testing.T) {
			bothSides(t, nil, nil, func(t *testing.T, s side) {
				want := closePayload(4000, reason)
				s.peer.send(true, OpClose, want)
				h, got, err := s.peer.readFrame()
				if err != nil || h.Opcode != OpClose || !bytes.Equal(got, want) {
					t.Fatalf("got %v %q, %v; want the close payload %q echoed", h.Opcode, got, err, want)
				}
				peerFinish(t, s)
				wantCloseError(t, s.result(), 4000, reason)
			})
		})
	}
}

// TestCloseStatusOfErrors checks CloseStatus on what reads return: the
// peer's code, 1006, and the code this side failed the connection with.
func TestCloseStatusOfErrors(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want StatusCode
	}{
		{&CloseError{Code: StatusGoingAway}, StatusGoingAway},
		{&CloseError{Code: StatusAbnormalClosure, Err: io.ErrUnexpectedEOF}, StatusAbnormalClosure},
		{&ProtocolError{Code: StatusMessageTooBig, Msg: "big"}, StatusMessageTooBig},
		{fmt.Errorf("wrapped: %w", &ProtocolError{Code: StatusProtocolError}), StatusProtocolError},
		{ErrClosed, 0},
		{nil, 0},
		{context.Canceled, 0},
	} {
		if got := CloseStatus(tc.err); got != tc.want {
			t.Errorf("CloseStatus(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

// TestSettersWhileReading calls every setter of a Conn while another
// goroutine reads and the peer sends messages and pings: the race detector
// must find nothing, and every message must arrive.
func TestSettersWhileReading(t *testing.T) {
	for _, mode := range compressionModes {
		t.Run(mode.name, func(t *testing.T) {
			srv, cli := wsPair(t, mode.z, mode.z)
			ctx := context.Background()
			const msgs = 200
			var pings atomic.Int64
			read := make(chan error, 1)
			go func() {
				for i := 0; i < msgs; i++ {
					_, got, err := srv.ReadMessage(ctx, nil)
					if err != nil {
						read <- err
						return
					}
					if want := fmt.Sprint(i); string(got) != want {
						read <- fmt.Errorf("read %q, want %q", got, want)
						return
					}
				}
				read <- nil
			}()
			go func() { // the client reads, so that its Pings complete
				for {
					if _, _, err := cli.ReadMessage(ctx, nil); err != nil {
						return
					}
				}
			}()
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < msgs; i++ {
					if err := cli.WriteMessage(ctx, MessageText, []byte(fmt.Sprint(i))); err != nil {
						t.Error(err)
						return
					}
					if i%20 == 0 {
						pctx, cancel := context.WithTimeout(ctx, peerTimeout)
						cli.Ping(pctx)
						cancel()
					}
				}
			}()
			for i := 0; i < msgs; i++ {
				srv.SetReadLimit(int64(1<<20 + i))
				srv.SetFragmentLimit(1000 + i)
				srv.SetCloseTimeout(time.Duration(i+1) * time.Second)
				srv.OnPing(func([]byte) { pings.Add(1) })
				srv.OnPong(func([]byte) {})
				srv.SetWriteCompression(i%2 == 0)
				srv.SetReadDeadline(time.Time{})
				srv.SetWriteDeadline(time.Time{})
				srv.Subprotocol()
				srv.Extensions()
			}
			wg.Wait()
			if err := <-read; err != nil {
				t.Fatal(err)
			}
		})
	}
}

// scriptConn is a net.Conn whose reads return, in turn, the chunks of a
// script (a nil chunk is a read deadline passing), then io.EOF, whether or
// not it has been closed; writes are kept.
type scriptConn struct {
	utNopConn
	mu      sync.Mutex
	reads   [][]byte
	written bytes.Buffer
}

func (c *scriptConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.reads) == 0 {
		return 0, io.EOF
	}
	chunk := c.reads[0]
	if chunk == nil {
		c.reads = c.reads[1:]
		return 0, &net.OpError{Op: "read", Net: "script", Err: os.ErrDeadlineExceeded}
	}
	n := copy(p, chunk)
	if c.reads[0] = chunk[n:]; len(c.reads[0]) == 0 {
		c.reads = c.reads[1:]
	}
	return n, nil
}

func (c *scriptConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.written.Write(p)
}

// TestCloseDrainStopsReads checks that a Close that read part of a frame
// while waiting for the peer's close frame, and stopped there (here at a
// deadline), leaves nothing for a later read to take up mid-frame: reads
// return ErrClosed. They used to parse the rest of the frame's payload as
// frames and fail the connection with 1002 (found by the harness over
// HTTP/2, where the Close of a SendQueue giving up raced the reader).
func TestCloseDrainStopsReads(t *testing.T) {
	frame := AppendFrameHeader(nil, FrameHeader{Fin: true, Opcode: OpBinary, Length: 100})
	nc := &scriptConn{reads: [][]byte{
		append(frame, make([]byte, 10)...), // the header and 10 bytes of 100
		nil,                                // the deadline passes
		bytes.Repeat([]byte{0xff}, 90),     // the rest, not frames
		AppendFrameHeader(nil, FrameHeader{Fin: true, Opcode: OpClose}),
	}}
	c := newConn(nc, true, "", nil)
	if err := c.Close(StatusNormalClosure, ""); !errors.Is(err, errCloseTimeout) {
		t.Fatalf("Close returned %v, want the timeout waiting for the peer's close frame", err)
	}
	_, _, err := c.ReadMessage(context.Background(), nil)
	if !errors.Is(err, ErrClosed) {
		t.Fatalf("a read after the Close returned %v, want ErrClosed", err)
	}
}

// TestFragmentedMessageMemory checks what reading a large message sent in
// small frames allocates: about twice its size, with the buffer doubling,
// and not the sum of a copy per frame it cost when the buffer grew by each
// frame's size (about five times its size with 16 KiB frames).
func TestFragmentedMessageMemory(t *testing.T) {
	const size = 8 << 20
	var stream bytes.Buffer
	for sent := 0; sent < size; sent += 16 << 10 {
		h := FrameHeader{Fin: sent+16<<10 >= size, Opcode: OpContinuation, Length: 16 << 10}
		if sent == 0 {
			h.Opcode = OpBinary
		}
		stream.Write(AppendFrameHeader(nil, h))
		stream.Write(make([]byte, 16<<10))
	}
	c := newConn(&bytesConn{r: bytes.NewReader(stream.Bytes())}, true, "", nil)
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	_, msg, err := c.ReadMessage(context.Background(), nil)
	runtime.ReadMemStats(&m1)
	if err != nil || len(msg) != size {
		t.Fatalf("read %d bytes, %v", len(msg), err)
	}
	alloc := m1.TotalAlloc - m0.TotalAlloc
	t.Logf("reading %d bytes in frames of 16 KiB allocated %d bytes (%.2f times)", size, alloc, float64(alloc)/size)
	if alloc > 2*size+size/4 && !poolsDropItems() {
		t.Errorf("reading %d bytes allocated %d, want at most %d", size, alloc, 2*size+size/4)
	}
}

// TestMessageBufferFits checks that a message of one frame, read without
// a buffer, comes in storage of its size: the buffer doubles as the bytes
// come and its last growth is what the frame has left (with append's
// rounding, a 1 MiB message took 1.18 MB, which an EventLoop's worker then
// would not keep).
func TestMessageBufferFits(t *testing.T) {
	for _, size := range []int{70 << 10, 300<<10 + 1, 1<<20 - 1, 1 << 20} {
		frame := AppendFrameHeader(nil, FrameHeader{Fin: true, Opcode: OpBinary, Length: int64(size)})
		frame = append(frame, make([]byte, size)...)
		c := newConn(&bytesConn{r: bytes.NewReader(frame)}, true, "", nil)
		_, msg, err := c.ReadMessage(context.Background(), nil)
		if err != nil || len(msg) != size || cap(msg) != size {
			t.Errorf("a message of %d bytes: read %d bytes in a buffer of %d, %v", size, len(msg), cap(msg), err)
		}
	}
}

// TestNilPreparedMessage checks that a nil prepared message is an error,
// not a panic, and leaves the connection usable.
func TestNilPreparedMessage(t *testing.T) {
	srv, cli := wsPair(t, nil, nil)
	ctx := context.Background()
	if err := cli.WritePreparedMessage(ctx, nil); err == nil {
		t.Fatal("WritePreparedMessage(nil) succeeded")
	}
	if err := cli.WriteMessage(ctx, MessageText, []byte("still usable")); err != nil {
		t.Fatal(err)
	}
	if _, got, err := srv.ReadMessage(ctx, nil); err != nil || string(got) != "still usable" {
		t.Fatalf("read %q, %v", got, err)
	}
}

// TestDoneContextDoesNothing checks that a call whose context is already
// over does nothing: a write sends nothing, and a read takes nothing, not
// even a message already there. Racing the context used to let such a
// write go out while it reported failure (and, over HTTP/2, the deadline
// set for the context to reset the stream after it).
func TestDoneContextDoesNothing(t *testing.T) {
	srv, cli := wsPair(t, nil, nil)
	done, cancel := context.WithCancel(context.Background())
	cancel()
	ctx := context.Background()
	never, _ := NewPreparedMessage(MessageText, []byte("never"))
	for i := range 100 {
		if err := cli.WriteMessage(done, MessageText, []byte("never")); !errors.Is(err, context.Canceled) {
			t.Fatalf("WriteMessage with a done context returned %v", err)
		}
		if err := cli.WritePreparedMessage(done, never); !errors.Is(err, context.Canceled) {
			t.Fatalf("WritePreparedMessage with a done context returned %v", err)
		}
		if _, err := cli.Ping(done); !errors.Is(err, context.Canceled) {
			t.Fatalf("Ping with a done context returned %v", err)
		}
		want := fmt.Sprint(i)
		if err := cli.WriteMessage(ctx, MessageText, []byte(want)); err != nil {
			t.Fatal(err)
		}
		if _, got, err := srv.ReadMessage(done, nil); !errors.Is(err, context.Canceled) {
			t.Fatalf("ReadMessage with a done context returned %q, %v", got, err)
		}
		if _, got, err := srv.ReadMessage(ctx, nil); err != nil || string(got) != want {
			t.Fatalf("read %q, %v; want %q", got, err, want)
		}
	}
}

// closeTimesOutConn is a net.Conn whose reads block until it is closed and
// then fail with a deadline error, as an HTTP/2 stream's do: closing the
// stream puts its reader's deadline in the past.
type closeTimesOutConn struct {
	utNopConn
	reading chan struct{} // receives when a read blocks
	closed  chan struct{}
	once    sync.Once
}

func (c *closeTimesOutConn) Read([]byte) (int, error) {
	select {
	case c.reading <- struct{}{}:
	default:
	}
	<-c.closed
	return 0, &net.OpError{Op: "read", Net: "pipe", Err: os.ErrDeadlineExceeded}
}

func (c *closeTimesOutConn) Write(p []byte) (int, error) { return len(p), nil }

func (c *closeTimesOutConn) Close() error {
	c.once.Do(func() { close(c.closed) })
	return nil
}

// TestCloseNowEndsReads checks that a read blocked when this side closes
// the connection ends with ErrClosed, whatever error the transport then
// gives the read: over HTTP/2 it is the stream reader's deadline, which
// used to be reported as the connection lost (1006).
func TestCloseNowEndsReads(t *testing.T) {
	nc := &closeTimesOutConn{reading: make(chan struct{}, 1), closed: make(chan struct{})}
	c := newConn(nc, false, "", nil)
	read := make(chan error, 1)
	go func() {
		_, _, err := c.ReadMessage(context.Background(), nil)
		read <- err
	}()
	<-nc.reading
	c.CloseNow()
	if err := <-read; !errors.Is(err, ErrClosed) {
		t.Fatalf("the read returned %v, want ErrClosed", err)
	}
}
