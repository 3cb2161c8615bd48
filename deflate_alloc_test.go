package websocket

import (
	"bytes"
	"compress/flate"
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// ---------------------------------------------------------------------------
// Allocations and benchmarks, on the fake connections of bench_test.go.

// deflateParamsFor returns negotiated parameters with context takeover on
// or off in both directions.
func deflateParamsFor(noContext bool) deflateParams {
	return deflateParams{serverNoContext: noContext, clientNoContext: noContext, serverBits: 15, clientBits: 15}
}

// deflateWriter makes a server Conn writing to a utDiscardConn with
// permessage-deflate.
func deflateWriter(noContext bool) (*Conn, *utDiscardConn) {
	c, nc := utWriter(false)
	c.deflate = newCompression(deflateParamsFor(noContext), &CompressionOptions{}, false)
	return c, nc
}

// deflateStream returns n messages of about size bytes of JSON-like text
// and the frames carrying them compressed, as a client sends them (masked):
// with one compress/flate writer for all (context takeover) or a new one
// for each. The frames can be served over and over, provided the reader's
// context is reset each time the stream starts again.
func deflateStream(tb testing.TB, size, n int, noContext bool) (stream []byte, msgs [][]byte) {
	enc := newPeerEncoder(15, noContext, flate.DefaultCompression)
	for i := 0; i < n; i++ {
		m := jsonLike(size, int64(i))
		msgs = append(msgs, m)
		stream = append(stream, compressedFrame(enc.compress(tb, m), true)...)
	}
	return stream, msgs
}

// deflateReader makes a server Conn reading the stream of deflateStream
// over and over, and reads it once through, checking every message. Call
// next before each read after that: it resets the context when the stream
// starts again.
func deflateReader(tb testing.TB, size, n int, noContext bool) (c *Conn, buf []byte, next func()) {
	tb.Helper()
	stream, msgs := deflateStream(tb, size, n, noContext)
	c = newConn(&utLoopConn{data: stream}, false, "", nil)
	c.deflate = newCompression(deflateParamsFor(noContext), &CompressionOptions{}, false)
	ctx := context.Background()
	for i, m := range msgs {
		typ, got, err := c.ReadMessage(ctx, buf)
		if err != nil || typ != MessageBinary || !bytes.Equal(got, m) {
			tb.Fatalf("message %d of the stream: %v, %d bytes, %v; want %d bytes", i, typ, len(got), err, len(m))
		}
		buf = got
	}
	i := 0
	next = func() {
		if i%n == 0 {
			c.deflate.received.reset()
		}
		i++
	}
	return c, buf, next
}

// deflateModes are the two context-takeover settings benchmarked.
var deflateModes = []struct {
	name      string
	noContext bool
}{
	{"context", false},
	{"no-context", true},
}

// poolsDropItems reports whether sync.Pool drops items at random, as it
// does under the race detector: a Put followed by a Get on the same
// goroutine otherwise gives the item back.
func poolsDropItems() bool {
	var p sync.Pool
	for i := 0; i < 200; i++ {
		x := new(int)
		p.Put(x)
		if p.Get() != x {
			return true
		}
	}
	return false
}

// checkZeroAllocs fails the test when allocs is not zero, unless the pools
// drop items at random (under the race detector), where allocations from
// refilling them are expected and only logged.
func checkZeroAllocs(t *testing.T, allocs float64, what string) {
	t.Helper()
	if allocs == 0 {
		return
	}
	if poolsDropItems() {
		t.Logf("%s: %v allocations per message, with sync.Pool dropping items at random (race detector): not checked", what, allocs)
		return
	}
	t.Errorf("%s: %v allocations per message, want none", what, allocs)
}

// TestDeflateSteadyStateAllocs checks that compressed WriteMessage, and
// compressed ReadMessage into the previous payload, allocate nothing per
// message once warmed up, with and without context
// takeover.
func TestDeflateSteadyStateAllocs(t *testing.T) {
	ctx := context.Background()
	const runs = 100
	for _, mode := range deflateModes {
		for _, size := range []int{1 << 10, 64 << 10} {
			name := fmt.Sprintf("%s/%dKiB", mode.name, size>>10)
			t.Run("WriteMessage/"+name, func(t *testing.T) {
				c, nc := deflateWriter(mode.noContext)
				msg := jsonLike(size, 1)
				bad := 0
				allocs := testing.AllocsPerRun(runs, func() {
					if c.WriteMessage(ctx, MessageText, msg) != nil {
						bad++
					}
				})
				if bad > 0 || nc.n == 0 {
					t.Fatalf("%d writes failed, %d bytes written", bad, nc.n)
				}
				checkZeroAllocs(t, allocs, "compressed WriteMessage")
			})
			// Into the previous payload, and into a buffer a little larger
			// than the messages.
			for _, roomy := range []bool{false, true} {
				test, what := "ReadMessage/", "compressed ReadMessage into the previous payload"
				if roomy {
					test, what = "ReadMessage-roomy-buffer/", "compressed ReadMessage into a larger buffer"
				}
				t.Run(test+name, func(t *testing.T) {
					c, buf, next := deflateReader(t, size, 8, mode.noContext)
					if roomy {
						buf = make([]byte, 0, size+64)
					}
					var err error
					bad := 0
					allocs := testing.AllocsPerRun(runs, func() {
						next()
						_, buf, err = c.ReadMessage(ctx, buf)
						if err != nil || len(buf) != size {
							bad++
						}
					})
					if bad > 0 {
						t.Fatalf("%d of the reads failed or were short (last: %d bytes, %v)", bad, len(buf), err)
					}
					checkZeroAllocs(t, allocs, what)
				})
			}
		}
	}
}

// BenchmarkCompress measures compressed WriteMessage of JSON-like text on
// a server Conn writing to a discarding fake connection. The bytes per
// second are those of the uncompressed message; wire-bytes/op is the
// compressed frame's size.
func BenchmarkCompress(b *testing.B) {
	ctx := context.Background()
	for _, size := range []int{1 << 10, 64 << 10} {
		for _, mode := range deflateModes {
			b.Run(fmt.Sprintf("%dKiB/%s", size>>10, mode.name), func(b *testing.B) {
				c, nc := deflateWriter(mode.noContext)
				// Distinct messages of the same kind, as a feed sends: with
				// context takeover each refers back to the ones before.
				var msgs [][]byte
				for i := 0; i < max(8, (256<<10)/size); i++ {
					msgs = append(msgs, jsonLike(size, int64(i)))
				}
				c.WriteMessage(ctx, MessageText, msgs[0])
				nc.n = 0
				b.SetBytes(int64(size))
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if err := c.WriteMessage(ctx, MessageText, msgs[i%len(msgs)]); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				b.ReportMetric(float64(nc.n)/float64(b.N), "wire-bytes/op")
			})
		}
	}
}

// BenchmarkDecompress measures compressed ReadMessage into the previous
// payload on a server Conn, from a fake connection serving frames
// compressed by compress/flate. With context takeover, the frames are a
// stream compressed with one writer, served over and over, and the Conn's
// history is emptied each time the stream starts again (a reset that is
// part of the measurement but costs nothing).
func BenchmarkDecompress(b *testing.B) {
	ctx := context.Background()
	for _, size := range []int{1 << 10, 64 << 10} {
		for _, mode := range deflateModes {
			b.Run(fmt.Sprintf("%dKiB/%s", size>>10, mode.name), func(b *testing.B) {
				n := max(4, (256<<10)/size)
				c, buf, next := deflateReader(b, size, n, mode.noContext)
				b.SetBytes(int64(size))
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					next()
					var err error
					if _, buf, err = c.ReadMessage(ctx, buf); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// ---------------------------------------------------------------------------
// Memory held by a connection.

// TestDeflateConnMemory measures the heap one connection holds between
// messages, after writing and reading two messages, in each compression
// mode: it opens N connections on fake net.Conns, forces collections (which
// also empty the pools) and divides the heap's growth by N. It is a
// measurement, logged as a table; it asserts nothing but that the
// connections worked.
func TestDeflateConnMemory(t *testing.T) {
	const n = 200
	ctx := context.Background()
	modes := []struct {
		name     string
		compress bool
		noCtx    bool
		bits     int
	}{
		{"no compression", false, false, 15},
		{"no context takeover", true, true, 15},
		{"context takeover, 15 bits", true, false, 15},
		{"context takeover, 12 bits", true, false, 12},
		{"context takeover, 9 bits", true, false, 9},
	}
	msgs := [][]byte{jsonLike(2000, 1), jsonLike(2000, 2)}
	var table strings.Builder
	fmt.Fprintf(&table, "\n%-28s %12s\n", "mode", "bytes/conn")
	for _, mode := range modes {
		// The frames the connections read, shared by all of them: as the
		// client sends them, compressed within the window.
		var stream []byte
		enc := &tlz{window: 1 << mode.bits, noContext: mode.noCtx}
		for _, m := range msgs {
			if mode.compress {
				stream = append(stream, compressedFrame(enc.compress(m), true)...)
			} else {
				stream = append(stream, encodeFrame(FrameHeader{Fin: true, Opcode: OpBinary, Length: int64(len(m)), Masked: true}, m)...)
			}
		}
		p := deflateParams{serverNoContext: mode.noCtx, clientNoContext: mode.noCtx, serverBits: mode.bits, clientBits: mode.bits}
		conns := make([]*Conn, 0, n)
		runtime.GC()
		runtime.GC()
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		for i := 0; i < n; i++ {
			c := newConn(&bytesConn{r: bytes.NewReader(stream)}, false, "", nil)
			if mode.compress {
				c.deflate = newCompression(p, &CompressionOptions{}, false)
			}
			for _, m := range msgs {
				if err := c.WriteMessage(ctx, MessageText, m); err != nil {
					t.Fatal(err)
				}
			}
			for _, m := range msgs {
				if _, got, err := c.ReadMessage(ctx, nil); err != nil || !bytes.Equal(got, m) {
					t.Fatalf("%s: read %d bytes, %v", mode.name, len(got), err)
				}
			}
			conns = append(conns, c)
		}
		runtime.GC()
		runtime.GC()
		runtime.ReadMemStats(&m1)
		per := (int64(m1.HeapAlloc) - int64(m0.HeapAlloc)) / n
		fmt.Fprintf(&table, "%-28s %12d\n", mode.name, per)
		runtime.KeepAlive(conns)
	}
	t.Log(table.String())
}

// BenchmarkCompressWindow measures compressed WriteMessage of 1 KiB of
// JSON-like text with context takeover at several window sizes: up to
// dictWindowBits the connection keeps only its history and primes a pooled
// compressor with it for each message; above, it keeps its compressor.
func BenchmarkCompressWindow(b *testing.B) {
	ctx := context.Background()
	for _, bits := range []int{9, 12, 13, 15} {
		b.Run(fmt.Sprintf("bits-%d", bits), func(b *testing.B) {
			c, nc := utWriter(false)
			c.deflate = newCompression(deflateParams{serverBits: bits, clientBits: 15}, &CompressionOptions{}, false)
			var msgs [][]byte
			for i := 0; i < 64; i++ { // 64 KiB: repeats lie beyond any window
				msgs = append(msgs, jsonLike(1<<10, int64(i)))
			}
			c.WriteMessage(ctx, MessageText, msgs[0])
			nc.n = 0
			b.SetBytes(1 << 10)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := c.WriteMessage(ctx, MessageText, msgs[i%len(msgs)]); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(nc.n)/float64(b.N), "wire-bytes/op")
		})
	}
}
