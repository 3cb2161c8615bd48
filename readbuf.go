package websocket

import (
	"io"
	"net"
	"os"
	"sync"
	"syscall"
)

// This file holds a connection's read buffer. The buffer comes from a pool
// and goes back whenever it is empty, so an idle connection, blocked waiting
// for its peer's next frame, holds none: on a TCP connection the wait is for
// readability, and the buffer is taken only once there are bytes to read.

var readBufPool = sync.Pool{New: func() any { return new([readBufSize]byte) }}

// rawReader returns nc's raw connection when reads can wait for readability
// without a buffer: a plain TCP (or Unix) connection, not TLS.
func rawReader(nc net.Conn) syscall.RawConn {
	if !rawReads {
		return nil
	}
	var sc syscall.Conn
	switch c := nc.(type) {
	case *net.TCPConn:
		sc = c
	case *net.UnixConn:
		sc = c
	default:
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return rc
}

// takeBuffer gives r a buffer from the pool.
func (r *readState) takeBuffer() {
	r.pooled = readBufPool.Get().(*[readBufSize]byte)
	r.buf = r.pooled[:]
	r.r, r.w = 0, 0
}

// releaseBuffer gives an empty buffer back to the pool.
func (r *readState) releaseBuffer() {
	if r.r != r.w || r.buf == nil {
		return
	}
	if r.pooled != nil {
		readBufPool.Put(r.pooled)
		r.pooled = nil
	}
	r.buf = nil
	r.r, r.w = 0, 0
}

// fill reads from the network until at least n bytes are buffered.
// n must not exceed readBufSize.
func (r *readState) fill(n int) error {
	if r.w-r.r >= n {
		return nil
	}
	if r.r == r.w {
		r.releaseBuffer()
	}
	for r.w-r.r < n {
		var err error
		if r.buf == nil {
			_, err = r.readFresh()
		} else {
			if len(r.buf)-r.r < n {
				r.w = copy(r.buf, r.buf[r.r:r.w])
				r.r = 0
			}
			var m int
			m, err = r.read(r.buf[r.w:])
			r.w += m
		}
		if err != nil {
			if r.w-r.r >= n {
				return nil
			}
			if r.w > r.r {
				err = noEOF(err) // the stream ended inside a frame
			}
			return err
		}
	}
	return nil
}

// rawRead reads from the socket fd into a buffer taken from the pool, for
// syscall.RawConn.Read; it gives the buffer back and asks to wait when
// there is nothing to read yet. It is kept as a method value in r.rawFunc
// so that no closure is made per read.
func (r *readState) rawRead(fd uintptr) bool {
	if r.buf == nil {
		r.takeBuffer()
	}
	for {
		r.rawN, r.rawErr = sysRead(fd, r.buf)
		if r.rawErr != syscall.EINTR {
			break
		}
	}
	if r.rawErr == syscall.EAGAIN {
		r.releaseBuffer()
		return false // wait for readability without a buffer
	}
	return true
}

// read reads from the connection into p: for an EventLoop's worker,
// without waiting (see served.readNow).
func (r *readState) read(p []byte) (int, error) {
	if s := r.c.ev.Load(); s != nil && s.reading {
		return s.readNow(p)
	}
	return r.c.nc.Read(p)
}

// readFresh reads into an empty buffer taken from the pool. On a raw
// connection it waits for readability first, holding no buffer meanwhile.
func (r *readState) readFresh() (int, error) {
	if s := r.c.ev.Load(); s != nil && s.reading {
		if s.drained {
			return 0, errWouldBlock // without taking a buffer
		}
		r.takeBuffer()
		n, err := s.readNow(r.buf)
		if n <= 0 {
			r.releaseBuffer()
		}
		r.w = max(n, 0)
		return n, err
	}
	if r.raw == nil {
		r.takeBuffer()
		n, err := r.c.nc.Read(r.buf)
		r.w = n
		return n, err
	}
	err := r.raw.Read(r.rawFunc)
	n, rerr := r.rawN, r.rawErr
	switch {
	case err != nil:
		r.releaseBuffer()
		return 0, err
	case rerr != nil:
		r.releaseBuffer()
		return 0, &net.OpError{Op: "read", Net: r.c.nc.LocalAddr().Network(), Source: r.c.nc.LocalAddr(), Addr: r.c.nc.RemoteAddr(), Err: os.NewSyscallError("read", rerr)}
	case n <= 0:
		r.releaseBuffer()
		return 0, io.EOF
	}
	r.w = n
	return n, nil
}
