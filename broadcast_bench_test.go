package websocket

import (
	"context"
	"runtime"
	"strconv"
	"testing"
)

// BenchmarkBroadcast writes one message to 1 to 10,000 server connections
// (fakes that drop what is written), plain and compressed: "prepared"
// prepares it once per op and writes it to every connection with
// WritePreparedMessage; "each" writes it to every connection with
// WriteMessage, which frames (and compresses) it once per connection.
// Besides ns/op and allocs/op it reports the cost per recipient.
func BenchmarkBroadcast(b *testing.B) {
	data := compressible("broadcast", 512)
	noCtx := &deflateParams{serverNoContext: true, clientNoContext: true, serverBits: 15, clientBits: 15}
	for _, mode := range []struct {
		name string
		p    *deflateParams
	}{{"plain", nil}, {"deflate", noCtx}} {
		for _, way := range []string{"prepared", "each"} {
			for _, n := range []int{1, 100, 1000, 10000} {
				b.Run(mode.name+"/"+way+"/conns="+strconv.Itoa(n), func(b *testing.B) {
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
						if way == "each" {
							for _, c := range conns {
								if err := c.WriteMessage(ctx, MessageText, data); err != nil {
									b.Fatal(err)
								}
							}
							continue
						}
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
}
