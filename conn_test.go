package websocket

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"
)

// TestFramingViolations sends frames that section 5 forbids and checks that
// each fails the connection with the status code it calls for.
func TestFramingViolations(t *testing.T) {
	type tc struct {
		name  string
		bytes func(p *rawPeer) []byte
		code  StatusCode
	}
	frame := func(h0 FrameHeader, payload []byte) func(p *rawPeer) []byte {
		return func(p *rawPeer) []byte {
			h := h0
			if p.client {
				h.Masked = true
				h.Mask = [4]byte{1, 2, 3, 4}
			}
			return encodeFrame(h, payload)
		}
	}
	seq := func(fs ...func(p *rawPeer) []byte) func(p *rawPeer) []byte {
		return func(p *rawPeer) []byte {
			var b []byte
			for _, f := range fs {
				b = append(b, f(p)...)
			}
			return b
		}
	}
	raw := func(b0 ...byte) func(p *rawPeer) []byte {
		return func(p *rawPeer) []byte {
			b := append([]byte(nil), b0...)
			if p.client {
				b[1] |= 0x80
				b = append(b, 0, 0, 0, 0)
			}
			return b
		}
	}
	cases := []tc{
		{"rsv1", frame(FrameHeader{Fin: true, Rsv1: true, Opcode: OpText, Length: 2}, []byte("hi")), StatusProtocolError},
		{"rsv2", frame(FrameHeader{Fin: true, Rsv2: true, Opcode: OpText, Length: 2}, []byte("hi")), StatusProtocolError},
		{"rsv3", frame(FrameHeader{Fin: true, Rsv3: true, Opcode: OpBinary, Length: 2}, []byte("hi")), StatusProtocolError},
		{"rsv-on-ping", frame(FrameHeader{Fin: true, Rsv1: true, Opcode: OpPing}, nil), StatusProtocolError},
		{"control-too-long", frame(FrameHeader{Fin: true, Opcode: OpPing, Length: 126}, make([]byte, 126)), StatusProtocolError},
		{"fragmented-ping", frame(FrameHeader{Opcode: OpPing, Length: 1}, []byte("x")), StatusProtocolError},
		{"fragmented-close", frame(FrameHeader{Opcode: OpClose, Length: 2}, []byte{3, 232}), StatusProtocolError},
		{"continuation-without-start", frame(FrameHeader{Fin: true, Opcode: OpContinuation, Length: 2}, []byte("hi")), StatusProtocolError},
		{"new-message-inside-fragmented", seq(
			frame(FrameHeader{Opcode: OpText, Length: 2}, []byte("hi")),
			frame(FrameHeader{Fin: true, Opcode: OpText, Length: 2}, []byte("hi"))), StatusProtocolError},
		{"binary-inside-fragmented-text", seq(
			frame(FrameHeader{Opcode: OpText, Length: 2}, []byte("hi")),
			frame(FrameHeader{Fin: true, Opcode: OpBinary, Length: 2}, []byte("hi"))), StatusProtocolError},
		{"length-126-form-holding-125", raw(0x82, 126, 0, 125), StatusProtocolError},
		{"length-127-form-holding-65535", raw(0x82, 127, 0, 0, 0, 0, 0, 0, 0xff, 0xff), StatusProtocolError},
		{"length-top-bit-set", raw(0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 1), StatusProtocolError},
		{"close-1-byte", frame(FrameHeader{Fin: true, Opcode: OpClose, Length: 1}, []byte{3}), StatusProtocolError},
		{"close-reason-not-utf8", frame(FrameHeader{Fin: true, Opcode: OpClose, Length: 4}, []byte{3, 232, 0xff, 0xfe}), StatusInvalidFramePayloadData},
		{"text-not-utf8", frame(FrameHeader{Fin: true, Opcode: OpText, Length: 3}, []byte{'a', 0xc0, 0x80}), StatusInvalidFramePayloadData},
		{"text-ends-inside-sequence", frame(FrameHeader{Fin: true, Opcode: OpText, Length: 2}, []byte{'a', 0xe2}), StatusInvalidFramePayloadData},
		{"text-fragments-end-inside-sequence", seq(
			frame(FrameHeader{Opcode: OpText, Length: 2}, []byte{'a', 0xe2}),
			frame(FrameHeader{Fin: true, Opcode: OpContinuation, Length: 1}, []byte{0x82})), StatusInvalidFramePayloadData},
	}
	for _, op := range []Opcode{3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf} {
		cases = append(cases, tc{fmt.Sprintf("reserved-opcode-%#x", byte(op)), frame(FrameHeader{Fin: true, Opcode: op}, nil), StatusProtocolError})
	}
	for _, code := range []int{0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535} {
		cases = append(cases, tc{fmt.Sprintf("close-code-%d", code), frame(FrameHeader{Fin: true, Opcode: OpClose, Length: 2}, []byte{byte(code >> 8), byte(code)}), StatusProtocolError})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			bothSides(t, nil, nil, func(t *testing.T, s side) {
				s.peer.write(c.bytes(s.peer))
				finishFailure(t, s, c.code)
			})
		})
	}
}

