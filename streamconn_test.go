package websocket

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"sync"
	"testing"
	"time"
)

// TestStreamConnCopy sends 1 MiB each way at once through two stream views,
// in writes of many sizes, and checks both streams arrive whole.
func TestStreamConnCopy(t *testing.T) {
	srv, cli := wsPair(t, nil, nil)
	ctx := context.Background()
	a, b := StreamConn(ctx, srv, MessageBinary), StreamConn(ctx, cli, MessageBinary)
	rng := rand.New(rand.NewPCG(1, 2))
	data := make([]byte, 1<<20)
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	send := func(w io.Writer, seed uint64) error {
		rng := rand.New(rand.NewPCG(seed, 3)) // write sizes, one source per writer
		for p := data; len(p) > 0; {
			k := min(len(p), 1+rng.IntN(40<<10))
			if _, err := w.Write(p[:k]); err != nil {
				return err
			}
			p = p[k:]
		}
		return nil
	}
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for i, w := range []io.Writer{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- send(w, uint64(i))
		}()
	}
	for _, r := range []io.Reader{a, b} {
		got := make([]byte, len(data))
		if _, err := io.ReadFull(r, got); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, data) {
			t.Fatal("the stream arrived changed")
		}
	}
	wg.Wait()
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// TestStreamConnMessages checks that the stream is the messages' payloads
// in order, whatever their frames, and that an empty Write sends nothing.
func TestStreamConnMessages(t *testing.T) {
	srv, cli := wsPair(t, nil, nil)
	ctx := context.Background()
	s := StreamConn(ctx, srv, MessageBinary)
	w, err := cli.NextWriter(ctx, MessageBinary)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, "frag")
	w.Write(make([]byte, 0))
	w.Write(bytes.Repeat([]byte("-"), writeBufSize)) // sends a frame
	io.WriteString(w, "ment")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	cli.WriteMessage(ctx, MessageBinary, nil) // an empty message adds nothing
	cli.WriteMessage(ctx, MessageBinary, []byte("next"))
	want := "frag" + string(bytes.Repeat([]byte("-"), writeBufSize)) + "ment" + "next"
	got := make([]byte, len(want))
	if _, err := io.ReadFull(s, got); err != nil || string(got) != want {
		t.Fatalf("read %d bytes, %v; want the payloads in order", len(got), err)
	}

	c := StreamConn(ctx, cli, MessageBinary)
	if n, err := c.Write(nil); n != 0 || err != nil {
		t.Fatalf("Write(nil) = %d, %v", n, err)
	}
	c.Write([]byte("x"))
	if typ, msg, err := srv.ReadMessage(ctx, nil); err != nil || typ != MessageBinary || string(msg) != "x" {
		t.Fatalf("after an empty Write the peer read %v %q, %v; want the next Write's message", typ, msg, err)
	}
}

// TestStreamConnEnds checks what Read returns as the connection ends: io.EOF
// for a normal close by the peer, the close error otherwise.
func TestStreamConnEnds(t *testing.T) {
	for _, tc := range []struct {
		name  string
		close func(c *Conn)
		eof   bool
	}{
		{"1000", func(c *Conn) { c.Close(StatusNormalClosure, "") }, true},
		{"1001", func(c *Conn) { c.Close(StatusGoingAway, "") }, true},
		{"4000", func(c *Conn) { c.Close(4000, "app") }, false},
		{"CloseNow", func(c *Conn) { c.CloseNow() }, false},
		{"stream Close", func(c *Conn) { StreamConn(context.Background(), c, MessageBinary).Close() }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, cli := wsPair(t, nil, nil)
			s := StreamConn(context.Background(), srv, MessageBinary)
			go tc.close(cli)
			_, err := s.Read(make([]byte, 10))
			if tc.eof != (err == io.EOF) {
				t.Fatalf("Read: %v; want io.EOF: %v", err, tc.eof)
			}
			if _, err2 := s.Read(make([]byte, 10)); tc.eof != (err2 == io.EOF) {
				t.Errorf("a second Read: %v, after %v", err2, err)
			}
		})
	}
}

