package websocket

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// ---------------------------------------------------------------------------
// The raw peer with permessage-deflate negotiated.

// pmdParams are negotiated permessage-deflate parameters, as the test reads
// them from a Sec-WebSocket-Extensions response with its own parser.
type pmdParams struct {
	serverNoContext, clientNoContext bool
	serverBits, clientBits           int // 15 when absent
}

// parsePMD reads the single permessage-deflate element of a response.
// Absent window bits mean 15.
func parsePMD(ext string) (pmdParams, error) {
	p := pmdParams{serverBits: 15, clientBits: 15}
	m, err := pmdElement(ext)
	if err != nil {
		return p, err
	}
	for name, v := range m {
		switch name {
		case "server_no_context_takeover":
			p.serverNoContext = true
		case "client_no_context_takeover":
			p.clientNoContext = true
		case "server_max_window_bits", "client_max_window_bits":
			n, err := strconv.Atoi(v)
			if err != nil || n < 8 || n > 15 {
				return p, fmt.Errorf("%s=%q", name, v)
			}
			if name == "server_max_window_bits" {
				p.serverBits = n
			} else {
				p.clientBits = n
			}
		default:
			return p, fmt.Errorf("unexpected parameter %q", name)
		}
	}
	return p, nil
}

// pmdElement splits one permessage-deflate element into its parameters,
// unquoting values; a parameter without a value maps to "". It is the
// test's own reading, independent of the package's parser, and only as
// strict as the package's output calls for.
func pmdElement(ext string) (map[string]string, error) {
	if strings.Contains(ext, ",") {
		return nil, fmt.Errorf("%q has more than one element", ext)
	}
	parts := strings.Split(ext, ";")
	if strings.TrimSpace(parts[0]) != "permessage-deflate" {
		return nil, fmt.Errorf("%q is not permessage-deflate", ext)
	}
	m := make(map[string]string)
	for _, part := range parts[1:] {
		name, value, _ := strings.Cut(part, "=")
		name, value = strings.TrimSpace(name), strings.Trim(strings.TrimSpace(value), `"`)
		if _, dup := m[name]; dup || name == "" {
			return nil, fmt.Errorf("%q: parameter %q empty or repeated", ext, name)
		}
		m[name] = value
	}
	return m, nil
}

// zcfg configures a connection under test with compression.
type zcfg struct {
	// server is Accept's Compression (our server), or the options the raw
	// server answers with (our client) through acceptDeflate.
	server *CompressionOptions
	// client is Dial's Compression (our client), or the options whose
	// offer the raw client sends (our server).
	client *CompressionOptions
	// offer replaces the raw client's offer when non-empty.
	offer string
	// answer, when non-nil, gives the raw server's Sec-WebSocket-Extensions
	// ("" for none) instead of server.
	answer func(offers []string) string
	setup  func(*Conn)
	loop   func(*Conn) error // echoServe when nil
	level  int               // the raw peer's compress/flate level; 0 means 6
}

// zpeer is the raw peer of a connection under test, with the codec for the
// permessage-deflate parameters negotiated.
type zpeer struct {
	*rawPeer
	t      testing.TB
	role   string // our side's role
	conn   *Conn  // our side
	result func() error
	ext    string // the response's Sec-WebSocket-Extensions
	params pmdParams
	enc    *peerEncoder // the raw peer's messages
	dec    *peerDecoder // our side's messages
}

func (z *zpeer) side() side { return side{name: z.role, peer: z.rawPeer, result: z.result} }

