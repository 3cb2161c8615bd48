package flate

import (
	"bytes"
	stdflate "compress/flate"
	"fmt"
	"io"
	"math/rand"
	"testing"

	"github.com/f30c7f75/websocket/internal/flate/flatetest"
)

// encoder is what BenchmarkDeflater compresses with: a Writer, or
// compress/flate's encoder.
type encoder interface {
	io.Writer
	Flush() error
	Reset(dst io.Writer)
}

// BenchmarkDeflater compresses one message per op, on its own (Reset
// before each) and with the history of the ones before, with a Writer and
// with compress/flate at levels 1 (the same speed class), 5 and 9 (what
// the package uses for CompressionOptions.Level 2 to 9); it reports the
// compressed size as a share of the input.
func BenchmarkDeflater(b *testing.B) {
	for _, size := range []int{128, 1024, 16 << 10, 64 << 10} {
		for _, kind := range []string{"mixed", "records"} {
			gen := flatetest.JSONLike
			if kind == "records" {
				gen = jsonRecords
			}
			msgs := [][]byte{gen(size, 1), gen(size, 2), gen(size, 3), gen(size, 4)}
			for _, context := range []bool{false, true} {
				for _, enc := range []string{"ours", "std-1", "std-5", "std-9"} {
					name := fmt.Sprintf("size=%d/%s/context=%v/%s", size, kind, context, enc)
					b.Run(name, func(b *testing.B) {
						var out countWriter
						var w encoder
						if enc == "ours" {
							w = newWriter(b, &out, 15)
						} else {
							level := int(enc[len(enc)-1] - '0')
							w, _ = stdflate.NewWriter(&out, level)
						}
						b.SetBytes(int64(size))
						b.ReportAllocs()
						b.ResetTimer()
						for i := range b.N {
							if !context {
								w.Reset(&out)
							}
							w.Write(msgs[i%len(msgs)])
							w.Flush()
						}
						b.ReportMetric(float64(out)/float64(b.N*size), "ratio")
					})
				}
			}
		}
	}
}

// jsonRecords returns n bytes of a JSON array of small records with the
// same keys and varying values, as a feed sends.
func jsonRecords(n int, seed int64) []byte {
	rng := rand.New(rand.NewSource(seed))
	names := []string{"alpha", "bravo", "charlie", "delta", "echo", "foxtrot"}
	b := []byte("[")
	for i := 0; len(b) < n; i++ {
		b = fmt.Appendf(b, `{"id":%d,"user":"%s_%d","price":%.4f,"qty":%d,"side":"%s"},`,
			i, names[rng.Intn(len(names))], rng.Intn(1000), 100+rng.Float64()*10, rng.Intn(500),
			[]string{"buy", "sell"}[rng.Intn(2)])
	}
	return b[:n]
}

// countWriter counts the bytes written to it.
type countWriter int

func (c *countWriter) Write(p []byte) (int, error) {
	*c += countWriter(len(p))
	return len(p), nil
}

// BenchmarkInflate inflates one message per op into a buffer of its size,
// as a Conn reading a whole message does: JSON-like text compressed by
// compress/flate at its default level and sync-flushed, held whole or, for
// the largest, in the 64 KiB segments a Conn gathers it in.
func BenchmarkInflate(b *testing.B) {
	for _, tc := range []struct {
		size, segment int
	}{{1 << 10, 0}, {64 << 10, 0}, {1 << 20, 0}, {1 << 20, 64 << 10}} {
		msg := flatetest.JSONLike(tc.size, 1)
		var z bytes.Buffer
		fw, _ := stdflate.NewWriter(&z, stdflate.DefaultCompression)
		fw.Write(msg)
		fw.Flush()
		in := z.Bytes()
		var segs [][]byte
		name := fmt.Sprintf("size=%d/whole", tc.size)
		if tc.segment > 0 {
			for rest := in; len(rest) > 0; rest = rest[min(len(rest), tc.segment):] {
				segs = append(segs, rest[:min(len(rest), tc.segment)])
			}
			name = fmt.Sprintf("size=%d/segments=%d", tc.size, tc.segment)
		}
		b.Run(name, func(b *testing.B) {
			r := NewReader(nil, nil)
			buf := make([]byte, tc.size)
			b.SetBytes(int64(tc.size))
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if segs != nil {
					r.ResetSegments(segs, nil)
				} else {
					r.Reset(in, nil)
				}
				n := 0
				for {
					k, err := r.Read(buf[n:])
					n += k
					if err == io.EOF {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
				}
				if n != tc.size {
					b.Fatalf("inflated %d bytes of %d", n, tc.size)
				}
			}
		})
	}
}
