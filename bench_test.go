package websocket

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"runtime"
	"runtime/debug"
	"strconv"
	"testing"
	"time"
)

// The benchmarks measure the library, not the network: connections run on
// fake net.Conns that discard what is written or serve an endless stream of
// pre-encoded frames.

// utSizes are the message sizes benchmarked.
var utSizes = []int{16, 1024, 65536, 1 << 20}

// utRoles are the two ends of a connection: a server sends unmasked frames
// and receives masked ones; a client the reverse (RFC 6455 section 5.1).
var utRoles = []struct {
	name   string
	client bool
}{
	{"server", false},
	{"client", true},
}

// utAddr is the address of a fake connection.
type utAddr struct{}

func (utAddr) Network() string { return "ut" }
func (utAddr) String() string  { return "ut" }

// utNopConn supplies the parts of net.Conn the fakes do not care about.
type utNopConn struct{}

func (utNopConn) Close() error                     { return nil }
func (utNopConn) LocalAddr() net.Addr              { return utAddr{} }
func (utNopConn) RemoteAddr() net.Addr             { return utAddr{} }
func (utNopConn) SetDeadline(time.Time) error      { return nil }
func (utNopConn) SetReadDeadline(time.Time) error  { return nil }
func (utNopConn) SetWriteDeadline(time.Time) error { return nil }

// utDiscardConn is a net.Conn whose writes are counted and dropped.
type utDiscardConn struct {
	utNopConn
	n      int64 // bytes written
	writes int64 // Write calls
}

func (c *utDiscardConn) Read([]byte) (int, error) { return 0, io.EOF }

func (c *utDiscardConn) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	c.writes++
	return len(p), nil
}

// utLoopConn is a net.Conn whose reads serve data over and over; writes are
// dropped. data must hold whole frames so that the stream stays framed
// where it wraps around.
type utLoopConn struct {
	utNopConn
	data []byte
	off  int
}

func (c *utLoopConn) Read(p []byte) (int, error) {
	n := copy(p, c.data[c.off:])
	c.off += n
	if c.off == len(c.data) {
		c.off = 0
	}
	return n, nil
}

func (c *utLoopConn) Write(p []byte) (int, error) { return len(p), nil }

// utReadStream returns frames, each a whole binary message of payload,
// masked as a client sends them when masked is set, repeated to at least
// 64 KiB so that small frames arrive many to a read as they would from a
// socket.
func utReadStream(payload []byte, masked bool) []byte {
	h := FrameHeader{Fin: true, Opcode: OpBinary, Length: int64(len(payload))}
	if masked {
		h.Masked = true
		h.Mask = [4]byte{0x37, 0xfa, 0x21, 0x3d}
	}
	frame := AppendFrameHeader(nil, h)
	start := len(frame)
	frame = append(frame, payload...)
	if masked {
		Mask(h.Mask, 0, frame[start:])
	}
	var stream []byte
	for len(stream) < 64<<10 {
		stream = append(stream, frame...)
	}
	return stream
}

// utReader makes a Conn in the given role reading an endless stream of
// messages of payload, checks that it reads the first one correctly, and
// returns it with that first message, whose storage can be reused.
func utReader(tb testing.TB, client bool, payload []byte) (*Conn, []byte) {
	tb.Helper()
	c := newConn(&utLoopConn{data: utReadStream(payload, !client)}, client, "", nil)
	typ, got, err := c.ReadMessage(context.Background(), nil)
	if err != nil || typ != MessageBinary || !bytes.Equal(got, payload) {
		tb.Fatalf("reading the fake stream: type %v, %d bytes, %v; want binary, %d bytes", typ, len(got), err, len(payload))
	}
	return c, got
}

// utWriter makes a Conn in the given role writing to a utDiscardConn.
func utWriter(client bool) (*Conn, *utDiscardConn) {
	nc := &utDiscardConn{}
	return newConn(nc, client, "", nil), nc
}

// utFrameSize is the encoded size of a single-frame message of n bytes.
func utFrameSize(n int, masked bool) int64 {
	return int64(len(AppendFrameHeader(nil, FrameHeader{Length: int64(n), Masked: masked})) + n)
}

var (
	utSinkHeader FrameHeader
	utSinkInt    int
	utSinkBytes  []byte
)

// utHeaderCases are the three length encodings of section 5.2, masked as a
// client sends them.
var utHeaderCases = []struct {
	name string
	h    FrameHeader
}{
	{"7bit", FrameHeader{Fin: true, Opcode: OpText, Masked: true, Mask: [4]byte{1, 2, 3, 4}, Length: 100}},
	{"16bit", FrameHeader{Fin: true, Opcode: OpBinary, Masked: true, Mask: [4]byte{1, 2, 3, 4}, Length: 1024}},
	{"64bit", FrameHeader{Fin: true, Opcode: OpBinary, Masked: true, Mask: [4]byte{1, 2, 3, 4}, Length: 1 << 20}},
}