// TestWrongMasking checks section 5.1: a server fails a connection on an
// unmasked frame, a client on a masked one.
func TestWrongMasking(t *testing.T) {
	bothSides(t, nil, nil, func(t *testing.T, s side) {
		h := FrameHeader{Fin: true, Opcode: OpText, Length: 2, Masked: !s.peer.client, Mask: [4]byte{9, 9, 9, 9}}
		s.peer.write(encodeFrame(h, []byte("hi")))
		finishFailure(t, s, StatusProtocolError)
	})
}

// TestReadLimit checks that a message over the read limit fails the
// connection with 1009 as soon as a header announces it, before any of its
// payload is sent or buffered. After its close frame the package still
// reads the frames the peer had under way, looking for the peer's close.
func TestReadLimit(t *testing.T) {
	setup := func(c *Conn) { c.SetReadLimit(1000) }
	t.Run("single-frame", func(t *testing.T) {
		bothSides(t, setup, nil, func(t *testing.T, s side) {
			s.peer.send(true, OpBinary, make([]byte, 1000)) // at the limit: fine
			s.peer.expectMessage(OpBinary, make([]byte, 1000))
			frame := s.peer.frame(true, OpBinary, make([]byte, 1001))
			hl := len(frame) - 1001
			s.peer.write(frame[:hl]) // the header alone
			s.peer.expectClose(StatusMessageTooBig)
			s.peer.write(frame[hl:]) // the rest of the frame, then the close
			finishAfterClose(t, s, StatusMessageTooBig)
		})
	})
	t.Run("fragments-add-up", func(t *testing.T) {
		bothSides(t, setup, nil, func(t *testing.T, s side) {
			s.peer.send(false, OpText, bytes.Repeat([]byte("a"), 600))
			frame := s.peer.frame(true, OpContinuation, bytes.Repeat([]byte("a"), 401))
			hl := len(frame) - 401
			s.peer.write(frame[:hl])
			s.peer.expectClose(StatusMessageTooBig)
			s.peer.write(frame[hl:])
			finishAfterClose(t, s, StatusMessageTooBig)
		})
	})
	t.Run("huge-length", func(t *testing.T) {
		// The payload announced never comes: the package gives up waiting
		// for it after the close timeout.
		setup := func(c *Conn) { c.SetCloseTimeout(200 * time.Millisecond) }
		bothSides(t, setup, nil, func(t *testing.T, s side) {
			h := FrameHeader{Fin: true, Opcode: OpBinary, Length: 1 << 62, Masked: s.peer.client}
			s.peer.write(AppendFrameHeader(nil, h))
			s.peer.expectClose(StatusMessageTooBig)
			s.peer.expectTCPClosed()
			var pe *ProtocolError
			if err := s.result(); !errors.As(err, &pe) || pe.Code != StatusMessageTooBig {
				t.Fatalf("got %v, want a ProtocolError with 1009", err)
			}
		})
	})
}

