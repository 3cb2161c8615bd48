package websocket

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/f30c7f75/websocket/internal/flate"
	"github.com/f30c7f75/websocket/internal/flate/flatetest"
)

// Memory used reading large compressed messages: what is allocated while
// a message is gathered and inflated, against its compressed size C and its
// inflated size U.

// halfCompressible returns n random letters from an alphabet of 16: four
// bits of entropy a byte and few repeats, so that DEFLATE halves it with its
// Huffman codes.
func halfCompressible(n int, seed int64) []byte {
	b := randomBytes(n, seed)
	for i := range b {
		b[i] = 'a' + b[i]&15
	}
	return b
}

// recordConn is a net.Conn that keeps what is written to it.
type recordConn struct {
	utNopConn
	out bytes.Buffer
}

func (c *recordConn) Read([]byte) (int, error)    { return 0, io.EOF }
func (c *recordConn) Write(p []byte) (int, error) { return c.out.Write(p) }

// largeMessage is a large message as our client sends it compressed, and
// the same compressed payload as a peer that sends it in one frame would.
type largeMessage struct {
	msg        []byte
	frames     []byte // the client's frames
	nframes    int
	payload    []byte // their payloads unmasked and joined
	oneFrame   []byte // the payload in one masked frame
	compressed int    // C: the payload's size on the wire
}

// newLargeMessage compresses msg with a client Conn of this package, with
// default compression options, and keeps the frames it writes.
func newLargeMessage(tb testing.TB, msg []byte) *largeMessage {
	tb.Helper()
	nc := &recordConn{}
	c := newConn(nc, true, "", nil)
	c.deflate = newCompression(deflateParamsFor(false), &CompressionOptions{}, true)
	if err := c.WriteMessage(context.Background(), MessageBinary, msg); err != nil {
		tb.Fatal(err)
	}
	m := &largeMessage{msg: msg, frames: nc.out.Bytes()}
	for rest := m.frames; len(rest) > 0; {
		h, n, err := ParseFrameHeader(rest)
		if err != nil {
			tb.Fatal(err)
		}
		p := bytes.Clone(rest[n : n+int(h.Length)])
		Mask(h.Mask, 0, p)
		m.payload = append(m.payload, p...)
		rest = rest[n+int(h.Length):]
		m.nframes++
	}
	m.compressed = len(m.payload)
	m.oneFrame = compressedFrame(m.payload, true)
	return m
}

// allocatedReading reads stream on a new server Conn with a read limit of
// limit, and returns the bytes allocated during read: after two
// collections (which also empty the pools), with the collector off, so
// that the count does not depend on when it runs.
func allocatedReading(stream []byte, limit int64, read func(c *Conn) error) (uint64, error) {
	c := deflateConn(false, &bytesConn{r: bytes.NewReader(stream)})
	c.SetReadLimit(limit)
	runtime.GC()
	runtime.GC()
	old := debug.SetGCPercent(-1)
	defer debug.SetGCPercent(old)
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	err := read(c)
	runtime.ReadMemStats(&m1)
	return m1.TotalAlloc - m0.TotalAlloc, err
}

// largeSlack is what reading a large compressed message may allocate on
// top of the compressed message, the inflated one, and, for ReadMessage,
// the margin of its estimated size and the blocks it inflates into before
// the estimate: a few 64 KiB blocks (a decompressor and its window, the
// partly filled chunks of the compressed message, the connection's history
// for context takeover).
const largeSlack = 512 << 10

// poolSlack is what reading a message in frames allocates on top when the
// pools drop items at random, as they do under the race detector: a read
// buffer for each frame's header, at worst.
func poolSlack(frames int) uint64 {
	if poolsDropItems() {
		return uint64(frames) * readBufSize
	}
	return 0
}

