package websocket

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
)

// A PreparedMessage is a data message framed once, to be written to any
// number of connections with WritePreparedMessage. It is safe for
// concurrent use.
//
// A server's frames are unmasked, so every server connection is sent the
// same bytes. A client must mask each frame with a key of its own, so a
// client connection masks a copy on every write.
//
// With permessage-deflate, the message is compressed at most once per
// window size and level, on first use, with an empty dictionary. That frame
// goes as it is to every connection that compresses without context
// takeover, and to those with context takeover whose compressor keeps only
// a small window of history (12 bits or less), which is then updated with
// the message. Connections that keep a full compressor between messages
// compress the message themselves.
type PreparedMessage struct {
	typ   MessageType
	data  []byte
	plain []byte // the uncompressed frame, header and payload

	mu    sync.Mutex
	deflt map[preparedKey]*preparedFrame
}

// preparedKey names a compressed rendering of a prepared message: its
// compressor's window bits and level.
type preparedKey struct{ bits, level int }

// preparedFrame is one compressed frame of a prepared message, made once.
type preparedFrame struct {
	once  sync.Once
	frame []byte // header and payload
	head  int    // header length
	err   error
}

// NewPreparedMessage frames data as one message of type typ. For text, data
// must be valid UTF-8; it is not checked. The message keeps data, which
// must not be changed afterwards.
func NewPreparedMessage(typ MessageType, data []byte) (*PreparedMessage, error) {
	if typ != MessageText && typ != MessageBinary {
		return nil, fmt.Errorf("websocket: invalid message type %d", int(typ))
	}
	h := FrameHeader{Fin: true, Opcode: Opcode(typ), Length: int64(len(data))}
	frame := make([]byte, 0, MaxFrameHeaderSize+len(data))
	frame = append(AppendFrameHeader(frame, h), data...)
	return &PreparedMessage{typ: typ, data: data, plain: frame}, nil
}

// Type returns the message's type.
func (pm *PreparedMessage) Type() MessageType { return pm.typ }

// Data returns the message's payload, uncompressed. It must not be changed.
func (pm *PreparedMessage) Data() []byte { return pm.data }

// compressedFrame returns the message's frame compressed with a compressor
// of window bits and level and an empty dictionary, making it the first
// time it is asked for.
func (pm *PreparedMessage) compressedFrame(bits, level int) *preparedFrame {
	key := preparedKey{bits, coderLevel(bits, level)}
	pm.mu.Lock()
	if pm.deflt == nil {
		pm.deflt = make(map[preparedKey]*preparedFrame, 1)
	}
	f, ok := pm.deflt[key]
	if !ok {
		f = new(preparedFrame)
		pm.deflt[key] = f
	}
	pm.mu.Unlock()
	f.once.Do(func() { f.frame, f.head, f.err = pm.compress(bits, level) })
	return f
}

// compress returns the frame of the message compressed as section 7.2.1
// says, and the length of its header.
func (pm *PreparedMessage) compress(bits, level int) ([]byte, int, error) {
	var out bytes.Buffer
	out.Grow(MaxFrameHeaderSize + len(pm.data)/2 + 64)
	out.Write(make([]byte, MaxFrameHeaderSize)) // room for the header
	fw := newFlateWriter(bits, level, &out)
	_, err := fw.Write(pm.data)
	if err == nil {
		err = fw.Flush()
	}
	putFlateWriter(bits, level, fw)
	if err != nil {
		return nil, 0, fmt.Errorf("websocket: compressing prepared message: %w", err)
	}
	b := out.Bytes()
	if !bytes.HasSuffix(b[MaxFrameHeaderSize:], deflateTail) {
		return nil, 0, errors.New("websocket: compressor output does not end with a sync flush")
	}
	payload := b[MaxFrameHeaderSize : len(b)-len(deflateTail)]
	h := FrameHeader{Fin: true, Rsv1: true, Opcode: Opcode(pm.typ), Length: int64(len(payload))}
	var hb [MaxFrameHeaderSize]byte
	hdr := AppendFrameHeader(hb[:0], h)
	start := MaxFrameHeaderSize - len(hdr)
	copy(b[start:], hdr)
	return b[start : len(b)-len(deflateTail)], len(hdr), nil
}

