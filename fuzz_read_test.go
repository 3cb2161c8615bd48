package websocket

// Fuzzing the reading of frames (RFC 6455 sections 5 to 8): FuzzServerRead
// and FuzzClientRead, their reference decoder fzRefRead and their seeds;
// and reading a Conn and checking what it read and wrote (fzReadConn),
// which the other targets use too.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// ---------------------------------------------------------------------------
// The reference decoder.

// fzMessage is a data message.
type fzMessage struct {
	typ  MessageType
	data []byte
}

// fzEnd is how a connection's reading ends: the peer's close frame (code and
// reason), this side failing the connection (failed, with the code it sent),
// or the stream ending without a close frame (1006).
type fzEnd struct {
	code   StatusCode
	failed bool
	reason string
}

func (e fzEnd) String() string {
	switch {
	case e.failed:
		return fmt.Sprintf("failed with %d", e.code)
	case e.code == 1006:
		return "ended without a close frame (1006)"
	}
	return fmt.Sprintf("peer closed with %d %q", e.code, e.reason)
}

// fzRefResult is what the receiving endpoint of a stream must see.
type fzRefResult struct {
	msgs  []fzMessage
	pings [][]byte // payloads of the pings to answer, in order
	end   fzEnd
}

// fzRefRead decodes stream as the client (when client) or the server
// receiving it, with a read limit of limit bytes per message, and returns
// the messages, the pings and how it ends. It follows RFC 6455: the checks
// of sections 5.2 (minimal length), 5.1 (masking by role), 5.2 (RSV bits,
// reserved opcodes), 5.4 and 5.5 (fragmentation, control frames), 5.5.1 and
// 7.4 (close frames), 8.1 (UTF-8, failing as soon as the bytes cannot begin
// valid UTF-8) and the read limit (1009, checked against the lengths the
// headers announce). The stream ending inside a frame or between frames is
// 1006.
func fzRefRead(stream []byte, client bool, limit int64) fzRefResult {
	var res fzRefResult
	fail := func(code StatusCode) fzRefResult {
		res.end = fzEnd{code: code, failed: true}
		return res
	}
	abnormal := func() fzRefResult {
		res.end = fzEnd{code: 1006}
		return res
	}
	var (
		active    bool   // inside a fragmented message
		typ       byte   // its opcode
		msg       []byte // its payload so far
		announced uint64 // the payload lengths its frames announced
	)
	pos := 0
	for {
		if pos == len(stream) {
			return abnormal()
		}
		h, complete := fzRefParseFrameHeader(stream[pos:])
		if !complete {
			return abnormal()
		}
		if h.overflow() || !h.minimal() || h.rsv != 0 || h.masked == client {
			return fail(1002)
		}
		switch h.op {
		case 0, 1, 2, 8, 9, 10:
		default:
			return fail(1002)
		}
		body := stream[pos+h.size:]
		if h.op >= 8 {
			if !h.fin || h.length > 125 {
				return fail(1002)
			}
			if uint64(len(body)) < h.length {
				return abnormal()
			}
			p := fzUnmask(h, body[:h.length])
			pos += h.size + int(h.length)
			switch h.op {
			case 9:
				res.pings = append(res.pings, p)
			case 8:
				code, reason, failCode := fzRefClosePayload(p)
				if failCode != 0 {
					return fail(failCode)
				}
				res.end = fzEnd{code: code, reason: reason}
				return res
			}
			continue
		}
		if (h.op == 0) != active {
			return fail(1002) // a continuation outside a message, or a new message inside one
		}
		if h.op != 0 {
			active, typ, msg, announced = true, h.op, []byte{}, 0
		}
		if h.length > uint64(limit)-announced {
			return fail(1009)
		}
		announced += h.length
		avail := min(h.length, uint64(len(body)))
		msg = append(msg, fzUnmask(h, body[:avail])...)
		if typ == 1 && !fzValidPrefix(msg) {
			return fail(1007)
		}
		if avail < h.length {
			return abnormal()
		}
		pos += h.size + int(h.length)
		if h.fin {
			if typ == 1 && !utf8.Valid(msg) {
				return fail(1007)
			}
			res.msgs = append(res.msgs, fzMessage{MessageType(typ), msg})
			active, msg = false, nil
		}
	}
}

// fzDiffResults describes how two results differ, or returns "".
func fzDiffResults(got, want fzRefResult) string {
	if d := fzDiffMessages(got.msgs, want.msgs); d != "" {
		return d
	}
	if len(got.pings) != len(want.pings) {
		return fmt.Sprintf("%d pings, want %d", len(got.pings), len(want.pings))
	}
	for i := range got.pings {
		if !bytes.Equal(got.pings[i], want.pings[i]) {
			return fmt.Sprintf("ping %d is %q, want %q", i, got.pings[i], want.pings[i])
		}
	}
	if got.end != want.end {
		return fmt.Sprintf("%v, want %v", got.end, want.end)
	}
	return ""
}

