package websocket

// Fuzz targets (issue #3).
//
// Each target checks invariants on arbitrary input and, where it is cheap,
// compares the library with a small reference written here from RFC 6455
// without sharing the library's code:
//
//   - fzRefParseHeader decodes a frame header (section 5.2);
//   - fzRefRead decodes a whole byte stream as the receiving endpoint of
//     sections 5 to 8 must: the messages, the pings to answer and how the
//     connection ends;
//   - fzValidPrefix says whether bytes can begin valid UTF-8, with
//     unicode/utf8 as the oracle;
//   - fzRefRequest and fzRefResponseOK judge the opening handshake
//     (section 4).
//
// The seed corpora are checked in under testdata/fuzz/<Target>/seed-*. They
// are generated from fzSeedCorpus; TestFuzzSeedCorpus checks that the files
// are up to date and that each read seed means what its name says. To
// regenerate them:
//
//	go test -run '^TestFuzzSeedCorpus$' . -args -writefuzzcorpus
//
// To fuzz one target (one target and one package per run):
//
//	go test -run '^$' -fuzz '^FuzzServerRead$' -fuzztime 1m -parallel 1 .

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"time"
	"unicode/utf8"
)

var fzWriteCorpus = flag.Bool("writefuzzcorpus", false, "write the fuzz targets' seed corpora to testdata/fuzz instead of checking them")

// fzHangTimeout bounds each call a target makes into a Conn. The fakes never
// block, so a call that takes this long is stuck.
const fzHangTimeout = 10 * time.Second

// fzCloseTimeout replaces a Conn's close timeout in the targets, so that the
// closing handshake never waits for long.
const fzCloseTimeout = time.Millisecond

// ---------------------------------------------------------------------------
// Fake connection.

// fzConn is a net.Conn whose reads serve in (in pieces of the sizes chunks
// gives, cycled; 0 means as much as fits) and then io.EOF, and whose writes
// are captured in out. It never blocks, so deadlines are moot.
type fzConn struct {
	utNopConn
	in          []byte
	chunks      []byte
	next        int
	eofWithData bool // the last read returns io.EOF with the last bytes, as io.Reader allows

	// respond, when set, is called by the first Read with what has been
	// written so far, and its result becomes in.
	respond func(written []byte) []byte

	out        []byte
	closed     bool
	lateWrites int // writes after Close
}

func (c *fzConn) Read(p []byte) (int, error) {
	if c.closed {
		return 0, net.ErrClosed
	}
	if c.respond != nil {
		c.in = c.respond(c.out)
		c.respond = nil
	}
	if len(c.in) == 0 {
		return 0, io.EOF
	}
	n := len(p)
	if len(c.chunks) > 0 {
		if k := int(c.chunks[c.next%len(c.chunks)]); k > 0 && k < n {
			n = k
		}
		c.next++
	}
	n = copy(p[:n], c.in)
	c.in = c.in[n:]
	if len(c.in) == 0 && c.eofWithData {
		return n, io.EOF
	}
	return n, nil
}

func (c *fzConn) Write(p []byte) (int, error) {
	if c.closed {
		c.lateWrites++
		return 0, net.ErrClosed
	}
	c.out = append(c.out, p...)
	return len(p), nil
}

func (c *fzConn) Close() error {
	if c.closed {
		return net.ErrClosed
	}
	c.closed = true
	return nil
}

// fzBounded runs f, failing the test with every goroutine's stack if f does
// not return within fzHangTimeout.
func fzBounded(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	timer := time.NewTimer(fzHangTimeout)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		t.Fatalf("%s did not return within %v; goroutines:\n%s", what, fzHangTimeout, buf)
	}
}

// ---------------------------------------------------------------------------
// Reference implementations.

// fzRefHeader is a frame header as fzRefParseHeader decodes it.
type fzRefHeader struct {
	fin      bool
	rsv      byte // RSV1, RSV2, RSV3 as the bits 4, 2, 1
	op       byte
	masked   bool
	key      [4]byte
	length   uint64
	lenBytes int // bytes of extended payload length: 0, 2 or 8
	size     int // bytes the whole header occupies
}

// fzRefParseHeader decodes the frame header at the start of b following the
// figure of section 5.2. complete is false when b holds only part of it; size
// is known once b has two bytes.
func fzRefParseHeader(b []byte) (h fzRefHeader, complete bool) {
	if len(b) < 2 {
		return h, false
	}
	h.fin = b[0]&0x80 != 0
	h.rsv = b[0] >> 4 & 7
	h.op = b[0] & 0x0f
	h.masked = b[1]&0x80 != 0
	len7 := b[1] & 0x7f
	switch len7 {
	case 126:
		h.lenBytes = 2
	case 127:
		h.lenBytes = 8
	}
	h.size = 2 + h.lenBytes
	if h.masked {
		h.size += 4
	}
	if len(b) < h.size {
		return h, false
	}
	if h.lenBytes == 0 {
		h.length = uint64(len7)
	}
	for _, c := range b[2 : 2+h.lenBytes] {
		h.length = h.length<<8 | uint64(c)
	}
	if h.masked {
		copy(h.key[:], b[2+h.lenBytes:])
	}
	return h, true
}

// overflow reports a 64-bit length with its most significant bit set.
func (h fzRefHeader) overflow() bool { return h.lenBytes == 8 && h.length>>63 != 0 }

// minimal reports whether the length is encoded in the fewest bytes.
func (h fzRefHeader) minimal() bool {
	switch h.lenBytes {
	case 2:
		return h.length > 125
	case 8:
		return h.length > 0xffff
	}
	return true
}

// fzEncodeFrame encodes a frame, masking payload with key when key is
// non-nil. rsv holds the RSV bits as fzRefHeader does.
func fzEncodeFrame(fin bool, rsv, op byte, key *[4]byte, payload []byte) []byte {
	b0 := rsv<<4 | op&0x0f
	if fin {
		b0 |= 0x80
	}
	var maskBit byte
	if key != nil {
		maskBit = 0x80
	}
	out := []byte{b0}
	switch n := uint64(len(payload)); {
	case n < 126:
		out = append(out, maskBit|byte(n))
	case n < 1<<16:
		out = append(out, maskBit|126, byte(n>>8), byte(n))
	default:
		out = append(out, maskBit|127)
		for s := 56; s >= 0; s -= 8 {
			out = append(out, byte(n>>s))
		}
	}
	if key == nil {
		return append(out, payload...)
	}
	out = append(out, key[:]...)
	for i, c := range payload {
		out = append(out, c^key[i%4])
	}
	return out
}

// fzUnmask returns a copy of b unmasked with h's key, if h is masked.
func fzUnmask(h fzRefHeader, b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		if h.masked {
			c ^= h.key[i%4]
		}
		out[i] = c
	}
	return out
}

// fzValidPrefix reports whether b can be extended to valid UTF-8: whether a
// receiver must not yet fail a text message that begins with b (section
// 8.1).
func fzValidPrefix(b []byte) bool {
	i := 0
	for i < len(b) {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			break
		}
		i += size
	}
	tail := b[i:]
	switch {
	case len(tail) == 0:
		return true
	case len(tail) >= utf8.UTFMax:
		return false // a whole sequence is there, and it is invalid
	}
	// An incomplete sequence: try every second byte (the only one whose
	// range depends on the first) and pad with the smallest continuation.
	for c := 0x80; c <= 0xbf; c++ {
		for n := len(tail) + 1; n <= utf8.UTFMax; n++ {
			cand := append([]byte(nil), tail...)
			for len(cand) < n {
				if len(cand) == 1 {
					cand = append(cand, byte(c))
				} else {
					cand = append(cand, 0x80)
				}
			}
			if utf8.Valid(cand) {
				return true
			}
		}
	}
	return false
}

