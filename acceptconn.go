package websocket

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// maxRequestHeader bounds the opening handshake request that AcceptConn
// reads: its request line and headers.
const maxRequestHeader = 4096

// AcceptConn reads a WebSocket opening handshake request from nc, a new
// connection from a listener of the caller's, and completes the handshake
// as Accept does, without net/http's server: a server that runs its own
// accept loop then holds, per connection, only what the Conn needs (no
// HTTP server state, no buffered reader or writer, and the goroutine of its
// own choosing). The request line and headers may take up to 4 KiB.
//
// opts and the checks are those of Accept. A request that is not a valid
// handshake gets an HTTP error response, and AcceptConn closes nc and
// returns the reason. The handshake is bounded by opts.HandshakeTimeout
// (DefaultHandshakeTimeout when zero), through nc's deadline, which
// AcceptConn clears once the Conn is made.
func AcceptConn(nc net.Conn, opts *AcceptOptions) (*Conn, error) {
	timeout := DefaultHandshakeTimeout
	if opts != nil && opts.HandshakeTimeout > 0 {
		timeout = opts.HandshakeTimeout
	}
	nc.SetDeadline(time.Now().Add(timeout))
	rr := requestReaderPool.Get().(*requestReader)
	rr.lc = headerLimitReader{r: nc, n: maxRequestHeader, err: errRequestTooLarge}
	rr.br.Reset(&rr.lc)
	defer func() {
		rr.lc = headerLimitReader{}
		rr.br.Reset(nil)
		requestReaderPool.Put(rr)
	}()
	br := &rr.br
	req, err := http.ReadRequest(br)
	if err != nil {
		status := http.StatusBadRequest
		if errors.Is(err, errRequestTooLarge) {
			status = http.StatusRequestHeaderFieldsTooLarge
		}
		writeStatus(nc, status, nil, "websocket: cannot read the handshake request\n")
		nc.Close()
		return nil, fmt.Errorf("websocket: reading the handshake request: %w", err)
	}
	req.RemoteAddr = nc.RemoteAddr().String()
	// The bytes the client may have sent after its request are read from
	// br by Accept (through Hijack), not the limit.
	w := &connResponse{nc: nc, br: br, h: http.Header{}}
	c, err := Accept(w, req, opts)
	if err != nil {
		if !w.hijacked {
			writeStatus(nc, w.status, w.h, w.body.String())
			nc.Close()
		}
		return nil, err
	}
	if err := nc.SetDeadline(time.Time{}); err != nil {
		c.CloseNow()
		return nil, fmt.Errorf("websocket: clearing the handshake deadline: %w", err)
	}
	return c, nil
}

var errRequestTooLarge = errors.New("websocket: handshake request larger than 4 KiB")

// requestReader reads a handshake request for AcceptConn. Its buffer is
// pooled: once the Conn has copied what the client sent behind its
// request, nothing of it is needed.
type requestReader struct {
	lc headerLimitReader
	br bufio.Reader
}

var requestReaderPool = sync.Pool{New: func() any {
	rr := new(requestReader)
	rr.br = *bufio.NewReaderSize(nil, maxRequestHeader)
	return rr
}}

// connResponse is the http.ResponseWriter Accept answers through for
// AcceptConn: an error response is kept for AcceptConn to send, and Hijack
// hands over the connection with the request's reader.
type connResponse struct {
	nc       net.Conn
	br       *bufio.Reader
	h        http.Header
	status   int
	body     bytes.Buffer
	hijacked bool
}

func (w *connResponse) Header() http.Header { return w.h }

func (w *connResponse) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *connResponse) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(p)
}

// Hijack returns the connection, with headers set so far discarded: Accept
// writes its whole 101 response itself. The reader returned is a copy of
// the request's, sharing its buffer, which Accept lets go of (as it does
// net/http's) while AcceptConn puts the original back in the pool.
func (w *connResponse) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	w.hijacked = true
	br := new(bufio.Reader)
	*br = *w.br
	return w.nc, bufio.NewReadWriter(br, nil), nil
}

// writeStatus sends an HTTP error response with headers h and body, and
// asks the client to close.
func writeStatus(nc net.Conn, status int, h http.Header, body string) {
	if status == 0 {
		status = http.StatusInternalServerError
	}
	var b bytes.Buffer
	b.WriteString("HTTP/1.1 " + strconv.Itoa(status) + " " + http.StatusText(status) + "\r\n")
	if h != nil {
		h = h.Clone()
		h.Del("Content-Length")
		h.Write(&b)
	}
	if h.Get("Content-Type") == "" {
		b.WriteString("Content-Type: text/plain; charset=utf-8\r\n")
	}
	b.WriteString("Content-Length: " + strconv.Itoa(len(body)) + "\r\nConnection: close\r\n\r\n")
	b.WriteString(body)
	nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	nc.Write(b.Bytes())
}
