package websocket

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
)

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
			h := FrameHeader{Fin: true, Rsv1: true, Rsv2: true, Opcode: OpText, Length: int64(len(p)), Masked: z.client, Mask: [4]byte{1, 2, 3, 4}}
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