// TestDeflateLargeMessageMemory reads a 48 MiB message (12 MiB under the race
// detector), compressed to about half, and checks that ReadMessage allocates no
// more than the compressed message (C), the inflated one (U), the margin of the
// estimate of U (U/inflateMargin), the blocks inflated before it
// (estimateAfter) and largeSlack, whether the message arrives in the 16 KiB
// frames our client sends or in one frame, and with the read limit just above
// the message or as high as it goes; and that NextReader, which hands the
// inflated bytes over as they come, allocates no more than C and largeSlack.
// Before the message was gathered in chunks and its size estimated, ReadMessage
// allocated 2 (one frame) to 3 (16 KiB frames) times C + U, and NextReader 2 to
// 5 times C.
func TestDeflateLargeMessageMemory(t *testing.T) {
	size := 48 << 20
	if poolsDropItems() {
		size = 12 << 20 // under the race detector, ten times slower
	}
	m := newLargeMessage(t, halfCompressible(size, 1))
	c, u := uint64(m.compressed), uint64(size)
	t.Logf("U = %d KiB inflated, C = %d KiB compressed, in %d frames", u>>10, c>>10, m.nframes)
	ctx := context.Background()
	for _, framing := range []struct {
		name   string
		stream []byte
		slack  uint64
	}{
		{"client-frames", m.frames, largeSlack + poolSlack(m.nframes)},
		{"one-frame", m.oneFrame, largeSlack},
	} {
		for _, limit := range []int64{int64(size + size/64), math.MaxInt64 - 1} {
			// (The limit stops one short of math.MaxInt64, at which the
			// room inflate computes overflows.)
			t.Run(fmt.Sprintf("%s/ReadMessage/limit-%d", framing.name, limit), func(t *testing.T) {
				var got []byte
				alloc, err := allocatedReading(framing.stream, limit, func(c *Conn) error {
					var err error
					_, got, err = c.ReadMessage(ctx, nil)
					return err
				})
				if err != nil || !bytes.Equal(got, m.msg) {
					t.Fatalf("read %d bytes, %v; want the %d-byte message", len(got), err, size)
				}
				budget := c + u + u/inflateMargin + estimateAfter + framing.slack
				t.Logf("allocated %d KiB = C + U + %d KiB = %.3f (C + U) (budget C + U + %d KiB)",
					alloc>>10, (int64(alloc)-int64(c+u))>>10, float64(alloc)/float64(c+u), (budget-c-u)>>10)
				if alloc > budget {
					t.Errorf("allocated %d bytes reading the message, more than C (%d) + U (%d) + %d", alloc, c, u, budget-c-u)
				}
			})
		}
		t.Run(framing.name+"/NextReader", func(t *testing.T) {
			var n int64
			alloc, err := allocatedReading(framing.stream, int64(size), func(c *Conn) error {
				_, r, err := c.NextReader(ctx)
				if err != nil {
					return err
				}
				n, err = io.Copy(io.Discard, r)
				return err
			})
			if err != nil || n != int64(size) {
				t.Fatalf("read %d bytes, %v; want %d", n, err, size)
			}
			budget := c + framing.slack
			t.Logf("allocated %d KiB = C + %d KiB = %.3f C (budget C + %d KiB)", alloc>>10, (int64(alloc)-int64(c))>>10, float64(alloc)/float64(c), framing.slack>>10)
			if alloc > budget {
				t.Errorf("allocated %d bytes streaming the message, more than C (%d) + %d", alloc, c, framing.slack)
			}
		})
	}
}

// TestDeflateSkewedMessage reads messages whose compression changes part
// way, so that the estimate of their size made from their start is wrong:
// JSON-like text and then random bytes (an estimate far too large, or past
// the read limit and not trusted), and the other way round (an estimate that
// falls short, the rest going into blocks). It checks that each reads back
// whole into a buffer with no more than half of it to spare, having
// allocated no more than about twice the message, on top of the compressed
// message, or, with the limit high enough to trust a far too large
// estimate, that estimate (up to 16 times the compressed bytes left) on
// top.
func TestDeflateSkewedMessage(t *testing.T) {
	const size = 4 << 20
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		msg  []byte
	}{
		{"text-then-random", append(jsonLike(size/2, 1), randomBytes(size/2, 2)...)},
		{"random-then-text", append(randomBytes(size/2, 3), jsonLike(size/2, 4)...)},
	} {
		m := newLargeMessage(t, tc.msg)
		c, u := uint64(m.compressed), uint64(size)
		for _, limit := range []int64{2 * size, 1 << 30} {
			t.Run(fmt.Sprintf("%s/limit-%d", tc.name, limit), func(t *testing.T) {
				var got []byte
				alloc, err := allocatedReading(m.frames, limit, func(c *Conn) error {
					var err error
					_, got, err = c.ReadMessage(ctx, nil)
					return err
				})
				if err != nil || !bytes.Equal(got, m.msg) {
					t.Fatalf("read %d bytes, %v; want the %d-byte message", len(got), err, size)
				}
				if cap(got) > len(got)+len(got)/2 {
					t.Errorf("message of %d bytes in a buffer of %d", len(got), cap(got))
				}
				budget := c + 2*u + u/inflateMargin + estimateAfter + largeSlack + poolSlack(m.nframes)
				if limit > 2*size {
					budget += estimateRatio * c
				}
				t.Logf("allocated C + U + %d KiB = %.2f (C + U) (budget C + U + %d KiB)", (alloc-c-u)>>10, float64(alloc)/float64(c+u), (budget-c-u)>>10)
				if alloc > budget {
					t.Errorf("allocated %d bytes, more than %d", alloc, budget)
				}
			})
		}
	}
}

