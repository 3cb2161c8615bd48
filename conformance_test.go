package websocket

// The wire-level conformance suite (issue #3).
//
// TestConformance runs every case twice: against our server, with the raw
// peer of peer_test.go playing the client (it masks what it sends), and
// against our client, with the raw peer playing the server (it does not).
// The raw peer writes exact bytes, frames cut where a case says and written
// in the chunks it says, and checks exactly what comes back: each frame's
// opcode, FIN and reserved bits and payload, the close code, that the TCP
// connection is closed, and the order of things ("the close arrives before
// the peer sends the rest").
//
// The cases follow the categories and numbering of the Autobahn testsuite
// (1 framing, 2 pings and pongs, 3 reserved bits, 4 opcodes, 5
// fragmentation, 6 UTF-8, 7 closing, 9 limits and throughput, 10
// auto-fragmentation, 12 and 13 permessage-deflate), and extend each with
// cases of our own drawn from RFC 6455 and, for 12 and 13, RFC 7692. Run
//
//	go test -run Conformance -v .
//
// for a report with a line per case and role, or, for one case,
//
//	go test -run 'Conformance/server/5.19$' -v .
//
// Every case asserts what RFC 6455 requires; where the RFC leaves a choice
// between two behaviours, the case accepts exactly those two. The only time
// limits are ordering ("before the peer sends more") and safety bounds well
// above what the behaviour needs.

