package websocket

// Tests of messages over HTTP/2 (RFC 8441): echoes of every size both ways,
// fragmented messages, pings, deadlines, many WebSockets and ordinary
// requests sharing one connection, and a benchmark of the round trip.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestH2Echo(t *testing.T) {
	forH2Modes(t, func(t *testing.T, useTLS bool) {
		for _, compress := range []bool{false, true} {
			t.Run(fmt.Sprintf("compress=%v", compress), func(t *testing.T) {
				checkNoLeaks(t)
				var aopts AcceptOptions
				aopts.Subprotocols = []string{"chat"}
				if compress {
					aopts.Compression = &CompressionOptions{}
				}
				s := newH2Server(t, useTLS, aopts)
				opts := s.dialOptions(t)
				opts.Subprotocols = []string{"other", "chat"}
				opts.Header = http.Header{"X-Client": {"hello"}}
				if compress {
					opts.Compression = &CompressionOptions{}
				}
				c, resp, proto := dialEcho(t, s.url, opts)
				if proto != "HTTP/2.0" || resp.ProtoMajor != 2 || resp.StatusCode != http.StatusOK {
					t.Fatalf("server saw %s; response %s %d, want HTTP/2.0 and 200", proto, resp.Proto, resp.StatusCode)
				}
				if got := resp.Header.Get("X-Client-Said"); got != "hello" {
					t.Errorf("extra headers: the server heard %q, want hello", got)
				}
				if got := c.NetConn().RemoteAddr().String(); got != s.Listener.Addr().String() {
					t.Errorf("RemoteAddr %s, want the server's %s", got, s.Listener.Addr())
				}
				if c.Subprotocol() != "chat" {
					t.Errorf("subprotocol %q, want chat", c.Subprotocol())
				}
				if got := c.Extensions(); compress != (got != "") {
					t.Errorf("extensions %q with compression %v", got, compress)
				}
				ctx := context.Background()
				for _, size := range []int{0, 125, 126, 64 << 10, 1 << 20} {
					for _, typ := range []MessageType{MessageText, MessageBinary} {
						msg := bytes.Repeat([]byte("0123456789abcdef"), size/16+1)[:size]
						if err := c.WriteMessage(ctx, typ, msg); err != nil {
							t.Fatalf("writing %d bytes: %v", size, err)
						}
						gotTyp, got, err := c.ReadMessage(ctx, nil)
						if err != nil {
							t.Fatalf("reading %d bytes: %v", size, err)
						}
						if gotTyp != typ || !bytes.Equal(got, msg) {
							t.Fatalf("sent %v of %d bytes, got %v of %d", typ, size, gotTyp, len(got))
						}
					}
				}
				if err := c.Close(StatusNormalClosure, ""); err != nil {
					t.Fatalf("Close: %v", err)
				}
				if ev := s.event(t); CloseStatus(ev.err) != StatusNormalClosure || ev.proto != "HTTP/2.0" {
					t.Fatalf("server ended with %v over %s", ev.err, ev.proto)
				}
			})
		}
	})
}

// TestH2Fragmented sends messages in several frames each way: ours with
// NextWriter, whose frames hold 16 KiB, and the server's echo through
// NextWriter too.
func TestH2Fragmented(t *testing.T) {
	forH2Modes(t, func(t *testing.T, useTLS bool) {
		s, c := dialH2Path(t, useTLS, "/stream", nil)
		ctx := context.Background()
		msg := bytes.Repeat([]byte("fragmented "), 10000) // 110 KB
		if err := writePieces(ctx, c, MessageText, msg, 7000); err != nil {
			t.Fatal(err)
		}
		_, got, err := c.ReadMessage(ctx, nil)
		if err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("echo of %d bytes: %d bytes, %v", len(msg), len(got), err)
		}
		if err := c.Close(StatusNormalClosure, ""); err != nil {
			t.Fatal(err)
		}
		s.event(t)
	})
}

func TestH2PingPong(t *testing.T) {
	forH2Modes(t, func(t *testing.T, useTLS bool) {
		s, c := dialH2Path(t, useTLS, "/ping", nil)
		ctx := context.Background()
		var pinged atomic.Bool
		c.OnPing(func([]byte) { pinged.Store(true) })
		// The server's ping is answered by our reads; its handler then
		// sends a message.
		_, msg, err := c.ReadMessage(ctx, nil)
		if err != nil || string(msg) != "server ping answered" || !pinged.Load() {
			t.Fatalf("after the server's ping: %q, %v, pinged %v", msg, err, pinged.Load())
		}
		// Our ping is answered by the server's reads; ours must go on
		// to see the pong.
		reads := make(chan error, 1)
		go func() {
			_, _, err := c.ReadMessage(ctx, nil)
			reads <- err
		}()
		if _, err := c.Ping(ctx); err != nil {
			t.Fatalf("Ping: %v", err)
		}
		if err := c.Close(StatusNormalClosure, ""); err != nil {
			t.Fatal(err)
		}
		<-reads
		s.event(t)
	})
}

