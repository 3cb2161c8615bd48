// Package websocket implements the WebSocket protocol of RFC 6455, for
// servers and clients.
//
// A server accepts connections in an http.Handler:
//
//	func echo(w http.ResponseWriter, r *http.Request) {
//		c, err := websocket.Accept(w, r, nil)
//		if err != nil {
//			return // Accept has answered the request with an HTTP error
//		}
//		defer c.CloseNow()
//		ctx := context.Background()
//		var buf []byte
//		for {
//			typ, msg, err := c.ReadMessage(ctx, buf)
//			if err != nil {
//				return
//			}
//			if err := c.WriteMessage(ctx, typ, msg); err != nil {
//				return
//			}
//			buf = msg
//		}
//	}
//
// A server with its own accept loop can instead call AcceptConn on each
// net.Conn, which reads the handshake request itself: no net/http server
// state stays behind, for the least memory per connection.
//
// A client dials:
//
//	c, _, err := websocket.Dial(ctx, "wss://example.com/chat", nil)
//	if err != nil {
//		return err
//	}
//	defer c.Close(websocket.StatusNormalClosure, "")
//
// Over HTTP/2 (RFC 8441), Accept also takes WebSockets opened by an
// extended CONNECT, which net/http allows when GODEBUG=http2xconnect=1 is set
// in the environment or the program imports
// github.com/f30c7f75/websocket/xconnect (see HTTP2ExtendedConnect), and
// Dial opens them when DialOptions.HTTP2 is set (see HTTP2Transport).
//
// A Conn reads and writes whole messages (ReadMessage, WriteMessage) or
// streams them (NextReader, NextWriter). Every blocking call takes a
// context; a read interrupted by its context or by a deadline leaves the
// connection usable, and the next read carries on where it stopped. See
// Conn for what may be called concurrently.
//
// To send one message to many connections, frame it once with
// NewPreparedMessage and hand it to each connection's SendQueue, which
// writes from a goroutine of its own so that a slow peer holds up nobody
// else. KeepAlive pings a connection and closes it when pongs stop.
//
// A goroutine per connection, reading with ReadMessage, is the simplest
// way to serve and the fastest while connections are busy; but a parked
// goroutine holds its stack (4 KiB at least, 8 KiB behind net/http), which
// dominates the memory of a server holding many idle connections. For
// those, hand each connection to an EventLoop after Accept or AcceptConn:
// it reads them with a few goroutines, waiting for input with epoll on
// Linux, and calls a Handler for each message; writes are unchanged. Pick
// it when connections are many and mostly idle (chat, presence,
// notifications, IoT); with many busy connections it costs about the same
// CPU, with a few busy ones more. Stay with a goroutine per connection
// otherwise, or when the handler needs to block for long (it would hold a
// worker).
//
// For programs that run their own loops, the frame layer is exported too:
// FrameHeader with ParseFrameHeader, ReadFrameHeader, AppendFrameHeader and
// WriteFrameHeader; Mask; AcceptKey; and AppendClosePayload and
// ParseClosePayload.
//
// Every violation of the protocol by the peer fails the connection with the
// status code the RFC calls for (1002, 1007, 1009), reads no more from the
// peer, and makes reads return a *ProtocolError. A close frame from the peer
// ends reads with a *CloseError carrying its code and reason; a connection lost
// without one reports StatusAbnormalClosure (1006).
package websocket