import (
	"bytes"
	"compress/flate"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

const (
	// confFailFast bounds the wait for a close frame that must arrive
	// before the peer sends anything more: the package has everything it
	// needs to fail the connection, so it should do so at once.
	confFailFast = 5 * time.Second
	// confCloseWait bounds the wait for the TCP connection to be closed
	// once both close frames have crossed: the server must close it
	// immediately (section 5.5.1), the client as soon as the server has. It
	// is below DefaultCloseTimeout, so that a package waiting out its close
	// timeout instead of closing is caught.
	confCloseWait = 2 * time.Second
)

// confKosme is the Greek word κόσμε as Markus Kuhn's UTF-8 samples spell
// it, with U+1F79 (3 bytes) for its second letter.
const confKosme = "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"

// confMaskKey is the masking key of the raw peer's frames when it plays the
// client. No byte of it is zero, so that a payload left masked or unmasked
// twice shows.
var confMaskKey = [4]byte{0xa1, 0x5e, 0x07, 0xc3}

// confCase is one case of the suite: an id in Autobahn's numbering, a
// one-line description, and the script the raw peer plays. setup adjusts
// the connection under test and loop replaces its echo loop, when set. z,
// when set, negotiates permessage-deflate in the opening handshake (setup is
// then not used).
type confCase struct {
	id    string
	desc  string
	setup func(*Conn)
	loop  func(*Conn) error
	z     *confZ
	run   func(x *confScript)
}

// TestConformance runs the suite: TestConformance/server/<id> against our
// server, TestConformance/client/<id> against our client.
func TestConformance(t *testing.T) {
	cases := confCases()
	t.Cleanup(func() {
		confZCache.Lock()
		confZCache.m = nil
		confZCache.Unlock()
	})
	ids := make(map[string]bool)
	for _, c := range cases {
		if ids[c.id] {
			t.Fatalf("case id %s is used twice", c.id)
		}
		ids[c.id] = true
	}
	for _, role := range []string{"server", "client"} {
		for _, c := range cases {
			t.Run(role+"/"+c.id, func(t *testing.T) {
				t.Log(c.desc)
				if c.z != nil {
					z := c.z.start(t, role, c.loop)
					s := z.side()
					c.run(&confScript{t: t, s: s, p: s.peer, z: z})
					return
				}
				s := makeSide(t, role, c.setup, c.loop)
				c.run(&confScript{t: t, s: s, p: s.peer})
			})
		}
	}
}

// confCases returns the whole suite, category by category.
func confCases() []confCase {
	var cs []confCase
	confFraming(&cs)
	confPings(&cs)
	confReservedBits(&cs)
	confOpcodes(&cs)
	confFragmentation(&cs)
	confUTF8(&cs)
	confClosing(&cs)
	confLimits(&cs)
	confAutoFragmentation(&cs)
	confDeflatePayloads(&cs)
	confDeflateParams(&cs)
	return cs
}

// confCat numbers the cases of one (sub)category: prefix.1, prefix.2, ...
type confCat struct {
	prefix string
	n      int
	cases  *[]confCase
}

func newConfCat(cases *[]confCase, prefix string) *confCat {
	return &confCat{prefix: prefix, cases: cases}
}

// add appends the next case, run with the default echo loop.
func (c *confCat) add(desc string, run func(x *confScript)) {
	c.addCase(confCase{desc: desc, run: run})
}

// addCase appends k as the next case.
func (c *confCat) addCase(k confCase) {
	c.n++
	k.id = fmt.Sprintf("%s.%d", c.prefix, c.n)
	*c.cases = append(*c.cases, k)
}

// ---------------------------------------------------------------------
// The raw peer's script: what it sends and what it expects.

// confScript is the raw peer of one case and role.
type confScript struct {
	t *testing.T
	s side
	p *rawPeer
	z *zpeer // the same peer with its permessage-deflate codec, in categories 12 and 13
}

// serverUnderTest reports whether the package plays the server (and the raw
// peer the client).
func (x *confScript) serverUnderTest() bool { return x.s.name == "server" }

// hframe encodes a frame with header h and payload as the raw peer sends
// it: masked when it plays the client. The length is the payload's.
func (x *confScript) hframe(h Header, payload []byte) []byte {
	h.Length = int64(len(payload))
	h.Masked = x.p.client
	if h.Masked {
		h.Mask = confMaskKey
	}
	return encodeFrame(h, payload)
}

// frame encodes a frame with no reserved bits.
func (x *confScript) frame(fin bool, op Opcode, payload []byte) []byte {
	return x.hframe(Header{Fin: fin, Opcode: op}, payload)
}

// wrongMaskFrame encodes a frame masked as the other role would: masked
// from a server, unmasked from a client.
func (x *confScript) wrongMaskFrame(h Header, payload []byte) []byte {
	h.Length = int64(len(payload))
	h.Masked = !x.p.client
	if h.Masked {
		h.Mask = confMaskKey
	}
	return encodeFrame(h, payload)
}

// lengthForm encodes a final frame whose length uses the 16-bit (form 126)
// or 64-bit (form 127) encoding whatever the payload's size.
func (x *confScript) lengthForm(op Opcode, payload []byte, form int) []byte {
	maskBit := byte(0)
	if x.p.client {
		maskBit = 0x80
	}
	b := []byte{0x80 | byte(op), maskBit | byte(form)}
	if form == 126 {
		b = binary.BigEndian.AppendUint16(b, uint16(len(payload)))
	} else {
		b = binary.BigEndian.AppendUint64(b, uint64(len(payload)))
	}
	start := len(b)
	if x.p.client {
		b = append(b, confMaskKey[:]...)
		start = len(b)
	}
	b = append(b, payload...)
	if x.p.client {
		Mask(confMaskKey, 0, b[start:])
	}
	return b
}

// split cuts an encoded frame into its header and its payload.
func split(frame []byte, payloadLen int) (header, payload []byte) {
	hl := len(frame) - payloadLen
	return frame[:hl], frame[hl:]
}

// write sends parts in a single write.
func (x *confScript) write(parts ...[]byte) {
	x.t.Helper()
	x.p.write(bytes.Join(parts, nil))
}

// writeEach sends each part in a write of its own, pausing in between.
func (x *confScript) writeEach(pause time.Duration, parts ...[]byte) {
	x.t.Helper()
	for i, b := range parts {
		if i > 0 {
			time.Sleep(pause)
		}
		x.p.write(b)
	}
}

// writeBytewise sends parts a byte per write.
func (x *confScript) writeBytewise(parts ...[]byte) {
	x.t.Helper()
	x.p.writeChunks(bytes.Join(parts, nil), 1, 0)
}

// trickle sends b a byte per write, pausing after each of the first 16
// bytes so that the header arrives in pieces.
func (x *confScript) trickle(b []byte) {
	x.t.Helper()
	head := min(len(b), 16)
	x.p.writeChunks(b[:head], 1, time.Millisecond)
	x.p.writeChunks(b[head:], 1, 0)
}

// send sends one frame in one write.
func (x *confScript) send(fin bool, op Opcode, payload []byte) {
	x.t.Helper()
	x.write(x.frame(fin, op, payload))
}

// afterClose sends parts once the package has sent its close frame. The
// package may have closed the connection by then (a failing endpoint need
// not wait, section 7.1.7), so a failed write is no error.
func (x *confScript) afterClose(parts ...[]byte) {
	if b := bytes.Join(parts, nil); len(b) > 0 {
		x.p.writeMayFail(b)
	}
}

// nextWithin reads the package's next frame, giving its header d to come,
// and checks what every frame must respect: masking by role (readFrame),
// no reserved bits or opcodes, and control frames whole and short.
func (x *confScript) nextWithin(d time.Duration) (Header, []byte, error) {
	h, p, err := x.p.readFrameWithin(d)
	if err != nil {
		return h, p, err
	}
	switch {
	case h.Rsv1 || h.Rsv2 || h.Rsv3:
		x.t.Fatalf("the package sent %s with reserved bits set, without an extension (5.2)", confDescribe(h, p))
	case h.Opcode.IsReserved():
		x.t.Fatalf("the package sent a frame with reserved opcode %#x (5.2)", byte(h.Opcode))
	case h.Opcode.IsControl() && (!h.Fin || len(p) > MaxControlPayload):
		x.t.Fatalf("the package sent a fragmented or oversized control frame: %s (5.5)", confDescribe(h, p))
	}
	return h, p, nil
}

// next is nextWithin with peerTimeout, failing the test on a read error.
func (x *confScript) next() (Header, []byte) {
	x.t.Helper()
	h, p, err := x.nextWithin(peerTimeout)
	if err != nil {
		x.t.Fatalf("reading the package's next frame: %v", err)
	}
	return h, p
}

// expectMessage checks that the next frames are one data message of type op
// carrying want, with no other frame among them.
func (x *confScript) expectMessage(op Opcode, want []byte) {
	x.t.Helper()
	h, p := x.next()
	x.expectMessageFrom(h, p, op, want)
}

// expectMessageFrom is expectMessage when its first frame, h and p, has
// been read already.
func (x *confScript) expectMessageFrom(h Header, p []byte, op Opcode, want []byte) {
	x.t.Helper()
	var got []byte
	for first := true; ; first = false {
		wantOp := op
		if !first {
			wantOp = OpContinuation
			h, p = x.next()
		}
		if h.Opcode != wantOp {
			x.t.Fatalf("got %s, want a %v frame of the %v message echoed (%d bytes: %s)",
				confDescribe(h, p), wantOp, op, len(want), confShow(want))
		}
		got = append(got, p...)
		if h.Fin {
			break
		}
	}
	if !bytes.Equal(got, want) {
		i := 0
		for i < len(got) && i < len(want) && got[i] == want[i] {
			i++
		}
		x.t.Fatalf("got a %v message of %d bytes (%s), want %d bytes (%s): they differ from byte %d",
			op, len(got), confShow(got), len(want), confShow(want), i)
	}
}

// expectPong checks that the next frame is a pong carrying payload.
func (x *confScript) expectPong(payload []byte) {
	x.t.Helper()
	h, p := x.next()
	if h.Opcode != OpPong || !bytes.Equal(p, payload) {
		x.t.Fatalf("got %s, want a pong with the ping's payload (%s)", confDescribe(h, p), confShow(payload))
	}
}

// checkClose checks that h and p make a well-formed close frame (section
// 5.5.1: no 1-byte payload, a code that may be sent, a UTF-8 reason) and
// returns its code (0 for an empty payload) and reason.
func (x *confScript) checkClose(h Header, p []byte, want StatusCode) (StatusCode, string) {
	x.t.Helper()
	if h.Opcode != OpClose {
		x.t.Fatalf("got %s, want a close frame with %v", confDescribe(h, p), want)
	}
	switch {
	case len(p) == 0:
		return 0, ""
	case len(p) == 1:
		x.t.Fatalf("the package sent a close frame with a 1-byte payload (5.5.1)")
	}
	code := StatusCode(binary.BigEndian.Uint16(p))
	if !code.Valid() {
		x.t.Fatalf("the package sent close code %d, which may not be sent (7.4)", uint16(code))
	}
	if !utf8.Valid(p[2:]) {
		x.t.Fatalf("the package sent a close reason that is not UTF-8: %q (5.5.1)", p[2:])
	}
	return code, string(p[2:])
}

// expectCloseWithin checks that the next frame, arriving within d, is a close
// frame with code want (0: an empty payload), and returns its reason.
func (x *confScript) expectCloseWithin(want StatusCode, d time.Duration) string {
	x.t.Helper()
	h, p, err := x.nextWithin(d)
	if err != nil {
		x.t.Fatalf("no close frame with %v came within %v: %v", want, d, err)
	}
	code, reason := x.checkClose(h, p, want)
	if code != want {
		x.t.Fatalf("got a close frame with %v %q, want %v", code, reason, want)
	}
	return reason
}

// expectClose is expectCloseWithin with peerTimeout.
func (x *confScript) expectClose(want StatusCode) string {
	x.t.Helper()
	return x.expectCloseWithin(want, peerTimeout)
}

// fails checks that the package fails the connection with code: its next
// frame is a close frame with code (so no echo, pong or other frame comes
// first), and the connection ends as finishFailure checks.
func (x *confScript) fails(code StatusCode) {
	x.t.Helper()
	x.expectClose(code)
	x.finishFailure(code)
}

// failsFast is fails for a violation the package has whole before the peer
// sends rest: the close frame must come before rest is sent.
func (x *confScript) failsFast(code StatusCode, rest ...[]byte) {
	x.t.Helper()
	x.expectCloseWithin(code, confFailFast)
	x.finishFailure(code, rest...)
}

// finishFailure completes a connection that the package failed with code,
// its close frame read: the peer sends rest and answers with a close frame
// (either may find the connection closed already), the TCP connection is
// closed, and the package's loop ends with a *ProtocolError with code.
func (x *confScript) finishFailure(code StatusCode, rest ...[]byte) {
	x.t.Helper()
	x.afterClose(append(rest, x.frame(true, OpClose, closePayload(code, "")))...)
	x.finishTCP()
	x.wantProtocolError(code)
}

// finishTCP checks the end of the TCP connection once both close frames
// have crossed: the server closes it at once (section 5.5.1), while a
// client waits for the server to (section 7.1.1), so when the package is
// the client the peer closes its side first. Nothing may follow the
// package's close frame.
func (x *confScript) finishTCP() {
	x.t.Helper()
	if !x.serverUnderTest() {
		x.p.nc.(*net.TCPConn).CloseWrite()
	}
	x.p.nc.SetReadDeadline(time.Now().Add(confCloseWait))
	n, err := io.Copy(io.Discard, x.p.br)
	switch {
	case n > 0:
		x.t.Fatalf("the package sent %d more bytes after its close frame (5.5.1)", n)
	case isTimeout(err):
		x.t.Fatalf("the package did not close the TCP connection within %v of the closing handshake (5.5.1, 7.1.1)", confCloseWait)
	case err != nil && !isConnReset(err):
		x.t.Fatalf("waiting for the TCP connection to close: %v", err)
	}
}

// wantProtocolError checks that the package's loop ended with a
// *ProtocolError with code.
func (x *confScript) wantProtocolError(code StatusCode) {
	x.t.Helper()
	err := x.s.result()
	var pe *ProtocolError
	if !errors.As(err, &pe) || pe.Code != code {
		x.t.Fatalf("the package's loop ended with %v, want a *ProtocolError with %v", err, code)
	}
}

// closeAnswered checks the package's answer to a valid close frame from the
// peer: a close frame with echo (section 5.5.1), the end of the TCP
// connection, and a *CloseError with code and reason from the loop.
func (x *confScript) closeAnswered(echo, code StatusCode, reason string) {
	x.t.Helper()
	x.expectClose(echo)
	x.finishTCP()
	wantCloseError(x.t, x.s.result(), code, reason)
}

// closeRejected checks the package's answer to a malformed close frame from
// the peer: a close frame with code and the end of the TCP connection. The
// peer has sent its close frame already, so it sends nothing more.
func (x *confScript) closeRejected(code StatusCode) {
	x.t.Helper()
	x.expectClose(code)
	x.finishTCP()
	x.wantProtocolError(code)
}

// bye ends a case that left the connection open: the peer closes with 1000,
// and the package must answer and close as closeAnswered checks. It also
// shows that nothing unexpected was queued before the close.
func (x *confScript) bye() {
	x.t.Helper()
	x.send(true, OpClose, closePayload(StatusNormalClosure, "bye"))
	x.closeAnswered(StatusNormalClosure, StatusNormalClosure, "bye")
}

// alive checks that the connection is still open, by a ping and its pong.
func (x *confScript) alive(tag string) {
	x.t.Helper()
	x.send(true, OpPing, []byte(tag))
	x.expectPong([]byte(tag))
}

// confBit writes a flag as a header bit: 0 or 1.
func confBit(b bool) int {
	if b {
		return 1
	}
	return 0
}

func confDescribe(h Header, p []byte) string {
	return fmt.Sprintf("a %v frame (fin=%v, %d bytes: %s)", h.Opcode, h.Fin, len(p), confShow(p))
}

func confShow(b []byte) string {
	if len(b) > 24 {
		return fmt.Sprintf("%q…", b[:24])
	}
	return fmt.Sprintf("%q", b)
}

// confText returns n bytes of valid UTF-8 mixing code points of one to four
// bytes.
func confText(n int) []byte {
	const unit = "Hé€𝄞" // 1+2+3+4 bytes
	b := bytes.Repeat([]byte(unit), n/len(unit))
	return append(b, bytes.Repeat([]byte("*"), n%len(unit))...)
}

// confBinary returns n pseudo-random bytes, the same for the same n.
func confBinary(n int) []byte {
	b := make([]byte, n+8)
	s := uint64(0x9e3779b97f4a7c15) ^ uint64(n)
	for i := 0; i < n; i += 8 {
		s ^= s << 13
		s ^= s >> 7
		s ^= s << 17
		binary.LittleEndian.PutUint64(b[i:], s)
	}
	return b[:n:n]
}

// confASCII returns n bytes of printable ASCII.
func confASCII(n int) []byte {
	return bytes.Repeat([]byte("0123456789abcdef"), n/16+1)[:n:n]
}

// rsv sets the reserved bits of h from the 3-bit value v (RSV1 is 4).
func rsv(h Header, v int) Header {
	h.Rsv1, h.Rsv2, h.Rsv3 = v&4 != 0, v&2 != 0, v&1 != 0
	return h
}

// ---------------------------------------------------------------------
// 1 Framing

func confFraming(cs *[]confCase) {
	sizes := []int{0, 125, 126, 127, 128, 65535, 65536}
	kinds := []struct {
		sub  string
		op   Opcode
		name string
		gen  func(int) []byte
	}{
		{"1.1", OpText, "text", confText},
		{"1.2", OpBinary, "binary", confBinary},
	}
	for _, k := range kinds {
		c := newConfCat(cs, k.sub)
		echo := func(x *confScript, msg []byte, write func(b []byte)) {
			write(x.frame(true, k.op, msg))
			x.expectMessage(k.op, msg)
			x.bye()
		}
		for _, n := range sizes {
			c.add(fmt.Sprintf("%s message of %d bytes in one frame, one write: echoed", k.name, n), func(x *confScript) {
				echo(x, k.gen(n), func(b []byte) { x.write(b) })
			})
		}
		c.add(fmt.Sprintf("%s message of 65536 bytes in one frame written in chunks of 997 bytes: echoed", k.name), func(x *confScript) {
			echo(x, k.gen(65536), func(b []byte) { x.p.writeChunks(b, 997, 0) })
		})
		c.add(fmt.Sprintf("%s message of 1 MiB in one frame, one write: echoed", k.name), func(x *confScript) {
			echo(x, k.gen(1<<20), func(b []byte) { x.write(b) })
		})
		for _, n := range sizes {
			c.add(fmt.Sprintf("%s message of %d bytes in one frame written a byte per write, the header with pauses: echoed", k.name, n), func(x *confScript) {
				echo(x, k.gen(n), x.trickle)
			})
		}
		c.add(fmt.Sprintf("%s message of 1 MiB + 1 byte in one frame written in chunks of 4093 bytes: echoed", k.name), func(x *confScript) {
			echo(x, k.gen(1<<20+1), func(b []byte) { x.p.writeChunks(b, 4093, 0) })
		})
		c.add(fmt.Sprintf("%s message of 65536 bytes: the header alone, a pause, then the payload: echoed", k.name), func(x *confScript) {
			msg := k.gen(65536)
			hdr, payload := split(x.frame(true, k.op, msg), len(msg))
			x.writeEach(20*time.Millisecond, hdr, payload)
			x.expectMessage(k.op, msg)
			x.bye()
		})
	}

	// Masking (section 5.1, 5.3): a server must fail on an unmasked frame
	// and a client on a masked one.
	c := newConfCat(cs, "1.3")
	c.add("text frame masked as the other role would (5.1): 1002, no echo", func(x *confScript) {
		x.write(x.wrongMaskFrame(Header{Fin: true, Opcode: OpText}, []byte("masked wrongly")))
		x.fails(StatusProtocolError)
	})
	c.add("ping masked as the other role would (5.1): 1002, no pong", func(x *confScript) {
		x.write(x.wrongMaskFrame(Header{Fin: true, Opcode: OpPing}, []byte("masked wrongly")))
		x.fails(StatusProtocolError)
	})
	c.add("fragmented text whose continuation is masked as the other role would (5.1): 1002, no echo", func(x *confScript) {
		x.write(x.frame(false, OpText, []byte("first half, ")),
			x.wrongMaskFrame(Header{Fin: true, Opcode: OpContinuation}, []byte("second half masked wrongly")))
		x.fails(StatusProtocolError)
	})

	// Length encodings (section 5.2).
	c = newConfCat(cs, "1.4")
	for _, v := range []struct {
		desc string
		op   Opcode
		n    int
		form int
	}{
		{"text message of 125 bytes with its length in the 16-bit form", OpText, 125, 126},
		{"binary message of 200 bytes with its length in the 64-bit form", OpBinary, 200, 127},
	} {
		c.add(v.desc+" (5.2 makes the minimal form a sender's MUST): echoed, or failed with 1002", func(x *confScript) {
			msg := confText(v.n)
			if v.op == OpBinary {
				msg = confBinary(v.n)
			}
			x.write(x.lengthForm(v.op, msg, v.form))
			h, p := x.next()
			if h.Opcode == OpClose {
				if code, _ := x.checkClose(h, p, StatusProtocolError); code != StatusProtocolError {
					x.t.Fatalf("got close with %v, want the echo or 1002", code)
				}
				x.finishFailure(StatusProtocolError)
				return
			}
			x.expectMessageFrom(h, p, v.op, msg)
			x.bye()
		})
	}
	c.add("64-bit length with its most significant bit set (5.2: it MUST be 0), header alone: 1002 or 1009 before anything more is sent", func(x *confScript) {
		maskBit := byte(0)
		if x.p.client {
			maskBit = 0x80
		}
		b := []byte{0x82, maskBit | 127, 0x80, 0, 0, 0, 0, 0, 0, 5}
		if x.p.client {
			b = append(b, confMaskKey[:]...)
		}
		x.write(b)
		h, p, err := x.nextWithin(confFailFast)
		if err != nil {
			x.t.Fatalf("no close frame came within %v: %v", confFailFast, err)
		}
		code, _ := x.checkClose(h, p, StatusProtocolError)
		if code != StatusProtocolError && code != StatusMessageTooBig {
			x.t.Fatalf("got close with %v, want 1002 or 1009", code)
		}
		x.finishFailure(code)
	})
}

// ---------------------------------------------------------------------
// 2 Pings and pongs

func confPings(cs *[]confCase) {
	c := newConfCat(cs, "2")
	pingEcho := func(payload []byte) func(x *confScript) {
		return func(x *confScript) {
			x.send(true, OpPing, payload)
			x.expectPong(payload)
			x.bye()
		}
	}
	c.add("ping without payload: a pong without payload answers it (5.5.2, 5.5.3)", pingEcho(nil))
	c.add("ping with a short text payload: the pong carries it", pingEcho([]byte("Hello, world!")))
	c.add("ping with a short binary payload (not UTF-8): the pong carries it", pingEcho([]byte{0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff}))
	c.add("ping with 125 bytes of binary payload, the most a control frame holds: the pong carries it", pingEcho(confBinary(125)))
	c.add("ping with 126 bytes of payload (5.5: control frames hold at most 125): 1002, no pong", func(x *confScript) {
		x.send(true, OpPing, confBinary(126))
		x.fails(StatusProtocolError)
	})
	c.add("ping with 125 bytes written a byte per write: the pong carries its payload", func(x *confScript) {
		payload := confBinary(125)
		x.writeBytewise(x.frame(true, OpPing, payload))
		x.expectPong(payload)
		x.bye()
	})
	c.add("unsolicited pong without payload: ignored (5.5.3), the next frame is the echo of a later message", func(x *confScript) {
		x.send(true, OpPong, nil)
		x.send(true, OpText, []byte("after the pong"))
		x.expectMessage(OpText, []byte("after the pong"))
		x.bye()
	})
	c.add("unsolicited pong with payload: ignored, the next frame is the echo of a later message", func(x *confScript) {
		x.send(true, OpPong, []byte("unsolicited pong payload"))
		x.send(true, OpText, []byte("after the pong"))
		x.expectMessage(OpText, []byte("after the pong"))
		x.bye()
	})
	c.add("unsolicited pong, then a ping: the only answer is the pong to the ping", func(x *confScript) {
		x.write(x.frame(true, OpPong, []byte("unsolicited pong payload")), x.frame(true, OpPing, []byte("ping payload")))
		x.expectPong([]byte("ping payload"))
		x.bye()
	})
	tenPings := func(x *confScript) ([]byte, [][]byte) {
		var b []byte
		var payloads [][]byte
		for i := 0; i < 10; i++ {
			p := []byte(fmt.Sprintf("payload-%d", i))
			payloads = append(payloads, p)
			b = append(b, x.frame(true, OpPing, p)...)
		}
		return b, payloads
	}
	c.add("10 pings with distinct payloads in one write: 10 pongs, in the same order", func(x *confScript) {
		b, payloads := tenPings(x)
		x.write(b)
		for _, p := range payloads {
			x.expectPong(p)
		}
		x.bye()
	})
	c.add("10 pings with distinct payloads written a byte per write: 10 pongs, in the same order", func(x *confScript) {
		b, payloads := tenPings(x)
		x.writeBytewise(b)
		for _, p := range payloads {
			x.expectPong(p)
		}
		x.bye()
	})
	c.add("126 pings with payloads of every length from 0 to 125 in one write: each answered in order with its payload", func(x *confScript) {
		var b []byte
		for n := 0; n <= MaxControlPayload; n++ {
			b = append(b, x.frame(true, OpPing, confBinary(n))...)
		}
		x.write(b)
		for n := 0; n <= MaxControlPayload; n++ {
			x.expectPong(confBinary(n))
		}
		x.bye()
	})
	c.add("ping whose header arrives a byte at a time with pauses and payload after a pause: answered", func(x *confScript) {
		payload := []byte("slow ping")
		f := x.frame(true, OpPing, payload)
		hdr, rest := split(f, len(payload))
		x.p.writeChunks(hdr, 1, 5*time.Millisecond)
		time.Sleep(20 * time.Millisecond)
		x.write(rest)
		x.expectPong(payload)
		x.bye()
	})
	c.add("header of a ping announcing 126 bytes, alone: 1002 arrives before the payload is sent", func(x *confScript) {
		hdr, payload := split(x.frame(true, OpPing, confBinary(126)), 126)
		x.write(hdr)
		x.failsFast(StatusProtocolError, payload)
	})
	c.add("header of a ping announcing 65536 bytes (64-bit length), alone: 1002 arrives before the payload is sent", func(x *confScript) {
		hdr, payload := split(x.frame(true, OpPing, confBinary(65536)), 65536)
		x.write(hdr)
		x.failsFast(StatusProtocolError, payload)
	})
	c.add("pong with 126 bytes of payload (5.5): 1002", func(x *confScript) {
		x.send(true, OpPong, confBinary(126))
		x.fails(StatusProtocolError)
	})
	c.add("unsolicited pong with 125 bytes of payload: ignored", func(x *confScript) {
		x.send(true, OpPong, confBinary(125))
		x.send(true, OpBinary, []byte{1, 2, 3})
		x.expectMessage(OpBinary, []byte{1, 2, 3})
		x.bye()
	})
	c.add("close then ping in one write: the close is answered, the ping is not", func(x *confScript) {
		x.write(x.frame(true, OpClose, closePayload(StatusNormalClosure, "")), x.frame(true, OpPing, []byte("after close")))
		x.closeAnswered(StatusNormalClosure, StatusNormalClosure, "")
	})
	c.add("ping sent once the package has answered our close: not answered, the connection closes", func(x *confScript) {
		x.send(true, OpClose, closePayload(StatusNormalClosure, ""))
		x.expectClose(StatusNormalClosure)
		x.afterClose(x.frame(true, OpPing, []byte("too late")))
		x.finishTCP()
		wantCloseError(x.t, x.s.result(), StatusNormalClosure, "")
	})
	c.add("text, ping, binary in one write: echo, pong, echo, in that order", func(x *confScript) {
		x.write(x.frame(true, OpText, []byte("first")), x.frame(true, OpPing, []byte("between")), x.frame(true, OpBinary, []byte{0, 1, 2}))
		x.expectMessage(OpText, []byte("first"))
		x.expectPong([]byte("between"))
		x.expectMessage(OpBinary, []byte{0, 1, 2})
		x.bye()
	})
}

// ---------------------------------------------------------------------
// 3 Reserved bits

func confReservedBits(cs *[]confCase) {
	c := newConfCat(cs, "3")
	hello := []byte("Hello, world!")
	c.add("text frame with RSV=1, no extension negotiated (5.2): 1002, no echo", func(x *confScript) {
		x.write(x.hframe(rsv(Header{Fin: true, Opcode: OpText}, 1), hello))
		x.fails(StatusProtocolError)
	})
	threeFrames := func(x *confScript, v int) [][]byte {
		return [][]byte{
			x.frame(true, OpText, hello),
			x.hframe(rsv(Header{Fin: true, Opcode: OpText}, v), hello),
			x.frame(true, OpPing, []byte("no pong")),
		}
	}
	c.add("text, text with RSV=2, ping, in one write: the first echoed, then 1002, no pong", func(x *confScript) {
		x.write(threeFrames(x, 2)...)
		x.expectMessage(OpText, hello)
		x.fails(StatusProtocolError)
	})
	c.add("text, text with RSV=3, ping, a frame per write with pauses: the first echoed, then 1002, no pong", func(x *confScript) {
		x.writeEach(10*time.Millisecond, threeFrames(x, 3)...)
		x.expectMessage(OpText, hello)
		x.fails(StatusProtocolError)
	})
	c.add("text, text with RSV=4, ping, a byte per write: the first echoed, then 1002, no pong", func(x *confScript) {
		x.writeBytewise(threeFrames(x, 4)...)
		x.expectMessage(OpText, hello)
		x.fails(StatusProtocolError)
	})
	c.add("binary frame with RSV=5: 1002, no echo", func(x *confScript) {
		x.write(x.hframe(rsv(Header{Fin: true, Opcode: OpBinary}, 5), []byte{0, 1, 2, 3, 4, 5, 6, 7}))
		x.fails(StatusProtocolError)
	})
	c.add("ping with RSV=6: 1002, no pong", func(x *confScript) {
		x.write(x.hframe(rsv(Header{Fin: true, Opcode: OpPing}, 6), hello))
		x.fails(StatusProtocolError)
	})
	c.add("close 1000 with RSV=7: 1002, not an echo of 1000", func(x *confScript) {
		x.write(x.hframe(rsv(Header{Fin: true, Opcode: OpClose}, 7), closePayload(StatusNormalClosure, "")))
		x.fails(StatusProtocolError)
	})

	// Every RSV value on every kind of frame, failing fast: the package
	// has the violation as soon as the header is in.
	kinds := []struct {
		name    string
		op      Opcode
		payload []byte
	}{
		{"text", OpText, confText(50)},
		{"binary", OpBinary, confBinary(50)},
		{"continuation", OpContinuation, confText(50)},
		{"ping", OpPing, confBinary(50)},
		{"pong", OpPong, confBinary(50)},
		{"close", OpClose, closePayload(StatusNormalClosure, "bye")},
	}
	for i, k := range kinds {
		c := newConfCat(cs, fmt.Sprintf("3.%d", 8+i))
		for v := 1; v <= 7; v++ {
			c.add(fmt.Sprintf("a message echoed, then the header of a %s frame with RSV=%d alone: 1002 before its payload is sent, and no pong for a ping after it", k.name, v), func(x *confScript) {
				x.send(true, OpBinary, []byte("before"))
				x.expectMessage(OpBinary, []byte("before"))
				if k.op == OpContinuation {
					x.send(false, OpText, []byte("a fragmented message "))
				}
				hdr, payload := split(x.hframe(rsv(Header{Fin: true, Opcode: k.op}, v), k.payload), len(k.payload))
				x.write(hdr)
				x.failsFast(StatusProtocolError, payload, x.frame(true, OpPing, []byte("no pong")))
			})
		}
	}
}

// ---------------------------------------------------------------------
// 4 Opcodes

func confOpcodes(cs *[]confCase) {
	for g, base := range []Opcode{3, 0xb} {
		kind := []string{"data", "control"}[g]
		c := newConfCat(cs, fmt.Sprintf("4.%d", g+1))
		c.add(fmt.Sprintf("frame with reserved %s opcode %#x, no payload (5.2): 1002", kind, byte(base)), func(x *confScript) {
			x.send(true, base, nil)
			x.fails(StatusProtocolError)
		})
		c.add(fmt.Sprintf("frame with reserved %s opcode %#x and a payload: 1002", kind, byte(base+1)), func(x *confScript) {
			x.send(true, base+1, []byte("reserved opcode payload"))
			x.fails(StatusProtocolError)
		})
		for i, payload := range [][]byte{nil, []byte("reserved opcode payload"), confBinary(100)} {
			op := base + 2 + Opcode(i)
			c.add(fmt.Sprintf("text, a frame with reserved opcode %#x and %d bytes of payload, ping, in one write: echo, then 1002, no pong", byte(op), len(payload)), func(x *confScript) {
				x.write(x.frame(true, OpText, []byte("Hello")), x.frame(true, op, payload), x.frame(true, OpPing, []byte("no pong")))
				x.expectMessage(OpText, []byte("Hello"))
				x.fails(StatusProtocolError)
			})
		}
	}
	var reserved []Opcode
	for op := Opcode(0); op <= 0xf; op++ {
		if op.IsReserved() {
			reserved = append(reserved, op)
		}
	}
	c := newConfCat(cs, "4.3")
	for _, op := range reserved {
		c.add(fmt.Sprintf("frame with reserved opcode %#x between the fragments of a text message: 1002, no echo", byte(op)), func(x *confScript) {
			x.write(x.frame(false, OpText, []byte("frag")), x.frame(true, op, []byte("x")), x.frame(true, OpContinuation, []byte("ment")))
			x.fails(StatusProtocolError)
		})
	}
	c = newConfCat(cs, "4.4")
	for _, op := range reserved {
		c.add(fmt.Sprintf("header of a frame with reserved opcode %#x announcing 100 bytes, alone: 1002 before the payload is sent", byte(op)), func(x *confScript) {
			hdr, payload := split(x.frame(true, op, confBinary(100)), 100)
			x.write(hdr)
			x.failsFast(StatusProtocolError, payload)
		})
	}
	c = newConfCat(cs, "4.5")
	for _, op := range reserved {
		c.add(fmt.Sprintf("frame with reserved opcode %#x and FIN=0, then a continuation with FIN=1: 1002, no echo", byte(op)), func(x *confScript) {
			x.write(x.frame(false, op, []byte("start")), x.frame(true, OpContinuation, []byte("end")))
			x.fails(StatusProtocolError)
		})
	}
}

// ---------------------------------------------------------------------
// 5 Fragmentation

func confFragmentation(cs *[]confCase) {
	c := newConfCat(cs, "5")
	c.add("ping in two fragments (5.4, 5.5: control frames are never fragmented): 1002, no pong", func(x *confScript) {
		x.write(x.frame(false, OpPing, []byte("fragment1")), x.frame(true, OpContinuation, []byte("fragment2")))
		x.fails(StatusProtocolError)
	})
	c.add("pong in two fragments: 1002", func(x *confScript) {
		x.write(x.frame(false, OpPong, []byte("fragment1")), x.frame(true, OpContinuation, []byte("fragment2")))
		x.fails(StatusProtocolError)
	})
	twoFrags := func(x *confScript) [][]byte {
		return [][]byte{x.frame(false, OpText, []byte("fragment1")), x.frame(true, OpContinuation, []byte("fragment2"))}
	}
	c.add("text in two fragments, one write: echoed whole", func(x *confScript) {
		x.write(twoFrags(x)...)
		x.expectMessage(OpText, []byte("fragment1fragment2"))
		x.bye()
	})
	c.add("text in two fragments, a byte per write: echoed whole", func(x *confScript) {
		x.writeBytewise(twoFrags(x)...)
		x.expectMessage(OpText, []byte("fragment1fragment2"))
		x.bye()
	})
	c.add("text in two fragments, a write per fragment with a pause: echoed whole", func(x *confScript) {
		x.writeEach(20*time.Millisecond, twoFrags(x)...)
		x.expectMessage(OpText, []byte("fragment1fragment2"))
		x.bye()
	})
	withPing := func(x *confScript) [][]byte {
		return [][]byte{x.frame(false, OpText, []byte("fragment1")), x.frame(true, OpPing, []byte("ping payload")), x.frame(true, OpContinuation, []byte("fragment2"))}
	}
	c.add("text fragment, ping, last fragment, one write (5.4: control frames may come between fragments): pong, then the echo", func(x *confScript) {
		x.write(withPing(x)...)
		x.expectPong([]byte("ping payload"))
		x.expectMessage(OpText, []byte("fragment1fragment2"))
		x.bye()
	})
	c.add("text fragment, ping, last fragment, a write each: the pong arrives before the last fragment is sent, then the echo", func(x *confScript) {
		f := withPing(x)
		x.write(f[0], f[1])
		x.expectPong([]byte("ping payload"))
		x.write(f[2])
		x.expectMessage(OpText, []byte("fragment1fragment2"))
		x.bye()
	})
	c.add("text fragment, ping, last fragment, a byte per write: pong, then the echo", func(x *confScript) {
		x.writeBytewise(withPing(x)...)
		x.expectPong([]byte("ping payload"))
		x.expectMessage(OpText, []byte("fragment1fragment2"))
		x.bye()
	})
	noStart := func(fin bool) func(x *confScript) [][]byte {
		return func(x *confScript) [][]byte {
			return [][]byte{x.frame(fin, OpContinuation, []byte("nothing to continue")), x.frame(true, OpText, []byte("Hello"))}
		}
	}
	for _, fin := range []bool{true, false} {
		frames := noStart(fin)
		c.add(fmt.Sprintf("continuation with FIN=%d and nothing to continue, then a text message, one write (5.4): 1002, no echo", confBit(fin)), func(x *confScript) {
			x.write(frames(x)...)
			x.fails(StatusProtocolError)
		})
		c.add(fmt.Sprintf("continuation with FIN=%d and nothing to continue, then a text message, a write per frame: 1002 before the text is sent", confBit(fin)), func(x *confScript) {
			f := frames(x)
			x.write(f[0])
			x.failsFast(StatusProtocolError, f[1])
		})
		c.add(fmt.Sprintf("continuation with FIN=%d and nothing to continue, then a text message, a byte per write: 1002, no echo", confBit(fin)), func(x *confScript) {
			f := frames(x)
			x.writeBytewise(f[0])
			x.failsFast(StatusProtocolError, f[1])
		})
	}
	c.add("text in two fragments, a continuation with FIN=0, a text message, one write: the first echoed, then 1002", func(x *confScript) {
		x.write(append(twoFrags(x), x.frame(false, OpContinuation, []byte("fragment3")), x.frame(true, OpText, []byte("fragment4")))...)
		x.expectMessage(OpText, []byte("fragment1fragment2"))
		x.fails(StatusProtocolError)
	})
	for _, fin := range []bool{false, true} {
		c.add(fmt.Sprintf("twice: a continuation with FIN=%d and nothing to continue, then text in two fragments: 1002 at once, no echo", confBit(fin)), func(x *confScript) {
			var f [][]byte
			for i := 0; i < 2; i++ {
				f = append(f, x.frame(fin, OpContinuation, []byte("nothing to continue")))
				f = append(f, twoFrags(x)...)
			}
			x.write(f...)
			x.fails(StatusProtocolError)
		})
	}
	c.add("text fragment with FIN=0 followed by a text frame (a new message inside one, 5.4): 1002, no echo", func(x *confScript) {
		x.write(x.frame(false, OpText, []byte("fragment1")), x.frame(true, OpText, []byte("fragment2")))
		x.fails(StatusProtocolError)
	})
	pingsBetween := func(x *confScript, write func(parts ...[]byte)) {
		frags := []string{"fragment1", "fragment2", "fragment3", "fragment4", "fragment5"}
		write(x.frame(false, OpText, []byte(frags[0])), x.frame(false, OpContinuation, []byte(frags[1])), x.frame(true, OpPing, []byte("pongme 1!")))
		x.expectPong([]byte("pongme 1!"))
		write(x.frame(false, OpContinuation, []byte(frags[2])), x.frame(false, OpContinuation, []byte(frags[3])), x.frame(true, OpPing, []byte("pongme 2!")))
		x.expectPong([]byte("pongme 2!"))
		write(x.frame(true, OpContinuation, []byte(frags[4])))
		x.expectMessage(OpText, []byte("fragment1fragment2fragment3fragment4fragment5"))
		x.bye()
	}
	c.add("text in five fragments with a ping after the 2nd and the 4th: each pong arrives before the next fragment is sent, then the echo", func(x *confScript) {
		pingsBetween(x, x.write)
	})
	c.add("as 5.19, every frame written a byte per write", func(x *confScript) {
		pingsBetween(x, x.writeBytewise)
	})

	// Our own.
	c.add("text message of 1000 one-byte fragments in one write: echoed whole", func(x *confScript) {
		msg := confText(1000)
		var b []byte
		for i := range msg {
			op := OpContinuation
			if i == 0 {
				op = OpText
			}
			b = append(b, x.frame(i == len(msg)-1, op, msg[i:i+1])...)
		}
		x.write(b)
		x.expectMessage(OpText, msg)
		x.bye()
	})
	c.add("binary message of 300 one-byte fragments written a byte per write: echoed whole", func(x *confScript) {
		msg := confBinary(300)
		var b []byte
		for i := range msg {
			op := OpContinuation
			if i == 0 {
				op = OpBinary
			}
			b = append(b, x.frame(i == len(msg)-1, op, msg[i:i+1])...)
		}
		x.writeBytewise(b)
		x.expectMessage(OpBinary, msg)
		x.bye()
	})
	c.add("text with empty fragments: empty start, 'abc', empty, empty end: echoed as 'abc'", func(x *confScript) {
		x.write(x.frame(false, OpText, nil), x.frame(false, OpContinuation, []byte("abc")), x.frame(false, OpContinuation, nil), x.frame(true, OpContinuation, nil))
		x.expectMessage(OpText, []byte("abc"))
		x.bye()
	})
	c.add("binary message of five empty fragments: echoed as an empty binary message", func(x *confScript) {
		b := x.frame(false, OpBinary, nil)
		for i := 0; i < 3; i++ {
			b = append(b, x.frame(false, OpContinuation, nil)...)
		}
		x.write(b, x.frame(true, OpContinuation, nil))
		x.expectMessage(OpBinary, []byte{})
		x.bye()
	})
	c.add("binary in two fragments with an unsolicited pong between them: the pong ignored, the message echoed", func(x *confScript) {
		x.write(x.frame(false, OpBinary, []byte{1, 2}), x.frame(true, OpPong, []byte("unsolicited")), x.frame(true, OpContinuation, []byte{3, 4}))
		x.expectMessage(OpBinary, []byte{1, 2, 3, 4})
		x.bye()
	})
	c.add("binary frame inside a fragmented text message: 1002, no echo", func(x *confScript) {
		x.write(x.frame(false, OpText, []byte("text ")), x.frame(true, OpBinary, []byte{1, 2, 3}))
		x.fails(StatusProtocolError)
	})
	c.add("close 1000 with FIN=0 (a fragmented control frame): 1002, not an echo of 1000", func(x *confScript) {
		x.write(x.frame(false, OpClose, closePayload(StatusNormalClosure, "")))
		x.fails(StatusProtocolError)
	})
	c.add("empty ping with FIN=0: 1002, no pong", func(x *confScript) {
		x.write(x.frame(false, OpPing, nil))
		x.fails(StatusProtocolError)
	})
	c.add("text with FIN=1, then a continuation with FIN=1 (continuing a finished message), one write: the text echoed, then 1002", func(x *confScript) {
		x.write(x.frame(true, OpText, []byte("first")), x.frame(true, OpContinuation, []byte("second")))
		x.expectMessage(OpText, []byte("first"))
		x.fails(StatusProtocolError)
	})
	c.add("text echoed, then a continuation with FIN=0 sent after the echo: 1002", func(x *confScript) {
		x.send(true, OpText, []byte("done"))
		x.expectMessage(OpText, []byte("done"))
		x.send(false, OpContinuation, []byte("more"))
		x.fails(StatusProtocolError)
	})
	c.add("text in ten fragments with a ping after each of the first nine, one write: nine pongs in order, then the echo", func(x *confScript) {
		var b []byte
		var want []byte
		for i := 0; i < 10; i++ {
			frag := []byte(fmt.Sprintf("[%d]", i))
			want = append(want, frag...)
			op := OpContinuation
			if i == 0 {
				op = OpText
			}
			b = append(b, x.frame(i == 9, op, frag)...)
			if i < 9 {
				b = append(b, x.frame(true, OpPing, []byte(fmt.Sprintf("ping %d", i)))...)
			}
		}
		x.write(b)
		for i := 0; i < 9; i++ {
			x.expectPong([]byte(fmt.Sprintf("ping %d", i)))
		}
		x.expectMessage(OpText, want)
		x.bye()
	})
	c.add("text fragment, ping with 125 bytes, last fragment, a byte per write: pong, then the echo", func(x *confScript) {
		x.writeBytewise(x.frame(false, OpText, []byte("one ")), x.frame(true, OpPing, confBinary(125)), x.frame(true, OpContinuation, []byte("two")))
		x.expectPong(confBinary(125))
		x.expectMessage(OpText, []byte("one two"))
		x.bye()
	})
	c.add("a code point split between two fragments with a ping between the halves: pong, then the echo", func(x *confScript) {
		x.write(x.frame(false, OpText, []byte("G-clef \xf0\x9d")), x.frame(true, OpPing, []byte("mid code point")), x.frame(true, OpContinuation, []byte("\x84\x9e!")))
		x.expectPong([]byte("mid code point"))
		x.expectMessage(OpText, []byte("G-clef 𝄞!"))
		x.bye()
	})
	c.add("fragmented text and fragmented binary back to back in one write: both echoed, in order", func(x *confScript) {
		x.write(x.frame(false, OpText, []byte("te")), x.frame(true, OpContinuation, []byte("xt")),
			x.frame(false, OpBinary, []byte{0xff}), x.frame(false, OpContinuation, []byte{0xfe}), x.frame(true, OpContinuation, []byte{0xfd}))
		x.expectMessage(OpText, []byte("text"))
		x.expectMessage(OpBinary, []byte{0xff, 0xfe, 0xfd})
		x.bye()
	})
	c.add("text ending with 100 empty continuations and an empty final fragment: echoed", func(x *confScript) {
		b := x.frame(false, OpText, []byte("body"))
		for i := 0; i < 100; i++ {
			b = append(b, x.frame(false, OpContinuation, nil)...)
		}
		x.write(b, x.frame(true, OpContinuation, nil))
		x.expectMessage(OpText, []byte("body"))
		x.bye()
	})
	c.add("binary in four fragments of 16 KiB with pings between them: three pongs, then the echo", func(x *confScript) {
		msg := confBinary(64 << 10)
		var b []byte
		for i := 0; i < 4; i++ {
			op := OpContinuation
			if i == 0 {
				op = OpBinary
			}
			b = append(b, x.frame(i == 3, op, msg[i<<14:(i+1)<<14])...)
			if i < 3 {
				b = append(b, x.frame(true, OpPing, []byte{byte(i)})...)
			}
		}
		x.write(b)
		for i := 0; i < 3; i++ {
			x.expectPong([]byte{byte(i)})
		}
		x.expectMessage(OpBinary, msg)
		x.bye()
	})
}

// ---------------------------------------------------------------------
// 6 UTF-8

// confUTF8Vector is one test string for the UTF-8 validator.
type confUTF8Vector struct {
	valid bool
	b     []byte
}

// confForm encodes the number cp in n bytes with the bit layout of UTF-8,
// whether or not that is valid UTF-8: overlong forms, surrogates, numbers
// above U+10FFFF and 5- and 6-byte forms included.
func confForm(cp uint32, n int) []byte {
	if n == 1 {
		return []byte{byte(cp)}
	}
	b := make([]byte, n)
	for i := n - 1; i > 0; i-- {
		b[i] = 0x80 | byte(cp&0x3f)
		cp >>= 6
	}
	b[0] = byte(0xff<<(8-n)) | byte(cp)
	return b
}

// confKuhn returns the groups of the UTF-8 decoder stress test of Markus
// Kuhn, as the Autobahn testsuite orders them in cases 6.5 to 6.23, with
// vectors computed here.
func confKuhn() []struct {
	title   string
	vectors []confUTF8Vector
} {
	type group = struct {
		title   string
		vectors []confUTF8Vector
	}
	v := func(valid bool, b ...[]byte) confUTF8Vector {
		return confUTF8Vector{valid, bytes.Join(b, nil)}
	}
	s := func(str string) []byte { return []byte(str) }
	var gs []group
	add := func(title string, vs ...confUTF8Vector) { gs = append(gs, group{title, vs}) }

	kosme := s(confKosme)
	add("valid UTF-8 text",
		v(true, s("hello$world")), v(true, s("hello¢world")), v(true, s("hello€world")),
		v(true, s("hello\U00024B62world")), v(true, kosme))
	var prefixes []confUTF8Vector
	for i := 1; i <= len(kosme); i++ {
		// The code points of κόσμε end after bytes 2, 5, 7, 9 and 11.
		complete := i == 2 || i == 5 || i == 7 || i == 9 || i == 11
		prefixes = append(prefixes, v(complete, kosme[:i]))
	}
	add("every prefix of κόσμε", prefixes...)
	add("first code point of each length, 1 to 4 bytes",
		v(true, confForm(0, 1)), v(true, confForm(0x80, 2)), v(true, confForm(0x800, 3)), v(true, confForm(0x10000, 4)))
	add("first 5- and 6-byte forms (beyond U+10FFFF)",
		v(false, confForm(0x200000, 5)), v(false, confForm(0x4000000, 6)))
	add("last code point of each length within Unicode, 1 to 4 bytes",
		v(true, confForm(0x7f, 1)), v(true, confForm(0x7ff, 2)), v(true, confForm(0xffff, 3)), v(true, confForm(0x10ffff, 4)))
	add("last 4-, 5- and 6-byte forms (beyond U+10FFFF)",
		v(false, confForm(0x1fffff, 4)), v(false, confForm(0x3ffffff, 5)), v(false, confForm(0x7fffffff, 6)))
	add("other boundaries: U+D7FF, U+E000, U+FFFD, U+110000, U+13FFFF",
		v(true, confForm(0xd7ff, 3)), v(true, confForm(0xe000, 3)), v(true, confForm(0xfffd, 3)),
		v(false, confForm(0x110000, 4)), v(false, confForm(0x13ffff, 4)))
	var allCont []byte
	for b := 0x80; b <= 0xbf; b++ {
		allCont = append(allCont, byte(b))
	}
	add("unexpected continuation bytes",
		v(false, s("\x80")), v(false, s("\xbf")), v(false, s("\x80\xbf")), v(false, s("\x80\xbf\x80")),
		v(false, s("\x80\xbf\x80\xbf")), v(false, s("\x80\xbf\x80\xbf\x80")), v(false, s("\x80\xbf\x80\xbf\x80\xbf")),
		v(false, allCont))
	var lonely []confUTF8Vector
	for _, r := range [][2]int{{0xc0, 0xdf}, {0xe0, 0xef}, {0xf0, 0xf7}, {0xf8, 0xfb}, {0xfc, 0xfd}} {
		var b []byte
		for c := r[0]; c <= r[1]; c++ {
			b = append(b, byte(c), ' ')
		}
		lonely = append(lonely, v(false, b))
	}
	add("lonely start bytes, each followed by a space", lonely...)
	var missing []confUTF8Vector
	var all []byte
	for _, top := range []bool{false, true} {
		for n := 2; n <= 6; n++ {
			cp := uint32(0)
			if top {
				cp = 1<<(5*n+1) - 1 // the largest number n bytes encode
			}
			b := confForm(cp, n)[:n-1]
			missing = append(missing, v(false, b))
			all = append(all, b...)
		}
	}
	add("sequences missing their last byte", missing...)
	add("concatenation of the incomplete sequences", v(false, all))
	add("impossible bytes", v(false, s("\xfe")), v(false, s("\xff")), v(false, s("\xfe\xfe\xff\xff")))
	var overlongSlash, overlongMax, overlongNUL []confUTF8Vector
	for n := 2; n <= 6; n++ {
		overlongSlash = append(overlongSlash, v(false, confForm('/', n)))
		maxShorter := []uint32{0, 0, 0x7f, 0x7ff, 0xffff, 0x1fffff, 0x3ffffff}[n]
		overlongMax = append(overlongMax, v(false, confForm(maxShorter, n)))
		overlongNUL = append(overlongNUL, v(false, confForm(0, n)))
	}
	add("overlong forms of '/', 2 to 6 bytes", overlongSlash...)
	add("largest overlong form of each length, 2 to 6 bytes", overlongMax...)
	add("overlong forms of NUL, 2 to 6 bytes", overlongNUL...)
	var single, paired []confUTF8Vector
	for _, cp := range []uint32{0xd800, 0xdb7f, 0xdb80, 0xdbff, 0xdc00, 0xdf80, 0xdfff} {
		single = append(single, v(false, confForm(cp, 3)))
	}
	for _, hi := range []uint32{0xd800, 0xdb7f, 0xdb80, 0xdbff} {
		for _, lo := range []uint32{0xdc00, 0xdfff} {
			paired = append(paired, v(false, confForm(hi, 3), confForm(lo, 3)))
		}
	}
	add("single UTF-16 surrogates", single...)
	add("paired UTF-16 surrogates", paired...)
	nonchars := []confUTF8Vector{v(true, confForm(0xfffe, 3)), v(true, confForm(0xffff, 3)), v(true, confForm(0xfdd0, 3)), v(true, confForm(0xfdef, 3))}
	for plane := uint32(1); plane <= 16; plane++ {
		nonchars = append(nonchars, v(true, confForm(plane<<16|0xfffe, 4)), v(true, confForm(plane<<16|0xffff, 4)))
	}
	add("noncharacters (valid UTF-8)", nonchars...)
	add("specials and the byte order mark (valid UTF-8)",
		v(true, confForm(0xfff9, 3)), v(true, confForm(0xfffa, 3)), v(true, confForm(0xfffb, 3)), v(true, confForm(0xfffc, 3)), v(true, confForm(0xfeff, 3)))

	// The expectations above are written out by hand; check them against
	// the standard library's decoder, so that a slip here cannot pass for
	// the package's fault.
	for _, g := range gs {
		for _, vec := range g.vectors {
			if utf8.Valid(vec.b) != vec.valid {
				panic(fmt.Sprintf("conformance suite: % x in %q marked valid=%v", vec.b, g.title, vec.valid))
			}
		}
	}
	return gs
}

// confContinuable reports whether b is a prefix of some valid UTF-8 string,
// judged with the standard library's decoder: b itself is valid, or becomes
// so once up to three bytes are appended. Every range a continuation byte
// must fall in holds one of the candidates tried.
func confContinuable(b []byte) bool {
	if utf8.Valid(b) {
		return true
	}
	var try func(b []byte, depth int) bool
	try = func(b []byte, depth int) bool {
		if utf8.Valid(b) {
			return true
		}
		if depth == 0 {
			return false
		}
		for _, c := range []byte{0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf} {
			if try(append(b[:len(b):len(b)], c), depth-1) {
				return true
			}
		}
		return false
	}
	return try(b, 3)
}

// confFirstInvalid returns the index of the first byte of b after which b
// can no longer become valid UTF-8, or len(b) if there is none.
func confFirstInvalid(b []byte) int {
	for i := 1; i <= len(b); i++ {
		if !confContinuable(b[:i]) {
			return i - 1
		}
	}
	return len(b)
}

// splitText sends s as a text message in two fragments cut at byte i and
// checks the outcome: an echo for valid UTF-8; otherwise a failure with
// 1007 at the fragment holding the first invalid byte (section 8.1), before
// the other is sent, or, when the first fragment is only a valid prefix,
// with the connection still open after it.
func (x *confScript) splitText(s []byte, i int) {
	x.t.Helper()
	first, second := x.frame(false, OpText, s[:i]), x.frame(true, OpContinuation, s[i:])
	if utf8.Valid(s) {
		x.write(first, second)
		x.expectMessage(OpText, s)
		x.bye()
		return
	}
	x.write(first)
	if confFirstInvalid(s) < i {
		x.failsFast(StatusInvalidFramePayloadData, second)
		return
	}
	x.alive("still open")
	x.write(second)
	x.fails(StatusInvalidFramePayloadData)
}

func confUTF8(cs *[]confCase) {
	c := newConfCat(cs, "6.1")
	c.add("empty text message: echoed", func(x *confScript) {
		x.send(true, OpText, nil)
		x.expectMessage(OpText, []byte{})
		x.bye()
	})
	c.add("text message of three empty fragments: echoed empty", func(x *confScript) {
		x.write(x.frame(false, OpText, nil), x.frame(false, OpContinuation, nil), x.frame(true, OpContinuation, nil))
		x.expectMessage(OpText, []byte{})
		x.bye()
	})
	c.add("text message: empty fragment, 'middle frame payload', empty fragment: echoed", func(x *confScript) {
		x.write(x.frame(false, OpText, nil), x.frame(false, OpContinuation, []byte("middle frame payload")), x.frame(true, OpContinuation, nil))
		x.expectMessage(OpText, []byte("middle frame payload"))
		x.bye()
	})

	mixed := []byte("Hello-µ@ßöäüàá-UTF-8!!")
	c = newConfCat(cs, "6.2")
	c.add("valid UTF-8 text in one frame: echoed", func(x *confScript) {
		x.send(true, OpText, mixed)
		x.expectMessage(OpText, mixed)
		x.bye()
	})
	c.add("valid UTF-8 text in two fragments cut between code points: echoed", func(x *confScript) {
		x.write(x.frame(false, OpText, mixed[:8]), x.frame(true, OpContinuation, mixed[8:]))
		x.expectMessage(OpText, mixed)
		x.bye()
	})
	oneByteFrames := func(x *confScript, op Opcode, s []byte) []byte {
		var b []byte
		for i := range s {
			o := OpContinuation
			if i == 0 {
				o = op
			}
			b = append(b, x.frame(i == len(s)-1, o, s[i:i+1])...)
		}
		return b
	}
	c.add("valid UTF-8 text in one-byte fragments (cut inside code points): echoed", func(x *confScript) {
		x.write(oneByteFrames(x, OpText, mixed))
		x.expectMessage(OpText, mixed)
		x.bye()
	})
	c.add("κόσμε in one-byte fragments: echoed", func(x *confScript) {
		x.write(oneByteFrames(x, OpText, []byte(confKosme)))
		x.expectMessage(OpText, []byte(confKosme))
		x.bye()
	})

	invalid := []byte(confKosme + "\xed\xa0\x80edited") // a surrogate in the middle
	c = newConfCat(cs, "6.3")
	c.add("invalid UTF-8 (a surrogate) in one frame (8.1): 1007, no echo", func(x *confScript) {
		x.send(true, OpText, invalid)
		x.fails(StatusInvalidFramePayloadData)
	})
	c.add("invalid UTF-8 (a surrogate) in one-byte fragments: 1007 at the fragment with the invalid byte, no echo", func(x *confScript) {
		f := oneByteFrames(x, OpText, invalid)
		bad := confFirstInvalid(invalid)
		// Each one-byte frame has the same size; send up to the bad one.
		per := len(f) / len(invalid)
		x.write(f[:(bad+1)*per])
		x.failsFast(StatusInvalidFramePayloadData, f[(bad+1)*per:])
	})

	// Fail fast (section 8.1 fails the connection at the invalid byte, not
	// at the end of the message).
	kosme := []byte(confKosme)
	surrogate := []byte("\xed\xa0\x80")
	edited := []byte("edited")
	c = newConfCat(cs, "6.4")
	c.add("fragments: κόσμε (still open after it), a surrogate: 1007 before the last fragment is sent", func(x *confScript) {
		x.send(false, OpText, kosme)
		x.alive("after κόσμε")
		x.send(false, OpContinuation, surrogate)
		x.failsFast(StatusInvalidFramePayloadData, x.frame(true, OpContinuation, edited))
	})
	c.add("fragments: κόσμε and the surrogate's first byte (still open), its second byte alone: 1007 before the rest is sent", func(x *confScript) {
		x.send(false, OpText, append(kosme[:len(kosme):len(kosme)], surrogate[0]))
		x.alive("after 0xed")
		x.send(false, OpContinuation, surrogate[1:2])
		x.failsFast(StatusInvalidFramePayloadData, x.frame(true, OpContinuation, append(surrogate[2:3:3], edited...)))
	})
	oneFrameChops := func(x *confScript, cut1, cut2 int) {
		msg := bytes.Join([][]byte{kosme, surrogate, edited}, nil)
		hdr, payload := split(x.frame(true, OpText, msg), len(msg))
		x.write(hdr, payload[:cut1])
		// A valid prefix: the package must not fail yet.
		x.p.expectNothingWithin(100 * time.Millisecond)
		x.write(payload[cut1:cut2])
		x.failsFast(StatusInvalidFramePayloadData, payload[cut2:])
	}
	c.add("one frame in three writes: κόσμε, a surrogate, the rest: 1007 before the last write", func(x *confScript) {
		oneFrameChops(x, len(kosme), len(kosme)+3)
	})
	c.add("one frame in three writes: κόσμε and 0xed, then 0xa0 alone, the rest: 1007 before the last write", func(x *confScript) {
		oneFrameChops(x, len(kosme)+1, len(kosme)+2)
	})

	// The stress test, a case per vector.
	for gi, g := range confKuhn() {
		c := newConfCat(cs, fmt.Sprintf("6.%d", 5+gi))
		for _, vec := range g.vectors {
			if vec.valid {
				c.add(fmt.Sprintf("%s: % x is valid: echoed, in one frame and in one-byte fragments", g.title, vec.b), func(x *confScript) {
					x.send(true, OpText, vec.b)
					x.expectMessage(OpText, vec.b)
					x.write(oneByteFrames(x, OpText, vec.b))
					x.expectMessage(OpText, vec.b)
					x.bye()
				})
				continue
			}
			c.add(fmt.Sprintf("%s: % x is invalid: after a valid message echoed, 1007, no echo", g.title, vec.b), func(x *confScript) {
				x.send(true, OpText, []byte("valid"))
				x.expectMessage(OpText, []byte("valid"))
				x.send(true, OpText, vec.b)
				x.fails(StatusInvalidFramePayloadData)
			})
		}
	}

	// Split at every byte position into two fragments.
	for i, v := range []struct {
		desc string
		s    []byte
	}{
		{"valid text κ€𝄞x", []byte("κ€𝄞x")},
		{"text with a surrogate, a\\xed\\xa0\\x80b", []byte("a\xed\xa0\x80b")},
		{"text above U+10FFFF, ab\\xf4\\x90\\x80\\x80cd", []byte("ab\xf4\x90\x80\x80cd")},
		{"text ending inside a code point, κ\\xe2\\x82", []byte("κ\xe2\x82")},
		{"text with an overlong '/', €\\xc0\\xafx", []byte("€\xc0\xafx")},
	} {
		c := newConfCat(cs, fmt.Sprintf("6.%d", 24+i))
		for cut := 0; cut <= len(v.s); cut++ {
			desc := fmt.Sprintf("%s in two fragments cut at byte %d: echoed", v.desc, cut)
			if !utf8.Valid(v.s) {
				bad := confFirstInvalid(v.s)
				switch {
				case bad < cut:
					desc = fmt.Sprintf("%s in two fragments cut at byte %d, the first holding the invalid byte: 1007 before the second is sent", v.desc, cut)
				case bad == len(v.s):
					desc = fmt.Sprintf("%s in two fragments cut at byte %d: still open after the first, 1007 at the end of the message", v.desc, cut)
				default:
					desc = fmt.Sprintf("%s in two fragments cut at byte %d: still open after the first, 1007 at the second", v.desc, cut)
				}
			}
			c.add(desc, func(x *confScript) { x.splitText(v.s, cut) })
		}
	}

	// Fail fast inside one frame: its payload arrives in chunks, and the
	// close must come before the chunks after the invalid byte are sent.
	c = newConfCat(cs, "6.29")
	for _, at := range []int{0, 1000, 4095, 4096, 40000} {
		c.add(fmt.Sprintf("text frame of 64 KiB with 0xff at byte %d, written in 4 KiB chunks with pauses: 1007 before the chunks after it are sent", at), func(x *confScript) {
			msg := append([]byte(nil), confASCII(64<<10)...)
			msg[at] = 0xff
			hdr, payload := split(x.frame(true, OpText, msg), len(msg))
			x.write(hdr)
			end := (at/4096 + 1) * 4096
			x.p.writeChunks(payload[:end], 4096, 2*time.Millisecond)
			x.failsFast(StatusInvalidFramePayloadData, payload[end:])
		})
	}
	c = newConfCat(cs, "6.30")
	for _, bad := range []int{1, 2, 5, 9, 10} {
		c.add(fmt.Sprintf("text in ten fragments, an overlong form in fragment %d, each fragment followed by a ping: pongs until then, 1007 before the next fragment is sent", bad), func(x *confScript) {
			var frags [][]byte
			for j := 1; j <= 10; j++ {
				f := []byte(fmt.Sprintf("fragment %02d; ", j))
				if j == bad {
					f = append(f[:5:5], append([]byte{0xc0, 0xaf}, f[5:]...)...)
				}
				op := OpContinuation
				if j == 1 {
					op = OpText
				}
				frags = append(frags, x.frame(j == 10, op, f))
			}
			for j := 1; j <= 10; j++ {
				x.write(frags[j-1])
				if j == bad {
					x.failsFast(StatusInvalidFramePayloadData, frags[j:]...)
					return
				}
				x.alive(fmt.Sprintf("after fragment %d", j))
			}
		})
	}
	c = newConfCat(cs, "6.31")
	notUTF8 := []byte("\xff\xfe\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80")
	c.add("binary message of bytes that are not UTF-8: echoed (only text is UTF-8, 5.6)", func(x *confScript) {
		x.send(true, OpBinary, notUTF8)
		x.expectMessage(OpBinary, notUTF8)
		x.bye()
	})
	c.add("ping whose payload is not UTF-8: the pong carries it", func(x *confScript) {
		x.send(true, OpPing, notUTF8)
		x.expectPong(notUTF8)
		x.bye()
	})
	c.add("text with NUL, C0 controls and DEL (valid UTF-8): echoed", func(x *confScript) {
		msg := []byte("\x00\x01\x02\x1f\x7f nul and controls \x00")
		x.send(true, OpText, msg)
		x.expectMessage(OpText, msg)
		x.bye()
	})
}

// ---------------------------------------------------------------------
// 7 Closing

func confClosing(cs *[]confCase) {
	closeFrame := func(x *confScript, code StatusCode, reason string) []byte {
		return x.frame(true, OpClose, closePayload(code, reason))
	}
	c := newConfCat(cs, "7.1")
	c.add("text message, then close 1000: the echo, then the close answered with 1000", func(x *confScript) {
		x.send(true, OpText, []byte("Hello World!"))
		x.expectMessage(OpText, []byte("Hello World!"))
		x.send(true, OpClose, closePayload(StatusNormalClosure, ""))
		x.closeAnswered(StatusNormalClosure, StatusNormalClosure, "")
	})
	c.add("two close frames in one write: a single close answers, nothing after it", func(x *confScript) {
		x.write(closeFrame(x, StatusNormalClosure, ""), closeFrame(x, StatusNormalClosure, ""))
		x.closeAnswered(StatusNormalClosure, StatusNormalClosure, "")
	})
	c.add("close, then ping, in one write: the close answered, no pong", func(x *confScript) {
		x.write(closeFrame(x, StatusNormalClosure, ""), x.frame(true, OpPing, []byte("Hello World!")))
		x.closeAnswered(StatusNormalClosure, StatusNormalClosure, "")
	})
	c.add("close, then a text message, in one write: the close answered, no echo (5.5.1)", func(x *confScript) {
		x.write(closeFrame(x, StatusNormalClosure, ""), x.frame(true, OpText, []byte("Hello World!")))
		x.closeAnswered(StatusNormalClosure, StatusNormalClosure, "")
	})
	c.add("first fragment of a text message, close, last fragment, one write: the close answered, no echo", func(x *confScript) {
		x.write(x.frame(false, OpText, []byte("fragment1")), closeFrame(x, StatusNormalClosure, ""), x.frame(true, OpContinuation, []byte("fragment2")))
		x.closeAnswered(StatusNormalClosure, StatusNormalClosure, "")
	})
	c.add("text message of 256 KiB, close, ping, in one write: the echo or not (it came before the close), then the close, no pong", func(x *confScript) {
		msg := confText(256 << 10)
		x.write(x.frame(true, OpText, msg), closeFrame(x, StatusNormalClosure, ""), x.frame(true, OpPing, []byte("no pong")))
		h, p := x.next()
		if h.Opcode != OpClose {
			x.expectMessageFrom(h, p, OpText, msg)
			h, p = x.next()
		}
		if code, _ := x.checkClose(h, p, StatusNormalClosure); code != StatusNormalClosure {
			x.t.Fatalf("got close with %v, want 1000", code)
		}
		x.finishTCP()
		wantCloseError(x.t, x.s.result(), StatusNormalClosure, "")
	})
	c.add("close; once it is answered, a second close: nothing more comes", func(x *confScript) {
		x.send(true, OpClose, closePayload(StatusNormalClosure, ""))
		x.expectClose(StatusNormalClosure)
		x.afterClose(closeFrame(x, StatusNormalClosure, ""))
		x.finishTCP()
		wantCloseError(x.t, x.s.result(), StatusNormalClosure, "")
	})

	// The package starting the closing handshake.
	c = newConfCat(cs, "7.2")
	initiated := func(code StatusCode, reason string, run func(x *confScript)) confCase {
		return confCase{
			desc: fmt.Sprintf("the package calls Close(%d, %d-byte reason): the peer gets that close frame and answers, the TCP connection ends (server first), Close returns nil", uint16(code), len(reason)),
			loop: func(c *Conn) error { return c.Close(code, reason) },
			run:  run,
		}
	}
	answer := func(x *confScript, code StatusCode, reason string, before ...[]byte) {
		x.t.Helper()
		if got := x.expectClose(code); got != reason {
			x.t.Fatalf("got close reason %q, want %q", got, reason)
		}
		x.write(append(before, x.frame(true, OpClose, closePayload(code, "")))...)
		x.finishTCP()
		if err := x.s.result(); err != nil {
			x.t.Fatalf("Close returned %v", err)
		}
	}
	c.addCase(initiated(StatusNormalClosure, "bye", func(x *confScript) { answer(x, StatusNormalClosure, "bye") }))
	long := string(bytes.Repeat([]byte("ü"), MaxCloseReason/2)) + "!"
	c.addCase(initiated(4000, long, func(x *confScript) { answer(x, 4000, long) }))
	k := initiated(0, "", func(x *confScript) { answer(x, 0, "") })
	k.desc = "the package calls Close(0, \"\"): the peer gets a close frame with an empty payload and answers likewise, Close returns nil"
	c.addCase(k)
	k = initiated(StatusGoingAway, "", func(x *confScript) {
		answer(x, StatusGoingAway, "", x.frame(true, OpText, []byte("sent before the peer saw the close")), x.frame(true, OpPing, []byte("no pong")))
	})
	k.desc = "the package calls Close(1001): the peer sends a message and a ping before answering: neither is answered, Close returns nil"
	c.addCase(k)

	// Close frame structure.
	c = newConfCat(cs, "7.3")
	c.add("close with an empty payload: answered with an empty close", func(x *confScript) {
		x.send(true, OpClose, nil)
		x.closeAnswered(0, StatusNoStatusReceived, "")
	})
	c.add("close with a 1-byte payload (5.5.1): 1002", func(x *confScript) {
		x.send(true, OpClose, []byte{0x03})
		x.closeRejected(StatusProtocolError)
	})
	c.add("close 1000 without reason: answered with 1000", func(x *confScript) {
		x.send(true, OpClose, closePayload(StatusNormalClosure, ""))
		x.closeAnswered(StatusNormalClosure, StatusNormalClosure, "")
	})
	c.add("close 1000 with a short reason: answered with 1000, the reason reported", func(x *confScript) {
		x.send(true, OpClose, closePayload(StatusNormalClosure, "Hello World!"))
		x.closeAnswered(StatusNormalClosure, StatusNormalClosure, "Hello World!")
	})
	reason123 := string(confASCII(123))
	c.add("close 1000 with a 123-byte reason (a 125-byte payload): answered with 1000, the reason reported", func(x *confScript) {
		x.send(true, OpClose, closePayload(StatusNormalClosure, reason123))
		x.closeAnswered(StatusNormalClosure, StatusNormalClosure, reason123)
	})
	c.add("close 1000 with a 124-byte reason (a 126-byte payload, 5.5): 1002", func(x *confScript) {
		x.send(true, OpClose, append(closePayload(StatusNormalClosure, ""), confASCII(124)...))
		x.fails(StatusProtocolError)
	})
	c.add("header of a close announcing 126 bytes, alone: 1002 before the payload is sent", func(x *confScript) {
		payload := append(closePayload(StatusNormalClosure, ""), confASCII(124)...)
		hdr, rest := split(x.frame(true, OpClose, payload), len(payload))
		x.write(hdr)
		x.failsFast(StatusProtocolError, rest)
	})
	reasonMB := string(bytes.Repeat([]byte("€"), 41)) // 123 bytes
	c.add("close 1000 with a 123-byte reason of 3-byte code points: answered with 1000, the reason reported", func(x *confScript) {
		x.send(true, OpClose, closePayload(StatusNormalClosure, reasonMB))
		x.closeAnswered(StatusNormalClosure, StatusNormalClosure, reasonMB)
	})

	c = newConfCat(cs, "7.5")
	for _, r := range []struct {
		desc   string
		reason string
	}{
		{"a surrogate", confKosme + "\xed\xa0\x80edited"},
		{"a code point cut at its end", "bye \xe2\x82"},
		{"an overlong form", "bye \xc0\xaf"},
		{"the byte 0xff", "bye \xff"},
	} {
		c.add(fmt.Sprintf("close 1000 with a reason that is not UTF-8 (%s, 5.5.1): 1007", r.desc), func(x *confScript) {
			x.send(true, OpClose, closePayload(StatusNormalClosure, r.reason))
			x.closeRejected(StatusInvalidFramePayloadData)
		})
	}

	c = newConfCat(cs, "7.7")
	for _, code := range []StatusCode{1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999} {
		c.add(fmt.Sprintf("close with the valid code %d (7.4): answered with %d", uint16(code), uint16(code)), func(x *confScript) {
			x.send(true, OpClose, closePayload(code, ""))
			x.closeAnswered(code, code, "")
		})
	}
	c = newConfCat(cs, "7.9")
	for _, code := range []int{0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535} {
		c.add(fmt.Sprintf("close with the code %d, which may not be sent (7.4): 1002", code), func(x *confScript) {
			x.send(true, OpClose, []byte{byte(code >> 8), byte(code)})
			x.closeRejected(StatusProtocolError)
		})
	}

	c = newConfCat(cs, "7.13")
	c.add("close 1000 written a byte per write: answered with 1000", func(x *confScript) {
		x.writeBytewise(closeFrame(x, StatusNormalClosure, "slowly"))
		x.closeAnswered(StatusNormalClosure, StatusNormalClosure, "slowly")
	})
	c.add("close 1000: the header alone, a pause, then the payload: answered with 1000", func(x *confScript) {
		payload := closePayload(StatusNormalClosure, "split")
		hdr, rest := split(x.frame(true, OpClose, payload), len(payload))
		x.writeEach(20*time.Millisecond, hdr, rest)
		x.closeAnswered(StatusNormalClosure, StatusNormalClosure, "split")
	})
	c.add("ping, close, ping, in one write: a pong for the first ping, the close answered, nothing for the second", func(x *confScript) {
		x.write(x.frame(true, OpPing, []byte("first")), closeFrame(x, StatusNormalClosure, ""), x.frame(true, OpPing, []byte("second")))
		x.expectPong([]byte("first"))
		x.closeAnswered(StatusNormalClosure, StatusNormalClosure, "")
	})
	c.add("after the closing handshake the server closes TCP first: our server at once, our client only once the server has (7.1.1)", func(x *confScript) {
		x.send(true, OpClose, closePayload(StatusNormalClosure, ""))
		x.expectClose(StatusNormalClosure)
		if !x.serverUnderTest() {
			// The client keeps the connection open for the server to close.
			x.p.expectNothingWithin(300 * time.Millisecond)
		}
		x.finishTCP()
		wantCloseError(x.t, x.s.result(), StatusNormalClosure, "")
	})
	c.add("a text message sent after the close is answered: ignored, nothing more comes", func(x *confScript) {
		x.send(true, OpClose, closePayload(StatusNormalClosure, ""))
		x.expectClose(StatusNormalClosure)
		x.afterClose(x.frame(true, OpText, []byte("too late")))
		x.finishTCP()
		wantCloseError(x.t, x.s.result(), StatusNormalClosure, "")
	})
}

// ---------------------------------------------------------------------
// 9 Limits and throughput

func confLimits(cs *[]confCase) {
	kinds := []struct {
		op   Opcode
		name string
		gen  func(int) []byte
	}{{OpText, "text", confText}, {OpBinary, "binary", confBinary}}
	sizes := []int{64 << 10, 256 << 10, 1 << 20, 4 << 20, 8 << 20, 16 << 20}
	for i, k := range kinds {
		c := newConfCat(cs, fmt.Sprintf("9.%d", 1+i))
		for _, n := range sizes {
			c.add(fmt.Sprintf("%s message of %s in one frame, one write: echoed intact", k.name, confSize(n)), func(x *confScript) {
				msg := k.gen(n)
				x.send(true, k.op, msg)
				x.expectMessage(k.op, msg)
				x.bye()
			})
		}
	}
	fragSizes := []int{64, 256, 1 << 10, 4 << 10, 16 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20}
	for i, k := range kinds {
		c := newConfCat(cs, fmt.Sprintf("9.%d", 3+i))
		for _, f := range fragSizes {
			c.add(fmt.Sprintf("%s message of 4 MiB in fragments of %s, one write: echoed intact", k.name, confSize(f)), func(x *confScript) {
				msg := k.gen(4 << 20)
				var b []byte
				for off := 0; off < len(msg); off += f {
					op := OpContinuation
					if off == 0 {
						op = k.op
					}
					b = append(b, x.frame(off+f >= len(msg), op, msg[off:min(off+f, len(msg))])...)
				}
				x.write(b)
				x.expectMessage(k.op, msg)
				x.bye()
			})
		}
	}
	for i, k := range kinds {
		c := newConfCat(cs, fmt.Sprintf("9.%d", 5+i))
		for _, chop := range []int{64, 128, 256, 512, 1024, 2048} {
			c.add(fmt.Sprintf("%s message of 1 MiB in one frame written in chunks of %d bytes: echoed intact", k.name, chop), func(x *confScript) {
				msg := k.gen(1 << 20)
				x.p.writeChunks(x.frame(true, k.op, msg), chop, 0)
				x.expectMessage(k.op, msg)
				x.bye()
			})
		}
	}
	for i, k := range kinds {
		c := newConfCat(cs, fmt.Sprintf("9.%d", 7+i))
		for _, n := range []int{0, 16, 64, 256, 1024, 4096} {
			c.add(fmt.Sprintf("1000 %s messages of %d bytes, each echoed before the next is sent", k.name, n), func(x *confScript) {
				for j := 0; j < 1000; j++ {
					msg := k.gen(n)
					if n > 0 {
						msg[0] = byte('A' + j%26) // tell the messages apart
					}
					x.send(true, k.op, msg)
					x.expectMessage(k.op, msg)
				}
				x.bye()
			})
		}
	}
	c := newConfCat(cs, "9.9")
	for _, v := range []struct {
		k     int
		n     int
		chunk int
	}{{0, 1 << 20, 64 << 10}, {1, 1 << 20, 4 << 10}, {1, 4 << 20, 64 << 10}, {0, 4 << 20, 16 << 10}} {
		k := kinds[v.k]
		c.add(fmt.Sprintf("%s frame of %s written in chunks of %s: echoed intact", k.name, confSize(v.n), confSize(v.chunk)), func(x *confScript) {
			msg := k.gen(v.n)
			x.p.writeChunks(x.frame(true, k.op, msg), v.chunk, 0)
			x.expectMessage(k.op, msg)
			x.bye()
		})
	}
	c = newConfCat(cs, "9.10")
	limit := func(c *Conn) { c.SetReadLimit(1000) }
	c.addCase(confCase{
		desc:  "read limit 1000: a message of 1000 bytes echoed; the header of one of 1001 bytes alone: 1009 (7.4.1) before its payload is sent",
		setup: limit,
		run: func(x *confScript) {
			x.send(true, OpBinary, confBinary(1000))
			x.expectMessage(OpBinary, confBinary(1000))
			hdr, payload := split(x.frame(true, OpBinary, confBinary(1001)), 1001)
			x.write(hdr)
			x.failsFast(StatusMessageTooBig, payload)
		},
	})
	c.addCase(confCase{
		desc:  "read limit 1000: fragments of 600 and 401 bytes: 1009 when the second one's header arrives, before its payload is sent",
		setup: limit,
		run: func(x *confScript) {
			x.send(false, OpText, confASCII(600))
			hdr, payload := split(x.frame(true, OpContinuation, confASCII(401)), 401)
			x.write(hdr)
			x.failsFast(StatusMessageTooBig, payload)
		},
	})
	c.addCase(confCase{
		desc:  "default read limit (32 MiB): the header of a 32 MiB + 1 message, alone: 1009 before any payload is sent",
		setup: func(c *Conn) { c.SetCloseTimeout(500 * time.Millisecond) }, // the payload never comes
		run: func(x *confScript) {
			h := Header{Fin: true, Opcode: OpBinary, Length: DefaultReadLimit + 1, Masked: x.p.client, Mask: confMaskKey}
			x.write(AppendHeader(nil, h))
			x.expectCloseWithin(StatusMessageTooBig, confFailFast)
			x.afterClose(x.frame(true, OpClose, closePayload(StatusMessageTooBig, "")))
			if !x.serverUnderTest() {
				x.p.nc.(*net.TCPConn).CloseWrite()
			}
			x.p.expectTCPClosed()
			x.wantProtocolError(StatusMessageTooBig)
		},
	})
}

func confSize(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// ---------------------------------------------------------------------
// 10 Auto-fragmentation

// confWritePlan gives the sizes of the Writes that confStreamEcho makes to
// send back a message of n bytes.
type confWritePlan func(n int) []int

// confCycle writes in pieces of the given sizes in turn, the last cut short.
func confCycle(sizes ...int) confWritePlan {
	return func(n int) []int {
		var plan []int
		for i := 0; n > 0; i++ {
			k := min(sizes[i%len(sizes)], n)
			plan = append(plan, k)
			n -= k
		}
		return plan
	}
}

// confStreamEcho is a loop that reads each message whole and sends it back
// through NextWriter, in Writes of the sizes plan gives.
func confStreamEcho(plan confWritePlan) func(*Conn) error {
	return func(c *Conn) error {
		ctx := context.Background()
		for {
			typ, msg, err := c.ReadMessage(ctx, nil)
			if err != nil {
				return err
			}
			w, err := c.NextWriter(ctx, typ)
			if err != nil {
				return err
			}
			off := 0
			for _, k := range plan(len(msg)) {
				if _, err := w.Write(msg[off : off+k]); err != nil {
					return err
				}
				off += k
			}
			if err := w.Close(); err != nil {
				return err
			}
		}
	}
}

// expectStreamed checks the frames of a message of type op that the package
// wrote with NextWriter in Writes of the given sizes: the first frame has
// op and the others are continuations, FIN is set on the last only, the
// payloads add up to msg, and the frame sizes follow the writer's
// documentation: a frame goes out when the 16 KiB buffer (writeBufSize) is
// full, a Write larger than that goes out as a frame of its own, and Close
// sends the rest. So a frame is never larger than writeBufSize unless it is
// the whole of one Write (or what one Write had left once it had filled the
// buffer), and a frame other than the last that is not larger is exactly
// writeBufSize.
func (x *confScript) expectStreamed(op Opcode, msg []byte, writes []int) {
	x.t.Helper()
	// writeOf[i] is the index of the Write that byte i of msg came in.
	writeOf := make([]int, 0, len(msg))
	for w, n := range writes {
		for j := 0; j < n; j++ {
			writeOf = append(writeOf, w)
		}
	}
	off, frames := 0, 0
	for {
		h, p := x.next()
		want := OpContinuation
		if frames == 0 {
			want = op
		}
		if h.Opcode != want {
			x.t.Fatalf("frame %d: got %s, want a %v frame", frames, confDescribe(h, p), want)
		}
		n := len(p)
		if off+n > len(msg) || !bytes.Equal(p, msg[off:off+n]) {
			x.t.Fatalf("frame %d (%d bytes at offset %d) does not carry the message's bytes", frames, n, off)
		}
		if n > writeBufSize && writeOf[off] != writeOf[off+n-1] {
			x.t.Fatalf("frame %d has %d bytes, more than the writer's %d, yet spans Writes %d to %d", frames, n, writeBufSize, writeOf[off], writeOf[off+n-1])
		}
		off += n
		frames++
		if h.Fin {
			break
		}
		if n <= writeBufSize && n != writeBufSize {
			x.t.Fatalf("frame %d, not the last, has %d bytes: the writer sends a frame of its own only when its %d-byte buffer is full or for a large Write", frames-1, n, writeBufSize)
		}
	}
	if off != len(msg) {
		x.t.Fatalf("the message ended after %d of its %d bytes", off, len(msg))
	}
}

func confAutoFragmentation(cs *[]confCase) {
	plans := []struct {
		n    int
		desc string
		plan confWritePlan
	}{
		{65536, "in one Write: one frame of 65536 bytes and an empty final one", confCycle(65536)},
		{0, "with no Write: a single empty final frame", confCycle(1)},
		{1000, "in one Write: a single final frame", confCycle(1000)},
		{writeBufSize, "in one Write of exactly the buffer's size: a single final frame", confCycle(writeBufSize)},
		{writeBufSize + 1, "in one Write one byte over the buffer's size: a frame of its own and an empty final one", confCycle(writeBufSize + 1)},
		{65536, "in Writes of 1 byte: frames of 16 KiB", confCycle(1)},
		{65536, "in Writes of 100 bytes: frames of 16 KiB", confCycle(100)},
		{65536, "in Writes of 4 KiB: frames of 16 KiB", confCycle(4096)},
		{65536, "in Writes of 16 KiB: frames of 16 KiB", confCycle(writeBufSize)},
		{65536, "in Writes of 16 KiB + 1: a frame per Write", confCycle(writeBufSize + 1)},
		{100000, "in Writes of 7000 bytes: frames of 16 KiB and the rest", confCycle(7000)},
		{1 << 20, "in Writes of 64 KiB: a frame per Write", confCycle(64 << 10)},
		{1 << 20, "in Writes of 1000 bytes: frames of 16 KiB", confCycle(1000)},
		{200000, "in Writes of 1000, 40000, 10 and 20000 bytes in turn: full buffers and large Writes", confCycle(1000, 40000, 10, 20000)},
		{50000, "in Writes of 16 KiB - 1: frames of 16 KiB", confCycle(writeBufSize - 1)},
	}
	for i, k := range []struct {
		op   Opcode
		typ  string
		name string
		gen  func(int) []byte
	}{{OpText, "text", "text", confText}, {OpBinary, "binary", "binary", confBinary}} {
		c := newConfCat(cs, fmt.Sprintf("10.%d", 1+i))
		for _, p := range plans {
			c.addCase(confCase{
				desc: fmt.Sprintf("%s message of %d bytes sent back through NextWriter %s", k.name, p.n, p.desc),
				loop: confStreamEcho(p.plan),
				run: func(x *confScript) {
					msg := k.gen(p.n)
					x.send(true, k.op, msg)
					x.expectStreamed(k.op, msg, p.plan(p.n))
					x.bye()
				},
			})
		}
	}
}

// ---------------------------------------------------------------------
// 12 and 13 permessage-deflate (RFC 7692)
//
// In these categories the opening handshake negotiates permessage-deflate:
// the raw peer offers it to our server and checks the response (RFC 7692
// section 7.1), or checks our client's offer and answers it. The raw peer
// then compresses its messages with its own encoder (deflate_test.go:
// compress/flate from the standard library for a 32 KiB window, the test's
// own tlz for a smaller one), one compressor for all the messages of a case
// when context takeover is in force, so that later messages refer back into
// earlier ones, and cuts the compressed payload into frames of a fixed size
// (Autobahn's auto-fragmentation; 0 sends each message in one frame), RSV1
// on the first.
//
// Our side echoes every message: through WriteMessage when the peer sent it
// in one frame, otherwise through NextWriter in Writes of the fragment size.
// The raw peer checks each echo: its type; RSV1 on its first frame and on no
// other (RFC 7692 section 6.1), RSV2 and RSV3 clear; that it is compressed
// (our side's Threshold is zero, so it compresses every message); and that
// the test's own inflater, tinflate, inflates it to the message sent, given
// only the history the negotiated parameters allow: none without context
// takeover, so that each message must inflate on its own (section 7.1.1),
// and the last 2^bits bytes of the earlier messages with it, the longest
// back-reference within that window (section 7.1.2).
//
// Category 12 sends kinds of payload (12.1 JSON-like text, 12.2 repetitive
// text, 12.3 random binary, 12.4 lorem-like text with non-ASCII words, 12.5
// binary with repetitions) under the default offer; category 13 the
// parameter combinations of Autobahn's 13.1 to 13.7 with JSON-like text and
// binary with repetitions in turn, each combination reached in a few ways
// (an offer as it stands, a server adding parameters or lowering windows,
// lists of offers), taken in turn from case to case. Each subcategory has
// every message size of confZSizes with every fragment size of confZFrags:
// cases n.m.1 to n.m.10 send whole messages of 16 bytes to 128 KiB, as
// Autobahn's first ten cases of each subcategory do, the next tens fragments
// of 64, 256, 1024 and 4096 bytes.
//
// To keep the run short (with -race) a case sends a few messages
// (confZCount), not Autobahn's thousand; the messages and the raw peer's
// compressed payloads, which depend only on the kind, the size and the
// parameters, are made once for all the cases that send them; and the
// echoes are inflated by tinflate alone (TestTinflate checks it against
// compress/flate).

var (
	confZSizes = []int{16, 64, 256, 1024, 4096, 8192, 16384, 32768, 65536, 131072}
	confZFrags = []int{0, 64, 256, 1024, 4096}
	// confZLevels are the raw peer's compress/flate levels, taken in turn
	// from case to case (a 32 KiB window only).
	confZLevels = []int{1, 6, flate.HuffmanOnly}
)

// confZCount is the number of messages of size bytes a case sends: several,
// so that each refers back into the ones before, and fewer as they grow.
func confZCount(size int) int { return min(6, max(2, 64<<10/size)) }

// confZKind is a kind of payload: gen returns count messages of size bytes.
type confZKind struct {
	name string
	op   Opcode
	gen  func(size, count int, seed int64) [][]byte
}

var confZKinds = []confZKind{
	{"JSON-like text", OpText, func(size, count int, seed int64) [][]byte {
		return confCut(jsonLike(size*count, seed), size) // one feed, cut into messages
	}},
	{"repetitive text", OpText, func(size, count int, seed int64) [][]byte {
		var msgs [][]byte
		for i := 0; i < count; i++ {
			msgs = append(msgs, confRepetitive(size, int(seed)+i))
		}
		return msgs
	}},
	{"random binary", OpBinary, func(size, count int, seed int64) [][]byte {
		// Every second message is a near copy of the one before, the only
		// repetition there is.
		var msgs [][]byte
		for i := 0; i < count; i++ {
			m := randomBytes(size, seed+int64(i))
			if i%2 == 1 {
				m = append([]byte(nil), msgs[i-1]...)
				m[0] ^= 0xff
				m[size/2] ^= 0x55
			}
			msgs = append(msgs, m)
		}
		return msgs
	}},
	{"lorem-like text", OpText, func(size, count int, seed int64) [][]byte {
		var msgs [][]byte
		for i := 0; i < count; i++ {
			msgs = append(msgs, confLorem(size, seed+int64(i)))
		}
		return msgs
	}},
	{"binary with repetitions", OpBinary, func(size, count int, seed int64) [][]byte {
		return confCut(mixedBinary(size*count, seed), size)
	}},
}

// confZCache keeps the messages confZMessages made and the payloads
// confZCompressed made, until TestConformance ends.
var confZCache struct {
	sync.Mutex
	m map[string][][]byte
}

// confZCompressed returns confZMessages(k, size, count) compressed in turn
// by one new encoder with the parameters of enc (which is left unused):
// the payloads depend on nothing else, so they too are made only once,
// saving half the raw peer's work.
func confZCompressed(t testing.TB, k confZKind, size, count int, enc *peerEncoder) [][]byte {
	level := enc.level
	if enc.bits < 15 {
		level = 0 // tlz has no levels
	}
	key := fmt.Sprintf("%s/%d/%d/compressed/%d/%v/%d", k.name, size, count, enc.bits, enc.noContext, level)
	confZCache.Lock()
	if ps, ok := confZCache.m[key]; ok {
		confZCache.Unlock()
		return ps
	}
	confZCache.Unlock()
	e := newPeerEncoder(enc.bits, enc.noContext, enc.level)
	var ps [][]byte
	for _, m := range confZMessages(k, size, count) {
		ps = append(ps, e.compress(t, m))
	}
	confZCache.Lock()
	confZCache.m[key] = ps
	confZCache.Unlock()
	return ps
}

// confZMessages returns count messages of size bytes of kind k: the same
// for every case that asks for the same, as Autobahn sends the same data in
// every case, so that they are made only once.
func confZMessages(k confZKind, size, count int) [][]byte {
	key := fmt.Sprintf("%s/%d/%d", k.name, size, count)
	confZCache.Lock()
	defer confZCache.Unlock()
	if msgs, ok := confZCache.m[key]; ok {
		return msgs
	}
	if confZCache.m == nil {
		confZCache.m = make(map[string][][]byte)
	}
	msgs := k.gen(size, count, int64(size))
	confZCache.m[key] = msgs
	return msgs
}

// confCut cuts b into pieces of size bytes.
func confCut(b []byte, size int) [][]byte {
	var msgs [][]byte
	for len(b) > 0 {
		msgs = append(msgs, b[:size:size])
		b = b[size:]
	}
	return msgs
}

// confRepetitive returns n bytes of one line over and over, numbered.
func confRepetitive(n, msg int) []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "All work and no play makes Jack a dull boy. (%d.%d)\n", msg, i)
	}
	return b.Bytes()[:n:n]
}

