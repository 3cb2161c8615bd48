package websocket

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"
)

// This file carries WebSockets over HTTP/2 streams (RFC 8441). The opening
// handshake is an extended CONNECT (:protocol websocket) answered with 200,
// and the stream's DATA frames then carry the WebSocket frames. A stream is
// wrapped in a net.Conn so that Conn works on it unchanged.

// xconnect records whether net/http enables extended CONNECT in its HTTP/2
// server, which it decides from GODEBUG when the program starts.
var xconnect = strings.Contains(os.Getenv("GODEBUG"), "http2xconnect=1")

// HTTP2ExtendedConnect reports whether net/http's HTTP/2 server accepts
// extended CONNECT requests, without which Accept sees no WebSocket over
// HTTP/2. net/http decides once, as it is initialized, by looking for
// "http2xconnect=1" in the GODEBUG environment variable, which importing
// github.com/f30c7f75/websocket/xconnect puts there; this reports the same
// test, made as this package is initialized, after net/http.
func HTTP2ExtendedConnect() bool { return xconnect }

// An HTTP2Transport holds the HTTP/2 connections on which Dial opens
// WebSockets (RFC 8441) when DialOptions.HTTP2 points to it. Dials sharing
// an HTTP2Transport share its connections, one per host. wss URLs use TLS
// with ALPN "h2"; ws URLs use unencrypted HTTP/2 with prior knowledge
// (h2c). Dial falls back to HTTP/1.1 on a TLS connection where the server
// did not choose "h2", and on a new connection when the server does not
// allow extended CONNECT or, for ws URLs, does not answer in HTTP/2. New
// connections are dialled as DialOptions says (NetDialContext, Proxy,
// TLSConfig).
//
// The zero value is ready to use. An HTTP2Transport must not be copied
// after first use.
type HTTP2Transport struct {
	// Transport, when non-nil, is the http.Transport whose HTTP/2
	// connection pool holds the connections: its ordinary requests and the
	// WebSockets then share connections. It must have HTTP/2 enabled
	// (ForceAttemptHTTP2, or Protocols with HTTP2); for its http:// requests
	// to share h2c connections, Protocols must hold UnencryptedHTTP2 and not
	// HTTP1. Nil means a Transport of the HTTP2Transport's own.
	Transport *http.Transport

	mu  sync.Mutex
	t   *http.Transport
	rts map[string]http.RoundTripper // by scheme: net/http's HTTP/2 round tripper over its pool
}

// CloseIdleConnections closes the connections that carry no stream.
func (t *HTTP2Transport) CloseIdleConnections() {
	t.mu.Lock()
	tr := t.t
	t.mu.Unlock()
	if tr != nil {
		tr.CloseIdleConnections()
	}
}

// transport returns the http.Transport, with its HTTP/2 support set up.
func (t *HTTP2Transport) transport() *http.Transport {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.t == nil {
		tr := t.Transport
		if tr == nil {
			tr = &http.Transport{ForceAttemptHTTP2: true, IdleConnTimeout: 90 * time.Second}
		}
		// net/http sets up HTTP/2, filling TLSNextProto, on first use;
		// Clone is a use without side effects.
		tr.Clone()
		t.t = tr
	}
	return t.t
}

func (t *HTTP2Transport) cached(scheme string) http.RoundTripper {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.rts[scheme]
}

func (t *HTTP2Transport) cache(scheme string, rt http.RoundTripper) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.rts == nil {
		t.rts = make(map[string]http.RoundTripper)
	}
	t.rts[scheme] = rt
}

// errNoH2 reports that the server answers HTTP/1.1 only on a TLS connection
// that is returned for the handshake to continue on.
var errNoH2 = errors.New("websocket: server did not choose HTTP/2")

