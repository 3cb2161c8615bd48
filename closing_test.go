package websocket

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// wantCloseError checks that err is a *CloseError with code and reason.
func wantCloseError(t *testing.T, err error, code StatusCode, reason string) {
	t.Helper()
	var ce *CloseError
	if !errors.As(err, &ce) {
		t.Fatalf("got %v, want a *CloseError", err)
	}
	want := &CloseError{Code: code, Reason: reason}
	if diff := cmp.Diff(want, ce, cmpopts.IgnoreFields(CloseError{}, "Err")); diff != "" {
		t.Fatalf("close error (-want +got):\n%s", diff)
	}
}

// peerFinish completes the TCP side of a closing handshake from the raw
// peer: a server under test closes TCP first; a client under test waits for
// the peer (the server) to close first.
func peerFinish(t *testing.T, s side) {
	t.Helper()
	if s.name == "client" {
		s.peer.nc.(*net.TCPConn).CloseWrite()
	}
	s.peer.expectTCPClosed()
}

// TestPeerInitiatedClose checks section 5.5.1: a received close frame is
// answered with a close frame echoing its status code, the connection is
// closed, and reads report the peer's code and reason.
func TestPeerInitiatedClose(t *testing.T) {
	codes := []StatusCode{1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999}
	for _, code := range codes {
		t.Run(fmt.Sprint(uint16(code)), func(t *testing.T) {
			var conn *Conn
			loop := func(c *Conn) error {
				conn = c
				return echoServe(c)
			}
			bothSides(t, nil, loop, func(t *testing.T, s side) {
				s.peer.send(true, OpClose, closePayload(code, "bye ☺"))
				s.peer.expectClose(code)
				peerFinish(t, s)
				wantCloseError(t, s.result(), code, "bye ☺")
				// Later reads say the same; writes fail.
				_, _, err := conn.ReadMessage(context.Background(), nil)
				wantCloseError(t, err, code, "bye ☺")
				if err := conn.WriteMessage(context.Background(), MessageText, []byte("late")); !errors.Is(err, net.ErrClosed) {
					t.Fatalf("write after close returned %v, want an error wrapping net.ErrClosed", err)
				}
			})
		})
	}
	t.Run("empty-payload", func(t *testing.T) {
		bothSides(t, nil, nil, func(t *testing.T, s side) {
			s.peer.send(true, OpClose, nil)
			s.peer.expectClose(0) // an empty close answers an empty close
			peerFinish(t, s)
			wantCloseError(t, s.result(), StatusNoStatusReceived, "")
		})
	})
	t.Run("inside-fragmented-message", func(t *testing.T) {
		bothSides(t, nil, nil, func(t *testing.T, s side) {
			s.peer.send(false, OpText, []byte("half a mess"))
			s.peer.send(true, OpClose, closePayload(StatusGoingAway, ""))
			s.peer.expectClose(StatusGoingAway)
			peerFinish(t, s)
			wantCloseError(t, s.result(), StatusGoingAway, "")
		})
	})
	t.Run("data-after-close-ignored", func(t *testing.T) {
		bothSides(t, nil, nil, func(t *testing.T, s side) {
			s.peer.write(append(s.peer.frame(true, OpClose, closePayload(StatusNormalClosure, "")),
				s.peer.frame(true, OpText, []byte("too late"))...))
			s.peer.expectClose(StatusNormalClosure)
			peerFinish(t, s) // fails if "too late" is echoed
			wantCloseError(t, s.result(), StatusNormalClosure, "")
		})
	})
}