// TestDeflateGatherFollowsArrival checks that a peer announcing a huge
// compressed frame and sending only some of it costs about what it sent
// (at most twice, and a block), not what it announced.
func TestDeflateGatherFollowsArrival(t *testing.T) {
	const announced = 1 << 30
	for _, sent := range []int{100, 100 << 10, 3 << 20} {
		h := FrameHeader{Fin: true, Rsv1: true, Opcode: OpBinary, Length: announced, Masked: true, Mask: [4]byte{1, 2, 3, 4}}
		stream := encodeFrame(h, randomBytes(sent, 1))
		alloc, err := allocatedReading(stream, 2*announced, func(c *Conn) error {
			_, _, err := c.ReadMessage(context.Background(), nil)
			return err
		})
		if err == nil {
			t.Fatalf("%d bytes of a %d-byte frame read as a message", sent, announced)
		}
		budget := uint64(2*sent + inflateBlock + largeSlack)
		t.Logf("sent %d bytes of %d: allocated %d bytes (%v)", sent, announced, alloc, err)
		if alloc > budget {
			t.Errorf("sent %d bytes of %d: allocated %d bytes, more than twice what was sent, a block and %d", sent, announced, alloc, largeSlack)
		}
	}
}

// TestInflatedSize checks the estimate of a message's size, part way
// through a message of 4 MiB compressed to about half, and one of zeros
// compressed a thousandfold, under read limits from below the message to
// math.MaxInt64: the ratio so far with its margin, no more than the limit,
// none when it passes the limit by far, and no more than estimateRatio
// times the rest of the compressed message.
func TestInflatedSize(t *testing.T) {
	const size = 4 << 20
	half := newLargeMessage(t, halfCompressible(size, 1)).payload
	zeros := zeroBomb(size)
	for _, tc := range []struct {
		name    string
		payload []byte
		limit   int64
		min     int // the estimate, within [min, max]
		max     int
	}{
		{"half", half, math.MaxInt64, size + size/inflateMargin - size/200, size + size/inflateMargin + size/200},
		{"half", half, 1 << 40, size + size/inflateMargin - size/200, size + size/inflateMargin + size/200},
		{"half", half, size, size, size},
		{"half", half, size - size/16, size - size/16, size - size/16},
		{"half", half, size / 2, 0, 0},
		{"zeros", zeros, math.MaxInt64, 1 << 20, 1<<20 + estimateRatio*len(zeros)},
	} {
		t.Run(fmt.Sprintf("%s/limit-%d", tc.name, tc.limit), func(t *testing.T) {
			c := deflateConn(false, &bytesConn{r: bytes.NewReader(nil)})
			c.r.msgLimit = tc.limit
			c.deflate.zr = flate.NewReader(append(bytes.Clone(tc.payload), deflateTail...), nil)
			buf := make([]byte, 1<<20)
			n, err := io.ReadFull(c.deflate.zr, buf)
			if err != nil {
				t.Fatal(err)
			}
			c.deflate.zout = int64(n)
			got := c.inflatedSize()
			t.Logf("estimate %d for %d bytes", got, size)
			if got < tc.min || got > tc.max {
				t.Errorf("estimate %d, want %d to %d", got, tc.min, tc.max)
			}
		})
	}
}