// TestUTF8FailFast checks section 8.1 on fragmented text: a message is
// failed with 1007 at the fragment holding the first invalid byte, without
// waiting for the rest of the message.
func TestUTF8FailFast(t *testing.T) {
	bothSides(t, nil, nil, func(t *testing.T, s side) {
		s.peer.send(false, OpText, []byte("valid so far "))
		s.peer.send(false, OpContinuation, []byte{0xed})            // could still be valid
		s.peer.send(false, OpContinuation, []byte{0xa0, 0x80, 'x'}) // a surrogate: invalid
		// The message never ends; the close must come anyway.
		finishFailure(t, s, StatusInvalidFramePayloadData)
	})
}

// TestUTF8AcrossFrames checks that valid text split across fragments at
// every byte position is accepted, and invalid text is refused wherever it
// is split.
func TestUTF8AcrossFrames(t *testing.T) {
	valid := []byte("κόσμε 𝄞 €")
	bothSides(t, nil, nil, func(t *testing.T, s side) {
		for i := 0; i <= len(valid); i++ {
			s.peer.send(false, OpText, valid[:i])
			s.peer.send(true, OpContinuation, valid[i:])
			s.peer.expectMessage(OpText, valid)
		}
	})
	invalid := []byte("ab\xf4\x90\x80\x80cd") // above U+10FFFF
	for i := 0; i <= len(invalid); i++ {
		t.Run(fmt.Sprintf("invalid-split-%d", i), func(t *testing.T) {
			bothSides(t, nil, nil, func(t *testing.T, s side) {
				s.peer.send(false, OpText, invalid[:i])
				s.peer.send(true, OpContinuation, invalid[i:])
				finishFailure(t, s, StatusInvalidFramePayloadData)
			})
		})
	}
}

// TestFragmentationWithControlFrames checks sections 5.4 and 5.5: control
// frames between the fragments of a message are answered at once, and the
// message arrives whole.
func TestFragmentationWithControlFrames(t *testing.T) {
	bothSides(t, nil, nil, func(t *testing.T, s side) {
		s.peer.send(false, OpText, []byte("Hel"))
		s.peer.send(true, OpPing, []byte("first ping"))
		s.peer.expectFrame(true, OpPong, []byte("first ping"))
		s.peer.send(false, OpContinuation, []byte("lo"))
		s.peer.send(true, OpPong, []byte("unsolicited")) // ignored
		s.peer.send(true, OpPing, bytes.Repeat([]byte("p"), 125))
		s.peer.expectFrame(true, OpPong, bytes.Repeat([]byte("p"), 125))
		s.peer.send(false, OpContinuation, nil)
		s.peer.send(true, OpContinuation, []byte(", world"))
		s.peer.expectMessage(OpText, []byte("Hello, world"))

		// Many small fragments, written a byte at a time.
		var b []byte
		want := make([]byte, 300)
		for i := range want {
			want[i] = byte(i)
			op := OpContinuation
			if i == 0 {
				op = OpBinary
			}
			b = append(b, s.peer.frame(i == len(want)-1, op, want[i:i+1])...)
		}
		s.peer.writeChunks(b, 1, 0)
		s.peer.expectMessage(OpBinary, want)
	})
}

// TestEchoSizes echoes messages across the length encodings of section
// 5.2, sent whole and a byte at a time.
func TestEchoSizes(t *testing.T) {
	bothSides(t, nil, nil, func(t *testing.T, s side) {
		for _, n := range []int{0, 1, 125, 126, 127, 128, 65535, 65536, 1 << 20} {
			msg := bytes.Repeat([]byte("0123456789"), n/10+1)[:n]
			s.peer.send(true, OpText, msg)
			s.peer.expectMessage(OpText, msg)
			s.peer.send(true, OpBinary, msg)
			s.peer.expectMessage(OpBinary, msg)
			if n <= 65536 {
				s.peer.writeChunks(s.peer.frame(true, OpBinary, msg), max(1, n/64), 0)
				s.peer.expectMessage(OpBinary, msg)
			}
		}
	})
}