// confLorem returns n bytes of valid UTF-8 resembling prose: words drawn at
// random from a small vocabulary, some with letters of two to four bytes.
func confLorem(n int, seed int64) []byte {
	words := strings.Fields("lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor " +
		"incididunt ut labore et dolore magna aliqua café naïve Grüße façade señor Ελληνικά 日本語 €100 𝄞")
	rng := rand.New(rand.NewSource(seed))
	b := make([]byte, 0, n)
	for {
		w := words[rng.Intn(len(words))]
		if rng.Intn(10) == 0 {
			w += "."
		}
		if len(b)+len(w)+1 > n {
			return append(b, bytes.Repeat([]byte{'~'}, n-len(b))...) // never cuts a letter
		}
		b = append(append(b, w...), ' ')
	}
}

// confNegotiation is one way of negotiating permessage-deflate. When our
// side is the server, the raw client offers offer (the value of its
// Sec-WebSocket-Extensions field; a CRLF in it starts a second field) to our
// server set up with accept, which must accept the element accepted of it
// ("" for the whole offer). When our side is the client, it dials with dial
// and the raw server answers with answer. note and dialNote describe the
// two.
type confNegotiation struct {
	note     string
	dialNote string
	offer    string
	accepted string
	accept   CompressionOptions
	dial     CompressionOptions
	answer   string
}