func fzDiffMessages(got, want []fzMessage) string {
	for i := 0; i < len(got) || i < len(want); i++ {
		switch {
		case i == len(got):
			return fmt.Sprintf("%d messages, want %d: missing %s", len(got), len(want), fzAbbrev(want[i]))
		case i == len(want):
			return fmt.Sprintf("%d messages, want %d: extra %s", len(got), len(want), fzAbbrev(got[i]))
		case got[i].typ != want[i].typ || !bytes.Equal(got[i].data, want[i].data):
			return fmt.Sprintf("message %d is %s, want %s", i, fzAbbrev(got[i]), fzAbbrev(want[i]))
		}
	}
	return ""
}

func fzAbbrev(m fzMessage) string {
	const max = 40
	if len(m.data) > max {
		return fmt.Sprintf("%v %d bytes %q...", m.typ, len(m.data), m.data[:max])
	}
	return fmt.Sprintf("%v %d bytes %q", m.typ, len(m.data), m.data)
}

// ---------------------------------------------------------------------------
// Reading a Conn and checking what it did.

// fzReadConfig says how a target reads a connection.
type fzReadConfig struct {
	client      bool   // the Conn is the client, reading unmasked frames
	limit       int64  // SetReadLimit
	chunks      []byte // sizes of the fake connection's reads
	eofWithData bool   // the last read returns io.EOF with the last bytes
	api         int    // 0: ReadMessage(nil); 1: ReadMessage into the last payload; 2: NextReader and io.ReadAll; 3: NextReader read piece bytes at a time
	piece       int    // read size for api 3
	cancelCtx   bool   // read with a cancellable context, which arms the Conn's deadline handling
	buffered    int    // bytes of the stream handed to newConn as already read
}

// fzReadDefaultLimit is the limit argument of the read targets that stands
// for DefaultReadLimit.
const fzReadDefaultLimit = math.MaxUint16

// fzNewReadConfig makes the config of FuzzServerRead and FuzzClientRead. A
// limit of 0xffff stands for DefaultReadLimit.
func fzNewReadConfig(client bool, chunks []byte, limit uint16, mode uint8) fzReadConfig {
	cfg := fzReadConfig{
		client:      client,
		limit:       int64(limit),
		chunks:      chunks,
		api:         int(mode & 3),
		eofWithData: mode&4 != 0,
		cancelCtx:   mode&8 != 0,
		piece:       int(mode>>4) + 1,
		buffered:    int(mode>>4) * 9,
	}
	if limit == fzReadDefaultLimit {
		cfg.limit = DefaultReadLimit
	}
	return cfg
}

// fzReadResult is what reading a Conn until an error gave.
type fzReadResult struct {
	msgs  []fzMessage
	err   error // the error that ended the reads
	again error // the error of one more read after it
	stuck string
}

// fzReadAll reads messages from c as cfg says until an error, and then once
// more. maxMsgs bounds the messages: more means the reads make no progress.
func fzReadAll(c *Conn, cfg fzReadConfig, maxMsgs int) (res fzReadResult) {
	c.SetCloseTimeout(fzCloseTimeout)
	c.SetReadLimit(cfg.limit)
	ctx := context.Background()
	if cfg.cancelCtx {
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		defer cancel()
	}
	read := func(buf []byte) (MessageType, []byte, error) {
		switch cfg.api {
		case 0, 1:
			return c.ReadMessage(ctx, buf)
		}
		typ, r, err := c.NextReader(ctx)
		if err != nil {
			return 0, nil, err
		}
		if cfg.api == 2 {
			p, err := io.ReadAll(r)
			return typ, p, err
		}
		p, _, err := fzReadMessage(r, nil, make([]byte, cfg.piece), math.MaxInt)
		if err != nil {
			return typ, nil, err
		}
		return typ, p, nil
	}
	var buf []byte
	for {
		typ, p, err := read(buf)
		if err != nil {
			res.err = err
			_, _, res.again = read(nil)
			return res
		}
		if cfg.api == 1 {
			buf = p
		}
		res.msgs = append(res.msgs, fzMessage{typ, bytes.Clone(p)})
		if len(res.msgs) > maxMsgs {
			res.stuck = fmt.Sprintf("read %d messages, more than the input can hold", len(res.msgs))
			return res
		}
	}
}

