package websocket

// Conformance cases of category 9 (the runner is in conformance_test.go):
// messages of up to 16 MiB, whole, fragmented and written in chunks, a
// thousand small ones in turn, and the read limit, which fails the
// connection with 1009 (RFC 6455 section 7.4.1) as soon as a header
// announces too much.

import (
	"fmt"
	"net"
	"time"
)

// ---------------------------------------------------------------------
// 9 Limits and throughput

func confLimits(cs *[]confCase) {
	kinds := []struct {
		op   Opcode
		name string
		gen  func(int) []byte
	}{{OpText, "text", confText}, {OpBinary, "binary", confBinary}}
	sizes := []int{64 << 10, 256 << 10, 1 << 20, 4 << 20, 8 << 20, 16 << 20}
	for i, k := range kinds {
		c := newConfCat(cs, fmt.Sprintf("9.%d", 1+i))
		for _, n := range sizes {
			c.add(fmt.Sprintf("%s message of %s in one frame, one write: echoed intact", k.name, confSize(n)), func(x *confScript) {
				msg := k.gen(n)
				x.send(true, k.op, msg)
				x.expectMessage(k.op, msg)
				x.bye()
			})
		}
	}
	fragSizes := []int{64, 256, 1 << 10, 4 << 10, 16 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20}
	for i, k := range kinds {
		c := newConfCat(cs, fmt.Sprintf("9.%d", 3+i))
		for _, f := range fragSizes {
			c.add(fmt.Sprintf("%s message of 4 MiB in fragments of %s, one write: echoed intact", k.name, confSize(f)), func(x *confScript) {
				msg := k.gen(4 << 20)
				x.write(x.fragments(k.op, msg, f))
				x.expectMessage(k.op, msg)
				x.bye()
			})
		}
	}
	for i, k := range kinds {
		c := newConfCat(cs, fmt.Sprintf("9.%d", 5+i))
		for _, chop := range []int{64, 128, 256, 512, 1024, 2048} {
			c.add(fmt.Sprintf("%s message of 1 MiB in one frame written in chunks of %d bytes: echoed intact", k.name, chop), func(x *confScript) {
				msg := k.gen(1 << 20)
				x.p.writeChunks(x.frame(true, k.op, msg), chop, 0)
				x.expectMessage(k.op, msg)
				x.bye()
			})
		}
	}
	for i, k := range kinds {
		c := newConfCat(cs, fmt.Sprintf("9.%d", 7+i))
		for _, n := range []int{0, 16, 64, 256, 1024, 4096} {
			c.add(fmt.Sprintf("1000 %s messages of %d bytes, each echoed before the next is sent", k.name, n), func(x *confScript) {
				for j := 0; j < 1000; j++ {
					msg := k.gen(n)
					if n > 0 {
						msg[0] = byte('A' + j%26) // tell the messages apart
					}
					x.send(true, k.op, msg)
					x.expectMessage(k.op, msg)
				}
				x.bye()
			})
		}
	}
	c := newConfCat(cs, "9.9")
	for _, v := range []struct {
		k     int
		n     int
		chunk int
	}{{0, 1 << 20, 64 << 10}, {1, 1 << 20, 4 << 10}, {1, 4 << 20, 64 << 10}, {0, 4 << 20, 16 << 10}} {
		k := kinds[v.k]
		c.add(fmt.Sprintf("%s frame of %s written in chunks of %s: echoed intact", k.name, confSize(v.n), confSize(v.chunk)), func(x *confScript) {
			msg := k.gen(v.n)
			x.p.writeChunks(x.frame(true, k.op, msg), v.chunk, 0)
			x.expectMessage(k.op, msg)
			x.bye()
		})
	}
	c = newConfCat(cs, "9.10")
	limit := func(c *Conn) { c.SetReadLimit(1000) }
	c.addCase(confCase{
		desc:  "read limit 1000: a message of 1000 bytes echoed; the header of one of 1001 bytes alone: 1009 (7.4.1) before its payload is sent",
		setup: limit,
		run: func(x *confScript) {
			x.send(true, OpBinary, confBinary(1000))
			x.expectMessage(OpBinary, confBinary(1000))
			hdr, payload := split(x.frame(true, OpBinary, confBinary(1001)), 1001)
			x.write(hdr)
			x.failsFast(StatusMessageTooBig, payload)
		},
	})
	c.addCase(confCase{
		desc:  "read limit 1000: fragments of 600 and 401 bytes: 1009 when the second one's header arrives, before its payload is sent",
		setup: limit,
		run: func(x *confScript) {
			x.send(false, OpText, confASCII(600))
			hdr, payload := split(x.frame(true, OpContinuation, confASCII(401)), 401)
			x.write(hdr)
			x.failsFast(StatusMessageTooBig, payload)
		},
	})
	c.addCase(confCase{
		desc:  "default read limit (32 MiB): the header of a 32 MiB + 1 message, alone: 1009 before any payload is sent",
		setup: func(c *Conn) { c.SetCloseTimeout(500 * time.Millisecond) }, // the payload never comes
		run: func(x *confScript) {
			h := FrameHeader{Fin: true, Opcode: OpBinary, Length: DefaultReadLimit + 1, Masked: x.p.client, Mask: confMaskKey}
			x.write(AppendFrameHeader(nil, h))
			x.expectCloseWithin(StatusMessageTooBig, confFailFast)
			x.afterClose(x.frame(true, OpClose, closePayload(StatusMessageTooBig, "")))
			if !x.serverUnderTest() {
				x.p.nc.(*net.TCPConn).CloseWrite()
			}
			x.p.expectTCPClosed()
			x.wantProtocolError(StatusMessageTooBig)
		},
	})
}

func confSize(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