// confZ is the permessage-deflate setup of a case: how it is negotiated,
// the parameters it must end with, and the raw peer's compress/flate level.
type confZ struct {
	neg   confNegotiation
	want  pmdParams
	level int
}

// start starts our side in role with permessage-deflate negotiated as cz
// says, running loop (an echo when nil), and checks the negotiation: when
// our side is the server, that its response accepts the right offer as RFC
// 7692 allows and gives the parameters wanted; when it is the client, that
// its offer asks for what its options say, and that the raw server's
// answer is a valid one. The response, and both sides' own reading of it,
// must then mean the parameters wanted (an offer of
// client_no_context_takeover binds the client whether or not the response
// repeats it). The raw peer's codec follows them.
func (cz *confZ) start(t *testing.T, role string, loop func(*Conn) error) *zpeer {
	t.Helper()
	n := cz.neg
	var z *zpeer
	var offer string // the offer element accepted
	if role == "server" {
		accept := n.accept
		z = makeZPeer(t, role, zcfg{server: &accept, offer: n.offer, loop: loop})
		t.Logf("%s: offer %q to our server with %s: response %q", n.note, n.offer, confOptions(n.accept), z.ext)
		if z.ext == "" {
			t.Fatalf("our server declined permessage-deflate, offered as %q", n.offer)
		}
		offer = n.accepted
		if offer == "" {
			offer = n.offer
		}
		if err := confCheckAnswer(offer, z.ext); err != nil {
			t.Fatalf("our server's response %q to the offer %q: %v", z.ext, offer, err)
		}
	} else {
		dial := n.dial
		var offers []string
		z = makeZPeer(t, role, zcfg{client: &dial, loop: loop, answer: func(o []string) string {
			offers = o
			return n.answer
		}})
		t.Logf("%s: our client with %s: offer %q, response %q", n.dialNote, confOptions(n.dial), offers, n.answer)
		offer = strings.Join(offers, ", ")
		if err := confCheckOffer(offer, n.dial); err != nil {
			t.Fatalf("our client's offer %q with %s: %v", offers, confOptions(n.dial), err)
		}
		if err := confCheckAnswer(offer, n.answer); err != nil {
			t.Fatalf("the test's answer %q to the offer %q: %v", n.answer, offer, err)
		}
	}
	// A client that offers client_no_context_takeover tells the server it
	// will not use context takeover, whether or not the response names it
	// (section 7.1.1.2).
	o, _ := pmdElement(offer)
	_, hint := o["client_no_context_takeover"]
	meaning := func(p pmdParams) pmdParams {
		p.clientNoContext = p.clientNoContext || hint
		return p
	}
	if got := meaning(z.params); got != cz.want {
		if role == "server" {
			t.Fatalf("our server's response %q to %q means %+v, want %+v", z.ext, offer, got, cz.want)
		}
		t.Fatalf("the test's answer %q to %q means %+v, want %+v", n.answer, offer, got, cz.want)
	}
	ours, err := parsePMD(z.conn.Extensions())
	if err != nil || meaning(ours) != cz.want {
		t.Fatalf("our %s reports %q as negotiated (%+v, %v), want %+v", role, z.conn.Extensions(), ours, err, cz.want)
	}
	level := cz.level
	if level == 0 {
		level = 6
	}
	w := cz.want
	if role == "server" {
		z.enc = newPeerEncoder(w.clientBits, w.clientNoContext, level)
		z.dec = &peerDecoder{bits: w.serverBits, noContext: w.serverNoContext}
	} else {
		z.enc = newPeerEncoder(w.serverBits, w.serverNoContext, level)
		z.dec = &peerDecoder{bits: w.clientBits, noContext: w.clientNoContext}
	}
	return z
}

