package websocket

// FuzzCompressRoundTrip (permessage-deflate, RFC 7692): messages a Conn
// writes compressed, checked frame by frame against compress/flate and
// tinflate and read back by a Conn; and its seeds.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"unicode/utf8"
)

// fzdPayloadCheck checks a compressed payload the package sent: with the
// tail put back and primed with dict, compress/flate must inflate it to
// want, the stream ending cleanly (fzdRefInflate), and tinflate must agree
// and find no back-reference further than the window of 2^bits bytes
// (section 7.1.2: the compressor's window, in this message and into the
// earlier ones).
func fzdPayloadCheck(p, dict, want []byte, bits int) error {
	if len(p) == 0 {
		return errors.New("an empty compressed payload, which is not a DEFLATE stream even with the tail put back")
	}
	out, over, ok := fzdRefInflate(p, dict, len(want))
	switch {
	case over:
		return fmt.Errorf("compress/flate inflates it to more than the %d bytes written", len(want))
	case !ok:
		return fmt.Errorf("compress/flate does not inflate it to a clean end (%d bytes out)", len(out))
	case !bytes.Equal(out, want):
		return fmt.Errorf("compress/flate inflates it to %s", fzAbbrev(fzMessage{MessageBinary, out}))
	}
	res, err := tinflate(append(bytes.Clone(p), fzdTail...), dict)
	switch {
	case err != nil:
		return fmt.Errorf("tinflate: %v", err)
	case !bytes.Equal(res.out, want):
		return fmt.Errorf("tinflate inflates it to %s", fzAbbrev(fzMessage{MessageBinary, res.out}))
	case res.maxDist > 1<<bits:
		return fmt.Errorf("a back-reference reaches %d bytes back, beyond the window of %d bytes (%d bits)", res.maxDist, 1<<bits, bits)
	}
	return nil
}

// fzdRTMessage is a message FuzzCompressRoundTrip writes.
type fzdRTMessage struct {
	fzMessage
	nextWriter bool  // written with NextWriter, in pieces
	pieces     []int // NextWriter: where the Writes split it
	plain      bool  // SetWriteCompression(false) for it
}

// fzdRTMessages turns the rest of s into messages: per message a byte of
// flags (1 text; 2 NextWriter; 4 compression off; 8 and 0x10 the content:
// 0 fresh, 1 a unit of 1+3k bytes (k the next byte) repeated, 2 an earlier
// message (chosen by the next byte) then size%64 fresh bytes, then the
// earlier message again if size&64, 3 one byte repeated ('a' for text);
// 0x20 and 0x40 the Writes' pieces; 0x80 the size byte counts 331s) and a
// size byte, then what the content takes.
func fzdRTMessages(s *fzSource) []fzdRTMessage {
	var msgs []fzdRTMessage
	total := 0
	for len(s.b) > 0 && len(msgs) < 12 && total < 256<<10 {
		h := s.next()
		m := fzdRTMessage{fzMessage: fzMessage{typ: MessageBinary}, nextWriter: h&2 != 0, plain: h&4 != 0}
		text := h&1 != 0
		if text {
			m.typ = MessageText
		}
		size := int(s.next())
		if h&0x80 != 0 {
			size *= 331
		}
		fresh := func(n int) []byte {
			if text {
				return s.text(n)
			}
			// The input, then a pattern that repeats only every 64 KiB
			// but has matches at many distances.
			out := make([]byte, n)
			k := copy(out, s.b)
			s.b = s.b[k:]
			for i := k; i < n; i++ {
				out[i] = byte(i*7 + i>>8 + 1)
			}
			return out
		}
		switch h >> 3 & 3 {
		case 0:
			m.data = fresh(size)
		case 1:
			unit := fresh(1 + 3*int(s.next()))
			m.data = []byte{}
			for len(unit) > 0 && len(m.data)+len(unit) <= size {
				m.data = append(m.data, unit...)
			}
		case 2:
			k := int(s.next())
			m.data = []byte{}
			if len(msgs) > 0 {
				prev := msgs[k%len(msgs)].data
				if !text || utf8.Valid(prev) {
					m.data = append(m.data, prev...)
				}
			}
			n := len(m.data)
			m.data = append(m.data, fresh(size%64)...)
			if size&64 != 0 {
				m.data = append(m.data, m.data[:n]...)
			}
		case 3:
			c := byte('a')
			if !text {
				c = s.next()
			}
			m.data = bytes.Repeat([]byte{c}, size)
		}
		if m.nextWriter {
			for i := 0; i < int(h>>5&3); i++ {
				m.pieces = append(m.pieces, len(m.data)*int(s.next())/255)
			}
			slices.Sort(m.pieces)
		}
		total += len(m.data)
		msgs = append(msgs, m)
	}
	return msgs
}

