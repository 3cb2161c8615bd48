package websocket

// Conformance cases of categories 5 and 10 (the runner is in
// conformance_test.go): fragmented messages as the peer sends them, control
// frames among the fragments (RFC 6455 section 5.4), and the frames our side
// makes of a message written in pieces through NextWriter.

import (
	"bytes"
	"context"
	"fmt"
	"time"
)

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

	confFragmentationOwn(cs, c)
}

// confFragmentationOwn adds the cases of category 5 on the messages the package
// fragments itself.
func confFragmentationOwn(cs *[]confCase, c *confCat) {
	// Our own.
	c.add("text message of 1000 one-byte fragments in one write: echoed whole", func(x *confScript) {
		msg := confText(1000)
		x.write(x.fragments(OpText, msg, 1))
		x.expectMessage(OpText, msg)
		x.bye()
	})
	c.add("binary message of 300 one-byte fragments written a byte per write: echoed whole", func(x *confScript) {
		msg := confBinary(300)
		x.writeBytewise(x.fragments(OpBinary, msg, 1))
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
	confFragmentationPings(cs, c)
}

// confFragmentationPings adds the cases of category 5 with control frames
// between many fragments and fragments of several messages back to back.
func confFragmentationPings(cs *[]confCase, c *confCat) {
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
	write := confStreamWrite(plan)
	return func(c *Conn) error {
		ctx := context.Background()
		for {
			typ, msg, err := c.ReadMessage(ctx, nil)
			if err != nil {
				return err
			}
			if err := write(c, typ, msg); err != nil {
				return err
			}
		}
	}
}

// confStreamWrite sends msg back through NextWriter, in Writes of the sizes
// plan gives: confStreamEcho's writing, and in the events role what the
// EventLoop's handler does with each message.
func confStreamWrite(plan confWritePlan) func(c *Conn, typ MessageType, msg []byte) error {
	return func(c *Conn, typ MessageType, msg []byte) error {
		w, err := c.NextWriter(context.Background(), typ)
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
		return w.Close()
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
				echo: confStreamWrite(p.plan),
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