// BenchmarkDecompressLarge measures compressed ReadMessage of large
// messages into a nil buffer, from the frames our client sends: the time
// and allocations, and as peak-heap-B/op the most the heap held during one
// more read, sampled with the collector running often, above what it held
// before.
func BenchmarkDecompressLarge(b *testing.B) {
	ctx := context.Background()
	for _, size := range []int{1 << 20, 16 << 20} {
		b.Run(fmt.Sprintf("%dMiB", size>>20), func(b *testing.B) {
			m := newLargeMessage(b, halfCompressible(size, 1))
			stream := bytes.Repeat(m.frames, 2)
			c := deflateConn(false, &utLoopConn{data: stream})
			c.SetReadLimit(2 * int64(size))
			read := func() {
				if _, got, err := c.ReadMessage(ctx, nil); err != nil || len(got) != size {
					b.Fatalf("read %d bytes, %v", len(got), err)
				}
			}
			b.SetBytes(int64(size))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				read()
			}
			b.StopTimer()
			b.ReportMetric(float64(peakHeapDuring(read)), "peak-heap-B/op")
		})
	}
}

// peakHeapDuring returns the most the heap's objects took up while f ran,
// above what they took up before, sampled by another goroutine as often as
// it can, with the collector set to run at 10% growth so that the heap
// stays close to what is live. The pools are emptied first (two
// collections), so that what f takes from them counts.
func peakHeapDuring(f func()) uint64 {
	runtime.GC()
	runtime.GC()
	old := debug.SetGCPercent(10)
	defer debug.SetGCPercent(old)
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(sample)
	base := sample[0].Value.Uint64()
	var stop atomic.Bool
	started := make(chan struct{})
	done := make(chan uint64)
	go func() {
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		var peak uint64
		for i := 0; ; i++ {
			stopped := stop.Load() // and one more sample after f
			metrics.Read(s)
			peak = max(peak, s[0].Value.Uint64())
			if i == 0 {
				close(started)
			}
			if stopped {
				break
			}
			runtime.Gosched()
		}
		done <- peak
	}()
	<-started
	f()
	stop.Store(true)
	peak := <-done
	if peak < base {
		return 0
	}
	return peak - base
}

// ---------------------------------------------------------------------------
// Gathering a compressed message in chunks.

// framed encodes payload as one compressed binary message, masked as a
// client sends it, in frames of the given sizes, which add up to
// len(payload).
func framed(payload []byte, sizes []int) []byte {
	var out []byte
	op, rsv1 := OpBinary, true
	for i, n := range sizes {
		h := FrameHeader{Fin: i == len(sizes)-1, Rsv1: rsv1, Opcode: op, Length: int64(n), Masked: true, Mask: [4]byte{1, 2, 3, 4}}
		out = append(out, encodeFrame(h, payload[:n])...)
		payload = payload[n:]
		op, rsv1 = OpContinuation, false
	}
	return out
}

// frameSizes returns the sizes of frames of n bytes and then one of the
// rest of total.
func frameSizes(total, n int) []int {
	var sizes []int
	for ; total > n; total -= n {
		sizes = append(sizes, n)
	}
	return append(sizes, total)
}

// stutterConn is a net.Conn serving data, but failing a read with a
// timeout once where each cut falls, as a read deadline would.
type stutterConn struct {
	utNopConn
	data []byte
	cuts []int // ascending offsets in data
	off  int
}

func (c *stutterConn) Read(p []byte) (int, error) {
	if len(c.cuts) > 0 && c.off == c.cuts[0] {
		c.cuts = c.cuts[1:]
		return 0, os.ErrDeadlineExceeded
	}
	end := len(c.data)
	if len(c.cuts) > 0 {
		end = c.cuts[0]
	}
	if c.off == end {
		return 0, io.EOF
	}
	n := copy(p, c.data[c.off:end])
	c.off += n
	return n, nil
}

func (c *stutterConn) Write(p []byte) (int, error) { return len(p), nil }

