package websocket

import (
	"bufio"
	"bytes"
	"compress/flate"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/f30c7f75/websocket/internal/flate/flatetest"
)

// Tests of permessage-deflate's data path (RFC 7692 section 7.2). The raw
// peer compresses with the standard library's compress/flate, independent
// of the package's compressors (internal/flate and
// github.com/klauspost/compress), and decompresses with it too; where it
// must limit its window or report back-reference distances, it uses tlz,
// the small encoder below, and the reference decoder of
// internal/flate/flatetest (both written from RFC 1951 alone).

// jsonLike returns n bytes of text resembling a JSON feed, compressible as
// real traffic is.
func jsonLike(n int, seed int64) []byte { return flatetest.JSONLike(n, seed) }

// randomBytes returns n random bytes: incompressible, and unlikely to hold
// any 3-byte string twice, so that the only matches a compressor finds in
// data built from them are the repetitions a test puts there.
func randomBytes(n int, seed int64) []byte { return flatetest.RandomBytes(n, seed) }

// mixedBinary returns n bytes of binary data, partly random and partly
// repeated runs, compressible by about half.
func mixedBinary(n int, seed int64) []byte { return flatetest.MixedBinary(n, seed) }

// ---------------------------------------------------------------------------
// The reference DEFLATE decoder (internal/flate/flatetest), which reports
// the largest back-reference distance it follows, under the names the
// tests of this package use.

// tinflateResult is what tinflate decoded.
type tinflateResult struct {
	out     []byte // the decoded bytes, without the dictionary
	maxDist int    // the largest distance of a back-reference
	blocks  int    // blocks decoded
	final   bool   // a block had BFINAL set; decoding stopped after it
	stored  bool   // the last block decoded was stored
	rest    int    // input bytes left after a final block
}

// tinflate decodes the DEFLATE stream in, which may refer back into dict,
// with flatetest.Inflate: it ends cleanly where the input ends at a block
// boundary or after a final block; input that ends inside a block is an
// error.
func tinflate(in, dict []byte) (tinflateResult, error) {
	r, err := flatetest.Inflate(in, dict)
	return tinflateResult{out: r.Out, maxDist: r.MaxDist, blocks: r.Blocks, final: r.Final, stored: r.Stored, rest: r.Rest}, err
}

// tClOrder is the order of the code length code's lengths (RFC 1951
// section 3.2.7), for streams built bit by bit.
var tClOrder = flatetest.CodeLengthOrder

// ---------------------------------------------------------------------------
// A DEFLATE encoder with a window of any size, for a peer that must keep
// its back-references within the window negotiated for it: greedy LZ77
// matching with one candidate per hash, fixed Huffman codes, a sync flush
// at the end of each message.

type tlz struct {
	window    int
	noContext bool
	hist      []byte // the end of the previous messages, with context takeover
}

type tbitWriter struct {
	out []byte
	acc uint64
	n   uint
}

func (w *tbitWriter) bits(v uint32, n uint) {
	w.acc |= uint64(v) << w.n
	w.n += n
	for w.n >= 8 {
		w.out = append(w.out, byte(w.acc))
		w.acc >>= 8
		w.n -= 8
	}
}

// code writes a Huffman code of n bits, most significant bit first.
func (w *tbitWriter) code(c uint32, n uint) {
	var r uint32
	for i := uint(0); i < n; i++ {
		r = r<<1 | c>>i&1
	}
	w.bits(r, n)
}

func (w *tbitWriter) align() {
	if w.n > 0 {
		w.out = append(w.out, byte(w.acc))
		w.acc, w.n = 0, 0
	}
}

func (w *tbitWriter) literal(sym int) {
	switch {
	case sym < 144:
		w.code(uint32(0x30+sym), 8)
	case sym < 256:
		w.code(uint32(0x190+sym-144), 9)
	case sym < 280:
		w.code(uint32(sym-256), 7)
	default:
		w.code(uint32(0xc0+sym-280), 8)
	}
}

func (w *tbitWriter) match(length, dist int) {
	i := 28
	for flatetest.LengthBase[i] > length {
		i--
	}
	w.literal(257 + i)
	w.bits(uint32(length-flatetest.LengthBase[i]), flatetest.LengthExtra[i])
	j := 29
	for flatetest.DistBase[j] > dist {
		j--
	}
	w.code(uint32(j), 5)
	w.bits(uint32(dist-flatetest.DistBase[j]), flatetest.DistExtra[j])
}

// compress returns msg compressed as a permessage-deflate payload: one
// fixed-Huffman block and a sync flush, whose 00 00 ff ff tail is removed.
func (e *tlz) compress(msg []byte) []byte {
	buf := append(append([]byte(nil), e.hist...), msg...)
	start := len(e.hist)
	const hashBits = 16
	table := make([]int32, 1<<hashBits) // 1 + the last position with each hash
	hash := func(i int) uint32 {
		return (uint32(buf[i]) | uint32(buf[i+1])<<8 | uint32(buf[i+2])<<16) * 2654435761 >> (32 - hashBits)
	}
	for i := 0; i+3 <= start; i++ {
		table[hash(i)] = int32(i + 1)
	}
	w := &tbitWriter{}
	w.bits(0, 1) // not final
	w.bits(1, 2) // fixed Huffman codes
	for i := start; i < len(buf); {
		length, dist := 0, 0
		if i+3 <= len(buf) {
			h := hash(i)
			if cand := int(table[h]) - 1; cand >= 0 && i-cand <= e.window {
				for length < 258 && i+length < len(buf) && buf[cand+length] == buf[i+length] {
					length++
				}
				dist = i - cand
			}
			table[h] = int32(i + 1)
		}
		if length < 3 {
			w.literal(int(buf[i]))
			i++
			continue
		}
		w.match(length, dist)
		for j := i + 1; j < i+length && j+3 <= len(buf); j++ {
			table[hash(j)] = int32(j + 1)
		}
		i += length
	}
	w.literal(256)
	w.bits(0, 3) // sync flush: an empty stored block
	w.align()
	w.out = append(w.out, 0, 0, 0xff, 0xff)
	if !e.noContext {
		e.hist = append(e.hist[:0], buf[max(0, len(buf)-e.window):]...)
	}
	return w.out[:len(w.out)-4]
}

// ---------------------------------------------------------------------------
// The raw peer's permessage-deflate codec.

// pmdTail is what section 7.2.1 removes from the end of each compressed
// message and section 7.2.2 puts back.
var pmdTail = []byte{0x00, 0x00, 0xff, 0xff}

// peerEncoder compresses the raw peer's messages: with compress/flate when
// its window is the full 32 KiB, with tlz when it must be smaller.
type peerEncoder struct {
	bits      int
	noContext bool
	level     int
	fw        *flate.Writer
	buf       bytes.Buffer
	lz        *tlz
}

func newPeerEncoder(bits int, noContext bool, level int) *peerEncoder {
	return &peerEncoder{bits: bits, noContext: noContext, level: level}
}

// compress returns msg as a compressed payload, tail removed.
func (e *peerEncoder) compress(t testing.TB, msg []byte) []byte {
	t.Helper()
	if e.bits < 15 {
		if e.lz == nil || e.noContext {
			e.lz = &tlz{window: 1 << e.bits, noContext: e.noContext}
		}
		return e.lz.compress(msg)
	}
	if e.fw == nil || e.noContext {
		var err error
		if e.fw, err = flate.NewWriter(&e.buf, e.level); err != nil {
			t.Fatal(err)
		}
	}
	e.buf.Reset()
	if _, err := e.fw.Write(msg); err != nil {
		t.Fatal(err)
	}
	if err := e.fw.Flush(); err != nil {
		t.Fatal(err)
	}
	out := e.buf.Bytes()
	if !bytes.HasSuffix(out, pmdTail) {
		t.Fatalf("compress/flate's sync flush does not end with 00 00 ff ff: % x", out[max(0, len(out)-8):])
	}
	return append([]byte(nil), out[:len(out)-4]...)
}

// peerDecoder inflates the messages the package sends to the raw peer, with
// compress/flate, and checks them with tinflate: both must agree, the
// stream must end at a block boundary, and no back-reference may reach
// further than the negotiated window.
type peerDecoder struct {
	bits      int
	noContext bool
	hist      []byte // the inflated stream so far, with context takeover
}

