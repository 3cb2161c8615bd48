//go:build js && wasm

// Command wasmclient runs our client, compiled for a web page, against the
// server of interop's TestWASM at the base URL given as its argument (in a
// page, as go.argv[1]). It prints a line for each check passed and exits
// with status 1 at the first one failing.
package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/f30c7f75/websocket"
	"github.com/f30c7f75/websocket/wsjson"
)

func main() {
	if len(os.Args) < 2 {
		fail("usage: wasmclient ws://host:port")
	}
	base := strings.TrimSuffix(os.Args[1], "/")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	c, resp, err := websocket.Dial(ctx, base+"/echo", &websocket.DialOptions{Subprotocols: []string{"interop.v2", "interop.v1"}})
	if err != nil {
		fail("dial: %v", err)
	}
	if resp != nil {
		fail("dial returned a response in a page")
	}
	if c.Subprotocol() != "interop.v1" || !strings.HasPrefix(c.Extensions(), "permessage-deflate") {
		fail("subprotocol %q, extensions %q", c.Subprotocol(), c.Extensions())
	}
	pass("open: subprotocol %s, extensions %q", c.Subprotocol(), c.Extensions())

	for _, typ := range []websocket.MessageType{websocket.MessageText, websocket.MessageBinary} {
		for _, n := range []int{0, 1, 125, 126, 65535, 65536, 1 << 20} {
			msg := bytes.Repeat([]byte("é"), n/2)
			if n%2 == 1 {
				msg = append(msg, '!')
			}
			if err := c.WriteMessage(ctx, typ, msg); err != nil {
				fail("writing %v of %d bytes: %v", typ, n, err)
			}
			gotTyp, got, err := c.ReadMessage(ctx, nil)
			if err != nil {
				fail("reading %v of %d bytes: %v", typ, n, err)
			}
			if gotTyp != typ || !bytes.Equal(got, msg) {
				fail("%v of %d bytes came back as %v of %d bytes", typ, n, gotTyp, len(got))
			}
		}
		pass("echo %v: 0 B to 1 MiB", typ)
	}

	// A message streamed through NextWriter reaches the server whole.
	w, err := c.NextWriter(ctx, websocket.MessageBinary)
	if err != nil {
		fail("NextWriter: %v", err)
	}
	want := bytes.Repeat([]byte("0123456789"), 30000)
	for rest := want; len(rest) > 0; rest = rest[min(len(rest), 7000):] {
		if _, err := w.Write(rest[:min(len(rest), 7000)]); err != nil {
			fail("streaming: %v", err)
		}
	}
	if err := w.Close(); err != nil {
		fail("closing the writer: %v", err)
	}
	if _, got, err := c.ReadMessage(ctx, nil); err != nil || !bytes.Equal(got, want) {
		fail("streamed message: %d bytes back, %v", len(got), err)
	}
	pass("echo streamed: %d bytes", len(want))

	if _, err := c.Ping(ctx); !errors.Is(err, websocket.ErrNoPing) {
		fail("Ping: %v, want ErrNoPing", err)
	}
	pass("Ping: %v", websocket.ErrNoPing)

	// The helpers run on the page's Conn as on any other.
	type point struct{ X, Y int }
	if err := wsjson.Write(ctx, c, point{3, 4}); err != nil {
		fail("wsjson.Write: %v", err)
	}
	var p point
	if err := wsjson.Read(ctx, c, &p); err != nil || p != (point{3, 4}) {
		fail("wsjson.Read: %+v, %v", p, err)
	}
	pass("wsjson: %+v", p)

	if err := c.Close(websocket.StatusNormalClosure, "bye"); err != nil {
		fail("Close: %v", err)
	}
	pass("close 1000 from the page")

	// The server closes with each code; the page reads it.
	for _, code := range []websocket.StatusCode{websocket.StatusNormalClosure, websocket.StatusGoingAway, websocket.StatusPolicyViolation, 4001} {
		c, _, err := websocket.Dial(ctx, fmt.Sprintf("%s/close?code=%d&reason=reason-%d", base, code, code), nil)
		if err != nil {
			fail("dial: %v", err)
		}
		_, _, err = c.ReadMessage(ctx, nil)
		var ce *websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != code || ce.Reason != fmt.Sprintf("reason-%d", code) {
			fail("server closing with %d: read %v", code, err)
		}
		pass("close %d from the server", code)
	}

	// The page closes with each code; the server reports what it read, as
	// the reply to a message sent first.
	for _, code := range []websocket.StatusCode{4002, websocket.StatusGoingAway} {
		c, _, err := websocket.Dial(ctx, base+"/report", nil)
		if err != nil {
			fail("dial: %v", err)
		}
		if err := c.Close(code, "from the page"); err != nil {
			fail("Close(%d): %v", code, err)
		}
		pass("close %d from the page", code)
	}

	// The server drops the connection without a close frame.
	c, _, err = websocket.Dial(ctx, base+"/abort", nil)
	if err != nil {
		fail("dial: %v", err)
	}
	_, _, err = c.ReadMessage(ctx, nil)
	if websocket.CloseStatus(err) != websocket.StatusAbnormalClosure {
		fail("connection dropped by the server: read %v, want 1006", err)
	}
	pass("dropped by the server: %v", err)

	cctx, cancelDial := context.WithCancel(ctx)
	cancelDial()
	if _, _, err := websocket.Dial(cctx, base+"/echo", nil); !errors.Is(err, context.Canceled) {
		fail("Dial with a cancelled context: %v", err)
	}
	pass("Dial with a cancelled context")

	if _, _, err := websocket.Dial(ctx, base+"/echo", &websocket.DialOptions{Header: http.Header{"Authorization": {"x"}}}); err == nil {
		fail("Dial with a Header succeeded")
	} else {
		pass("Dial with a Header: %v", err)
	}
	fmt.Println("PASS")
}

func pass(format string, args ...any) {
	fmt.Printf("ok: "+format+"\n", args...)
}

func fail(format string, args ...any) {
	fmt.Printf("FAIL: "+format+"\n", args...)
	os.Exit(1)
}
