package websocket

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// This file makes a Conn into a net.Conn that carries a byte stream, for
// tunnels and protocols that want a stream rather than messages.

// StreamConn returns a net.Conn that carries a byte stream over c: each
// Write sends its bytes as one message of type typ, and Read returns the
// payloads of the messages that arrive, one after the other, whatever their
// frames. It is not the connection c runs on, which NetConn returns.
//
// ctx governs every Read and Write. A message of another type than typ
// fails the connection with StatusUnsupportedData (1003), and the read
// with a *ProtocolError.
// Once the peer has closed with StatusNormalClosure or StatusGoingAway,
// Read returns io.EOF; other ends of the connection are errors that say
// why. Close sends a close frame with StatusNormalClosure and waits, as
// Conn.Close does, for the peer's; Reads and Writes after it fail with an
// error wrapping net.ErrClosed. The deadlines are c's: SetReadDeadline
// and SetWriteDeadline set them on c, and a read or write that reaches one
// returns an error for which os.ErrDeadlineExceeded is true, after which
// the stream stays usable.
//
// As any net.Conn, the result may be used from several goroutines at once:
// Reads take turns, and Writes, each one message, never interleave. c must
// not be read otherwise while the stream is in use; it may be written (a
// message of the stream's type then joins the stream).
func StreamConn(ctx context.Context, c *Conn, typ MessageType) net.Conn {
	return &streamConn{c: c, ctx: ctx, typ: typ}
}

type streamConn struct {
	c   *Conn
	ctx context.Context
	typ MessageType

	rmu    sync.Mutex  // held by Read
	r      io.Reader   // the message being read; nil between messages
	closed atomic.Bool // Close was called
}

func (s *streamConn) Read(p []byte) (int, error) {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	if len(p) == 0 {
		return 0, nil
	}
	for {
		if s.r == nil {
			typ, r, err := s.c.NextReader(s.ctx)
			if err != nil {
				return 0, s.readErr(err)
			}
			if typ != s.typ {
				return 0, s.refuse(typ)
			}
			s.r = r
		}
		n, err := s.r.Read(p)
		if err == io.EOF {
			s.r, err = nil, nil
		}
		if n > 0 || err != nil {
			return n, err
		}
	}
}

// refuse fails the connection for a message of type typ, which the stream
// cannot carry, as the reader fails it for a protocol error: a close frame
// with StatusUnsupportedData, and no more reading.
func (s *streamConn) refuse(typ MessageType) error {
	stop, err := s.c.beginRead(s.ctx)
	if err != nil {
		return err
	}
	defer s.c.endRead(stop)
	return s.c.fail(StatusUnsupportedData, "a %v message in a %v stream", typ, s.typ)
}

// readErr is what Read returns for err from NextReader: ErrClosed after
// Close, io.EOF for a closing handshake that the peer began with a normal
// code.
func (s *streamConn) readErr(err error) error {
	if s.closed.Load() {
		return ErrClosed
	}
	var ce *CloseError
	if errors.As(err, &ce) && (ce.Code == StatusNormalClosure || ce.Code == StatusGoingAway) {
		return io.EOF
	}
	return err
}

func (s *streamConn) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if err := s.c.WriteMessage(s.ctx, s.typ, p); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (s *streamConn) Close() error {
	s.closed.Store(true)
	return s.c.Close(StatusNormalClosure, "")
}

func (s *streamConn) LocalAddr() net.Addr  { return s.c.nc.LocalAddr() }
func (s *streamConn) RemoteAddr() net.Addr { return s.c.nc.RemoteAddr() }

func (s *streamConn) SetDeadline(t time.Time) error {
	return errors.Join(s.c.SetReadDeadline(t), s.c.SetWriteDeadline(t))
}

func (s *streamConn) SetReadDeadline(t time.Time) error  { return s.c.SetReadDeadline(t) }
func (s *streamConn) SetWriteDeadline(t time.Time) error { return s.c.SetWriteDeadline(t) }
