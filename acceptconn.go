package websocket

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"reflect"
	"strconv"
	"strings"
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
// opts and the checks are those of Accept, after those net/http's server
// makes of every request before a handler sees it: a version other than
// HTTP/1.x gets 505, an HTTP/1.1 request without exactly one valid Host
// header (RFC 9112 section 3.2) or with a malformed header field 400, an
// expectation other than 100-continue 417, and a transfer coding other
// than chunked 501. A request that is not a valid handshake gets an HTTP
// error response, and AcceptConn closes nc and returns the reason.
//
// The handshake is bounded by opts.HandshakeTimeout
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
	rr.rec = headRecorder{r: &rr.lc, b: rr.rec.b[:0]}
	rr.br.Reset(&rr.rec)
	defer func() {
		rr.lc = headerLimitReader{}
		rr.rec.r = nil
		rr.br.Reset(nil)
		requestReaderPool.Put(rr)
	}()
	br := &rr.br
	req, err := http.ReadRequest(br)
	if err != nil {
		status := http.StatusBadRequest
		switch {
		case errors.Is(err, errRequestTooLarge):
			status = http.StatusRequestHeaderFieldsTooLarge
		case isUnsupportedTE(err):
			status = http.StatusNotImplemented
		}
		writeStatus(nc, status, nil, "websocket: cannot read the handshake request\n")
		nc.Close()
		return nil, fmt.Errorf("websocket: reading the handshake request: %w", err)
	}
	// The bytes recorded, less those br still holds, are the request's
	// head.
	head := rr.rec.b[:len(rr.rec.b)-br.Buffered()]
	if status, err := checkRequestHead(req, head); err != nil {
		writeStatus(nc, status, nil, err.Error()+"\n")
		nc.Close()
		return nil, err
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

// requestReader reads a handshake request for AcceptConn. Its buffers are
// pooled: once the Conn has copied what the client sent behind its
// request, nothing of them is needed.
type requestReader struct {
	lc  headerLimitReader
	rec headRecorder
	br  bufio.Reader
}

var requestReaderPool = sync.Pool{New: func() any {
	rr := new(requestReader)
	rr.rec.b = make([]byte, 0, maxRequestHeader)
	rr.br = *bufio.NewReaderSize(nil, maxRequestHeader)
	return rr
}}

// headRecorder reads from r and keeps a copy of what it read in b, up to
// b's capacity. Reading the request under a limit of maxRequestHeader bytes,
// AcceptConn keeps it all, and with it the request's head as received:
// http.ReadRequest leaves the Host header out of the request it returns, so
// that whether there was one, and its value when the target is an absolute
// URI, are known from the head alone.
type headRecorder struct {
	r io.Reader
	b []byte
}

func (h *headRecorder) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	keep := min(n, cap(h.b)-len(h.b))
	h.b = append(h.b, p[:keep]...)
	return n, err
}

// checkRequestHead makes the checks of a request that net/http's server
// makes before any handler sees one, for a request AcceptConn read with
// http.ReadRequest, which does not make them; head is the request's head as
// received. It returns the status to refuse the request with and why.
func checkRequestHead(req *http.Request, head []byte) (int, error) {
	// RFC 9110 section 15.6.6: 505 for a major version the server does not
	// speak. (net/http lets "PRI * HTTP/2.0" through to its handlers, for
	// those that speak HTTP/2 themselves; a WebSocket handshake never is.)
	if req.ProtoMajor != 1 {
		return http.StatusHTTPVersionNotSupported, fmt.Errorf("websocket: handshake request over %s, not HTTP/1.x", req.Proto)
	}
	// RFC 9112 section 3.2: 400 for an HTTP/1.1 request without a Host,
	// with more than one, or with an invalid one.
	hosts, host, folded := hostFields(head)
	switch {
	case hosts == 0 && req.ProtoAtLeast(1, 1):
		return http.StatusBadRequest, errors.New("websocket: handshake request has no Host header")
	case hosts > 1:
		return http.StatusBadRequest, fmt.Errorf("websocket: handshake request has %d Host headers", hosts)
	case hosts == 1 && (folded || !validHost(host)):
		return http.StatusBadRequest, fmt.Errorf("websocket: malformed Host %q", host)
	}
	// RFC 9110 section 5.1 and 5.5: a field name is a token; a value has
	// no control characters but tab. http.ReadRequest lets spaces into
	// names.
	for name, values := range req.Header {
		if !isToken(name) {
			return http.StatusBadRequest, fmt.Errorf("websocket: malformed header field name %q", name)
		}
		for _, v := range values {
			if !validHeaderValue(v) {
				return http.StatusBadRequest, fmt.Errorf("websocket: malformed value of header field %s", name)
			}
		}
	}
	// RFC 9110 section 10.1.1: 417 for an expectation the server cannot
	// meet; 100-continue is met by answering.
	if req.Header.Get("Expect") != "" && !headerHasToken(req.Header, "Expect", "100-continue") {
		return http.StatusExpectationFailed, errors.New("websocket: handshake request has an expectation other than 100-continue")
	}
	return 0, nil
}

// hostFields returns how many Host field lines head, the head of a request
// that http.ReadRequest has parsed, has, the value of the last one, and
// whether a Host value goes on over a continuation line (obs-fold, which
// RFC 9112 section 5.2 lets a server refuse, and which would put a space
// in the value).
func hostFields(head []byte) (n int, value string, folded bool) {
	_, rest, _ := bytes.Cut(head, []byte("\n")) // past the request line
	inHost := false
	for len(rest) > 0 {
		var line []byte
		line, rest, _ = bytes.Cut(rest, []byte("\n"))
		line = bytes.TrimSuffix(line, []byte("\r"))
		switch {
		case len(line) == 0:
			return n, value, folded
		case line[0] == ' ' || line[0] == '\t':
			folded = folded || inHost
			continue
		}
		name, v, _ := bytes.Cut(line, []byte(":"))
		inHost = bytes.EqualFold(name, []byte("Host"))
		if inHost {
			n++
			value = string(bytes.Trim(v, " \t"))
		}
	}
	return n, value, folded
}

// isUnsupportedTE reports whether err is http.ReadRequest's refusal of a
// transfer coding it does not implement (anything but a single chunked),
// which net/http's server answers with 501 (RFC 9112 section 6.1). The
// error's type is not exported; it is learnt from a sample request.
func isUnsupportedTE(err error) bool {
	t := unsupportedTEType()
	return t != nil && reflect.TypeOf(err) == t
}

var unsupportedTEType = sync.OnceValue(func() reflect.Type {
	read := func(req string) error {
		_, err := http.ReadRequest(bufio.NewReader(strings.NewReader(req)))
		return err
	}
	te := read("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: x\r\n\r\n")
	other := read("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n\r\n")
	if te == nil || reflect.TypeOf(te) == reflect.TypeOf(other) {
		return nil // not told apart from other malformed requests
	}
	return reflect.TypeOf(te)
})

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