// TestDeflateGatherFramings reads compressed messages that arrive in
// frames of many shapes: whole, in the 16 KiB frames our client sends, in
// frames of uneven sizes, some of one byte, with an empty last frame, and
// laid out so that the tail put back at the end takes a segment of its own
// (the last chunk filled to the brim). It reads each twice, then a small
// message, with ReadMessage, with NextReader, and with a NextReader left
// part way through the first, without and with reads that time out at
// points in the frames, and checks that every message reads back whole.
func TestDeflateGatherFramings(t *testing.T) {
	ctx := context.Background()
	msg := halfCompressible(1<<20, 5)
	payload := newLargeMessage(t, msg).payload
	c := len(payload)
	rng := rand.New(rand.NewPCG(5, 6))
	var uneven []int
	for left := c; left > 0; {
		n := min(left, 1+rng.IntN(1+rng.IntN(200<<10)))
		uneven = append(uneven, n)
		left -= n
	}
	var ones []int
	for range 100 {
		ones = append(ones, 1)
	}
	// Stored blocks sized so that the payload is 128 KiB: the first frame
	// fills r.zbuf's block and 36 KiB of a second, which the last frame
	// fills.
	brim := flatetest.StoredBlocks(randomBytes(128<<10-11, 7), 65535)
	brim = brim[:len(brim)-len(deflateTail)]
	// And 64 KiB, filling r.zbuf alone in four frames.
	brim64 := flatetest.StoredBlocks(randomBytes(64<<10-6, 8), 65535)
	brim64 = brim64[:len(brim64)-len(deflateTail)]
	type message struct {
		name   string
		msg    []byte
		frames []byte
	}
	messages := []message{
		{"one-frame", msg, framed(payload, []int{c})},
		{"16KiB-frames", msg, framed(payload, frameSizes(c, 16<<10))},
		{"uneven-frames", msg, framed(payload, uneven)},
		{"one-byte-frames-first", msg, framed(payload, append(ones, c-len(ones)))},
		{"empty-last-frame", msg, framed(payload, []int{c, 0})},
		{"brim-128KiB", randomBytes(128<<10-11, 7), framed(brim, []int{100 << 10, len(brim) - 100<<10})},
		{"brim-64KiB", randomBytes(64<<10-6, 8), framed(brim64, frameSizes(len(brim64), 16<<10))},
	}
	if len(brim) != 128<<10 || len(brim64) != 64<<10 {
		t.Fatalf("payloads of %d and %d bytes", len(brim), len(brim64))
	}
	small := []byte("a small message after")
	smallFrame := newLargeMessage(t, small).oneFrame
	for _, m := range messages {
		for _, api := range []string{"ReadMessage", "NextReader", "NextReader-abandoned"} {
			for _, cuts := range [][]int{nil, {3, 20, 16 << 10, 64<<10 + 1, 64<<10 + 20, 200 << 10}} {
				t.Run(fmt.Sprintf("%s/%s/%d-cuts", m.name, api, len(cuts)), func(t *testing.T) {
					// The message twice, then a small one: the second reads
					// after the first's chunks are released.
					stream := append(bytes.Clone(m.frames), m.frames...)
					stream = append(stream, smallFrame...)
					var cs []int
					for _, cut := range cuts {
						if cut < len(m.frames) {
							cs = append(cs, cut, len(m.frames)+cut)
						}
					}
					slices.Sort(cs)
					conn := deflateConn(false, &stutterConn{data: stream, cuts: cs})
					conn.SetReadLimit(4 << 20)
					for i, want := range [][]byte{m.msg, m.msg, small} {
						// The abandoned reader leaves the first message
						// after 1000 bytes, for the next read to discard.
						abandon := api == "NextReader-abandoned" && i == 0
						if abandon {
							want = want[:1000]
						}
						var got []byte
						for {
							var err error
							if api == "ReadMessage" {
								_, got, err = conn.ReadMessage(ctx, nil)
							} else {
								var r io.Reader
								if _, r, err = conn.NextReader(ctx); err == nil && abandon {
									got = make([]byte, len(want))
									_, err = io.ReadFull(r, got)
								} else if err == nil {
									got, err = io.ReadAll(r)
								}
							}
							if err == nil {
								break
							}
							if !errors.Is(err, os.ErrDeadlineExceeded) {
								t.Fatalf("message %d: %v", i, err)
							}
						}
						if !bytes.Equal(got, want) {
							t.Fatalf("message %d: %d bytes, want %d", i, len(got), len(want))
						}
					}
				})
			}
		}
	}
}

// ---------------------------------------------------------------------------
// The read limit applies to inflated bytes.

// bytesConn is a net.Conn serving data once, then EOF; writes are dropped.
type bytesConn struct {
	utNopConn
	r *bytes.Reader
}

func (c *bytesConn) Read(p []byte) (int, error)  { return c.r.Read(p) }
func (c *bytesConn) Write(p []byte) (int, error) { return len(p), nil }

