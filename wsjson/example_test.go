package wsjson_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/f30c7f75/websocket"
	"github.com/f30c7f75/websocket/wsjson"
)

// Example answers each JSON request with a JSON reply.
func Example() {
	type request struct{ A, B int }
	type reply struct{ Sum int }
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		c.SetReadLimit(4 << 10) // bounds each request before it is decoded
		for {
			var req request
			if err := wsjson.Read(r.Context(), c, &req); err != nil {
				return
			}
			if err := wsjson.Write(r.Context(), c, reply{Sum: req.A + req.B}); err != nil {
				return
			}
		}
	}))
	defer s.Close()

	ctx := context.Background()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.URL, "http"), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.CloseNow()
	if err := wsjson.Write(ctx, c, request{A: 2, B: 40}); err != nil {
		log.Fatal(err)
	}
	var rep reply
	if err := wsjson.Read(ctx, c, &rep); err != nil {
		log.Fatal(err)
	}
	fmt.Println(rep.Sum)
	// Output: 42
}
