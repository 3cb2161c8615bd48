package echo

import (
	"context"
	"net/http"

	"github.com/f30c7f75/websocket"
)

// oursHandler echoes with ReadMessage into the previous message's buffer
// and WriteMessage, as the package's README shows.
func oursHandler(opts Options) http.Handler {
	var aopts websocket.AcceptOptions
	if opts.Deflate {
		aopts.Compression = &websocket.CompressionOptions{}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, &aopts)
		if err != nil {
			return
		}
		defer c.CloseNow()
		c.SetReadLimit(ReadLimit)
		ctx := context.Background()
		var buf []byte
		for {
			typ, msg, err := c.ReadMessage(ctx, buf)
			if err != nil {
				return
			}
			if err := c.WriteMessage(ctx, typ, msg); err != nil {
				return
			}
			buf = msg
		}
	})
}