// FuzzCompressRoundTrip writes messages made from its input with a Conn
// that negotiated permessage-deflate with parameters from the input (window
// bits 8 to 15 each way, context takeover each way, level, threshold), with
// WriteMessage or NextWriter in pieces and compression turned off for some,
// and checks that:
//
//   - the frames sent are well formed, with RSV1 on the first frame of
//     exactly the messages that must be compressed (section 6.1);
//   - each compressed payload inflates with compress/flate, primed with the
//     writer's window of the earlier compressed messages under context
//     takeover and with nothing without, to the message, ending cleanly;
//     and no back-reference reaches beyond the window (tinflate);
//   - a Conn in the other role with the same parameters reads the messages
//     back, and the close frame if one was sent.
//
// Input: a byte of flags (1 the writer is the client; 2 Close at the end;
// 4 and 8 the reader's API, as fzReadConfig's; 0x10 a read limit of the
// largest message exactly; 0x20 io.EOF with the last bytes), a byte of
// parameters (1 server_no_context_takeover; 2 client_no_context_takeover;
// bits 2-4 and 5-7 the server's and the client's window bits less 8), the
// threshold (its low 3 bits select one), the level (modulo 10), the size of
// the reader's reads, then the messages (fzdRTMessages).
func FuzzCompressRoundTrip(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		rt := fzdNewCompressRoundTrip(data)
		out := rt.write(t)
		rt.checkFrames(t, out)
		rt.readBack(t, out)
	})
}

// fzdCompressRoundTrip is FuzzCompressRoundTrip's input decoded.
type fzdCompressRoundTrip struct {
	flags            byte
	writerClient     bool
	closeAtEnd       bool
	params           deflateParams
	threshold, level int
	chunk            byte // the size of the reader's reads
	msgs             []fzdRTMessage
}

// fzdNewCompressRoundTrip decodes data as FuzzCompressRoundTrip says.
func fzdNewCompressRoundTrip(data []byte) *fzdCompressRoundTrip {
	s := &fzSource{b: data}
	rt := &fzdCompressRoundTrip{flags: s.next()}
	rt.writerClient = rt.flags&1 != 0
	rt.closeAtEnd = rt.flags&2 != 0
	pb := s.next()
	rt.params = deflateParams{
		serverNoContext: pb&1 != 0,
		clientNoContext: pb&2 != 0,
		serverBits:      8 + int(pb>>2&7),
		clientBits:      8 + int(pb>>5&7),
	}
	rt.threshold = []int{0, 0, 1, 2, 16, 128, 1024, 100000}[s.next()&7]
	rt.level = int(s.next() % 10)
	rt.chunk = s.next()
	rt.msgs = fzdRTMessages(s)
	return rt
}

