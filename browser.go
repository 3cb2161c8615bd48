package websocket

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync"
)

// Go compiled for a web page (GOOS=js GOARCH=wasm) cannot open sockets: a
// page reaches servers only through the browser's WebSocket object, which
// sends and receives whole messages and runs the protocol itself. Dial
// there opens one, and the Conn it returns is the ordinary Conn, running on
// one end of an in-memory pipe; a bridge at the other end turns the frames
// the Conn writes into the page socket's messages and close, and the
// socket's messages and close into frames for the Conn to read. Limits,
// UTF-8 checks, contexts, deadlines, NextWriter, SendQueue and the rest
// therefore behave as elsewhere. What a page cannot do is documented on
// Dial.

// A pageSocket is a WebSocket as a web page's API offers it.
type pageSocket interface {
	// send sends a whole message. It may block while the page holds too
	// much that it has not sent yet.
	send(typ MessageType, p []byte) error
	// close starts the closing handshake with code, 0 for none, and
	// reason; it returns at once.
	close(code StatusCode, reason string)
}

// A socketOpener opens a page's WebSocket to url, offering protocols, and
// returns it once open with the subprotocol and extensions the server
// chose. From then until it has closed it reports what happens on it to b,
// without ever blocking: b.message for each message and b.closed once.
type socketOpener func(ctx context.Context, url string, protocols []string, b *bridge) (s pageSocket, protocol, extensions string, err error)

// ErrNoPing is what Ping and KeepAlive return in a web page, whose
// WebSocket cannot send pings (the browser answers the server's by itself).
var ErrNoPing = fmt.Errorf("websocket: a web page cannot send pings: %w", errors.ErrUnsupported)

// dialPage is Dial in a web page, opening the socket with open.
func dialPage(ctx context.Context, u *url.URL, opts *DialOptions, open socketOpener) (*Conn, *http.Response, error) {
	if name := pageIgnores(opts); name != "" {
		return nil, nil, fmt.Errorf("websocket: DialOptions.%s cannot apply in a web page, whose WebSocket makes the connection itself", name)
	}
	if err := checkSubprotocols(opts.Subprotocols); err != nil {
		return nil, nil, err
	}
	b := &bridge{wake: make(chan struct{}, 1), done: make(chan struct{})}
	s, protocol, extensions, err := open(ctx, u.String(), opts.Subprotocols, b)
	if err != nil {
		return nil, nil, err
	}
	app, far := net.Pipe()
	b.sock, b.far = s, far
	go b.toConn()
	go b.fromConn()
	return newConn(&pageConn{Conn: app, extensions: extensions}, true, protocol, nil), nil, nil
}

// pageIgnores names the first option set in opts that a page cannot honour,
// or returns "".
func pageIgnores(opts *DialOptions) string {
	switch {
	case len(opts.Header) > 0:
		return "Header"
	case opts.TLSConfig != nil:
		return "TLSConfig"
	case opts.NetDialContext != nil:
		return "NetDialContext"
	case opts.Proxy != nil:
		return "Proxy"
	case len(opts.ProxyConnectHeader) > 0:
		return "ProxyConnectHeader"
	case opts.MaxHeaderBytes != 0:
		return "MaxHeaderBytes"
	case opts.HTTP2 != nil:
		return "HTTP2"
	}
	return ""
}

// A pageConn is the Conn's end of the pipe to a page's socket.
type pageConn struct {
	net.Conn
	extensions string
}

// inPage reports whether c runs on a page's WebSocket.
func (c *Conn) inPage() bool {
	_, ok := c.nc.(*pageConn)
	return ok
}

// pageCloseCode returns the code and reason a page may send for code: the
// WebSocket API lets it send only 1000 and 3000 to 4999, and nothing else
// (then without a reason either).
func pageCloseCode(code StatusCode, reason string) (StatusCode, string) {
	if code == StatusNormalClosure || code >= 3000 && code <= 4999 {
		return code, reason
	}
	return 0, ""
}

// A bridge carries a Conn's frames to a page's socket and back.
type bridge struct {
	sock pageSocket
	far  net.Conn // the pipe's end opposite the Conn's

	mu       sync.Mutex
	events   []pageEvent   // from the socket, not yet written to the Conn
	wake     chan struct{} // signalled when events grows
	sentLast bool          // the Conn's close frame went to the socket, or the Conn closed its end
	gotLast  bool          // the socket's close went to the Conn
	done     chan struct{} // closed when the bridge has closed far
}