// fzReadMessage reads r to its end, or until p holds at least max bytes,
// appending to p: a chunk at a time when chunk is not nil, else into p's
// spare capacity, growing it only when it is full. whole says r reached its
// end (io.EOF, which is not returned). A reader that keeps returning 0, nil
// is an error.
func fzReadMessage(r io.Reader, p, chunk []byte, max int) (_ []byte, whole bool, err error) {
	zero := 0
	for len(p) < max {
		var n int
		if chunk != nil {
			n, err = r.Read(chunk)
			p = append(p, chunk[:n]...)
		} else {
			p = slices.Grow(p, 1) // only if the Conn returned more than the limit
			n, err = r.Read(p[len(p):cap(p)])
			p = p[:len(p)+n]
		}
		if err == io.EOF {
			return p, true, nil
		}
		if err != nil {
			return p, false, err
		}
		if n == 0 {
			if zero++; zero > 1000 {
				return p, false, errors.New("fuzz: the message reader keeps returning 0, nil")
			}
		}
	}
	return p, false, nil
}

// fzReadStream reads stream with a new Conn as cfg says and checks that it
// sees want.
func fzReadStream(t *testing.T, stream []byte, cfg fzReadConfig, want fzRefResult) {
	t.Helper()
	b := min(cfg.buffered, len(stream))
	nc := &fzConn{in: stream[b:], chunks: cfg.chunks, eofWithData: cfg.eofWithData}
	c := newConn(nc, cfg.client, "", stream[:b])
	fzReadConn(t, c, nc, 0, cfg, len(stream), want)
}

// fzReadConn reads c, made on nc, as cfg says and checks that it sees want and
// writes the frames it must. The frames it writes start at nc.out[outStart:].
// streamLen is the length of the stream c reads.
func fzReadConn(t *testing.T, c *Conn, nc *fzConn, outStart int, cfg fzReadConfig, streamLen int, want fzRefResult) {
	t.Helper()
	var res fzReadResult
	fzBounded(t, "reading the connection", func() { res = fzReadAll(c, cfg, streamLen/2+1) })
	if res.stuck != "" {
		t.Fatal(res.stuck)
	}
	for i, m := range res.msgs {
		switch m.typ {
		case MessageText:
			if !utf8.Valid(m.data) {
				t.Fatalf("message %d is text but not UTF-8: %s", i, fzAbbrev(m))
			}
		case MessageBinary:
		default:
			t.Fatalf("message %d has type %v", i, m.typ)
		}
		if int64(len(m.data)) > cfg.limit {
			t.Fatalf("message %d has %d bytes, more than the read limit of %d", i, len(m.data), cfg.limit)
		}
	}
	end := fzEndOf(t, res.err)
	if d := fzDiffMessages(res.msgs, want.msgs); d != "" {
		t.Fatalf("read %s (then %v); want %s", d, res.err, want.end)
	}
	if end != want.end {
		t.Fatalf("after %d messages: %v (error %v); want %v", len(res.msgs), end, res.err, want.end)
	}
	if res.again == nil || res.again.Error() != res.err.Error() {
		t.Fatalf("the read after %q returned %v, want the same error", res.err, res.again)
	}
	fzCheckWritten(t, nc.out[outStart:], cfg.client, want)
	if !nc.closed {
		t.Fatalf("the connection ended (%v) but the Conn did not close it", end)
	}
	if nc.lateWrites > 0 {
		t.Fatalf("%d writes after the Conn closed its connection", nc.lateWrites)
	}
}

// fzEndOf checks that err is an error reads may end with and says what it
// means.
func fzEndOf(t *testing.T, err error) fzEnd {
	t.Helper()
	switch e := err.(type) {
	case *CloseError:
		if e.Code == StatusAbnormalClosure {
			if !errors.Is(e.Err, io.EOF) && !errors.Is(e.Err, io.ErrUnexpectedEOF) {
				t.Fatalf("%v: an abnormal closure by a transport that only ever returns io.EOF", err)
			}
			if e.Reason != "" {
				t.Fatalf("%v: an abnormal closure with a reason", err)
			}
			return fzEnd{code: e.Code}
		}
		if e.Err != nil || !e.Code.Valid() && e.Code != StatusNoStatusReceived || !utf8.ValidString(e.Reason) || len(e.Reason) > MaxCloseReason {
			t.Fatalf("%#v: not a close frame the peer may send", e)
		}
		return fzEnd{code: e.Code, reason: e.Reason}
	case *ProtocolError:
		switch e.Code {
		case StatusProtocolError, StatusInvalidFramePayloadData, StatusMessageTooBig:
		default:
			t.Fatalf("%v: a protocol error with code %d", err, e.Code)
		}
		return fzEnd{code: e.Code, failed: true}
	}
	t.Fatalf("reads ended with %T %v, want a *CloseError or a *ProtocolError", err, err)
	panic("unreachable")
}

