package websocket

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
)

// preparedCases are the kinds of compression setting prepared messages are
// tested under.
var preparedCases = []struct {
	name string
	z    *CompressionOptions
}{
	{"none", nil},
	{"no-context", &CompressionOptions{ServerNoContextTakeover: true, ClientNoContextTakeover: true}},
	{"no-context-window9", &CompressionOptions{ServerNoContextTakeover: true, ClientNoContextTakeover: true, ServerMaxWindowBits: 9, ClientMaxWindowBits: 9}},
	{"context-window10", &CompressionOptions{ServerMaxWindowBits: 10, ClientMaxWindowBits: 10}},
	{"context-window15", &CompressionOptions{}},
	{"context-level9", &CompressionOptions{Level: 9}},
	{"threshold", &CompressionOptions{ServerNoContextTakeover: true, Threshold: 100}},
}

// TestPreparedMessageRoundTrip sends prepared messages, mixed with ordinary
// ones, both ways under each kind of compression setting, and checks that
// the peer reads every message intact: a shared compressed frame must not
// break the history of a connection with context takeover.
func TestPreparedMessageRoundTrip(t *testing.T) {
	for _, tc := range preparedCases {
		t.Run(tc.name, func(t *testing.T) {
			srv, cli := wsPair(t, tc.z, tc.z)
			a, _ := NewPreparedMessage(MessageText, compressible("alice", 3000))
			b := compressible("bob", 2000)
			e, _ := NewPreparedMessage(MessageBinary, nil)
			s, _ := NewPreparedMessage(MessageText, []byte("short"))
			ctx := context.Background()
			for _, dir := range []struct {
				name     string
				from, to *Conn
			}{{"server to client", srv, cli}, {"client to server", cli, srv}} {
				want := [][]byte{b, a.Data(), b, a.Data(), nil, s.Data(), a.Data(), b}
				errc := make(chan error, 1)
				go func() {
					plain := func() error { return dir.from.WriteMessage(ctx, MessageText, b) }
					for _, step := range []func() error{
						plain,
						func() error { return dir.from.WritePreparedMessage(ctx, a) },
						plain,
						func() error { return dir.from.WritePreparedMessage(ctx, a) },
						func() error { return dir.from.WritePreparedMessage(ctx, e) },
						func() error { return dir.from.WritePreparedMessage(ctx, s) },
						func() error { return dir.from.WritePreparedMessage(ctx, a) },
						plain,
					} {
						if err := step(); err != nil {
							errc <- err
							return
						}
					}
					errc <- nil
				}()
				for i, w := range want {
					_, got, err := dir.to.ReadMessage(ctx, nil)
					if err != nil {
						t.Fatalf("%s: message %d: %v", dir.name, i, err)
					}
					if !bytes.Equal(got, w) {
						t.Fatalf("%s: message %d: got %d bytes %q..., want %d bytes", dir.name, i, len(got), abbrev(got), len(w))
					}
				}
				if err := <-errc; err != nil {
					t.Fatalf("%s: write: %v", dir.name, err)
				}
			}
		})
	}
}

// captureConn is a net.Conn that records what is written to it.
type captureConn struct {
	utNopConn
	mu  sync.Mutex
	buf bytes.Buffer
}

func (c *captureConn) Read([]byte) (int, error) { return 0, io.EOF }

func (c *captureConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.Write(p)
}

func (c *captureConn) bytes() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return bytes.Clone(c.buf.Bytes())
}

// fakeConn returns a connection on a captureConn, with permessage-deflate
// under params when p is non-nil.
func fakeConn(client bool, p *deflateParams) (*Conn, *captureConn) {
	cc := new(captureConn)
	c := newConn(cc, client, "", nil)
	if p != nil {
		c.deflate = newCompression(*p, &CompressionOptions{}, client)
	}
	return c, cc
}

// TestPreparedMessageSharedFrame checks that server connections are sent
// the very bytes framed once: the plain frame, or for connections without
// context takeover one compressed frame per window size, made once however
// many connections and goroutines write it. Connections with context
// takeover and a full window compress for themselves.
func TestPreparedMessageSharedFrame(t *testing.T) {
	data := compressible("carol", 4000)
	pm, err := NewPreparedMessage(MessageText, data)
	if err != nil {
		t.Fatal(err)
	}
	noCtx15 := &deflateParams{serverNoContext: true, clientNoContext: true, serverBits: 15, clientBits: 15}
	noCtx10 := &deflateParams{serverNoContext: true, clientNoContext: true, serverBits: 10, clientBits: 15}
	withCtx := &deflateParams{serverBits: 15, clientBits: 15}
	type target struct {
		c  *Conn
		cc *captureConn
		p  *deflateParams
	}
	var targets []target
	for _, p := range []*deflateParams{nil, noCtx15, noCtx10, noCtx15, nil, noCtx10, withCtx} {
		for range 4 {
			c, cc := fakeConn(false, p)
			targets = append(targets, target{c, cc, p})
		}
	}
	var wg sync.WaitGroup
	for _, tg := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := tg.c.WritePreparedMessage(context.Background(), pm); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()

	if len(pm.deflt) != 2 {
		t.Fatalf("compressed %d renderings, want 2 (window 15 and window 10)", len(pm.deflt))
	}
	for _, tg := range targets {
		got := tg.cc.bytes()
		switch {
		case tg.p == nil:
			if !bytes.Equal(got, pm.plain) {
				t.Fatalf("uncompressed connection got %s, want the plain frame", abbrev(got))
			}
		case tg.p.serverNoContext:
			f := pm.compressedFrame(tg.p.serverBits, 1)
			if !bytes.Equal(got, f.frame) {
				t.Fatalf("window %d: got %s, want the shared compressed frame", tg.p.serverBits, abbrev(got))
			}
			h, _, err := ParseFrameHeader(got)
			if err != nil || !h.Rsv1 || h.Masked || h.Length >= int64(len(data)) {
				t.Fatalf("shared frame header %+v, %v: want RSV1, unmasked, compressed", h, err)
			}
		default:
			h, _, err := ParseFrameHeader(got)
			if err != nil || !h.Rsv1 || h.Length >= int64(len(data)) {
				t.Fatalf("context takeover frame header %+v, %v: want a compressed frame", h, err)
			}
		}
	}
	// Each shared rendering inflates back to the message.
	for key, f := range pm.deflt {
		r := newConn(&utLoopConn{data: f.frame}, true, "", nil)
		r.deflate = newCompression(deflateParams{serverNoContext: true, serverBits: key.bits, clientBits: 15}, &CompressionOptions{}, true)
		_, got, err := r.ReadMessage(context.Background(), nil)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("rendering %+v reads back as %s, %v", key, abbrev(got), err)
		}
	}
}

