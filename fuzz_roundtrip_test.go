package websocket

// FuzzRoundTrip: messages made from the input, framed by hand and read by a
// Conn, then sent by a Conn of the other role and read back; fzSource,
// which turns fuzz input into values; and the target's seeds.

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"testing"
)

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
		rt := fzNewRoundTrip(data)
		if d := fzDiffResults(fzRefRead(rt.stream, rt.cfg.client, rt.cfg.limit), rt.want); d != "" {
			t.Fatalf("the reference decoder disagrees with the frames built: %s", d)
		}

		// A Conn reads the frames.
		fzReadStream(t, rt.stream, rt.cfg, rt.want)

		// A Conn in the other role sends the messages.
		out := rt.send(t)
		sent := fzRefResult{msgs: rt.want.msgs, end: rt.want.end}
		if d := fzDiffResults(fzRefRead(out, rt.cfg.client, rt.cfg.limit), sent); d != "" {
			t.Fatalf("the Conn (client %v) sent frames that decode to %s", !rt.cfg.client, d)
		}
		fzReadStream(t, out, rt.cfg, sent)
	})
}

// fzRoundTrip is FuzzRoundTrip's input made into messages and the frames
// that carry them.
type fzRoundTrip struct {
	s             *fzSource
	cfg           fzReadConfig // how a Conn reads the frames; cfg.client is its role
	closeAtEnd    bool         // a close frame (code, reason) ends the frames
	useNextWriter bool         // the writing Conn sends with NextWriter
	code          StatusCode
	reason        string
	stream        []byte      // the frames, as the reader's peer sends them
	want          fzRefResult // what reading stream gives
	pieces        [][][]byte  // each message's fragments
}

// fzNewRoundTrip makes the messages and frames of data: a byte of flags
// (1 the reader is the client; 2 a close frame at the end; 4 the writer
// uses NextWriter; 8 io.EOF with the last bytes; bits 4-5 the read API, as
// fzReadConfig's; 0x40 a cancellable context; bits 6-7 the piece size),
// two sizes of the reader's reads, the close code and reason, then the
// messages (see message) while the input lasts, twelve at the most.
func fzNewRoundTrip(data []byte) *fzRoundTrip {
	s := &fzSource{b: data}
	flags := s.next()
	rt := &fzRoundTrip{s: s, closeAtEnd: flags&2 != 0, useNextWriter: flags&4 != 0}
	rt.cfg = fzReadConfig{
		client:      flags&1 != 0,
		limit:       DefaultReadLimit,
		chunks:      []byte{s.next(), s.next()},
		eofWithData: flags&8 != 0,
		api:         int(flags >> 4 & 3),
		cancelCtx:   flags&0x40 != 0,
		piece:       int(flags>>6)*5 + 1,
	}
	rt.code = fzSendableCodes[int(s.next())%len(fzSendableCodes)]
	rt.reason = string(s.text(int(s.next()) % (MaxCloseReason + 1)))
	for len(s.b) > 0 && len(rt.want.msgs) < 12 {
		rt.message()
	}
	rt.want.end = fzEnd{code: 1006}
	if rt.closeAtEnd {
		rt.frame(true, 8, append([]byte{byte(rt.code >> 8), byte(rt.code)}, rt.reason...))
		rt.want.end = fzEnd{code: rt.code, reason: rt.reason}
	}
	return rt
}

// frame appends a frame to the stream, masked with a key from the input
// when the reader is the server.
func (rt *fzRoundTrip) frame(fin bool, op byte, payload []byte) {
	var key *[4]byte
	if !rt.cfg.client {
		k := rt.s.next()
		key = &[4]byte{k, k ^ 0x5a, k + 0x3c, ^k}
	}
	rt.stream = append(rt.stream, fzEncodeFrame(fin, 0, op, key, payload)...)
}

// control appends a ping (op 9) or a pong (10) with a payload from the
// input.
func (rt *fzRoundTrip) control(op byte) {
	p := rt.s.take(int(rt.s.next()) % 126)
	rt.frame(true, op, p)
	if op == 9 {
		rt.want.pings = append(rt.want.pings, p)
	}
}

// message makes a message of the input and appends its frames: a byte of
// flags (1 text; 2 and 4 the number of cuts into fragments; 8 a ping and
// 0x10 a pong between fragments; 0x20 a ping after it), a size byte (with
// 0x80, up to 16383 bytes) and where the cuts fall.
func (rt *fzRoundTrip) message() {
	s := rt.s
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
			rt.control(9)
		}
		if i > 0 && h&0x10 != 0 {
			rt.control(10)
		}
		op := byte(0)
		if i == 0 {
			op = byte(typ)
		}
		frag := payload[cuts[i]:cuts[i+1]]
		rt.frame(i+2 == len(cuts), op, frag)
		frags = append(frags, frag)
	}
	if h&0x20 != 0 {
		rt.control(9)
	}
	rt.want.msgs = append(rt.want.msgs, fzMessage{typ, payload})
	rt.pieces = append(rt.pieces, frags)
}

// send has a Conn in the other role than the reader's send the messages,
// and its Close when the frames end with a close frame, and returns what
// it wrote.
func (rt *fzRoundTrip) send(t *testing.T) []byte {
	t.Helper()
	wnc := &fzConn{}
	w := newConn(wnc, !rt.cfg.client, "", nil)
	w.SetCloseTimeout(fzCloseTimeout)
	var werr error
	fzBounded(t, "writing", func() {
		ctx := context.Background()
		for i, m := range rt.want.msgs {
			if !rt.useNextWriter {
				if werr = w.WriteMessage(ctx, m.typ, m.data); werr != nil {
					return
				}
				continue
			}
			if werr = fzStream(ctx, w, m.typ, rt.pieces[i]); werr != nil {
				return
			}
		}
		if rt.closeAtEnd {
			// The fake peer never answers, so Close times out; its
			// close frame is sent all the same.
			w.Close(rt.code, rt.reason)
		}
	})
	if werr != nil {
		t.Fatalf("writing the messages: %v", werr)
	}
	return wnc.out
}

// fzStream writes one message of type typ through NextWriter, with a Write
// call per piece.
func fzStream(ctx context.Context, c *Conn, typ MessageType, pieces [][]byte) error {
	mw, err := c.NextWriter(ctx, typ)
	if err != nil {
		return err
	}
	for _, p := range pieces {
		if n, err := mw.Write(p); n != len(p) || err != nil {
			return fmt.Errorf("Write of %d bytes: %d, %v", len(p), n, err)
		}
	}
	return mw.Close()
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