// TestControlFrameBetweenFragments checks that a ping can go out between
// the frames of a message being streamed by NextWriter.
func TestControlFrameBetweenFragments(t *testing.T) {
	for _, role := range []string{"server", "client"} {
		t.Run(role, func(t *testing.T) {
			pinged := make(chan struct{})
			sent := make(chan struct{})
			loop := func(c *Conn) error {
				ctx := context.Background()
				w, err := c.NextWriter(ctx, MessageBinary)
				if err != nil {
					return err
				}
				if _, err := w.Write(make([]byte, writeBufSize+100)); err != nil {
					return err
				}
				pctx, cancel := context.WithCancel(ctx)
				defer cancel()
				go c.Ping(pctx) // no pong will come; the frame is what matters
				<-pinged
				if err := w.Close(); err != nil {
					return err
				}
				close(sent)
				_, _, err = c.ReadMessage(ctx, nil)
				return err
			}
			s := makeSide(t, role, nil, loop)
			h, p, err := s.peer.readFrame()
			if err != nil || h.Fin || h.Opcode != OpBinary || len(p) != writeBufSize+100 {
				t.Fatalf("first frame: %+v, %d bytes, %v", h, len(p), err)
			}
			h, p, err = s.peer.readFrame()
			if err != nil || !h.Fin || h.Opcode != OpPing || len(p) != 8 {
				t.Fatalf("want ping, got %+v, %d bytes, %v", h, len(p), err)
			}
			close(pinged)
			s.peer.expectFrame(true, OpContinuation, nil)
			<-sent
			s.peer.send(true, OpClose, closePayload(StatusNormalClosure, ""))
			s.peer.expectClose(StatusNormalClosure)
		})
	}
}