// makeZPeer starts our side in role ("server" or "client") with compression
// configured by cfg, and returns its raw peer.
func makeZPeer(t testing.TB, role string, cfg zcfg) *zpeer {
	t.Helper()
	loop := cfg.loop
	if loop == nil {
		loop = echoServe
	}
	z := &zpeer{t: t, role: role}
	if role == "server" {
		conns := make(chan *Conn, 1)
		done := make(chan error, 1)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, err := Accept(w, r, &AcceptOptions{Compression: cfg.server})
			if err != nil {
				done <- err
				return
			}
			if cfg.setup != nil {
				cfg.setup(c)
			}
			conns <- c
			done <- loop(c)
		}))
		t.Cleanup(srv.Close)
		offer := cfg.offer
		if offer == "" && cfg.client != nil {
			offer = cfg.client.offer()
		}
		z.rawPeer, z.ext = dialRawOffer(t, srv.Listener.Addr().String(), offer)
		select {
		case z.conn = <-conns:
		case err := <-done:
			t.Fatalf("Accept: %v", err)
		case <-time.After(peerTimeout):
			t.Fatal("Accept did not return")
		}
		t.Cleanup(func() { z.conn.CloseNow() })
		z.result = func() error {
			select {
			case err := <-done:
				return err
			case <-time.After(peerTimeout):
				t.Fatal("server handler did not return")
				return nil
			}
		}
	} else {
		answer := cfg.answer
		if answer == nil {
			answer = func(offers []string) string {
				if cfg.server == nil {
					return ""
				}
				p, ok := cfg.server.acceptDeflate(http.Header{"Sec-Websocket-Extensions": offers})
				if !ok {
					return ""
				}
				return p.String()
			}
		}
		z.conn, z.rawPeer, _, z.ext = dialFromRaw(t, &DialOptions{Compression: cfg.client}, answer)
		if cfg.setup != nil {
			cfg.setup(z.conn)
		}
		done := make(chan error, 1)
		go func() { done <- loop(z.conn) }()
		z.result = func() error {
			select {
			case err := <-done:
				return err
			case <-time.After(peerTimeout):
				t.Fatal("client loop did not return")
				return nil
			}
		}
	}
	if z.ext != "" {
		p, err := parsePMD(z.ext)
		if err != nil {
			t.Fatalf("negotiated %q: %v", z.ext, err)
		}
		z.params = p
		level := cfg.level
		if level == 0 {
			level = 6
		}
		// The raw peer compresses with its role's parameters; our side
		// with the other's.
		if role == "server" {
			z.enc = newPeerEncoder(p.clientBits, p.clientNoContext, level)
			z.dec = &peerDecoder{bits: p.serverBits, noContext: p.serverNoContext}
		} else {
			z.enc = newPeerEncoder(p.serverBits, p.serverNoContext, level)
			z.dec = &peerDecoder{bits: p.clientBits, noContext: p.clientNoContext}
		}
	}
	return z
}

// dialRawOffer opens a raw client connection to addr and completes the
// opening handshake by hand, offering offer ("" for no offer); it returns
// the peer and the response's Sec-WebSocket-Extensions.
func dialRawOffer(t testing.TB, addr, offer string) (*rawPeer, string) {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	key := "dGhlIHNhbXBsZSBub25jZQ=="
	req := "GET / HTTP/1.1\r\nHost: " + addr +
		"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + key + "\r\n"
	if offer != "" {
		req += "Sec-WebSocket-Extensions: " + offer + "\r\n"
	}
	req += "\r\n"
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
	exts := resp.Header.Values("Sec-WebSocket-Extensions")
	if len(exts) > 1 {
		t.Fatalf("response has %d Sec-WebSocket-Extensions fields: %q", len(exts), exts)
	}
	nc.SetDeadline(time.Time{})
	ext := ""
	if len(exts) == 1 {
		ext = exts[0]
	}
	return &rawPeer{t: t, nc: nc, br: br, client: true}, ext
}

// dialFromRaw dials, with opts, a raw server that answers the handshake
// with the Sec-WebSocket-Extensions answer(offers) gives, and returns the
// client connection (nil and the error when Dial fails), the raw peer, the
// offers the request carried and the answer.
func dialFromRaw(t testing.TB, opts *DialOptions, answer func(offers []string) string) (*Conn, *rawPeer, []string, string) {
	t.Helper()
	c, peer, offers, ext, err := tryDialFromRaw(t, opts, answer)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	return c, peer, offers, ext
}

func tryDialFromRaw(t testing.TB, opts *DialOptions, answer func(offers []string) string) (*Conn, *rawPeer, []string, string, error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	type accepted struct {
		peer   *rawPeer
		offers []string
		ext    string
		err    error
	}
	acc := make(chan accepted, 1)
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			acc <- accepted{err: err}
			return
		}
		nc.SetDeadline(time.Now().Add(peerTimeout))
		br := bufio.NewReader(nc)
		req, err := http.ReadRequest(br)
		if err != nil {
			nc.Close()
			acc <- accepted{err: err}
			return
		}
		offers := req.Header.Values("Sec-WebSocket-Extensions")
		ext := answer(offers)
		resp := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
			AcceptKey(req.Header.Get("Sec-WebSocket-Key")) + "\r\n"
		for _, line := range strings.Split(ext, "\n") {
			if line != "" {
				resp += "Sec-WebSocket-Extensions: " + line + "\r\n"
			}
		}
		resp += "\r\n"
		if _, err := io.WriteString(nc, resp); err != nil {
			nc.Close()
			acc <- accepted{err: err}
			return
		}
		nc.SetDeadline(time.Time{})
		acc <- accepted{peer: &rawPeer{t: t, nc: nc, br: br}, offers: offers, ext: ext}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), peerTimeout)
	defer cancel()
	c, _, dialErr := Dial(ctx, "ws://"+ln.Addr().String()+"/", opts)
	var a accepted
	select {
	case a = <-acc:
	case <-time.After(peerTimeout):
		t.Fatal("the raw server saw no handshake")
	}
	if a.err != nil {
		if c != nil {
			c.CloseNow()
		}
		t.Fatalf("raw server: %v", a.err)
	}
	t.Cleanup(func() { a.peer.close() })
	if c != nil {
		t.Cleanup(func() { c.CloseNow() })
	}
	return c, a.peer, a.offers, a.ext, dialErr
}

