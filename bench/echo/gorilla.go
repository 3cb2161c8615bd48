package echo

import (
	"net/http"

	"github.com/gorilla/websocket"
)

// gorillaHandler echoes with NextReader, read whole into a reused buffer,
// and WriteMessage. The Upgrader keeps its defaults: it reuses the buffers
// net/http hijacked with the connection (4 KiB each), and compresses at
// level 1 when permessage-deflate is negotiated (gorilla supports only "no
// context takeover").
func gorillaHandler(opts Options) http.Handler {
	up := &websocket.Upgrader{EnableCompression: opts.Deflate}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		c.SetReadLimit(ReadLimit)
		var buf []byte
		for {
			typ, rd, err := c.NextReader()
			if err != nil {
				return
			}
			if buf, err = ReadAll(rd, buf); err != nil {
				return
			}
			if err := c.WriteMessage(typ, buf); err != nil {
				return
			}
		}
	})
}
