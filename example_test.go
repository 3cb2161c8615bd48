package websocket_test

import (
	"context"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/f30c7f75/websocket"
)

// The functions and examples in this file are the README's quick start;
// TestReadmeSnippets checks that the README shows them as they are here.

// echoHandler upgrades a request to a WebSocket and echoes its messages.
func echoHandler(w http.ResponseWriter, r *http.Request) {
	c, err := websocket.Accept(w, r, nil)
	if err != nil {
		return // Accept has already answered with an HTTP error
	}
	defer c.CloseNow()
	echo(c)
}

// echo sends each message back until the connection ends.
func echo(c *websocket.Conn) {
	ctx := context.Background()
	var buf []byte
	for {
		typ, msg, err := c.ReadMessage(ctx, buf)
		if err != nil {
			return // a *websocket.CloseError once the peer has closed
		}
		if err := c.WriteMessage(ctx, typ, msg); err != nil {
			return
		}
		// The next read reuses msg's storage, so that reading allocates
		// nothing, and overwrites msg: copy a message to keep it (to queue
		// it for a broadcast, say).
		buf = msg
	}
}

// serve upgrades each connection ln accepts with AcceptConn, which reads
// the handshake from the connection itself: no net/http state, buffers or
// goroutine stay behind, for the least memory per connection.
func serve(ln net.Listener) error {
	for {
		nc, err := ln.Accept()
		if err != nil {
			return err
		}
		go func() {
			c, err := websocket.AcceptConn(nc, nil) // the handshake bounded by 30 s
			if err != nil {
				return // AcceptConn has answered with an HTTP error and closed nc
			}
			defer c.CloseNow()
			echo(c)
		}()
	}
}

// wsURL returns the ws:// URL of path on an httptest server.
func wsURL(s *httptest.Server, path string) string {
	return "ws" + strings.TrimPrefix(s.URL, "http") + path
}

// Example_server serves the echo at ws://127.0.0.1:8080/echo.
func Example_server() {
	http.HandleFunc("/echo", echoHandler)
	log.Fatal(http.ListenAndServe("127.0.0.1:8080", nil))
}

// Example is a client of the echo server.
func Example() {
	s := httptest.NewServer(http.HandlerFunc(echoHandler))
	defer s.Close()
	url := wsURL(s, "/echo")

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close(websocket.StatusNormalClosure, "bye")

	if err := c.WriteMessage(ctx, websocket.MessageText, []byte("hello")); err != nil {
		log.Fatal(err)
	}
	_, msg, err := c.ReadMessage(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s\n", msg)
	// Output: hello
}

// ExampleAcceptConn serves WebSockets from an accept loop of its own.
func ExampleAcceptConn() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	go serve(ln)

	ctx := context.Background()
	c, _, err := websocket.Dial(ctx, "ws://"+ln.Addr().String()+"/", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.CloseNow()
	if err := c.WriteMessage(ctx, websocket.MessageBinary, []byte{1, 2, 3}); err != nil {
		log.Fatal(err)
	}
	typ, msg, err := c.ReadMessage(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(typ, msg)
	// Output: binary [1 2 3]
}
