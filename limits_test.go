package websocket

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Tests of the limits that protect a connection from a hostile peer, beyond
// the read limit (conn_test.go), the decompressed size (deflate_memory_test.go)
// and the client's handshake limits (proxy_test.go).

// limitsServe serves srv on a loopback listener until the test ends, and
// returns the listener's address.
func limitsServe(t *testing.T, srv *http.Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// TestFragmentLimit checks that a message may arrive in up to the fragment
// limit's number of frames and that one more fails the connection with
// 1009, even when the frames are empty and the message never approaches
// the read limit.
func TestFragmentLimit(t *testing.T) {
	const limit = 50
	setup := func(c *Conn) { c.SetFragmentLimit(limit) }
	t.Run("at-the-limit", func(t *testing.T) {
		bothSides(t, setup, nil, func(t *testing.T, s side) {
			s.peer.send(false, OpText, []byte("a"))
			for i := 0; i < limit-2; i++ {
				s.peer.send(false, OpContinuation, nil)
			}
			s.peer.send(true, OpContinuation, []byte("b"))
			s.peer.expectMessage(OpText, []byte("ab"))
		})
	})
	t.Run("one-more", func(t *testing.T) {
		bothSides(t, setup, nil, func(t *testing.T, s side) {
			s.peer.send(false, OpText, []byte("a"))
			for i := 0; i < limit-1; i++ {
				s.peer.send(false, OpContinuation, nil)
			}
			s.peer.send(false, OpContinuation, nil) // frame limit+1
			s.peer.expectClose(StatusMessageTooBig)
			finishAfterClose(t, s, StatusMessageTooBig)
		})
	})
	// The count starts again with each message.
	t.Run("per-message", func(t *testing.T) {
		bothSides(t, setup, nil, func(t *testing.T, s side) {
			for m := 0; m < 3; m++ {
				s.peer.send(false, OpBinary, []byte{byte(m)})
				for i := 0; i < limit-2; i++ {
					s.peer.send(false, OpContinuation, nil)
				}
				s.peer.send(true, OpContinuation, nil)
				s.peer.expectMessage(OpBinary, []byte{byte(m)})
			}
		})
	})
}

// TestDefaultFragmentLimit checks the default: an endless stream of empty
// continuation frames is cut off after DefaultFragmentLimit frames.
func TestDefaultFragmentLimit(t *testing.T) {
	setup := func(c *Conn) { c.SetCloseTimeout(50 * time.Millisecond) } // the peer will not answer the close
	bothSides(t, setup, nil, func(t *testing.T, s side) {
		var stream bytes.Buffer
		stream.Write(s.peer.frame(false, OpBinary, []byte("x")))
		empty := s.peer.frame(false, OpContinuation, nil)
		for i := 1; i <= DefaultFragmentLimit; i++ {
			stream.Write(empty)
		}
		go s.peer.nc.Write(stream.Bytes()) // the peer's reads below drain our close meanwhile
		s.peer.expectClose(StatusMessageTooBig)
		var pe *ProtocolError
		if err := s.result(); !errors.As(err, &pe) || pe.Code != StatusMessageTooBig {
			t.Fatalf("got %v, want a ProtocolError with 1009", err)
		}
	})
}

// TestSetCloseTimeout checks that Close gives up on a peer that never
// answers its close frame after the timeout set, and says so.
func TestSetCloseTimeout(t *testing.T) {
	setup := func(c *Conn) { c.SetCloseTimeout(50 * time.Millisecond) }
	loop := func(c *Conn) error { return c.Close(StatusNormalClosure, "bye") }
	bothSides(t, setup, loop, func(t *testing.T, s side) {
		start := time.Now()
		s.peer.expectClose(StatusNormalClosure)
		// The peer neither answers nor closes the TCP connection.
		if err := s.result(); err == nil {
			t.Error("Close returned nil though the peer never answered")
		}
		// Not a measure of speed: which timeout applied.
		if waited := time.Since(start); waited >= DefaultCloseTimeout {
			t.Errorf("Close waited %v, as long as the default timeout, not the one set", waited)
		}
		s.peer.expectTCPClosed()
	})
}

// TestAcceptClearsServerDeadlines checks that the deadlines an http.Server
// sets for reading the request and writing the response do not outlive the
// handshake (net/http clears them when Accept hijacks the connection), so
// that the README's advice to set them is safe: a connection served by a
// server with 100 ms timeouts still works after them.
func TestAcceptClearsServerDeadlines(t *testing.T) {
	addr := limitsServe(t, &http.Server{
		ReadTimeout:  100 * time.Millisecond,
		WriteTimeout: 100 * time.Millisecond,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, err := Accept(w, r, nil)
			if err != nil {
				return
			}
			defer c.CloseNow()
			echoServe(c)
		}),
	})

	c, _ := hsDial(t, "ws://"+addr+"/", nil)
	hsEchoRoundTrip(t, c, MessageText, "before the server's timeouts")
	time.Sleep(300 * time.Millisecond)
	hsEchoRoundTrip(t, c, MessageText, "after them")
}

