package websocket

import (
	"context"
	"errors"
	"io"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// Fault injection: peers that vanish or misbehave at awkward moments. Each
// case checks that the package reports a typed error promptly (within the
// harness's safety timeouts) and, through checkNoLeaks in faultSides, that
// it leaves no goroutine behind.

// faultSides is bothSides with checkNoLeaks called on each side before its
// harness starts, so that the goroutine count is taken without the
// harness's goroutines and checked after the harness's cleanups.
func faultSides(t *testing.T, setup func(*Conn), loop func(*Conn) error, f func(t *testing.T, s side)) {
	for _, role := range []string{"server", "client"} {
		t.Run(role, func(t *testing.T) {
			checkNoLeaks(t)
			f(t, makeSide(t, role, setup, loop))
		})
	}
}

// checkNoLeaks records the number of goroutines now and, when the test and
// its other cleanups have ended, fails it unless the count has come back
// down, waiting a little for goroutines on their way out. Tests in this
// package do not run in parallel, so the count is the test's own.
func checkNoLeaks(t *testing.T) {
	t.Helper()
	base := runtime.NumGoroutine()
	// Registered first, so it runs after the harness's own cleanups.
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for runtime.NumGoroutine() > base {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				buf = buf[:runtime.Stack(buf, true)]
				t.Errorf("%d goroutines at the end, %d at the start:\n%s", runtime.NumGoroutine(), base, buf)
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	})
}

// reset makes the raw peer drop its connection with a TCP RST.
func reset(t *testing.T, p *rawPeer) {
	t.Helper()
	tc := p.nc.(*net.TCPConn)
	tc.SetLinger(0)
	tc.Close()
}

// wantAbnormal checks that err reports a connection lost without a close
// frame: a *CloseError with 1006.
func wantAbnormal(t *testing.T, err error) {
	t.Helper()
	var ce *CloseError
	if !errors.As(err, &ce) || ce.Code != StatusAbnormalClosure {
		t.Fatalf("got %v, want a *CloseError with 1006", err)
	}
}

// TestPeerResets resets the TCP connection at each point of a message and
// of the closing handshake.
func TestPeerResets(t *testing.T) {
	t.Run("mid-header", func(t *testing.T) {
		faultSides(t, nil, nil, func(t *testing.T, s side) {
			f := s.peer.frame(true, OpBinary, make([]byte, 300))
			s.peer.write(f[:2]) // of a 4-byte header (and the mask, from a client)
			reset(t, s.peer)
			wantAbnormal(t, s.result())
		})
	})
	t.Run("mid-payload", func(t *testing.T) {
		faultSides(t, nil, nil, func(t *testing.T, s side) {
			f := s.peer.frame(true, OpBinary, make([]byte, 300))
			s.peer.write(f[:len(f)-100])
			reset(t, s.peer)
			wantAbnormal(t, s.result())
		})
	})
	t.Run("mid-fragmented-message", func(t *testing.T) {
		faultSides(t, nil, nil, func(t *testing.T, s side) {
			s.peer.send(false, OpText, []byte("first fragment, "))
			s.peer.send(false, OpContinuation, []byte("second, "))
			reset(t, s.peer)
			wantAbnormal(t, s.result())
		})
	})
	t.Run("mid-close", func(t *testing.T) {
		// The package starts the closing handshake; the peer reads the close
		// frame and resets instead of answering.
		loop := func(c *Conn) error { return c.Close(StatusGoingAway, "restarting") }
		faultSides(t, nil, loop, func(t *testing.T, s side) {
			s.peer.expectClose(StatusGoingAway)
			reset(t, s.peer)
			wantAbnormal(t, s.result())
		})
	})
	t.Run("mid-close-payload", func(t *testing.T) {
		// The peer starts the closing handshake and resets inside its close
		// frame.
		faultSides(t, nil, nil, func(t *testing.T, s side) {
			f := s.peer.frame(true, OpClose, closePayload(StatusNormalClosure, "bye"))
			s.peer.write(f[:len(f)-2])
			reset(t, s.peer)
			wantAbnormal(t, s.result())
		})
	})
}