// fzCheckWritten checks the frames a reading Conn wrote: a pong for each
// ping, then the close frame the end calls for (none for 1006), and nothing
// else.
func fzCheckWritten(t *testing.T, out []byte, client bool, want fzRefResult) {
	t.Helper()
	type frame struct {
		op      byte
		payload []byte
	}
	var frames []frame
	for pos := 0; pos < len(out); {
		h, complete := fzRefParseFrameHeader(out[pos:])
		switch {
		case !complete || uint64(len(out)-pos-h.size) < h.length:
			t.Fatalf("the Conn wrote a partial frame: % x", out[pos:])
		case h.overflow() || !h.minimal() || !h.fin || h.rsv != 0 || h.length > 125:
			t.Fatalf("the Conn wrote a malformed frame: %+v", h)
		case h.masked != client:
			t.Fatalf("the Conn (client %v) wrote a frame with masked %v", client, h.masked)
		case h.op != 8 && h.op != 9 && h.op != 10:
			t.Fatalf("the Conn wrote a frame with opcode %#x while reading", h.op)
		}
		frames = append(frames, frame{h.op, fzUnmask(h, out[pos+h.size:pos+h.size+int(h.length)])})
		pos += h.size + int(h.length)
	}
	for i, p := range want.pings {
		if i >= len(frames) || frames[i].op != 10 || !bytes.Equal(frames[i].payload, p) {
			t.Fatalf("frame %d written is not the pong for ping %q; wrote %v", i, p, frames)
		}
	}
	rest := frames[len(want.pings):]
	switch {
	case want.end.code == 1006:
		if len(rest) > 0 {
			t.Fatalf("after a stream without a close frame the Conn wrote %v", rest)
		}
		return
	case len(rest) != 1 || rest[0].op != 8:
		t.Fatalf("%v, but the Conn wrote %v after its pongs, want one close frame", want.end, rest)
	}
	p := rest[0].payload
	switch {
	case want.end.failed:
		code, reason, failCode := fzRefClosePayload(p)
		if failCode != 0 || code != want.end.code || len(reason) > MaxCloseReason {
			t.Fatalf("failed with %d but sent the close payload %q", want.end.code, p)
		}
	case want.end.code == 1005:
		if len(p) != 0 {
			t.Fatalf("the peer's close frame had no code but the echo carries %q", p)
		}
	default:
		if len(p) < 2 || StatusCode(p[0])<<8|StatusCode(p[1]) != want.end.code {
			t.Fatalf("the peer closed with %d but the echo carries %q", want.end.code, p)
		}
	}
}

// FuzzServerRead reads stream as a server, in reads of the sizes chunks
// gives, with a read limit of limit bytes (0xffff: the default), in the way
// mode says (see fzNewReadConfig), and compares what the Conn reads, the
// error it ends with and the frames it writes with fzRefRead.
func FuzzServerRead(f *testing.F) {
	f.Fuzz(func(t *testing.T, stream, chunks []byte, limit uint16, mode uint8) {
		cfg := fzNewReadConfig(false, chunks, limit, mode)
		fzReadStream(t, stream, cfg, fzRefRead(stream, cfg.client, cfg.limit))
	})
}

// FuzzClientRead is FuzzServerRead for a client.
func FuzzClientRead(f *testing.F) {
	f.Fuzz(func(t *testing.T, stream, chunks []byte, limit uint16, mode uint8) {
		cfg := fzNewReadConfig(true, chunks, limit, mode)
		fzReadStream(t, stream, cfg, fzRefRead(stream, cfg.client, cfg.limit))
	})
}

// fzReadSeeds returns the seeds of FuzzServerRead (client false) and
// FuzzClientRead: streams as the peer sends them, each with what fzRefRead
// must make of it, theme by theme.
func fzReadSeeds(client bool) []fzSeed {
	k := &fzReadSeedKit{client: client, rfcKey: &[4]byte{0x37, 0xfa, 0x21, 0x3d}}
	k.addRFC()
	k.addClosing()
	k.addFraming()
	k.addLimit()
	k.addUTF8()
	k.addInterleaved()
	k.addTruncated()
	k.addLarge()
	return k.seeds
}

// fzReadSeedKit makes the read targets' seeds for a client (client) or a
// server: frames as the peer sends them, and seeds with what fzRefRead
// must make of them.
type fzReadSeedKit struct {
	client bool
	rfcKey *[4]byte // the masking key of RFC 6455 section 5.7
	seeds  []fzSeed
}

