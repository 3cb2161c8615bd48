package bench

import (
	"bytes"
	"fmt"
	"testing"

	ours "github.com/f30c7f75/websocket"
	"github.com/f30c7f75/websocket/bench/echo"
	"github.com/f30c7f75/websocket/bench/payload"
	"github.com/gobwas/ws"
	"github.com/lxzan/gws"
)

// In-process benchmarks: each library's server side on a fake connection,
// so that the libraries and not the network are measured. Names are
// benchstat-friendly: Benchmark<What>/lib=<library>/<parameter>=<value>;
// compare libraries with `benchstat -col /lib`.

// benchSize is a message size and its name in benchmark names.
type benchSize struct {
	name string
	n    int
}

var sizes = []benchSize{
	{"16B", 16},
	{"1KiB", 1 << 10},
	{"64KiB", 64 << 10},
	{"1MiB", 1 << 20},
}

// runSizes runs f for each library and message size, as
// lib=<library>/size=<size>.
func runSizes(b *testing.B, f func(b *testing.B, lib string, msg []byte)) {
	for _, lib := range echo.Libs {
		for _, size := range sizes {
			b.Run(fmt.Sprintf("lib=%s/size=%s", lib, size.name), func(b *testing.B) {
				f(b, lib, payload.JSON(size.n))
			})
		}
	}
}

// runModes runs f for each compression mode and each library that
// supports it, as lib=<library>/mode=<mode>.
func runModes(b *testing.B, f func(b *testing.B, lib string, m compression)) {
	for _, m := range []compression{noContext, context} {
		for _, lib := range echo.Libs {
			if supports(lib, m) {
				b.Run(fmt.Sprintf("lib=%s/mode=%v", lib, m), func(b *testing.B) { f(b, lib, m) })
			}
		}
	}
}

// BenchmarkRead reads whole binary messages, masked as a client sends
// them, into a reused buffer (gws: into its pooled buffers, through its
// event handler).
func BenchmarkRead(b *testing.B) {
	runSizes(b, func(b *testing.B, lib string, msg []byte) {
		benchRead(b, lib, plain, ws.OpBinary, [][]byte{msg})
	})
}

// BenchmarkWrite writes whole binary messages, unmasked as a server sends
// them, to a connection that discards them.
func BenchmarkWrite(b *testing.B) {
	runSizes(b, func(b *testing.B, lib string, msg []byte) {
		benchWrite(b, lib, plain, false, [][]byte{msg})
	})
}

// BenchmarkCompress writes 1 KiB JSON-like text messages (64 different
// ones in turn) with permessage-deflate, without context takeover (the mode
// every library supports) and with it where the library supports it, with
// each library's default window (15 bits; gws: 12). wire-B/msg is the size
// of each message on the wire.
func BenchmarkCompress(b *testing.B) {
	runModes(b, func(b *testing.B, lib string, m compression) {
		benchWrite(b, lib, m, true, payload.JSONSet(1<<10, 64))
	})
}

// BenchmarkDecompress reads 1 KiB JSON-like text messages (64 different
// ones in turn) compressed with permessage-deflate, each on its own, which
// is valid in either mode.
// Our package checks that text is UTF-8, as RFC 6455 requires; the others
// do not by default.
func BenchmarkDecompress(b *testing.B) {
	runModes(b, func(b *testing.B, lib string, m compression) {
		benchRead(b, lib, m, ws.OpText, payload.JSONSet(1<<10, 64))
	})
}