// TestPeerHalfCloses checks a peer that shuts down its side of TCP without
// a close frame: reads end with 1006 and the package closes its side.
func TestPeerHalfCloses(t *testing.T) {
	faultSides(t, nil, nil, func(t *testing.T, s side) {
		s.peer.send(true, OpText, []byte("last words"))
		s.peer.expectMessage(OpText, []byte("last words"))
		s.peer.nc.(*net.TCPConn).CloseWrite()
		wantAbnormal(t, s.result())
		s.peer.expectTCPClosed()
	})
}

// TestGarbageAfterPeerClose checks that bytes after the peer's close frame
// are ignored (section 5.5.1: nothing follows a close frame): the handshake
// completes with the peer's code.
func TestGarbageAfterPeerClose(t *testing.T) {
	faultSides(t, nil, nil, func(t *testing.T, s side) {
		f := s.peer.frame(true, OpClose, closePayload(StatusNormalClosure, "done"))
		s.peer.write(append(f, "\xff\xfe not a frame at all \x00"...))
		s.peer.expectClose(StatusNormalClosure)
		if s.name == "client" {
			s.peer.nc.(*net.TCPConn).CloseWrite() // the server closes TCP first
		}
		s.peer.expectTCPClosed()
		if err := s.result(); CloseStatus(err) != StatusNormalClosure {
			t.Fatalf("got %v, want the peer's close with 1000", err)
		}
	})
}

// TestPeerNeverAnswersClose checks that Close gives up on a peer that
// ignores its close frame and keeps the connection open, within the close
// timeout, and closes TCP.
func TestPeerNeverAnswersClose(t *testing.T) {
	setup := func(c *Conn) { c.SetCloseTimeout(100 * time.Millisecond) }
	loop := func(c *Conn) error { return c.Close(StatusNormalClosure, "") }
	faultSides(t, setup, loop, func(t *testing.T, s side) {
		s.peer.expectClose(StatusNormalClosure)
		// The peer keeps sending data, never a close frame.
		go func() {
			for i := 0; i < 20; i++ {
				if s.peer.writeMayFail(s.peer.frame(true, OpText, []byte("still here"))) != nil {
					return
				}
				time.Sleep(10 * time.Millisecond)
			}
		}()
		if err := s.result(); err == nil {
			t.Fatal("Close returned nil though the peer never answered")
		}
		s.peer.expectTCPClosed()
	})
}

// TestPongArrivesLate checks that a Ping whose pong is late fails with the
// context's error, and that the late pong, when it comes, is ignored: the
// connection goes on working.
func TestPongArrivesLate(t *testing.T) {
	pingErr := make(chan error, 1)
	loop := func(c *Conn) error {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			_, err := c.Ping(ctx)
			pingErr <- err
		}()
		return echoServe(c)
	}
	faultSides(t, nil, loop, func(t *testing.T, s side) {
		h, payload, err := s.peer.readFrame()
		if err != nil || h.Opcode != OpPing {
			t.Fatalf("got %v frame, %v; want a ping", h.Opcode, err)
		}
		if err := <-pingErr; !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Ping: %v, want context.DeadlineExceeded", err)
		}
		s.peer.send(true, OpPong, payload) // late
		s.peer.send(true, OpText, []byte("after the late pong"))
		s.peer.expectMessage(OpText, []byte("after the late pong"))
		s.peer.send(true, OpClose, closePayload(StatusNormalClosure, ""))
		s.peer.expectClose(StatusNormalClosure)
	})
}