func BenchmarkFrameHeaderAppend(b *testing.B) {
	for _, hc := range utHeaderCases {
		b.Run(hc.name, func(b *testing.B) {
			buf := make([]byte, 0, MaxFrameHeaderSize)
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				utSinkBytes = AppendFrameHeader(buf[:0], hc.h)
			}
		})
	}
}

func BenchmarkFrameHeaderParse(b *testing.B) {
	for _, hc := range utHeaderCases {
		b.Run(hc.name, func(b *testing.B) {
			enc := AppendFrameHeader(nil, hc.h)
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				h, n, err := ParseFrameHeader(enc)
				if err != nil {
					b.Fatal(err)
				}
				utSinkHeader, utSinkInt = h, n
			}
		})
	}
}

func BenchmarkReadFrameHeaderBufio(b *testing.B) {
	for _, hc := range utHeaderCases {
		b.Run(hc.name, func(b *testing.B) {
			enc := AppendFrameHeader(nil, hc.h)
			var data []byte
			for len(data) < 4096 {
				data = append(data, enc...) // whole headers, so the stream stays aligned
			}
			br := bufio.NewReader(&utLoopConn{data: data})
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				h, err := ReadFrameHeader(br)
				if err != nil {
					b.Fatal(err)
				}
				utSinkHeader = h
			}
			if utSinkHeader != hc.h {
				b.Fatalf("read %+v, want %+v", utSinkHeader, hc.h)
			}
		})
	}
}

func BenchmarkMask(b *testing.B) {
	key := [4]byte{0x37, 0xfa, 0x21, 0x3d}
	for _, size := range utSizes {
		b.Run(strconv.Itoa(size), func(b *testing.B) {
			buf := make([]byte, size)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				utSinkInt = Mask(key, i, buf)
			}
		})
	}
}

// BenchmarkMaskByteLoop is the byte-at-a-time reference, for comparison with
// BenchmarkMask.
func BenchmarkMaskByteLoop(b *testing.B) {
	key := [4]byte{0x37, 0xfa, 0x21, 0x3d}
	for _, size := range utSizes {
		b.Run(strconv.Itoa(size), func(b *testing.B) {
			buf := make([]byte, size)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				utSinkInt = utMaskRef(key, i, buf)
			}
		})
	}
}

// utBenchRoleSize runs f as sub-benchmarks role/size.
func utBenchRoleSize(b *testing.B, f func(b *testing.B, client bool, size int)) {
	for _, role := range utRoles {
		for _, size := range utSizes {
			b.Run(fmt.Sprintf("%s/%d", role.name, size), func(b *testing.B) {
				f(b, role.client, size)
			})
		}
	}
}

func BenchmarkWriteMessage(b *testing.B) {
	utBenchRoleSize(b, func(b *testing.B, client bool, size int) {
		ctx := context.Background()
		c, nc := utWriter(client)
		payload := utPayload(size)
		b.SetBytes(int64(size))
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if err := c.WriteMessage(ctx, MessageBinary, payload); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		if want := int64(b.N) * utFrameSize(size, client); nc.n != want {
			b.Fatalf("wrote %d bytes, want %d", nc.n, want)
		}
	})
}

func BenchmarkReadMessage(b *testing.B) {
	utBenchRoleSize(b, func(b *testing.B, client bool, size int) {
		ctx := context.Background()
		c, buf := utReader(b, client, utPayload(size))
		var err error
		b.SetBytes(int64(size))
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			_, buf, err = c.ReadMessage(ctx, buf)
			if err != nil || len(buf) != size {
				b.Fatalf("ReadMessage: %d bytes, %v", len(buf), err)
			}
		}
	})
}

