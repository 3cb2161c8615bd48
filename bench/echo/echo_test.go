package echo_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"
	"testing"
	"time"

	"github.com/f30c7f75/websocket"
	"github.com/f30c7f75/websocket/bench/echo"
	"github.com/f30c7f75/websocket/bench/load"
	"github.com/f30c7f75/websocket/bench/payload"
	"github.com/gobwas/ws"
)

// These tests check every echo server before the benchmarks measure it, so
// that a broken server cannot win a comparison: each must echo text and
// binary messages of many sizes, whole and fragmented, answer pings, finish
// the closing handshake, and compress when asked to.

// startServer runs the echo server of lib on a loopback port and returns
// its address.
func startServer(t *testing.T, lib string, opts echo.Options) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		echo.Serve(ln, lib, opts)
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
	})
	return ln.Addr().String()
}

var sizes = []int{0, 1, 125, 126, 1000, 65535, 65536, 200_000, 1 << 20}

// modes are the client's compression settings: none, and permessage-deflate
// with and without context takeover.
var modes = []struct {
	name   string
	server echo.Options
	client *websocket.CompressionOptions
}{
	{"plain", echo.Options{}, nil},
	{"deflate", echo.Options{Deflate: true}, &websocket.CompressionOptions{}},
	{"deflate-nocontext", echo.Options{Deflate: true}, &websocket.CompressionOptions{ServerNoContextTakeover: true, ClientNoContextTakeover: true}},
}

func TestEcho(t *testing.T) {
	for _, lib := range echo.Servers {
		for _, mode := range modes {
			t.Run(lib+"/"+mode.name, func(t *testing.T) {
				t.Parallel()
				addr := startServer(t, lib, mode.server)
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				c, _, err := websocket.Dial(ctx, "ws://"+addr+"/", &websocket.DialOptions{Compression: mode.client})
				if err != nil {
					t.Fatal(err)
				}
				defer c.CloseNow()
				c.SetReadLimit(echo.ReadLimit)
				if got := c.Extensions() != ""; got != (mode.client != nil) {
					t.Fatalf("compression negotiated: %v (%q), want %v", got, c.Extensions(), mode.client != nil)
				}
				for _, size := range sizes {
					if size == 0 && lib == "nbio" {
						// nbio v1.6.8 never calls OnMessage for an empty
						// message (its Parse keeps no buffer for an empty
						// payload and so has no message to hand over): a
						// defect of nbio, which the benchmarks, never
						// sending empty messages, do not meet.
						continue
					}
					for _, typ := range []websocket.MessageType{websocket.MessageText, websocket.MessageBinary} {
						msg := payload.JSON(size)
						if err := c.WriteMessage(ctx, typ, msg); err != nil {
							t.Fatal(err)
						}
						checkEcho(t, ctx, c, typ, msg, fmt.Sprintf("%v of %d bytes", typ, size))
					}
				}

				// A message in several frames from NextWriter.
				msg := payload.JSON(100_000)
				w, err := c.NextWriter(ctx, websocket.MessageBinary)
				if err != nil {
					t.Fatal(err)
				}
				for i := 0; i < len(msg); i += 30_000 {
					if _, err := w.Write(msg[i:min(i+30_000, len(msg))]); err != nil {
						t.Fatal(err)
					}
				}
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
				checkEcho(t, ctx, c, websocket.MessageBinary, msg, "fragmented message")

				if err := c.Close(websocket.StatusNormalClosure, "bye"); err != nil {
					t.Fatalf("closing handshake: %v", err)
				}
			})
		}
	}
}

// TestPingInsideMessage sends, frame by frame, a message in two fragments
// with a ping between them: the server must answer the ping with a pong of
// the same payload, then echo the message whole.
func TestPingInsideMessage(t *testing.T) {
	for _, lib := range echo.Servers {
		t.Run(lib, func(t *testing.T) {
			addr := startServer(t, lib, echo.Options{})
			nc, br, err := load.Dial(context.Background(), addr, false)
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			nc.SetDeadline(time.Now().Add(10 * time.Second))
			msg := payload.JSON(3000)
			for _, f := range []ws.Frame{
				ws.NewFrame(ws.OpText, false, msg[:1000]),
				ws.NewPingFrame([]byte("are you there")),
				ws.NewFrame(ws.OpContinuation, true, msg[1000:]),
			} {
				if err := ws.WriteFrame(nc, ws.MaskFrame(f)); err != nil {
					t.Fatal(err)
				}
			}
			var got []ws.Frame
			for len(got) < 2 {
				h, err := ws.ReadHeader(br)
				if err != nil {
					t.Fatalf("after %d frames: %v", len(got), err)
				}
				p := make([]byte, h.Length)
				if _, err := io.ReadFull(br, p); err != nil {
					t.Fatal(err)
				}
				got = append(got, ws.Frame{Header: h, Payload: p})
			}
			if h := got[0].Header; h.OpCode != ws.OpPong || string(got[0].Payload) != "are you there" {
				t.Errorf("first frame: %v %q, want a pong with the ping's payload", h.OpCode, got[0].Payload)
			}
			if h := got[1].Header; h.OpCode != ws.OpText || !h.Fin || !bytes.Equal(got[1].Payload, msg) {
				t.Errorf("second frame: %v fin=%v, %d bytes; want the whole message, %d bytes", h.OpCode, h.Fin, len(got[1].Payload), len(msg))
			}
		})
	}
}

