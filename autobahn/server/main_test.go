package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/f30c7f75/websocket"
)

func nolog(string, ...any) {}

// modes runs f with the server in each of its modes: a goroutine per
// connection, and -events.
func modes(t *testing.T, f func(t *testing.T, es *echoServer)) {
	for _, events := range []bool{false, true} {
		name := "goroutines"
		if events {
			name = "events"
		}
		t.Run(name, func(t *testing.T) {
			es := &echoServer{shutdown: context.Background(), logf: nolog}
			if events {
				loop, err := websocket.NewEventLoop(nil)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { loop.Close() })
				es.loop = loop
			}
			f(t, es)
		})
	}
}

func TestEcho(t *testing.T) { modes(t, testEcho) }

func testEcho(t *testing.T, es *echoServer) {
	srv := httptest.NewServer(es)
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Autobahn's Origin matches no host of the server's; it must not matter.
	opts := &websocket.DialOptions{Header: http.Header{"Origin": {"http://fuzzer.example"}}}
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()

	messages := []struct {
		typ     websocket.MessageType
		payload []byte
	}{
		{websocket.MessageText, []byte("Hello, world")},
		{websocket.MessageBinary, []byte{0, 1, 2, 0xff}},
		{websocket.MessageText, nil},
		{websocket.MessageBinary, nil},
		{websocket.MessageText, []byte("κόσμε")},
		{websocket.MessageBinary, bytes.Repeat([]byte{0xfe}, 1<<20)},
		{websocket.MessageText, bytes.Repeat([]byte("x"), 70000)},
	}
	for i, m := range messages {
		if err := c.WriteMessage(ctx, m.typ, m.payload); err != nil {
			t.Fatalf("message %d: write: %v", i, err)
		}
		typ, got, err := c.ReadMessage(ctx, nil)
		if err != nil {
			t.Fatalf("message %d: read: %v", i, err)
		}
		if typ != m.typ || !bytes.Equal(got, m.payload) {
			t.Errorf("message %d: got %v of %d bytes, want %v of %d bytes", i, typ, len(got), m.typ, len(m.payload))
		}
	}

	// A fragmented message comes back whole, as one message of its type.
	w, err := c.NextWriter(ctx, websocket.MessageBinary)
	if err != nil {
		t.Fatal(err)
	}
	var want []byte
	for i := 0; i < 5; i++ {
		chunk := bytes.Repeat([]byte{byte(i)}, 20000)
		want = append(want, chunk...)
		if _, err := w.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	typ, got, err := c.ReadMessage(ctx, nil)
	if err != nil || typ != websocket.MessageBinary || !bytes.Equal(got, want) {
		t.Errorf("fragmented message: got %v of %d bytes (%v), want binary of %d bytes", typ, len(got), err, len(want))
	}

	if err := c.Close(websocket.StatusNormalClosure, "done"); err != nil {
		t.Errorf("close: %v", err)
	}
}

// TestProtocolErrorEndsConnection checks that the server fails a
// connection whose peer sends invalid UTF-8, as Autobahn's section 6 expects.
func TestProtocolErrorEndsConnection(t *testing.T) { modes(t, testProtocolError) }

func testProtocolError(t *testing.T, es *echoServer) {
	srv := httptest.NewServer(es)
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	// WriteMessage does not check UTF-8, which lets the test send bad text.
	if err := c.WriteMessage(ctx, websocket.MessageText, []byte{'a', 0xff}); err != nil {
		t.Fatal(err)
	}
	_, _, err = c.ReadMessage(ctx, nil)
	if code := websocket.CloseStatus(err); code != websocket.StatusInvalidFramePayloadData {
		t.Errorf("read after invalid UTF-8: %v, want a close with %v", err, websocket.StatusInvalidFramePayloadData)
	}
}

// TestServeShutdown runs the whole server on a port of its own and checks
// that ending its context closes open connections with 1001 and makes
// serve return.
func TestServeShutdown(t *testing.T) {
	for _, events := range []bool{false, true} {
		t.Run(fmt.Sprintf("events=%v", events), func(t *testing.T) { testServeShutdown(t, events) })
	}
}

func testServeShutdown(t *testing.T, events bool) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	serverCtx, stopServer := context.WithCancel(context.Background())
	defer stopServer()
	served := make(chan error, 1)
	go func() { served <- serve(serverCtx, ln, &websocket.CompressionOptions{}, events, nolog) }()

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws://"+ln.Addr().String()+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if err := c.WriteMessage(ctx, websocket.MessageText, []byte("ping")); err != nil {
		t.Fatal(err)
	}
	if _, got, err := c.ReadMessage(ctx, nil); err != nil || string(got) != "ping" {
		t.Fatalf("echo: %q, %v", got, err)
	}

	stopServer()
	_, _, err = c.ReadMessage(ctx, nil)
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.StatusGoingAway {
		t.Errorf("read during shutdown: %v, want a close with %v", err, websocket.StatusGoingAway)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("serve: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("serve did not return after shutdown")
	}
	if _, _, err := websocket.Dial(ctx, "ws://"+ln.Addr().String()+"/", nil); err == nil {
		t.Error("dial after shutdown succeeded")
	}
}