// fzAbnormal, fzFailed and fzClosed are the ends of the seeds' streams:
// without a close frame (1006), failed by the reader with code, or closed
// by the peer with code and reason.
var fzAbnormal = fzEnd{code: 1006}

func fzFailed(code StatusCode) fzEnd                { return fzEnd{code: code, failed: true} }
func fzClosed(code StatusCode, reason string) fzEnd { return fzEnd{code: code, reason: reason} }

// add adds a seed: stream read in pieces of the sizes chunks gives with
// the read limit limit, as mode says, must give msgs messages and end so.
func (k *fzReadSeedKit) add(name string, stream []byte, chunks string, limit uint16, mode uint8, msgs int, end fzEnd) {
	client := k.client
	k.seeds = append(k.seeds, fzSeed{
		name: name,
		args: []any{stream, []byte(chunks), limit, mode},
		check: func(t *testing.T) {
			cfg := fzNewReadConfig(client, []byte(chunks), limit, mode)
			got := fzRefRead(stream, client, cfg.limit)
			if len(got.msgs) != msgs || got.end != end {
				t.Errorf("the reference decoder reads %d messages then %v, want %d then %v", len(got.msgs), got.end, msgs, end)
			}
		},
	})
}

// frameKey is a frame as the peer sends it: masked with key if this side
// is the server.
func (k *fzReadSeedKit) frameKey(key *[4]byte, fin bool, rsv, op byte, payload string) []byte {
	if k.client {
		key = nil
	}
	return fzEncodeFrame(fin, rsv, op, key, []byte(payload))
}

// frame is a frame as the peer sends it, masked with the RFC's key.
func (k *fzReadSeedKit) frame(fin bool, op byte, payload string) []byte {
	return k.frameKey(k.rfcKey, fin, 0, op, payload)
}

// wrong is a frame masked the other way.
func (k *fzReadSeedKit) wrong(fin bool, op byte, payload string) []byte {
	if k.client {
		return fzEncodeFrame(fin, 0, op, k.rfcKey, []byte(payload))
	}
	return fzEncodeFrame(fin, 0, op, nil, []byte(payload))
}

// hand makes a frame with a hand-made length field: lenField holds the
// second byte's 7 bits and any extended length bytes.
func (k *fzReadSeedKit) hand(b0 byte, lenField string, payload string) []byte {
	b := []byte{b0, lenField[0]}
	if !k.client {
		b[1] |= 0x80
	}
	b = append(b, lenField[1:]...)
	if k.client {
		return append(b, payload...)
	}
	b = append(b, k.rfcKey[:]...)
	for i := 0; i < len(payload); i++ {
		b = append(b, payload[i]^k.rfcKey[i%4])
	}
	return b
}

// text is a text frame, whole.
func (k *fzReadSeedKit) text(s string) []byte { return k.frame(true, 1, s) }

// closeFrame is a close frame with code and reason.
func (k *fzReadSeedKit) closeFrame(code uint16, reason string) []byte {
	return k.frame(true, 8, string([]byte{byte(code >> 8), byte(code)})+reason)
}

// addRFC adds the examples of RFC 6455 section 5.7, masked for the
// server.
func (k *fzReadSeedKit) addRFC() {
	k.add("rfc-single-text", k.text("Hello"), "", fzReadDefaultLimit, 0, 1, fzAbnormal)
	k.add("rfc-fragmented-text", utCat(k.frame(false, 1, "Hel"), k.frame(true, 0, "lo")), "", fzReadDefaultLimit, 0, 1, fzAbnormal)
	k.add("rfc-ping-pong", utCat(k.frame(true, 9, "Hello"), k.frame(true, 10, "Hello")), "", fzReadDefaultLimit, 0, 0, fzAbnormal)
	k.add("rfc-binary-256", k.frame(true, 2, string(utPayload(256))), "", fzReadDefaultLimit, 0, 1, fzAbnormal)
	k.add("rfc-binary-64k", k.frameKey(&[4]byte{}, true, 0, 2, strings.Repeat("a", 65536)), "", fzReadDefaultLimit, 0, 1, fzAbnormal)
}