// TestSlowHandshakeCutOff checks the configuration the README recommends
// against slow handshakes: with http.Server.ReadHeaderTimeout set, a client
// that sends its request a byte at a time is disconnected at the deadline
// and the handler never runs.
func TestSlowHandshakeCutOff(t *testing.T) {
	handled := make(chan struct{}, 1)
	addr := limitsServe(t, &http.Server{
		ReadHeaderTimeout: 200 * time.Millisecond,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			handled <- struct{}{}
		}),
	})

	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	req := "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
	closed := make(chan struct{})
	go func() {
		io.Copy(io.Discard, nc)
		close(closed)
	}()
	stop := time.After(peerTimeout)
	for i := 0; ; i++ {
		select {
		case <-closed:
			if i >= len(req) {
				t.Fatal("the whole request was sent before the server disconnected")
			}
			select {
			case <-handled:
				t.Fatal("the handler ran")
			default:
			}
			return
		case <-stop:
			t.Fatal("the server did not disconnect the slow client")
		case <-time.After(20 * time.Millisecond):
		}
		if i < len(req) {
			nc.Write([]byte{req[i]})
		}
	}
}

// TestWriteDeadlineUnblocksWriter checks that a peer that stops reading
// cannot hold a writer forever: with a write deadline, or a context
// deadline, the write fails once the socket buffers are full, with an error
// that is a timeout.
func TestWriteDeadlineUnblocksWriter(t *testing.T) {
	msg := make([]byte, 1<<20)
	loops := map[string]func(c *Conn) error{
		"SetWriteDeadline": func(c *Conn) error {
			c.SetWriteDeadline(time.Now().Add(200 * time.Millisecond))
			for {
				if err := c.WriteMessage(context.Background(), MessageBinary, msg); err != nil {
					return err
				}
			}
		},
		"context": func(c *Conn) error {
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			for {
				if err := c.WriteMessage(ctx, MessageBinary, msg); err != nil {
					return err
				}
			}
		},
	}
	for name, loop := range loops {
		t.Run(name, func(t *testing.T) {
			bothSides(t, nil, loop, func(t *testing.T, s side) {
				// The peer reads nothing.
				err := s.result()
				var ne net.Error
				if !errors.Is(err, context.DeadlineExceeded) && !(errors.As(err, &ne) && ne.Timeout()) {
					t.Errorf("the write failed with %v, want a timeout", err)
				}
			})
		})
	}
}

// TestOversizedRequestHeaderRefused checks the other half of the server's
// handshake limits the README recommends: a request header beyond
// http.Server.MaxHeaderBytes is refused (431) before the handler, and so
// Accept, runs.
func TestOversizedRequestHeaderRefused(t *testing.T) {
	handled := make(chan struct{}, 1)
	addr := limitsServe(t, &http.Server{
		MaxHeaderBytes: 4 << 10,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			handled <- struct{}{}
			Accept(w, r, nil)
		}),
	})

	ctx, cancel := context.WithTimeout(context.Background(), peerTimeout)
	defer cancel()
	_, resp, err := Dial(ctx, "ws://"+addr+"/", &DialOptions{
		Header: http.Header{"Cookie": {strings.Repeat("c", 16<<10)}},
	})
	var he *HandshakeError
	if !errors.As(err, &he) || he.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("Dial: %v (response %v), want a HandshakeError with 431", err, resp)
	}
	select {
	case <-handled:
		t.Fatal("the handler ran")
	default:
	}
}
