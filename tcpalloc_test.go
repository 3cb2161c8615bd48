package websocket

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestTCPEchoAllocs checks that a round trip between our client and our
// server over loopback TCP allocates nothing in steady state, on either
// side: reads wait for readability without closures or buffers of their
// own, and writes use pooled buffers.
func TestTCPEchoAllocs(t *testing.T) {
	srv := httptest.NewServer(echoHandler())
	defer srv.Close()
	ctx := context.Background()
	c, _, err := Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	for _, size := range []int{16, 1024, 64 << 10} {
		msg := []byte(strings.Repeat("x", size))
		buf := make([]byte, 0, size)
		roundTrip := func() {
			if err := c.WriteMessage(ctx, MessageBinary, msg); err != nil {
				t.Fatal(err)
			}
			if _, buf, err = c.ReadMessage(ctx, buf); err != nil || len(buf) != size {
				t.Fatal(len(buf), err)
			}
		}
		for i := 0; i < 10; i++ {
			roundTrip()
		}
		checkZeroAllocs(t, testing.AllocsPerRun(200, roundTrip), itoa(size)+"-byte round trip")
	}
}
