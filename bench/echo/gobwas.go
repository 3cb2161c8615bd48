package echo

import (
	"bufio"
	"errors"
	"io"
	"net"
	"slices"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsflate"
	"github.com/gobwas/ws/wsutil"
	"github.com/klauspost/compress/flate"
)

// gobwas/ws leaves the message loop to its user ("build your own logic of
// packet handling and buffers reuse"). GobwasConn is that loop for the
// benchmarks, at the level of the README's low-level example: headers read
// from a bufio.Reader (ws.ReadHeaderBuffer, into a buffer of the
// connection's), payloads read into one reused buffer and unmasked with
// ws.Cipher, and each reply sent as its header (ws.WriteHeaderBuffer) and
// payload in one vectored write.

// GobwasConn is the server side of an uncompressed gobwas connection.
type GobwasConn struct {
	nc   net.Conn
	br   *bufio.Reader
	msg  []byte // the message being read; its storage is reused
	ctrl [ws.MaxControlFramePayloadSize]byte
	rhdr [ws.MaxHeaderSize]byte // for ws.ReadHeaderBuffer
	whdr [ws.MaxHeaderSize]byte // for ws.WriteHeaderBuffer
	hdr  headerBuf
	vec  [2][]byte
	bufs net.Buffers
}

// NewGobwasConn wraps nc, whose handshake is done, reading it through a
// 4 KiB bufio.Reader.
func NewGobwasConn(nc net.Conn) *GobwasConn {
	return &GobwasConn{nc: nc, br: bufio.NewReaderSize(nc, 4096)}
}

// headerBuf keeps the header ws.WriteHeaderBuffer writes (in whdr), so
// that it goes out with the payload in one write.
type headerBuf struct{ b []byte }

func (h *headerBuf) Write(p []byte) (int, error) {
	h.b = p
	return len(p), nil
}

var (
	errTooLarge = errors.New("echo: message too large")
	errClosed   = errors.New("echo: closed by the peer")
)

// ReadMessage reads the next data message whole, answering pings and a
// close frame on the way. The payload is valid until the next call.
func (c *GobwasConn) ReadMessage() (ws.OpCode, []byte, error) {
	var op ws.OpCode
	msg := c.msg[:0]
	for {
		h, err := ws.ReadHeaderBuffer(c.br, c.rhdr[:])
		if err != nil {
			return 0, nil, err
		}
		state := ws.StateServerSide
		if op != 0 {
			state |= ws.StateFragmented
		}
		if err := ws.CheckHeader(h, state); err != nil {
			return 0, nil, c.fail(ws.StatusProtocolError, err)
		}
		if h.OpCode.IsControl() {
			if err := c.control(h); err != nil {
				return 0, nil, err
			}
			continue
		}
		if op == 0 {
			op = h.OpCode // CheckHeader has ruled out a continuation here
		}
		if h.Length > ReadLimit-int64(len(msg)) {
			return 0, nil, c.fail(ws.StatusMessageTooBig, errTooLarge)
		}
		n := len(msg)
		msg = slices.Grow(msg, int(h.Length))[:n+int(h.Length)]
		if _, err := io.ReadFull(c.br, msg[n:]); err != nil {
			return 0, nil, err
		}
		ws.Cipher(msg[n:], h.Mask, 0)
		if h.Fin {
			c.msg = msg
			return op, msg, nil
		}
	}
}

// control reads and acts on a control frame.
func (c *GobwasConn) control(h ws.Header) error {
	p := c.ctrl[:h.Length]
	if _, err := io.ReadFull(c.br, p); err != nil {
		return err
	}
	ws.Cipher(p, h.Mask, 0)
	switch h.OpCode {
	case ws.OpPing:
		return c.WriteMessage(ws.OpPong, p)
	case ws.OpClose:
		// Echo the status code back, as the closing handshake asks.
		code, _ := ws.ParseCloseFrameDataUnsafe(p)
		var reply []byte
		if code != 0 {
			reply = ws.NewCloseFrameBody(code, "")
		}
		c.WriteMessage(ws.OpClose, reply)
		return errClosed
	}
	return nil
}

// fail sends a close frame with code and returns err.
func (c *GobwasConn) fail(code ws.StatusCode, err error) error {
	c.WriteMessage(ws.OpClose, ws.NewCloseFrameBody(code, ""))
	return err
}

// WriteMessage sends p as one unmasked frame with opcode op.
func (c *GobwasConn) WriteMessage(op ws.OpCode, p []byte) error {
	if err := ws.WriteHeaderBuffer(&c.hdr, ws.Header{Fin: true, OpCode: op, Length: int64(len(p))}, c.whdr[:]); err != nil {
		return err
	}
	c.vec = [2][]byte{c.hdr.b, p}
	c.bufs = c.vec[:]
	_, err := c.bufs.WriteTo(c.nc)
	c.vec[1] = nil
	return err
}

