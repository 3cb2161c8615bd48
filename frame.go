package websocket

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// An Opcode says how a frame's payload is interpreted (RFC 6455 section 5.2).
type Opcode byte

// The opcodes defined by RFC 6455 section 5.2. The others are reserved.
const (
	OpContinuation Opcode = 0x0
	OpText         Opcode = 0x1
	OpBinary       Opcode = 0x2
	OpClose        Opcode = 0x8
	OpPing         Opcode = 0x9
	OpPong         Opcode = 0xA
)

// IsControl reports whether op is a control opcode (close, ping, pong or a
// reserved control opcode), which section 5.5 limits to unfragmented frames of
// at most 125 bytes.
func (op Opcode) IsControl() bool { return op&0x8 != 0 }

// IsReserved reports whether op is one of the opcodes section 5.2 reserves for
// future use (0x3–0x7 and 0xB–0xF).
func (op Opcode) IsReserved() bool {
	switch op {
	case OpContinuation, OpText, OpBinary, OpClose, OpPing, OpPong:
		return false
	}
	return true
}

func (op Opcode) String() string {
	switch op {
	case OpContinuation:
		return "continuation"
	case OpText:
		return "text"
	case OpBinary:
		return "binary"
	case OpClose:
		return "close"
	case OpPing:
		return "ping"
	case OpPong:
		return "pong"
	}
	return fmt.Sprintf("opcode(%#x)", byte(op))
}

// MaxFrameHeaderSize is the largest encoded frame header: two fixed bytes, an
// 8-byte extended length and a 4-byte masking key.
const MaxFrameHeaderSize = 14

// MaxControlPayload is the largest payload of a control frame (section 5.5).
const MaxControlPayload = 125

// FrameHeader is the header of a WebSocket frame, as laid out in RFC 6455
// section 5.2 (not an HTTP header). The payload of Length bytes follows it
// on the wire; when Masked is set, the payload is XORed with Mask (see the
// Mask function).
type FrameHeader struct {
	Fin    bool
	Rsv1   bool // set on the first frame of a compressed message (RFC 7692)
	Rsv2   bool
	Rsv3   bool
	Opcode Opcode
	Masked bool
	Mask   [4]byte
	Length int64
}

// Encoded header errors. ParseFrameHeader and ReadFrameHeader report them
// for headers that section 5.2 does not allow whatever the connection's
// state.
var (
	// ErrShortFrameHeader means the buffer holds only part of a header.
	ErrShortFrameHeader = errors.New("websocket: short frame header")
	// ErrNonMinimalLength means the payload length was not encoded in the
	// fewest bytes possible (section 5.2: "the minimal number of bytes MUST
	// be used").
	ErrNonMinimalLength = errors.New("websocket: payload length not minimally encoded")
	// ErrLengthOverflow means a 64-bit payload length had its most
	// significant bit set.
	ErrLengthOverflow = errors.New("websocket: payload length has its most significant bit set")
)

// frameHeaderSize returns the encoded size of a header whose second byte is b1.
func frameHeaderSize(b1 byte) int {
	n := 2
	switch b1 & 0x7f {
	case 126:
		n += 2
	case 127:
		n += 8
	}
	if b1&0x80 != 0 {
		n += 4
	}
	return n
}

// ParseFrameHeader decodes the frame header at the start of b and returns it
// with the number of bytes it occupies. If b holds only part of a header it
// returns ErrShortFrameHeader and the size the whole header needs (known once b
// has its first two bytes; 2 before that).
func ParseFrameHeader(b []byte) (h FrameHeader, n int, err error) {
	if len(b) < 2 {
		return h, 2, ErrShortFrameHeader
	}
	n = frameHeaderSize(b[1])
	if len(b) < n {
		return h, n, ErrShortFrameHeader
	}
	b0, b1 := b[0], b[1]
	h.Fin = b0&0x80 != 0
	h.Rsv1 = b0&0x40 != 0
	h.Rsv2 = b0&0x20 != 0
	h.Rsv3 = b0&0x10 != 0
	h.Opcode = Opcode(b0 & 0x0f)
	h.Masked = b1&0x80 != 0
	p := 2
	switch l := b1 & 0x7f; l {
	case 126:
		h.Length = int64(binary.BigEndian.Uint16(b[2:]))
		p = 4
		if h.Length < 126 {
			return h, n, ErrNonMinimalLength
		}
	case 127:
		u := binary.BigEndian.Uint64(b[2:])
		p = 10
		if u>>63 != 0 {
			return h, n, ErrLengthOverflow
		}
		h.Length = int64(u)
		if h.Length <= 0xffff {
			return h, n, ErrNonMinimalLength
		}
	default:
		h.Length = int64(l)
	}
	if h.Masked {
		copy(h.Mask[:], b[p:p+4])
	}
	return h, n, nil
}

