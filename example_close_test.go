package websocket_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/f30c7f75/websocket"
)

// ExampleConn_Close closes with a status code and a reason, and reads the
// peer's: the side that closes first sends its close frame and waits for
// the peer's answer; the other side's read returns a *CloseError.
func ExampleConn_Close() {
	done := make(chan struct{})
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(done)
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		_, _, err = c.ReadMessage(r.Context(), nil)
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			fmt.Printf("server: the client closed with %d %q\n", ce.Code, ce.Reason)
		}
		// Reading the close frame answered it with the same code and reason.
	}))
	defer s.Close()

	c, _, err := websocket.Dial(context.Background(), wsURL(s, "/"), nil)
	if err != nil {
		log.Fatal(err)
	}
	if err := c.Close(websocket.StatusGoingAway, "shutting down"); err != nil {
		log.Fatal(err)
	}
	<-done
	fmt.Println("client: closed")
	// Output:
	// server: the client closed with 1001 "shutting down"
	// client: closed
}

// ExampleConn_SetReadLimit bounds the messages a connection accepts: a
// larger one fails the connection with 1009 (message too big), which both
// sides see.
func ExampleConn_SetReadLimit() {
	serverSaw := make(chan websocket.StatusCode, 1)
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		c.SetReadLimit(1 << 10) // 1 KiB; the default is 32 MiB
		_, _, err = c.ReadMessage(r.Context(), nil)
		serverSaw <- websocket.CloseStatus(err)
	}))
	defer s.Close()

	ctx := context.Background()
	c, _, err := websocket.Dial(ctx, wsURL(s, "/"), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.CloseNow()
	if err := c.WriteMessage(ctx, websocket.MessageBinary, make([]byte, 2<<10)); err != nil {
		log.Fatal(err)
	}
	_, _, err = c.ReadMessage(ctx, nil)
	fmt.Println("server:", <-serverSaw)
	fmt.Println("client:", websocket.CloseStatus(err))
	// Output:
	// server: 1009 (message too big)
	// client: 1009 (message too big)
}

// ExampleConn_KeepAlive pings the peer while the connection is open and
// gives it up when a pong does not come back in time. Pongs are read by the
// goroutine reading messages, so one must be reading.
func ExampleConn_KeepAlive() {
	s := httptest.NewServer(http.HandlerFunc(echoHandler))
	defer s.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c, _, err := websocket.Dial(ctx, wsURL(s, "/echo"), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.CloseNow()
	go c.KeepAlive(ctx, 30*time.Second, 10*time.Second) // until ctx ends or a pong is late

	messages := make(chan []byte)
	go func() {
		defer close(messages)
		for {
			_, msg, err := c.ReadMessage(ctx, nil)
			if err != nil {
				return // after KeepAlive gave up: 1006, wrapping ErrPongTimeout
			}
			messages <- msg
		}
	}()

	// One ping now, answered while the reader runs; Ping returns the
	// round-trip time.
	if _, err := c.Ping(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println("pong")
	if err := c.WriteMessage(ctx, websocket.MessageText, []byte("still here")); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s\n", <-messages)
	// Output:
	// pong
	// still here
}