// TestInitiatedClose checks Close: it sends the close frame, waits for the
// peer's, and closes TCP, the server at once and the client after the
// server (section 7.1.1).
func TestInitiatedClose(t *testing.T) {
	t.Run("no-reader", func(t *testing.T) {
		bothSides(t, nil, func(c *Conn) error { return c.Close(StatusGoingAway, "shutting down") }, func(t *testing.T, s side) {
			s.peer.expectClose(StatusGoingAway)
			s.peer.send(true, OpText, []byte("sent before the peer saw our close")) // dropped
			s.peer.send(true, OpClose, closePayload(StatusGoingAway, ""))
			peerFinish(t, s)
			if err := s.result(); err != nil {
				t.Fatalf("Close returned %v", err)
			}
		})
	})
	t.Run("with-reader", func(t *testing.T) {
		readErr := make(chan error, 1)
		loop := func(c *Conn) error {
			go func() {
				_, _, err := c.ReadMessage(context.Background(), nil)
				readErr <- err
			}()
			return c.Close(StatusNormalClosure, "")
		}
		bothSides(t, nil, loop, func(t *testing.T, s side) {
			s.peer.expectClose(StatusNormalClosure)
			s.peer.send(true, OpClose, closePayload(StatusNormalClosure, "ok"))
			peerFinish(t, s)
			if err := s.result(); err != nil {
				t.Fatalf("Close returned %v", err)
			}
			wantCloseError(t, <-readErr, StatusNormalClosure, "ok")
		})
	})
}

// TestClientWaitsForServerTCPClose checks section 7.1.1 on the client: after
// the close frames are exchanged, the client leaves closing TCP to the
// server.
func TestClientWaitsForServerTCPClose(t *testing.T) {
	cu := startClient(t, nil, func(c *Conn) error { return c.Close(StatusNormalClosure, "") })
	p := cu.peer
	p.expectClose(StatusNormalClosure)
	p.send(true, OpClose, closePayload(StatusNormalClosure, ""))
	// The client must not close TCP while the server keeps it open.
	p.nc.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	var b [1]byte
	if n, err := p.br.Read(b[:]); !isTimeout(err) {
		t.Fatalf("client sent %d bytes or closed TCP (%v) before the server closed it", n, err)
	}
	p.nc.(*net.TCPConn).CloseWrite()
	p.expectTCPClosed()
	if err := cu.result(t); err != nil {
		t.Fatalf("Close returned %v", err)
	}
}

// TestCloseTimeout checks that Close gives up on a peer that never answers
// its close frame, and closes TCP.
func TestCloseTimeout(t *testing.T) {
	setup := func(c *Conn) { c.SetCloseTimeout(200 * time.Millisecond) }
	bothSides(t, setup, func(c *Conn) error { return c.Close(StatusNormalClosure, "") }, func(t *testing.T, s side) {
		s.peer.expectClose(StatusNormalClosure)
		s.peer.expectTCPClosed() // without answering
		if err := s.result(); !errors.Is(err, errCloseTimeout) {
			t.Fatalf("Close returned %v, want errCloseTimeout", err)
		}
	})
}

// TestFailureTimeout checks that a connection failed for a protocol error is
// closed even when the peer never answers the close frame.
func TestFailureTimeout(t *testing.T) {
	setup := func(c *Conn) { c.SetCloseTimeout(200 * time.Millisecond) }
	bothSides(t, setup, nil, func(t *testing.T, s side) {
		s.peer.send(true, Opcode(3), nil)
		s.peer.expectClose(StatusProtocolError)
		s.peer.expectTCPClosed()
		var pe *ProtocolError
		if err := s.result(); !errors.As(err, &pe) || pe.Code != StatusProtocolError {
			t.Fatalf("got %v, want a ProtocolError with 1002", err)
		}
	})
}