// benchRead reads messages of msgs, all of the same size, in turn.
func benchRead(b *testing.B, lib string, m compression, op ws.OpCode, msgs [][]byte) {
	want := msgs[0]
	src, ends := stream(op, msgs, m != plain)
	nc := &fakeConn{pre: request(m), src: src, capture: make([]byte, 0, 512)}
	if lib == "gws" {
		benchReadGWS(b, nc, m, want, ends)
		return
	}
	s, err := newServer(lib, nc, m)
	if err != nil {
		b.Fatal(err)
	}
	checkResponse(b, nc, m)
	if got, err := s.read(); err != nil || !bytes.Equal(got, want) {
		b.Fatalf("first message: %d bytes, %v; want %d bytes", len(got), err, len(want))
	}
	b.SetBytes(int64(len(want)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		got, err := s.read()
		if err != nil || len(got) != len(want) {
			b.Fatalf("read %d bytes, %v; want %d bytes", len(got), err, len(want))
		}
	}
}

// benchReadGWS reads with gws's ReadLoop, which calls the handler for each
// message until the connection fails: the connection serves b.N frames
// and then io.EOF.
func benchReadGWS(b *testing.B, nc *fakeConn, m compression, want []byte, ends []int) {
	h := &gwsCounter{want: want}
	c, err := upgradeGWS(gws.NewUpgrader(h, gwsOptions[m]()), nc)
	if err != nil {
		b.Fatal(err)
	}
	checkResponse(b, nc, m)
	nc.limited = true
	nc.limit = streamBytes(ends, b.N)
	b.SetBytes(int64(len(want)))
	b.ReportAllocs()
	b.ResetTimer()
	c.ReadLoop()
	b.StopTimer()
	if h.n != b.N || h.bad > 0 {
		b.Fatalf("read %d messages, %d of them wrong; want %d", h.n, h.bad, b.N)
	}
}

// benchWrite writes the messages of msgs, all of the same size, in turn.
func benchWrite(b *testing.B, lib string, m compression, text bool, msgs [][]byte) {
	p := msgs[0]
	nc := &fakeConn{pre: request(m), capture: make([]byte, 0, 512)}
	s, err := newServer(lib, nc, m)
	if err != nil {
		b.Fatal(err)
	}
	checkResponse(b, nc, m)
	// The first frame must be a whole message, compressed when asked for.
	nc.capture = make([]byte, 0, 1)
	if err := s.write(text, p); err != nil {
		b.Fatal(err)
	}
	want := byte(0x80) | byte(pick(text, ws.OpText, ws.OpBinary))
	if m != plain {
		want |= 0x40
	}
	if nc.capture[0] != want && !(lib == "gobwas" && nc.capture[0] == want&^0x80) {
		// (gobwas's wsutil.Writer sends larger messages in fragments)
		b.Fatalf("first byte of the message: %#x, want %#x", nc.capture[0], want)
	}
	nc.written = 0
	b.SetBytes(int64(len(p)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if err := s.write(text, msgs[i%len(msgs)]); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if m != plain {
		b.ReportMetric(float64(nc.written)/float64(b.N), "wire-B/msg")
	} else if nc.written < int64(b.N)*int64(len(p)) {
		b.Fatalf("wrote %d bytes for %d messages of %d", nc.written, b.N, len(p))
	}
}

// BenchmarkHandshake runs the server's opening handshake from the request
// bytes on a connection: ours with AcceptConn on the connection (and, as
// ours-http, with Accept as below); for the libraries built on net/http, reading the
// request as net/http does and Upgrade/Accept on a hijackable
// ResponseWriter; gobwas's zero-copy ws.Upgrade on the connection; gws's
// UpgradeFromConn, as its own server calls it.
func BenchmarkHandshake(b *testing.B) {
	req := request(plain)
	for _, lib := range echo.Servers {
		b.Run("lib="+lib, func(b *testing.B) {
			nc := &fakeConn{pre: req, capture: make([]byte, 0, 512)}
			if _, err := upgrade(lib, nc, plain); err != nil {
				b.Fatal(err)
			}
			checkResponse(b, nc, plain)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if _, err := upgrade(lib, &fakeConn{pre: req}, plain); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkMask masks a payload in place with each library's exported
// masking function: ours (websocket.Mask) and gobwas (ws.Cipher). gorilla,
// coder and gws export none. byteloop is the byte-at-a-time reference.
func BenchmarkMask(b *testing.B) {
	key := [4]byte{0x37, 0xfa, 0x21, 0x3d}
	maskers := []struct {
		lib  string
		mask func(p []byte, pos int)
	}{
		{"ours", func(p []byte, pos int) { ours.Mask(key, pos, p) }},
		{"gobwas", func(p []byte, pos int) { ws.Cipher(p, key, pos) }},
		{"byteloop", func(p []byte, pos int) {
			for i := range p {
				p[i] ^= key[(pos+i)&3]
			}
		}},
	}
	for _, m := range maskers {
		for _, size := range []benchSize{{"4KiB", 4 << 10}, {"1MiB", 1 << 20}} {
			b.Run(fmt.Sprintf("lib=%s/size=%s", m.lib, size.name), func(b *testing.B) {
				p := payload.JSON(size.n)
				b.SetBytes(int64(size.n))
				b.ReportAllocs()
				b.ResetTimer()
				for i := range b.N {
					m.mask(p, i)
				}
			})
		}
	}
}

// TestMaskAgree checks that the masking functions benchmarked agree.
func TestMaskAgree(t *testing.T) {
	key := [4]byte{0x37, 0xfa, 0x21, 0x3d}
	for _, n := range []int{0, 1, 7, 8, 31, 33, 4096, 70_001} {
		for pos := range 4 {
			want := payload.JSON(n)
			for i := range want {
				want[i] ^= key[(pos+i)&3]
			}
			a, g := payload.JSON(n), payload.JSON(n)
			ours.Mask(key, pos, a)
			ws.Cipher(g, key, pos)
			if !bytes.Equal(a, want) || !bytes.Equal(g, want) {
				t.Fatalf("n=%d pos=%d: ours ok=%v, gobwas ok=%v", n, pos, bytes.Equal(a, want), bytes.Equal(g, want))
			}
		}
	}
}