// confOptions describes compression options by those set.
func confOptions(o CompressionOptions) string {
	var s []string
	if o.ServerNoContextTakeover {
		s = append(s, "ServerNoContextTakeover")
	}
	if o.ClientNoContextTakeover {
		s = append(s, "ClientNoContextTakeover")
	}
	if o.ServerMaxWindowBits != 0 {
		s = append(s, fmt.Sprintf("ServerMaxWindowBits %d", o.ServerMaxWindowBits))
	}
	if o.ClientMaxWindowBits != 0 {
		s = append(s, fmt.Sprintf("ClientMaxWindowBits %d", o.ClientMaxWindowBits))
	}
	if len(s) == 0 {
		return "default options"
	}
	return strings.Join(s, ", ")
}

// confCheckAnswer checks that resp, a Sec-WebSocket-Extensions response,
// validly accepts offer, a single permessage-deflate offer (RFC 7692
// section 7.1): parameters known, each once, no_context_takeover ones
// without a value, window bits from 8 to 15; server_no_context_takeover and
// server_max_window_bits, if offered, accepted, the latter with the value
// offered or a smaller one; client_max_window_bits only if offered.
func confCheckAnswer(offer, resp string) error {
	o, err := pmdElement(offer)
	if err != nil {
		return fmt.Errorf("offer: %v", err)
	}
	r, err := pmdElement(resp)
	if err != nil {
		return err
	}
	for name, v := range r {
		switch name {
		case "server_no_context_takeover", "client_no_context_takeover":
			if v != "" {
				return fmt.Errorf("%s has a value (7.1.1)", name)
			}
		case "server_max_window_bits", "client_max_window_bits":
			bits, err := strconv.Atoi(v)
			if err != nil || bits < 8 || bits > 15 || strconv.Itoa(bits) != v {
				return fmt.Errorf("%s=%q is not from 8 to 15 (7.1.2)", name, v)
			}
			ov, offered := o[name]
			switch {
			case name == "client_max_window_bits" && !offered:
				return fmt.Errorf("client_max_window_bits answered, not offered (7.1.2.2)")
			case name == "server_max_window_bits" && offered && ov != "" && bits > atoiOr(ov, 15):
				return fmt.Errorf("server_max_window_bits=%d, more than the %s offered (7.1.2.1)", bits, ov)
			}
		default:
			return fmt.Errorf("unknown parameter %q (7.1)", name)
		}
	}
	for _, name := range []string{"server_no_context_takeover", "server_max_window_bits"} {
		if _, offered := o[name]; offered {
			if _, answered := r[name]; !answered {
				return fmt.Errorf("%s offered and not in the response (7.1.1.1, 7.1.2.1)", name)
			}
		}
	}
	return nil
}