// roundTrip sends the request newReq makes on a connection to u's host,
// reusing one when t has one for scheme, the request's (http or https). It
// returns errNoH2 and the connection when TLS negotiated HTTP/1.1.
func (t *HTTP2Transport) roundTrip(ctx context.Context, u *url.URL, scheme string, opts *DialOptions, newReq func() *http.Request) (*http.Response, net.Conn, error) {
	tr := t.transport()
	if rt := t.cached(scheme); rt != nil {
		resp, err := rt.RoundTrip(newReq())
		var nc interface{ IsHTTP2NoCachedConnError() }
		if !errors.As(err, &nc) {
			return resp, nil, err
		}
	}
	var alpn []string
	if scheme == "https" {
		alpn = []string{"h2", "http/1.1"}
	}
	nc, err := dialTransport(ctx, u, opts, alpn)
	if err != nil {
		return nil, nil, err
	}
	var rt http.RoundTripper
	if tc, ok := nc.(*tls.Conn); ok {
		if tc.ConnectionState().NegotiatedProtocol != "h2" {
			return nil, nc, errNoH2
		}
		up := tr.TLSNextProto["h2"]
		if up == nil {
			nc.Close()
			return nil, nil, errors.New("websocket: HTTP/2 is not enabled in the http.Transport")
		}
		rt = up(hostPort(u), tc)
	} else {
		up := tr.TLSNextProto["unencrypted_http2"]
		if up == nil {
			nc.Close()
			return nil, nil, errors.New("websocket: unencrypted HTTP/2 is not enabled in the http.Transport")
		}
		// net/http passes unencrypted connections to TLSNextProto inside a
		// tls.Conn that is never used for TLS.
		rt = up(hostPort(u), tls.Client(h2cConn{nc}, nil))
	}
	resp, err := rt.RoundTrip(newReq())
	if err == nil || isNoExtendedConnect(err) {
		t.cache(scheme, rt)
	}
	if scheme == "http" && err != nil && strings.Contains(err.Error(), "client conn could not be established") {
		// The connection ended before the server's SETTINGS: the server
		// does not speak h2c.
		return nil, nil, errNoH2C
	}
	return resp, nil, err
}

// errNoH2C reports that the server did not answer h2c's preface.
var errNoH2C = errors.New("websocket: server does not speak unencrypted HTTP/2")

// h2cConn hands an unencrypted connection to net/http's HTTP/2 client.
type h2cConn struct{ net.Conn }

func (c h2cConn) UnencryptedNetConn() net.Conn { return c.Conn }

// isNoExtendedConnect reports whether err is net/http's HTTP/2 client
// refusing to send an extended CONNECT because the server's SETTINGS did
// not allow it.
func isNoExtendedConnect(err error) bool {
	return err != nil && strings.Contains(err.Error(), "extended connect not supported")
}

// dialH2 opens a WebSocket on an HTTP/2 stream. When the server cannot
// take it over HTTP/2, it returns a connection to continue on with
// HTTP/1.1 instead.
func dialH2(ctx context.Context, u *url.URL, opts *DialOptions) (*Conn, *http.Response, net.Conn, error) {
	host, err := handshakeHost(u, opts)
	if err != nil {
		return nil, nil, nil, err
	}
	header := make(http.Header)
	for k, v := range opts.Header {
		if k = http.CanonicalHeaderKey(k); k != "Host" && !handshakeHeaders[k] {
			header[k] = v
		}
	}
	header[":protocol"] = []string{"websocket"}
	header.Set("Sec-WebSocket-Version", "13")
	if len(opts.Subprotocols) > 0 {
		header.Set("Sec-WebSocket-Protocol", strings.Join(opts.Subprotocols, ", "))
	}
	if opts.Compression != nil {
		header.Set("Sec-WebSocket-Extensions", opts.Compression.offer())
	}
	target := &url.URL{Scheme: "http", Host: u.Host, Path: u.Path, RawPath: u.RawPath, RawQuery: u.RawQuery}
	if u.Scheme == "wss" {
		target.Scheme = "https"
	}

	// The stream outlives ctx, which bounds only the handshake.
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, cancel)
	var addrs struct {
		sync.Mutex
		local, remote net.Addr
	}
	sctx = httptrace.WithClientTrace(sctx, &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) {
		addrs.Lock()
		addrs.local, addrs.remote = info.Conn.LocalAddr(), info.Conn.RemoteAddr()
		addrs.Unlock()
	}})
	var body *requestBody
	newReq := func() *http.Request {
		body = newRequestBody()
		req := &http.Request{
			Method:     http.MethodConnect,
			URL:        target,
			Proto:      "HTTP/2.0",
			ProtoMajor: 2,
			Header:     header.Clone(),
			Body:       body,
			Host:       host,
		}
		trace := &httptrace.ClientTrace{WroteRequest: body.wroteRequest}
		return req.WithContext(httptrace.WithClientTrace(sctx, trace))
	}
	abort := func() {
		stop()
		cancel()
		if body != nil {
			body.closeWrite()
		}
	}
	// handshakeErr prefers the context's error when ctx ended the
	// handshake.
	handshakeErr := func(err error) error {
		if ctx.Err() != nil {
			return fmt.Errorf("websocket: HTTP/2 handshake: %w", ctx.Err())
		}
		return err
	}

	resp, nc, err := opts.HTTP2.roundTrip(ctx, u, target.Scheme, opts, newReq)
	switch {
	case errors.Is(err, errNoH2):
		abort()
		return nil, nil, nc, nil
	case isNoExtendedConnect(err), errors.Is(err, errNoH2C):
		abort()
		nc, err := dialTransport(ctx, u, opts, nil)
		return nil, nil, nc, err
	case err != nil:
		abort()
		return nil, nil, nil, handshakeErr(fmt.Errorf("websocket: HTTP/2 handshake: %w", err))
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		// Keep the start of the body, waiting no longer than errorBodyWait.
		timer := time.AfterFunc(errorBodyWait, cancel)
		b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		timer.Stop()
		resp.Body.Close()
		abort()
		resp.Body = io.NopCloser(bytes.NewReader(b))
		return nil, resp, nil, handshakeErr(&HandshakeError{Msg: fmt.Sprintf("expected a 2xx status, got %q", resp.Status), StatusCode: resp.StatusCode, Header: resp.Header, Body: b})
	}
	deflate, compress, herr := checkNegotiated(resp, opts)
	if herr != nil {
		resp.Body.Close()
		abort()
		resp.Body = http.NoBody
		return nil, resp, nil, handshakeErr(herr)
	}
	if !stop() {
		resp.Body.Close()
		abort()
		return nil, nil, nil, handshakeErr(ctx.Err())
	}
	addrs.Lock()
	local, remote := addrs.local, addrs.remote
	addrs.Unlock()
	s := &clientStream{body: body, resp: resp.Body, cancel: cancel, local: local, remote: remote}
	s.start(resp.Body)
	c := newConn(s, true, resp.Header.Get("Sec-WebSocket-Protocol"), nil)
	if compress {
		c.deflate = newCompression(deflate, opts.Compression, true)
	}
	r := *resp
	r.Body = http.NoBody
	return c, &r, nil, nil
}

