package websocket_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"time"

	"github.com/f30c7f75/websocket"
)

// ExampleDial opens a connection with headers of its own and a list of
// subprotocols, of which the server picks one.
func ExampleDial() {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer s3cret" {
			http.Error(w, "who are you?", http.StatusUnauthorized)
			return
		}
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{
			Subprotocols: []string{"chat.v2", "chat.v1"}, // most preferred first
		})
		if err != nil {
			return
		}
		defer c.CloseNow()
		echo(c)
	}))
	defer s.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, resp, err := websocket.Dial(ctx, wsURL(s, "/chat"), &websocket.DialOptions{
		Header:       http.Header{"Authorization": {"Bearer s3cret"}},
		Subprotocols: []string{"chat.v1", "chat.v2"},
	})
	if err != nil {
		log.Fatal(err) // a *websocket.HandshakeError holds the refusal's status and body
	}
	defer c.CloseNow()
	fmt.Println(resp.StatusCode, c.Subprotocol())

	_, _, err = websocket.Dial(ctx, wsURL(s, "/chat"), nil)
	var refused *websocket.HandshakeError
	if errors.As(err, &refused) {
		fmt.Printf("%d %q\n", refused.StatusCode, refused.Body)
	}
	// Output:
	// 101 chat.v2
	// 401 "who are you?\n"
}

// ExampleDial_tls dials a wss:// URL. Without DialOptions.TLSConfig the
// system's roots verify the server; here the test server's own certificate
// is trusted.
func ExampleDial_tls() {
	s := httptest.NewTLSServer(http.HandlerFunc(echoHandler))
	defer s.Close()
	roots := s.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs

	ctx := context.Background()
	u := "wss://" + s.Listener.Addr().String() + "/echo"
	c, _, err := websocket.Dial(ctx, u, &websocket.DialOptions{
		TLSConfig: &tls.Config{RootCAs: roots},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.CloseNow()
	if err := c.WriteMessage(ctx, websocket.MessageText, []byte("over TLS")); err != nil {
		log.Fatal(err)
	}
	_, msg, err := c.ReadMessage(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s\n", msg)
	// Output: over TLS
}

// ExampleCompressionOptions turns permessage-deflate on: the server
// accepts an offer, the client makes one. Extensions says what was agreed.
func ExampleCompressionOptions() {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{
			Compression: &websocket.CompressionOptions{},
		})
		if err != nil {
			return
		}
		defer c.CloseNow()
		echo(c)
	}))
	defer s.Close()

	ctx, url := context.Background(), wsURL(s, "/")
	c, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{
		Compression: &websocket.CompressionOptions{ServerNoContextTakeover: true},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.CloseNow()
	fmt.Println(c.Extensions())
	// Output: permessage-deflate; server_no_context_takeover
}

// ExampleHTTP2Transport opens WebSockets over HTTP/2 (RFC 8441), sharing
// one connection per host, and falls back to HTTP/1.1 where the server
// does not offer it. (A Go server offers it only with
// GODEBUG=http2xconnect=1 in its environment: see HTTP2ExtendedConnect.)
func ExampleHTTP2Transport() {
	ctx := context.Background()
	h2 := &websocket.HTTP2Transport{} // or {Transport: t} to share an http.Transport's connections
	c, resp, err := websocket.Dial(ctx, "wss://example.com/chat", &websocket.DialOptions{HTTP2: h2})
	if err != nil {
		log.Fatal(err)
	}
	defer c.CloseNow()
	fmt.Println(resp.ProtoMajor) // 2 over HTTP/2, 1 after a fallback
}

// ExampleDialOptions_proxy dials through an HTTP proxy, which tunnels the
// connection with CONNECT. Without a Proxy function Dial uses the
// environment's (HTTP_PROXY, HTTPS_PROXY, NO_PROXY), as net/http does.
func ExampleDialOptions_proxy() {
	proxy, err := url.Parse("http://user:password@proxy.example.com:3128")
	if err != nil {
		log.Fatal(err)
	}
	c, _, err := websocket.Dial(context.Background(), "wss://example.com/feed", &websocket.DialOptions{
		Proxy: http.ProxyURL(proxy), // or return a socks5:// URL
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.CloseNow()
}