func (d *peerDecoder) dict() []byte {
	if d.noContext {
		return nil
	}
	return d.hist[max(0, len(d.hist)-1<<d.bits):]
}

// decode inflates payload with the history of the compressed messages
// before it.
func (d *peerDecoder) decode(payload []byte) ([]byte, error) {
	data := append(append([]byte(nil), payload...), pmdTail...)
	dict := d.dict()
	out, err := io.ReadAll(flate.NewReaderDict(bytes.NewReader(data), dict))
	if err != nil && err != io.ErrUnexpectedEOF {
		return nil, fmt.Errorf("compress/flate: %v (after %d bytes)", err, len(out))
	}
	res, err := tinflate(data, dict)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(res.out, out) {
		return nil, fmt.Errorf("tinflate (%d bytes) and compress/flate (%d bytes) disagree", len(res.out), len(out))
	}
	if res.maxDist > 1<<d.bits {
		return nil, fmt.Errorf("a back-reference reaches %d bytes back, beyond the %d-byte window (%d bits)", res.maxDist, 1<<d.bits, d.bits)
	}
	if !d.noContext {
		d.hist = append(d.hist, out...)
		if len(d.hist) > 64<<10 {
			d.hist = append(d.hist[:0], d.hist[len(d.hist)-32<<10:]...)
		}
	}
	return out, nil
}

// TestZeroBomb checks zeroBomb's hand-made block with compress/flate and
// the reference decoder: it inflates to the zeros asked for.
func TestZeroBomb(t *testing.T) {
	for _, n := range []int{1, 2, 258, 259, 260, 100000} {
		data := append(zeroBomb(n), pmdTail...)
		out, err := io.ReadAll(flate.NewReader(bytes.NewReader(data)))
		if err != io.ErrUnexpectedEOF || !bytes.Equal(out, make([]byte, n)) {
			t.Fatalf("zeroBomb(%d): %d bytes, %v", n, len(out), err)
		}
		if res, err := tinflate(data, nil); err != nil || !bytes.Equal(res.out, out) {
			t.Fatalf("zeroBomb(%d) with tinflate: %d bytes, %v", n, len(res.out), err)
		}
	}
}

// TestTestEncoder checks tlz, the test's windowed encoder: its output
// inflates with compress/flate, with and without context takeover, and
// never refers further back than its window.
func TestTestEncoder(t *testing.T) {
	for bits := 8; bits <= 15; bits++ {
		for _, noContext := range []bool{false, true} {
			w := 1 << bits
			enc := &tlz{window: w, noContext: noContext}
			dec := &peerDecoder{bits: bits, noContext: noContext}
			r := randomBytes(w, int64(bits))
			msgs := [][]byte{
				r, r, // the second copy only at exactly the window's distance
				append(append(randomBytes(w/2, 1), r...), r...),
				jsonLike(3*w, 2), jsonLike(3*w, 2), {}, []byte("x"),
			}
			var total, firstR, secondR int
			for i, m := range msgs {
				p := enc.compress(m)
				total += len(p)
				switch i {
				case 0:
					firstR = len(p)
				case 1:
					secondR = len(p)
				}
				got, err := dec.decode(p)
				if err != nil || !bytes.Equal(got, m) {
					t.Fatalf("bits %d, no context %v, message %d: %v (%d bytes, want %d)", bits, noContext, i, err, len(got), len(m))
				}
			}
			if !noContext && secondR > firstR/10 {
				t.Errorf("bits %d: the repeated block took %d bytes after %d: no match at the window's distance", bits, secondR, firstR)
			}
		}
	}
}

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
	h := Header{Fin: fin, Rsv1: rsv1, Opcode: op, Length: int64(len(payload))}
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
	compressed bool     // RSV1 on its first frame
	frames     []Header // its frames' headers
	wire       int      // payload bytes on the wire
	raw        []byte   // the payload as sent
	payload    []byte   // as inflated by the peer when compressed
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

// ---------------------------------------------------------------------------
// Receiving compressed messages.

// TestDeflateRFCExamples feeds the payloads of RFC 7692 section 7.2.3 to
// both roles: each is the text "Hello".
func TestDeflateRFCExamples(t *testing.T) {
	hello := []byte("Hello")
	cases := []struct {
		name  string
		msgs  [][]byte // payloads, each a message (a frame of its own)
		frags [][]byte // when set: one message in these frames
	}{
		{name: "7.2.3.1-one-block", msgs: [][]byte{{0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}}},
		{name: "7.2.3.1-fragmented", frags: [][]byte{{0xf2, 0x48}, {0xcd, 0xc9, 0xc9}, {0x07, 0x00}}},
		{name: "7.2.3.2-sharing-window", msgs: [][]byte{{0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}, {0xf2, 0x00, 0x11, 0x00, 0x00}}},
		{name: "7.2.3.3-no-compression", msgs: [][]byte{{0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00}}},
		{name: "7.2.3.4-bfinal", msgs: [][]byte{{0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00}}},
		{name: "7.2.3.5-two-blocks", msgs: [][]byte{{0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07, 0x00}}},
		{name: "7.2.3.6-empty-fragment", frags: [][]byte{{0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00, 0x00, 0xff, 0xff}, {0x00}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, role := range zroles {
				t.Run(role, func(t *testing.T) {
					z := makeZPeer(t, role, zcfg{server: &CompressionOptions{}, client: &CompressionOptions{}})
					if tc.frags != nil {
						for i, f := range tc.frags {
							op := OpText
							if i > 0 {
								op = OpContinuation
							}
							z.write(z.frameBytes(i == len(tc.frags)-1, i == 0, op, f))
						}
						z.expectMessage(OpText, true, hello)
					}
					for _, m := range tc.msgs {
						z.write(z.frameBytes(true, true, OpText, m))
						z.expectMessage(OpText, true, hello)
					}
					// The connection goes on: the next message decodes too.
					z.sendCompressed(OpText, hello, 0)
					z.expectMessage(OpText, true, hello)
				})
			}
		})
	}
}

// bothZ runs f against our server and our client, each set up with cfg.
func bothZ(t *testing.T, cfg zcfg, f func(t *testing.T, z *zpeer)) {
	for _, role := range zroles {
		t.Run(role, func(t *testing.T) {
			f(t, makeZPeer(t, role, cfg))
		})
	}
}

// defaultZ negotiates permessage-deflate with default parameters.
var defaultZ = zcfg{server: &CompressionOptions{}, client: &CompressionOptions{}}

// TestDeflateReceive checks that compressed messages are inflated, whole or
// fragmented (RSV1 on the first frame only, RFC 7692 section 6.1), with
// control frames between the fragments, and that uncompressed messages are
// still accepted.
func TestDeflateReceive(t *testing.T) {
	bothZ(t, defaultZ, func(t *testing.T, z *zpeer) {
		if z.ext != "permessage-deflate" {
			t.Fatalf("negotiated %q", z.ext)
		}
		text := jsonLike(5000, 1)
		bin := mixedBinary(5000, 2)
		z.sendCompressed(OpText, text, 0)
		z.expectMessage(OpText, true, text)
		z.sendCompressed(OpBinary, bin, 0)
		z.expectMessage(OpBinary, true, bin)
		for _, frag := range []int{1, 7, 64, 1000} {
			z.sendCompressed(OpText, text, frag)
			z.expectMessage(OpText, true, text)
			z.sendCompressed(OpBinary, bin, frag)
			z.expectMessage(OpBinary, true, bin)
		}

		// Control frames between the fragments of a compressed message;
		// the pong carries no RSV bit (expectFrame checks).
		p := z.enc.compress(t, text)
		third := len(p) / 3
		z.write(z.frameBytes(false, true, OpText, p[:third]))
		z.write(z.frameBytes(true, false, OpPing, []byte("between")))
		z.rawPeer.expectFrame(true, OpPong, []byte("between"))
		z.write(z.frameBytes(false, false, OpContinuation, p[third:2*third]))
		z.write(z.frameBytes(true, false, OpPong, []byte("unsolicited")))
		z.write(z.frameBytes(true, false, OpContinuation, p[2*third:]))
		z.expectMessage(OpText, true, text)

		// An uncompressed message is accepted, fragmented or not, and does
		// not enter the compression context (section 7.2.2: the window is
		// that of the last compressed message): the peer's next compressed
		// message refers back past it.
		plain := []byte("plain, not compressed")
		z.write(z.messageBytes(OpText, false, plain, 0))
		z.expectMessage(OpText, true, plain)
		z.write(z.messageBytes(OpBinary, false, bin, 100))
		z.expectMessage(OpBinary, true, bin)
		z.sendCompressed(OpText, text, 0)
		z.expectMessage(OpText, true, text)

		// Empty messages: an empty payload, the single 0x00 of section
		// 7.2.3.6, and what the peer's compressor makes of nothing.
		z.write(z.frameBytes(true, true, OpText, nil))
		z.expectMessage(OpText, true, []byte{})
		z.write(z.frameBytes(true, true, OpBinary, []byte{0x00}))
		z.expectMessage(OpBinary, true, []byte{})
		z.sendCompressed(OpText, nil, 0)
		z.expectMessage(OpText, true, []byte{})
		z.write(z.frameBytes(false, true, OpBinary, nil))
		z.write(z.frameBytes(true, false, OpContinuation, []byte{0x00}))
		z.expectMessage(OpBinary, true, []byte{})

		// Valid UTF-8 split anywhere by the compression is fine.
		utf := []byte(strings.Repeat("κόσμε 𝄞 € ", 300))
		z.sendCompressed(OpText, utf, 3)
		z.expectMessage(OpText, true, utf)
	})
}

