package websocket

// The shared harness of the package's tests, in two kinds. A pair of
// connected Conns, both of this package: over loopback TCP after a real
// opening handshake (wsPair, startServer, transports), or over net.Pipe
// without one (pipePair, signalPipe). And a raw peer (rawPeer): our own
// minimal WebSocket endpoint on a plain net.Conn, which writes exact bytes
// and reads back exactly what the package sends, so that tests can check
// the package's behaviour on the wire; it plays the client (rawDial,
// serverUnderTest.dialRaw) or the server (rawListen, startClient), and
// makeSide and bothSides put it against either of our sides.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// peerTimeout bounds every wait of the harness and of the tests that use
// it, so a broken test fails instead of hanging. It is a safety net, not a
// measurement.
const peerTimeout = 10 * time.Second

// hsKey is the sample nonce of RFC 6455 sections 1.3 and 4.2.2.
const hsKey = "dGhlIHNhbXBsZSBub25jZQ=="

// await returns what ch delivers. The bound is not part of what is tested:
// it only turns a hang into a failure that names what hung.
func await[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(peerTimeout):
		t.Fatalf("%s: still waiting after %v", what, peerTimeout)
		panic("unreachable")
	}
}

// awaitGroup waits for wg, failing the test if it takes longer than
// peerTimeout.
func awaitGroup(t testing.TB, wg *sync.WaitGroup, what string) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(peerTimeout):
		t.Errorf("%s did not finish", what)
	}
}

// noProxy is a DialOptions.Proxy that dials directly.
func noProxy(*http.Request) (*url.URL, error) { return nil, nil }

// ---------------------------------------------------------------------
// Pairs of connected Conns.

// serverUnderTest is our server, run by an httptest.Server, with the
// result of its handler.
type serverUnderTest struct {
	srv  *httptest.Server
	conn chan *Conn // the accepted connection
	done chan error // what the handler's loop ended with
}

// startServer starts an httptest.Server whose handler accepts, lets setup
// adjust the connection, then runs loop (echoServe when nil) and reports
// its error.
func startServer(t testing.TB, setup func(*Conn), loop func(*Conn) error) *serverUnderTest {
	t.Helper()
	return serveConn(t, nil, setup, loop)
}

// serveConn is startServer with opts given to Accept.
func serveConn(t testing.TB, opts *AcceptOptions, setup func(*Conn), loop func(*Conn) error) *serverUnderTest {
	t.Helper()
	if loop == nil {
		loop = echoServe
	}
	s := &serverUnderTest{conn: make(chan *Conn, 1), done: make(chan error, 1)}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := Accept(w, r, opts)
		if err != nil {
			s.done <- err
			return
		}
		if setup != nil {
			setup(c)
		}
		s.conn <- c
		s.done <- loop(c)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

// result waits for the server's handler to end.
func (s *serverUnderTest) result(t testing.TB) error {
	t.Helper()
	return await(t, s.done, "the server's handler")
}

// url returns the server's ws:// URL.
func (s *serverUnderTest) url() string { return "ws" + strings.TrimPrefix(s.srv.URL, "http") }

// echoServe echoes every message with its type until reading fails.
func echoServe(c *Conn) error {
	ctx := context.Background()
	var buf []byte
	for {
		typ, msg, err := c.ReadMessage(ctx, buf)
		if err != nil {
			return err
		}
		if err := c.WriteMessage(ctx, typ, msg); err != nil {
			return err
		}
		buf = msg
	}
}

// wsPair connects a client to a server over loopback TCP, both of this
// package, with the compression options given to each (nil for none).
func wsPair(t testing.TB, srvZ, cliZ *CompressionOptions) (srv, cli *Conn) {
	t.Helper()
	s := serveConn(t, &AcceptOptions{Compression: srvZ}, nil, func(*Conn) error { return nil })
	cli, _, err := Dial(context.Background(), s.url(), &DialOptions{Compression: cliZ})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	srv = await(t, s.conn, "the accepted connection")
	t.Cleanup(func() { cli.CloseNow(); srv.CloseNow() })
	return srv, cli
}

// pipePair returns a server and a client connection joined by net.Pipe, on
// which a write blocks until the other side reads: a peer that does not
// read is as slow as can be.
func pipePair(t *testing.T) (srv, cli *Conn) {
	srv, cli, _ = signalPipe(t)
	return srv, cli
}

// signalConn is a net.Conn that puts a token in writes as each Write
// begins, while writes has room.
type signalConn struct {
	net.Conn
	writes chan struct{}
}

func (c *signalConn) Write(p []byte) (int, error) {
	select {
	case c.writes <- struct{}{}:
	default:
	}
	return c.Conn.Write(p)
}

// signalPipe is pipePair, and tells when the server begins a write to the
// net.Conn: a token arrives on writes as each begins.
func signalPipe(t *testing.T) (srv, cli *Conn, writes <-chan struct{}) {
	a, b := net.Pipe()
	sc := &signalConn{Conn: a, writes: make(chan struct{}, 64)}
	srv = newConn(sc, false, "", nil)
	cli = newConn(b, true, "", nil)
	srv.SetCloseTimeout(time.Second)
	cli.SetCloseTimeout(time.Second)
	t.Cleanup(func() { srv.CloseNow(); cli.CloseNow() })
	return srv, cli, sc.writes
}

// pipeListener is an in-memory net.Listener whose connections are
// net.Pipe pairs.
type pipeListener struct {
	conns  chan net.Conn
	closed chan struct{}
	once   sync.Once
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), closed: make(chan struct{})}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return pipeAddr{} }