// fzValidCloseCode reports whether a close frame may carry code: those
// section 7.4.1 defines for use, those IANA registered since (1012 to 1014)
// and the ranges 3000 to 4999 of section 7.4.2.
func fzValidCloseCode(code StatusCode) bool {
	switch code {
	case 1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014:
		return true
	}
	return code >= 3000 && code <= 4999
}

// fzRefClosePayload decodes a close frame's payload (section 5.5.1). failCode
// is non-zero when the payload obliges the receiver to fail the connection.
func fzRefClosePayload(p []byte) (code StatusCode, reason string, failCode StatusCode) {
	switch {
	case len(p) == 0:
		return 1005, "", 0
	case len(p) == 1, len(p) > 125:
		return 0, "", 1002
	}
	code = StatusCode(p[0])<<8 | StatusCode(p[1])
	if !fzValidCloseCode(code) {
		return 0, "", 1002
	}
	if !utf8.Valid(p[2:]) {
		return 0, "", 1007
	}
	return code, string(p[2:]), 0
}

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
		h, complete := fzRefParseHeader(stream[pos:])
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

// fzRefAccept computes the Sec-WebSocket-Accept value for key (section
// 4.2.2, step 5.4).
func fzRefAccept(key string) string {
	sum := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// fzTokens returns the comma-separated tokens of all of h's name fields.
func fzTokens(h http.Header, name string) []string {
	var out []string
	for _, v := range h.Values(name) {
		for _, tok := range strings.Split(v, ",") {
			if tok = strings.Trim(tok, " \t"); tok != "" {
				out = append(out, tok)
			}
		}
	}
	return out
}

func fzHasToken(h http.Header, name, token string) bool {
	return slices.ContainsFunc(fzTokens(h, name), func(s string) bool { return strings.EqualFold(s, token) })
}

// fzRefRequest judges a client's opening handshake by section 4.2.1 and
// returns the status Accept must answer with (101 to accept) and the key.
// When mayForbid is set the request has an Origin on another host, which
// the server may refuse with 403 (section 4.2.2 and 10.2) or accept.
//
// Like Accept, it takes the key with surrounding white space trimmed.
func fzRefRequest(r *http.Request, o *AcceptOptions) (status int, key string, mayForbid bool) {
	switch {
	case r.Method != "GET":
		return 405, "", false
	case r.ProtoMajor < 1 || r.ProtoMajor == 1 && r.ProtoMinor < 1:
		return 400, "", false
	case !fzHasToken(r.Header, "Connection", "Upgrade"):
		return 400, "", false
	case !fzHasToken(r.Header, "Upgrade", "websocket"):
		return 400, "", false
	}
	if v := r.Header.Values("Sec-WebSocket-Version"); len(v) != 1 || strings.Trim(v[0], " \t") != "13" {
		return 426, "", false
	}
	keys := r.Header.Values("Sec-WebSocket-Key")
	if len(keys) != 1 {
		return 400, "", false
	}
	key = strings.TrimSpace(keys[0])
	if raw, err := base64.StdEncoding.DecodeString(key); err != nil || len(raw) != 16 {
		return 400, "", false
	}
	origin := r.Header.Get("Origin")
	if origin == "" || o != nil && o.InsecureSkipOriginCheck {
		return 101, key, false
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return 403, key, false
	}
	return 101, key, !strings.EqualFold(u.Host, r.Host)
}

// fzRefResponseOK reports whether resp completes the opening handshake of a
// client that sent key and offered the subprotocols offered, and no
// extensions (section 4.1, the client's checks of the server's response).
func fzRefResponseOK(resp *http.Response, key string, offered []string) bool {
	if resp.StatusCode != 101 {
		return false
	}
	if !fzHasToken(resp.Header, "Upgrade", "websocket") || !fzHasToken(resp.Header, "Connection", "Upgrade") {
		return false
	}
	if a := resp.Header.Values("Sec-WebSocket-Accept"); len(a) != 1 || a[0] != fzRefAccept(key) {
		return false
	}
	if p := resp.Header.Values("Sec-WebSocket-Protocol"); len(p) > 1 || len(p) == 1 && !slices.Contains(offered, p[0]) {
		return false
	}
	return len(fzTokens(resp.Header, "Sec-WebSocket-Extensions")) == 0
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
	c.closeTimeout = fzCloseTimeout
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
		var p []byte
		zero := 0
		piece := make([]byte, cfg.piece)
		for {
			n, err := r.Read(piece)
			p = append(p, piece[:n]...)
			if err == io.EOF {
				return typ, p, nil
			}
			if err != nil {
				return typ, nil, err
			}
			if n == 0 {
				if zero++; zero > 1000 {
					return typ, nil, errors.New("fuzz: the message reader keeps returning 0, nil")
				}
			}
		}
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

// fzReadStream reads stream with a new Conn as cfg says and checks that it
// sees want.
func fzReadStream(t *testing.T, stream []byte, cfg fzReadConfig, want fzRefResult) {
	t.Helper()
	b := min(cfg.buffered, len(stream))
	nc := &fzConn{in: stream[b:], chunks: cfg.chunks, eofWithData: cfg.eofWithData}
	c := newConn(nc, cfg.client, "", stream[:b])
	fzReadConn(t, c, nc, 0, cfg, len(stream), want)
}

// fzReadConn reads c, made on nc, as cfg says and checks that it sees want
// and writes the frames it must. The frames it writes start at nc.out[outStart:].
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
		h, complete := fzRefParseHeader(out[pos:])
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

// ---------------------------------------------------------------------------
// Targets.

// FuzzParseHeader checks ParseHeader against fzRefParseHeader, AppendHeader
// against the bytes parsed, and ReadHeader on three kinds of reader against
// ParseHeader.
func FuzzParseHeader(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		h, n, err := ParseHeader(b)
		ref, complete := fzRefParseHeader(b)
		wantN := 2
		if len(b) >= 2 {
			wantN = ref.size
			if n != headerSize(b[1]) {
				t.Fatalf("ParseHeader(% x) returned n=%d, headerSize says %d", b, n, headerSize(b[1]))
			}
		}
		var wantErr error
		switch {
		case !complete:
			wantErr = ErrShortHeader
		case ref.overflow():
			wantErr = ErrLengthOverflow
		case !ref.minimal():
			wantErr = ErrNonMinimalLength
		}
		if n != wantN || err != wantErr {
			t.Fatalf("ParseHeader(% x) = n=%d, %v; want n=%d, %v", b, n, err, wantN, wantErr)
		}
		if err == nil {
			want := Header{
				Fin: ref.fin, Rsv1: ref.rsv&4 != 0, Rsv2: ref.rsv&2 != 0, Rsv3: ref.rsv&1 != 0,
				Opcode: Opcode(ref.op), Masked: ref.masked, Mask: ref.key, Length: int64(ref.length),
			}
			if h != want {
				t.Fatalf("ParseHeader(% x) = %+v, want %+v", b, h, want)
			}
			if enc := AppendHeader(nil, h); !bytes.Equal(enc, b[:n]) {
				t.Fatalf("AppendHeader(ParseHeader(% x)) = % x", b[:n], enc)
			}
		}

		readers := []struct {
			name string
			r    io.Reader
		}{
			{"plain", &fzPlainReader{bytes.NewReader(b)}},
			{"onebyte", iotest.OneByteReader(bytes.NewReader(b))},
			{"bufio", bufio.NewReaderSize(bytes.NewReader(b), 16)},
		}
		for _, rd := range readers {
			rh, rerr := ReadHeader(rd.r)
			rest, _ := io.ReadAll(rd.r)
			want := wantErr
			switch {
			case len(b) == 0:
				want = io.EOF
			case !complete:
				want = io.ErrUnexpectedEOF
			}
			if rerr != want {
				t.Fatalf("ReadHeader(%s, % x) returned %v, want %v", rd.name, b, rerr, want)
			}
			if rerr == nil && rh != h {
				t.Fatalf("ReadHeader(%s, % x) = %+v, ParseHeader says %+v", rd.name, b, rh, h)
			}
			if complete && !bytes.Equal(rest, b[n:]) {
				t.Fatalf("ReadHeader(%s, % x) left % x unread, want % x", rd.name, b, rest, b[n:])
			}
		}

		// And the other way: a header made from the input encodes minimally
		// and parses back.
		if len(b) >= 14 {
			h := Header{
				Fin: b[0]&1 != 0, Rsv1: b[0]&2 != 0, Rsv2: b[0]&4 != 0, Rsv3: b[0]&8 != 0,
				Opcode: Opcode(b[0] >> 4), Masked: b[1]&1 != 0,
			}
			if h.Masked {
				copy(h.Mask[:], b[2:6])
			}
			var l uint64
			for _, c := range b[6:14] {
				l = l<<8 | uint64(c)
			}
			h.Length = int64(l >> (b[1] >> 1 % 64) & (1<<63 - 1))
			enc := AppendHeader(nil, h)
			wantLen := 2
			switch {
			case h.Length > 0xffff:
				wantLen += 8
			case h.Length > 125:
				wantLen += 2
			}
			if h.Masked {
				wantLen += 4
			}
			got, n, err := ParseHeader(enc)
			if len(enc) != wantLen || err != nil || n != len(enc) || got != h {
				t.Fatalf("AppendHeader(%+v) = % x, which parses as %+v, %d, %v", h, enc, got, n, err)
			}
			var w bytes.Buffer
			if err := WriteHeader(&w, h); err != nil || !bytes.Equal(w.Bytes(), enc) {
				t.Fatalf("WriteHeader(%+v) wrote % x, %v; AppendHeader gives % x", h, w.Bytes(), err, enc)
			}
		}
	})
}

