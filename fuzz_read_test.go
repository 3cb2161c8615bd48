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
	if limit == math.MaxUint16 {
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
// must make of it.
func fzReadSeeds(client bool) []fzSeed {
	rfcKey := &[4]byte{0x37, 0xfa, 0x21, 0x3d} // the key of section 5.7
	// frame is a frame as the peer sends it: masked if this side is the
	// server. wrong is masked the other way.
	frameKey := func(key *[4]byte, fin bool, rsv, op byte, payload string) []byte {
		if client {
			key = nil
		}
		return fzEncodeFrame(fin, rsv, op, key, []byte(payload))
	}
	frame := func(fin bool, op byte, payload string) []byte { return frameKey(rfcKey, fin, 0, op, payload) }
	wrong := func(fin bool, op byte, payload string) []byte {
		if client {
			return fzEncodeFrame(fin, 0, op, rfcKey, []byte(payload))
		}
		return fzEncodeFrame(fin, 0, op, nil, []byte(payload))
	}
	// hand makes a frame with a hand-made length field: lenField holds
	// the second byte's 7 bits and any extended length bytes.
	hand := func(b0 byte, lenField string, payload string) []byte {
		b := []byte{b0, lenField[0]}
		if !client {
			b[1] |= 0x80
		}
		b = append(b, lenField[1:]...)
		if client {
			return append(b, payload...)
		}
		b = append(b, rfcKey[:]...)
		for i := 0; i < len(payload); i++ {
			b = append(b, payload[i]^rfcKey[i%4])
		}
		return b
	}
	text := func(s string) []byte { return frame(true, 1, s) }
	closeFrame := func(code uint16, reason string) []byte {
		return frame(true, 8, string([]byte{byte(code >> 8), byte(code)})+reason)
	}
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

	const defaultLimit = math.MaxUint16
	abnormal := fzEnd{code: 1006}
	failed := func(code StatusCode) fzEnd { return fzEnd{code: code, failed: true} }
	closed := func(code StatusCode, reason string) fzEnd { return fzEnd{code: code, reason: reason} }

	var seeds []fzSeed
	add := func(name string, stream []byte, chunks string, limit uint16, mode uint8, msgs int, end fzEnd) {
		seeds = append(seeds, fzSeed{
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

	// RFC 6455 section 5.7, masked for the server.
	add("rfc-single-text", text("Hello"), "", defaultLimit, 0, 1, abnormal)
	add("rfc-fragmented-text", cat(frame(false, 1, "Hel"), frame(true, 0, "lo")), "", defaultLimit, 0, 1, abnormal)
	add("rfc-ping-pong", cat(frame(true, 9, "Hello"), frame(true, 10, "Hello")), "", defaultLimit, 0, 0, abnormal)
	add("rfc-binary-256", frame(true, 2, string(utPayload(256))), "", defaultLimit, 0, 1, abnormal)
	add("rfc-binary-64k", frameKey(&[4]byte{}, true, 0, 2, strings.Repeat("a", 65536)), "", defaultLimit, 0, 1, abnormal)

	// The closing handshake.
	add("close-normal", cat(text("Hello"), closeFrame(1000, "bye")), "", defaultLimit, 0, 1, closed(1000, "bye"))
	add("close-empty", frame(true, 8, ""), "", defaultLimit, 0, 0, closed(1005, ""))
	for _, code := range []uint16{1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999} {
		add(fmt.Sprintf("close-%d", code), closeFrame(code, ""), "", defaultLimit, 0, 0, closed(StatusCode(code), ""))
	}
	for _, code := range []uint16{0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535} {
		add(fmt.Sprintf("close-invalid-%d", code), closeFrame(code, ""), "", defaultLimit, 0, 0, failed(1002))
	}
	add("close-one-byte", frame(true, 8, "\x03"), "", defaultLimit, 0, 0, failed(1002))
	add("close-reason-utf8", closeFrame(1000, "κόσμε"), "", defaultLimit, 0, 0, closed(1000, "κόσμε"))
	add("close-reason-invalid-utf8", closeFrame(1000, "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80"), "", defaultLimit, 0, 0, failed(1007))
	add("close-reason-truncated-utf8", closeFrame(1000, "ab\xce"), "", defaultLimit, 0, 0, failed(1007))
	add("close-reason-123", closeFrame(1000, strings.Repeat("r", 123)), "", defaultLimit, 0, 0, closed(1000, strings.Repeat("r", 123)))
	add("close-payload-126", hand(0x88, "\x7e\x00\x7e", "\x03\xe8"+strings.Repeat("r", 124)), "", defaultLimit, 0, 0, failed(1002))
	add("close-then-data", cat(closeFrame(1000, ""), text("after")), "", defaultLimit, 0, 0, closed(1000, ""))
	add("close-mid-message", cat(frame(false, 1, "Hel"), closeFrame(1001, "away")), "", defaultLimit, 0, 0, closed(1001, "away"))

	// Framing violations (section 5).
	add("rsv1", frameKey(rfcKey, true, 4, 1, "Hello"), "", defaultLimit, 0, 0, failed(1002))
	add("rsv2", frameKey(rfcKey, true, 2, 1, "Hello"), "", defaultLimit, 0, 0, failed(1002))
	add("rsv3-ping", frameKey(rfcKey, true, 1, 9, ""), "", defaultLimit, 0, 0, failed(1002))
	for _, op := range []byte{3, 7, 0xb, 0xf} {
		add(fmt.Sprintf("reserved-opcode-%x", op), frame(true, op, "x"), "", defaultLimit, 0, 0, failed(1002))
	}
	add("wrong-masking", wrong(true, 1, "Hello"), "", defaultLimit, 0, 0, failed(1002))
	add("wrong-masking-second", cat(text("ok"), wrong(true, 2, "no")), "", defaultLimit, 0, 1, failed(1002))
	add("fragmented-ping", frame(false, 9, "ping"), "", defaultLimit, 0, 0, failed(1002))
	add("fragmented-close", frame(false, 8, "\x03\xe8"), "", defaultLimit, 0, 0, failed(1002))
	add("ping-126", hand(0x89, "\x7e\x00\x7e", strings.Repeat("p", 126)), "", defaultLimit, 0, 0, failed(1002))
	add("ping-125", frame(true, 9, strings.Repeat("p", 125)), "", defaultLimit, 0, 0, abnormal)
	add("nonminimal-16", hand(0x81, "\x7e\x00\x05", "Hello"), "", defaultLimit, 0, 0, failed(1002))
	add("nonminimal-64", hand(0x82, "\x7f\x00\x00\x00\x00\x00\x00\x01\x00", string(utPayload(256))), "", defaultLimit, 0, 0, failed(1002))
	add("length-msb", hand(0x82, "\x7f\x80\x00\x00\x00\x00\x00\x00\x05", "Hello"), "", defaultLimit, 0, 0, failed(1002))
	add("continuation-first", frame(true, 0, "lo"), "", defaultLimit, 0, 0, failed(1002))
	add("continuation-after-message", cat(text("Hello"), frame(true, 0, "lo")), "", defaultLimit, 0, 1, failed(1002))
	add("text-inside-fragmented", cat(frame(false, 1, "Hel"), text("lo")), "", defaultLimit, 0, 0, failed(1002))
	add("binary-inside-fragmented", cat(frame(false, 2, "Hel"), frame(false, 2, "lo")), "", defaultLimit, 0, 0, failed(1002))

	// The read limit (1009).
	add("limit-exact", text(strings.Repeat("x", 16)), "", 16, 0, 1, abnormal)
	add("limit-exceeded", text(strings.Repeat("x", 17)), "", 16, 0, 0, failed(1009))
	add("limit-exceeded-fragmented", cat(frame(false, 2, strings.Repeat("x", 10)), frame(true, 0, strings.Repeat("y", 10))), "", 16, 0, 0, failed(1009))
	add("limit-zero", cat(text(""), frame(true, 2, ""), text("x")), "", 0, 0, 2, failed(1009))
	add("limit-huge-claim", hand(0x82, "\x7f\x00\x00\x01\x00\x00\x00\x00\x00", "only this"), "", 4096, 0, 0, failed(1009))
	add("limit-default-huge-claim", hand(0x82, "\x7f\x00\x00\x00\x00\x02\x00\x00\x01", "only this"), "", defaultLimit, 0, 0, failed(1009))
	add("limit-default-large-claim", hand(0x82, "\x7f\x00\x00\x00\x00\x01\xff\xff\xff", "only this"), "", defaultLimit, 0, 0, abnormal)

	// UTF-8 (section 8.1).
	add("utf8-valid", text("κόσμε \u0080 \u07ff \u0800 \uffff \U00010000 \U0010ffff \ud7ff \ue000 \ufffd \ufeff"), "", defaultLimit, 0, 1, abnormal)
	add("utf8-split-code-points", cat(frame(false, 1, "κ\xcf"), frame(false, 0, "\x8c\xce"), frame(false, 0, "\xbc"), frame(true, 0, "\xce\xb5")), "\x01", defaultLimit, 0, 1, abnormal)
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
		add("utf8-invalid-"+bad.name, text(bad.s), "", defaultLimit, 0, 0, failed(1007))
	}
	add("utf8-ends-mid-code-point", text("Hello\xce"), "", defaultLimit, 0, 0, failed(1007))
	add("utf8-fragment-ends-mid-code-point", cat(frame(false, 1, "Hello\xce"), frame(true, 0, "")), "", defaultLimit, 0, 0, failed(1007))
	add("utf8-fail-fast", cat(frame(false, 1, "a\xff"), hand(0x00, "\x7e\x10\x00", "cut")), "", defaultLimit, 0, 0, failed(1007))
	add("utf8-fail-fast-in-frame", hand(0x81, "\x7e\x10\x00", "abc\xc0"), "", defaultLimit, 0, 0, failed(1007))
	add("utf8-valid-prefix-cut", hand(0x81, "\x0a", "abc\xf0\x9f"), "", defaultLimit, 0, 0, abnormal)
	add("utf8-invalid-binary-ok", frame(true, 2, "\xff\xfe\xed\xa0\x80"), "", defaultLimit, 0, 1, abnormal)

	// Fragmented messages with control frames between the fragments.
	interleaved := cat(
		frame(false, 1, "κό"), frame(true, 9, "ping 1"), frame(false, 0, "σ\xce"), frame(true, 10, "unsolicited"),
		frame(true, 0, "\xbcε"),
		frame(false, 2, "\x00\x01"), frame(true, 9, ""), frame(false, 0, ""), frame(true, 9, strings.Repeat("P", 125)), frame(true, 0, "\x02"),
		text(""),
		closeFrame(1000, "done"),
	)
	add("interleaved", interleaved, "", defaultLimit, 0, 3, closed(1000, "done"))
	add("interleaved-bytewise", interleaved, "\x01", defaultLimit, 0, 3, closed(1000, "done"))
	add("interleaved-reuse-buffer", interleaved, "\x03\x07", defaultLimit, 1, 3, closed(1000, "done"))
	add("interleaved-nextreader", interleaved, "\x05", defaultLimit, 2, 3, closed(1000, "done"))
	add("interleaved-nextreader-small", interleaved, "", defaultLimit, 3|2<<4, 3, closed(1000, "done"))
	add("interleaved-cancellable-ctx", interleaved, "\x02", defaultLimit, 8, 3, closed(1000, "done"))
	add("interleaved-buffered", interleaved, "\x04", defaultLimit, 5<<4, 3, closed(1000, "done"))
	add("empty-messages", cat(text(""), frame(true, 2, ""), frame(false, 1, ""), frame(false, 0, ""), frame(true, 0, "")), "", defaultLimit, 0, 3, abnormal)
	var pings [][]byte
	for i := 0; i < 20; i++ {
		pings = append(pings, frame(true, 9, strings.Repeat("p", i*6)))
	}
	add("many-pings", cat(append(pings, closeFrame(1000, ""))...), "\x09", defaultLimit, 0, 0, closed(1000, ""))

	// The stream ending early (1006).
	add("empty", nil, "", defaultLimit, 0, 0, abnormal)
	add("truncated-header", text("Hello")[:1], "", defaultLimit, 0, 0, abnormal)
	add("truncated-length", hand(0x82, "\x7e\x01\x00", "")[:3], "", defaultLimit, 0, 0, abnormal)
	if !client {
		add("truncated-mask", text("Hello")[:4], "", defaultLimit, 0, 0, abnormal)
	}
	add("truncated-payload", text("Hello")[:len(text("Hello"))-1], "", defaultLimit, 0, 0, abnormal)
	add("truncated-control", closeFrame(1000, "bye")[:5], "", defaultLimit, 0, 0, abnormal)
	add("truncated-after-fragment", frame(false, 2, "part"), "", defaultLimit, 0, 0, abnormal)

	// Large frames, read past the Conn's buffer straight into the message.
	// They are masked with a zero key, so that the seed files stay
	// readable and small.
	zero := func(op byte, payload string) []byte { return frameKey(&[4]byte{}, true, 0, op, payload) }
	big := strings.Repeat("0123456789", 1000)
	add("large-binary", zero(2, big), "", defaultLimit, 0, 1, abnormal)
	add("large-binary-eof-with-data", zero(2, big), "", defaultLimit, 4, 1, abnormal)
	add("large-binary-then-close", cat(zero(2, big), closeFrame(1000, "")), "\x00\xff", defaultLimit, 4, 1, closed(1000, ""))
	add("large-text", zero(1, strings.Repeat("é€𝄞", 800)), "\x00\x07", defaultLimit, 0, 1, abnormal)
	add("large-text-invalid-late", zero(1, strings.Repeat("é€𝄞", 800)+"\xff"), "", defaultLimit, 0, 0, failed(1007))
	add("large-over-limit", zero(2, big), "", 9999, 0, 0, failed(1009))
	return seeds
}