// requestBody is the pipe that carries a client's frames to net/http's
// HTTP/2 client, which reads it as the request body, a DATA frame per read.
//
// The bytes that end our side of the stream, those ending the close frame,
// do not go through the pipe: they are kept and the pipe closed, so that
// the read returning them returns io.EOF too, and net/http sends them with
// END_STREAM in one DATA frame. Sent apart, END_STREAM could follow the
// server's answer to the close frame and the server's end of the stream:
// net/http's server then resets our side (RST_STREAM with NO_ERROR), and
// net/http's client stops writing the body and never sends END_STREAM.
type requestBody struct {
	net.Conn          // the reading end, net/http's
	w        net.Conn // the writing end, ours

	mu     sync.Mutex
	last   []byte // read after the end of the pipe, with io.EOF
	ended  bool   // w is closed
	closed bool   // net/http has closed the body

	wroteOnce sync.Once
	wrote     chan struct{} // closed when net/http has done writing the body
}

func newRequestBody() *requestBody {
	r, w := net.Pipe()
	return &requestBody{Conn: r, w: w, wrote: make(chan struct{})}
}

func (b *requestBody) Read(p []byte) (int, error) {
	n, err := b.Conn.Read(p)
	if err == io.EOF {
		b.mu.Lock()
		n = copy(p, b.last)
		b.last = b.last[n:]
		if len(b.last) > 0 {
			err = nil
		}
		b.mu.Unlock()
	}
	return n, err
}

func (b *requestBody) Close() error {
	b.mu.Lock()
	b.closed = true
	b.last = nil
	b.mu.Unlock()
	return b.Conn.Close()
}

// end ends the body with p, to be read with io.EOF. It reports false,
// keeping nothing, when the body has ended or been closed already.
func (b *requestBody) end(p []byte) bool {
	b.mu.Lock()
	ok := !b.ended && !b.closed
	if ok {
		b.last = bytes.Clone(p)
	}
	b.ended = true
	b.mu.Unlock()
	b.w.Close()
	return ok
}

// closeWrite ends the body after the bytes written so far.
func (b *requestBody) closeWrite() {
	b.mu.Lock()
	b.ended = true
	b.mu.Unlock()
	b.w.Close()
}

// wroteRequest is the request's WroteRequest trace hook: net/http's HTTP/2
// client calls it when it stops writing the body, having sent END_STREAM
// (info.Err nil) or not.
func (b *requestBody) wroteRequest(httptrace.WroteRequestInfo) {
	b.wroteOnce.Do(func() { close(b.wrote) })
}