// fzPlainReader hides every method of its reader but Read.
type fzPlainReader struct{ r io.Reader }

func (p *fzPlainReader) Read(b []byte) (int, error) { return p.r.Read(b) }

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

// fzSource hands out the bytes of a fuzz input, and zeros once they run out.
type fzSource struct{ b []byte }

func (s *fzSource) next() byte {
	if len(s.b) == 0 {
		return 0
	}
	c := s.b[0]
	s.b = s.b[1:]
	return c
}

// take returns n bytes: the input's while they last, then a pattern.
func (s *fzSource) take(n int) []byte {
	out := make([]byte, n)
	k := copy(out, s.b)
	s.b = s.b[k:]
	for i := k; i < n; i++ {
		out[i] = byte(i*7 + 3)
	}
	return out
}

// fzRunes are the characters text is made of: ASCII, and the first and
// last code points of each UTF-8 length and around the surrogates.
var fzRunes = []string{"a", "Z", " ", "\x00", "\x7f", "\u0080", "é", "\u07ff", "\u0800", "€", "\ud7ff", "\ue000", "\uffff", "\U00010000", "𝄞", "\U0010ffff"}

// text returns valid UTF-8 of at most n bytes.
func (s *fzSource) text(n int) []byte {
	out := []byte{}
	for {
		r := fzRunes[s.next()%byte(len(fzRunes))]
		if len(out)+len(r) > n {
			return out
		}
		out = append(out, r...)
	}
}

// fzSendableCodes are close codes an endpoint may send.
var fzSendableCodes = []StatusCode{1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999}

// FuzzRoundTrip turns its input into messages (types, sizes, text with code
// points of every length, fragmentation, pings and pongs between fragments,
// masking keys, an optional close frame) and checks that:
//
//   - fzRefRead decodes the frames built from them into those messages;
//   - a Conn reads those messages from the frames and answers the pings;
//   - a Conn of the other role sends those messages (WriteMessage, or
//     NextWriter with one Write per fragment) and its Close, in frames that
//     fzRefRead decodes into the same messages, and that a Conn reads back.
func FuzzRoundTrip(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		s := &fzSource{b: data}
		flags := s.next()
		readerClient := flags&1 != 0
		closeAtEnd := flags&2 != 0
		useNextWriter := flags&4 != 0
		cfg := fzReadConfig{
			client:      readerClient,
			limit:       DefaultReadLimit,
			chunks:      []byte{s.next(), s.next()},
			eofWithData: flags&8 != 0,
			api:         int(flags >> 4 & 3),
			cancelCtx:   flags&0x40 != 0,
			piece:       int(flags>>6)*5 + 1,
		}
		code := fzSendableCodes[int(s.next())%len(fzSendableCodes)]
		reason := string(s.text(int(s.next()) % (MaxCloseReason + 1)))

		var stream []byte
		var want fzRefResult
		frame := func(fin bool, op byte, payload []byte) {
			var key *[4]byte
			if !readerClient {
				k := s.next()
				key = &[4]byte{k, k ^ 0x5a, k + 0x3c, ^k}
			}
			stream = append(stream, fzEncodeFrame(fin, 0, op, key, payload)...)
		}
		control := func(op byte) {
			p := s.take(int(s.next()) % 126)
			frame(true, op, p)
			if op == 9 {
				want.pings = append(want.pings, p)
			}
		}
		var pieces [][][]byte // each message's fragments
		for len(s.b) > 0 && len(want.msgs) < 12 {
			h := s.next()
			typ := MessageBinary
			if h&1 != 0 {
				typ = MessageText
			}
			size := int(s.next())
			if size&0x80 != 0 {
				size = size & 0x7f * 129 // up to 16383 bytes
			}
			var payload []byte
			if typ == MessageText {
				payload = s.text(size)
			} else {
				payload = s.take(size)
			}
			cuts := []int{0, len(payload)}
			for i := 0; i < int(h>>1&3); i++ {
				cuts = append(cuts, int(s.next())*len(payload)/255)
			}
			slices.Sort(cuts)
			var frags [][]byte
			for i := 0; i+1 < len(cuts); i++ {
				if i > 0 && h&0x08 != 0 {
					control(9)
				}
				if i > 0 && h&0x10 != 0 {
					control(10)
				}
				op := byte(0)
				if i == 0 {
					op = byte(typ)
				}
				frag := payload[cuts[i]:cuts[i+1]]
				frame(i+2 == len(cuts), op, frag)
				frags = append(frags, frag)
			}
			if h&0x20 != 0 {
				control(9)
			}
			want.msgs = append(want.msgs, fzMessage{typ, payload})
			pieces = append(pieces, frags)
		}
		want.end = fzEnd{code: 1006}
		if closeAtEnd {
			frame(true, 8, append([]byte{byte(code >> 8), byte(code)}, reason...))
			want.end = fzEnd{code: code, reason: reason}
		}
		if d := fzDiffResults(fzRefRead(stream, readerClient, cfg.limit), want); d != "" {
			t.Fatalf("the reference decoder disagrees with the frames built: %s", d)
		}

		// A Conn reads the frames.
		fzReadStream(t, stream, cfg, want)

		// A Conn in the other role sends the messages.
		wnc := &fzConn{}
		w := newConn(wnc, !readerClient, "", nil)
		w.closeTimeout = fzCloseTimeout
		var werr error
		fzBounded(t, "writing", func() {
			ctx := context.Background()
			for i, m := range want.msgs {
				if !useNextWriter {
					if werr = w.WriteMessage(ctx, m.typ, m.data); werr != nil {
						return
					}
					continue
				}
				mw, err := w.NextWriter(ctx, m.typ)
				if err != nil {
					werr = err
					return
				}
				for _, p := range pieces[i] {
					if n, err := mw.Write(p); n != len(p) || err != nil {
						werr = fmt.Errorf("Write of %d bytes: %d, %v", len(p), n, err)
						return
					}
				}
				if werr = mw.Close(); werr != nil {
					return
				}
			}
			if closeAtEnd {
				// The fake peer never answers, so Close times out; its
				// close frame is sent all the same.
				w.Close(code, reason)
			}
		})
		if werr != nil {
			t.Fatalf("writing the messages: %v", werr)
		}
		sent := fzRefResult{msgs: want.msgs, end: want.end}
		if d := fzDiffResults(fzRefRead(wnc.out, readerClient, cfg.limit), sent); d != "" {
			t.Fatalf("the Conn (client %v) sent frames that decode to %s", !readerClient, d)
		}
		fzReadStream(t, wnc.out, cfg, sent)
	})
}