// frameBytes encodes a frame as the raw peer sends it, masked when it plays
// the client.
func (z *zpeer) frameBytes(fin, rsv1 bool, op Opcode, payload []byte) []byte {
	h := FrameHeader{Fin: fin, Rsv1: rsv1, Opcode: op, Length: int64(len(payload))}
	if z.client {
		h.Masked = true
		h.Mask = [4]byte{0xa1, 0xb2, 0xc3, 0xd4}
	}
	return encodeFrame(h, payload)
}

// messageBytes encodes payload as a message of type op in frames of frag
// bytes (one frame when frag is 0), RSV1 set on the first when rsv1.
func (z *zpeer) messageBytes(op Opcode, rsv1 bool, payload []byte, frag int) []byte {
	if frag <= 0 || len(payload) <= frag {
		return z.frameBytes(true, rsv1, op, payload)
	}
	var b []byte
	for first := true; len(payload) > 0; first = false {
		k := min(frag, len(payload))
		o := OpContinuation
		if first {
			o = op
		}
		b = append(b, z.frameBytes(k == len(payload), rsv1 && first, o, payload[:k])...)
		payload = payload[k:]
	}
	return b
}

// sendCompressed compresses msg with the peer's encoder and sends it in
// frames of frag bytes of compressed payload.
func (z *zpeer) sendCompressed(op Opcode, msg []byte, frag int) {
	z.t.Helper()
	z.write(z.messageBytes(op, true, z.enc.compress(z.t, msg), frag))
}

// zmessage is a message read from our side by the raw peer.
type zmessage struct {
	op         Opcode
	compressed bool          // RSV1 on its first frame
	frames     []FrameHeader // its frames' headers
	wire       int           // payload bytes on the wire
	raw        []byte        // the payload as sent
	payload    []byte        // as inflated by the peer when compressed
}

// readMessage reads a data message from our side, checking that RSV1 is
// set on no frame but the first and that RSV2 and RSV3 are clear, and
// inflates it when compressed.
func (z *zpeer) readMessage() zmessage {
	z.t.Helper()
	var m zmessage
	var raw []byte
	for {
		h, p, err := z.readFrame()
		if err != nil {
			z.t.Fatalf("reading a message: %v", err)
		}
		if h.Rsv2 || h.Rsv3 {
			z.t.Fatalf("frame with RSV2 or RSV3: %+v", h)
		}
		if h.Opcode.IsControl() {
			z.t.Fatalf("unexpected %v frame %q", h.Opcode, p)
		}
		if len(m.frames) == 0 {
			if h.Opcode == OpContinuation {
				z.t.Fatalf("message starts with a continuation frame")
			}
			m.op, m.compressed = h.Opcode, h.Rsv1
		} else {
			if h.Opcode != OpContinuation {
				z.t.Fatalf("frame %d of a message is %v", len(m.frames), h.Opcode)
			}
			if h.Rsv1 {
				z.t.Fatalf("RSV1 set on continuation frame %d (RFC 7692 section 6.1: only the first frame)", len(m.frames))
			}
		}
		m.frames = append(m.frames, h)
		raw = append(raw, p...)
		if h.Fin {
			break
		}
	}
	m.wire = len(raw)
	m.raw = raw
	m.payload = raw
	if m.compressed {
		if z.dec == nil {
			z.t.Fatal("RSV1 set without permessage-deflate negotiated")
		}
		var err error
		if m.payload, err = z.dec.decode(raw); err != nil {
			z.t.Fatalf("inflating a %d-byte message: %v", len(raw), err)
		}
	}
	return m
}

// expectMessage reads a message and checks its type, payload and whether
// it was compressed.
func (z *zpeer) expectMessage(op Opcode, compressed bool, payload []byte) zmessage {
	z.t.Helper()
	m := z.readMessage()
	if m.op != op || m.compressed != compressed || !bytes.Equal(m.payload, payload) {
		z.t.Fatalf("got %v message, compressed %v, %s; want %v, compressed %v, %s",
			m.op, m.compressed, abbrev(m.payload), op, compressed, abbrev(payload))
	}
	return m
}

// zroles are the two roles of our side.
var zroles = []string{"server", "client"}

// readLoop reads messages into a channel until reading fails, for tests
// that write from the test goroutine.
func readLoop(msgs chan<- []byte) func(*Conn) error {
	return func(c *Conn) error {
		for {
			_, m, err := c.ReadMessage(context.Background(), nil)
			if err != nil {
				return err
			}
			msgs <- m
		}
	}
}