func (l *pipeListener) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-l.closed:
		return nil, net.ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "pipe" }

// transports lists the ways our client can reach our server: real loopback
// TCP, and an in-memory pipe under a real http.Server.
func transports(t *testing.T, handler http.Handler) map[string]func() (*Conn, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tcpSrv := &http.Server{Handler: handler}
	go tcpSrv.Serve(ln)
	pl := newPipeListener()
	pipeSrv := &http.Server{Handler: handler}
	go pipeSrv.Serve(pl)
	t.Cleanup(func() { tcpSrv.Close(); pipeSrv.Close() })
	dial := func(url string, nd func(context.Context, string, string) (net.Conn, error)) (*Conn, error) {
		ctx, cancel := context.WithTimeout(context.Background(), peerTimeout)
		defer cancel()
		c, _, err := Dial(ctx, url, &DialOptions{NetDialContext: nd})
		return c, err
	}
	return map[string]func() (*Conn, error){
		"tcp":  func() (*Conn, error) { return dial("ws://"+ln.Addr().String()+"/", nil) },
		"pipe": func() (*Conn, error) { return dial("ws://pipe.test/", pl.dial) },
	}
}

// eachTransport runs f in a subtest per transport, with our client
// connected to handler through it, and closes the connection when f
// returns.
func eachTransport(t *testing.T, handler http.Handler, f func(t *testing.T, c *Conn)) {
	for name, dial := range transports(t, handler) {
		t.Run(name, func(t *testing.T) {
			c, err := dial()
			if err != nil {
				t.Fatal(err)
			}
			defer c.CloseNow()
			f(t, c)
		})
	}
}

// echoHandler accepts and echoes until the connection ends.
func echoHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		echoServe(c)
	})
}

// writePieces sends msg as one message of type typ through NextWriter, in
// writes of piece bytes.
func writePieces(ctx context.Context, c *Conn, typ MessageType, msg []byte, piece int) error {
	w, err := c.NextWriter(ctx, typ)
	if err != nil {
		return err
	}
	for rest := msg; len(rest) > 0; {
		k := min(len(rest), piece)
		if _, err := w.Write(rest[:k]); err != nil {
			w.Close()
			return err
		}
		rest = rest[k:]
	}
	return w.Close()
}

// compressible returns n bytes of text that compresses well but differs
// with seed.
func compressible(seed string, n int) []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < n; i++ {
		b.WriteString(seed)
		b.WriteString(" says hello to room number ")
		b.WriteByte(byte('0' + i%10))
		b.WriteString("; ")
	}
	return b.Bytes()[:n]
}

// ---------------------------------------------------------------------
// Raw peers.

// rawPeer is the far end of a connection under test.
type rawPeer struct {
	t      testing.TB
	nc     net.Conn
	br     *bufio.Reader
	client bool // the peer plays the client, so it masks what it sends
}

// rawDial opens a raw client connection to addr, closed when the test
// ends, on which the test writes every byte, the opening handshake's too.
// The whole connection is bounded by peerTimeout until a wait of the peer
// sets a deadline of its own.
func rawDial(t testing.TB, addr string) *rawPeer {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(peerTimeout))
	return &rawPeer{t: t, nc: nc, br: bufio.NewReader(nc), client: true}
}