// TestReadResumesAfterCancel checks that a read cut short by its context or
// a deadline leaves the connection usable and that the next read carries on
// with the interrupted message, wherever the interruption fell: ReadMessage
// returns it whole, a stream reader returns the rest.
func TestReadResumesAfterCancel(t *testing.T) {
	msg := bytes.Repeat([]byte("abcdefgh"), 2000)
	type interruption struct {
		name string
		// read must be interrupted; it returns what it read of the message.
		read   func(c *Conn) ([]byte, error)
		stream bool // the interrupted read was a stream reader's
	}
	wantErr := func(err, target error) error {
		if !errors.Is(err, target) {
			return fmt.Errorf("interrupted read returned %v, want %v", err, target)
		}
		return nil
	}
	interruptions := []interruption{
		{name: "deadline-context", read: func(c *Conn) ([]byte, error) {
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			_, _, err := c.ReadMessage(ctx, nil)
			return nil, wantErr(err, context.DeadlineExceeded)
		}},
		{name: "cancelled-context", read: func(c *Conn) ([]byte, error) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(50*time.Millisecond, cancel)
			_, _, err := c.ReadMessage(ctx, nil)
			return nil, wantErr(err, context.Canceled)
		}},
		{name: "read-deadline", read: func(c *Conn) ([]byte, error) {
			c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
			_, _, err := c.ReadMessage(context.Background(), nil)
			c.SetReadDeadline(time.Time{})
			return nil, wantErr(err, os.ErrDeadlineExceeded)
		}},
		{name: "stream-reader", stream: true, read: func(c *Conn) ([]byte, error) {
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			typ, r, err := c.NextReader(ctx)
			if err != nil {
				// Interrupted before the first frame's header was whole.
				return nil, wantErr(err, context.DeadlineExceeded)
			}
			if typ != MessageBinary {
				return nil, fmt.Errorf("type %v", typ)
			}
			got, err := io.ReadAll(r)
			return got, wantErr(err, context.DeadlineExceeded)
		}},
	}
	frames := func(p *rawPeer) []byte {
		b := p.frame(false, OpBinary, msg[:5000])
		b = append(b, p.frame(true, OpPing, []byte("ping in the middle"))...)
		return append(b, p.frame(true, OpContinuation, msg[5000:])...)
	}
	for _, in := range interruptions {
		// Cut the frames inside the first header, inside a payload, inside
		// the ping, and between frames.
		for _, cut := range []int{1, 3, 2000, 5005, 5010, 5030, 5040} {
			t.Run(fmt.Sprintf("%s/cut-%d", in.name, cut), func(t *testing.T) {
				for _, role := range []string{"server", "client"} {
					t.Run(role, func(t *testing.T) {
						interrupted := make(chan error, 1)
						loop := func(c *Conn) error {
							head, err := in.read(c)
							interrupted <- err
							if err != nil {
								return err
							}
							var typ MessageType
							var got []byte
							if in.stream {
								var r io.Reader
								typ, r, err = c.NextReader(context.Background())
								if err == nil {
									got, err = io.ReadAll(r)
									got = append(head, got...)
								}
							} else {
								typ, got, err = c.ReadMessage(context.Background(), nil)
							}
							if err != nil {
								return err
							}
							if typ != MessageBinary || !bytes.Equal(got, msg) {
								return fmt.Errorf("resumed read got %v %s", typ, abbrev(got))
							}
							return c.WriteMessage(context.Background(), MessageText, []byte("ok"))
						}
						s := makeSide(t, role, nil, loop)
						b := frames(s.peer)
						s.peer.write(b[:cut])
						if err := <-interrupted; err != nil {
							t.Fatal(err)
						}
						s.peer.write(b[cut:])
						s.peer.expectFrame(true, OpPong, []byte("ping in the middle"))
						s.peer.expectMessage(OpText, []byte("ok"))
						if err := s.result(); err != nil {
							t.Fatal(err)
						}
					})
				}
			})
		}
	}
}

// TestClientServer runs our client against our server over TCP and over an
// in-memory pipe: messages of every size both ways, whole and streamed,
// pings, and the closing handshake.
func TestClientServer(t *testing.T) {
	eachTransport(t, echoHandler(), func(t *testing.T, c *Conn) {
		ctx := context.Background()
		var buf []byte
		for _, n := range []int{0, 1, 125, 126, 65535, 65536, 1 << 20, 5 << 20} {
			msg := bytes.Repeat([]byte("x"), n)
			if err := c.WriteMessage(ctx, MessageText, msg); err != nil {
				t.Fatal(err)
			}
			typ, got, err := c.ReadMessage(ctx, buf)
			if err != nil || typ != MessageText || !bytes.Equal(got, msg) {
				t.Fatalf("%d bytes: got %v %d bytes, %v", n, typ, len(got), err)
			}
			buf = got

			if err := writePieces(ctx, c, MessageBinary, msg, 7000); err != nil {
				t.Fatal(err)
			}
			typ, r, err := c.NextReader(ctx)
			if err != nil || typ != MessageBinary {
				t.Fatal(typ, err)
			}
			got, err = io.ReadAll(r)
			if err != nil || !bytes.Equal(got, msg) {
				t.Fatalf("streamed %d bytes: got %d bytes, %v", n, len(got), err)
			}
		}
		readErr := make(chan error, 1)
		go func() {
			for {
				if _, _, err := c.ReadMessage(ctx, nil); err != nil {
					readErr <- err
					return
				}
			}
		}()
		if rtt, err := c.Ping(ctx); err != nil || rtt <= 0 {
			t.Fatalf("Ping: %v, %v", rtt, err)
		}
		if err := c.Close(StatusNormalClosure, "done"); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if code := CloseStatus(<-readErr); code != StatusNormalClosure {
			t.Fatalf("reader ended with close code %v, want the echoed 1000", code)
		}
	})
}