// truncatedPayload returns 5000 bytes of text compressed in one
// dynamic-Huffman block and sync-flushed, tail removed, with its last cut
// bytes removed; it checks that what is left is not valid DEFLATE data
// even with the tail put back.
func truncatedPayload(t testing.TB, cut int) []byte {
	t.Helper()
	p := newPeerEncoder(15, true, 6).compress(t, jsonLike(5000, 1))
	p = p[:len(p)-cut]
	if cut > 0 {
		if res, err := tinflate(append(append([]byte(nil), p...), pmdTail...), nil); err == nil {
			t.Fatalf("the payload cut by %d bytes is still valid (%d bytes)", cut, len(res.out))
		}
	}
	return p
}

// TestDeflateReceiveFailures checks the ways a compressed message can be
// wrong: RSV1 where RFC 7692 section 6.1 does not allow it (1002), a
// payload that is not DEFLATE data (1007), invalid UTF-8 inside compressed
// text (1007), and a message that inflates past the read limit (1009).
func TestDeflateReceiveFailures(t *testing.T) {
	badDistance := func() []byte {
		w := &tbitWriter{}
		w.bits(0, 1)
		w.bits(1, 2)
		w.literal('a')
		w.match(10, 100) // 100 bytes back, with one byte of history
		w.literal(256)
		w.bits(0, 3)
		w.align()
		return w.out
	}()
	cases := []struct {
		name  string
		setup func(*Conn)
		send  func(z *zpeer)
		code  StatusCode
	}{
		{"rsv1-on-continuation", nil, func(z *zpeer) {
			p := z.enc.compress(z.t, jsonLike(1000, 1))
			z.write(z.frameBytes(false, true, OpText, p[:10]))
			z.write(z.frameBytes(true, true, OpContinuation, p[10:]))
		}, StatusProtocolError},
		{"rsv1-on-continuation-of-uncompressed", nil, func(z *zpeer) {
			z.write(z.frameBytes(false, false, OpText, []byte("abc")))
			z.write(z.frameBytes(true, true, OpContinuation, []byte("def")))
		}, StatusProtocolError},
		{"rsv1-on-ping", nil, func(z *zpeer) {
			z.write(z.frameBytes(true, true, OpPing, []byte("x")))
		}, StatusProtocolError},
		{"rsv1-on-pong", nil, func(z *zpeer) {
			z.write(z.frameBytes(true, true, OpPong, nil))
		}, StatusProtocolError},
		{"rsv1-on-close", nil, func(z *zpeer) {
			z.write(z.frameBytes(true, true, OpClose, closePayload(StatusNormalClosure, "")))
		}, StatusProtocolError},
		{"rsv1-on-ping-between-fragments", nil, func(z *zpeer) {
			p := z.enc.compress(z.t, jsonLike(1000, 1))
			z.write(z.frameBytes(false, true, OpText, p[:10]))
			z.write(z.frameBytes(true, true, OpPing, nil))
		}, StatusProtocolError},
		{"rsv2-on-compressed", nil, func(z *zpeer) {
			p := z.enc.compress(z.t, []byte("hello"))
			h := Header{Fin: true, Rsv1: true, Rsv2: true, Opcode: OpText, Length: int64(len(p)), Masked: z.client, Mask: [4]byte{1, 2, 3, 4}}
			z.write(encodeFrame(h, p))
		}, StatusProtocolError},
		{"reserved-block-type", nil, func(z *zpeer) {
			z.write(z.frameBytes(true, true, OpBinary, []byte{0xff, 0xff, 0xff}))
		}, StatusInvalidFramePayloadData},
		{"stored-length-mismatch", nil, func(z *zpeer) {
			z.write(z.frameBytes(true, true, OpBinary, []byte{0x00, 0x05, 0x00, 0x00, 0x00, 'H', 'e', 'l', 'l', 'o', 0x00}))
		}, StatusInvalidFramePayloadData},
		{"distance-before-start", nil, func(z *zpeer) {
			z.write(z.frameBytes(true, true, OpBinary, badDistance))
		}, StatusInvalidFramePayloadData},
		{"invalid-deflate-fragmented", nil, func(z *zpeer) {
			z.write(z.frameBytes(false, true, OpBinary, []byte{0xff}))
			z.write(z.frameBytes(true, false, OpContinuation, []byte{0xff, 0xff}))
		}, StatusInvalidFramePayloadData},
		// A payload cut inside a DEFLATE block is not a sync-flushed
		// stream: with 00 00 ff ff put back it still ends inside a block
		// (tinflate confirms), so it is not valid DEFLATE data.
		{"truncated-last-byte", nil, func(z *zpeer) {
			z.write(z.frameBytes(true, true, OpBinary, truncatedPayload(z.t, 1)))
		}, StatusInvalidFramePayloadData},
		{"truncated-half", nil, func(z *zpeer) {
			z.write(z.frameBytes(true, true, OpBinary, truncatedPayload(z.t, 400)))
		}, StatusInvalidFramePayloadData},
		{"truncated-in-block-header", nil, func(z *zpeer) {
			p := truncatedPayload(z.t, 0)[:10]
			if _, err := tinflate(append(p, pmdTail...), nil); err == nil {
				z.t.Fatal("10 bytes of a dynamic block decode")
			}
			z.write(z.frameBytes(true, true, OpBinary, p[:10]))
		}, StatusInvalidFramePayloadData},
		{"invalid-utf8", nil, func(z *zpeer) {
			z.sendCompressed(OpText, []byte("valid, then \xff"), 0)
		}, StatusInvalidFramePayloadData},
		{"invalid-utf8-deep-inside", nil, func(z *zpeer) {
			msg := append(jsonLike(100000, 3), 0xc0, 0x80)
			z.sendCompressed(OpText, append(msg, jsonLike(1000, 4)...), 500)
		}, StatusInvalidFramePayloadData},
		{"utf8-ends-inside-sequence", nil, func(z *zpeer) {
			z.sendCompressed(OpText, []byte("ab\xe2\x82"), 0)
		}, StatusInvalidFramePayloadData},
		{"inflates-past-read-limit", func(c *Conn) { c.SetReadLimit(1000) }, func(z *zpeer) {
			z.sendCompressed(OpBinary, make([]byte, 1000), 0) // at the limit: fine
			z.expectMessage(OpBinary, true, make([]byte, 1000))
			z.sendCompressed(OpBinary, make([]byte, 1001), 0)
		}, StatusMessageTooBig},
		{"inflates-past-read-limit-fragmented", func(c *Conn) { c.SetReadLimit(1000) }, func(z *zpeer) {
			z.sendCompressed(OpText, bytes.Repeat([]byte("a"), 5000), 2)
		}, StatusMessageTooBig},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := defaultZ
			cfg.setup = tc.setup
			bothZ(t, cfg, func(t *testing.T, z *zpeer) {
				tc.send(z)
				finishFailure(t, z.side(), tc.code)
			})
		})
	}
	// Without permessage-deflate negotiated, RSV1 is a protocol error
	// (RFC 6455 section 5.2), even when the client offered it.
	t.Run("rsv1-not-negotiated", func(t *testing.T) {
		bothZ(t, zcfg{client: &CompressionOptions{}}, func(t *testing.T, z *zpeer) {
			if z.ext != "" || z.conn.Extensions() != "" {
				t.Fatalf("negotiated %q / %q", z.ext, z.conn.Extensions())
			}
			z.write(z.frameBytes(true, true, OpText, []byte{0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}))
			finishFailure(t, z.side(), StatusProtocolError)
		})
	})
}