// write has a Conn with rt's parameters write the messages, and Close
// when closeAtEnd, and returns what it sent.
func (rt *fzdCompressRoundTrip) write(t *testing.T) []byte {
	t.Helper()
	wnc := &fzConn{}
	w := newConn(wnc, rt.writerClient, "", nil)
	w.SetCloseTimeout(fzCloseTimeout)
	w.deflate = newCompression(rt.params, &CompressionOptions{Level: rt.level, Threshold: rt.threshold}, rt.writerClient)
	var werr error
	fzBounded(t, "writing", func() {
		ctx := context.Background()
		for _, m := range rt.msgs {
			w.SetWriteCompression(!m.plain)
			if !m.nextWriter {
				if werr = w.WriteMessage(ctx, m.typ, m.data); werr != nil {
					return
				}
				continue
			}
			var pieces [][]byte
			prev := 0
			for _, cut := range append(m.pieces, len(m.data)) {
				pieces = append(pieces, m.data[prev:cut])
				prev = cut
			}
			if werr = fzStream(ctx, w, m.typ, pieces); werr != nil {
				return
			}
		}
		if rt.closeAtEnd {
			w.Close(1000, "")
		}
	})
	if werr != nil {
		t.Fatalf("writing the messages: %v", werr)
	}
	return wnc.out
}

// checkFrames checks the frames the writer sent, out, independently of
// the package: each message's frames, its payload (fzdPayloadCheck when
// compressed), then the close frame if one is due, and nothing else.
func (rt *fzdCompressRoundTrip) checkFrames(t *testing.T, out []byte) {
	t.Helper()
	bits, noContext := rt.params.serverBits, rt.params.serverNoContext
	if rt.writerClient {
		bits, noContext = rt.params.clientBits, rt.params.clientNoContext
	}
	var hist []byte // what the compressed messages held
	for i, m := range rt.msgs {
		compressed := !m.plain && (m.nextWriter || len(m.data) >= rt.threshold)
		var payload []byte
		payload, out = rt.messageFrames(t, i, compressed, out)
		if !compressed {
			if !bytes.Equal(payload, m.data) {
				t.Fatalf("message %d, uncompressed, carries %d bytes, want %d", i, len(payload), len(m.data))
			}
			continue
		}
		var dict []byte
		if !noContext {
			dict = hist[max(0, len(hist)-1<<bits):]
		}
		if err := fzdPayloadCheck(payload, dict, m.data, bits); err != nil {
			t.Fatalf("message %d (%s, %d bits, context takeover %v, %d bytes of history, level %d): its payload % x: %v",
				i, fzAbbrev(m.fzMessage), bits, !noContext, len(dict), rt.level, fzdAbbrevBytes(payload), err)
		}
		hist = fzdAppendHistory(hist, m.data)
	}
	if rt.closeAtEnd {
		if h, complete := fzRefParseFrameHeader(out); !complete || h.op != 8 || h.rsv != 0 || h.size+int(h.length) != len(out) ||
			!bytes.Equal(fzUnmask(h, out[h.size:]), []byte{0x03, 0xe8}) {
			t.Fatalf("after the messages the Conn sent % x, want a close frame with 1000", fzdAbbrevBytes(out))
		}
	} else if len(out) > 0 {
		t.Fatalf("after the messages the Conn sent % x", fzdAbbrevBytes(out))
	}
}

// messageFrames reads the frames of message i from the start of out,
// checks their headers (RSV1 on the first when compressed, section 6.1),
// and returns the payload they carry, unmasked, and what follows them.
func (rt *fzdCompressRoundTrip) messageFrames(t *testing.T, i int, compressed bool, out []byte) (payload, rest []byte) {
	t.Helper()
	m := rt.msgs[i]
	for first := true; ; first = false {
		h, complete := fzRefParseFrameHeader(out)
		if !complete || uint64(len(out)-h.size) < h.length {
			t.Fatalf("message %d: the frames sent end early: % x", i, fzdAbbrevBytes(out))
		}
		wantOp, wantRsv := byte(0), byte(0)
		if first {
			wantOp = byte(m.typ)
			if compressed {
				wantRsv = 4
			}
		}
		if h.op != wantOp || h.rsv != wantRsv || h.masked != rt.writerClient || h.overflow() || !h.minimal() {
			t.Fatalf("message %d (%d bytes, compressed %v): a frame with %+v", i, len(m.data), compressed, h)
		}
		payload = append(payload, fzUnmask(h, out[h.size:h.size+int(h.length)])...)
		out = out[h.size+int(h.length):]
		if h.fin {
			return payload, out
		}
	}
}

