package echo

import (
	"context"
	"net/http"

	"github.com/coder/websocket"
)

// coderHandler echoes with Reader, read whole into a reused buffer, and
// Write (Read would allocate each message). With Deflate it offers
// CompressionContextTakeover, which falls back to no context takeover when
// the client asks for it.
func coderHandler(opts Options) http.Handler {
	aopts := &websocket.AcceptOptions{}
	if opts.Deflate {
		aopts.CompressionMode = websocket.CompressionContextTakeover
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, aopts)
		if err != nil {
			return
		}
		defer c.CloseNow()
		c.SetReadLimit(ReadLimit) // the default is 32 KiB
		ctx := context.Background()
		var buf []byte
		for {
			typ, rd, err := c.Reader(ctx)
			if err != nil {
				return
			}
			if buf, err = ReadAll(rd, buf); err != nil {
				return
			}
			if err := c.Write(ctx, typ, buf); err != nil {
				return
			}
		}
	})
}
