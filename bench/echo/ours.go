package echo

import (
	"context"
	"net"
	"net/http"

	"github.com/f30c7f75/websocket"
)

// Our package serves connections either from an http.Handler with Accept
// ("ours-http") or, as its README shows for servers that want the least
// memory per connection, from its own accept loop with AcceptConn
// ("ours"). Both echo with ReadMessage into the previous message's buffer
// and WriteMessage.

func oursOptions(opts Options) *websocket.AcceptOptions {
	var aopts websocket.AcceptOptions
	if opts.Deflate {
		aopts.Compression = &websocket.CompressionOptions{}
	}
	return &aopts
}

// serveOurs accepts connections on ln, upgrading each with AcceptConn in
// its own goroutine.
func serveOurs(ln net.Listener, opts Options) error {
	aopts := oursOptions(opts)
	return serveConns(ln, func(nc net.Conn) {
		c, err := websocket.AcceptConn(nc, aopts)
		if err != nil {
			return
		}
		OursEcho(c)
	})
}

// oursHandler upgrades with Accept.
func oursHandler(opts Options) http.Handler {
	aopts := oursOptions(opts)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, aopts)
		if err != nil {
			return
		}
		OursEcho(c)
	})
}

// OursEcho echoes messages on c until it fails or closes, then closes it.
func OursEcho(c *websocket.Conn) {
	defer c.CloseNow()
	c.SetReadLimit(ReadLimit)
	ctx := context.Background()
	var buf []byte
	for {
		typ, msg, err := c.ReadMessage(ctx, buf)
		if err != nil {
			return
		}
		if err := c.WriteMessage(ctx, typ, msg); err != nil {
			return
		}
		buf = msg
	}
}

// oursEcho is the EventLoop's handler: it echoes.
type oursEcho struct{}

func (oursEcho) OnMessage(c *websocket.Conn, typ websocket.MessageType, msg []byte) {
	if err := c.WriteMessage(context.Background(), typ, msg); err != nil {
		c.CloseNow()
	}
}

func (oursEcho) OnClose(c *websocket.Conn, err error) {}

// serveOursEvents accepts connections on ln, upgrading each with
// AcceptConn in a goroutine that ends once an EventLoop serves it.
func serveOursEvents(ln net.Listener, opts Options) error {
	loop, err := websocket.NewEventLoop(nil)
	if err != nil {
		return err
	}
	defer loop.Close()
	aopts := oursOptions(opts)
	return serveConns(ln, func(nc net.Conn) {
		if c, err := websocket.AcceptConn(nc, aopts); err == nil {
			serveInLoop(loop, c)
		}
	})
}

// serveOursHTTPEvents upgrades with Accept, and hands the connection to an
// EventLoop.
func serveOursHTTPEvents(ln net.Listener, opts Options) error {
	loop, err := websocket.NewEventLoop(nil)
	if err != nil {
		return err
	}
	defer loop.Close()
	aopts := oursOptions(opts)
	return serveHTTP(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, err := websocket.Accept(w, r, aopts); err == nil {
			serveInLoop(loop, c)
		}
	}))
}

// serveInLoop hands c to loop, to echo.
func serveInLoop(loop *websocket.EventLoop, c *websocket.Conn) {
	c.SetReadLimit(ReadLimit)
	if loop.Serve(c, oursEcho{}) != nil {
		c.CloseNow()
	}
}
