package websocket

// Tests of the HTTP/2 frames that carry a WebSocket (RFC 8441 section 5):
// a recorder of the frames on the wire of an h2c connection (h2Frames),
// which the closing tests read too, the DATA frame of each WebSocket frame,
// and frameTracker, which finds the ends of WebSocket frames in writes.

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// h2Frames records the HTTP/2 frames a client connection sends and
// receives, from the bytes on the wire of an h2c connection.
type h2Frames struct {
	mu        sync.Mutex
	sent, got []byte
	closed    bool // the connection has been closed

	closeIdle func() // closes the client's connections that carry no stream
}

func (f *h2Frames) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return &recordingConn{Conn: nc, f: f}, nil
}

type recordingConn struct {
	net.Conn
	f *h2Frames
}

func (c *recordingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.f.mu.Lock()
	c.f.got = append(c.f.got, p[:n]...)
	c.f.mu.Unlock()
	return n, err
}

// Write records p before it writes it: once the server has the bytes, and
// so perhaps an answer to them is read, they are in the record. net/http
// writes to the connection from one goroutine at a time, so the bytes not
// written can be taken off the end of the record after.
func (c *recordingConn) Write(p []byte) (int, error) {
	c.f.mu.Lock()
	c.f.sent = append(c.f.sent, p...)
	c.f.mu.Unlock()
	n, err := c.Conn.Write(p)
	if n < len(p) {
		c.f.mu.Lock()
		c.f.sent = c.f.sent[:len(c.f.sent)-(len(p)-n)]
		c.f.mu.Unlock()
	}
	return n, err
}

func (c *recordingConn) Close() error {
	c.f.mu.Lock()
	c.f.closed = true
	c.f.mu.Unlock()
	return c.Conn.Close()
}

// h2StreamEnd says how each side ended a stream.
type h2StreamEnd struct {
	endStream bool     // a DATA or HEADERS frame carried END_STREAM
	resets    []uint32 // the error codes of RST_STREAM frames
}

// each parses the recorded bytes (the client's, after the preface, or the
// server's) and calls fn with each whole frame of stream id.
func (f *h2Frames) each(client bool, id uint32, fn func(typ, flags byte, payload []byte)) {
	f.mu.Lock()
	b := f.got
	if client {
		b = f.sent[min(len(f.sent), len("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")):]
	}
	b = bytes.Clone(b)
	f.mu.Unlock()
	for len(b) >= 9 {
		n := int(b[0])<<16 | int(b[1])<<8 | int(b[2])
		if len(b) < 9+n {
			break
		}
		if binary.BigEndian.Uint32(b[5:9])&0x7fffffff == id {
			fn(b[3], b[4], b[9:9+n])
		}
		b = b[9+n:]
	}
}

// ends returns how stream id was ended, by the client or by the server.
func (f *h2Frames) ends(client bool, id uint32) h2StreamEnd {
	var e h2StreamEnd
	f.each(client, id, func(typ, flags byte, payload []byte) {
		switch typ {
		case 0x0, 0x1: // DATA, HEADERS
			if flags&0x1 != 0 {
				e.endStream = true
			}
		case 0x3: // RST_STREAM
			e.resets = append(e.resets, binary.BigEndian.Uint32(payload))
		}
	})
	return e
}

// describe lists the frames of stream id that the client sent and those it
// received, for a failure's message.
func (f *h2Frames) describe(id uint32) string {
	var b strings.Builder
	for _, client := range []bool{true, false} {
		if client {
			b.WriteString("client:")
		} else {
			b.WriteString("; server:")
		}
		f.each(client, id, func(typ, flags byte, payload []byte) {
			switch typ {
			case 0x0:
				fmt.Fprintf(&b, " DATA(%d", len(payload))
			case 0x1:
				b.WriteString(" HEADERS(")
			case 0x3:
				fmt.Fprintf(&b, " RST_STREAM(%d)", binary.BigEndian.Uint32(payload))
				return
			default:
				fmt.Fprintf(&b, " type%d(", typ)
			}
			if flags&0x1 != 0 {
				b.WriteString(" END_STREAM")
			}
			b.WriteString(")")
		})
	}
	return b.String()
}

// dataSizes returns the payload sizes of the DATA frames of stream id, sent
// by the client or by the server.
func (f *h2Frames) dataSizes(client bool, id uint32) []int {
	var sizes []int
	f.each(client, id, func(typ, _ byte, payload []byte) {
		if typ == 0x0 && len(payload) > 0 {
			sizes = append(sizes, len(payload))
		}
	})
	return sizes
}