func atoiOr(s string, def int) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return def
	}
	return n
}

// confCheckOffer checks our client's offer against its options: one
// permessage-deflate element, with server_no_context_takeover and
// client_no_context_takeover when asked for, server_max_window_bits and a
// client_max_window_bits value when the options limit the window (15, no
// limit, may be named or not), and client_max_window_bits in any case, which
// our client always announces so that a server may limit its window.
func confCheckOffer(offer string, o CompressionOptions) error {
	m, err := pmdElement(offer)
	if err != nil {
		return err
	}
	want := map[string]string{"client_max_window_bits": ""}
	if o.ServerNoContextTakeover {
		want["server_no_context_takeover"] = ""
	}
	if o.ClientNoContextTakeover {
		want["client_no_context_takeover"] = ""
	}
	if b := o.ServerMaxWindowBits; b != 0 && (b < 15 || m["server_max_window_bits"] == "15") {
		want["server_max_window_bits"] = strconv.Itoa(b)
	}
	if b := o.ClientMaxWindowBits; b != 0 && (b < 15 || m["client_max_window_bits"] == "15") {
		want["client_max_window_bits"] = strconv.Itoa(b)
	}
	if len(m) != len(want) {
		return fmt.Errorf("parameters %q, want %q", m, want)
	}
	for name, v := range want {
		if got, ok := m[name]; !ok || got != v {
			return fmt.Errorf("parameters %q, want %q", m, want)
		}
	}
	return nil
}

