package websocket

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"unsafe"
)

// TestWritersStayStale checks that the handles of many messages, kept,
// stay stale while later ones are live, across the chunks handles come
// from, and that a chunk is the 64 bytes its comment says.
func TestWritersStayStale(t *testing.T) {
	if n := unsafe.Sizeof(handleChunk{}); n != 64 {
		t.Fatalf("a handleChunk is %d bytes, want 64", n)
	}
	srv, cli := wsPair(t, nil, nil)
	ctx := context.Background()
	const messages = 3*chunkHandles + 7
	var old []io.WriteCloser
	for i := range messages {
		w, err := cli.NextWriter(ctx, MessageBinary)
		if err != nil {
			t.Fatal(err)
		}
		for k, o := range old {
			if _, err := o.Write([]byte("stale")); err == nil {
				t.Fatalf("message %d: the writer of message %d wrote", i, k)
			}
			if err := o.Close(); err == nil {
				t.Fatalf("message %d: the writer of message %d closed", i, k)
			}
		}
		if _, err := fmt.Fprint(w, i); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		old = append(old, w)
		if _, got, err := srv.ReadMessage(ctx, nil); err != nil || string(got) != fmt.Sprint(i) {
			t.Fatalf("read %q, %v; want %d", got, err, i)
		}
	}
}

// valueContext is a context whose type is not comparable: == between two
// of them panics.
type valueContext struct {
	context.Context
	tags []string
}

// TestReadersStayStale checks that the readers of many messages, kept,
// stay stale (or at their end) while later ones are live, across the
// chunks readers come from, whether each message's context is the one
// before (a shared chunk), a new one (a chunk of its own), or of a type
// that == cannot compare; and that each reader reads with its own context.
func TestReadersStayStale(t *testing.T) {
	srv, cli := wsPair(t, nil, nil)
	bg := context.Background()
	const messages = 3*chunkHandles + 7
	type kept struct {
		r   io.Reader
		eof bool // read to its end
	}
	var old []kept
	for i := range messages {
		if err := cli.WriteMessage(bg, MessageText, []byte(fmt.Sprint("message ", i))); err != nil {
			t.Fatal(err)
		}
		ctx := bg
		switch {
		case i%10 == 3:
			ctx = valueContext{bg, []string{"a"}}
		case i%10 == 7:
			var cancel context.CancelFunc
			ctx, cancel = context.WithCancel(bg)
			defer cancel()
		}
		_, r, err := srv.NextReader(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for k, o := range old {
			n, err := o.r.Read(make([]byte, 4))
			if o.eof && (n != 0 || err != io.EOF) {
				t.Fatalf("message %d: the reader of message %d, at its end, read %d bytes, %v; want io.EOF", i, k, n, err)
			}
			if !o.eof && (n != 0 || !errors.Is(err, errReaderStale)) {
				t.Fatalf("message %d: the reader of message %d read %d bytes, %v; want errReaderStale", i, k, n, err)
			}
		}
		want := fmt.Sprint("message ", i)
		if i%2 == 0 {
			got, err := io.ReadAll(r)
			if err != nil || string(got) != want {
				t.Fatalf("read %q, %v; want %q", got, err, want)
			}
		} else {
			p := make([]byte, 3)
			if _, err := io.ReadFull(r, p); err != nil || string(p) != want[:3] {
				t.Fatalf("read %q, %v; want %q", p, err, want[:3])
			}
		}
		old = append(old, kept{r, i%2 == 0})
	}

	// Each reader reads with the context NextReader was given, though
	// the reader before it, in the same chunk or not, had another.
	for _, first := range []context.Context{bg, valueContext{bg, nil}} {
		if err := cli.WriteMessage(bg, MessageText, []byte("first")); err != nil {
			t.Fatal(err)
		}
		if _, r, err := srv.NextReader(first); err != nil {
			t.Fatal(err)
		} else if got, err := io.ReadAll(r); err != nil || string(got) != "first" {
			t.Fatalf("read %q, %v", got, err)
		}
		ctx, cancel := context.WithCancel(bg)
		if err := cli.WriteMessage(bg, MessageText, []byte("second")); err != nil {
			t.Fatal(err)
		}
		_, r, err := srv.NextReader(ctx)
		if err != nil {
			t.Fatal(err)
		}
		cancel()
		if n, err := r.Read(make([]byte, 10)); n != 0 || !errors.Is(err, context.Canceled) {
			t.Fatalf("a reader whose context ended read %d bytes, %v; want context.Canceled", n, err)
		}
		// The connection stays usable: the next read has the message whole.
		if _, got, err := srv.ReadMessage(bg, nil); err != nil || string(got) != "second" {
			t.Fatalf("read %q, %v; want the interrupted message", got, err)
		}
	}
}