// endStreamData returns the payload size of the DATA frame of stream id
// that carried END_STREAM, sent by the client or by the server, and whether
// there was one.
func (f *h2Frames) endStreamData(client bool, id uint32) (size int, ok bool) {
	size = -1
	f.each(client, id, func(typ, flags byte, payload []byte) {
		if typ == 0x0 && flags&0x1 != 0 {
			size, ok = len(payload), true
		}
	})
	return size, ok
}

// waitStreamDone waits until net/http's client has done with the stream,
// which it has once the connection, offered to closeIdle, is closed as
// idle: it forgets a stream only after its last frame (a reset included)
// is written, so the client's frames of the stream are all recorded then.
func (f *h2Frames) waitStreamDone(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		f.closeIdle()
		f.mu.Lock()
		closed := f.closed
		f.mu.Unlock()
		if closed {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the client's connection still carries the stream")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitEnds waits for the recorded frames to satisfy ok.
func (f *h2Frames) waitEnds(t *testing.T, client bool, ok func(h2StreamEnd) bool) h2StreamEnd {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		e := f.ends(client, 1)
		if ok(e) || time.Now().After(deadline) {
			return e
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestH2DataFrames checks that each WebSocket frame travels in one DATA
// frame, on both sides, including a server frame whose header and payload
// are written separately.
func TestH2DataFrames(t *testing.T) {
	checkNoLeaks(t)
	s := newH2Server(t, false, AcceptOptions{})
	f := &h2Frames{}
	opts := s.dialOptions(t)
	opts.NetDialContext = f.dial
	c, _, _ := dialEcho(t, s.url, opts)
	ctx := context.Background()
	for _, size := range []int{100, 3000} {
		msg := bytes.Repeat([]byte{'x'}, size)
		if err := c.WriteMessage(ctx, MessageBinary, msg); err != nil {
			t.Fatal(err)
		}
		if _, got, err := c.ReadMessage(ctx, nil); err != nil || len(got) != size {
			t.Fatalf("echo of %d bytes: %d, %v", size, len(got), err)
		}
	}
	// "HTTP/2.0" in a 2-byte header; 100 bytes, 2; 3000 bytes, 4; and the
	// client's frames with 4 more bytes of masking key.
	if diff := cmp.Diff([]int{10, 102, 3004}, f.dataSizes(false, 1)); diff != "" {
		t.Errorf("sizes of the server's DATA frames (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{106, 3008}, f.dataSizes(true, 1)); diff != "" {
		t.Errorf("sizes of the client's DATA frames (-want +got):\n%s", diff)
	}
	if err := c.Close(StatusNormalClosure, ""); err != nil {
		t.Fatal(err)
	}
	s.event(t)
}

// TestH2FrameTracker checks that frameTracker finds the ends of frames of
// each header size, however the bytes are split into writes.
func TestH2FrameTracker(t *testing.T) {
	var stream []byte
	var ends []int // offsets at which a frame ends
	for _, h := range []FrameHeader{
		{Fin: true, Opcode: OpText, Length: 0},
		{Fin: true, Opcode: OpBinary, Length: 125, Masked: true},
		{Fin: false, Opcode: OpText, Length: 126},
		{Fin: true, Opcode: OpContinuation, Length: 70000, Masked: true},
		{Fin: true, Opcode: OpPing, Length: 3},
		{Fin: true, Opcode: OpClose, Length: 2, Masked: true},
	} {
		stream = AppendFrameHeader(stream, h)
		stream = append(stream, make([]byte, h.Length)...)
		ends = append(ends, len(stream))
	}
	for _, step := range []int{1, 2, 3, 7, 13, 16 << 10, len(stream)} {
		var tr frameTracker
		var got []int
		for off := 0; off < len(stream); off += step {
			end := min(off+step, len(stream))
			if tr.advance(stream[off:end]) {
				got = append(got, end)
			}
		}
		var want []int // the ends that fall at the end of a write
		for _, e := range ends {
			if e == len(stream) || e%step == 0 {
				want = append(want, e)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("writes of %d bytes: frame ends at %v, want %v", step, got, want)
		}
		if !tr.closeSent() {
			t.Errorf("writes of %d bytes: the close frame was not seen", step)
		}
	}
}
