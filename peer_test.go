package websocket

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// This file holds a scripted raw peer: our own minimal WebSocket endpoint on
// a plain net.Conn that writes exact bytes and reads back exactly what the
// package sends, so that tests can check the package's behaviour on the wire.

// peerTimeout bounds every wait of a raw peer, so a broken test fails
// instead of hanging. It is a safety net, not a measurement.
const peerTimeout = 10 * time.Second

// rawPeer is the far end of a connection under test.
type rawPeer struct {
	t      testing.TB
	nc     net.Conn
	br     *bufio.Reader
	client bool // the peer plays the client, so it masks what it sends
}

// frame encodes one frame as this peer would send it: masked with a fixed
// key when the peer is the client.
func (p *rawPeer) frame(fin bool, op Opcode, payload []byte) []byte {
	h := Header{Fin: fin, Opcode: op, Length: int64(len(payload))}
	if p.client {
		h.Masked = true
		h.Mask = [4]byte{0x12, 0x34, 0x56, 0x78}
	}
	return encodeFrame(h, payload)
}

// encodeFrame encodes a frame with header h (its Length as given, which
// tests may set to lie) and payload, masking the payload when h says so.
func encodeFrame(h Header, payload []byte) []byte {
	b := AppendHeader(nil, h)
	start := len(b)
	b = append(b, payload...)
	if h.Masked {
		Mask(h.Mask, 0, b[start:])
	}
	return b
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
func (p *rawPeer) readFrame() (Header, []byte, error) {
	return p.readFrameWithin(peerTimeout)
}

// readFrameWithin is readFrame giving the frame's header d to arrive
// instead of peerTimeout.
func (p *rawPeer) readFrameWithin(d time.Duration) (Header, []byte, error) {
	p.nc.SetReadDeadline(time.Now().Add(d))
	h, err := ReadHeader(p.br)
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
// (0 for an empty payload), answers it unless the package began the
// handshake, and then checks that the package closes TCP.
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

func isConnReset(err error) bool {
	return err != nil && strings.Contains(err.Error(), "connection reset")
}

func (p *rawPeer) close() { p.nc.Close() }

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
	if loop == nil {
		loop = echoServe
	}
	s := &serverUnderTest{conn: make(chan *Conn, 1), done: make(chan error, 1)}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := Accept(w, r, nil)
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

// result waits for the server's handler to end.
func (s *serverUnderTest) result(t testing.TB) error {
	t.Helper()
	select {
	case err := <-s.done:
		return err
	case <-time.After(peerTimeout):
		t.Fatal("server handler did not return")
		return nil
	}
}

// url returns the server's ws:// URL.
func (s *serverUnderTest) url() string { return "ws" + strings.TrimPrefix(s.srv.URL, "http") }

// dialRaw opens a raw client connection to s and completes the opening
// handshake by hand.
func (s *serverUnderTest) dialRaw(t testing.TB) *rawPeer {
	t.Helper()
	nc, err := net.Dial("tcp", s.srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	key := "dGhlIHNhbXBsZSBub25jZQ=="
	req := "GET / HTTP/1.1\r\nHost: " + s.srv.Listener.Addr().String() +
		"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + key + "\r\n\r\n"
	nc.SetDeadline(time.Now().Add(peerTimeout))
	if _, err := io.WriteString(nc, req); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(nc)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols || resp.Header.Get("Sec-WebSocket-Accept") != AcceptKey(key) {
		t.Fatalf("handshake refused: %s %v", resp.Status, resp.Header)
	}
	nc.SetDeadline(time.Time{})
	return &rawPeer{t: t, nc: nc, br: br, client: true}
}

// clientUnderTest is our client connected to a raw peer playing the server.
type clientUnderTest struct {
	conn *Conn
	peer *rawPeer
	done chan error // what the client's loop ended with
}

// startClient listens on loopback, dials it with our client, plays the
// server side of the opening handshake by hand, and runs loop (echoServe
// when nil) on the client connection after setup.
func startClient(t testing.TB, setup func(*Conn), loop func(*Conn) error) *clientUnderTest {
	t.Helper()
	if loop == nil {
		loop = echoServe
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	peerc := make(chan *rawPeer, 1)
	errc := make(chan error, 1)
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			errc <- err
			return
		}
		nc.SetDeadline(time.Now().Add(peerTimeout))
		br := bufio.NewReader(nc)
		req, err := http.ReadRequest(br)
		if err != nil {
			nc.Close()
			errc <- err
			return
		}
		resp := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
			AcceptKey(req.Header.Get("Sec-WebSocket-Key")) + "\r\n\r\n"
		if _, err := io.WriteString(nc, resp); err != nil {
			nc.Close()
			errc <- err
			return
		}
		nc.SetDeadline(time.Time{})
		peerc <- &rawPeer{t: t, nc: nc, br: br}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), peerTimeout)
	defer cancel()
	c, _, err := Dial(ctx, "ws://"+ln.Addr().String()+"/", nil)
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
	select {
	case err := <-cu.done:
		return err
	case <-time.After(peerTimeout):
		t.Fatal("client loop did not return")
		return nil
	}
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
