package websocket

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrPongTimeout is why KeepAlive gave up on a connection: a pong did not
// come back in time.
var ErrPongTimeout = errors.New("websocket: keepalive: no pong in time")

// KeepAlive pings the peer every interval and gives the connection up for
// dead when a pong does not come back within timeout (zero means
// interval): it sends a close frame with StatusInternalError (1011), waiting
// at most timeout to do so, and closes the connection without waiting for
// the peer's. Reads then fail with a *CloseError of StatusAbnormalClosure
// (1006) wrapping ErrPongTimeout, which KeepAlive returns too.
//
// KeepAlive blocks until then, until ctx ends (returning ctx.Err()), or
// until the connection closes otherwise (returning ErrClosed); run it in a
// goroutine of its own. Pongs are noticed by the goroutine reading the
// connection, so one must be reading. In a web page (GOOS=js) it returns
// ErrNoPing at once: the browser keeps the connection alive by itself.
func (c *Conn) KeepAlive(ctx context.Context, interval, timeout time.Duration) error {
	if c.inPage() {
		return ErrNoPing
	}
	if interval <= 0 {
		return fmt.Errorf("websocket: keepalive interval %v is not positive", interval)
	}
	if timeout <= 0 {
		timeout = interval
	}
	t := time.NewTimer(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-c.closed:
			return ErrClosed
		case <-t.C:
		}
		pctx, cancel := context.WithTimeout(ctx, timeout)
		_, err := c.Ping(pctx)
		cancel()
		switch {
		case err == nil:
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, context.DeadlineExceeded):
			return c.abandon(timeout)
		default:
			if c.isClosed() {
				return ErrClosed
			}
			return fmt.Errorf("websocket: keepalive: %w", err)
		}
		t.Reset(interval)
	}
}

// abandon closes a connection whose peer stopped answering pings: it sends
// a close frame, waiting at most wait, and closes TCP with reads reporting
// StatusAbnormalClosure.
func (c *Conn) abandon(wait time.Duration) error {
	lost := &CloseError{Code: StatusAbnormalClosure, Err: ErrPongTimeout}
	if !c.startClosing() {
		// Someone else is closing the connection already.
		<-c.closed
		return ErrClosed
	}
	c.sendClose(StatusInternalError, "no pong in time", time.Now().Add(wait))
	c.closeTCPLost(lost)
	return lost
}
