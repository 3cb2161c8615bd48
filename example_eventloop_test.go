package websocket_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/f30c7f75/websocket"
)

// loopEcho is an EventLoop's Handler that sends each message back.
type loopEcho struct{}

func (loopEcho) OnMessage(c *websocket.Conn, typ websocket.MessageType, msg []byte) {
	// msg is the loop's until OnMessage returns: WriteMessage is done
	// with it by then. Copy it to keep it.
	if err := c.WriteMessage(context.Background(), typ, msg); err != nil {
		c.CloseNow() // OnClose follows
	}
}

func (loopEcho) OnClose(c *websocket.Conn, err error) {}

// An echo server whose connections an EventLoop reads: the handler returns
// once the loop has the connection, and an idle connection then holds no
// goroutine.
func ExampleEventLoop() {
	loop, err := websocket.NewEventLoop(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer loop.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		if err := loop.Serve(c, loopEcho{}); err != nil {
			c.CloseNow()
		}
	}))
	defer srv.Close()

	ctx := context.Background()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.CloseNow()
	for _, msg := range []string{"hello", "from the loop"} {
		if err := c.WriteMessage(ctx, websocket.MessageText, []byte(msg)); err != nil {
			log.Fatal(err)
		}
		_, echoed, err := c.ReadMessage(ctx, nil)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(string(echoed))
	}
	c.Close(websocket.StatusNormalClosure, "")
	// Output:
	// hello
	// from the loop
}
