package websocket

// Conformance cases of categories 1 to 4 (the runner is in
// conformance_test.go): data frames of every length form (RFC 6455 section
// 5.2), pings and pongs (5.5.2, 5.5.3), reserved bits and reserved opcodes
// (5.2).

import (
	"fmt"
	"time"
)

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
		x.write(x.wrongMaskFrame(FrameHeader{Fin: true, Opcode: OpText}, []byte("masked wrongly")))
		x.fails(StatusProtocolError)
	})
	c.add("ping masked as the other role would (5.1): 1002, no pong", func(x *confScript) {
		x.write(x.wrongMaskFrame(FrameHeader{Fin: true, Opcode: OpPing}, []byte("masked wrongly")))
		x.fails(StatusProtocolError)
	})
	c.add("fragmented text whose continuation is masked as the other role would (5.1): 1002, no echo", func(x *confScript) {
		x.write(x.frame(false, OpText, []byte("first half, ")),
			x.wrongMaskFrame(FrameHeader{Fin: true, Opcode: OpContinuation}, []byte("second half masked wrongly")))
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
	// tenPings sends ten pings with distinct payloads through write and
	// expects their pongs in order.
	tenPings := func(x *confScript, write func(parts ...[]byte)) {
		var b []byte
		var payloads [][]byte
		for i := 0; i < 10; i++ {
			p := []byte(fmt.Sprintf("payload-%d", i))
			payloads = append(payloads, p)
			b = append(b, x.frame(true, OpPing, p)...)
		}
		write(b)
		for _, p := range payloads {
			x.expectPong(p)
		}
		x.bye()
	}
	c.add("10 pings with distinct payloads in one write: 10 pongs, in the same order", func(x *confScript) {
		tenPings(x, x.write)
	})
	c.add("10 pings with distinct payloads written a byte per write: 10 pongs, in the same order", func(x *confScript) {
		tenPings(x, x.writeBytewise)
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
		x.sendAfterClose(x.frame(true, OpPing, []byte("too late")))
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
		x.write(x.hframe(rsv(FrameHeader{Fin: true, Opcode: OpText}, 1), hello))
		x.fails(StatusProtocolError)
	})
	threeFrames := func(x *confScript, v int) [][]byte {
		return [][]byte{
			x.frame(true, OpText, hello),
			x.hframe(rsv(FrameHeader{Fin: true, Opcode: OpText}, v), hello),
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
		x.write(x.hframe(rsv(FrameHeader{Fin: true, Opcode: OpBinary}, 5), []byte{0, 1, 2, 3, 4, 5, 6, 7}))
		x.fails(StatusProtocolError)
	})
	c.add("ping with RSV=6: 1002, no pong", func(x *confScript) {
		x.write(x.hframe(rsv(FrameHeader{Fin: true, Opcode: OpPing}, 6), hello))
		x.fails(StatusProtocolError)
	})
	c.add("close 1000 with RSV=7: 1002, not an echo of 1000", func(x *confScript) {
		x.write(x.hframe(rsv(FrameHeader{Fin: true, Opcode: OpClose}, 7), closePayload(StatusNormalClosure, "")))
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
				hdr, payload := split(x.hframe(rsv(FrameHeader{Fin: true, Opcode: k.op}, v), k.payload), len(k.payload))
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