// confZEchoLoop is our side's echo for messages the raw peer sends in
// fragments of frag bytes: WriteMessage for whole ones, NextWriter in Writes
// of frag bytes otherwise.
func confZEchoLoop(frag int) func(*Conn) error {
	if frag == 0 {
		return nil
	}
	return confStreamEcho(confCycle(frag))
}

func confFragDesc(frag int) string {
	if frag == 0 {
		return "each in one frame"
	}
	return fmt.Sprintf("in frames of %d bytes", frag)
}

// zEcho sends each of msgs as a message of type op, compressed (payloads,
// from the raw peer's encoder) and cut into frames of frag bytes of
// compressed payload (one frame when 0), checks its echo as the section's
// comment says, and closes.
func (x *confScript) zEcho(op Opcode, msgs, payloads [][]byte, frag int) {
	x.t.Helper()
	in := &confInflater{bits: x.z.dec.bits, noContext: x.z.dec.noContext}
	for i, msg := range msgs {
		p := payloads[i]
		x.write(x.z.messageBytes(op, true, p, frag))
		x.zExpect(in, op, msg, fmt.Sprintf("message %d of %d (%d bytes, %d compressed)", i+1, len(msgs), len(msg), len(p)))
	}
	x.t.Logf("longest back-reference in our side's messages: %d bytes, in a window of %d", in.maxDist, 1<<in.bits)
	x.bye()
}

// confInflater inflates our side's messages with tinflate (which
// TestTinflate checks against compress/flate), given only the history the
// negotiated parameters allow, and keeps track of the longest back-reference.
type confInflater struct {
	bits      int
	noContext bool
	hist      []byte // the end of the earlier messages, with context takeover
	maxDist   int
}