// dialRaw opens a raw client connection to s and completes the opening
// handshake by hand.
func (s *serverUnderTest) dialRaw(t testing.TB) *rawPeer {
	t.Helper()
	addr := s.srv.Listener.Addr().String()
	p := rawDial(t, addr)
	resp, _ := p.roundTrip(http.MethodGet, "GET / HTTP/1.1\r\nHost: "+addr+
		"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: "+hsKey+"\r\n\r\n")
	if resp.StatusCode != http.StatusSwitchingProtocols || resp.Header.Get("Sec-WebSocket-Accept") != AcceptKey(hsKey) {
		t.Fatalf("handshake refused: %s %v", resp.Status, resp.Header)
	}
	p.nc.SetDeadline(time.Time{})
	return p
}

// readResponse reads the head of the response to a request of the given
// method.
func (p *rawPeer) readResponse(method string) *http.Response {
	p.t.Helper()
	resp, err := http.ReadResponse(p.br, &http.Request{Method: method})
	if err != nil {
		p.t.Fatalf("reading the response: %v", err)
	}
	return resp
}

// roundTrip sends req in one write and reads the response and its whole
// body: none for a 101, after which comes the WebSocket stream.
func (p *rawPeer) roundTrip(method, req string) (*http.Response, []byte) {
	p.t.Helper()
	p.write([]byte(req))
	resp := p.readResponse(method)
	if resp.StatusCode == http.StatusSwitchingProtocols {
		return resp, nil
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		p.t.Fatalf("reading the response body: %v", err)
	}
	return resp, body
}

// rawServer is a raw TCP server on 127.0.0.1. Each connection is handed
// to handle in a goroutine of its own, with a deadline of peerTimeout, and
// closed when handle returns. Cleanup closes the listener and every
// connection and waits for the goroutines.
type rawServer struct {
	ln   net.Listener
	addr string
	wg   sync.WaitGroup

	mu     sync.Mutex
	conns  []net.Conn
	closed bool
}

func rawListen(t testing.TB, handle func(nc net.Conn)) *rawServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &rawServer{ln: ln, addr: ln.Addr().String()}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			if !s.track(nc) {
				return
			}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer nc.Close()
				nc.SetDeadline(time.Now().Add(peerTimeout))
				handle(nc)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		s.mu.Lock()
		s.closed = true
		for _, c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
		awaitGroup(t, &s.wg, "raw test server")
	})
	return s
}

// track registers c to be closed at cleanup; it reports false, having
// closed c, when cleanup has begun.
func (s *rawServer) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		c.Close()
		return false
	}
	s.conns = append(s.conns, c)
	return true
}

// clientUnderTest is our client connected to a raw peer playing the server.
type clientUnderTest struct {
	conn *Conn
	peer *rawPeer
	done chan error // what the client's loop ended with
}