// acceptH2 is Accept for a request made with HTTP/2's extended CONNECT
// (RFC 8441 section 5).
func acceptH2(w http.ResponseWriter, r *http.Request, opts *AcceptOptions) (*Conn, error) {
	status, err := checkH2Request(r)
	subprotocol, deflate, compress, err := admit(w, r, opts, status, err)
	if err != nil {
		return nil, err
	}
	h := w.Header()
	for k := range handshakeHeaders {
		h.Del(k)
	}
	if subprotocol != "" {
		h.Set("Sec-WebSocket-Protocol", subprotocol)
	}
	if compress {
		h.Set("Sec-WebSocket-Extensions", deflate.String())
	}
	rc := http.NewResponseController(w)
	w.WriteHeader(http.StatusOK)
	if err := rc.Flush(); err != nil {
		return nil, fmt.Errorf("websocket: sending the handshake response: %w", err)
	}
	// Stop the stream's timers that http.Server's ReadTimeout and
	// WriteTimeout set, as hijacking does on HTTP/1.1.
	rc.SetReadDeadline(time.Time{})
	rc.SetWriteDeadline(time.Time{})
	s := &serverStream{w: w, rc: rc, remote: stringAddr(r.RemoteAddr)}
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		s.local = a
	}
	s.start(r.Body)
	c := newConn(s, false, subprotocol, nil)
	s.c = c
	if compress {
		c.deflate = newCompression(deflate, opts.Compression, false)
	}
	// The stream ends when the handler returns or the client resets it;
	// after that, w must not be used. Reads learn of it from the body.
	context.AfterFunc(r.Context(), func() {
		s.mu.Lock()
		s.ended = true
		s.mu.Unlock()
	})
	return c, nil
}

// checkH2Request checks an extended CONNECT (RFC 8441 section 4), as
// checkRequest checks an HTTP/1.1 upgrade, and returns the status to refuse
// it with and why.
func checkH2Request(r *http.Request) (status int, err error) {
	switch p := r.Header.Get(":protocol"); {
	case !strings.EqualFold(p, "websocket"):
		return http.StatusBadRequest, fmt.Errorf("websocket: HTTP/2 CONNECT for protocol %q, not websocket", p)
	case !singleValue(r.Header, "Sec-WebSocket-Version", "13"):
		return http.StatusUpgradeRequired, errors.New("websocket: Sec-WebSocket-Version is not 13")
	}
	return 0, nil
}

// streamReadBufSize is the size of the buffer a stream's reading goroutine
// reads into.
const streamReadBufSize = 16 << 10

// streamReader reads a stream's body in a goroutine and passes the bytes
// on through a pipe, whose deadlines interrupt reads without harming the
// stream: net/http's body readers have no deadlines that leave the body
// usable.
type streamReader struct {
	p    net.Conn      // the reading end of the pipe
	done chan struct{} // closed when the goroutine has returned
	err  error         // why the body ended, nil for EOF; set before done
}

func (s *streamReader) start(src io.Reader) {
	ours, theirs := net.Pipe()
	s.p = ours
	s.done = make(chan struct{})
	go func() {
		defer close(s.done)
		defer theirs.Close()
		buf := make([]byte, streamReadBufSize)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				if _, werr := theirs.Write(buf[:n]); werr != nil {
					return // the reading end is closed
				}
			}
			if err != nil {
				if err != io.EOF {
					s.err = err
				}
				return
			}
		}
	}()
}

func (s *streamReader) Read(p []byte) (int, error) {
	n, err := s.p.Read(p)
	switch {
	case err == io.EOF:
		<-s.done
		if s.err != nil {
			err = s.err
		}
	case err != nil:
		err = pipeErr("read", err)
	}
	return n, err
}

// sawEOF reports whether the peer has ended its side of the stream.
func (s *streamReader) sawEOF() bool {
	select {
	case <-s.done:
		return s.err == nil
	default:
		return false
	}
}

// stop closes the pipe and waits for the goroutine, which the caller has
// made return by ending the body.
func (s *streamReader) stop() {
	s.p.Close()
	<-s.done
}

func (s *streamReader) SetReadDeadline(t time.Time) error { return s.p.SetReadDeadline(t) }

// pipeErr makes the error of a closed pipe the error of a closed net.Conn.
func pipeErr(op string, err error) error {
	if errors.Is(err, io.ErrClosedPipe) {
		return errClosedStream(op)
	}
	return err
}

// errClosedStream is the error of op on a stream already closed.
func errClosedStream(op string) error {
	return &net.OpError{Op: op, Net: "http2", Err: net.ErrClosed}
}