// TestConcurrentWriters has many goroutines write at once, whole and
// streamed messages, with pings in between, and checks under -race that
// every message arrives intact and none interleave.
func TestConcurrentWriters(t *testing.T) {
	eachTransport(t, echoHandler(), func(t *testing.T, c *Conn) {
		ctx := context.Background()
		const writers, perWriter = 8, 40
		received := make(chan error, 1)
		go func() {
			counts := make(map[byte]int)
			for i := 0; i < writers*perWriter; i++ {
				_, msg, err := c.ReadMessage(ctx, nil)
				if err != nil {
					received <- err
					return
				}
				if len(msg) == 0 || !bytes.Equal(msg, bytes.Repeat(msg[:1], len(msg))) {
					received <- fmt.Errorf("message %d mixes writers: %s", i, abbrev(msg))
					return
				}
				counts[msg[0]]++
			}
			for id := 0; id < writers; id++ {
				if counts[byte('A'+id)] != perWriter {
					received <- fmt.Errorf("writer %d: %d messages, want %d", id, counts[byte('A'+id)], perWriter)
					return
				}
			}
			received <- nil
			for { // keep reading so that pongs are seen
				if _, _, err := c.ReadMessage(ctx, nil); err != nil {
					return
				}
			}
		}()
		var wg sync.WaitGroup
		errs := make(chan error, writers+1)
		for id := 0; id < writers; id++ {
			wg.Add(1)
			go func(id int) {
				defer wg.Done()
				for i := 0; i < perWriter; i++ {
					msg := bytes.Repeat([]byte{byte('A' + id)}, 1+(i*997)%40000)
					if i%2 == 0 {
						if err := c.WriteMessage(ctx, MessageBinary, msg); err != nil {
							errs <- err
							return
						}
						continue
					}
					if err := writePieces(ctx, c, MessageBinary, msg, 5000); err != nil {
						errs <- err
						return
					}
				}
			}(id)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				if _, err := c.Ping(ctx); err != nil {
					errs <- err
					return
				}
			}
		}()
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if err := <-received; err != nil {
			t.Fatal(err)
		}
		if err := c.Close(StatusNormalClosure, ""); err != nil {
			t.Fatal(err)
		}
	})
}

// TestPingHooks checks the hooks for received pings and pongs, and that
// every ping is answered with its payload.
func TestPingHooks(t *testing.T) {
	for _, role := range []string{"server", "client"} {
		t.Run(role, func(t *testing.T) {
			pings := make(chan string, 10)
			pongs := make(chan string, 10)
			setup := func(c *Conn) {
				c.OnPing(func(p []byte) { pings <- string(p) })
				c.OnPong(func(p []byte) { pongs <- string(p) })
			}
			s := makeSide(t, role, setup, nil)
			s.peer.send(true, OpPing, []byte("are you there"))
			s.peer.expectFrame(true, OpPong, []byte("are you there"))
			if got := <-pings; got != "are you there" {
				t.Fatalf("OnPing got %q", got)
			}
			s.peer.send(true, OpPong, []byte("hello"))
			if got := <-pongs; got != "hello" {
				t.Fatalf("OnPong got %q", got)
			}
			s.peer.send(true, OpPing, nil)
			s.peer.expectFrame(true, OpPong, nil)
			if got := <-pings; got != "" {
				t.Fatalf("OnPing got %q for an empty ping", got)
			}
		})
	}
}

