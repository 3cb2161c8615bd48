package websocket

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

// Close runs the closing handshake of RFC 6455 section 7: it sends a close
// frame with code and reason, waits for the peer's close frame, and closes
// the TCP connection; a client first waits for the server to close TCP, as
// section 7.1.1 asks. Each step is bounded by the close timeout
// (DefaultCloseTimeout unless SetCloseTimeout says otherwise). A code of 0
// (or StatusNoStatusReceived) sends a close frame without a status code, and
// then no reason. The reason must be valid UTF-8; one longer than
// MaxCloseReason bytes is cut at a character boundary.
//
// Close returns nil once the peer has answered with its own close frame. If
// the connection is already closing or closed, Close waits for that to end
// and returns ErrClosed. A code that may not be sent (see StatusCode.Valid)
// or a reason that is not UTF-8 sends nothing: Close closes the connection
// at once, as CloseNow does, and returns an error saying why.
func (c *Conn) Close(code StatusCode, reason string) error {
	if code == StatusNoStatusReceived {
		code = 0
	}
	var err error
	switch {
	case code != 0 && !code.Valid():
		err = fmt.Errorf("websocket: close code %d may not be sent", uint16(code))
	case code == 0 && reason != "":
		err = fmt.Errorf("websocket: close reason %q without a status code", reason)
	case !utf8.ValidString(reason):
		err = fmt.Errorf("websocket: close reason %q is not valid UTF-8", reason)
	}
	if err != nil {
		c.CloseNow()
		return err
	}
	if !c.startClosing() {
		<-c.closed
		c.closeOnce.Do(func() {}) // returns once the transport is closed
		return ErrClosed
	}
	deadline := c.closeDeadline()
	err = c.sendClose(code, reason, deadline)
	if err == nil {
		err = c.awaitPeerClose(deadline)
	}
	c.closeTCP()
	return err
}

// CloseNow closes the TCP connection at once, without the closing
// handshake. Blocked reads and writes return. Over HTTP/2 it resets the
// stream instead. It returns once the transport is closed (after the
// close begun by another goroutine, if one is under way, returning
// ErrClosed then), so that a handler may return after it: over HTTP/2 no
// write uses the stream any more.
func (c *Conn) CloseNow() error {
	c.startClosing()
	if !c.closeTCPLost(nil) {
		return ErrClosed // once the other close has returned
	}
	return nil
}

// startClosing marks the connection as closing and reports whether the
// caller is the first to do so, and so the one to finish the closing
// handshake and close TCP.
func (c *Conn) startClosing() bool {
	c.closeMu.Lock()
	defer c.closeMu.Unlock()
	first := !c.closing
	c.closing = true
	return first
}

// sendClose sends a close frame, unless one has been sent already, giving up
// at deadline.
func (c *Conn) sendClose(code StatusCode, reason string, deadline time.Time) error {
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	if err := c.frameSem.lock(ctx, c.closed); err != nil {
		return fmt.Errorf("websocket: sending close frame: %w", err)
	}
	defer c.frameSem.unlock()
	if c.closeSent {
		return nil
	}
	c.closeSent = true
	var payload [MaxControlPayload]byte
	p := AppendClosePayload(payload[:0], code, reason)
	c.nc.SetWriteDeadline(deadline)
	if n, err := c.writeFrameLocked(FrameHeader{Fin: true, Opcode: OpClose}, p, nil); err != nil {
		return c.writeFailed(ctx, n, err)
	}
	return nil
}

// peerCloseRead records the peer's close frame, and wakes a Close waiting
// for it.
func (c *Conn) peerCloseRead(code StatusCode, reason string) {
	c.closeMu.Lock()
	defer c.closeMu.Unlock()
	c.peerClose.Store(&CloseError{Code: code, Reason: reason})
	if c.closeRcvd != nil {
		close(c.closeRcvd)
	}
}

// peerCloseChan returns a channel closed once the peer's close frame has
// been read. It is made on demand: most connections never wait for it.
func (c *Conn) peerCloseChan() <-chan struct{} {
	c.closeMu.Lock()
	defer c.closeMu.Unlock()
	if c.closeRcvd == nil {
		c.closeRcvd = make(chan struct{})
		if c.peerClose.Load() != nil {
			close(c.closeRcvd)
		}
	}
	return c.closeRcvd
}

var errCloseTimeout = errors.New("websocket: timed out waiting for the peer's close frame")

// awaitPeerClose waits, after this side has sent its close frame, for the
// peer's: read by the goroutine reading the connection, or by this one if
// no goroutine is. A client then waits for the server to close TCP.
func (c *Conn) awaitPeerClose(deadline time.Time) error {
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	var readErr error
	if c.r.sem.lockUnless(c.peerCloseChan(), c.closed, timer.C) {
		readErr = c.drainUntilClose(deadline)
		if c.r.err == nil {
			// The drain stopped short of the peer's close frame, perhaps
			// inside a frame: a read between now and the end of the Close
			// must not take up the stream where it stopped.
			c.r.err = ErrClosed
		}
		c.r.sem.unlock()
	}
	if c.peerClose.Load() == nil {
		if c.isClosed() {
			return ErrClosed
		}
		var pe *ProtocolError
		switch {
		case errors.As(readErr, &pe):
			return pe
		case readErr != nil && !isTimeout(readErr):
			// The peer went away instead of answering.
			return &CloseError{Code: StatusAbnormalClosure, Err: readErr}
		}
		return errCloseTimeout
	}
	if c.client {
		if c.r.sem.lockUnless(nil, c.closed, timer.C) {
			c.awaitEOF(deadline)
			c.r.sem.unlock()
		}
	}
	return nil
}