// readBack has a Conn in the other role, with the same parameters, read
// what the writer sent, out, as the flags say.
func (rt *fzdCompressRoundTrip) readBack(t *testing.T, out []byte) {
	t.Helper()
	want := fzRefResult{end: fzEnd{code: 1006}}
	maxLen := 0
	for _, m := range rt.msgs {
		want.msgs = append(want.msgs, m.fzMessage)
		maxLen = max(maxLen, len(m.data))
	}
	if rt.closeAtEnd {
		want.end = fzEnd{code: 1000}
	}
	cfg := fzReadConfig{
		client:      !rt.writerClient,
		limit:       DefaultReadLimit,
		chunks:      []byte{rt.chunk},
		eofWithData: rt.flags&0x20 != 0,
		api:         int(rt.flags >> 2 & 3),
		piece:       int(rt.chunk%16) + 1,
	}
	if rt.flags&0x10 != 0 {
		cfg.limit = int64(maxLen)
	}
	rnc := &fzConn{in: out, chunks: cfg.chunks, eofWithData: cfg.eofWithData}
	r := newConn(rnc, cfg.client, "", nil)
	r.deflate = newCompression(rt.params, &CompressionOptions{}, cfg.client)
	fzReadConn(t, r, rnc, 0, cfg, len(out), want)
}

// FuzzCompressRoundTrip's input flags, for its seeds.
const (
	fzdRTWriterClient = 1
	fzdRTCloseAtEnd   = 2
	fzdRTAPIReuse     = 1 << 2
	fzdRTAPIReadAll   = 2 << 2
	fzdRTAPIPieces    = 3 << 2
	fzdRTExactLimit   = 0x10
	fzdRTEOFWithData  = 0x20
)

// The flags of a message of FuzzCompressRoundTrip's input (fzdRTMessages),
// for its seeds.
const (
	fzdRTText       = 1
	fzdRTNextWriter = 2
	fzdRTPlain      = 4
	fzdRTRepeated   = 1 << 3
	fzdRTPrevious   = 2 << 3
	fzdRTOneChar    = 3 << 3
	fzdRTPieces1    = 1 << 5
	fzdRTPieces3    = 3 << 5
	fzdRTLarge      = 0x80
)