// TestPingWaitsForItsPong checks that Ping returns only when the pong with
// its own payload arrives, ignoring other pongs.
func TestPingWaitsForItsPong(t *testing.T) {
	rtt := make(chan error, 1)
	loop := func(c *Conn) error {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), peerTimeout)
			defer cancel()
			_, err := c.Ping(ctx)
			rtt <- err
		}()
		return echoServe(c)
	}
	bothSides(t, nil, loop, func(t *testing.T, s side) {
		h, payload, err := s.peer.readFrame()
		if err != nil || h.Opcode != OpPing {
			t.Fatalf("want a ping, got %+v %v", h, err)
		}
		s.peer.send(true, OpPong, []byte("not yours"))
		s.peer.send(true, OpText, []byte("sync"))
		s.peer.expectMessage(OpText, []byte("sync"))
		select {
		case err := <-rtt:
			t.Fatalf("Ping returned %v before its pong", err)
		default:
		}
		s.peer.send(true, OpPong, payload)
		if err := <-rtt; err != nil {
			t.Fatal(err)
		}
	})
}

// TestWriteMessageType checks that only text and binary messages are
// written.
func TestWriteMessageType(t *testing.T) {
	cu := startClient(t, nil, func(c *Conn) error { return nil })
	if err := cu.conn.WriteMessage(context.Background(), MessageType(OpPing), nil); err == nil {
		t.Fatal("WriteMessage accepted a ping as a message type")
	}
	if _, err := cu.conn.NextWriter(context.Background(), 0); err == nil {
		t.Fatal("NextWriter accepted message type 0")
	}
}

// TestClientMasksWithFreshKeys checks section 5.3: every client frame is
// masked, with keys that vary from frame to frame.
func TestClientMasksWithFreshKeys(t *testing.T) {
	cu := startClient(t, nil, func(c *Conn) error {
		for i := 0; i < 50; i++ {
			if err := c.WriteMessage(context.Background(), MessageBinary, []byte("same payload")); err != nil {
				return err
			}
		}
		return nil
	})
	keys := make(map[[4]byte]bool)
	for i := 0; i < 50; i++ {
		cu.peer.nc.SetReadDeadline(time.Now().Add(peerTimeout))
		h, err := ReadFrameHeader(cu.peer.br)
		if err != nil {
			t.Fatal(err)
		}
		if !h.Masked {
			t.Fatal("client frame not masked")
		}
		keys[h.Mask] = true
		io.CopyN(io.Discard, cu.peer.br, h.Length)
	}
	if len(keys) < 45 {
		t.Fatalf("only %d distinct masking keys in 50 frames", len(keys))
	}
}

// TestServerFrameNotMasked checks section 5.1: a server never masks.
func TestServerFrameNotMasked(t *testing.T) {
	s := startServer(t, nil, nil)
	p := s.dialRaw(t)
	p.send(true, OpText, []byte(strings.Repeat("z", 3000)))
	p.expectMessage(OpText, []byte(strings.Repeat("z", 3000))) // readFrame checks the mask bit
}

// TestConnMemory holds the memory of a connection to what docs/performance.md
// says an idle connection costs: a Conn within the 896-byte size class, and
// newConn on a TCP connection making the Conn and its closed channel, the
// RawConn and the read function for raw reads, and nothing else (the
// peer's close frame, its channel and the pong buffer are made when used).
func TestConnMemory(t *testing.T) {
	if n := unsafe.Sizeof(Conn{}); n > 896 {
		t.Errorf("a Conn is %d bytes, want at most 896 (a size class of its own)", n)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		if c, err := ln.Accept(); err == nil {
			defer c.Close()
			io.Copy(io.Discard, c)
		}
	}()
	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	const n = 200
	keep := make([]*Conn, n)
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	for i := range keep {
		keep[i] = newConn(nc, false, "", nil)
	}
	runtime.ReadMemStats(&m1)
	allocs, size := (m1.Mallocs-m0.Mallocs)/n, (m1.TotalAlloc-m0.TotalAlloc)/n
	if allocs > 4 || size > 1040 {
		t.Errorf("newConn: %d allocations, %d bytes; want at most 4 and 1040", allocs, size)
	}
	runtime.KeepAlive(keep)
}