// TestAbnormalClosure checks section 7.1.5: a connection lost without a
// close frame reads as 1006, wherever the stream was cut.
func TestAbnormalClosure(t *testing.T) {
	cuts := map[string]func(p *rawPeer) []byte{
		"between-messages": func(p *rawPeer) []byte { return nil },
		"mid-header":       func(p *rawPeer) []byte { return p.frame(true, OpText, make([]byte, 300))[:2] },
		"mid-payload":      func(p *rawPeer) []byte { return p.frame(true, OpText, make([]byte, 300))[:100] },
		"mid-message":      func(p *rawPeer) []byte { return p.frame(false, OpText, []byte("part")) },
		"mid-close-frame":  func(p *rawPeer) []byte { return p.frame(true, OpClose, closePayload(1000, "x"))[:3] },
	}
	for name, cut := range cuts {
		t.Run(name, func(t *testing.T) {
			bothSides(t, nil, nil, func(t *testing.T, s side) {
				s.peer.write(cut(s.peer))
				s.peer.close()
				err := s.result()
				var ce *CloseError
				if !errors.As(err, &ce) || ce.Code != StatusAbnormalClosure || ce.Err == nil {
					t.Fatalf("got %v, want a CloseError with 1006 and its cause", err)
				}
			})
		})
	}
}

// TestConcurrentClose calls Close from many goroutines at once, during a
// blocked read: all return, one runs the handshake, and the others report
// ErrClosed.
func TestConcurrentClose(t *testing.T) {
	results := make(chan error, 8)
	loop := func(c *Conn) error {
		readErr := make(chan error, 1)
		go func() {
			_, _, err := c.ReadMessage(context.Background(), nil)
			readErr <- err
		}()
		var wg sync.WaitGroup
		for i := 0; i < cap(results); i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results <- c.Close(StatusNormalClosure, "")
			}()
		}
		wg.Wait()
		return <-readErr
	}
	bothSides(t, nil, loop, func(t *testing.T, s side) {
		s.peer.expectClose(StatusNormalClosure)
		s.peer.send(true, OpClose, closePayload(StatusNormalClosure, ""))
		peerFinish(t, s)
		wantCloseError(t, s.result(), StatusNormalClosure, "")
		nilCount := 0
		for i := 0; i < cap(results); i++ {
			switch err := <-results; {
			case err == nil:
				nilCount++
			case !errors.Is(err, ErrClosed):
				t.Fatalf("Close returned %v", err)
			}
		}
		if nilCount != 1 {
			t.Fatalf("%d Close calls returned nil, want 1", nilCount)
		}
	})
}

// TestCloseNowUnblocks checks that CloseNow ends blocked reads, Pings and
// writes waiting for their turn, and that no close frame is sent.
func TestCloseNowUnblocks(t *testing.T) {
	loop := func(c *Conn) error {
		errs := make(chan error, 2)
		go func() {
			_, _, err := c.ReadMessage(context.Background(), nil)
			errs <- err
		}()
		go func() {
			_, err := c.Ping(context.Background())
			errs <- err
		}()
		time.Sleep(50 * time.Millisecond) // let both block
		if err := c.CloseNow(); err != nil {
			return err
		}
		for i := 0; i < 2; i++ {
			if err := <-errs; !errors.Is(err, ErrClosed) {
				return fmt.Errorf("blocked call returned %v, want ErrClosed", err)
			}
		}
		if err := c.CloseNow(); !errors.Is(err, ErrClosed) {
			return fmt.Errorf("second CloseNow returned %v", err)
		}
		return nil
	}
	bothSides(t, nil, loop, func(t *testing.T, s side) {
		h, _, err := s.peer.readFrame()
		if err != nil || h.Opcode != OpPing {
			t.Fatalf("want the ping, got %+v, %v", h, err)
		}
		s.peer.expectTCPClosed()
		if err := s.result(); err != nil {
			t.Fatal(err)
		}
	})
}

// TestCloseInvalidCode checks that Close refuses codes that may not be
// sent, and still closes the connection.
func TestCloseInvalidCode(t *testing.T) {
	loop := func(c *Conn) error {
		if err := c.Close(StatusAbnormalClosure, ""); err == nil {
			return errors.New("Close(1006) returned nil")
		}
		return nil
	}
	bothSides(t, nil, loop, func(t *testing.T, s side) {
		s.peer.expectTCPClosed()
		if err := s.result(); err != nil {
			t.Fatal(err)
		}
	})
}
