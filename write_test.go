package websocket

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
)

// writeLog is a net.Conn that keeps what is written to it, each Write (or
// each buffer of a vectored write) as it came, and fails the write
// numbered failAt (counting from 1) if set.
type writeLog struct {
	net.Conn // nil: only writing and closing are used
	writes   [][]byte
	failAt   int
	closed   bool
}

var errWriteLog = errors.New("writeLog: failed on purpose")

func (w *writeLog) Write(p []byte) (int, error) {
	if len(w.writes)+1 == w.failAt {
		return 0, errWriteLog
	}
	w.writes = append(w.writes, bytes.Clone(p))
	return len(p), nil
}

func (w *writeLog) Close() error {
	w.closed = true
	return nil
}

func (w *writeLog) wire() []byte { return bytes.Join(w.writes, nil) }

// TestLargeFrameOnTheWire checks that a server frame reaches the wire
// whole, with its header first, on either side of 64 KiB, above which the
// payload goes out in two writes: its header with the first 16 KiB, then
// the rest. The vectored first write shows here as two buffers.
func TestLargeFrameOnTheWire(t *testing.T) {
	for _, tc := range []struct {
		size, buffers, first int // first: payload bytes in the first write
	}{
		{size: 2049, buffers: 2, first: 2049},
		{size: 64 << 10, buffers: 2, first: 64 << 10},
		{size: 64<<10 + 1, buffers: 3, first: 16 << 10},
		{size: 1 << 20, buffers: 3, first: 16 << 10},
	} {
		w := &writeLog{}
		c := newConn(w, false, "", nil)
		msg := bytes.Repeat([]byte("0123456789abcdef"), tc.size/16+1)[:tc.size]
		if err := c.WriteMessage(context.Background(), MessageBinary, msg); err != nil {
			t.Fatalf("%d bytes: %v", tc.size, err)
		}
		want := append(AppendFrameHeader(nil, FrameHeader{Fin: true, Opcode: OpBinary, Length: int64(tc.size)}), msg...)
		if !bytes.Equal(w.wire(), want) {
			t.Errorf("%d bytes: the wire holds %d bytes, not the frame of %d", tc.size, len(w.wire()), len(want))
		}
		if len(w.writes) != tc.buffers {
			t.Errorf("%d bytes: %d buffers written, want %d", tc.size, len(w.writes), tc.buffers)
		} else if got := len(w.writes[1]); got != tc.first {
			t.Errorf("%d bytes: the first write carried %d bytes of payload, want %d", tc.size, got, tc.first)
		}
	}
}

// TestLargeFrameCutOff checks that a large frame whose second write fails
// fails the connection: the peer has a frame cut short, so nothing more
// may follow it.
func TestLargeFrameCutOff(t *testing.T) {
	w := &writeLog{failAt: 3} // header, first piece, then the rest fails
	c := newConn(w, false, "", nil)
	err := c.WriteMessage(context.Background(), MessageBinary, make([]byte, 1<<20))
	if !errors.Is(err, errWriteLog) {
		t.Fatalf("WriteMessage: %v, want the write's error", err)
	}
	if !w.closed {
		t.Error("the connection was not closed after a frame was cut short")
	}
	if err := c.WriteMessage(context.Background(), MessageBinary, []byte("more")); err == nil {
		t.Error("a write after a frame was cut short succeeded")
	}
}

// TestWriterLetsGoOfContext checks that a message written through NextWriter,
// or compressed by WriteMessage, does not keep its context once it is sent:
// an idle connection must not hold what the last write's context carries
// (a request's values, a cancel func).
func TestWriterLetsGoOfContext(t *testing.T) {
	type key struct{}
	for _, compressed := range []bool{false, true} {
		t.Run(fmt.Sprintf("compressed=%v", compressed), func(t *testing.T) {
			var z *CompressionOptions
			if compressed {
				z = &CompressionOptions{}
			}
			srv, cli := wsPair(t, z, z)
			ctx := context.WithValue(context.Background(), key{}, new([4096]byte))
			w, err := cli.NextWriter(ctx, MessageBinary)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.Write([]byte("streamed")); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if cli.writer.ctx != nil {
				t.Error("after NextWriter's message, the connection keeps its context")
			}
			if err := cli.WriteMessage(ctx, MessageText, bytes.Repeat([]byte("whole "), 100)); err != nil {
				t.Fatal(err)
			}
			if cli.writer.ctx != nil {
				t.Error("after WriteMessage, the connection keeps its context")
			}
			for range 2 {
				if _, _, err := srv.ReadMessage(context.Background(), nil); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// TestCompressionTurnedOffAfterDeciding turns compression off between a
// write's decision to compress and its start, as SetWriteCompression from
// another goroutine may: the message goes out compressed, as decided, and
// arrives whole. (The message writer used to look again, find compression
// off and then use a compressor it had not made: a nil dereference that
// FuzzAPI found in a SendQueue's goroutine.)
func TestCompressionTurnedOffAfterDeciding(t *testing.T) {
	z := &CompressionOptions{}
	srv, cli := wsPair(t, z, z)
	ctx := context.Background()
	msg := bytes.Repeat([]byte("decided "), 100)
	if err := cli.msgSem.lock(ctx, cli.closed); err != nil {
		t.Fatal(err)
	}
	cli.SetWriteCompression(false)
	if err := cli.writeCompressed(ctx, MessageText, msg); err != nil {
		t.Fatal(err)
	}
	typ, got, err := srv.ReadMessage(ctx, nil)
	if err != nil || typ != MessageText || !bytes.Equal(got, msg) {
		t.Fatalf("read %v of %d bytes, %v; want the message", typ, len(got), err)
	}
	// The next message follows the new setting.
	if err := cli.WriteMessage(ctx, MessageText, msg); err != nil {
		t.Fatal(err)
	}
	if _, got, err := srv.ReadMessage(ctx, nil); err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("the next message: %d bytes, %v", len(got), err)
	}
}