// addClosing adds seeds of the closing handshake: close codes and reasons,
// valid and not, and what follows a close frame.
func (k *fzReadSeedKit) addClosing() {
	k.add("close-normal", utCat(k.text("Hello"), k.closeFrame(1000, "bye")), "", fzReadDefaultLimit, 0, 1, fzClosed(1000, "bye"))
	k.add("close-empty", k.frame(true, 8, ""), "", fzReadDefaultLimit, 0, 0, fzClosed(1005, ""))
	for _, code := range []uint16{1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999} {
		k.add(fmt.Sprintf("close-%d", code), k.closeFrame(code, ""), "", fzReadDefaultLimit, 0, 0, fzClosed(StatusCode(code), ""))
	}
	for _, code := range []uint16{0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535} {
		k.add(fmt.Sprintf("close-invalid-%d", code), k.closeFrame(code, ""), "", fzReadDefaultLimit, 0, 0, fzFailed(1002))
	}
	k.add("close-one-byte", k.frame(true, 8, "\x03"), "", fzReadDefaultLimit, 0, 0, fzFailed(1002))
	k.add("close-reason-utf8", k.closeFrame(1000, "κόσμε"), "", fzReadDefaultLimit, 0, 0, fzClosed(1000, "κόσμε"))
	k.add("close-reason-invalid-utf8", k.closeFrame(1000, "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80"), "", fzReadDefaultLimit, 0, 0, fzFailed(1007))
	k.add("close-reason-truncated-utf8", k.closeFrame(1000, "ab\xce"), "", fzReadDefaultLimit, 0, 0, fzFailed(1007))
	k.add("close-reason-123", k.closeFrame(1000, strings.Repeat("r", 123)), "", fzReadDefaultLimit, 0, 0, fzClosed(1000, strings.Repeat("r", 123)))
	k.add("close-payload-126", k.hand(0x88, "\x7e\x00\x7e", "\x03\xe8"+strings.Repeat("r", 124)), "", fzReadDefaultLimit, 0, 0, fzFailed(1002))
	k.add("close-then-data", utCat(k.closeFrame(1000, ""), k.text("after")), "", fzReadDefaultLimit, 0, 0, fzClosed(1000, ""))
	k.add("close-mid-message", utCat(k.frame(false, 1, "Hel"), k.closeFrame(1001, "away")), "", fzReadDefaultLimit, 0, 0, fzClosed(1001, "away"))
}

// addFraming adds framing violations (section 5): RSV bits, reserved
// opcodes, masking, control frames, length encodings, fragmentation.
func (k *fzReadSeedKit) addFraming() {
	k.add("rsv1", k.frameKey(k.rfcKey, true, 4, 1, "Hello"), "", fzReadDefaultLimit, 0, 0, fzFailed(1002))
	k.add("rsv2", k.frameKey(k.rfcKey, true, 2, 1, "Hello"), "", fzReadDefaultLimit, 0, 0, fzFailed(1002))
	k.add("rsv3-ping", k.frameKey(k.rfcKey, true, 1, 9, ""), "", fzReadDefaultLimit, 0, 0, fzFailed(1002))
	for _, op := range []byte{3, 7, 0xb, 0xf} {
		k.add(fmt.Sprintf("reserved-opcode-%x", op), k.frame(true, op, "x"), "", fzReadDefaultLimit, 0, 0, fzFailed(1002))
	}
	k.add("wrong-masking", k.wrong(true, 1, "Hello"), "", fzReadDefaultLimit, 0, 0, fzFailed(1002))
	k.add("wrong-masking-second", utCat(k.text("ok"), k.wrong(true, 2, "no")), "", fzReadDefaultLimit, 0, 1, fzFailed(1002))
	k.add("fragmented-ping", k.frame(false, 9, "ping"), "", fzReadDefaultLimit, 0, 0, fzFailed(1002))
	k.add("fragmented-close", k.frame(false, 8, "\x03\xe8"), "", fzReadDefaultLimit, 0, 0, fzFailed(1002))
	k.add("ping-126", k.hand(0x89, "\x7e\x00\x7e", strings.Repeat("p", 126)), "", fzReadDefaultLimit, 0, 0, fzFailed(1002))
	k.add("ping-125", k.frame(true, 9, strings.Repeat("p", 125)), "", fzReadDefaultLimit, 0, 0, fzAbnormal)
	k.add("nonminimal-16", k.hand(0x81, "\x7e\x00\x05", "Hello"), "", fzReadDefaultLimit, 0, 0, fzFailed(1002))
	k.add("nonminimal-64", k.hand(0x82, "\x7f\x00\x00\x00\x00\x00\x00\x01\x00", string(utPayload(256))), "", fzReadDefaultLimit, 0, 0, fzFailed(1002))
	k.add("length-msb", k.hand(0x82, "\x7f\x80\x00\x00\x00\x00\x00\x00\x05", "Hello"), "", fzReadDefaultLimit, 0, 0, fzFailed(1002))
	k.add("continuation-first", k.frame(true, 0, "lo"), "", fzReadDefaultLimit, 0, 0, fzFailed(1002))
	k.add("continuation-after-message", utCat(k.text("Hello"), k.frame(true, 0, "lo")), "", fzReadDefaultLimit, 0, 1, fzFailed(1002))
	k.add("text-inside-fragmented", utCat(k.frame(false, 1, "Hel"), k.text("lo")), "", fzReadDefaultLimit, 0, 0, fzFailed(1002))
	k.add("binary-inside-fragmented", utCat(k.frame(false, 2, "Hel"), k.frame(false, 2, "lo")), "", fzReadDefaultLimit, 0, 0, fzFailed(1002))
}