// BenchmarkNextWriter streams each message through NextWriter in one Write.
func BenchmarkNextWriter(b *testing.B) {
	utBenchRoleSize(b, func(b *testing.B, client bool, size int) {
		ctx := context.Background()
		c, _ := utWriter(client)
		payload := utPayload(size)
		b.SetBytes(int64(size))
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			w, err := c.NextWriter(ctx, MessageBinary)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := w.Write(payload); err != nil {
				b.Fatal(err)
			}
			if err := w.Close(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkNextReader reads each message through NextReader with
// io.ReadFull into a reused buffer.
func BenchmarkNextReader(b *testing.B) {
	utBenchRoleSize(b, func(b *testing.B, client bool, size int) {
		ctx := context.Background()
		c, buf := utReader(b, client, utPayload(size))
		b.SetBytes(int64(size))
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			_, r, err := c.NextReader(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := io.ReadFull(r, buf); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestSteadyStateAllocs checks that, once warmed up, reading and writing a
// message allocates nothing: ReadMessage into the previous payload (as its
// doc comment promises), WriteMessage, and the streaming NextWriter and
// NextReader, for both roles and several sizes.
func TestSteadyStateAllocs(t *testing.T) {
	ctx := context.Background()
	const runs = 200
	for _, role := range utRoles {
		for _, size := range []int{16, 1024, 65536} {
			payload := utPayload(size)
			name := fmt.Sprintf("%s/%d", role.name, size)

			t.Run("ReadMessage/"+name, func(t *testing.T) {
				c, buf := utReader(t, role.client, payload)
				var err error
				bad := 0
				allocs := testing.AllocsPerRun(runs, func() {
					_, buf, err = c.ReadMessage(ctx, buf)
					if err != nil || len(buf) != size {
						bad++
					}
				})
				if bad > 0 || !bytes.Equal(buf, payload) {
					t.Fatalf("%d of the reads failed or were short (last: %d bytes, %v)", bad, len(buf), err)
				}
				if allocs != 0 {
					t.Errorf("ReadMessage into the previous payload: %v allocations per message, want 0", allocs)
				}
			})

			t.Run("WriteMessage/"+name, func(t *testing.T) {
				c, nc := utWriter(role.client)
				bad := 0
				allocs := testing.AllocsPerRun(runs, func() {
					if c.WriteMessage(ctx, MessageBinary, payload) != nil {
						bad++
					}
				})
				if want := int64(runs+1) * utFrameSize(size, role.client); bad > 0 || nc.n != want {
					t.Fatalf("%d writes failed; wrote %d bytes, want %d", bad, nc.n, want)
				}
				if allocs != 0 {
					t.Errorf("WriteMessage: %v allocations per message, want 0", allocs)
				}
			})

			t.Run("NextWriter/"+name, func(t *testing.T) {
				c, nc := utWriter(role.client)
				bad := 0
				allocs := mallocsPerRun(runs, func() {
					w, err := c.NextWriter(ctx, MessageBinary)
					if err != nil {
						bad++
						return
					}
					if _, err := w.Write(payload); err != nil {
						bad++
					}
					if err := w.Close(); err != nil {
						bad++
					}
				})
				if bad > 0 || nc.n < int64(runs+1)*int64(size) {
					t.Fatalf("%d calls failed; wrote %d bytes, want at least %d", bad, nc.n, int64(runs+1)*int64(size))
				}
				// One allocation per chunk of handles, and perhaps one for a
				// chunk begun in the warm-up.
				if total := allocs * runs; total > float64(runs/chunkHandles+1) && !poolsDropItems() {
					t.Errorf("NextWriter+Write+Close: %v allocations in %d messages, want at most %d (a chunk of handles each %d)", total, runs, runs/chunkHandles+1, chunkHandles)
				}
			})

			t.Run("NextReader/"+name, func(t *testing.T) {
				c, buf := utReader(t, role.client, payload)
				bad := 0
				allocs := mallocsPerRun(runs, func() {
					_, r, err := c.NextReader(ctx)
					if err != nil {
						bad++
						return
					}
					if _, err := io.ReadFull(r, buf); err != nil {
						bad++
					}
				})
				if bad > 0 || !bytes.Equal(buf, payload) {
					t.Fatalf("%d reads failed or read the wrong bytes", bad)
				}
				// One allocation per chunk of handles, and perhaps one for a
				// chunk begun in the warm-up.
				if total := allocs * runs; total > float64(runs/chunkHandles+1) && !poolsDropItems() {
					t.Errorf("NextReader+io.ReadFull: %v allocations in %d messages, want at most %d (a chunk of handles each %d)", total, runs, runs/chunkHandles+1, chunkHandles)
				}
			})
		}
	}
}

// chunkHandles is the number of handles a handleChunk holds.
const chunkHandles = len(handleChunk{}.handles)

// mallocsPerRun is testing.AllocsPerRun without its rounding down to a
// whole number: the allocations f makes on average, after warm-up calls.
// The garbage collector is off meanwhile, as a collection empties the
// sync.Pools the package takes buffers from, and the first Put after it
// allocates the pool's per-P storage: after another test's garbage,
// NextReader counted 27 allocations in 200 messages for 26. The warm-up
// is long enough for the pools to see a Get and a Put.
func mallocsPerRun(runs int, f func()) float64 {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	for range 16 {
		f()
	}
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	for i := 0; i < runs; i++ {
		f()
	}
	runtime.ReadMemStats(&m1)
	return float64(m1.Mallocs-m0.Mallocs) / float64(runs)
}
