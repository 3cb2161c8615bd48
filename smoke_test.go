package websocket

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestSmoke(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := Accept(w, r, nil)
		if err != nil {
			t.Log(err)
			return
		}
		var buf []byte
		for {
			typ, msg, err := c.ReadMessage(context.Background(), buf)
			if err != nil {
				t.Log("server read:", err)
				return
			}
			buf = msg
			if err := c.WriteMessage(context.Background(), typ, msg); err != nil {
				t.Log("server write:", err)
				return
			}
		}
	}))
	defer srv.Close()
	ctx := context.Background()
	c, _, err := Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 1, 125, 126, 65535, 65536, 1 << 20} {
		p := []byte(strings.Repeat("x", n))
		if err := c.WriteMessage(ctx, MessageText, p); err != nil {
			t.Fatal(err)
		}
		typ, got, err := c.ReadMessage(ctx, nil)
		if err != nil || typ != MessageText || string(got) != string(p) {
			t.Fatalf("n=%d: %v %v %d", n, err, typ, len(got))
		}
	}
	w, _ := c.NextWriter(ctx, MessageBinary)
	for i := 0; i < 100; i++ {
		w.Write([]byte(strings.Repeat("y", 1000)))
	}
	w.Close()
	_, got, err := c.ReadMessage(ctx, nil)
	if err != nil || len(got) != 100000 {
		t.Fatal(err, len(got))
	}
	go func() {
		for {
			if _, _, err := c.ReadMessage(ctx, nil); err != nil {
				return
			}
		}
	}()
	rtt, err := c.Ping(ctx)
	t.Log("rtt", rtt, err)
	if err := c.Close(StatusNormalClosure, "bye"); err != nil {
		t.Fatal(err)
	}
}