// addLimit adds seeds of the read limit (1009).
func (k *fzReadSeedKit) addLimit() {
	k.add("limit-exact", k.text(strings.Repeat("x", 16)), "", 16, 0, 1, fzAbnormal)
	k.add("limit-exceeded", k.text(strings.Repeat("x", 17)), "", 16, 0, 0, fzFailed(1009))
	k.add("limit-exceeded-fragmented", utCat(k.frame(false, 2, strings.Repeat("x", 10)), k.frame(true, 0, strings.Repeat("y", 10))), "", 16, 0, 0, fzFailed(1009))
	k.add("limit-zero", utCat(k.text(""), k.frame(true, 2, ""), k.text("x")), "", 0, 0, 2, fzFailed(1009))
	k.add("limit-huge-claim", k.hand(0x82, "\x7f\x00\x00\x01\x00\x00\x00\x00\x00", "only this"), "", 4096, 0, 0, fzFailed(1009))
	k.add("limit-default-huge-claim", k.hand(0x82, "\x7f\x00\x00\x00\x00\x02\x00\x00\x01", "only this"), "", fzReadDefaultLimit, 0, 0, fzFailed(1009))
	k.add("limit-default-large-claim", k.hand(0x82, "\x7f\x00\x00\x00\x00\x01\xff\xff\xff", "only this"), "", fzReadDefaultLimit, 0, 0, fzAbnormal)
}

// addUTF8 adds seeds of UTF-8 in text messages (section 8.1).
func (k *fzReadSeedKit) addUTF8() {
	k.add("utf8-valid", k.text("κόσμε \u0080 \u07ff \u0800 \uffff \U00010000 \U0010ffff \ud7ff \ue000 \ufffd \ufeff"), "", fzReadDefaultLimit, 0, 1, fzAbnormal)
	k.add("utf8-split-code-points", utCat(k.frame(false, 1, "κ\xcf"), k.frame(false, 0, "\x8c\xce"), k.frame(false, 0, "\xbc"), k.frame(true, 0, "\xce\xb5")), "\x01", fzReadDefaultLimit, 0, 1, fzAbnormal)
	for _, bad := range []struct{ name, s string }{
		{"surrogate", "a\xed\xa0\x80b"},
		{"above-max", "\xf4\x90\x80\x80"},
		{"overlong-2", "\xc0\xaf"},
		{"overlong-3", "\xe0\x80\xaf"},
		{"overlong-4", "\xf0\x80\x80\xaf"},
		{"lone-continuation", "ok\x80"},
		{"fe", "\xfe"},
		{"ff-after-ascii", "12345678\xff"},
		{"5-byte", "\xf8\x88\x80\x80\x80"},
	} {
		k.add("utf8-invalid-"+bad.name, k.text(bad.s), "", fzReadDefaultLimit, 0, 0, fzFailed(1007))
	}
	k.add("utf8-ends-mid-code-point", k.text("Hello\xce"), "", fzReadDefaultLimit, 0, 0, fzFailed(1007))
	k.add("utf8-fragment-ends-mid-code-point", utCat(k.frame(false, 1, "Hello\xce"), k.frame(true, 0, "")), "", fzReadDefaultLimit, 0, 0, fzFailed(1007))
	k.add("utf8-fail-fast", utCat(k.frame(false, 1, "a\xff"), k.hand(0x00, "\x7e\x10\x00", "cut")), "", fzReadDefaultLimit, 0, 0, fzFailed(1007))
	k.add("utf8-fail-fast-in-frame", k.hand(0x81, "\x7e\x10\x00", "abc\xc0"), "", fzReadDefaultLimit, 0, 0, fzFailed(1007))
	k.add("utf8-valid-prefix-cut", k.hand(0x81, "\x0a", "abc\xf0\x9f"), "", fzReadDefaultLimit, 0, 0, fzAbnormal)
	k.add("utf8-invalid-binary-ok", k.frame(true, 2, "\xff\xfe\xed\xa0\x80"), "", fzReadDefaultLimit, 0, 1, fzAbnormal)
}

