package websocket

// Conformance cases of category 7 (the runner is in conformance_test.go):
// the closing handshake (RFC 6455 sections 5.5.1 and 7), the close codes that
// may and may not be sent (7.4), close reasons, and what follows a close.

import (
	"bytes"
	"fmt"
	"time"
)

// confCloseFrame is a close frame with code and reason as x's peer sends it.
func confCloseFrame(x *confScript, code StatusCode, reason string) []byte {
	return x.frame(true, OpClose, closePayload(code, reason))
}

// ---------------------------------------------------------------------
// 7 Closing

func confClosing(cs *[]confCase) {
	c := newConfCat(cs, "7.1")
	c.add("text message, then close 1000: the echo, then the close answered with 1000", func(x *confScript) {
		x.send(true, OpText, []byte("Hello World!"))
		x.expectMessage(OpText, []byte("Hello World!"))
		x.send(true, OpClose, closePayload(StatusNormalClosure, ""))
		x.closeAnswered(StatusNormalClosure, StatusNormalClosure, "")
	})
	c.add("two close frames in one write: a single close answers, nothing after it", func(x *confScript) {
		x.write(confCloseFrame(x, StatusNormalClosure, ""), confCloseFrame(x, StatusNormalClosure, ""))
		x.closeAnswered(StatusNormalClosure, StatusNormalClosure, "")
	})
	c.add("close, then ping, in one write: the close answered, no pong", func(x *confScript) {
		x.write(confCloseFrame(x, StatusNormalClosure, ""), x.frame(true, OpPing, []byte("Hello World!")))
		x.closeAnswered(StatusNormalClosure, StatusNormalClosure, "")
	})
	c.add("close, then a text message, in one write: the close answered, no echo (5.5.1)", func(x *confScript) {
		x.write(confCloseFrame(x, StatusNormalClosure, ""), x.frame(true, OpText, []byte("Hello World!")))
		x.closeAnswered(StatusNormalClosure, StatusNormalClosure, "")
	})
	c.add("first fragment of a text message, close, last fragment, one write: the close answered, no echo", func(x *confScript) {
		x.write(x.frame(false, OpText, []byte("fragment1")), confCloseFrame(x, StatusNormalClosure, ""), x.frame(true, OpContinuation, []byte("fragment2")))
		x.closeAnswered(StatusNormalClosure, StatusNormalClosure, "")
	})
	c.add("text message of 256 KiB, close, ping, in one write: the echo or not (it came before the close), then the close, no pong", func(x *confScript) {
		msg := confText(256 << 10)
		x.write(x.frame(true, OpText, msg), confCloseFrame(x, StatusNormalClosure, ""), x.frame(true, OpPing, []byte("no pong")))
		h, p := x.next()
		if h.Opcode != OpClose {
			x.expectMessageFrom(h, p, OpText, msg)
			h, p = x.next()
		}
		if code, _ := x.checkClose(h, p, StatusNormalClosure); code != StatusNormalClosure {
			x.t.Fatalf("got close with %v, want 1000", code)
		}
		x.finishTCP()
		wantCloseError(x.t, x.s.result(), StatusNormalClosure, "")
	})
	c.add("close; once it is answered, a second close: nothing more comes", func(x *confScript) {
		x.sendAfterClose(confCloseFrame(x, StatusNormalClosure, ""))
	})

	// The package starting the closing handshake.
	c = newConfCat(cs, "7.2")
	initiated := func(code StatusCode, reason string, run func(x *confScript)) confCase {
		return confCase{
			desc:       fmt.Sprintf("the package calls Close(%d, %d-byte reason): the peer gets that close frame and answers, the TCP connection ends (server first), Close returns nil", uint16(code), len(reason)),
			loop:       func(c *Conn) error { return c.Close(code, reason) },
			loopWrites: true,
			run:        run,
		}
	}
	answer := func(x *confScript, code StatusCode, reason string, before ...[]byte) {
		x.t.Helper()
		if got := x.expectClose(code); got != reason {
			x.t.Fatalf("got close reason %q, want %q", got, reason)
		}
		x.write(append(before, x.frame(true, OpClose, closePayload(code, "")))...)
		x.finishTCP()
		if err := x.s.result(); err != nil {
			x.t.Fatalf("Close returned %v", err)
		}
	}
	c.addCase(initiated(StatusNormalClosure, "bye", func(x *confScript) { answer(x, StatusNormalClosure, "bye") }))
	long := string(bytes.Repeat([]byte("ü"), MaxCloseReason/2)) + "!"
	c.addCase(initiated(4000, long, func(x *confScript) { answer(x, 4000, long) }))
	k := initiated(0, "", func(x *confScript) { answer(x, 0, "") })
	k.desc = "the package calls Close(0, \"\"): the peer gets a close frame with an empty payload and answers likewise, Close returns nil"
	c.addCase(k)
	k = initiated(StatusGoingAway, "", func(x *confScript) {
		answer(x, StatusGoingAway, "", x.frame(true, OpText, []byte("sent before the peer saw the close")), x.frame(true, OpPing, []byte("no pong")))
	})
	k.desc = "the package calls Close(1001): the peer sends a message and a ping before answering: neither is answered, Close returns nil"
	c.addCase(k)

	confClosePayloads(cs, c)
}