// TestStreamConnAfterClose checks a stream used after its Close.
func TestStreamConnAfterClose(t *testing.T) {
	srv, cli := wsPair(t, nil, nil)
	ctx := context.Background()
	s := StreamConn(ctx, cli, MessageBinary)
	peer := StreamConn(ctx, srv, MessageBinary)
	go io.Copy(io.Discard, peer) // answers the closing handshake
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Write([]byte("late")); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Write after Close: %v, want net.ErrClosed", err)
	}
	if _, err := s.Read(make([]byte, 1)); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Read after Close: %v, want net.ErrClosed", err)
	}
	if err := s.Close(); err == nil {
		t.Error("a second Close succeeded")
	}
}

// TestStreamConnWrongType checks that a message of the other type fails
// the stream with 1003, which the peer sees.
func TestStreamConnWrongType(t *testing.T) {
	srv, cli := wsPair(t, nil, nil)
	ctx := context.Background()
	s := StreamConn(ctx, srv, MessageBinary)
	cli.WriteMessage(ctx, MessageText, []byte("text"))
	if _, err := s.Read(make([]byte, 10)); err == nil {
		t.Fatal("a text message was read into a binary stream")
	}
	if _, _, err := cli.ReadMessage(ctx, nil); CloseStatus(err) != StatusUnsupportedData {
		t.Errorf("the peer read %v, want 1003", err)
	}
}

// TestStreamConnDeadline checks that a read deadline times a Read out as a
// net.Conn's does, and that the stream goes on afterwards; and that a
// Read's context ends it.
func TestStreamConnDeadline(t *testing.T) {
	srv, cli := wsPair(t, nil, nil)
	ctx := context.Background()
	s := StreamConn(ctx, srv, MessageBinary)
	s.SetDeadline(time.Now().Add(-time.Second))
	_, err := s.Read(make([]byte, 10))
	var ne net.Error
	if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("Read past its deadline: %v, want a timeout", err)
	}
	if _, err := s.Write([]byte("x")); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Write past its deadline: %v, want a timeout", err)
	}
	s.SetDeadline(time.Time{})
	cli.WriteMessage(ctx, MessageBinary, []byte("after"))
	got := make([]byte, 5)
	if _, err := io.ReadFull(s, got); err != nil || string(got) != "after" {
		t.Fatalf("after the timeout: %q, %v", got, err)
	}

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := StreamConn(cctx, srv, MessageBinary).Read(got); !errors.Is(err, context.Canceled) {
		t.Errorf("Read with a done context: %v", err)
	}
	if s.LocalAddr().String() != srv.NetConn().LocalAddr().String() || s.RemoteAddr().String() != srv.NetConn().RemoteAddr().String() {
		t.Errorf("addresses %v %v, want the connection's", s.LocalAddr(), s.RemoteAddr())
	}
}

// TestStreamConnConcurrent writes a stream from two goroutines and reads it
// from two others: the readers together read every byte of both writers
// once, and under -race the two of each touch no shared state unguarded.
func TestStreamConnConcurrent(t *testing.T) {
	srv, cli := wsPair(t, nil, nil)
	ctx := context.Background()
	w, r := StreamConn(ctx, cli, MessageBinary), StreamConn(ctx, srv, MessageBinary)
	const writes = 200
	var wg sync.WaitGroup
	for g := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			chunk := bytes.Repeat([]byte{byte('a' + g)}, 1000)
			for range writes {
				if _, err := w.Write(chunk); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	counts := make(chan [2]int, 2)
	for range 2 {
		go func() {
			var n [2]int
			buf := make([]byte, 700)
			for {
				k, err := r.Read(buf)
				for _, b := range buf[:k] {
					n[b-'a']++
				}
				if err != nil {
					counts <- n
					return
				}
			}
		}()
	}
	wg.Wait()
	w.Close() // the readers end with io.EOF
	total := [2]int{}
	for range 2 {
		n := <-counts
		total[0] += n[0]
		total[1] += n[1]
	}
	if want := [2]int{writes * 1000, writes * 1000}; total != want {
		t.Errorf("read %v bytes of each writer, want %v", total, want)
	}
}