// fzCompressRoundTripSeeds returns FuzzCompressRoundTrip's seeds: a mix of
// messages under each window size, with and without context takeover;
// other levels, thresholds and settings; and data repeated far back.
func fzCompressRoundTripSeeds() []fzSeed {
	var seeds []fzSeed
	add := func(name string, flags, params, threshold, level, chunk byte, msgs ...[]byte) {
		seeds = append(seeds, fzSeed{name: name, args: []any{fzdRTInput(flags, params, threshold, level, chunk, msgs...)}})
	}
	mixed := fzdRTMixed()
	for _, bits := range []int{8, 9, 12, 13, 15} {
		for _, noCtx := range []bool{false, true} {
			ctx := "context"
			if noCtx {
				ctx = "no-context"
			}
			add(fmt.Sprintf("server-%d-bits-%s", bits, ctx), fzdRTCloseAtEnd, fzdRTParams(noCtx, false, bits, 15), 0, 0, 0, mixed...)
			add(fmt.Sprintf("client-%d-bits-%s", bits, ctx), fzdRTWriterClient|fzdRTAPIReadAll, fzdRTParams(false, noCtx, 15, bits), 0, 6, 7, mixed...)
		}
	}
	add("level-9", fzdRTExactLimit, fzdRTParams(false, false, 15, 15), 0, 9, 0, mixed...)
	add("level-2-pieces", fzdRTAPIPieces|fzdRTEOFWithData, fzdRTParams(false, false, 15, 15), 0, 2, 3, mixed...)
	add("threshold-16", fzdRTAPIReuse|fzdRTCloseAtEnd, fzdRTParams(false, false, 10, 10), 4, 0, 1,
		fzdRTTextMsg(0, "aZ aZ"), fzdRTTextMsg(0, "aZ aZ aZ aZ aZ Z"), fzdRTTextMsg(fzdRTNextWriter, "aZ aZ"), fzdRTTextMsg(0, "aZ aZ aZ aZ aZ aZ aZ aZ aZ aZ aZ"), fzdRTPrevMsg(fzdRTText, 3, " aé", false))
	add("threshold-above-all", fzdRTWriterClient, fzdRTParams(false, false, 15, 15), 7, 0, 0, mixed...)
	add("compression-toggled", fzdRTCloseAtEnd|fzdRTExactLimit, fzdRTParams(false, false, 11, 11), 0, 0, 0,
		fzdRTTextMsg(0, "aZ€ aZ€ aZ€ aZ€ aZ€"), fzdRTTextMsg(fzdRTPlain, "aZ€ aZ€ aZ€ aZ€ aZ€"), fzdRTPrevMsg(fzdRTText, 0, "", false), fzdRTTextMsg(fzdRTPlain|fzdRTNextWriter, "ZZZ aaa ZZZ aaa"), fzdRTPrevMsg(fzdRTNextWriter, 3, "", false))
	add("empty-messages", fzdRTAPIReadAll, fzdRTParams(false, false, 15, 15), 0, 0, 0, fzdRTBinMsg(0, nil), fzdRTBinMsg(fzdRTNextWriter, nil), fzdRTTextMsg(0, ""), fzdRTTextMsg(fzdRTNextWriter|fzdRTPieces3, ""))
	add("large-frames", fzdRTWriterClient|fzdRTCloseAtEnd, fzdRTParams(false, false, 15, 15), 0, 1, 0,
		[]byte{fzdRTLarge, 255}, // 84405 bytes of the pattern, in 16 KiB frames
		[]byte{fzdRTLarge | fzdRTNextWriter | fzdRTPieces3, 255, 10, 100, 200})
	// Random data repeated far back, in the message and across messages:
	// the compressor must keep its back-references within its window.
	for _, bits := range []int{8, 10, 12, 15} {
		add(fmt.Sprintf("far-repeats-%d-bits", bits), fzdRTCloseAtEnd, fzdRTParams(false, false, bits, bits), 0, 0, 0, fzdRTFarRepeats(15)...)
	}
	add("far-repeats-13-bits-client", fzdRTWriterClient|fzdRTAPIPieces, fzdRTParams(false, false, 13, 13), 0, 4, 0, fzdRTFarRepeats(28)...)
	add("far-repeats-9-bits-no-context", 0, fzdRTParams(true, true, 9, 9), 0, 0, 0, fzdRTFarRepeats(2)...)
	add("window-8-repeats", 0, fzdRTParams(false, false, 8, 8), 0, 0, 0,
		fzdRTUnitMsg(fzdRTLarge, 3, "aZ aéZ€ a𝄞"), fzdRTPrevMsg(0, 0, "", false), fzdRTPrevMsg(0, 1, "\x00", false))
	return seeds
}

// fzdRTInput makes FuzzCompressRoundTrip's input: the flags, the byte of
// parameters (fzdRTParams), the threshold, the level and the size of the
// reader's reads, then the messages.
func fzdRTInput(flags, params, threshold, level, chunk byte, msgs ...[]byte) []byte {
	data := []byte{flags, params, threshold, level, chunk}
	for _, m := range msgs {
		data = append(data, m...)
	}
	return data
}

// fzdRTParams makes the byte of FuzzCompressRoundTrip's input that gives
// the permessage-deflate parameters.
func fzdRTParams(serverNoContext, clientNoContext bool, serverBits, clientBits int) byte {
	b := byte(serverBits-8)<<2 | byte(clientBits-8)<<5
	if serverNoContext {
		b |= 1
	}
	if clientNoContext {
		b |= 2
	}
	return b
}

// The messages of FuzzCompressRoundTrip's input (fzdRTMessages): flags,
// size, then what the content takes.