// fzHijackRecorder is an httptest.ResponseRecorder that can be hijacked.
type fzHijackRecorder struct {
	*httptest.ResponseRecorder
	hijack   func() (net.Conn, *bufio.ReadWriter, error)
	hijacked bool
}

func (w *fzHijackRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	w.hijacked = true
	return w.hijack()
}

// fzAcceptOptions returns the AcceptOptions bits of opt select.
func fzAcceptOptions(opt uint8) *AcceptOptions {
	if opt&8 != 0 {
		return nil
	}
	o := &AcceptOptions{InsecureSkipOriginCheck: opt&4 != 0}
	if opt&1 != 0 {
		o.Subprotocols = []string{"chat", "superchat", "v2.json"}
	}
	if opt&2 != 0 {
		o.OriginPatterns = []string{"example.com", "*.example.org", "http://localhost:*"}
	}
	return o
}

// FuzzHandshakeRequest parses its input as an HTTP request and gives it to
// Accept, with the options opt selects (see fzAcceptOptions). Accept must
// refuse with the status fzRefRequest gives (400, 403, 405 or 426), without
// hijacking, or answer 101 with the right Sec-WebSocket-Accept and
// subprotocol, and then read what follows the request as fzRefRead does.
func FuzzHandshakeRequest(f *testing.F) {
	f.Fuzz(func(t *testing.T, raw []byte, opt uint8) {
		under := bytes.NewReader(raw)
		br := bufio.NewReader(under)
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		opts := fzAcceptOptions(opt)
		var (
			nc     *fzConn
			stream []byte // what the Conn reads: the bytes after the request
		)
		rec := &fzHijackRecorder{ResponseRecorder: httptest.NewRecorder()}
		rec.hijack = func() (net.Conn, *bufio.ReadWriter, error) {
			buffered, _ := br.Peek(br.Buffered())
			rest, _ := io.ReadAll(under)
			stream = append(bytes.Clone(buffered), rest...)
			nc = &fzConn{in: rest}
			return nc, bufio.NewReadWriter(br, bufio.NewWriter(nc)), nil
		}
		var c *Conn
		fzBounded(t, "Accept", func() { c, err = Accept(rec, req, opts) })

		status, key, mayForbid := fzRefRequest(req, opts)
		if err != nil {
			switch {
			case c != nil:
				t.Fatalf("Accept returned a Conn and the error %v", err)
			case rec.hijacked:
				t.Fatalf("Accept hijacked the connection and refused it: %v", err)
			case rec.Code != status && !(mayForbid && rec.Code == 403):
				t.Fatalf("Accept refused %q with %d (%v), want %d", raw, rec.Code, err, status)
			case rec.Code == 426 && rec.Header().Get("Sec-WebSocket-Version") != "13":
				t.Fatalf("a 426 without Sec-WebSocket-Version: 13")
			case rec.Code == 405 && rec.Header().Get("Allow") != "GET":
				t.Fatalf("a 405 without Allow: GET")
			}
			return
		}
		switch {
		case status != 101:
			t.Fatalf("Accept took %q, want a refusal with %d", raw, status)
		case c == nil || !rec.hijacked:
			t.Fatalf("Accept succeeded without a Conn (%v) or without hijacking (%v)", c, rec.hijacked)
		case rec.Body.Len() > 0 || rec.Flushed:
			t.Fatalf("Accept wrote to the ResponseWriter before hijacking: %q", rec.Body)
		}

		// The 101 response.
		end := bytes.Index(nc.out, []byte("\r\n\r\n"))
		if end < 0 {
			t.Fatalf("Accept wrote %q, not an HTTP response", nc.out)
		}
		resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(nc.out[:end+4])), req)
		if err != nil {
			t.Fatalf("Accept wrote %q: %v", nc.out[:end+4], err)
		}
		if !fzRefResponseOK(resp, key, fzTokens(req.Header, "Sec-WebSocket-Protocol")) {
			t.Fatalf("Accept answered %q with a response a client must refuse: %q", raw, nc.out[:end+4])
		}
		proto := resp.Header.Get("Sec-WebSocket-Protocol")
		var wantProto string
		if opts != nil {
			for _, s := range opts.Subprotocols {
				if slices.Contains(fzTokens(req.Header, "Sec-WebSocket-Protocol"), s) {
					wantProto = s
					break
				}
			}
		}
		if proto != wantProto || c.Subprotocol() != proto {
			t.Fatalf("selected subprotocol %q (Conn says %q), want %q", proto, c.Subprotocol(), wantProto)
		}

		// The connection reads what followed the request.
		cfg := fzReadConfig{limit: DefaultReadLimit}
		fzReadConn(t, c, nc, end+4, cfg, len(stream), fzRefRead(stream, false, cfg.limit))
	})
}

