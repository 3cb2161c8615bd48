package websocket

// The wire-level conformance suite (issue #3).
//
// TestConformance runs every case twice: against our server, with the raw
// peer of helpers_test.go playing the client (it masks what it sends), and
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
//
// This file holds the runner and the raw peer's script (confScript); the
// cases are in a file per subject: conformance_frames_test.go (1 to 4),
// conformance_fragments_test.go (5 and 10), conformance_utf8_test.go (6),
// conformance_close_test.go (7), conformance_limits_test.go (9),
// conformance_deflate_test.go (12) and conformance_deflate_params_test.go
// (13).

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
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
	// loopWrites says that loop only writes or closes, and so runs on a
	// connection an EventLoop reads as well: the case then runs in the
	// events role too. A loop that reads does not, unless echo is set:
	// what the loop does with each message it reads, which the EventLoop's
	// handler does instead.
	loopWrites bool
	echo       func(c *Conn, typ MessageType, msg []byte) error
}

// TestConformance runs the suite: TestConformance/server/<id> against our
// server, TestConformance/client/<id> against our client, and
// TestConformance/events/<id> against our server with an EventLoop reading
// the connection (and echoing from its handler).
func TestConformance(t *testing.T) {
	cases := confCases()
	loop := newTestLoop(t, 4)
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
	for _, role := range []string{"server", "client", "events"} {
		for _, c := range cases {
			if role == "events" {
				switch {
				case c.echo != nil:
					c.loop = serveEcho(loop, c.echo)
				case c.loop == nil || c.loopWrites:
					c.loop = serveWith(loop, c.loop)
				default:
					continue
				}
			}
			t.Run(role+"/"+c.id, func(t *testing.T) {
				t.Log(c.desc)
				role := role
				if role == "events" {
					role = "server"
				}
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
func (x *confScript) hframe(h FrameHeader, payload []byte) []byte {
	h.Length = int64(len(payload))
	h.Masked = x.p.client
	if h.Masked {
		h.Mask = confMaskKey
	}
	return encodeFrame(h, payload)
}

// frame encodes a frame with no reserved bits.
func (x *confScript) frame(fin bool, op Opcode, payload []byte) []byte {
	return x.hframe(FrameHeader{Fin: fin, Opcode: op}, payload)
}

// wrongMaskFrame encodes a frame masked as the other role would: masked
// from a server, unmasked from a client.
func (x *confScript) wrongMaskFrame(h FrameHeader, payload []byte) []byte {
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

// fragments encodes msg as a message of type op in frames of size bytes,
// the last one cut short.
func (x *confScript) fragments(op Opcode, msg []byte, size int) []byte {
	var b []byte
	for off := 0; off < len(msg); off += size {
		fop := OpContinuation
		if off == 0 {
			fop = op
		}
		end := min(off+size, len(msg))
		b = append(b, x.frame(end == len(msg), fop, msg[off:end])...)
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
func (x *confScript) nextWithin(d time.Duration) (FrameHeader, []byte, error) {
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
func (x *confScript) next() (FrameHeader, []byte) {
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
func (x *confScript) expectMessageFrom(h FrameHeader, p []byte, op Opcode, want []byte) {
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
		x.t.Fatalf("got a %v message of %d bytes (%s), want %d bytes (%s): they differ from byte %d",
			op, len(got), confShow(got), len(want), confShow(want), confDiffAt(got, want))
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
func (x *confScript) checkClose(h FrameHeader, p []byte, want StatusCode) (StatusCode, string) {
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

// sendAfterClose closes with 1000 and, once the package has answered,
// sends late, which the package must ignore: nothing more comes, and the
// connection ends as closeAnswered checks.
func (x *confScript) sendAfterClose(late []byte) {
	x.t.Helper()
	x.send(true, OpClose, closePayload(StatusNormalClosure, ""))
	x.expectClose(StatusNormalClosure)
	x.afterClose(late)
	x.finishTCP()
	wantCloseError(x.t, x.s.result(), StatusNormalClosure, "")
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

func confDescribe(h FrameHeader, p []byte) string {
	return fmt.Sprintf("a %v frame (fin=%v, %d bytes: %s)", h.Opcode, h.Fin, len(p), confShow(p))
}

// confDiffAt returns the offset of the first byte where a and b differ.
func confDiffAt(a, b []byte) int {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return i
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
func rsv(h FrameHeader, v int) FrameHeader {
	h.Rsv1, h.Rsv2, h.Rsv3 = v&4 != 0, v&2 != 0, v&1 != 0
	return h
}