// fzdRTRunes returns s as fzRunes indexes, for fresh text.
func fzdRTRunes(s string) []byte {
	var b []byte
	for _, r := range s {
		i := slices.Index(fzRunes, string(r))
		if i < 0 {
			panic(fmt.Sprintf("no %q in fzRunes", r))
		}
		b = append(b, byte(i))
	}
	return b
}

// fzdRTTextRunes returns s as fresh text takes it: a byte per rune, and
// one more: the rune that does not fit, here one of 4 bytes.
func fzdRTTextRunes(s string) []byte { return append(fzdRTRunes(s), 15) }

// fzdRTTextMsg is a text message of fresh text s.
func fzdRTTextMsg(flags byte, s string) []byte {
	return append([]byte{fzdRTText | flags, byte(len(s))}, fzdRTTextRunes(s)...)
}

// fzdRTBinMsg is a binary message of fresh bytes b.
func fzdRTBinMsg(flags byte, b []byte) []byte { return append([]byte{flags, byte(len(b))}, b...) }

// fzdRTUnitMsg is a text message that repeats unit up to size.
func fzdRTUnitMsg(flags, size byte, unit string) []byte {
	return append([]byte{fzdRTText | fzdRTRepeated | flags, size, byte((len(unit) + 1) / 3)}, fzdRTTextRunes(unit)...)
}

// fzdRTBinUnitMsg repeats the 1+3k bytes that follow.
func fzdRTBinUnitMsg(flags, size, k byte) []byte {
	return append([]byte{fzdRTRepeated | flags, size, k}, utPayload(1+3*int(k))...)
}

// fzdRTPrevMsg repeats message k, then adds extra, then (twice) message k
// again.
func fzdRTPrevMsg(flags, k byte, extra string, twice bool) []byte {
	size := byte(len(extra))
	if twice {
		size |= 64
	}
	if flags&fzdRTText != 0 {
		return append([]byte{fzdRTPrevious | flags, size, k}, fzdRTTextRunes(extra)...)
	}
	return append([]byte{fzdRTPrevious | flags, size, k}, extra...)
}

// fzdRTBytesMsg is a message of size bytes c.
func fzdRTBytesMsg(flags, size, c byte) []byte { return []byte{fzdRTOneChar | flags, size, c} }

// fzdRTMixed is a mix of messages: text of each UTF-8 length, repeats,
// references to earlier messages, zeros, empty messages; whole and in
// pieces.
func fzdRTMixed() [][]byte {
	return [][]byte{
		fzdRTTextMsg(0, "aZ aéZ€ a𝄞"),
		fzdRTUnitMsg(fzdRTLarge, 100, "aé€𝄞 "), // 33100 bytes of a 9-byte unit
		fzdRTBinMsg(fzdRTNextWriter|fzdRTPieces3, []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x40, 0x80, 0xc0}),
		fzdRTPrevMsg(0, 1, "\x01\x02", false),
		fzdRTPrevMsg(fzdRTText, 0, "aZ", false),
		fzdRTBytesMsg(fzdRTLarge|fzdRTNextWriter|fzdRTPieces1, 200, 0x00), // 66200 zeros, in two writes
		fzdRTBinMsg(0, nil),
		fzdRTBinMsg(fzdRTNextWriter, nil),
	}
}

// fzdRTFarRepeats is random data (size 331s of it) repeated far back, in
// the message and across messages.
func fzdRTFarRepeats(size byte) [][]byte {
	return [][]byte{
		append([]byte{fzdRTLarge, size}, randomBytes(int(size)*331, 1)...),
		fzdRTPrevMsg(0, 0, "", true),
		fzdRTBinUnitMsg(fzdRTLarge, 10, 233), // 3310 bytes of a 700-byte unit
		append(fzdRTPrevMsg(fzdRTNextWriter|fzdRTPieces3, 0, "\x00\x01\x02\x03\x04\x05\x06\x07", false), 10, 20, 250),
	}
}