// FuzzHandshakeResponse serves its input as the server's answer to Dial,
// with "{ACCEPT}" replaced by the Sec-WebSocket-Accept value for the key
// Dial sent. opt&1 offers subprotocols. Dial must succeed exactly when
// fzRefResponseOK accepts the response, and the Conn must then read what
// follows the response as fzRefRead does.
func FuzzHandshakeResponse(f *testing.F) {
	f.Fuzz(func(t *testing.T, tmpl []byte, opt uint8) {
		var offered []string
		if opt&1 != 0 {
			offered = []string{"chat", "superchat"}
		}
		var (
			response  []byte // what the server sent
			responded bool
			key       string
			badReq    string
		)
		nc := &fzConn{chunks: []byte{opt >> 1}}
		nc.respond = func(written []byte) []byte {
			req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(written)))
			if err != nil {
				badReq = fmt.Sprintf("Dial sent %q: %v", written, err)
				return nil
			}
			status := 0
			status, key, _ = fzRefRequest(req, &AcceptOptions{InsecureSkipOriginCheck: true})
			if status != 101 || !slices.Equal(fzTokens(req.Header, "Sec-WebSocket-Protocol"), offered) {
				badReq = fmt.Sprintf("Dial sent %q, which a server refuses with %d or has the wrong subprotocols", written, status)
			}
			response = bytes.ReplaceAll(tmpl, []byte("{ACCEPT}"), []byte(fzRefAccept(key)))
			responded = true
			return bytes.Clone(response)
		}
		opts := &DialOptions{
			Subprotocols:   offered,
			NetDialContext: func(context.Context, string, string) (net.Conn, error) { return nc, nil },
			Proxy:          func(*http.Request) (*url.URL, error) { return nil, nil },
		}
		var (
			c    *Conn
			resp *http.Response
			err  error
		)
		fzBounded(t, "Dial", func() {
			ctx, cancel := context.WithTimeout(context.Background(), fzHangTimeout)
			defer cancel()
			c, resp, err = Dial(ctx, "ws://example.com/chat?x=1", opts)
		})
		if badReq != "" {
			t.Fatal(badReq)
		}
		if !responded {
			t.Fatalf("Dial did not read the response: %v", err)
		}

		// What a client must make of the response.
		under := bytes.NewReader(response)
		br := bufio.NewReader(under)
		refResp, refErr := http.ReadResponse(br, &http.Request{Method: "GET"})
		ok := refErr == nil && fzRefResponseOK(refResp, key, offered)
		if !ok {
			switch {
			case err == nil:
				t.Fatalf("Dial accepted %q", response)
			case c != nil:
				t.Fatalf("Dial returned a Conn and the error %v", err)
			case !nc.closed:
				t.Fatalf("Dial failed (%v) without closing the connection", err)
			case refErr != nil:
				return
			}
			var he *HandshakeError
			if resp == nil || resp.StatusCode != refResp.StatusCode || !errors.As(err, &he) || he.StatusCode != resp.StatusCode {
				t.Fatalf("Dial refused %q with %v and response %v; want a *HandshakeError with status %d", response, err, resp, refResp.StatusCode)
			}
			return
		}
		if err != nil || c == nil || resp == nil || resp.StatusCode != 101 {
			t.Fatalf("Dial refused %q: %v", response, err)
		}
		if p := refResp.Header.Get("Sec-WebSocket-Protocol"); c.Subprotocol() != p {
			t.Fatalf("Conn.Subprotocol() = %q, the server selected %q", c.Subprotocol(), p)
		}

		// The connection reads what followed the response.
		stream := response[len(response)-under.Len()-br.Buffered():]
		reqEnd := bytes.Index(nc.out, []byte("\r\n\r\n")) + 4
		cfg := fzReadConfig{client: true, limit: DefaultReadLimit}
		fzReadConn(t, c, nc, reqEnd, cfg, len(stream), fzRefRead(stream, true, cfg.limit))
	})
}

// FuzzUTF8 feeds a utf8Validator data in pieces whose sizes cuts gives
// (cycled; 0 is an empty write) and checks after each that it reports
// whether the stream so far can begin valid UTF-8 (fzValidPrefix) and
// whether it ends on a code point boundary; and validUTF8 against
// utf8.Valid.
func FuzzUTF8(f *testing.F) {
	f.Fuzz(func(t *testing.T, data, cuts []byte) {
		if got, want := validUTF8(data), utf8.Valid(data); got != want {
			t.Fatalf("validUTF8(%q) = %v, want %v", data, got, want)
		}
		var v utf8Validator
		allOK := true
		pos := 0
		for i := 0; pos < len(data) || i == 0; i++ {
			n := len(data) - pos
			if len(cuts) > 0 && i < 4*len(data)+8 { // past that, write the rest
				n = min(n, int(cuts[i%len(cuts)]))
			}
			ok := v.write(data[pos : pos+n])
			pos += n
			if want := fzValidPrefix(data[:pos]); ok != want {
				t.Fatalf("write(%q) after %q = %v, want %v", data[pos-n:pos], data[:pos-n], ok, want)
			}
			if !ok {
				allOK = false
				break
			}
			if got, want := v.complete(), utf8.Valid(data[:pos]); got != want {
				t.Fatalf("complete() after %q = %v, want %v", data[:pos], got, want)
			}
		}
		if got, want := allOK && v.complete(), utf8.Valid(data); got != want {
			t.Fatalf("the validator says %v for %q in pieces %v, utf8.Valid says %v", got, data, cuts, want)
		}
	})
}

// FuzzMask checks Mask on a subslice of data (at any alignment) against a
// byte-at-a-time loop, masking in two pieces against masking at once, and
// that it touches nothing outside the subslice.
func FuzzMask(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte, k uint32, pos int, start, length, split uint16) {
		key := [4]byte{byte(k >> 24), byte(k >> 16), byte(k >> 8), byte(k)}
		s := int(start) % (len(data) + 1)
		n := min(int(length), len(data)-s)
		sp := int(split) % (n + 1)

		want := bytes.Clone(data)
		for i := 0; i < n; i++ {
			want[s+i] ^= key[((pos%4+4)%4+i)%4]
		}
		wantPos := ((pos%4+4)%4 + n) % 4

		got := bytes.Clone(data)
		if p := Mask(key, pos, got[s:s+n]); p != wantPos {
			t.Fatalf("Mask(% x, %d, %d bytes) returned %d, want %d", key, pos, n, p, wantPos)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("Mask(% x, %d, data[%d:%d]) gave\n% x\nwant\n% x", key, pos, s, s+n, got, want)
		}

		two := bytes.Clone(data)
		p := Mask(key, pos, two[s:s+sp])
		if p2 := Mask(key, p, two[s+sp:s+n]); p2 != wantPos || !bytes.Equal(two, want) {
			t.Fatalf("Mask in pieces of %d and %d bytes differs from Mask at once (position %d, want %d)", sp, n-sp, p2, wantPos)
		}

		Mask(key, pos, got[s:s+n])
		if !bytes.Equal(got, data) {
			t.Fatalf("masking twice did not restore the data")
		}
	})
}

// FuzzClosePayload checks ParseClosePayload against fzRefClosePayload and
// that AppendClosePayload re-encodes what it parses; and AppendClosePayload
// on any code and reason: a valid control frame payload whose reason is the
// longest prefix of the reason that fits and ends on a UTF-8 boundary.
func FuzzClosePayload(f *testing.F) {
	f.Fuzz(func(t *testing.T, p []byte, code uint16, reason string) {
		gotCode, gotReason, err := ParseClosePayload(p)
		wantCode, wantReason, failCode := fzRefClosePayload(p)
		if failCode != 0 {
			pe, ok := err.(*ProtocolError)
			if !ok || pe.Code != failCode {
				t.Fatalf("ParseClosePayload(%q) = %v, %q, %v; want a *ProtocolError with %d", p, gotCode, gotReason, err, failCode)
			}
		} else {
			if err != nil || gotCode != wantCode || gotReason != wantReason {
				t.Fatalf("ParseClosePayload(%q) = %v, %q, %v; want %v, %q", p, gotCode, gotReason, err, wantCode, wantReason)
			}
			if !gotCode.Valid() && gotCode != StatusNoStatusReceived || !utf8.ValidString(gotReason) || len(gotReason) > MaxCloseReason {
				t.Fatalf("ParseClosePayload(%q) = %v, %q", p, gotCode, gotReason)
			}
			if len(p) > 0 {
				if enc := AppendClosePayload(nil, gotCode, gotReason); !bytes.Equal(enc, p) {
					t.Fatalf("AppendClosePayload(%v, %q) = %q, parsed from %q", gotCode, gotReason, enc, p)
				}
			}
		}

		prefix := []byte("prefix")
		enc := AppendClosePayload(bytes.Clone(prefix), StatusCode(code), reason)
		if !bytes.HasPrefix(enc, prefix) {
			t.Fatalf("AppendClosePayload overwrote the buffer it appends to")
		}
		enc = enc[len(prefix):]
		if code == 0 {
			if len(enc) != 0 {
				t.Fatalf("AppendClosePayload(0, %q) = %q, want nothing", reason, enc)
			}
			return
		}
		if len(enc) < 2 || len(enc) > MaxControlPayload || StatusCode(enc[0])<<8|StatusCode(enc[1]) != StatusCode(code) {
			t.Fatalf("AppendClosePayload(%d, %q) = %q", code, reason, enc)
		}
		r := string(enc[2:])
		wantR := reason
		if len(reason) > MaxCloseReason {
			switch {
			case utf8.ValidString(reason):
				// The longest prefix that fits and is valid UTF-8.
				for k := MaxCloseReason; ; k-- {
					if utf8.ValidString(reason[:k]) {
						wantR = reason[:k]
						break
					}
				}
			case len(r) <= MaxCloseReason:
				wantR = r // any prefix of an invalid reason will do
			}
		}
		if !strings.HasPrefix(reason, r) || r != wantR {
			t.Fatalf("AppendClosePayload(%d, %q) carries the reason %q, want %q", code, reason, r, wantR)
		}
		if fzValidCloseCode(StatusCode(code)) && utf8.ValidString(r) {
			c, rr, err := ParseClosePayload(enc)
			if err != nil || c != StatusCode(code) || rr != r {
				t.Fatalf("ParseClosePayload(AppendClosePayload(%d, %q)) = %v, %q, %v", code, r, c, rr, err)
			}
		}
	})
}