// addInterleaved adds fragmented messages with control frames between
// the fragments, read in each of the ways fzNewReadConfig's mode gives.
func (k *fzReadSeedKit) addInterleaved() {
	interleaved := utCat(
		k.frame(false, 1, "κό"), k.frame(true, 9, "ping 1"), k.frame(false, 0, "σ\xce"), k.frame(true, 10, "unsolicited"),
		k.frame(true, 0, "\xbcε"),
		k.frame(false, 2, "\x00\x01"), k.frame(true, 9, ""), k.frame(false, 0, ""), k.frame(true, 9, strings.Repeat("P", 125)), k.frame(true, 0, "\x02"),
		k.text(""),
		k.closeFrame(1000, "done"),
	)
	k.add("interleaved", interleaved, "", fzReadDefaultLimit, 0, 3, fzClosed(1000, "done"))
	k.add("interleaved-bytewise", interleaved, "\x01", fzReadDefaultLimit, 0, 3, fzClosed(1000, "done"))
	k.add("interleaved-reuse-buffer", interleaved, "\x03\x07", fzReadDefaultLimit, 1, 3, fzClosed(1000, "done"))
	k.add("interleaved-nextreader", interleaved, "\x05", fzReadDefaultLimit, 2, 3, fzClosed(1000, "done"))
	k.add("interleaved-nextreader-small", interleaved, "", fzReadDefaultLimit, 3|2<<4, 3, fzClosed(1000, "done"))
	k.add("interleaved-cancellable-ctx", interleaved, "\x02", fzReadDefaultLimit, 8, 3, fzClosed(1000, "done"))
	k.add("interleaved-buffered", interleaved, "\x04", fzReadDefaultLimit, 5<<4, 3, fzClosed(1000, "done"))
	k.add("empty-messages", utCat(k.text(""), k.frame(true, 2, ""), k.frame(false, 1, ""), k.frame(false, 0, ""), k.frame(true, 0, "")), "", fzReadDefaultLimit, 0, 3, fzAbnormal)
	var pings [][]byte
	for i := 0; i < 20; i++ {
		pings = append(pings, k.frame(true, 9, strings.Repeat("p", i*6)))
	}
	k.add("many-pings", utCat(append(pings, k.closeFrame(1000, ""))...), "\x09", fzReadDefaultLimit, 0, 0, fzClosed(1000, ""))
}

// addTruncated adds streams that end early (1006).
func (k *fzReadSeedKit) addTruncated() {
	k.add("empty", nil, "", fzReadDefaultLimit, 0, 0, fzAbnormal)
	k.add("truncated-header", k.text("Hello")[:1], "", fzReadDefaultLimit, 0, 0, fzAbnormal)
	k.add("truncated-length", k.hand(0x82, "\x7e\x01\x00", "")[:3], "", fzReadDefaultLimit, 0, 0, fzAbnormal)
	if !k.client {
		k.add("truncated-mask", k.text("Hello")[:4], "", fzReadDefaultLimit, 0, 0, fzAbnormal)
	}
	k.add("truncated-payload", k.text("Hello")[:len(k.text("Hello"))-1], "", fzReadDefaultLimit, 0, 0, fzAbnormal)
	k.add("truncated-control", k.closeFrame(1000, "bye")[:5], "", fzReadDefaultLimit, 0, 0, fzAbnormal)
	k.add("truncated-after-fragment", k.frame(false, 2, "part"), "", fzReadDefaultLimit, 0, 0, fzAbnormal)
}

// addLarge adds large frames, read past the Conn's buffer straight into
// the message. They are masked with a zero key, so that the seed files
// stay readable and small.
func (k *fzReadSeedKit) addLarge() {
	zero := func(op byte, payload string) []byte { return k.frameKey(&[4]byte{}, true, 0, op, payload) }
	big := strings.Repeat("0123456789", 1000)
	k.add("large-binary", zero(2, big), "", fzReadDefaultLimit, 0, 1, fzAbnormal)
	k.add("large-binary-eof-with-data", zero(2, big), "", fzReadDefaultLimit, 4, 1, fzAbnormal)
	k.add("large-binary-then-close", utCat(zero(2, big), k.closeFrame(1000, "")), "\x00\xff", fzReadDefaultLimit, 4, 1, fzClosed(1000, ""))
	k.add("large-text", zero(1, strings.Repeat("é€𝄞", 800)), "\x00\x07", fzReadDefaultLimit, 0, 1, fzAbnormal)
	k.add("large-text-invalid-late", zero(1, strings.Repeat("é€𝄞", 800)+"\xff"), "", fzReadDefaultLimit, 0, 0, fzFailed(1007))
	k.add("large-over-limit", zero(2, big), "", 9999, 0, 0, fzFailed(1009))
}