// serveGobwas upgrades each connection with ws.Upgrader, gobwas's
// zero-copy upgrade that reads the request straight from the connection,
// and echoes on it in its own goroutine.
func serveGobwas(ln net.Listener, opts Options) error {
	return serveConns(ln, func(nc net.Conn) {
		defer nc.Close()
		if opts.Deflate {
			gobwasEchoDeflate(nc)
			return
		}
		if _, err := ws.Upgrade(nc); err != nil {
			return
		}
		GobwasEcho(NewGobwasConn(nc))
	})
}

// GobwasEcho echoes messages on c until it fails or closes.
func GobwasEcho(c *GobwasConn) {
	for {
		op, msg, err := c.ReadMessage()
		if err != nil {
			return
		}
		if err := c.WriteMessage(op, msg); err != nil {
			return
		}
	}
}

// gobwasEchoDeflate upgrades nc offering permessage-deflate through
// wsflate.Extension, then echoes with a GobwasFlateConn (or, when the client
// did not ask for compression, a GobwasConn).
func gobwasEchoDeflate(nc net.Conn) {
	ext := wsflate.Extension{Parameters: wsflate.DefaultParameters}
	up := ws.Upgrader{Negotiate: ext.Negotiate}
	if _, err := up.Upgrade(nc); err != nil {
		return
	}
	if _, ok := ext.Accepted(); !ok {
		GobwasEcho(NewGobwasConn(nc))
		return
	}
	// Its own loop, not GobwasEcho, so that neither takes an interface:
	// the peers' echo loops are measured.
	c := NewGobwasFlateConn(nc)
	for {
		op, msg, err := c.ReadMessage()
		if err != nil {
			return
		}
		if err := c.WriteMessage(op, msg); err != nil {
			return
		}
	}
}

// GobwasFlateConn is the server side of a gobwas connection with
// permessage-deflate, used as the README's compression example shows:
// wsutil's Reader and Writer with a wsflate.MessageState as their
// extension, and wsflate's Reader and Writer around them. It compresses
// with klauspost/compress/flate at level 1 (the README allows "any deflate
// implementation"). wsflate resets its coders for each message: no context
// takeover either way, as wsflate.DefaultParameters negotiates.
type GobwasFlateConn struct {
	rd       *wsutil.Reader
	wr       *wsutil.Writer
	fr       *wsflate.Reader
	fw       *wsflate.Writer
	msgState wsflate.MessageState
	control  wsutil.ControlHandler
	buf      []byte
}

// NewGobwasFlateConn wraps nc, whose handshake negotiated compression.
func NewGobwasFlateConn(nc net.Conn) *GobwasFlateConn {
	state := ws.StateServerSide | ws.StateExtended
	c := &GobwasFlateConn{}
	c.rd = &wsutil.Reader{
		Source:         bufio.NewReaderSize(nc, 4096),
		State:          state,
		MaxMessageSize: ReadLimit,
		Extensions:     []wsutil.RecvExtension{&c.msgState},
		OnIntermediate: wsutil.ControlFrameHandler(nc, ws.StateServerSide),
	}
	c.wr = wsutil.NewWriter(nc, state, 0)
	c.wr.SetExtensions(&c.msgState)
	c.fr = wsflate.NewReader(nil, func(r io.Reader) wsflate.Decompressor { return flate.NewReader(r) })
	c.fw = wsflate.NewWriter(nil, func(w io.Writer) wsflate.Compressor {
		f, _ := flate.NewWriter(w, 1)
		return f
	})
	c.control = wsutil.ControlHandler{Src: c.rd, Dst: nc, State: ws.StateServerSide, DisableSrcCiphering: true}
	return c
}

// ReadMessage reads the next data message whole, inflating it if it is
// compressed and handling control frames on the way. The payload is valid
// until the next call.
func (c *GobwasFlateConn) ReadMessage() (ws.OpCode, []byte, error) {
	for {
		h, err := c.rd.NextFrame()
		if err != nil {
			return 0, nil, err
		}
		if h.OpCode.IsControl() {
			if err := c.control.Handle(h); err != nil {
				return 0, nil, err
			}
			continue
		}
		var src io.Reader = c.rd
		if c.msgState.IsCompressed() {
			c.fr.Reset(c.rd)
			src = c.fr
		}
		c.buf, err = ReadAll(src, c.buf)
		return h.OpCode, c.buf, err
	}
}

// WriteMessage sends p compressed, as a message with opcode op.
func (c *GobwasFlateConn) WriteMessage(op ws.OpCode, p []byte) error {
	c.wr.ResetOp(op) // keeps the extension, unlike Reset
	c.msgState.SetCompressed(true)
	c.fw.Reset(c.wr)
	if _, err := c.fw.Write(p); err != nil {
		return err
	}
	if err := c.fw.Close(); err != nil {
		return err
	}
	return c.wr.Flush()
}
