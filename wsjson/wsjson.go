// Package wsjson reads and writes JSON values as WebSocket text messages,
// one value per message.
//
// Read takes a whole message, so the connection's read limit
// (Conn.SetReadLimit) bounds the value before it is decoded, and it reads
// into a pooled buffer: besides encoding/json's own, it allocates nothing
// per message. Write encodes the value with encoding/json and sends it as
// one message.
package wsjson

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/f30c7f75/websocket"
)

// ErrNotText is returned by Read for a binary message. The message has been
// read; the connection stays usable.
var ErrNotText = errors.New("wsjson: binary message where a JSON text message was expected")

// Read reads the next message from c, which must be a text message, and
// decodes it into v as json.Unmarshal does. A message that is not valid
// JSON for v is an error too, after which the connection stays usable: the
// next Read reads the next message. Errors from the connection (its
// close, a limit) are returned as ReadMessage returns them.
func Read(ctx context.Context, c *websocket.Conn, v any) error {
	bp := buffers.Get().(*[]byte)
	defer putBuffer(bp)
	typ, msg, err := c.ReadMessage(ctx, *bp)
	if err != nil {
		return err
	}
	*bp = msg[:0]
	if typ != websocket.MessageText {
		return ErrNotText
	}
	if err := json.Unmarshal(msg, v); err != nil {
		return fmt.Errorf("wsjson: decoding a message: %w", err)
	}
	return nil
}

// Write encodes v as json.Marshal does and sends it as one text message.
func Write(ctx context.Context, c *websocket.Conn, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("wsjson: encoding a message: %w", err)
	}
	return c.WriteMessage(ctx, websocket.MessageText, b)
}

// maxPooled is the largest buffer kept for reuse, so that one large message
// does not keep its memory in the pool.
const maxPooled = 64 << 10

var buffers = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

func putBuffer(bp *[]byte) {
	if cap(*bp) <= maxPooled {
		buffers.Put(bp)
	}
}