// A pageEvent is a message the socket received, or its close when typ is 0.
type pageEvent struct {
	typ    MessageType
	data   []byte
	code   StatusCode
	reason string
	clean  bool
}

// message reports a message received by the socket. p is the bridge's.
func (b *bridge) message(typ MessageType, p []byte) {
	b.push(pageEvent{typ: typ, data: p})
}

// closed reports that the socket has closed, as the page's close event
// tells: cleanly, with the close frame's code (StatusNoStatusReceived if it
// had none) and reason; or not (StatusAbnormalClosure).
func (b *bridge) closed(code StatusCode, reason string, clean bool) {
	b.push(pageEvent{code: code, reason: reason, clean: clean})
}

func (b *bridge) push(ev pageEvent) {
	b.mu.Lock()
	b.events = append(b.events, ev)
	b.mu.Unlock()
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// next returns the oldest event not yet taken, waiting for one; false means
// the bridge has closed.
func (b *bridge) next() (pageEvent, bool) {
	for {
		b.mu.Lock()
		if len(b.events) > 0 {
			ev := b.events[0]
			b.events[0] = pageEvent{}
			b.events = b.events[1:]
			b.mu.Unlock()
			return ev, true
		}
		b.mu.Unlock()
		select {
		case <-b.wake:
		case <-b.done:
			return pageEvent{}, false
		}
	}
}

// finish records that one direction has ended, and closes the pipe once
// both have: the Conn then reads the end of the connection.
func (b *bridge) finish(last *bool) {
	b.mu.Lock()
	*last = true
	both := b.sentLast && b.gotLast
	b.mu.Unlock()
	if both {
		b.closeFar()
	}
}

func (b *bridge) closeFar() {
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case <-b.done:
	default:
		close(b.done)
		b.far.Close()
	}
}

// toConn writes what the socket receives to the Conn, as a server's
// unmasked frames, until the socket has closed.
func (b *bridge) toConn() {
	var hdr [MaxFrameHeaderSize]byte
	for {
		ev, ok := b.next()
		if !ok {
			return
		}
		if ev.typ == 0 && (!ev.clean || ev.code != StatusNoStatusReceived && !ev.code.Valid()) {
			// No close frame came: the Conn reads the end of the
			// connection, and reports StatusAbnormalClosure.
			b.closeFar()
			return
		}
		h := FrameHeader{Fin: true, Opcode: Opcode(ev.typ)}
		if ev.typ == 0 {
			h.Opcode = OpClose
			if ev.code != StatusNoStatusReceived {
				ev.data = AppendClosePayload(nil, ev.code, ev.reason)
			}
		}
		h.Length = int64(len(ev.data))
		if _, err := b.far.Write(AppendFrameHeader(hdr[:0], h)); err != nil {
			return
		}
		if _, err := b.far.Write(ev.data); err != nil {
			return
		}
		if ev.typ == 0 {
			b.finish(&b.gotLast)
			return
		}
	}
}

// fromConn sends the messages the Conn writes through the socket, and
// closes the socket when the Conn sends its close frame or closes its end.
func (b *bridge) fromConn() {
	defer b.closeFar()
	br := bufio.NewReader(b.far)
	var msg []byte // the data message being gathered
	var typ MessageType
	var ctl [MaxControlPayload]byte
	for {
		h, err := ReadFrameHeader(br)
		if err != nil {
			break
		}
		var p []byte
		if h.Opcode.IsControl() {
			p = ctl[:h.Length]
		} else {
			n := len(msg)
			msg = slices.Grow(msg, int(h.Length))[:n+int(h.Length)]
			p = msg[n:]
		}
		if _, err := io.ReadFull(br, p); err != nil {
			break
		}
		if h.Masked {
			Mask(h.Mask, 0, p)
		}
		switch h.Opcode {
		case OpText, OpBinary:
			typ = MessageType(h.Opcode)
		case OpContinuation:
		case OpClose:
			code, reason, _ := ParseClosePayload(p)
			b.sock.close(pageCloseCode(code, reason))
			b.finish(&b.sentLast)
			continue
		default:
			// Pongs: a page gets no pings to answer, and sends none
			// (Ping refuses).
			continue
		}
		if !h.Fin {
			continue
		}
		err = b.sock.send(typ, msg)
		if cap(msg) > 64<<10 {
			msg = nil
		} else {
			msg = msg[:0]
		}
		if err != nil {
			break
		}
	}
	// The Conn has closed its end, or the socket failed.
	b.mu.Lock()
	sent := b.sentLast
	b.sentLast = true
	b.mu.Unlock()
	if !sent {
		b.sock.close(0, "")
	}
}