// WritePreparedMessage sends pm on c, as WriteMessage would send its data:
// compressed if c compresses messages of its size, and failing the same way
// when ctx ends or the connection is closed.
func (c *Conn) WritePreparedMessage(ctx context.Context, pm *PreparedMessage) error {
	if pm == nil {
		return errors.New("websocket: WritePreparedMessage of a nil *PreparedMessage")
	}
	if err := c.msgSem.lock(ctx, c.closed); err != nil {
		return err
	}
	frame, head := pm.plain, len(pm.plain)-len(pm.data)
	compress := c.compresses(pm)
	var err error
	if compress {
		f := c.sharedFrame(pm)
		if f == nil {
			// The compressor is kept between messages, and the peer
			// expects its history: this connection compresses the
			// message itself.
			return c.writeCompressed(ctx, pm.typ, pm.data)
		}
		frame, head, err = f.frame, f.head, f.err
	}
	if err == nil {
		err = c.writePrepared(ctx, frame, head)
	}
	if err == nil && compress {
		// With context takeover the peer's window now ends with the
		// message, and so must the history that primes our compressor.
		c.deflate.compressed(pm.data)
	}
	c.msgSem.unlock()
	return err
}

// compresses reports whether c sends pm compressed.
func (c *Conn) compresses(pm *PreparedMessage) bool {
	return c.compressing() && len(pm.data) >= c.deflate.threshold
}

// sharedFrame returns the compressed frame of pm that c sends, shared by
// the connections that compress alike, or nil when c keeps its compressor
// between messages, and so must compress pm itself.
func (c *Conn) sharedFrame(pm *PreparedMessage) *preparedFrame {
	if z := c.deflate; z.writeNoContext || z.writeBits <= dictWindowBits {
		return pm.compressedFrame(z.writeBits, z.level)
	}
	return nil
}

// writePrepared writes frame, whose header is head bytes long, as
// writeFrame writes a frame; a client masks a copy of the payload.
func (c *Conn) writePrepared(ctx context.Context, frame []byte, head int) error {
	if c.client {
		h, _, err := ParseFrameHeader(frame[:head])
		if err != nil {
			return fmt.Errorf("websocket: prepared frame: %w", err)
		}
		return c.writeFrame(ctx, h, frame[head:], nil)
	}
	stop, err := c.beginWrite(ctx)
	if err != nil {
		return err
	}
	n, err := c.nc.Write(frame)
	return c.endWrite(ctx, stop, n, err)
}

// writePreparedBatch sends pms in order, as WritePreparedMessage would one
// by one, but in a single vectored write when every frame is shared (a
// server connection that does not compress them itself). vec is scratch
// space for the frames, returned for reuse.
func (c *Conn) writePreparedBatch(ctx context.Context, pms []*PreparedMessage, vec [][]byte) ([][]byte, error) {
	if len(pms) > 1 && !c.client {
		if err := c.msgSem.lock(ctx, c.closed); err != nil {
			return vec, err
		}
		vec, ok, err := c.writeSharedLocked(ctx, pms, vec)
		c.msgSem.unlock()
		if ok {
			return vec, err
		}
	}
	for _, pm := range pms {
		if err := c.WritePreparedMessage(ctx, pm); err != nil {
			return vec, err
		}
	}
	return vec, nil
}

// writeSharedLocked writes the shared frames of pms in one vectored write,
// holding msgSem. It reports false, having written nothing, if one of them
// must be compressed by this connection.
func (c *Conn) writeSharedLocked(ctx context.Context, pms []*PreparedMessage, vec [][]byte) ([][]byte, bool, error) {
	z := c.deflate
	on := c.compressing()
	vec = vec[:0]
	for _, pm := range pms {
		if !on || len(pm.data) < z.threshold {
			vec = append(vec, pm.plain)
			continue
		}
		f := c.sharedFrame(pm)
		if f == nil {
			return vec[:0], false, nil
		}
		if f.err != nil {
			return vec[:0], true, f.err
		}
		vec = append(vec, f.frame)
	}
	stop, err := c.beginWrite(ctx)
	if err != nil {
		clear(vec)
		return vec[:0], true, err
	}
	c.bufs = vec // a field, as a local would escape to the heap; frameSem guards it
	n, err := c.bufs.WriteTo(c.nc)
	c.bufs = nil
	clear(vec) // do not hold on to the messages
	if err := c.endWrite(ctx, stop, int(n), err); err != nil {
		return vec[:0], true, err
	}
	if on {
		for _, pm := range pms {
			if len(pm.data) >= z.threshold {
				z.compressed(pm.data)
			}
		}
	}
	return vec[:0], true, nil
}