// ---------------------------------------------------------------------------
// Seed corpora.

// fzSeed is a named seed input of a target; check, when set, verifies that
// the seed means what its name says.
type fzSeed struct {
	name  string
	args  []any
	check func(t *testing.T)
}

// fzMarshal encodes args in the "go test fuzz v1" corpus file format.
func fzMarshal(args ...any) []byte {
	var b bytes.Buffer
	b.WriteString("go test fuzz v1\n")
	for _, a := range args {
		switch v := a.(type) {
		case []byte:
			fmt.Fprintf(&b, "[]byte(%q)\n", v)
		case string:
			fmt.Fprintf(&b, "string(%q)\n", v)
		case byte:
			fmt.Fprintf(&b, "byte(%q)\n", v)
		case uint16, uint32, int:
			fmt.Fprintf(&b, "%T(%v)\n", v, v)
		default:
			panic(fmt.Sprintf("fzMarshal: %T", a))
		}
	}
	return b.Bytes()
}

// TestFuzzSeedCorpus checks that testdata/fuzz holds the seed corpora
// fzSeedCorpus makes, and that each seed means what its name says; with
// -writefuzzcorpus it writes them instead (and removes stale seed-* files).
func TestFuzzSeedCorpus(t *testing.T) {
	if got, want := fzRefAccept("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="; got != want {
		t.Fatalf("fzRefAccept of the key of RFC 6455 section 1.3 = %q, want %q", got, want)
	}
	for target, seeds := range fzSeedCorpus() {
		dir := filepath.Join("testdata", "fuzz", target)
		names := map[string]bool{}
		for _, s := range seeds {
			name := "seed-" + s.name
			if names[name] {
				t.Errorf("%s: two seeds named %s", target, name)
			}
			names[name] = true
			if s.check != nil {
				t.Run(target+"/"+s.name, s.check)
			}
			data := fzMarshal(s.args...)
			path := filepath.Join(dir, name)
			if *fzWriteCorpus {
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, data, 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, data) {
				t.Errorf("%s is missing or out of date (%v); regenerate it with: go test -run '^TestFuzzSeedCorpus$' . -args -writefuzzcorpus", path, err)
			}
		}
		if *fzWriteCorpus {
			old, _ := filepath.Glob(filepath.Join(dir, "seed-*"))
			for _, p := range old {
				if !names[filepath.Base(p)] {
					os.Remove(p)
				}
			}
		}
	}
}

// fzSeedCorpus returns the seeds of each target.
func fzSeedCorpus() map[string][]fzSeed {
	return map[string][]fzSeed{
		"FuzzParseHeader":       fzHeaderSeeds(),
		"FuzzServerRead":        fzReadSeeds(false),
		"FuzzClientRead":        fzReadSeeds(true),
		"FuzzRoundTrip":         fzRoundTripSeeds(),
		"FuzzHandshakeRequest":  fzRequestSeeds(),
		"FuzzHandshakeResponse": fzResponseSeeds(),
		"FuzzUTF8":              fzUTF8Seeds(),
		"FuzzMask":              fzMaskSeeds(),
		"FuzzClosePayload":      fzCloseSeeds(),
	}
}

func fzHeaderSeeds() []fzSeed {
	var seeds []fzSeed
	add := func(name, b string) { seeds = append(seeds, fzSeed{name: name, args: []any{[]byte(b)}}) }
	// RFC 6455 section 5.7.
	add("rfc-unmasked-text", "\x81\x05Hello")
	add("rfc-masked-text", "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58")
	add("rfc-fragment-first", "\x01\x03Hel")
	add("rfc-fragment-last", "\x80\x02lo")
	add("rfc-unmasked-ping", "\x89\x05Hello")
	add("rfc-masked-pong", "\x8a\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58")
	add("rfc-binary-256", "\x82\x7e\x01\x00")
	add("rfc-binary-64k", "\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00")
	// Boundaries of the length encodings.
	add("len-125", "\x82\x7d")
	add("len-126", "\x82\x7e\x00\x7e")
	add("len-65535-masked", "\x82\xfe\xff\xff\x01\x02\x03\x04")
	add("len-65536-masked", "\x82\xff\x00\x00\x00\x00\x00\x01\x00\x00\x01\x02\x03\x04")
	add("len-max", "\x82\x7f\x7f\xff\xff\xff\xff\xff\xff\xff")
	add("all-bits", "\xff\xff\x7f\xff\xff\xff\xff\xff\xff\xff\xa1\xb2\xc3\xd4")
	// Errors.
	add("nonminimal-16", "\x82\x7e\x00\x05")
	add("nonminimal-16-125", "\x82\x7e\x00\x7d")
	add("nonminimal-64", "\x82\x7f\x00\x00\x00\x00\x00\x00\x00\x7e")
	add("nonminimal-64-65535", "\x82\x7f\x00\x00\x00\x00\x00\x00\xff\xff")
	add("overflow", "\x82\x7f\x80\x00\x00\x00\x00\x00\x00\x00")
	add("overflow-masked", "\x82\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01\x02\x03\x04")
	// Short headers.
	add("empty", "")
	add("one-byte", "\x81")
	add("short-16", "\x82\x7e\x01")
	add("short-64", "\x82\x7f\x00\x00\x00\x00\x00\x01")
	add("short-mask", "\x81\x85\x37\xfa\x21")
	// Reserved bits and opcodes parse; the connection rejects them.
	add("rsv-reserved-opcode", "\x7b\x00")
	return seeds
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

func fzRoundTripSeeds() []fzSeed {
	var seeds []fzSeed
	add := func(name string, data []byte) { seeds = append(seeds, fzSeed{name: name, args: []any{data}}) }
	add("empty", nil)
	add("server-one-binary", []byte("\x00\x00\x00\x00\x00\x00\x05hello"))
	add("client-one-text", []byte("\x01\x00\x00\x00\x00\x01\x10\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f"))
	add("server-close-fragmented-pings", []byte("\x02\x03\x05\x07\x04\x0f\x20\x06\x07\x08\x09\x0b\x1f\x40\x80\xc0\xff\x10\x20\x30"))
	add("client-nextwriter-close", []byte("\x07\x00\x00\x0a\x08ab\x3f\x85\x01\x02\x03\x40\x90\xe0\x05\x06\x07"))
	// flags 0x08 (server, io.EOF with the last bytes), chunks 0 0, code,
	// reason length 0, a rune that does not fit, then a binary message of
	// 127*129 bytes in one frame, and no close frame.
	add("server-large-eof-with-data", []byte("\x08\x00\x00\x00\x00\x00\x00\xff"))
	add("client-large-eof-with-data", []byte("\x09\x00\x00\x00\x00\x00\x00\xff"))
	add("server-large-fragmented-close", []byte("\x0a\x00\x00\x00\x00\x00\x06\xff\x40\x80\xc0"))
	add("client-nextreader-small", []byte("\xf1\x03\x01\x01\x00\x3f\x30abcdefghij\x3e\x20\x01\x02\x03\x04\x05\x06"))
	add("many-messages", bytes.Repeat([]byte("\x21\x03"), 20))
	add("mixed", []byte("\x5a\x11\x22\x03\x7fhello world, this is a test of the fuzz program\x1e\x88\x33\x77\xaa\xbb\xcc\xdd\xee\xff"))
	return seeds
}

const fzRFCRequest = "GET /chat HTTP/1.1\r\n" +
	"Host: server.example.com\r\n" +
	"Upgrade: websocket\r\n" +
	"Connection: Upgrade\r\n" +
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
	"Origin: http://example.com\r\n" +
	"Sec-WebSocket-Protocol: chat, superchat\r\n" +
	"Sec-WebSocket-Version: 13\r\n\r\n"

func fzRequestSeeds() []fzSeed {
	// req is the RFC's request (section 1.2) with the header lines of the
	// replacements map replaced ("" deletes one) and extra lines added.
	req := func(replace map[string]string, extra ...string) string {
		lines := strings.Split(strings.TrimSuffix(fzRFCRequest, "\r\n\r\n"), "\r\n")
		var out []string
		for _, l := range lines {
			name, _, _ := strings.Cut(l, ":")
			if r, ok := replace[name]; ok {
				if r != "" {
					out = append(out, r)
				}
				continue
			}
			out = append(out, l)
		}
		return strings.Join(append(out, extra...), "\r\n") + "\r\n\r\n"
	}
	maskedFrame := func(op byte, p string) string {
		return string(fzEncodeFrame(true, 0, op, &[4]byte{0x37, 0xfa, 0x21, 0x3d}, []byte(p)))
	}
	var seeds []fzSeed
	add := func(name, raw string, opt uint8, status int) {
		seeds = append(seeds, fzSeed{
			name: name,
			args: []any{[]byte(raw), opt},
			check: func(t *testing.T) {
				r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
				if err != nil {
					if status != 0 {
						t.Errorf("not an HTTP request: %v", err)
					}
					return
				}
				got, _, mayForbid := fzRefRequest(r, fzAcceptOptions(opt))
				if mayForbid && got == 101 && status == 403 {
					got = 403
				}
				if got != status {
					t.Errorf("the reference judges it %d, want %d", got, status)
				}
			},
		})
	}
	const (
		optSubprotocols = 1
		optPatterns     = 2
		optSkipOrigin   = 4
		optNil          = 8
	)
	noOrigin := map[string]string{"Origin": ""}
	add("rfc", fzRFCRequest, optSkipOrigin|optSubprotocols, 101)
	add("rfc-origin-pattern", fzRFCRequest, optPatterns|optSubprotocols, 101)
	add("rfc-cross-origin", fzRFCRequest, 0, 403)
	add("rfc-then-frames", fzRFCRequest+maskedFrame(1, "Hello")+maskedFrame(9, "ping")+maskedFrame(8, "\x03\xe8bye"), optSkipOrigin, 101)
	add("rfc-then-bad-frame", fzRFCRequest+"\x81\x05Hello", optSkipOrigin, 101)
	add("minimal", "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==\r\n\r\n", optNil, 101)
	add("same-origin", req(map[string]string{"Origin": "Origin: http://SERVER.example.com"}), 0, 101)
	add("tokens-mixed-case", req(map[string]string{"Upgrade": "Upgrade: WebSocket, foo/2", "Connection": "Connection: keep-alive, UPGRADE", "Origin": ""}), 0, 101)
	add("split-headers", req(noOrigin, "Connection: x", "Upgrade: y"), 0, 101)
	add("subprotocol-second-choice", req(map[string]string{"Origin": "", "Sec-WebSocket-Protocol": "Sec-WebSocket-Protocol: v1.json, superchat"}), optSubprotocols, 101)
	add("subprotocol-none-common", req(map[string]string{"Origin": "", "Sec-WebSocket-Protocol": "Sec-WebSocket-Protocol: mqtt"}), optSubprotocols, 101)
	add("key-spaces", req(map[string]string{"Origin": "", "Sec-WebSocket-Key": "Sec-WebSocket-Key:   dGhlIHNhbXBsZSBub25jZQ==  "}), 0, 101)
	add("post", strings.Replace(fzRFCRequest, "GET", "POST", 1), optSkipOrigin, 405)
	add("http-1.0", strings.Replace(fzRFCRequest, "HTTP/1.1", "HTTP/1.0", 1), optSkipOrigin, 400)
	add("no-connection", req(map[string]string{"Connection": ""}), optSkipOrigin, 400)
	add("connection-keep-alive", req(map[string]string{"Connection": "Connection: keep-alive"}), optSkipOrigin, 400)
	add("no-upgrade", req(map[string]string{"Upgrade": ""}), optSkipOrigin, 400)
	add("upgrade-h2c", req(map[string]string{"Upgrade": "Upgrade: h2c"}), optSkipOrigin, 400)
	add("version-8", req(map[string]string{"Sec-WebSocket-Version": "Sec-WebSocket-Version: 8"}), optSkipOrigin, 426)
	add("no-version", req(map[string]string{"Sec-WebSocket-Version": ""}), optSkipOrigin, 426)
	add("two-versions", req(nil, "Sec-WebSocket-Version: 8"), optSkipOrigin, 426)
	add("version-list", req(map[string]string{"Sec-WebSocket-Version": "Sec-WebSocket-Version: 13, 8"}), optSkipOrigin, 426)
	add("no-key", req(map[string]string{"Sec-WebSocket-Key": ""}), optSkipOrigin, 400)
	add("two-keys", req(nil, "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA=="), optSkipOrigin, 400)
	add("key-not-base64", req(map[string]string{"Sec-WebSocket-Key": "Sec-WebSocket-Key: not base64!"}), optSkipOrigin, 400)
	add("key-15-bytes", req(map[string]string{"Sec-WebSocket-Key": "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAA"}), optSkipOrigin, 400)
	add("key-17-bytes", req(map[string]string{"Sec-WebSocket-Key": "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAAA="}), optSkipOrigin, 400)
	add("key-raw-url-encoding", req(map[string]string{"Sec-WebSocket-Key": "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAA-_"}), optSkipOrigin, 400)
	add("origin-malformed", req(map[string]string{"Origin": "Origin: ::not a url"}), 0, 403)
	add("origin-null", req(map[string]string{"Origin": "Origin: null"}), optPatterns, 403)
	add("origin-other-host", req(map[string]string{"Origin": "Origin: https://evil.example.net"}), optPatterns, 403)
	add("origin-pattern-subdomain", req(map[string]string{"Origin": "Origin: https://a.example.org"}), optPatterns, 101)
	add("absolute-uri", strings.Replace(fzRFCRequest, "GET /chat", "GET ws://server.example.com/chat", 1), optSkipOrigin, 101)
	add("with-body", req(noOrigin, "Content-Length: 7")+"\x81\x85abcd", 0, 101)
	add("garbage", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 0, 0)
	return seeds
}

func fzResponseSeeds() []fzSeed {
	const ok = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {ACCEPT}\r\n\r\n"
	var seeds []fzSeed
	add := func(name, raw string, opt uint8) {
		seeds = append(seeds, fzSeed{name: name, args: []any{[]byte(raw), opt}})
	}
	with := func(extra string) string { return strings.TrimSuffix(ok, "\r\n") + extra + "\r\n" }
	add("ok", ok, 0)
	add("ok-bytewise", ok, 2)
	add("ok-then-frames", ok+"\x81\x05Hello\x89\x04ping\x88\x02\x03\xe8", 0)
	add("ok-then-bad-frame", ok+"\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58", 0)
	add("ok-mixed-case", "HTTP/1.1 101 Whatever\r\nupgrade: WebSocket\r\nconnection: keep-alive, UPGRADE\r\nsec-websocket-accept: {ACCEPT}\r\n\r\n", 0)
	add("ok-subprotocol", with("Sec-WebSocket-Protocol: superchat\r\n"), 1)
	add("subprotocol-not-offered", with("Sec-WebSocket-Protocol: chat\r\n"), 0)
	add("subprotocol-other", with("Sec-WebSocket-Protocol: mqtt\r\n"), 1)
	add("subprotocol-two", with("Sec-WebSocket-Protocol: chat, superchat\r\n"), 1)
	add("subprotocol-twice", with("Sec-WebSocket-Protocol: chat\r\nSec-WebSocket-Protocol: chat\r\n"), 1)
	add("extension", with("Sec-WebSocket-Extensions: permessage-deflate\r\n"), 0)
	add("extension-empty", with("Sec-WebSocket-Extensions: \r\n"), 0)
	add("rfc-accept-literal", strings.Replace(ok, "{ACCEPT}", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", 1), 0)
	add("accept-twice", with("Sec-WebSocket-Accept: {ACCEPT}\r\n"), 0)
	add("accept-missing", strings.Replace(ok, "Sec-WebSocket-Accept: {ACCEPT}\r\n", "", 1), 0)
	add("accept-lowercase-value", strings.Replace(ok, "{ACCEPT}", "{accept}", 1), 0)
	add("no-upgrade", strings.Replace(ok, "Upgrade: websocket\r\n", "", 1), 0)
	add("upgrade-h2c", strings.Replace(ok, "Upgrade: websocket", "Upgrade: h2c", 1), 0)
	add("no-connection", strings.Replace(ok, "Connection: Upgrade\r\n", "", 1), 0)
	add("status-200", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 0)
	add("status-403-chunked", "HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 0)
	add("status-426", "HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\nContent-Length: 0\r\n\r\n", 0)
	add("status-100-then-101", "HTTP/1.1 100 Continue\r\n\r\n"+ok, 0)
	add("http-1.0", strings.Replace(ok, "HTTP/1.1", "HTTP/1.0", 1), 0)
	add("101-with-body", with("Content-Length: 5\r\n")+"hello", 0)
	add("truncated", ok[:40], 0)
	add("empty", "", 0)
	add("garbage", "\x15\x03\x03\x00\x02\x02\x28", 0)
	return seeds
}

func fzUTF8Seeds() []fzSeed {
	var seeds []fzSeed
	add := func(name, data, cuts string) {
		seeds = append(seeds, fzSeed{name: name, args: []any{[]byte(data), []byte(cuts)}})
	}
	add("ascii", "Hello, world", "")
	add("ascii-long", strings.Repeat("0123456789abcdef", 4), "\x09")
	add("kosme", "κόσμε", "")
	add("kosme-bytewise", "κόσμε", "\x01")
	add("kosme-cuts", "κόσμε", "\x03\x00\x02")
	// First and last code point of each length.
	add("boundaries", "\x00\x7f\u0080\u07ff\u0800\uffff\U00010000\U0010ffff", "\x02\x03")
	add("around-surrogates", "\ud7ff\ue000\ufffd\ufeff", "\x01")
	// Invalid sequences.
	add("surrogate-high", "\xed\xa0\x80", "\x01")
	add("surrogate-low", "\xed\xbf\xbf", "")
	add("above-max", "\xf4\x90\x80\x80", "\x02")
	add("f5", "\xf5\x80\x80\x80", "")
	add("overlong-slash-2", "\xc0\xaf", "")
	add("overlong-slash-3", "\xe0\x80\xaf", "\x01")
	add("overlong-slash-4", "\xf0\x80\x80\xaf", "")
	add("overlong-max-2", "\xc1\xbf", "")
	add("five-byte", "\xf8\x88\x80\x80\x80", "")
	add("lone-continuation", "\x80", "")
	add("lone-bf", "abc\xbf", "")
	add("fe-ff", "\xfe\xff", "")
	add("invalid-after-8-ascii", "01234567\xff", "\x08")
	add("invalid-in-second-word", "0123456789abcdef\xc3\x28", "")
	// Incomplete at the end.
	add("truncated-2", "abc\xce", "")
	add("truncated-3", "abc\xe2\x82", "\x04")
	add("truncated-4", "abc\xf0\x9f\x98", "\x01")
	add("truncated-then-ascii", "\xe2\x82a", "\x02")
	add("empty", "", "\x00")
	return seeds
}

func fzMaskSeeds() []fzSeed {
	var seeds []fzSeed
	add := func(name string, data []byte, key uint32, pos int, start, length, split uint16) {
		seeds = append(seeds, fzSeed{name: name, args: []any{data, key, pos, start, length, split}})
	}
	add("rfc-hello", []byte("Hello"), 0x37fa213d, 0, 0, 5, 2)
	for _, n := range []int{0, 1, 3, 7, 8, 9, 15, 31, 32, 33, 63, 64, 100} {
		add(fmt.Sprintf("len-%d", n), utPayload(n+5), 0x01020304, n%4, uint16(n%5), uint16(n), uint16(n/2))
	}
	add("large-unaligned", utPayload(1037), 0xdeadbeef, 3, 3, 1030, 517)
	add("negative-pos", utPayload(40), 0xa1b2c3d4, -7, 1, 38, 13)
	add("huge-pos", utPayload(40), 0xa1b2c3d4, math.MaxInt, 2, 37, 5)
	return seeds
}

func fzCloseSeeds() []fzSeed {
	var seeds []fzSeed
	add := func(name, p string, code uint16, reason string) {
		seeds = append(seeds, fzSeed{name: name, args: []any{[]byte(p), code, reason}})
	}
	add("empty", "", 0, "")
	add("one-byte", "\x03", 1000, "")
	add("normal", "\x03\xe8", 1000, "")
	add("normal-reason", "\x03\xe8bye", 1000, "bye")
	add("1005", "\x03\xed", 1005, "")
	add("1006", "\x03\xee", 1006, "")
	add("1015", "\x03\xf7", 1015, "")
	add("1014", "\x03\xf6", 1014, "")
	add("999", "\x03\xe7", 999, "")
	add("2999", "\x0b\xb7", 2999, "")
	add("3000", "\x0b\xb8", 3000, "")
	add("4999", "\x13\x87", 4999, "")
	add("5000", "\x13\x88", 5000, "")
	add("reason-utf8", "\x03\xe8κόσμε", 1001, "κόσμε")
	add("reason-invalid", "\x03\xe8\xed\xa0\x80", 1001, "\xed\xa0\x80")
	add("reason-truncated", "\x03\xe8ab\xe2\x82", 1001, "ab\xe2\x82")
	add("reason-123", "\x03\xe8"+strings.Repeat("r", 123), 1000, strings.Repeat("r", 123))
	add("reason-124", "\x03\xe8"+strings.Repeat("r", 124), 1000, strings.Repeat("r", 124))
	add("reason-cut-in-rune", "\x03\xe8", 1000, strings.Repeat("r", 122)+"€€")
	add("reason-cut-4-byte", "\x03\xe8", 4000, strings.Repeat("r", 121)+"𝄞𝄞")
	add("reason-long-invalid", "\x03\xe8", 3000, strings.Repeat("\x80", 200))
	return seeds
}