// deflateConn makes a Conn in the given role reading stream, with
// permessage-deflate negotiated with default parameters.
func deflateConn(client bool, nc net.Conn) *Conn {
	c := newConn(nc, client, "", nil)
	c.deflate = newCompression(deflateParams{serverBits: 15, clientBits: 15}, &CompressionOptions{}, client)
	return c
}

// compressedFrame encodes payload as a compressed binary message in one
// frame, masked as a client sends it.
func compressedFrame(payload []byte, masked bool) []byte {
	h := FrameHeader{Fin: true, Rsv1: true, Opcode: OpBinary, Length: int64(len(payload)), Masked: masked, Mask: [4]byte{7, 8, 9, 10}}
	return encodeFrame(h, payload)
}

// TestDeflateBomb checks that a message inflating to 64 MiB, sent in
// about 64 KiB, fails with 1009 under a 1 MiB read limit, and that reading
// it allocates no more than the limit, the compressed message and a little
// (256 KiB): inflated bytes count against the limit as they come, not once
// the message is whole.
func TestDeflateBomb(t *testing.T) {
	const limit = 1 << 20
	const slack = 256 << 10
	payload := zeroBomb(64 << 20)
	t.Logf("64 MiB of zeros compressed to %d bytes", len(payload))
	stream := compressedFrame(payload, true)
	ctx := context.Background()
	// measure reads the bomb on a new Conn with the pools emptied (two
	// collections), the collector off during the read. It keeps the least
	// of three measurements, in case another goroutine allocates meanwhile.
	measure := func(read func(c *Conn) error) (uint64, error) {
		least := uint64(1 << 63)
		var err error
		for i := 0; i < 3; i++ {
			c := deflateConn(false, &bytesConn{r: bytes.NewReader(stream)})
			c.SetReadLimit(limit)
			runtime.GC()
			runtime.GC()
			old := debug.SetGCPercent(-1)
			var m0, m1 runtime.MemStats
			runtime.ReadMemStats(&m0)
			err = read(c)
			runtime.ReadMemStats(&m1)
			debug.SetGCPercent(old)
			least = min(least, m1.TotalAlloc-m0.TotalAlloc)
		}
		return least, err
	}
	check := func(t *testing.T, alloc uint64, err error) {
		t.Helper()
		var pe *ProtocolError
		if !errors.As(err, &pe) || pe.Code != StatusMessageTooBig {
			t.Fatalf("got %v, want a ProtocolError with 1009", err)
		}
		// The compressed message is gathered whole before it is inflated
		// (its size is bounded by the limit too), so it counts on top.
		budget := uint64(limit + len(payload) + slack)
		t.Logf("allocated %d KiB for a read limit of %d KiB (budget %d KiB)", alloc>>10, limit>>10, budget>>10)
		if alloc > budget {
			t.Errorf("allocated %d bytes reading the bomb, more than the %d-byte limit + the %d compressed bytes + %d", alloc, limit, len(payload), slack)
		}
	}
	t.Run("ReadMessage", func(t *testing.T) {
		alloc, err := measure(func(c *Conn) error {
			_, msg, err := c.ReadMessage(ctx, nil)
			if len(msg) > limit {
				t.Errorf("ReadMessage returned %d bytes", len(msg))
			}
			return err
		})
		check(t, alloc, err)
	})
	t.Run("NextReader", func(t *testing.T) {
		var n int64
		alloc, err := measure(func(c *Conn) error {
			_, r, err := c.NextReader(ctx)
			if err != nil {
				return err
			}
			n, err = io.Copy(io.Discard, r)
			return err
		})
		check(t, alloc, err)
		if n > limit {
			t.Errorf("the reader gave %d bytes, past the limit", n)
		}
	})
	// Under the default 32 MiB limit a message of up to the limit is read,
	// whatever its compression ratio.
	t.Run("within-limit", func(t *testing.T) {
		c := deflateConn(false, &bytesConn{r: bytes.NewReader(compressedFrame(zeroBomb(4<<20), true))})
		c.SetReadLimit(4 << 20)
		_, msg, err := c.ReadMessage(ctx, nil)
		if err != nil || len(msg) != 4<<20 || !bytes.Equal(msg, make([]byte, 4<<20)) {
			t.Fatalf("%d bytes, %v", len(msg), err)
		}
	})
}
