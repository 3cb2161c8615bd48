package websocket

// Tests of the end of a WebSocket over HTTP/2: the closing handshake and
// aborts each way, and how each ends the stream (RFC 8441 section 5:
// END_STREAM or RST_STREAM), writes that flow control blocks, and CloseNow
// while another goroutine writes.

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
)

const (
	h2InternalError = 0x2
	h2Cancel        = 0x8
)

// TestH2Close closes each way, with the closing handshake and without,
// and checks both what each side reports and how the HTTP/2 stream ends
// (RFC 8441 section 5): END_STREAM for a closing handshake, RST_STREAM
// for an abort.
func TestH2Close(t *testing.T) {
	// orderly checks, once the client has done with the stream, that each
	// side ended it with END_STREAM and neither reset it, and that the
	// client's END_STREAM came in the DATA frame of its close frame, of
	// closeSize bytes: so it cannot come after the server has answered the
	// close frame and ended its side, when the server would reset the
	// client's side to stop its sending (RFC 9113 section 8.1).
	orderly := func(t *testing.T, f *h2Frames, closeSize int) {
		t.Helper()
		f.waitStreamDone(t)
		for _, client := range []bool{true, false} {
			side := "server"
			if client {
				side = "client"
			}
			if e := f.ends(client, 1); !e.endStream || len(e.resets) > 0 {
				t.Errorf("the %s ended the stream with %+v, want END_STREAM and no RST_STREAM; frames: %s", side, e, f.describe(1))
			}
		}
		if n, ok := f.endStreamData(true, 1); !ok || n != closeSize {
			t.Errorf("the client's END_STREAM came in a DATA frame of %d bytes, want %d, its close frame's; frames: %s", n, closeSize, f.describe(1))
		}
	}
	reset := func(e h2StreamEnd) bool { return len(e.resets) > 0 }
	setup := func(t *testing.T, path string) (*h2Server, *h2Frames, *Conn) {
		f := &h2Frames{}
		s, c := dialH2Path(t, false, path, f)
		return s, f, c
	}
	t.Run("client", func(t *testing.T) {
		s, f, c := setup(t, "/echo")
		if _, _, err := c.ReadMessage(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
		if err := c.Close(4001, "bye from the client"); err != nil {
			t.Fatalf("Close: %v", err)
		}
		wantCloseError(t, s.event(t).err, 4001, "bye from the client")
		// A masked header of 6 bytes, the code and the reason.
		orderly(t, f, 6+2+len("bye from the client"))
	})
	t.Run("server", func(t *testing.T) {
		s, f, c := setup(t, "/close")
		_, _, err := c.ReadMessage(context.Background(), nil)
		wantCloseError(t, err, 4002, "bye from the server")
		if ev := s.event(t); ev.err != nil {
			t.Fatalf("server's Close: %v", ev.err)
		}
		c.CloseNow() // closed already: changes nothing
		// The client echoes the code and the reason.
		orderly(t, f, 6+2+len("bye from the server"))
	})
	t.Run("client-abort", func(t *testing.T) {
		s, f, c := setup(t, "/echo")
		if _, _, err := c.ReadMessage(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
		c.CloseNow()
		ev := s.event(t)
		if CloseStatus(ev.err) != StatusAbnormalClosure {
			t.Fatalf("server read %v, want 1006", ev.err)
		}
		f.waitStreamDone(t)
		if e := f.ends(true, 1); len(e.resets) != 1 || e.resets[0] != h2Cancel || e.endStream {
			t.Errorf("client ended its stream with %+v, want RST_STREAM CANCEL alone; frames: %s", e, f.describe(1))
		}
	})
	t.Run("server-abort", func(t *testing.T) {
		s, f, c := setup(t, "/abort")
		_, _, err := c.ReadMessage(context.Background(), nil)
		if CloseStatus(err) != StatusAbnormalClosure {
			t.Fatalf("client read %v, want 1006", err)
		}
		s.event(t)
		if e := f.waitEnds(t, false, reset); len(e.resets) == 0 || e.resets[0] != h2InternalError {
			t.Errorf("server ended its stream with %+v, want RST_STREAM", e)
		}
	})
}

// TestH2BlockedWrites checks writes that flow control blocks until their
// deadline, on both sides: they fail with a deadline error and nothing is
// left behind.
func TestH2BlockedWrites(t *testing.T) {
	t.Run("client", func(t *testing.T) {
		s, c := dialH2Path(t, false, "/noread", nil)
		if err := writeUntilBlocked(c); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("blocked write: %v, want context.DeadlineExceeded", err)
		}
		c.CloseNow()
		s.event(t)
	})
	t.Run("server", func(t *testing.T) {
		s, c := dialH2Path(t, false, "/flood", nil)
		ev := s.event(t)
		if !errors.Is(ev.err, context.DeadlineExceeded) && !errors.Is(ev.err, os.ErrDeadlineExceeded) {
			t.Fatalf("blocked write: %v, want a deadline error", ev.err)
		}
		// The server reset the stream: reads end, after what was buffered,
		// with 1006.
		for {
			_, _, err := c.ReadMessage(context.Background(), nil)
			if err != nil {
				if CloseStatus(err) != StatusAbnormalClosure {
					t.Fatalf("read after the server's reset: %v, want 1006", err)
				}
				break
			}
		}
	})
}

// TestH2CloseNowWaitsForWrites checks that a handler may return once its
// CloseNow has returned, while another goroutine writes and a third closes
// the connection: CloseNow used to return at once when another close was
// under way, and the stream's Close not to wait for the write in progress,
// so that the write used the ResponseWriter after the handler returned
// (the race detector reports it in net/http).
func TestH2CloseNowWaitsForWrites(t *testing.T) {
	checkNoLeaks(t)
	done := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		defer close(done)
		c, err := Accept(w, r, nil)
		if err != nil {
			t.Error(err)
			return
		}
		defer c.CloseNow()
		ctx := context.Background()
		msg := make([]byte, 4096)
		writing := make(chan struct{})
		go func() {
			for i := 0; ; i++ {
				if i == 10 {
					close(writing)
				}
				if c.WriteMessage(ctx, MessageBinary, msg) != nil {
					return
				}
			}
		}()
		<-writing
		go c.CloseNow()
		for {
			if _, _, err := c.ReadMessage(ctx, nil); err != nil {
				return
			}
		}
	})
	srv := httptest.NewUnstartedServer(mux)
	var p http.Protocols
	p.SetHTTP1(true)
	p.SetUnencryptedHTTP2(true)
	srv.Config.Protocols = &p
	srv.Start()
	defer srv.Close()
	h2 := &HTTP2Transport{}
	defer h2.CloseIdleConnections()
	c, resp, err := Dial(context.Background(), "ws://"+srv.Listener.Addr().String(), &DialOptions{HTTP2: h2, Proxy: noProxy})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if resp.ProtoMajor != 2 {
		t.Fatalf("dialled over %s", resp.Proto)
	}
	for {
		if _, _, err := c.ReadMessage(context.Background(), nil); err != nil {
			break
		}
	}
	<-done
}