// closeReceived handles the peer's close frame with payload p.
func (c *Conn) closeReceived(p []byte) error {
	code, reason, err := ParseClosePayload(p)
	if err != nil {
		// The peer has sent its close frame, malformed as it is: failing
		// the connection must not wait for another.
		pe := err.(*ProtocolError)
		c.peerCloseRead(pe.Code, pe.Msg)
		return c.fail(pe.Code, "%s", pe.Msg)
	}
	c.peerCloseRead(code, reason)
	ce := &CloseError{Code: code, Reason: reason}
	c.r.err = ce
	c.r.active = false
	if c.startClosing() {
		// The peer began the closing handshake: echo its code and reason,
		// as browsers and most libraries do, then close TCP (a client waits
		// for the server to do so first).
		deadline := c.closeDeadline()
		if code == StatusNoStatusReceived {
			code = 0
		}
		if c.sendClose(code, reason, deadline) == nil && c.client {
			c.awaitEOF(deadline)
		}
		c.closeTCP()
	}
	return ce
}

// fail fails the connection (section 7.1.7) for a violation by the peer:
// it sends a close frame with code, then closes TCP after a short linger,
// without reading anything more from the peer (see linger). The reading
// goroutine calls it, and every later read returns the error.
func (c *Conn) fail(code StatusCode, format string, args ...any) error {
	err := protocolErr(code, format, args...)
	c.r.err = err
	c.r.active = false
	if c.startClosing() {
		if c.sendClose(code, err.Msg, c.closeDeadline()) == nil {
			if s := c.ev.Load(); s != nil && s.reading {
				s.linger() // as below, without holding the worker
				return err
			}
			c.linger()
		}
		c.closeTCP()
	}
	return err
}

// How long, and for how many bytes, a connection failed for a protocol
// error lingers before it closes TCP.
const (
	lingerTime  = 100 * time.Millisecond
	lingerBytes = 16 << 10
)

// linger follows the close frame of a failed connection. Section 7.1.7
// forbids processing anything more from the peer, its close frame
// included, but closing a socket with unread input makes the kernel answer
// with a reset, which may destroy our close frame before the peer has read
// it. So linger ends our direction of the transport (the peer sees the end
// of the stream after our close frame), then drops, unread, what the peer
// still sends, until it closes its direction, lingerBytes have come or
// lingerTime has passed, whichever is first. The caller holds the read
// semaphore.
func (c *Conn) linger() {
	c.closeWrite()
	c.nc.SetReadDeadline(time.Now().Add(lingerTime))
	c.r.remain = 0
	c.r.skip(lingerBytes)
}

// closeWrite ends this side's direction of the transport, where it can.
func (c *Conn) closeWrite() {
	if cw, ok := c.nc.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
}

// drainUntilClose reads and drops frames until the peer's close frame, an
// error, or deadline, and returns the error that stopped it, if any. The
// caller holds the read semaphore.
func (c *Conn) drainUntilClose(deadline time.Time) error {
	r := &c.r
	if c.peerClose.Load() != nil {
		return nil
	}
	c.nc.SetReadDeadline(deadline)
	if err := r.skip(r.remain); err != nil {
		return err
	}
	r.remain = 0
	for {
		if err := r.fill(2); err != nil {
			return err
		}
		n := frameHeaderSize(r.buf[r.r+1])
		if err := r.fill(n); err != nil {
			return err
		}
		h, _, err := ParseFrameHeader(r.buf[r.r : r.r+n])
		if err != nil {
			return protocolErr(StatusProtocolError, "%v", err)
		}
		r.r += n
		if h.Opcode != OpClose {
			if err := r.skip(h.Length); err != nil {
				return err
			}
			continue
		}
		if h.Length > MaxControlPayload {
			return protocolErr(StatusProtocolError, "close frame longer than %d bytes", MaxControlPayload)
		}
		if err := r.fill(int(h.Length)); err != nil {
			return err
		}
		p := r.buf[r.r : r.r+int(h.Length)]
		r.r += len(p)
		if h.Masked {
			Mask(h.Mask, 0, p)
		}
		code, reason, err := ParseClosePayload(p)
		if err != nil {
			return err
		}
		c.peerCloseRead(code, reason)
		if r.err == nil {
			r.err = &CloseError{Code: code, Reason: reason}
		}
		return nil
	}
}

// awaitEOF waits, on a client, for the server to close the TCP connection
// after the closing handshake, until deadline. Nothing may follow the
// server's close frame: bytes that do are dropped, up to lingerBytes, and
// then the client stops waiting. The caller holds the read semaphore.
func (c *Conn) awaitEOF(deadline time.Time) {
	c.nc.SetReadDeadline(deadline)
	c.r.skip(lingerBytes)
}

// skip reads and drops n bytes.
func (r *readState) skip(n int64) error {
	for n > 0 {
		if r.w == r.r {
			if err := r.fill(1); err != nil {
				return err
			}
		}
		k := min(n, int64(r.w-r.r))
		r.r += int(k)
		n -= k
	}
	return nil
}