// clientStream is a client's HTTP/2 stream as a net.Conn. Writes go
// through a pipe that net/http's HTTP/2 client reads the request body
// from, a DATA frame per write.
type clientStream struct {
	streamReader
	body          *requestBody
	resp          io.ReadCloser
	cancel        context.CancelFunc
	local, remote net.Addr
	frames        frameTracker // only the writing goroutine uses it
	closeOnce     sync.Once
}

func (s *clientStream) Write(p []byte) (int, error) {
	t := s.frames
	if t.advance(p) && t.closeSent() {
		// Nothing follows a close frame: end our side of the stream with
		// END_STREAM, as a TCP connection would be half closed, in the
		// DATA frame that carries the close frame's end.
		if !s.body.end(p) {
			return 0, errClosedStream("write")
		}
		s.frames = t
		return len(p), nil
	}
	n, err := s.body.w.Write(p)
	if err != nil {
		return n, pipeErr("write", err)
	}
	s.frames = t
	return n, nil
}

// h2CloseWait bounds how long an orderly close waits for net/http to send
// the END_STREAM flag before the stream is reset.
const h2CloseWait = time.Second

// Close ends the stream: with END_STREAM once the server has ended its
// side, with RST_STREAM (CANCEL) otherwise.
//
// Closing the response body makes net/http reset the stream unless it has
// both sent our END_STREAM and received the server's. So when the server
// has ended its side, Close first waits, at most h2CloseWait, for net/http
// to be done writing the request body: it is once it has sent END_STREAM,
// or given up because the server reset the stream.
func (s *clientStream) Close() error {
	err := errClosedStream("close")
	s.closeOnce.Do(func() {
		err = nil
		if s.sawEOF() {
			// The close frame has ended the body already, unless none
			// was sent: net/http reads the end and sends END_STREAM.
			s.body.closeWrite()
			t := time.NewTimer(h2CloseWait)
			select {
			case <-s.body.wrote:
			case <-t.C:
			}
			t.Stop()
		}
		// The response body before the request body's end: net/http,
		// aborting the stream, then stops writing the request body,
		// where it would take the end for an END_STREAM to send.
		s.resp.Close()
		s.cancel()
		s.body.closeWrite()
		s.stop()
	})
	return err
}

func (s *clientStream) LocalAddr() net.Addr                { return orAddr(s.local) }
func (s *clientStream) RemoteAddr() net.Addr               { return orAddr(s.remote) }
func (s *clientStream) SetWriteDeadline(t time.Time) error { return s.body.w.SetWriteDeadline(t) }
func (s *clientStream) SetDeadline(t time.Time) error {
	s.SetReadDeadline(t)
	return s.SetWriteDeadline(t)
}

var errStreamEnded = errors.New("websocket: HTTP/2 stream ended: the handler returned or the client reset the stream")

// serverStream is a server's HTTP/2 stream as a net.Conn. Writes go to the
// ResponseWriter, flushed at the end of each WebSocket frame, so that a
// frame written at once travels in one DATA frame when it fits.
type serverStream struct {
	streamReader
	w             http.ResponseWriter
	rc            *http.ResponseController
	c             *Conn
	frames        frameTracker // only the writing goroutine uses it
	local, remote net.Addr

	// wmu is held by a write for as long as it uses w and rc, so that
	// Close returns only once no write uses them: the handler may return
	// then, after which net/http forbids using w.
	wmu sync.Mutex

	mu      sync.Mutex
	wdl     time.Time // the write deadline
	writing bool      // a write is in progress
	armed   bool      // the write deadline is set on rc
	closed  bool
	ended   bool  // the stream is over: w and rc must not be used
	broken  error // a write failed, so the stream is unusable
}

