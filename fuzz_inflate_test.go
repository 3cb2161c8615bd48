package websocket

// Fuzzing the reading of compressed messages (permessage-deflate, RFC
// 7692): FuzzInflate, and its reference fzdRefInflate, which inflates with
// the standard library's compress/flate, checked against tinflate
// (deflate_test.go). The seeds are in fuzz_inflate_seeds_test.go.

import (
	"bytes"
	stdflate "compress/flate"
	"context"
	"fmt"
	"io"
	"math"
	"runtime"
	"slices"
	"testing"
	"unicode/utf8"
)

// fzdTail is the end of a sync flush, which section 7.2.1 removes from each
// compressed message and section 7.2.2 puts back.
var fzdTail = []byte{0x00, 0x00, 0xff, 0xff}

// fzdFinalBlocks are two empty final blocks, one with fixed Huffman codes
// and one stored. Appended to a stream that ends at a block boundary, each
// ends it without adding output; appended to a stream that ends inside a
// block, they become part of that block and do not both end it the same.
var fzdFinalBlocks = [][]byte{{0x03, 0x00}, {0x01, 0x00, 0x00, 0xff, 0xff}}

// fzdStdInflate inflates in, primed with dict, with compress/flate, reading
// at most max+1 bytes. It returns the bytes inflated and the error that
// ended them: io.EOF after a final block, nil once more than max bytes came
// out.
func fzdStdInflate(in, dict []byte, max int) ([]byte, error) {
	r := stdflate.NewReaderDict(bytes.NewReader(in), dict)
	out := []byte{}
	chunk := make([]byte, 4096)
	for len(out) <= max {
		n, err := r.Read(chunk[:min(len(chunk), max+1-len(out))])
		out = append(out, chunk[:n]...)
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// fzdRefInflate inflates a compressed message's payload p as section 7.2.2
// says: p with the tail put back, primed with dict (the peer's window of
// the earlier messages, with context takeover). The message is well formed
// when the stream then ends at a block boundary, as a sync flush leaves it,
// or in a final block (section 7.2.3.4; what follows is ignored). An empty
// payload is an empty message: the tail alone is not a DEFLATE stream, but
// nothing else can be meant by it, and the package accepts it (a leniency
// of its own). It returns up to max+1 bytes inflated; over says there were
// more than max.
func fzdRefInflate(p, dict []byte, max int) (out []byte, over, ok bool) {
	if len(p) == 0 {
		return []byte{}, false, true
	}
	in := append(bytes.Clone(p), fzdTail...)
	out, over, ok, boundary := fzdStdRefInflate(in, dict, max)
	// The package's inflater holds to compress/flate's verdicts: check
	// them against tinflate, written from RFC 1951 alone, where its output
	// is bounded.
	var res tinflateResult
	var err error
	if !over && (boundary || len(in) <= 4096) {
		res, err = tinflate(in, dict)
		if boundary && err != nil {
			// compress/flate's sign of a block boundary (both final blocks
			// end the stream, adding nothing) is fooled by a stream cut
			// inside a dynamic block's code tables that both final blocks
			// happen to complete; tinflate knows where blocks begin.
			ok, boundary = false, false
		} else if (err == nil) != ok || ok && !bytes.Equal(res.out, out) {
			panic(fmt.Sprintf("compress/flate (ok %v, %d bytes) and tinflate (%v, %d bytes) disagree on % x", ok, len(out), err, len(res.out), in))
		}
	}
	// Stricter than section 7.2.2 alone: a stream that runs to the end of
	// the tail must end there with a stored block, as the empty one a sync
	// flush leaves (section 7.2.1) does, not with Huffman codes that happen
	// to end with the tail.
	if boundary && !res.stored {
		ok = false
	}
	return out, over, ok
}

// fzdStdRefInflate inflates in with compress/flate as fzdRefInflate says.
// boundary says the stream ran to the end of in and ended there, at a block
// boundary.
func fzdStdRefInflate(in, dict []byte, max int) (out []byte, over, ok, boundary bool) {
	out, err := fzdStdInflate(in, dict, max)
	switch {
	case len(out) > max:
		return out, true, false, false
	case err == io.EOF:
		return out, false, true, false
	case err != io.ErrUnexpectedEOF:
		return out, false, false, false
	}
	// The stream ended: at a block boundary, or inside a block (a
	// truncated message). Only at a block boundary do both final blocks
	// end it cleanly, adding nothing.
	for _, fb := range fzdFinalBlocks {
		o, err := fzdStdInflate(append(bytes.Clone(in), fb...), dict, max)
		if err != io.EOF || !bytes.Equal(o, out) {
			return out, false, false, false
		}
	}
	return out, false, true, true
}

// fzdInvalidAt returns the length of the shortest prefix of b that cannot
// begin valid UTF-8, or -1 if every prefix can.
func fzdInvalidAt(b []byte) int {
	if fzValidPrefix(b) {
		return -1
	}
	lo, hi := 0, len(b) // fzValidPrefix(b[:lo]), !fzValidPrefix(b[:hi])
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if fzValidPrefix(b[:mid]) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi
}

// fzdWant is what reading one message must give: the message (ok), or the
// connection failing with one of codes. Both can be allowed at once.
type fzdWant struct {
	typ   MessageType
	out   []byte // the message when ok; else what the peer sent of it, inflated, for a partial read to be a prefix of
	ok    bool
	codes []StatusCode // the codes the connection may fail with at this message
}

// fzdMsg is one message of FuzzInflate's stream.
type fzdMsg struct {
	typ          MessageType
	payload      []byte
	plain        bool  // sent without compression (RSV1 clear)
	cuts         []int // frame boundaries inside payload
	pings        bool  // a ping between frames
	rsv1Cont     bool  // RSV1 on the continuation frames too (section 6.1 forbids it)
	emptyLast    bool  // an empty final frame after the payload
	abandon      bool  // NextReader reads only part of it
	pingPayloads [][]byte
}

// fzdLayout turns FuzzInflate's input into messages: layout has four bytes
// per message (up to 16): the payload length (big-endian; the last message
// takes the rest of payloads), flags, and a byte whose nibbles place the
// frame boundaries (lo and hi fifteenths of the payload, then half way
// between). Flags: 1 text; 2 uncompressed; 4 and 8 the number of extra
// frames; 0x10 pings between frames; 0x20 abandoned by NextReader after a
// piece; 0x40 RSV1 on continuation frames; 0x80 an empty final frame.
func fzdLayout(payloads, layout []byte) []fzdMsg {
	n := min(max(1, (len(layout)+3)/4), 16)
	var msgs []fzdMsg
	rest := payloads
	for i := 0; i < n; i++ {
		var g [4]byte
		copy(g[:], layout[min(4*i, len(layout)):])
		size := len(rest)
		if i < n-1 {
			size = min(size, int(g[0])<<8|int(g[1]))
		}
		m := fzdMsg{
			typ:       MessageBinary,
			payload:   rest[:size],
			plain:     g[2]&2 != 0,
			pings:     g[2]&0x10 != 0,
			abandon:   g[2]&0x20 != 0,
			rsv1Cont:  g[2]&0x40 != 0,
			emptyLast: g[2]&0x80 != 0,
		}
		rest = rest[size:]
		if g[2]&1 != 0 {
			m.typ = MessageText
		}
		lo, hi := size*int(g[3]&15)/15, size*int(g[3]>>4)/15
		m.cuts = []int{lo, hi, (lo + hi) / 2}[:g[2]>>2&3]
		slices.Sort(m.cuts)
		msgs = append(msgs, m)
	}
	return msgs
}

// frames encodes m as the peer sends it, masked with key when key is
// non-nil, and records the pings it puts between the frames.
func (m *fzdMsg) frames(key *[4]byte, pingNo *int) []byte {
	bounds := append(append([]int{0}, m.cuts...), len(m.payload))
	var out []byte
	for i := 0; i+1 < len(bounds); i++ {
		if i > 0 && m.pings {
			p := []byte(fmt.Sprintf("ping %d", *pingNo))
			*pingNo++
			m.pingPayloads = append(m.pingPayloads, p)
			out = append(out, fzEncodeFrame(true, 0, 9, key, p)...)
		}
		op := byte(0)
		if i == 0 {
			op = byte(m.typ)
		}
		fin := i+2 == len(bounds) && !m.emptyLast
		out = append(out, fzEncodeFrame(fin, m.rsv(i == 0), op, key, m.payload[bounds[i]:bounds[i+1]])...)
	}
	if m.emptyLast {
		out = append(out, fzEncodeFrame(true, m.rsv(false), 0, key, nil)...)
	}
	return out
}

// rsv returns the RSV bits of m's first frame (first) or of a continuation
// frame: RSV1 on the first when compressed, on the others with rsv1Cont.
func (m *fzdMsg) rsv(first bool) byte {
	if first && !m.plain || !first && m.rsv1Cont {
		return 4
	}
	return 0
}

// fzdRefMessages says what reading msgs with a read limit of limit must
// give, with the peer's window of 2^bits bytes (at least 512: the package
// keeps that much, since zlib asked for 8 bits uses 9) and context takeover
// unless noContext.
func fzdRefMessages(msgs []fzdMsg, limit int, bits int, noContext bool) []fzdWant {
	var wants []fzdWant
	var hist []byte // the inflated compressed messages
	window := min(1<<max(bits, 9), 1<<15)
	for _, m := range msgs {
		w := fzdWant{typ: m.typ}
		first := m.payload
		if len(m.cuts) > 0 {
			first = m.payload[:m.cuts[0]]
		}
		if m.rsv1Cont && (len(m.cuts) > 0 || m.emptyLast) {
			// The first continuation frame fails the connection (1002);
			// the first frame may already have (its length, or its UTF-8
			// when uncompressed).
			w.codes = []StatusCode{StatusProtocolError}
			if len(first) > limit {
				w.codes = append(w.codes, StatusMessageTooBig)
			}
			if m.plain && m.typ == MessageText && !fzValidPrefix(first) {
				w.codes = append(w.codes, StatusInvalidFramePayloadData)
			}
			w.out = m.payload
			return append(wants, w)
		}
		if m.plain {
			w.out = m.payload
			w.ok = true
			if len(m.payload) > limit {
				w.ok, w.codes = false, []StatusCode{StatusMessageTooBig}
			}
			if m.typ == MessageText && !utf8.Valid(m.payload) {
				w.ok, w.codes = false, append(w.codes, StatusInvalidFramePayloadData)
			}
			wants = append(wants, w)
			if !w.ok {
				return wants
			}
			continue
		}
		var dict []byte
		if !noContext {
			dict = hist[max(0, len(hist)-window):]
		}
		out, over, ok := fzdRefInflate(m.payload, dict, limit)
		w.out = out
		switch {
		case over:
			w.codes = []StatusCode{StatusMessageTooBig}
			// Invalid UTF-8 among the bytes up to the limit (out holds one
			// more) may be seen first, in an earlier piece of output.
			if m.typ == MessageText && fzdInvalidAt(out) >= 0 {
				w.codes = append(w.codes, StatusInvalidFramePayloadData)
			}
		case !ok, m.typ == MessageText && !utf8.Valid(out):
			w.codes = []StatusCode{StatusInvalidFramePayloadData}
		default:
			w.ok = true
		}
		if len(m.payload) > limit && !slices.Contains(w.codes, StatusMessageTooBig) {
			// A receiver may refuse compressed data larger than the limit
			// before inflating it.
			w.codes = append(w.codes, StatusMessageTooBig)
		}
		wants = append(wants, w)
		if !w.ok {
			return wants
		}
		hist = fzdAppendHistory(hist, out)
	}
	return wants
}

// fzdAppendHistory appends msg to hist, the messages inflated so far,
// keeping no more than the largest window (32 KiB) once it passes 64 KiB.
func fzdAppendHistory(hist, msg []byte) []byte {
	hist = append(hist, msg...)
	if len(hist) > 1<<16 {
		hist = slices.Clone(hist[len(hist)-1<<15:])
	}
	return hist
}

// fzdGot is what reading one message gave.
type fzdGot struct {
	typ   MessageType
	data  []byte
	whole bool // read to its end; else abandoned after a piece
	alloc uint64
}

// fzdReadAll reads c until an error, as api says (see FuzzInflate), and
// then once more. When measure is set it measures what each read
// allocates: each message's, and lastAlloc the read that failed. The
// NextReader APIs read into storage allocated beforehand, so that what a
// read allocates is the Conn's doing.
func fzdReadAll(c *Conn, msgs []fzdMsg, limit, api, piece, bufCap int, measure bool) (got []fzdGot, lastAlloc uint64, err, again error, stuck string) {
	ctx := context.Background()
	var buf []byte
	if bufCap > 0 {
		buf = make([]byte, 0, bufCap)
	}
	space := make([]byte, 0, limit+piece+1)
	chunk := make([]byte, piece)
	var pieces []byte // API 3 reads a message in pieces; 2 into all the space there is
	if api == 3 {
		pieces = chunk
	}
	for i := 0; ; i++ {
		if i > len(msgs) {
			return got, 0, err, again, fmt.Sprintf("read %d messages from a stream of %d", i, len(msgs))
		}
		abandon := i < len(msgs) && msgs[i].abandon && api >= 2
		var m0, m1 runtime.MemStats
		if measure {
			runtime.ReadMemStats(&m0)
		}
		var g fzdGot
		switch api {
		case 0:
			g.typ, g.data, err = c.ReadMessage(ctx, nil)
			g.whole = true
		case 1:
			g.typ, g.data, err = c.ReadMessage(ctx, buf)
			g.whole = true
		default:
			var r io.Reader
			g.typ, r, err = c.NextReader(ctx)
			if err == nil {
				if abandon {
					g.data, g.whole, err = fzReadMessage(r, space[:0], chunk, piece)
				} else {
					g.data, g.whole, err = fzReadMessage(r, space[:0], pieces, math.MaxInt)
				}
			}
		}
		if measure {
			runtime.ReadMemStats(&m1)
			g.alloc = m1.TotalAlloc - m0.TotalAlloc
		}
		if api == 1 && err == nil {
			if len(g.data) > 0 && len(g.data) <= cap(buf) && &g.data[0] != &buf[:1][0] {
				stuck = fmt.Sprintf("ReadMessage returned %d bytes in new storage, though the buffer passed has room for %d", len(g.data), cap(buf))
				return
			}
			buf = g.data
		}
		if err != nil {
			if len(g.data) > 0 && !g.whole {
				got = append(got, fzdGot{typ: g.typ, data: bytes.Clone(g.data), alloc: g.alloc})
			}
			_, _, again = c.ReadMessage(ctx, nil)
			return got, g.alloc, err, again, ""
		}
		g.data = bytes.Clone(g.data)
		got = append(got, g)
	}
}

// fzdMemorySlack is what a read may allocate beyond the read limit and
// twice the compressed stream (gathered whole, the tail appended): a
// decompressor, pooled blocks of inflated output, buffers, errors.
const fzdMemorySlack = 256 << 10

// FuzzInflate reads compressed messages whose payloads are arbitrary bytes,
// on a Conn that negotiated permessage-deflate, and checks them against
// fzdRefMessages (compress/flate): each message the Conn returns is the one
// the payload inflates to (with the window of the earlier ones under
// context takeover), at most the read limit, UTF-8 for text; a payload that
// is not a well-formed DEFLATE stream, inflates past the limit or to
// invalid UTF-8 fails the connection with 1007 or 1009 and a close frame
// with that code. Nothing panics or hangs, and a read allocates no more than
// the limit, the compressed bytes and fzdMemorySlack.
//
// payloads and layout make the messages (see fzdLayout); limit is the read
// limit. mode: bits 0-1 the read API (0 ReadMessage with nil, 1
// ReadMessage reusing a buffer, 2 NextReader read into room for the whole
// message, 3 NextReader read in pieces); 4 client; 8 no context takeover;
// bits 4-6 the peer's window bits less 8; 0x80 a close frame at the end;
// bits 8-9 the first buffer's capacity (0, 5, the limit, 64 KiB + 1) and
// the piece size (1, 7, 100, 5000); bits 10-12 the size of the
// connection's reads; 0x2000 io.EOF with the last bytes; 0x4000 measure
// allocations.
func FuzzInflate(f *testing.F) {
	f.Fuzz(func(t *testing.T, payloads, layout []byte, limit, mode uint16) {
		in := fzdNewInflate(payloads, layout, limit, mode)
		nc, got, end, err := in.read(t)
		wantEnd, pings, minPongs, maxPongs := in.checkMessages(t, got, end, err)
		in.checkWritten(t, nc, end, wantEnd, pings, minPongs, maxPongs)
	})
}

// fzdInflate is FuzzInflate's input decoded: how to read, the messages,
// the stream that carries them and what reading each must give.
type fzdInflate struct {
	limit       uint16
	api         int
	client      bool
	closeAtEnd  bool
	bufCap      int
	piece       int
	chunks      []byte
	eofWithData bool
	measure     bool
	params      deflateParams
	msgs        []fzdMsg
	stream      []byte
	wants       []fzdWant
}

// fzdNewInflate decodes FuzzInflate's input, makes the stream of its
// messages and says what reading them must give (fzdRefMessages).
func fzdNewInflate(payloads, layout []byte, limit, mode uint16) *fzdInflate {
	in := &fzdInflate{
		limit:       limit,
		api:         int(mode & 3),
		client:      mode&4 != 0,
		closeAtEnd:  mode&0x80 != 0,
		bufCap:      []int{0, 5, int(limit), 64<<10 + 1}[mode>>8&3],
		piece:       []int{1, 7, 100, 5000}[mode>>8&3],
		chunks:      []byte{[]byte{0, 1, 2, 3, 7, 64, 200, 255}[mode>>10&7]},
		eofWithData: mode&0x2000 != 0,
		measure:     mode&0x4000 != 0,
	}
	noContext := mode&8 != 0
	bits := 8 + int(mode>>4&7)

	in.msgs = fzdLayout(payloads, layout)
	var key *[4]byte
	if !in.client {
		key = &[4]byte{0x37, 0xfa, 0x21, 0x3d}
	}
	pingNo := 0
	for i := range in.msgs {
		in.stream = append(in.stream, in.msgs[i].frames(key, &pingNo)...)
	}
	if in.closeAtEnd {
		in.stream = append(in.stream, fzEncodeFrame(true, 0, 8, key, []byte{0x03, 0xe8})...)
	}
	in.wants = fzdRefMessages(in.msgs, int(limit), bits, noContext)

	in.params = deflateParams{serverBits: 15, clientBits: 15}
	if in.client {
		in.params.serverBits, in.params.serverNoContext = bits, noContext
	} else {
		in.params.clientBits, in.params.clientNoContext = bits, noContext
	}
	return in
}

// read reads the stream with a Conn that negotiated in.params until an
// error, and once more, checks that the reads end with an error they may
// end with, the same twice, and allocate within their budget, and returns
// the connection, the messages read and how the reads ended.
func (in *fzdInflate) read(t *testing.T) (nc *fzConn, got []fzdGot, end fzEnd, err error) {
	t.Helper()
	nc = &fzConn{in: in.stream, chunks: in.chunks, eofWithData: in.eofWithData}
	c := newConn(nc, in.client, "", nil)
	c.deflate = newCompression(in.params, &CompressionOptions{}, in.client)
	c.SetCloseTimeout(fzCloseTimeout)
	c.SetReadLimit(int64(in.limit))

	var (
		lastAlloc uint64
		again     error
		stuck     string
	)
	fzBounded(t, "reading the connection", func() {
		got, lastAlloc, err, again, stuck = fzdReadAll(c, in.msgs, int(in.limit), in.api, in.piece, in.bufCap, in.measure)
	})
	if stuck != "" {
		t.Fatal(stuck)
	}
	end = fzEndOf(t, err)
	if again == nil || again.Error() != err.Error() {
		t.Fatalf("the read after %q returned %v, want the same error", err, again)
	}
	if in.measure {
		budget := uint64(in.limit) + 2*uint64(len(in.stream)) + fzdMemorySlack
		for i, g := range append(got, fzdGot{alloc: lastAlloc}) {
			if g.alloc > budget {
				t.Errorf("read %d allocated %d bytes, more than the limit %d + twice the %d bytes of the stream + %d", i, g.alloc, in.limit, len(in.stream), fzdMemorySlack)
			}
		}
	}
	return nc, got, end, err
}

// checkMessages compares the messages read, got, with in.wants, message
// by message, given that the reads ended with end (err), and finds how the
// connection must end and how many of the pings, between minPongs and
// maxPongs, it must have answered by then.
func (in *fzdInflate) checkMessages(t *testing.T, got []fzdGot, end fzEnd, err error) (wantEnd fzEnd, pings [][]byte, minPongs, maxPongs int) {
	t.Helper()
	wantEnd = fzEnd{code: 1006}
	if in.closeAtEnd {
		wantEnd = fzEnd{code: 1000}
	}
	for _, m := range in.msgs {
		pings = append(pings, m.pingPayloads...)
	}
	minPongs, maxPongs = len(pings), len(pings)
	if len(got) > len(in.wants) {
		t.Fatalf("read %d messages, want at most %d", len(got), len(in.wants))
	}
	answered, sent := 0, 0 // the pings in the messages read whole, and up to this one
	for i, w := range in.wants {
		m := in.msgs[i]
		sent += len(m.pingPayloads)
		if i == len(got) || !got[i].whole && !w.ok && i == len(got)-1 {
			// The reads ended at this message: it must fail.
			if !end.failed || !slices.Contains(w.codes, end.code) {
				t.Fatalf("message %d ended the reads with %v (%v); want the message %v, or a failure with one of %v (payload % x)",
					i, end, err, w.ok, w.codes, fzdAbbrevBytes(m.payload))
			}
			wantEnd = end
			minPongs, maxPongs = answered, sent
			break
		}
		g := got[i]
		switch {
		case g.typ != w.typ:
			t.Fatalf("message %d has type %v, want %v", i, g.typ, w.typ)
		case int64(len(g.data)) > int64(in.limit):
			t.Fatalf("message %d has %d bytes, more than the read limit %d", i, len(g.data), in.limit)
		case !g.whole:
			if !bytes.HasPrefix(w.out, g.data) {
				t.Fatalf("the %d bytes read of message %d are not a prefix of the %d it inflates to (%q...)", len(g.data), i, len(w.out), fzdAbbrevBytes(w.out))
			}
		case !w.ok:
			t.Fatalf("read message %d (%s), want a failure with one of %v (payload % x)", i, fzAbbrev(fzMessage{g.typ, g.data}), w.codes, fzdAbbrevBytes(m.payload))
		case g.typ == MessageText && !utf8.Valid(g.data):
			t.Fatalf("message %d is text but not UTF-8: %q", i, g.data)
		case !bytes.Equal(g.data, w.out):
			t.Fatalf("message %d is %s, compress/flate says %s (payload % x)", i, fzAbbrev(fzMessage{g.typ, g.data}), fzAbbrev(fzMessage{w.typ, w.out}), fzdAbbrevBytes(m.payload))
		}
		if g.whole {
			answered += len(m.pingPayloads)
		}
	}
	if end != wantEnd {
		t.Fatalf("after %d messages: %v (%v), want %v", len(got), end, err, wantEnd)
	}
	return wantEnd, pings, minPongs, maxPongs
}

// checkWritten checks what the Conn wrote on nc: pongs for the pings read,
// between minPongs and maxPongs of them, then the close frame wantEnd
// calls for, if any; and that it closed the connection.
func (in *fzdInflate) checkWritten(t *testing.T, nc *fzConn, end, wantEnd fzEnd, pings [][]byte, minPongs, maxPongs int) {
	t.Helper()
	pongs := 0
	for pos := 0; pos < len(nc.out); {
		h, complete := fzRefParseFrameHeader(nc.out[pos:])
		if !complete || h.op != 10 || uint64(len(nc.out)-pos-h.size) < h.length {
			break
		}
		pongs++
		pos += h.size + int(h.length)
	}
	pongs = min(pongs, len(pings))
	if pongs < minPongs || pongs > maxPongs {
		t.Fatalf("the Conn sent %d pongs, want %d to %d", pongs, minPongs, maxPongs)
	}
	fzCheckWritten(t, nc.out, in.client, fzRefResult{pings: pings[:pongs], end: wantEnd})
	if !nc.closed {
		t.Fatalf("the connection ended (%v) but the Conn did not close it", end)
	}
	if nc.lateWrites > 0 {
		t.Fatalf("%d writes after the Conn closed its connection", nc.lateWrites)
	}
}

// fzdAbbrevBytes returns b, or its first 64 bytes.
func fzdAbbrevBytes(b []byte) []byte { return b[:min(len(b), 64)] }
