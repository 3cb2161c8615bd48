package websocket

import (
	"context"
	"encoding/binary"
	"time"
)

// Ping sends a ping and waits for the pong that answers it, returning the
// round-trip time. Pongs are noticed by the goroutine reading the connection,
// so Ping returns only while another goroutine is reading; ctx bounds the
// wait.
//
// In a web page (GOOS=js), whose WebSocket cannot send pings, Ping returns
// ErrNoPing.
func (c *Conn) Ping(ctx context.Context) (time.Duration, error) {
	if c.inPage() {
		return 0, ErrNoPing
	}
	done := make(chan struct{})
	c.pingMu.Lock()
	if c.pings == nil {
		c.pings = &pingWaits{waits: make(map[uint64]chan struct{})}
	}
	c.pings.seq++
	seq := c.pings.seq
	c.pings.waits[seq] = done
	c.pingMu.Unlock()
	var payload [8]byte
	binary.BigEndian.PutUint64(payload[:], seq)
	defer func() {
		c.pingMu.Lock()
		delete(c.pings.waits, seq)
		c.pingMu.Unlock()
	}()

	start := time.Now()
	if err := c.writeFrame(ctx, FrameHeader{Fin: true, Opcode: OpPing}, payload[:], nil); err != nil {
		return 0, err
	}
	select {
	case <-done:
		return time.Since(start), nil
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-c.closed:
		return 0, ErrClosed
	}
}

// pongReceived completes the Ping call whose ping p answers, if any.
func (c *Conn) pongReceived(p []byte) {
	if len(p) != 8 {
		return
	}
	seq := binary.BigEndian.Uint64(p)
	c.pingMu.Lock()
	if c.pings != nil {
		if done, ok := c.pings.waits[seq]; ok {
			close(done)
			delete(c.pings.waits, seq)
		}
	}
	c.pingMu.Unlock()
}