// TestDeflateAbandonedReader checks that a compressed message left half
// read by its NextReader is still inflated whole before the next one, so
// that with context takeover the next message, referring back into it,
// inflates correctly.
func TestDeflateAbandonedReader(t *testing.T) {
	loop := func(c *Conn) error {
		ctx := context.Background()
		for i := 0; ; i++ {
			_, r, err := c.NextReader(ctx)
			if err != nil {
				return err
			}
			head := make([]byte, 10)
			n, err := io.ReadFull(r, head)
			if err != nil && err != io.ErrUnexpectedEOF {
				return err
			}
			if i%2 == 1 {
				// Every other message is read to its end.
				rest, err := io.ReadAll(r)
				if err != nil {
					return err
				}
				head = append(head[:n], rest...)
				n = len(head)
			}
			if err := c.WriteMessage(ctx, MessageBinary, head[:n]); err != nil {
				return err
			}
		}
	}
	cfg := defaultZ
	cfg.loop = loop
	bothZ(t, cfg, func(t *testing.T, z *zpeer) {
		text := jsonLike(20000, 1)
		for i := 0; i < 6; i++ {
			msg := text[i*100:]
			z.sendCompressed(OpBinary, msg, 1000)
			want := msg[:10]
			if i%2 == 1 {
				want = msg
			}
			z.expectMessage(OpBinary, true, want)
		}
	})
}

// ---------------------------------------------------------------------------
// Sending compressed messages.

// writerZ is defaultZ with our side only reading (into msgs), so that the
// test writes from its own goroutine.
func writerZ(base zcfg, msgs chan []byte) zcfg {
	base.loop = readLoop(msgs)
	return base
}