// ReadFrameHeader reads and decodes one frame header from r. It reads exactly
// the header's bytes, so r is left at the start of the payload. A reader that
// is also an io.ByteReader (such as a *bufio.Reader) is read without
// allocating.
func ReadFrameHeader(r io.Reader) (FrameHeader, error) {
	if br, ok := r.(io.ByteReader); ok {
		return readHeaderBytes(br)
	}
	var buf [MaxFrameHeaderSize]byte
	if _, err := io.ReadFull(r, buf[:2]); err != nil {
		return FrameHeader{}, err
	}
	n := frameHeaderSize(buf[1])
	if _, err := io.ReadFull(r, buf[2:n]); err != nil {
		return FrameHeader{}, noEOF(err)
	}
	h, _, err := ParseFrameHeader(buf[:n])
	return h, err
}

func readHeaderBytes(br io.ByteReader) (FrameHeader, error) {
	var buf [MaxFrameHeaderSize]byte
	n := 2
	for i := 0; i < n; i++ {
		c, err := br.ReadByte()
		if err != nil {
			if i > 0 {
				err = noEOF(err)
			}
			return FrameHeader{}, err
		}
		buf[i] = c
		if i == 1 {
			n = frameHeaderSize(c)
		}
	}
	h, _, err := ParseFrameHeader(buf[:n])
	return h, err
}

// noEOF turns io.EOF into io.ErrUnexpectedEOF, for reads that stopped inside
// a frame.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// AppendFrameHeader appends the encoding of h to b, using the shortest length
// encoding, and returns the extended slice.
func AppendFrameHeader(b []byte, h FrameHeader) []byte {
	b0 := byte(h.Opcode) & 0x0f
	if h.Fin {
		b0 |= 0x80
	}
	if h.Rsv1 {
		b0 |= 0x40
	}
	if h.Rsv2 {
		b0 |= 0x20
	}
	if h.Rsv3 {
		b0 |= 0x10
	}
	var b1 byte
	if h.Masked {
		b1 = 0x80
	}
	switch {
	case h.Length < 126:
		b = append(b, b0, b1|byte(h.Length))
	case h.Length <= 0xffff:
		b = append(b, b0, b1|126)
		b = binary.BigEndian.AppendUint16(b, uint16(h.Length))
	default:
		b = append(b, b0, b1|127)
		b = binary.BigEndian.AppendUint64(b, uint64(h.Length))
	}
	if h.Masked {
		b = append(b, h.Mask[:]...)
	}
	return b
}

// WriteFrameHeader writes the encoding of h to w in a single Write call.
func WriteFrameHeader(w io.Writer, h FrameHeader) error {
	var buf [MaxFrameHeaderSize]byte
	_, err := w.Write(AppendFrameHeader(buf[:0], h))
	return err
}

// MessageType is the type of a data message: text (UTF-8) or binary. Its
// values are the opcodes of the message's first frame.
type MessageType int

// The two message types of RFC 6455 section 5.6.
const (
	MessageText   MessageType = MessageType(OpText)
	MessageBinary MessageType = MessageType(OpBinary)
)

func (t MessageType) String() string {
	switch t {
	case MessageText:
		return "text"
	case MessageBinary:
		return "binary"
	}
	return fmt.Sprintf("MessageType(%d)", int(t))
}