func checkEcho(t *testing.T, ctx context.Context, c *websocket.Conn, typ websocket.MessageType, want []byte, what string) {
	t.Helper()
	gotTyp, got, err := c.ReadMessage(ctx, nil)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if gotTyp != typ || !bytes.Equal(got, want) {
		t.Fatalf("%s: echo is %v of %d bytes, want %v of %d", what, gotTyp, len(got), typ, len(want))
	}
}

// TestLoad runs the load client against every server briefly, plain and
// compressed: it checks every echo (or, compressed, that it came back
// compressed).
func TestLoad(t *testing.T) {
	for _, lib := range echo.Servers {
		for _, deflate := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/deflate=%v", lib, deflate), func(t *testing.T) {
				addr := startServer(t, lib, echo.Options{Deflate: deflate})
				sizes := []int{16, 70_000}
				if deflate {
					sizes = []int{1024} // above every library's threshold
				}
				for _, size := range sizes {
					r, err := load.Run(context.Background(), load.Config{
						Addr: addr, Conns: 3, Size: size, Deflate: deflate,
						Warmup: 20 * time.Millisecond, Duration: 100 * time.Millisecond, PID: os.Getpid(),
					})
					if err != nil {
						t.Fatalf("size %d: %v", size, err)
					}
					if r.Messages == 0 || r.CPUTicks < 0 {
						t.Fatalf("size %d: %+v", size, r)
					}
				}
			})
		}
	}
}

// TestLoadBurst runs the load client's burst mode against every server:
// several messages in flight on each connection, each sent in fragments
// (the last one short), every echo checked.
func TestLoadBurst(t *testing.T) {
	for _, lib := range echo.Servers {
		t.Run(lib, func(t *testing.T) {
			addr := startServer(t, lib, echo.Options{})
			r, err := load.Run(context.Background(), load.Config{
				Addr: addr, Conns: 2, InFlight: 3, Size: 100_000, Fragment: 16 << 10,
				Warmup: 20 * time.Millisecond, Duration: 100 * time.Millisecond,
			})
			if err != nil {
				t.Fatal(err)
			}
			if r.Messages == 0 {
				t.Fatalf("%+v", r)
			}
		})
	}
}

// TestLatency runs the load client's latency mode against our servers,
// with each hostile behaviour and none: every round trip of the
// well-behaved connections is an echo checked, and the hostile connection's
// echoes are checked too (an error from either fails the run).
func TestLatency(t *testing.T) {
	for _, lib := range []string{"ours", "ours-events"} {
		for _, hostile := range []string{"", "flood", "trickle"} {
			t.Run(lib+"/"+hostile, func(t *testing.T) {
				addr := startServer(t, lib, echo.Options{})
				r, err := load.Latency(context.Background(), load.LatencyConfig{
					Addr: addr, Conns: 4, Size: 16, Interval: time.Millisecond, Hostile: hostile, FloodSize: 4 << 10,
					Warmup: 20 * time.Millisecond, Duration: 100 * time.Millisecond,
				})
				if err != nil {
					t.Fatal(err)
				}
				if len(r.RTTs) == 0 || r.Quantile(0) <= 0 || r.Quantile(0.5) > r.Quantile(1) {
					t.Fatalf("round trips: %d, min %v, median %v, max %v", len(r.RTTs), r.Quantile(0), r.Quantile(0.5), r.Quantile(1))
				}
			})
		}
	}
	if _, err := load.Latency(context.Background(), load.LatencyConfig{Hostile: "shout"}); err == nil {
		t.Error("an unknown hostile behaviour was accepted")
	}
}

// TestIdle opens a few idle connections to every server, with this process
// as the server whose memory is read.
func TestIdle(t *testing.T) {
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1) // Idle signals the server: us
	defer signal.Stop(usr1)
	for _, lib := range echo.Servers {
		t.Run(lib, func(t *testing.T) {
			addr := startServer(t, lib, echo.Options{})
			r, err := load.Idle(context.Background(), addr, 50, os.Getpid(), 10*time.Millisecond)
			if err != nil {
				t.Fatal(err)
			}
			if r.Conns != 50 || r.Before <= 0 || r.After <= 0 {
				t.Fatalf("%+v", r)
			}
		})
	}
}