// TestDeflateSend checks what our side sends with permessage-deflate: RSV1
// on the first frame of each message and on no other frame, never on
// control frames, and payloads that compress/flate inflates (after putting
// back 00 00 ff ff) to the message.
func TestDeflateSend(t *testing.T) {
	ctx := context.Background()
	msgs := make(chan []byte, 16)
	bothZ(t, writerZ(defaultZ, msgs), func(t *testing.T, z *zpeer) {
		c := z.conn
		for _, m := range []struct {
			typ MessageType
			p   []byte
		}{
			{MessageText, []byte("Hello")},
			{MessageText, jsonLike(10000, 1)},
			{MessageBinary, mixedBinary(10000, 2)},
			{MessageBinary, randomBytes(3000, 3)},
			{MessageText, []byte{}},
			{MessageBinary, nil},
		} {
			if err := c.WriteMessage(ctx, m.typ, m.p); err != nil {
				t.Fatal(err)
			}
			got := z.expectMessage(Opcode(m.typ), true, m.p)
			if len(got.frames) != 1 {
				t.Errorf("a %d-byte message written whole went out in %d frames", len(m.p), len(got.frames))
			}
		}

		// A message written in many pieces, larger than a frame's 16 KiB:
		// several frames, RSV1 and the opcode on the first only
		// (readMessage checks).
		for _, big := range [][]byte{randomBytes(100<<10, 4), jsonLike(400<<10, 5)} {
			w, err := c.NextWriter(ctx, MessageBinary)
			if err != nil {
				t.Fatal(err)
			}
			for p := big; len(p) > 0; p = p[min(1000, len(p)):] {
				if _, err := w.Write(p[:min(1000, len(p))]); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			got := z.expectMessage(OpBinary, true, big)
			if len(got.frames) < 2 {
				t.Errorf("%d bytes (%d compressed) went out in %d frame", len(big), got.wire, len(got.frames))
			}
			for i, h := range got.frames {
				if h.Length > 16<<10 {
					t.Errorf("frame %d carries %d bytes, more than the writer's 16 KiB", i, h.Length)
				}
			}
		}

		// A ping from the peer is answered with a pong without RSV1
		// (expectFrame checks the reserved bits), and so is ours.
		z.write(z.frameBytes(true, false, OpPing, []byte("ping")))
		z.rawPeer.expectFrame(true, OpPong, []byte("ping"))
		pinged := make(chan error, 1)
		go func() {
			_, err := c.Ping(ctx)
			pinged <- err
		}()
		h, p, err := z.readFrame()
		if err != nil || h.Opcode != OpPing || h.Rsv1 || h.Rsv2 || h.Rsv3 {
			t.Fatalf("expected a ping without reserved bits, got %+v, %v", h, err)
		}
		z.write(z.frameBytes(true, false, OpPong, p))
		if err := <-pinged; err != nil {
			t.Fatal(err)
		}

		// The close frame carries no RSV bit either.
		closed := make(chan error, 1)
		go func() { closed <- c.Close(StatusGoingAway, "bye") }()
		h, p, err = z.readFrame()
		if err != nil || h.Opcode != OpClose || h.Rsv1 || h.Rsv2 || h.Rsv3 {
			t.Fatalf("expected a close frame without reserved bits, got %+v %q, %v", h, p, err)
		}
		z.write(z.frameBytes(true, false, OpClose, p))
		peerFinish(t, z.side())
		if err := <-closed; err != nil {
			t.Fatalf("Close: %v", err)
		}
	})
}

// TestDeflateThreshold checks CompressionOptions.Threshold: messages
// written whole below it go out uncompressed (RSV1 clear), the others
// compressed.
func TestDeflateThreshold(t *testing.T) {
	ctx := context.Background()
	for _, role := range zroles {
		t.Run(role, func(t *testing.T) {
			ours := &CompressionOptions{Threshold: 100}
			cfg := zcfg{server: &CompressionOptions{}, client: &CompressionOptions{}}
			if role == "server" {
				cfg.server = ours
			} else {
				cfg.client = ours
			}
			z := makeZPeer(t, role, writerZ(cfg, make(chan []byte, 1)))
			for _, n := range []int{0, 1, 99, 100, 101, 5000, 50} {
				msg := jsonLike(n, int64(n))
				if err := z.conn.WriteMessage(ctx, MessageText, msg); err != nil {
					t.Fatal(err)
				}
				got := z.expectMessage(OpText, n >= 100, msg)
				if n < 100 && got.wire != n {
					t.Errorf("%d bytes sent uncompressed as %d", n, got.wire)
				}
			}
		})
	}
}

// TestDeflateSetWriteCompression checks that SetWriteCompression(false)
// sends messages uncompressed and (true) compressed again, and that the
// uncompressed messages stay out of the compression context: the peer
// inflates what follows with the history of the compressed messages only.
func TestDeflateSetWriteCompression(t *testing.T) {
	ctx := context.Background()
	bothZ(t, writerZ(defaultZ, make(chan []byte, 1)), func(t *testing.T, z *zpeer) {
		a := jsonLike(8000, 1)
		b := jsonLike(8000, 2)
		write := func(p []byte) {
			t.Helper()
			if err := z.conn.WriteMessage(ctx, MessageText, p); err != nil {
				t.Fatal(err)
			}
		}
		write(a)
		first := z.expectMessage(OpText, true, a)
		z.conn.SetWriteCompression(false)
		write(b)
		z.expectMessage(OpText, false, b)
		write(a)
		z.expectMessage(OpText, false, a)
		w, err := z.conn.NextWriter(ctx, MessageBinary)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(b)
		w.Close()
		z.expectMessage(OpBinary, false, b)
		z.conn.SetWriteCompression(true)
		write(a)
		again := z.expectMessage(OpText, true, a)
		if again.wire > first.wire/4 {
			t.Errorf("the repeated message took %d bytes after %d: context not taken over", again.wire, first.wire)
		}
		write(b)
		z.expectMessage(OpText, true, b)
	})
}

// ---------------------------------------------------------------------------
// Context takeover (RFC 7692 sections 7.1.1 and 7.2.2).

// noContextCfgs returns, for our side in role, configurations that leave
// context takeover in force in both directions, or turn it off for one
// direction ("peer": the raw peer's messages; "ours": our side's), either
// by the client's offer or by the server's answer.
func noContextCfgs(role, dir string) map[string]zcfg {
	if dir == "" {
		return map[string]zcfg{"context": defaultZ}
	}
	// Whose compressor loses its context: the raw peer's, or ours.
	peerIsClient := role == "server"
	clientSide := (dir == "peer") == peerIsClient
	param := "server_no_context_takeover"
	if clientSide {
		param = "client_no_context_takeover"
	}
	byOffer := zcfg{server: &CompressionOptions{}, client: &CompressionOptions{}}
	byAnswer := zcfg{server: &CompressionOptions{}, client: &CompressionOptions{}}
	if clientSide {
		byOffer.client = &CompressionOptions{ClientNoContextTakeover: true}
		byAnswer.server = &CompressionOptions{ClientNoContextTakeover: true}
	} else {
		byOffer.client = &CompressionOptions{ServerNoContextTakeover: true}
		byAnswer.server = &CompressionOptions{ServerNoContextTakeover: true}
	}
	return map[string]zcfg{param + "-offered": byOffer, param + "-answered": byAnswer}
}

// TestDeflateReceiveContext checks the raw peer's direction. With context
// takeover the peer compresses every message with the same compress/flate
// writer, so each repetition of a text is mostly back-references into the
// earlier messages, which our side must keep to inflate them. With no
// context takeover negotiated for the peer, it starts a new writer for each
// message.
func TestDeflateReceiveContext(t *testing.T) {
	for _, dir := range []string{"", "peer"} {
		for _, role := range zroles {
			for name, cfg := range noContextCfgs(role, dir) {
				t.Run(role+"/"+name, func(t *testing.T) {
					z := makeZPeer(t, role, cfg)
					wantNoContext := dir == "peer"
					if z.enc.noContext != wantNoContext {
						t.Fatalf("negotiated %q: the peer's no-context is %v, want %v", z.ext, z.enc.noContext, wantNoContext)
					}
					text := jsonLike(6000, 1)
					var sizes []int
					for i := 0; i < 5; i++ {
						msg := text
						if i == 3 {
							msg = jsonLike(3000, 2) // something else in between
						}
						p := z.enc.compress(t, msg)
						sizes = append(sizes, len(p))
						z.write(z.messageBytes(OpText, true, p, 0))
						z.expectMessage(OpText, true, msg)
					}
					// Make sure the test tests what it means to: with context
					// the repetitions were tiny.
					if !wantNoContext && sizes[1] > sizes[0]/10 {
						t.Fatalf("compressed sizes %v: the peer's repetitions do not use the context", sizes)
					}
					if wantNoContext && sizes[1] < sizes[0]*9/10 {
						t.Fatalf("compressed sizes %v: the peer's repetitions use the context", sizes)
					}
				})
			}
		}
	}
}

// TestDeflateSendContext checks our side's direction. With context
// takeover a repeated message is much smaller than the first, and inflates
// only with the history of the previous messages. With no context takeover
// negotiated for our side, each message must inflate on its own with a
// fresh decoder: the honest check that our compressor is reset.
func TestDeflateSendContext(t *testing.T) {
	ctx := context.Background()
	for _, dir := range []string{"", "ours"} {
		for _, role := range zroles {
			for name, cfg := range noContextCfgs(role, dir) {
				t.Run(role+"/"+name, func(t *testing.T) {
					z := makeZPeer(t, role, writerZ(cfg, make(chan []byte, 1)))
					wantNoContext := dir == "ours"
					if z.dec.noContext != wantNoContext {
						t.Fatalf("negotiated %q: our no-context is %v, want %v", z.ext, z.dec.noContext, wantNoContext)
					}
					text := jsonLike(6000, 1)
					var sizes []int
					for i := 0; i < 5; i++ {
						msg := text
						if i == 3 {
							msg = jsonLike(3000, 2)
						}
						// Half the time through NextWriter in pieces.
						if i%2 == 0 {
							if err := z.conn.WriteMessage(ctx, MessageText, msg); err != nil {
								t.Fatal(err)
							}
						} else {
							w, err := z.conn.NextWriter(ctx, MessageText)
							if err != nil {
								t.Fatal(err)
							}
							w.Write(msg[:100])
							w.Write(msg[100:])
							if err := w.Close(); err != nil {
								t.Fatal(err)
							}
						}
						hist := append([]byte(nil), z.dec.dict()...)
						m := z.readMessage()
						raw := m.raw
						if !m.compressed || !bytes.Equal(m.payload, msg) {
							t.Fatalf("message %d: compressed %v, %s", i, m.compressed, abbrev(m.payload))
						}
						sizes = append(sizes, m.wire)
						if !wantNoContext && i > 0 && len(hist) > 0 {
							// Without the history the repetition does not inflate.
							data := append(raw, pmdTail...)
							out, err := io.ReadAll(flate.NewReader(bytes.NewReader(data)))
							if (err == nil || err == io.ErrUnexpectedEOF) && bytes.Equal(out, msg) && i != 3 {
								t.Errorf("message %d inflates without the history: context not used", i)
							}
						}
					}
					if !wantNoContext && sizes[1] > sizes[0]/10 {
						t.Errorf("compressed sizes %v: repetitions do not use the context", sizes)
					}
					if wantNoContext && sizes[2] < sizes[0]*9/10 {
						t.Errorf("compressed sizes %v: repetitions shrink without context takeover", sizes)
					}
				})
			}
		}
	}
}

// ---------------------------------------------------------------------------
// Window sizes (RFC 7692 section 7.1.2).

// windowMessages returns messages for a window of w bytes, with
// repetitions at distances inside it, exactly at it, and beyond it, within
// a message and across messages.
func windowMessages(w int, seed int64) [][]byte {
	r := randomBytes(2*w, seed)
	s := randomBytes(w/2, seed+1)
	u := randomBytes(w, seed+2)
	v := randomBytes(w-3, seed+3)
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	text := jsonLike(4*w, seed+4)
	return [][]byte{
		cat(r, r),                   // the repetition 2w back: beyond
		cat(s, s),                   // w/2 back: inside
		cat(u, u),                   // exactly w back
		cat(v, []byte("abc"), v),    // exactly w back again
		r,                           // last seen more than w ago
		s,                           // likewise
		u[:w/4],                     // just over w back, across messages
		u[:w/4],                     // w/4 back, across messages
		text,                        // repetitions at every distance
		text[:w],                    // starts 3w after its last occurrence
		cat(text[:100], text[:100]), // close repetitions
		[]byte("hello hello hello hello"),
		[]byte("hello hello hello hello"),
	}
}

// TestDeflateSendWindow checks that our compressor honours the window size
// negotiated for it, 8 to 15 bits (sections 7.1.2.1 and 7.1.2.2): no
// back-reference in what it sends reaches further than 2^bits bytes, and
// every message inflates with a history cut to 2^bits bytes. tinflate
// reports the distances; compress/flate checks the output with the cut
// history. Context takeover is on, so references reach across messages.
func TestDeflateSendWindow(t *testing.T) {
	ctx := context.Background()
	for bits := 8; bits <= 15; bits++ {
		for _, role := range zroles {
			t.Run(fmt.Sprintf("%d/%s", bits, role), func(t *testing.T) {
				cfg := zcfg{server: &CompressionOptions{}}
				if role == "server" {
					cfg.offer = fmt.Sprintf("permessage-deflate; server_max_window_bits=%d; client_max_window_bits", bits)
				} else {
					cfg.client = &CompressionOptions{}
					cfg.answer = func([]string) string {
						return fmt.Sprintf("permessage-deflate; client_max_window_bits=%d", bits)
					}
				}
				z := makeZPeer(t, role, writerZ(cfg, make(chan []byte, 1)))
				if z.dec.bits != bits || z.dec.noContext {
					t.Fatalf("negotiated %q", z.ext)
				}
				maxDist := 0
				for i, msg := range windowMessages(1<<bits, int64(bits)) {
					if err := z.conn.WriteMessage(ctx, MessageBinary, msg); err != nil {
						t.Fatal(err)
					}
					m := z.readMessage() // fails on a distance beyond the window
					if !m.compressed || !bytes.Equal(m.payload, msg) {
						t.Fatalf("message %d: compressed %v, %d bytes, want %d", i, m.compressed, len(m.payload), len(msg))
					}
					res, _ := tinflate(append(append([]byte(nil), m.raw...), pmdTail...), make([]byte, 32<<10))
					maxDist = max(maxDist, res.maxDist)
				}
				if maxDist < 1<<bits/2 {
					t.Errorf("longest back-reference %d bytes: the test did not exercise the %d-byte window", maxDist, 1<<bits)
				}
				t.Logf("window %d: longest back-reference %d", 1<<bits, maxDist)
			})
		}
	}
}

// TestDeflateReceiveWindow checks the other direction: the raw peer
// compresses with a window of 2^bits bytes and refers back as far as it
// allows, across messages, and our side must have kept that much history.
func TestDeflateReceiveWindow(t *testing.T) {
	for bits := 8; bits <= 15; bits++ {
		for _, role := range zroles {
			t.Run(fmt.Sprintf("%d/%s", bits, role), func(t *testing.T) {
				cfg := zcfg{server: &CompressionOptions{}}
				if role == "server" {
					cfg.offer = fmt.Sprintf("permessage-deflate; client_max_window_bits=%d", bits)
				} else {
					cfg.client = &CompressionOptions{}
					cfg.answer = func([]string) string {
						return fmt.Sprintf("permessage-deflate; server_max_window_bits=%d", bits)
					}
				}
				z := makeZPeer(t, role, cfg)
				if z.enc.bits != bits || z.enc.noContext {
					t.Fatalf("negotiated %q", z.ext)
				}
				// tlz keeps its references within the window; the window
				// test of the encoder (TestTestEncoder) shows it uses all of it.
				z.enc.lz = &tlz{window: 1 << bits}
				for i, msg := range windowMessages(1<<bits, int64(bits)) {
					p := z.enc.lz.compress(msg)
					res, err := tinflate(append(append([]byte(nil), p...), pmdTail...), make([]byte, 64<<10))
					if err != nil || res.maxDist > 1<<bits {
						t.Fatalf("test encoder: %v, distance %d", err, res.maxDist)
					}
					z.write(z.messageBytes(OpBinary, true, p, 0))
					m := z.readMessage()
					if !bytes.Equal(m.payload, msg) {
						t.Fatalf("message %d (%d bytes, longest reference %d): echoed %d bytes", i, len(msg), res.maxDist, len(m.payload))
					}
				}
			})
		}
	}
}

// ---------------------------------------------------------------------------
// Round trips.

// compressionCases are the parameter combinations of Autobahn's 13.x
// categories, each applied to both the server's and the client's options.
var compressionCases = []struct {
	name           string
	server, client CompressionOptions
}{
	{"default", CompressionOptions{}, CompressionOptions{}},
	{"client-no-context", CompressionOptions{}, CompressionOptions{ClientNoContextTakeover: true}},
	{"server-no-context", CompressionOptions{ServerNoContextTakeover: true}, CompressionOptions{}},
	{"both-no-context", CompressionOptions{}, CompressionOptions{ServerNoContextTakeover: true, ClientNoContextTakeover: true}},
	{"window-9", CompressionOptions{}, CompressionOptions{ServerMaxWindowBits: 9, ClientMaxWindowBits: 9}},
	{"window-15", CompressionOptions{}, CompressionOptions{ServerMaxWindowBits: 15, ClientMaxWindowBits: 15}},
	{"window-8-server-limits-client", CompressionOptions{ClientMaxWindowBits: 8, ServerMaxWindowBits: 8}, CompressionOptions{}},
	{"window-9-no-context", CompressionOptions{}, CompressionOptions{ServerMaxWindowBits: 9, ClientMaxWindowBits: 9, ServerNoContextTakeover: true, ClientNoContextTakeover: true}},
	{"level-9", CompressionOptions{Level: 9}, CompressionOptions{Level: 9}},
}

// TestCompressionEcho runs our client against our server under each
// parameter combination, with messages of 0 bytes to 1 MiB.
func TestCompressionEcho(t *testing.T) {
	for _, tc := range compressionCases {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				opts := tc.server
				c, err := Accept(w, r, &AcceptOptions{Compression: &opts})
				if err != nil {
					return
				}
				defer c.CloseNow()
				echoServe(c)
			}))
			defer srv.Close()
			ctx := context.Background()
			copts := tc.client
			c, _, err := Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), &DialOptions{Compression: &copts})
			if err != nil {
				t.Fatal(err)
			}
			defer c.CloseNow()
			if !strings.HasPrefix(c.Extensions(), "permessage-deflate") {
				t.Fatalf("extensions %q", c.Extensions())
			}
			t.Log(c.Extensions())
			var buf []byte
			for i, n := range []int{0, 1, 16, 64, 1000, 4096, 16 << 10, 64 << 10, 128 << 10, 1 << 20} {
				msg := jsonLike(n, int64(i))
				for _, typ := range []MessageType{MessageText, MessageBinary} {
					if err := c.WriteMessage(ctx, typ, msg); err != nil {
						t.Fatal(err)
					}
					gotTyp, got, err := c.ReadMessage(ctx, buf)
					if err != nil {
						t.Fatalf("%d bytes: %v", n, err)
					}
					if gotTyp != typ || !bytes.Equal(got, msg) {
						t.Fatalf("%d bytes: got %v %d bytes", n, gotTyp, len(got))
					}
					buf = got
				}
			}
			if err := c.Close(StatusNormalClosure, ""); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestDeflateEchoMatrix mirrors Autobahn's categories 12 and 13 against