// TestPreparedMessageClientMasks checks that a client connection masks each
// write of a prepared message with a fresh key, leaving the shared frame
// untouched.
func TestPreparedMessageClientMasks(t *testing.T) {
	data := []byte("the same message, twice")
	pm, _ := NewPreparedMessage(MessageBinary, data)
	plain := bytes.Clone(pm.plain)
	c, cc := fakeConn(true, nil)
	for range 2 {
		if err := c.WritePreparedMessage(context.Background(), pm); err != nil {
			t.Fatal(err)
		}
	}
	wire := cc.bytes()
	var keys [][4]byte
	for len(wire) > 0 {
		h, n, err := ParseFrameHeader(wire)
		if err != nil {
			t.Fatal(err)
		}
		if !h.Masked || h.Opcode != OpBinary || !h.Fin {
			t.Fatalf("frame %+v: want a masked binary frame", h)
		}
		p := bytes.Clone(wire[n : n+int(h.Length)])
		if bytes.Equal(p, data) {
			t.Fatal("payload sent unmasked")
		}
		Mask(h.Mask, 0, p)
		if !bytes.Equal(p, data) {
			t.Fatalf("unmasked payload %q, want %q", p, data)
		}
		keys = append(keys, h.Mask)
		wire = wire[n+int(h.Length):]
	}
	if len(keys) != 2 || keys[0] == keys[1] {
		t.Fatalf("masking keys %x: want two different ones", keys)
	}
	if !bytes.Equal(pm.plain, plain) {
		t.Fatal("writing from a client changed the shared frame")
	}
}

// TestPreparedMessageClosed checks that writing to a closed connection
// fails with ErrClosed, and that a bad message type is refused.
func TestPreparedMessageClosed(t *testing.T) {
	if _, err := NewPreparedMessage(MessageType(OpPing), nil); err == nil {
		t.Fatal("NewPreparedMessage accepted a ping")
	}
	srv, cli := wsPair(t, nil, nil)
	srv.CloseNow()
	pm, _ := NewPreparedMessage(MessageText, []byte("late"))
	if err := srv.WritePreparedMessage(context.Background(), pm); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("write after CloseNow: %v, want ErrClosed", err)
	}
	_ = cli
}

// TestPreparedMessageBatch writes batches of prepared messages, as a
// SendQueue does with what is waiting, mixed with ordinary messages, under
// each compression setting, and checks that the peer reads them all, in
// order and intact.
func TestPreparedMessageBatch(t *testing.T) {
	for _, tc := range preparedCases {
		t.Run(tc.name, func(t *testing.T) {
			srv, cli := wsPair(t, tc.z, tc.z)
			a, _ := NewPreparedMessage(MessageText, compressible("alice", 3000))
			b := compressible("bob", 2000)
			bp, _ := NewPreparedMessage(MessageText, b)
			e, _ := NewPreparedMessage(MessageBinary, nil)
			s, _ := NewPreparedMessage(MessageText, []byte("short"))
			ctx := context.Background()
			batches := [][]*PreparedMessage{{bp, a, s}, {a}, {e, a, bp, a, s}}
			var want [][]byte
			for _, batch := range batches {
				want = append(want, b)
				for _, pm := range batch {
					want = append(want, pm.Data())
				}
			}
			errc := make(chan error, 1)
			go func() {
				var vec [][]byte
				var err error
				for _, batch := range batches {
					if err = srv.WriteMessage(ctx, MessageText, b); err != nil {
						break
					}
					if vec, err = srv.writePreparedBatch(ctx, batch, vec); err != nil {
						break
					}
				}
				errc <- err
			}()
			for i, w := range want {
				_, got, err := cli.ReadMessage(ctx, nil)
				if err != nil {
					t.Fatalf("message %d: %v", i, err)
				}
				if !bytes.Equal(got, w) {
					t.Fatalf("message %d: got %d bytes %s, want %d bytes", i, len(got), abbrev(got), len(w))
				}
			}
			if err := <-errc; err != nil {
				t.Fatal(err)
			}
		})
	}
}