// TestH2Deadline checks that a read or a write stopped by a deadline
// leaves the stream usable, on both sides.
func TestH2Deadline(t *testing.T) {
	forH2Modes(t, func(t *testing.T, useTLS bool) {
		s, c := dialH2Path(t, useTLS, "/deadline", nil)
		ctx := context.Background()
		c.SetReadDeadline(time.Unix(1, 0))
		if _, _, err := c.ReadMessage(ctx, nil); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("read past the deadline: %v", err)
		}
		c.SetReadDeadline(time.Time{})
		c.SetWriteDeadline(time.Unix(1, 0))
		if err := c.WriteMessage(ctx, MessageText, []byte("never sent")); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("write past the deadline: %v", err)
		}
		c.SetWriteDeadline(time.Time{})
		wantEcho(t, c, "still there")
		if err := c.Close(StatusNormalClosure, ""); err != nil {
			t.Fatal(err)
		}
		if ev := s.event(t); CloseStatus(ev.err) != StatusNormalClosure {
			t.Fatalf("server: %v", ev.err)
		}
	})
}

// TestH2Multiplexed opens many WebSockets on one HTTP/2 connection, with
// ordinary requests on it at the same time.
func TestH2Multiplexed(t *testing.T) {
	forH2Modes(t, func(t *testing.T, useTLS bool) {
		checkNoLeaks(t)
		s := newH2Server(t, useTLS, AcceptOptions{})
		tr := s.transport(t)
		opts := &DialOptions{HTTP2: &HTTP2Transport{Transport: tr}, TLSConfig: s.tlsConfig(), Proxy: noProxy}
		ctx := context.Background()
		// The first WebSocket opens the connection; the others and the
		// requests share it.
		first, _, proto := dialEcho(t, s.url, opts)
		if proto != "HTTP/2.0" {
			t.Fatalf("over %s", proto)
		}
		const n = 20
		errs := make(chan error, 2*n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(2)
			go func() {
				defer wg.Done()
				errs <- func() error {
					c, _, err := Dial(ctx, s.url+"/stream", opts)
					if err != nil {
						return err
					}
					defer c.CloseNow()
					msg := fmt.Appendf(nil, "message %d", i)
					for range 10 {
						if err := c.WriteMessage(ctx, MessageBinary, msg); err != nil {
							return err
						}
						if _, got, err := c.ReadMessage(ctx, nil); err != nil || !bytes.Equal(got, msg) {
							return fmt.Errorf("echo: %q, %v", got, err)
						}
					}
					return c.Close(StatusNormalClosure, "")
				}()
			}()
			go func() {
				defer wg.Done()
				errs <- func() error {
					resp, err := (&http.Client{Transport: tr}).Get(strings.Replace(s.url, "ws", "http", 1) + "/http")
					if err != nil {
						return err
					}
					defer resp.Body.Close()
					b, err := io.ReadAll(resp.Body)
					if err != nil || string(b) != "HTTP/2.0" {
						return fmt.Errorf("request over %q, %v", b, err)
					}
					return nil
				}()
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
		if err := first.Close(StatusNormalClosure, ""); err != nil {
			t.Fatal(err)
		}
		for range n + 1 {
			s.event(t)
		}
		var remotes []string
		s.remotes.Range(func(k, _ any) bool { remotes = append(remotes, k.(string)); return true })
		if len(remotes) != 1 {
			t.Errorf("requests came on %d connections, want 1: %v", len(remotes), remotes)
		}
		if useTLS && s.conns.Load() != 1 {
			t.Errorf("%d TLS connections, want 1", s.conns.Load())
		}
	})
}

// BenchmarkH2Echo measures a round trip of a 1 KiB message through our
// echo server over loopback, over HTTP/1.1 and over HTTP/2 (h2c).
func BenchmarkH2Echo(b *testing.B) {
	for _, useH2 := range []bool{false, true} {
		name := "http1"
		if useH2 {
			name = "h2c"
		}
		b.Run(name, func(b *testing.B) {
			s := newH2Server(b, false, AcceptOptions{})
			opts := &DialOptions{Proxy: noProxy}
			if useH2 {
				h2 := &HTTP2Transport{}
				defer h2.CloseIdleConnections()
				opts.HTTP2 = h2
			}
			ctx := context.Background()
			c, _, err := Dial(ctx, s.url+"/echo", opts)
			if err != nil {
				b.Fatal(err)
			}
			defer c.CloseNow()
			if _, _, err := c.ReadMessage(ctx, nil); err != nil {
				b.Fatal(err)
			}
			msg := bytes.Repeat([]byte("x"), 1024)
			buf := make([]byte, 1024)
			b.SetBytes(int64(len(msg)))
			b.ResetTimer()
			for range b.N {
				if err := c.WriteMessage(ctx, MessageBinary, msg); err != nil {
					b.Fatal(err)
				}
				if _, buf, err = c.ReadMessage(ctx, buf); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			c.Close(StatusNormalClosure, "")
			<-s.events
		})
	}
}