// the raw peer: messages of 16 bytes to 128 KiB, compressed by the peer and
// sent whole or in fragments of 64 to 4096 bytes, under every parameter
// combination of compressionCases and in both roles, come back intact; the
// peer inflates the echoes, checking the window and the context.
func TestDeflateEchoMatrix(t *testing.T) {
	sizes := []int{16, 64, 256, 1024, 4096, 16 << 10, 64 << 10, 128 << 10}
	frags := []int{0, 64, 256, 1024, 4096}
	levels := []int{1, 6, 9, flate.HuffmanOnly}
	for _, tc := range compressionCases {
		for _, role := range zroles {
			t.Run(tc.name+"/"+role, func(t *testing.T) {
				server, client := tc.server, tc.client
				z := makeZPeer(t, role, zcfg{server: &server, client: &client, level: levels[len(tc.name)%len(levels)]})
				if z.ext == "" {
					t.Fatal("permessage-deflate not negotiated")
				}
				i := 0
				for _, size := range sizes {
					for _, frag := range frags {
						i++
						op, msg := OpText, jsonLike(size, int64(i))
						if i%2 == 0 {
							op, msg = OpBinary, mixedBinary(size, int64(i))
						}
						z.sendCompressed(op, msg, frag)
						z.expectMessage(op, true, msg)
					}
				}
			})
		}
	}
}

// ---------------------------------------------------------------------------
// The read limit applies to inflated bytes.

// bytesConn is a net.Conn serving data once, then EOF; writes are dropped.
type bytesConn struct {
	utNopConn
	r *bytes.Reader
}

func (c *bytesConn) Read(p []byte) (int, error)  { return c.r.Read(p) }
func (c *bytesConn) Write(p []byte) (int, error) { return len(p), nil }

// zeroBomb returns a permessage-deflate payload (tail removed) inflating to
// n zero bytes, about n/1032 bytes long: one dynamic-Huffman block whose
// codes make each 258-byte copy of the previous byte two bits.
func zeroBomb(n int) []byte {
	w := &tbitWriter{}
	w.bits(0, 1)       // not final
	w.bits(2, 2)       // dynamic Huffman codes
	w.bits(286-257, 5) // HLIT: literal/length codes up to 285
	w.bits(0, 5)       // HDIST: one distance code
	w.bits(18-4, 4)    // HCLEN: code length codes up to "1" in tClOrder
	// Code length code: 0, 1 and 18 in 2 bits, 2 and 17 in 3.
	clen := map[int]uint32{0: 2, 1: 2, 18: 2, 2: 3, 17: 3}
	for _, sym := range tClOrder[:18] {
		w.bits(clen[sym], 3)
	}
	cl := func(sym int) { // canonical: 0=00 1=01 18=10 2=110 17=111
		switch sym {
		case 0:
			w.code(0, 2)
		case 1:
			w.code(1, 2)
		case 18:
			w.code(2, 2)
		case 2:
			w.code(6, 3)
		}
	}
	zeros := func(k int) { // k from 11 to 138
		cl(18)
		w.bits(uint32(k-11), 7)
	}
	// Literal/length lengths: 0 and 256 (end of block) in 2 bits, 285
	// (length 258) in 1; distance code 0 (distance 1) in 1.
	cl(2)      // literal 0
	zeros(138) // 1-138
	zeros(117) // 139-255
	cl(2)      // 256
	zeros(28)  // 257-284
	cl(1)      // 285
	cl(1)      // distance 0
	// Canonical codes: 285 = 0, literal 0 = 10, 256 = 11; distance 0 = 0.
	w.code(2, 2) // one literal zero
	n--
	for ; n >= 258; n -= 258 {
		w.bits(0, 2) // 258 bytes from 1 back
	}
	for ; n > 0; n-- {
		w.code(2, 2)
	}
	w.code(3, 2) // end of block
	w.bits(0, 3) // sync flush
	w.align()
	return w.out
}