func (in *confInflater) inflate(payload []byte) ([]byte, error) {
	data := append(append([]byte(nil), payload...), pmdTail...)
	var dict []byte
	if !in.noContext {
		dict = in.hist[max(0, len(in.hist)-1<<in.bits):]
	}
	res, err := tinflate(data, dict)
	if err != nil {
		return nil, err
	}
	if res.maxDist > 1<<in.bits {
		return nil, fmt.Errorf("a back-reference reaches %d bytes back, beyond the window of %d", res.maxDist, 1<<in.bits)
	}
	in.maxDist = max(in.maxDist, res.maxDist)
	if !in.noContext {
		in.hist = append(in.hist, res.out...)
		if len(in.hist) > 64<<10 {
			in.hist = append(in.hist[:0], in.hist[len(in.hist)-32<<10:]...)
		}
	}
	return res.out, nil
}

// zExpect reads the echo of msg, a message of type op, and checks it,
// inflating it with in.
func (x *confScript) zExpect(in *confInflater, op Opcode, msg []byte, what string) {
	x.t.Helper()
	var raw []byte
	for frames := 0; ; frames++ {
		h, p, err := x.p.readFrame()
		if err != nil {
			x.t.Fatalf("%s: reading frame %d of the echo: %v", what, frames, err)
		}
		wantOp := op
		if frames > 0 {
			wantOp = OpContinuation
		}
		switch {
		case h.Opcode != wantOp:
			x.t.Fatalf("%s: got %s as frame %d of the echo, want a %v frame", what, confDescribe(h, p), frames, wantOp)
		case h.Rsv2 || h.Rsv3:
			x.t.Fatalf("%s: frame %d of the echo has RSV2 or RSV3 set (RFC 6455 5.2)", what, frames)
		case frames == 0 && !h.Rsv1:
			x.t.Fatalf("%s: the echo is not compressed (RSV1 clear), though our side compresses every message", what)
		case frames > 0 && h.Rsv1:
			x.t.Fatalf("%s: RSV1 set on frame %d of the echo, a continuation frame (RFC 7692 6.1)", what, frames)
		}
		raw = append(raw, p...)
		if h.Fin {
			break
		}
	}
	got, err := in.inflate(raw)
	if err != nil {
		x.t.Fatalf("%s: the echo (%d compressed bytes) does not inflate under the negotiated parameters (window %d bytes, context takeover %v): %v",
			what, len(raw), 1<<in.bits, !in.noContext, err)
	}
	if !bytes.Equal(got, msg) {
		i := 0
		for i < len(got) && i < len(msg) && got[i] == msg[i] {
			i++
		}
		x.t.Fatalf("%s: the echo inflates to %d bytes (%s), want %d (%s): they differ from byte %d",
			what, len(got), confShow(got), len(msg), confShow(msg), i)
	}
}

// confDefaultNegotiation is the default offer of a browser (and of our
// client), and a server's plain acceptance.
var confDefaultNegotiation = confNegotiation{
	note:     "default offer",
	dialNote: "default options; the server accepts plainly",
	offer:    "permessage-deflate; client_max_window_bits",
	answer:   "permessage-deflate",
}

// confZMatrix adds to c a case per fragment size and message size, in that
// order, each with the setup z returns and sending the messages kind
// returns.
func confZMatrix(c *confCat, title string, kind func(si, fi int) confZKind, z func(si, fi int) *confZ) {
	for fi, frag := range confZFrags {
		for si, size := range confZSizes {
			k, cz, count := kind(si, fi), z(si, fi), confZCount(size)
			c.addCase(confCase{
				desc: fmt.Sprintf("%s: %d messages of %s of %s, compressed, %s: echoed intact, compressed within the negotiated parameters",
					title, count, confSize(size), k.name, confFragDesc(frag)),
				z:    cz,
				loop: confZEchoLoop(frag),
				run: func(x *confScript) {
					msgs := confZMessages(k, size, count)
					x.zEcho(k.op, msgs, confZCompressed(x.t, k, size, count, x.z.enc), frag)
				},
			})
		}
	}
}

func confDeflatePayloads(cs *[]confCase) {
	for i, k := range confZKinds {
		c := newConfCat(cs, fmt.Sprintf("12.%d", 1+i))
		confZMatrix(c, "default offer",
			func(si, fi int) confZKind { return k },
			func(si, fi int) *confZ {
				return &confZ{
					neg:   confDefaultNegotiation,
					want:  pmdParams{serverBits: 15, clientBits: 15},
					level: confZLevels[(si+2*fi)%len(confZLevels)],
				}
			})
	}
}

// confZParam is a parameter combination of category 13: the parameters it
// must end with, and ways of negotiating them, taken in turn.
type confZParam struct {
	title string
	want  pmdParams
	negs  []confNegotiation
}

// confZParams are Autobahn's 13.1 to 13.7, with windows of 9 bits where
// Autobahn has 8 (zlib, which many peers use, cannot compress with 8).
var confZParams = []confZParam{
	{"13.1 default offer", pmdParams{serverBits: 15, clientBits: 15}, []confNegotiation{
		confDefaultNegotiation,
		{
			note:     "bare offer",
			dialNote: "default options; the server names the windows it uses (7.1.2.1, 7.1.2.2)",
			offer:    "permessage-deflate",
			answer:   "permessage-deflate; server_max_window_bits=15; client_max_window_bits=15",
		},
	}},
	{"13.2 no context takeover", pmdParams{serverNoContext: true, clientNoContext: true, serverBits: 15, clientBits: 15}, []confNegotiation{
		{
			note:     "both offered",
			dialNote: "both asked for, both accepted",
			offer:    "permessage-deflate; server_no_context_takeover; client_no_context_takeover; client_max_window_bits",
			dial:     CompressionOptions{ServerNoContextTakeover: true, ClientNoContextTakeover: true},
			answer:   "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
		},
		{
			note:     "server_no_context_takeover offered; our server, set to require it, adds client_no_context_takeover (7.1.1.2)",
			dialNote: "server_no_context_takeover asked for; the server adds client_no_context_takeover (7.1.1.2)",
			offer:    "permessage-deflate; server_no_context_takeover; client_max_window_bits",
			accept:   CompressionOptions{ClientNoContextTakeover: true},
			dial:     CompressionOptions{ServerNoContextTakeover: true},
			answer:   "permessage-deflate; client_no_context_takeover; server_no_context_takeover",
		},
		{
			note:     "client_no_context_takeover offered; our server, set to, adds server_no_context_takeover (7.1.1.1)",
			dialNote: "client_no_context_takeover announced and not answered; the server adds server_no_context_takeover unasked (7.1.1.1)",
			offer:    "permessage-deflate; client_no_context_takeover",
			accept:   CompressionOptions{ServerNoContextTakeover: true},
			dial:     CompressionOptions{ClientNoContextTakeover: true},
			answer:   "permessage-deflate; server_no_context_takeover",
		},
	}},
	{"13.3 windows of 9 bits", pmdParams{serverBits: 9, clientBits: 9}, []confNegotiation{
		{
			note:     "both windows offered",
			dialNote: "both windows asked for, both accepted",
			offer:    "permessage-deflate; server_max_window_bits=9; client_max_window_bits=9",
			dial:     CompressionOptions{ServerMaxWindowBits: 9, ClientMaxWindowBits: 9},
			answer:   "permessage-deflate; server_max_window_bits=9; client_max_window_bits=9",
		},
		{
			note:     "the server's window offered, the client's left open; our server, set to, limits it (7.1.2.2)",
			dialNote: "default options; the server limits both windows (7.1.2.1, 7.1.2.2)",
			offer:    "permessage-deflate; server_max_window_bits=9; client_max_window_bits",
			accept:   CompressionOptions{ClientMaxWindowBits: 9},
			answer:   "permessage-deflate; server_max_window_bits=9; client_max_window_bits=9",
		},
		{
			note:     "windows of 12 and 11 bits offered; our server, set to 9 bits, lowers both",
			dialNote: "windows of 12 and 11 bits asked for; the server lowers both to 9",
			offer:    "permessage-deflate; server_max_window_bits=12; client_max_window_bits=11",
			accept:   CompressionOptions{ServerMaxWindowBits: 9, ClientMaxWindowBits: 9},
			dial:     CompressionOptions{ServerMaxWindowBits: 12, ClientMaxWindowBits: 11},
			answer:   "permessage-deflate; server_max_window_bits=9; client_max_window_bits=9",
		},
	}},
	{"13.4 windows of 15 bits", pmdParams{serverBits: 15, clientBits: 15}, []confNegotiation{
		{
			note:     "both windows offered",
			dialNote: "both windows asked for, both accepted",
			offer:    "permessage-deflate; server_max_window_bits=15; client_max_window_bits=15",
			dial:     CompressionOptions{ServerMaxWindowBits: 15, ClientMaxWindowBits: 15},
			answer:   "permessage-deflate; server_max_window_bits=15; client_max_window_bits=15",
		},
		{
			note:     "the server's window offered",
			dialNote: "default options; the server names its window",
			offer:    "permessage-deflate; client_max_window_bits; server_max_window_bits=15",
			answer:   "permessage-deflate; server_max_window_bits=15",
		},
	}},
	{"13.5 no context takeover, windows of 9 bits", pmdParams{serverNoContext: true, clientNoContext: true, serverBits: 9, clientBits: 9}, []confNegotiation{
		{
			note:     "all offered",
			dialNote: "all asked for, all accepted",
			offer:    "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=9",
			dial:     CompressionOptions{ServerNoContextTakeover: true, ClientNoContextTakeover: true, ServerMaxWindowBits: 9, ClientMaxWindowBits: 9},
			answer:   "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=9",
		},
		{
			note:     "the server's parameters offered; our server, set to, imposes the client's",
			dialNote: "the server's parameters asked for; the server imposes the client's",
			offer:    "permessage-deflate; server_max_window_bits=9; server_no_context_takeover; client_max_window_bits",
			accept:   CompressionOptions{ClientNoContextTakeover: true, ClientMaxWindowBits: 9},
			dial:     CompressionOptions{ServerNoContextTakeover: true, ServerMaxWindowBits: 9},
			answer:   "permessage-deflate; client_max_window_bits=9; client_no_context_takeover; server_max_window_bits=9; server_no_context_takeover",
		},
		{
			note:     "default offer; our server, set to, imposes everything",
			dialNote: "default options; the server imposes everything",
			offer:    "permessage-deflate; client_max_window_bits",
			accept:   CompressionOptions{ServerNoContextTakeover: true, ClientNoContextTakeover: true, ServerMaxWindowBits: 9, ClientMaxWindowBits: 9},
			answer:   "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=9",
		},
	}},
	{"13.6 no context takeover, windows of 15 bits", pmdParams{serverNoContext: true, clientNoContext: true, serverBits: 15, clientBits: 15}, []confNegotiation{
		{
			note:     "all offered",
			dialNote: "all asked for, all accepted",
			offer:    "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=15; client_max_window_bits=15",
			dial:     CompressionOptions{ServerNoContextTakeover: true, ClientNoContextTakeover: true, ServerMaxWindowBits: 15, ClientMaxWindowBits: 15},
			answer:   "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=15; client_max_window_bits=15",
		},
		{
			note:     "client_no_context_takeover offered; our server, set to, adds server_no_context_takeover",
			dialNote: "server_no_context_takeover asked for; the server adds client_no_context_takeover",
			offer:    "permessage-deflate; client_no_context_takeover; server_max_window_bits=15; client_max_window_bits",
			accept:   CompressionOptions{ServerNoContextTakeover: true},
			dial:     CompressionOptions{ServerNoContextTakeover: true},
			answer:   "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
		},
	}},
	// Our client makes a single offer, so in its role the raw server plays
	// Autobahn's 13.7 server, which takes an offer of no context takeover
	// and a small window and asks the same of the client, its answer
	// spelled in the ways the grammar allows (RFC 6455 section 9.1, RFC 7692
	// section 7.1.2: quoted values, spaces, any order).
	{"13.7 list of offers, the first invalid or unacceptable", pmdParams{serverNoContext: true, clientNoContext: true, serverBits: 9, clientBits: 9}, []confNegotiation{
		{
			note:     "a window of 7 bits, then two valid offers",
			dialNote: "Autobahn's first offer of 13.7 (server_no_context_takeover, a server window of 9 bits): the server accepts it and asks the same of the client",
			offer:    "permessage-deflate; server_max_window_bits=7, permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=9, permessage-deflate",
			accepted: "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=9",
			dial:     CompressionOptions{ServerNoContextTakeover: true, ServerMaxWindowBits: 9},
			answer:   "permessage-deflate; server_no_context_takeover; server_max_window_bits=9; client_no_context_takeover; client_max_window_bits=9",
		},
		{
			note:     "an unknown parameter, then two valid offers, the first with quoted values",
			dialNote: "the same, answered with quoted values, spaces and the parameters in another order",
			offer:    `permessage-deflate; server_no_context_takeover; mystery_param, permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits="9"; client_max_window_bits="9", permessage-deflate`,
			accepted: `permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits="9"; client_max_window_bits="9"`,
			dial:     CompressionOptions{ServerNoContextTakeover: true, ServerMaxWindowBits: 9},
			answer:   `permessage-deflate;client_max_window_bits="9";server_max_window_bits = 9 ; client_no_context_takeover;server_no_context_takeover`,
		},
		{
			note:     "another extension, a window of 16 bits and a repeated parameter, then two valid offers",
			dialNote: "no context takeover both ways and a server window of 10 bits asked for: the server lowers it to 9 and limits the client's",
			offer:    "x-webkit-deflate-frame; no_context_takeover, permessage-deflate; client_max_window_bits=16, permessage-deflate; server_no_context_takeover; server_no_context_takeover, permessage-deflate; client_max_window_bits=9; server_max_window_bits=9; client_no_context_takeover; server_no_context_takeover, permessage-deflate; client_max_window_bits",
			accepted: "permessage-deflate; client_max_window_bits=9; server_max_window_bits=9; client_no_context_takeover; server_no_context_takeover",
			dial:     CompressionOptions{ServerNoContextTakeover: true, ServerMaxWindowBits: 10, ClientNoContextTakeover: true},
			answer:   "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=9",
		},
		{
			note:     "an offer our server, set to limit the client's window, cannot take (no client_max_window_bits), then two it can",
			dialNote: "no context takeover both ways and a server window of 9 bits asked for: the server limits the client's window",
			offer:    "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9, permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits, permessage-deflate; client_max_window_bits",
			accepted: "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits",
			accept:   CompressionOptions{ClientMaxWindowBits: 9},
			dial:     CompressionOptions{ServerNoContextTakeover: true, ClientNoContextTakeover: true, ServerMaxWindowBits: 9},
			answer:   "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=9",
		},
		{
			note:     "two header fields: a window without a value, then two valid offers",
			dialNote: "everything asked for, everything accepted",
			offer:    "permessage-deflate; server_max_window_bits\r\nSec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=9, permessage-deflate",
			accepted: "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=9",
			dial:     CompressionOptions{ServerNoContextTakeover: true, ClientNoContextTakeover: true, ServerMaxWindowBits: 9, ClientMaxWindowBits: 9},
			answer:   "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=9",
		},
	}},
}

func confDeflateParams(cs *[]confCase) {
	for i, p := range confZParams {
		c := newConfCat(cs, fmt.Sprintf("13.%d", 1+i))
		confZMatrix(c, p.title,
			// JSON-like text and binary with repetitions in turn: both have
			// repetitions at every distance, which the windows must cut.
			func(si, fi int) confZKind { return confZKinds[[]int{0, 4}[si%2]] },
			func(si, fi int) *confZ {
				return &confZ{
					neg:   p.negs[(si+fi)%len(p.negs)],
					want:  p.want,
					level: confZLevels[(si+2*fi)%len(confZLevels)],
				}
			})
	}
}
