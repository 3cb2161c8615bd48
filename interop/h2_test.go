package interop

import (
	"context"
	"crypto/tls"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/f30c7f75/websocket"
)

// TestChromiumHTTP2 opens a WebSocket from Chromium to our server over
// HTTP/2 (RFC 8441): the page comes over an HTTP/2 connection that offers
// extended CONNECT, and the browser opens the WebSocket as a stream of it.
func TestChromiumHTTP2(t *testing.T) {
	if !websocket.HTTP2ExtendedConnect() {
		t.Fatal("GODEBUG=http2xconnect=1 is not in force")
	}
	ctx := stepCtx(t)
	b := startBrowser(t)
	protos := make(chan string, 1)
	ended := make(chan error, 1)
	mux := http.NewServeMux()
	mux.HandleFunc("/{$}", serveBrowserPage)
	mux.HandleFunc("/ws", func(w http.ResponseWriter, r *http.Request) {
		protos <- r.Proto
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{
			Subprotocols: serverProtocols,
			Compression:  &websocket.CompressionOptions{},
		})
		if err != nil {
			ended <- err
			return
		}
		defer c.CloseNow()
		ended <- echoAll(c)
	})
	srv := httptest.NewUnstartedServer(mux)
	srv.EnableHTTP2 = true
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{testCert.tls}}
	srv.StartTLS()
	t.Cleanup(srv.Close)

	tb := openTab(t, b, srv.URL+"/")
	var open peerOpen
	wsURL := strings.Replace(srv.URL, "https", "wss", 1) + "/ws"
	if err := tb.call(ctx, "open", map[string]any{"url": wsURL, "protocols": clientProtocols}, &open); err != nil {
		t.Fatal(err)
	}
	if proto := <-protos; proto != "HTTP/2.0" {
		t.Fatalf("the browser's WebSocket came over %s, want HTTP/2.0", proto)
	}
	if open.Protocol != "interop.v2" || !strings.HasPrefix(open.Extensions, "permessage-deflate") {
		t.Errorf("browser sees subprotocol %q, extensions %q", open.Protocol, open.Extensions)
	}
	for _, typ := range []string{"text", "binary"} {
		var sent, got []summary
		sizes := []int{0, 1, 125, 126, 64 << 10, 1 << 20}
		if err := tb.call(ctx, "send", map[string]any{"type": typ, "sizes": sizes}, &sent); err != nil {
			t.Fatal(err)
		}
		if err := tb.call(ctx, "recv", map[string]any{"n": len(sizes)}, &got); err != nil {
			t.Fatal(err)
		}
		checkSame(t, typ+" echoed over HTTP/2", sent, got)
	}
	var ci closeInfo
	if err := tb.call(ctx, "close", map[string]any{"code": 4000, "reason": "bye over h2"}, &ci); err != nil {
		t.Fatal(err)
	}
	if !ci.WasClean || ci.Code != 4000 {
		t.Errorf("browser saw the close as %+v", ci)
	}
	var ce *websocket.CloseError
	if err := <-ended; !errors.As(err, &ce) || ce.Code != 4000 || ce.Reason != "bye over h2" {
		t.Errorf("our server read %v, want 4000 and the reason", err)
	}
}

// echoAll sends every message read on c back, until a read or a write
// fails, and returns that error.
func echoAll(c *websocket.Conn) error {
	var buf []byte
	for {
		typ, msg, err := c.ReadMessage(context.Background(), buf)
		if err != nil {
			return err
		}
		if err := c.WriteMessage(context.Background(), typ, msg); err != nil {
			return err
		}
		buf = msg
	}
}