// deflateConn makes a Conn in the given role reading stream, with
// permessage-deflate negotiated with default parameters.
func deflateConn(client bool, nc net.Conn) *Conn {
	c := newConn(nc, client, "", nil)
	c.deflate = newCompression(deflateParams{serverBits: 15, clientBits: 15}, &CompressionOptions{}, client)
	return c
}

// compressedFrame encodes payload as a compressed binary message in one
// frame, masked as a client sends it.
func compressedFrame(payload []byte, masked bool) []byte {
	h := Header{Fin: true, Rsv1: true, Opcode: OpBinary, Length: int64(len(payload)), Masked: masked, Mask: [4]byte{7, 8, 9, 10}}
	return encodeFrame(h, payload)
}

// TestDeflateBomb checks that a message inflating to 64 MiB, sent in
// about 64 KiB, fails with 1009 under a 1 MiB read limit, and that reading
// it allocates no more than the limit, the compressed message and a little
// (256 KiB): inflated bytes count against the limit as they come, not once
// the message is whole.
func TestDeflateBomb(t *testing.T) {
	const limit = 1 << 20
	const slack = 256 << 10
	payload := zeroBomb(64 << 20)
	t.Logf("64 MiB of zeros compressed to %d bytes", len(payload))
	stream := compressedFrame(payload, true)
	ctx := context.Background()
	// measure reads the bomb on a new Conn with the pools emptied (two
	// collections), the collector off during the read. It keeps the least
	// of three measurements, in case another goroutine allocates meanwhile.
	measure := func(read func(c *Conn) error) (uint64, error) {
		least := uint64(1 << 63)
		var err error
		for i := 0; i < 3; i++ {
			c := deflateConn(false, &bytesConn{r: bytes.NewReader(stream)})
			c.SetReadLimit(limit)
			runtime.GC()
			runtime.GC()
			old := debug.SetGCPercent(-1)
			var m0, m1 runtime.MemStats
			runtime.ReadMemStats(&m0)
			err = read(c)
			runtime.ReadMemStats(&m1)
			debug.SetGCPercent(old)
			least = min(least, m1.TotalAlloc-m0.TotalAlloc)
		}
		return least, err
	}
	check := func(t *testing.T, alloc uint64, err error) {
		t.Helper()
		var pe *ProtocolError
		if !errors.As(err, &pe) || pe.Code != StatusMessageTooBig {
			t.Fatalf("got %v, want a ProtocolError with 1009", err)
		}
		// The compressed message is gathered whole before it is inflated
		// (its size is bounded by the limit too), so it counts on top.
		budget := uint64(limit + len(payload) + slack)
		t.Logf("allocated %d KiB for a read limit of %d KiB (budget %d KiB)", alloc>>10, limit>>10, budget>>10)
		if alloc > budget {
			t.Errorf("allocated %d bytes reading the bomb, more than the %d-byte limit + the %d compressed bytes + %d", alloc, limit, len(payload), slack)
		}
	}
	t.Run("ReadMessage", func(t *testing.T) {
		alloc, err := measure(func(c *Conn) error {
			_, msg, err := c.ReadMessage(ctx, nil)
			if len(msg) > limit {
				t.Errorf("ReadMessage returned %d bytes", len(msg))
			}
			return err
		})
		check(t, alloc, err)
	})
	t.Run("NextReader", func(t *testing.T) {
		var n int64
		alloc, err := measure(func(c *Conn) error {
			_, r, err := c.NextReader(ctx)
			if err != nil {
				return err
			}
			n, err = io.Copy(io.Discard, r)
			return err
		})
		check(t, alloc, err)
		if n > limit {
			t.Errorf("the reader gave %d bytes, past the limit", n)
		}
	})
	// Under the default 32 MiB limit a message of up to the limit is read,
	// whatever its compression ratio.
	t.Run("within-limit", func(t *testing.T) {
		c := deflateConn(false, &bytesConn{r: bytes.NewReader(compressedFrame(zeroBomb(4<<20), true))})
		c.SetReadLimit(4 << 20)
		_, msg, err := c.ReadMessage(ctx, nil)
		if err != nil || len(msg) != 4<<20 || !bytes.Equal(msg, make([]byte, 4<<20)) {
			t.Fatalf("%d bytes, %v", len(msg), err)
		}
	})
}

// ---------------------------------------------------------------------------
// Allocations and benchmarks, on the fake connections of bench_test.go.

// deflateParamsFor returns negotiated parameters with context takeover on
// or off in both directions.
func deflateParamsFor(noContext bool) deflateParams {
	return deflateParams{serverNoContext: noContext, clientNoContext: noContext, serverBits: 15, clientBits: 15}
}

// deflateWriter makes a server Conn writing to a utDiscardConn with
// permessage-deflate.
func deflateWriter(noContext bool) (*Conn, *utDiscardConn) {
	c, nc := utWriter(false)
	c.deflate = newCompression(deflateParamsFor(noContext), &CompressionOptions{}, false)
	return c, nc
}

// deflateStream returns n messages of about size bytes of JSON-like text
// and the frames carrying them compressed, as a client sends them (masked):
// with one compress/flate writer for all (context takeover) or a new one
// for each. The frames can be served over and over, provided the reader's
// context is reset each time the stream starts again.
func deflateStream(tb testing.TB, size, n int, noContext bool) (stream []byte, msgs [][]byte) {
	enc := newPeerEncoder(15, noContext, flate.DefaultCompression)
	for i := 0; i < n; i++ {
		m := jsonLike(size, int64(i))
		msgs = append(msgs, m)
		stream = append(stream, compressedFrame(enc.compress(tb, m), true)...)
	}
	return stream, msgs
}

// deflateReader makes a server Conn reading the stream of deflateStream
// over and over, and reads it once through, checking every message. Call
// next before each read after that: it resets the context when the stream
// starts again.
func deflateReader(tb testing.TB, size, n int, noContext bool) (c *Conn, buf []byte, next func()) {
	tb.Helper()
	stream, msgs := deflateStream(tb, size, n, noContext)
	c = newConn(&utLoopConn{data: stream}, false, "", nil)
	c.deflate = newCompression(deflateParamsFor(noContext), &CompressionOptions{}, false)
	ctx := context.Background()
	for i, m := range msgs {
		typ, got, err := c.ReadMessage(ctx, buf)
		if err != nil || typ != MessageBinary || !bytes.Equal(got, m) {
			tb.Fatalf("message %d of the stream: %v, %d bytes, %v; want %d bytes", i, typ, len(got), err, len(m))
		}
		buf = got
	}
	i := 0
	next = func() {
		if i%n == 0 {
			c.deflate.received.reset()
		}
		i++
	}
	return c, buf, next
}

// deflateModes are the two context-takeover settings benchmarked.
var deflateModes = []struct {
	name      string
	noContext bool
}{
	{"context", false},
	{"no-context", true},
}

// poolsDropItems reports whether sync.Pool drops items at random, as it
// does under the race detector: a Put followed by a Get on the same
// goroutine otherwise gives the item back.
func poolsDropItems() bool {
	var p sync.Pool
	for i := 0; i < 200; i++ {
		x := new(int)
		p.Put(x)
		if p.Get() != x {
			return true
		}
	}
	return false
}