// startClient dials a raw server (rawListen) with our client, plays the
// server side of the opening handshake by hand, and runs loop (echoServe
// when nil) on the client connection after setup.
func startClient(t testing.TB, setup func(*Conn), loop func(*Conn) error) *clientUnderTest {
	t.Helper()
	if loop == nil {
		loop = echoServe
	}
	peerc := make(chan *rawPeer, 1)
	errc := make(chan error, 1)
	release := make(chan struct{})
	srv := rawListen(t, func(nc net.Conn) {
		br := bufio.NewReader(nc)
		req, err := http.ReadRequest(br)
		if err == nil {
			resp := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
				AcceptKey(req.Header.Get("Sec-WebSocket-Key")) + "\r\n\r\n"
			_, err = io.WriteString(nc, resp)
		}
		if err != nil {
			select {
			case errc <- err:
			default:
			}
			return
		}
		nc.SetDeadline(time.Time{})
		peerc <- &rawPeer{t: t, nc: nc, br: br}
		<-release // the connection is the test's until it ends
	})
	t.Cleanup(func() { close(release) })
	ctx, cancel := context.WithTimeout(context.Background(), peerTimeout)
	defer cancel()
	c, _, err := Dial(ctx, "ws://"+srv.addr+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	var peer *rawPeer
	select {
	case peer = <-peerc:
	case err := <-errc:
		t.Fatal(err)
	}
	t.Cleanup(func() { peer.close(); c.CloseNow() })
	if setup != nil {
		setup(c)
	}
	cu := &clientUnderTest{conn: c, peer: peer, done: make(chan error, 1)}
	go func() { cu.done <- loop(c) }()
	return cu
}

// result waits for the client's loop to end.
func (cu *clientUnderTest) result(t testing.TB) error {
	t.Helper()
	return await(t, cu.done, "the client's loop")
}

// side is a connection under test seen from the raw peer: our server with
// a raw client, or our client with a raw server.
type side struct {
	name   string
	peer   *rawPeer
	result func() error
}

// makeSide starts a connection under test in the given role ("server" or
// "client"), set up with setup and running loop (an echo when nil), and
// returns it as the raw peer sees it.
func makeSide(t *testing.T, role string, setup func(*Conn), loop func(*Conn) error) side {
	t.Helper()
	if role == "server" {
		s := startServer(t, setup, loop)
		peer := s.dialRaw(t)
		return side{name: role, peer: peer, result: func() error { return s.result(t) }}
	}
	cu := startClient(t, setup, loop)
	return side{name: role, peer: cu.peer, result: func() error { return cu.result(t) }}
}

// bothSides runs f against our server and against our client, each set up
// with setup and running loop (an echo when nil).
func bothSides(t *testing.T, setup func(*Conn), loop func(*Conn) error, f func(t *testing.T, s side)) {
	for _, role := range []string{"server", "client"} {
		t.Run(role, func(t *testing.T) {
			f(t, makeSide(t, role, setup, loop))
		})
	}
}

// frame encodes one frame as this peer would send it: masked with a fixed
// key when the peer is the client.
func (p *rawPeer) frame(fin bool, op Opcode, payload []byte) []byte {
	h := FrameHeader{Fin: fin, Opcode: op, Length: int64(len(payload))}
	if p.client {
		h.Masked = true
		h.Mask = [4]byte{0x12, 0x34, 0x56, 0x78}
	}
	return encodeFrame(h, payload)
}

// encodeFrame encodes a frame with header h (its Length as given, which
// tests may set to lie) and payload, masking the payload when h says so.
func encodeFrame(h FrameHeader, payload []byte) []byte {
	b := AppendFrameHeader(nil, h)
	start := len(b)
	b = append(b, payload...)
	if h.Masked {
		Mask(h.Mask, 0, b[start:])
	}
	return b
}

// closePayload is the payload of a close frame with code and reason.
func closePayload(code StatusCode, reason string) []byte {
	return AppendClosePayload(nil, code, reason)
}

// write sends b in one write.
func (p *rawPeer) write(b []byte) {
	p.t.Helper()
	p.nc.SetWriteDeadline(time.Now().Add(peerTimeout))
	if _, err := p.nc.Write(b); err != nil {
		p.t.Fatalf("raw peer write: %v", err)
	}
}

// writeChunks sends b in pieces of n bytes, pausing between them so that
// each tends to arrive in a read of its own.
func (p *rawPeer) writeChunks(b []byte, n int, pause time.Duration) {
	p.t.Helper()
	for len(b) > 0 {
		k := min(n, len(b))
		p.write(b[:k])
		b = b[k:]
		if pause > 0 {
			time.Sleep(pause)
		}
	}
}

// send sends one frame.
func (p *rawPeer) send(fin bool, op Opcode, payload []byte) {
	p.t.Helper()
	p.write(p.frame(fin, op, payload))
}

// readFrame reads the next frame from the package, checking that its
// masking fits the package's role, and returns it unmasked.
func (p *rawPeer) readFrame() (FrameHeader, []byte, error) {
	return p.readFrameWithin(peerTimeout)
}

// readFrameWithin is readFrame giving the frame's header d to arrive
// instead of peerTimeout.
func (p *rawPeer) readFrameWithin(d time.Duration) (FrameHeader, []byte, error) {
	p.nc.SetReadDeadline(time.Now().Add(d))
	h, err := ReadFrameHeader(p.br)
	if err != nil {
		return h, nil, err
	}
	payload := make([]byte, h.Length)
	if _, err := io.ReadFull(p.br, payload); err != nil {
		return h, nil, err
	}
	if h.Masked {
		Mask(h.Mask, 0, payload)
	}
	if h.Masked == p.client {
		return h, payload, errors.New("frame masked wrongly for the sender's role")
	}
	return h, payload, nil
}

// expectFrame reads a frame and checks its opcode, FIN bit and payload.
func (p *rawPeer) expectFrame(fin bool, op Opcode, payload []byte) {
	p.t.Helper()
	h, got, err := p.readFrame()
	if err != nil {
		p.t.Fatalf("reading frame: %v", err)
	}
	if h.Fin != fin || h.Opcode != op || !bytes.Equal(got, payload) {
		p.t.Fatalf("got frame fin=%v %v %s; want fin=%v %v %s", h.Fin, h.Opcode, abbrev(got), fin, op, abbrev(payload))
	}
	if h.Rsv1 || h.Rsv2 || h.Rsv3 {
		p.t.Fatalf("frame has reserved bits set: %+v", h)
	}
}

// expectMessage reads frames up to the end of a data message and checks
// its type and payload.
func (p *rawPeer) expectMessage(op Opcode, payload []byte) {
	p.t.Helper()
	var msg []byte
	first := true
	for {
		h, got, err := p.readFrame()
		if err != nil {
			p.t.Fatalf("reading message: %v", err)
		}
		want := op
		if !first {
			want = OpContinuation
		}
		if h.Opcode != want {
			p.t.Fatalf("got %v frame, want %v (payload %s)", h.Opcode, want, abbrev(got))
		}
		first = false
		msg = append(msg, got...)
		if h.Fin {
			break
		}
	}
	if !bytes.Equal(msg, payload) {
		p.t.Fatalf("got message %s, want %s", abbrev(msg), abbrev(payload))
	}
}

// expectClose reads the next frame, which must be a close frame with code
// (0 for an empty payload).
func (p *rawPeer) expectClose(code StatusCode) {
	p.t.Helper()
	h, payload, err := p.readFrame()
	if err != nil {
		p.t.Fatalf("waiting for close frame with %v: %v", code, err)
	}
	if h.Opcode != OpClose {
		p.t.Fatalf("got %v frame %s, want close with %v", h.Opcode, abbrev(payload), code)
	}
	got := StatusCode(0)
	if len(payload) >= 2 {
		got = StatusCode(payload[0])<<8 | StatusCode(payload[1])
	}
	if got != code {
		p.t.Fatalf("got close code %v (payload %q), want %v", got, payload, code)
	}
}

// expectTCPClosed checks that the package closes the TCP connection,
// reading and dropping anything before the end.
func (p *rawPeer) expectTCPClosed() {
	p.t.Helper()
	p.nc.SetReadDeadline(time.Now().Add(peerTimeout))
	n, err := io.Copy(io.Discard, p.br)
	if err != nil && !isConnReset(err) {
		p.t.Fatalf("waiting for TCP close: %v (after %d bytes)", err, n)
	}
	if n != 0 {
		p.t.Fatalf("%d bytes arrived after the close frame", n)
	}
}

// expectNothingWithin checks that the package sends nothing and keeps the
// TCP connection open for d. What arrives later is left to be read.
func (p *rawPeer) expectNothingWithin(d time.Duration) {
	p.t.Helper()
	p.nc.SetReadDeadline(time.Now().Add(d))
	if _, err := p.br.Peek(1); err == nil {
		b, _ := p.br.Peek(p.br.Buffered())
		p.t.Fatalf("got %d bytes (% x) while expecting nothing for %v", len(b), b[:min(len(b), 16)], d)
	} else if !isTimeout(err) {
		p.t.Fatalf("connection ended (%v) while expecting nothing for %v", err, d)
	}
}

// writeMayFail sends b in one write, like write, but returns an error
// instead of failing the test: for bytes sent when the package may already
// have closed the connection, as the RFC allows it to.
func (p *rawPeer) writeMayFail(b []byte) error {
	p.nc.SetWriteDeadline(time.Now().Add(peerTimeout))
	_, err := p.nc.Write(b)
	return err
}

func (p *rawPeer) close() { p.nc.Close() }

// finishFailure completes, from the raw peer, the closing handshake that
// the package began by failing the connection with code: it expects the
// close frame, answers it, and expects TCP to be closed. It returns the
// error the package's loop ended with, which must be a *ProtocolError with
// code.
func finishFailure(t *testing.T, s side, code StatusCode) {
	t.Helper()
	s.peer.expectClose(code)
	finishAfterClose(t, s, code)
}

// finishAfterClose is finishFailure once the close frame has been read.
func finishAfterClose(t *testing.T, s side, code StatusCode) {
	t.Helper()
	s.peer.send(true, OpClose, closePayload(code, ""))
	if s.name == "client" {
		// The server closes TCP first (section 7.1.1).
		s.peer.nc.(*net.TCPConn).CloseWrite()
	}
	s.peer.expectTCPClosed()
	err := s.result()
	var pe *ProtocolError
	if !errors.As(err, &pe) || pe.Code != code {
		t.Fatalf("loop ended with %v, want a ProtocolError with %v", err, code)
	}
}

func isConnReset(err error) bool {
	return err != nil && strings.Contains(err.Error(), "connection reset")
}

func abbrev(b []byte) string {
	if len(b) > 40 {
		return strings.TrimSpace(string(b[:40])) + "…(" + itoa(len(b)) + " bytes)"
	}
	return string(b)
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}