// TestCloseFromManyGoroutines calls Close and CloseNow from many goroutines
// at once while another goroutine is blocked reading, or blocked writing to
// a peer that does not read: every call returns, the blocked read or write
// returns, and nothing is left running.
func TestCloseFromManyGoroutines(t *testing.T) {
	for _, blocked := range []string{"read", "write"} {
		t.Run("during-blocked-"+blocked, func(t *testing.T) {
			setup := func(c *Conn) { c.SetCloseTimeout(200 * time.Millisecond) }
			loop := func(c *Conn) error {
				ctx := context.Background()
				opDone := make(chan error, 1)
				go func() {
					if blocked == "read" {
						_, _, err := c.ReadMessage(ctx, nil)
						opDone <- err
						return
					}
					msg := make([]byte, 1<<20)
					for {
						if err := c.WriteMessage(ctx, MessageBinary, msg); err != nil {
							opDone <- err
							return
						}
					}
				}()
				time.Sleep(50 * time.Millisecond) // let it block
				var wg sync.WaitGroup
				errs := make(chan error, 20)
				for i := 0; i < 20; i++ {
					wg.Add(1)
					go func(i int) {
						defer wg.Done()
						if i%4 == 0 {
							errs <- c.CloseNow()
						} else {
							errs <- c.Close(StatusGoingAway, "shutting down")
						}
					}(i)
				}
				wg.Wait()
				close(errs)
				if err := <-opDone; err == nil {
					return errors.New("the blocked " + blocked + " returned no error")
				}
				for err := range errs {
					if err != nil && !errors.Is(err, ErrClosed) && CloseStatus(err) == 0 && !isTimeoutOrReset(err) {
						return errors.New("a Close call failed unexpectedly: " + err.Error())
					}
				}
				return nil
			}
			faultSides(t, setup, loop, func(t *testing.T, s side) {
				// The peer reads nothing while the closes happen; then it
				// drains whatever came, without answering.
				if err := s.result(); err != nil {
					t.Fatal(err)
				}
				drainUntilClosed(t, s.peer)
			})
		})
	}
}

func isTimeoutOrReset(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() || err != nil && (strings.Contains(err.Error(), "reset") || strings.Contains(err.Error(), "broken pipe"))
}

// drainUntilClosed reads and drops what the package sends until it closes
// the TCP connection.
func drainUntilClosed(t *testing.T, p *rawPeer) {
	t.Helper()
	p.nc.SetReadDeadline(time.Now().Add(peerTimeout))
	if _, err := io.Copy(io.Discard, p.br); err != nil && !isConnReset(err) {
		t.Fatalf("waiting for TCP close: %v", err)
	}
}

// TestPongDueAfterInterruptedWrite checks a pong whose write the read's
// context cut short: the ping's payload, read in the read buffer, is kept
// (the buffer goes back to its pool, and is scribbled over there), and the
// next read sends the pong, with that payload, before anything else.
func TestPongDueAfterInterruptedWrite(t *testing.T) {
	nc, peer := net.Pipe()
	defer peer.Close()
	srv := newConn(nc, false, "", nil)
	defer srv.CloseNow()
	masked := func(op Opcode, p string) []byte {
		return encodeFrame(FrameHeader{Fin: true, Opcode: op, Length: int64(len(p)), Masked: true, Mask: [4]byte{1, 2, 3, 4}}, []byte(p))
	}
	go peer.Write(masked(OpPing, "ping payload"))

	// Nobody reads the peer's end, so the pong cannot go out.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, _, err := srv.ReadMessage(ctx, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("ReadMessage returned %v, want the context's deadline", err)
	}
	for range 4 {
		b := readBufPool.Get().(*[readBufSize]byte)
		for i := range b {
			b[i] = 'X'
		}
		readBufPool.Put(b)
	}

	frames := make(chan FrameHeader, 2)
	payloads := make(chan string, 2)
	go func() {
		h, err := ReadFrameHeader(peer)
		if err != nil {
			return
		}
		p := make([]byte, h.Length)
		io.ReadFull(peer, p)
		frames <- h
		payloads <- string(p)
		peer.Write(masked(OpText, "after"))
	}()
	_, got, err := srv.ReadMessage(context.Background(), nil)
	if err != nil || string(got) != "after" {
		t.Fatalf("read %q, %v; want the message after the ping", got, err)
	}
	if h, p := <-frames, <-payloads; h.Opcode != OpPong || p != "ping payload" {
		t.Fatalf("the peer got a frame %v with %q, want the pong with the ping's payload", h.Opcode, p)
	}
}