// confClosePayloads adds the cases of category 7 on the structure of close
// frames: payload lengths, codes and reasons.
func confClosePayloads(cs *[]confCase, c *confCat) {
	// Close frame structure.
	c = newConfCat(cs, "7.3")
	c.add("close with an empty payload: answered with an empty close", func(x *confScript) {
		x.send(true, OpClose, nil)
		x.closeAnswered(0, StatusNoStatusReceived, "")
	})
	c.add("close with a 1-byte payload (5.5.1): 1002", func(x *confScript) {
		x.send(true, OpClose, []byte{0x03})
		x.closeRejected(StatusProtocolError)
	})
	c.add("close 1000 without reason: answered with 1000", func(x *confScript) {
		x.send(true, OpClose, closePayload(StatusNormalClosure, ""))
		x.closeAnswered(StatusNormalClosure, StatusNormalClosure, "")
	})
	c.add("close 1000 with a short reason: answered with 1000, the reason reported", func(x *confScript) {
		x.send(true, OpClose, closePayload(StatusNormalClosure, "Hello World!"))
		x.closeAnswered(StatusNormalClosure, StatusNormalClosure, "Hello World!")
	})
	reason123 := string(confASCII(123))
	c.add("close 1000 with a 123-byte reason (a 125-byte payload): answered with 1000, the reason reported", func(x *confScript) {
		x.send(true, OpClose, closePayload(StatusNormalClosure, reason123))
		x.closeAnswered(StatusNormalClosure, StatusNormalClosure, reason123)
	})
	c.add("close 1000 with a 124-byte reason (a 126-byte payload, 5.5): 1002", func(x *confScript) {
		x.send(true, OpClose, append(closePayload(StatusNormalClosure, ""), confASCII(124)...))
		x.fails(StatusProtocolError)
	})
	c.add("header of a close announcing 126 bytes, alone: 1002 before the payload is sent", func(x *confScript) {
		payload := append(closePayload(StatusNormalClosure, ""), confASCII(124)...)
		hdr, rest := split(x.frame(true, OpClose, payload), len(payload))
		x.write(hdr)
		x.failsFast(StatusProtocolError, rest)
	})
	reasonMB := string(bytes.Repeat([]byte("€"), 41)) // 123 bytes
	c.add("close 1000 with a 123-byte reason of 3-byte code points: answered with 1000, the reason reported", func(x *confScript) {
		x.send(true, OpClose, closePayload(StatusNormalClosure, reasonMB))
		x.closeAnswered(StatusNormalClosure, StatusNormalClosure, reasonMB)
	})

	c = newConfCat(cs, "7.5")
	for _, r := range []struct {
		desc   string
		reason string
	}{
		{"a surrogate", confKosme + "\xed\xa0\x80edited"},
		{"a code point cut at its end", "bye \xe2\x82"},
		{"an overlong form", "bye \xc0\xaf"},
		{"the byte 0xff", "bye \xff"},
	} {
		c.add(fmt.Sprintf("close 1000 with a reason that is not UTF-8 (%s, 5.5.1): 1007", r.desc), func(x *confScript) {
			x.send(true, OpClose, closePayload(StatusNormalClosure, r.reason))
			x.closeRejected(StatusInvalidFramePayloadData)
		})
	}

	c = newConfCat(cs, "7.7")
	for _, code := range []StatusCode{1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999} {
		c.add(fmt.Sprintf("close with the valid code %d (7.4): answered with %d", uint16(code), uint16(code)), func(x *confScript) {
			x.send(true, OpClose, closePayload(code, ""))
			x.closeAnswered(code, code, "")
		})
	}
	c = newConfCat(cs, "7.9")
	for _, code := range []int{0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535} {
		c.add(fmt.Sprintf("close with the code %d, which may not be sent (7.4): 1002", code), func(x *confScript) {
			x.send(true, OpClose, []byte{byte(code >> 8), byte(code)})
			x.closeRejected(StatusProtocolError)
		})
	}

	c = newConfCat(cs, "7.13")
	c.add("close 1000 written a byte per write: answered with 1000", func(x *confScript) {
		x.writeBytewise(confCloseFrame(x, StatusNormalClosure, "slowly"))
		x.closeAnswered(StatusNormalClosure, StatusNormalClosure, "slowly")
	})
	c.add("close 1000: the header alone, a pause, then the payload: answered with 1000", func(x *confScript) {
		payload := closePayload(StatusNormalClosure, "split")
		hdr, rest := split(x.frame(true, OpClose, payload), len(payload))
		x.writeEach(20*time.Millisecond, hdr, rest)
		x.closeAnswered(StatusNormalClosure, StatusNormalClosure, "split")
	})
	c.add("ping, close, ping, in one write: a pong for the first ping, the close answered, nothing for the second", func(x *confScript) {
		x.write(x.frame(true, OpPing, []byte("first")), confCloseFrame(x, StatusNormalClosure, ""), x.frame(true, OpPing, []byte("second")))
		x.expectPong([]byte("first"))
		x.closeAnswered(StatusNormalClosure, StatusNormalClosure, "")
	})
	c.add("after the closing handshake the server closes TCP first: our server at once, our client only once the server has (7.1.1)", func(x *confScript) {
		x.send(true, OpClose, closePayload(StatusNormalClosure, ""))
		x.expectClose(StatusNormalClosure)
		if !x.serverUnderTest() {
			// The client keeps the connection open for the server to close.
			x.p.expectNothingWithin(300 * time.Millisecond)
		}
		x.finishTCP()
		wantCloseError(x.t, x.s.result(), StatusNormalClosure, "")
	})
	c.add("a text message sent after the close is answered: ignored, nothing more comes", func(x *confScript) {
		x.sendAfterClose(x.frame(true, OpText, []byte("too late")))
	})
}