// checkZeroAllocs fails the test when allocs is not zero, unless the pools
// drop items at random (under the race detector), where allocations from
// refilling them are expected and only logged.
func checkZeroAllocs(t *testing.T, allocs float64, what string) {
	t.Helper()
	if allocs == 0 {
		return
	}
	if poolsDropItems() {
		t.Logf("%s: %v allocations per message, with sync.Pool dropping items at random (race detector): not checked", what, allocs)
		return
	}
	t.Errorf("%s: %v allocations per message, want none", what, allocs)
}

// TestDeflateSteadyStateAllocs checks that compressed WriteMessage, and
// compressed ReadMessage into the previous payload, allocate nothing per
// message once warmed up, with and without context
// takeover.
func TestDeflateSteadyStateAllocs(t *testing.T) {
	ctx := context.Background()
	const runs = 100
	for _, mode := range deflateModes {
		for _, size := range []int{1 << 10, 64 << 10} {
			name := fmt.Sprintf("%s/%dKiB", mode.name, size>>10)
			t.Run("WriteMessage/"+name, func(t *testing.T) {
				c, nc := deflateWriter(mode.noContext)
				msg := jsonLike(size, 1)
				bad := 0
				allocs := testing.AllocsPerRun(runs, func() {
					if c.WriteMessage(ctx, MessageText, msg) != nil {
						bad++
					}
				})
				if bad > 0 || nc.n == 0 {
					t.Fatalf("%d writes failed, %d bytes written", bad, nc.n)
				}
				checkZeroAllocs(t, allocs, "compressed WriteMessage")
			})
			// Into the previous payload, and into a buffer a little larger
			// than the messages.
			for _, roomy := range []bool{false, true} {
				test, what := "ReadMessage/", "compressed ReadMessage into the previous payload"
				if roomy {
					test, what = "ReadMessage-roomy-buffer/", "compressed ReadMessage into a larger buffer"
				}
				t.Run(test+name, func(t *testing.T) {
					c, buf, next := deflateReader(t, size, 8, mode.noContext)
					if roomy {
						buf = make([]byte, 0, size+64)
					}
					var err error
					bad := 0
					allocs := testing.AllocsPerRun(runs, func() {
						next()
						_, buf, err = c.ReadMessage(ctx, buf)
						if err != nil || len(buf) != size {
							bad++
						}
					})
					if bad > 0 {
						t.Fatalf("%d of the reads failed or were short (last: %d bytes, %v)", bad, len(buf), err)
					}
					checkZeroAllocs(t, allocs, what)
				})
			}
		}
	}
}

// BenchmarkCompress measures compressed WriteMessage of JSON-like text on
// a server Conn writing to a discarding fake connection. The bytes per
// second are those of the uncompressed message; wire-bytes/op is the
// compressed frame's size.
func BenchmarkCompress(b *testing.B) {
	ctx := context.Background()
	for _, size := range []int{1 << 10, 64 << 10} {
		for _, mode := range deflateModes {
			b.Run(fmt.Sprintf("%dKiB/%s", size>>10, mode.name), func(b *testing.B) {
				c, nc := deflateWriter(mode.noContext)
				// Distinct messages of the same kind, as a feed sends: with
				// context takeover each refers back to the ones before.
				var msgs [][]byte
				for i := 0; i < max(8, (256<<10)/size); i++ {
					msgs = append(msgs, jsonLike(size, int64(i)))
				}
				c.WriteMessage(ctx, MessageText, msgs[0])
				nc.n = 0
				b.SetBytes(int64(size))
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if err := c.WriteMessage(ctx, MessageText, msgs[i%len(msgs)]); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				b.ReportMetric(float64(nc.n)/float64(b.N), "wire-bytes/op")
			})
		}
	}
}

// BenchmarkDecompress measures compressed ReadMessage into the previous
// payload on a server Conn, from a fake connection serving frames
// compressed by compress/flate. With context takeover, the frames are a
// stream compressed with one writer, served over and over, and the Conn's
// history is emptied each time the stream starts again (a reset that is
// part of the measurement but costs nothing).
func BenchmarkDecompress(b *testing.B) {
	ctx := context.Background()
	for _, size := range []int{1 << 10, 64 << 10} {
		for _, mode := range deflateModes {
			b.Run(fmt.Sprintf("%dKiB/%s", size>>10, mode.name), func(b *testing.B) {
				n := max(4, (256<<10)/size)
				c, buf, next := deflateReader(b, size, n, mode.noContext)
				b.SetBytes(int64(size))
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					next()
					var err error
					if _, buf, err = c.ReadMessage(ctx, buf); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// ---------------------------------------------------------------------------
// Memory held by a connection.

// TestDeflateConnMemory measures the heap one connection holds between
// messages, after writing and reading two messages, in each compression
// mode: it opens N connections on fake net.Conns, forces collections (which
// also empty the pools) and divides the heap's growth by N. It is a
// measurement, logged as a table; it asserts nothing but that the
// connections worked.
func TestDeflateConnMemory(t *testing.T) {
	const n = 200
	ctx := context.Background()
	modes := []struct {
		name     string
		compress bool
		noCtx    bool
		bits     int
	}{
		{"no compression", false, false, 15},
		{"no context takeover", true, true, 15},
		{"context takeover, 15 bits", true, false, 15},
		{"context takeover, 12 bits", true, false, 12},
		{"context takeover, 9 bits", true, false, 9},
	}
	msgs := [][]byte{jsonLike(2000, 1), jsonLike(2000, 2)}
	var table strings.Builder
	fmt.Fprintf(&table, "\n%-28s %12s\n", "mode", "bytes/conn")
	for _, mode := range modes {
		// The frames the connections read, shared by all of them: as the
		// client sends them, compressed within the window.
		var stream []byte
		enc := &tlz{window: 1 << mode.bits, noContext: mode.noCtx}
		for _, m := range msgs {
			if mode.compress {
				stream = append(stream, compressedFrame(enc.compress(m), true)...)
			} else {
				stream = append(stream, encodeFrame(Header{Fin: true, Opcode: OpBinary, Length: int64(len(m)), Masked: true}, m)...)
			}
		}
		p := deflateParams{serverNoContext: mode.noCtx, clientNoContext: mode.noCtx, serverBits: mode.bits, clientBits: mode.bits}
		conns := make([]*Conn, 0, n)
		runtime.GC()
		runtime.GC()
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		for i := 0; i < n; i++ {
			c := newConn(&bytesConn{r: bytes.NewReader(stream)}, false, "", nil)
			if mode.compress {
				c.deflate = newCompression(p, &CompressionOptions{}, false)
			}
			for _, m := range msgs {
				if err := c.WriteMessage(ctx, MessageText, m); err != nil {
					t.Fatal(err)
				}
			}
			for _, m := range msgs {
				if _, got, err := c.ReadMessage(ctx, nil); err != nil || !bytes.Equal(got, m) {
					t.Fatalf("%s: read %d bytes, %v", mode.name, len(got), err)
				}
			}
			conns = append(conns, c)
		}
		runtime.GC()
		runtime.GC()
		runtime.ReadMemStats(&m1)
		per := (int64(m1.HeapAlloc) - int64(m0.HeapAlloc)) / n
		fmt.Fprintf(&table, "%-28s %12d\n", mode.name, per)
		runtime.KeepAlive(conns)
	}
	t.Log(table.String())
}

// BenchmarkCompressWindow measures compressed WriteMessage of 1 KiB of
// JSON-like text with context takeover at several window sizes: up to
// dictWindowBits the connection keeps only its history and primes a pooled
// compressor with it for each message; above, it keeps its compressor.
func BenchmarkCompressWindow(b *testing.B) {
	ctx := context.Background()
	for _, bits := range []int{9, 12, 13, 15} {
		b.Run(fmt.Sprintf("bits-%d", bits), func(b *testing.B) {
			c, nc := utWriter(false)
			c.deflate = newCompression(deflateParams{serverBits: bits, clientBits: 15}, &CompressionOptions{}, false)
			var msgs [][]byte
			for i := 0; i < 64; i++ { // 64 KiB: repeats lie beyond any window
				msgs = append(msgs, jsonLike(1<<10, int64(i)))
			}
			c.WriteMessage(ctx, MessageText, msgs[0])
			nc.n = 0
			b.SetBytes(1 << 10)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := c.WriteMessage(ctx, MessageText, msgs[i%len(msgs)]); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(nc.n)/float64(b.N), "wire-bytes/op")
		})
	}
}
