package websocket

import (
	"context"
	"runtime"
	"strconv"
	"testing"
)

// BenchmarkBroadcast writes one prepared message to 1, 100 and 10,000
// server connections (fakes that drop what is written); each op prepares
// the message once and writes it to every connection. Besides ns/op and
// allocs/op it reports the cost per recipient.
func BenchmarkBroadcast(b *testing.B) {
	data := compressible("broadcast", 512)
	noCtx := &deflateParams{serverNoContext: true, clientNoContext: true, serverBits: 15, clientBits: 15}
	for _, mode := range []struct {
		name string
		p    *deflateParams
	}{{"plain", nil}, {"deflate", noCtx}} {
		for _, n := range []int{1, 100, 10000} {
			b.Run(mode.name+"/conns="+strconv.Itoa(n), func(b *testing.B) {
				conns := make([]*Conn, n)
				for i := range conns {
					conns[i] = newConn(&utDiscardConn{}, false, "", nil)
					if mode.p != nil {
						conns[i].deflate = newCompression(*mode.p, &CompressionOptions{}, false)
					}
				}
				ctx := context.Background()
				b.SetBytes(int64(len(data) * n))
				b.ReportAllocs()
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				b.ResetTimer()
				for range b.N {
					pm, err := NewPreparedMessage(MessageText, data)
					if err != nil {
						b.Fatal(err)
					}
					for _, c := range conns {
						if err := c.WritePreparedMessage(ctx, pm); err != nil {
							b.Fatal(err)
						}
					}
				}
				b.StopTimer()
				runtime.ReadMemStats(&after)
				per := float64(b.N) * float64(n)
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/per, "ns/recipient")
				b.ReportMetric(float64(after.Mallocs-before.Mallocs)/per, "allocs/recipient")
			})
		}
	}
}