func (s *serverStream) Write(p []byte) (int, error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.mu.Lock()
	switch {
	case s.closed:
		s.mu.Unlock()
		return 0, errClosedStream("write")
	case s.ended:
		s.mu.Unlock()
		return 0, errStreamEnded
	case s.broken != nil:
		s.mu.Unlock()
		return 0, s.broken
	case !s.wdl.IsZero() && !time.Now().Before(s.wdl):
		s.mu.Unlock()
		return 0, &net.OpError{Op: "write", Net: "http2", Err: os.ErrDeadlineExceeded}
	}
	s.writing = true
	if !s.wdl.IsZero() {
		// net/http resets the stream if the deadline passes.
		s.rc.SetWriteDeadline(s.wdl)
		s.armed = true
	}
	s.mu.Unlock()

	n, err := s.w.Write(p)
	if err == nil && s.frames.advance(p) {
		err = s.rc.Flush()
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	s.writing = false
	expired := s.armed && !time.Now().Before(s.wdl)
	if s.armed && !s.ended {
		s.rc.SetWriteDeadline(time.Time{})
	}
	s.armed = false
	switch {
	case err == nil:
		return n, nil
	case s.closed:
		return n, errClosedStream("write")
	case expired:
		s.broken = &net.OpError{Op: "write", Net: "http2", Err: streamResetAtDeadline{}}
	default:
		// The stream is reset or gone: report it as such, not as a
		// timeout that would leave the connection usable.
		s.broken = fmt.Errorf("websocket: HTTP/2 stream: %v", err)
	}
	return n, s.broken
}

// streamResetAtDeadline is the error of a write during which the write
// deadline passed, so that net/http reset the stream. It matches
// os.ErrDeadlineExceeded but is no timeout: the stream cannot be used again.
type streamResetAtDeadline struct{}

func (streamResetAtDeadline) Error() string {
	return "HTTP/2 stream reset: write deadline exceeded"
}
func (streamResetAtDeadline) Timeout() bool   { return false }
func (streamResetAtDeadline) Temporary() bool { return false }
func (streamResetAtDeadline) Unwrap() error   { return os.ErrDeadlineExceeded }

func (s *serverStream) SetWriteDeadline(t time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.wdl = t
	if s.writing && !s.ended {
		s.rc.SetWriteDeadline(t)
		s.armed = !t.IsZero()
	}
	return nil
}

func (s *serverStream) SetDeadline(t time.Time) error {
	s.SetReadDeadline(t)
	return s.SetWriteDeadline(t)
}

// Close ends the connection's use of the stream. After the closing
// handshake the stream ends with END_STREAM when the handler returns; a
// close without it, or while a write is blocked, resets the stream
// (net/http sends RST_STREAM with INTERNAL_ERROR, as it lets a handler
// choose no other code).
func (s *serverStream) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return errClosedStream("close")
	}
	s.closed = true
	if !s.ended {
		orderly := s.sawEOF() || s.c.peerClose.Load() != nil
		// The reading goroutine is blocked in the body: end it.
		s.rc.SetReadDeadline(aLongTimeAgo)
		if s.writing || !orderly {
			s.rc.SetWriteDeadline(aLongTimeAgo)
		}
	}
	s.mu.Unlock()
	// A write under way has been cut off by the deadline; wait for it to
	// let go of w.
	s.wmu.Lock()
	s.wmu.Unlock()
	s.stop()
	return nil
}

func (s *serverStream) LocalAddr() net.Addr  { return orAddr(s.local) }
func (s *serverStream) RemoteAddr() net.Addr { return orAddr(s.remote) }

// stringAddr is a net.Addr known only by its string form.
type stringAddr string

func (a stringAddr) Network() string { return "tcp" }
func (a stringAddr) String() string  { return string(a) }

func orAddr(a net.Addr) net.Addr {
	if a == nil {
		return stringAddr("")
	}
	return a
}

// frameTracker follows the WebSocket frames in a stream of bytes written,
// to tell when the bytes so far end a frame.
type frameTracker struct {
	remain int64 // payload bytes still to come in the current frame
	op     Opcode
	hdr    [MaxFrameHeaderSize]byte
	nh     int // header bytes gathered
}

// closeSent reports whether the bytes so far end with a whole close frame.
func (t *frameTracker) closeSent() bool { return t.op == OpClose && t.remain == 0 && t.nh == 0 }

// advance takes the next bytes written and reports whether they end at a
// frame boundary.
func (t *frameTracker) advance(p []byte) bool {
	for len(p) > 0 {
		if t.remain > 0 {
			k := min(int64(len(p)), t.remain)
			t.remain -= k
			p = p[k:]
			continue
		}
		// Gather the header, with perhaps some payload after it, and let
		// ParseFrameHeader tell its size: one look at it per frame.
		k := copy(t.hdr[t.nh:], p)
		h, n, err := ParseFrameHeader(t.hdr[:t.nh+k])
		if err == ErrShortFrameHeader {
			t.nh += k // p was shorter than the header's rest
			return false
		}
		p = p[n-t.nh:]
		t.nh = 0
		if err == nil {
			t.remain, t.op = h.Length, h.Opcode
		}
	}
	return t.remain == 0 && t.nh == 0
}
