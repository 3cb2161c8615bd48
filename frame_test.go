package websocket

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
)

// utPlainReader hides every method but Read, so that ReadFrameHeader takes its
// path for readers that are not io.ByteReaders.
type utPlainReader struct{ r io.Reader }

func (p *utPlainReader) Read(b []byte) (int, error) { return p.r.Read(b) }

// utHeaderReaders are the kinds of reader ReadFrameHeader is tested with: a
// plain io.Reader, one returning a byte per Read (short reads), and a
// *bufio.Reader (the io.ByteReader path). Each returns ReadFrameHeader's reader
// and a func giving what is left unread after the header.
var utHeaderReaders = []struct {
	name string
	make func(b []byte) (io.Reader, func() []byte)
}{
	{"plain", func(b []byte) (io.Reader, func() []byte) {
		r := &utPlainReader{bytes.NewReader(b)}
		return r, func() []byte { rest, _ := io.ReadAll(r); return rest }
	}},
	{"onebyte", func(b []byte) (io.Reader, func() []byte) {
		r := iotest.OneByteReader(bytes.NewReader(b))
		return r, func() []byte { rest, _ := io.ReadAll(r); return rest }
	}},
	{"bufio", func(b []byte) (io.Reader, func() []byte) {
		r := bufio.NewReader(bytes.NewReader(b))
		return r, func() []byte { rest, _ := io.ReadAll(r); return rest }
	}},
}

// utPayload returns n bytes of arbitrary but deterministic data.
func utPayload(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i>>8 + 1)
	}
	return b
}

// utCat concatenates byte slices.
func utCat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// TestFrameRFCExamples checks the examples of RFC 6455 section 5.7 byte for
// byte: AppendFrameHeader encodes the header exactly, ParseFrameHeader and
// ReadFrameHeader decode it exactly (leaving the reader at the payload), and
// the masked examples unmask to "Hello" (section 5.3).
func TestFrameRFCExamples(t *testing.T) {
	for _, tt := range utRFCExamples() {
		t.Run(tt.name, func(t *testing.T) {
			wantHdr := tt.frame[:tt.hdrLen]
			wire := tt.frame[tt.hdrLen:]

			if got := AppendFrameHeader(nil, tt.want); !bytes.Equal(got, wantHdr) {
				t.Errorf("AppendFrameHeader = % x, want % x", got, wantHdr)
			}
			// AppendFrameHeader appends: what b held already stays.
			prefix := []byte("xyz")
			if got := AppendFrameHeader(prefix[:3:3], tt.want); !bytes.Equal(got, utCat(prefix, wantHdr)) {
				t.Errorf("AppendFrameHeader(\"xyz\", h) = % x, want % x", got, utCat(prefix, wantHdr))
			}

			h, n, err := ParseFrameHeader(tt.frame)
			if err != nil || n != tt.hdrLen {
				t.Errorf("ParseFrameHeader = %d bytes, %v; want %d, nil", n, err, tt.hdrLen)
			}
			if diff := cmp.Diff(tt.want, h); diff != "" {
				t.Errorf("ParseFrameHeader (-want +got):\n%s", diff)
			}

			for _, rk := range utHeaderReaders {
				r, rest := rk.make(tt.frame)
				h, err := ReadFrameHeader(r)
				if diff := cmp.Diff(tt.want, h); err != nil || diff != "" {
					t.Errorf("ReadFrameHeader(%s): %v; header (-want +got):\n%s", rk.name, err, diff)
					continue
				}
				// ReadFrameHeader reads exactly the header: the payload
				// follows.
				if got := rest(); !bytes.Equal(got, wire) {
					t.Errorf("ReadFrameHeader(%s) left %d bytes unread, want the %d-byte payload", rk.name, len(got), len(wire))
				}
			}

			// Section 5.3: the receiver unmasks with the key from the header.
			got := bytes.Clone(wire)
			if h.Masked {
				if pos := Mask(h.Mask, 0, got); pos != len(got)%4 {
					t.Errorf("Mask returned position %d, want %d", pos, len(got)%4)
				}
			}
			if !bytes.Equal(got, tt.payload) {
				t.Errorf("payload = %q, want %q", got, tt.payload)
			}
			// And masking "Hello" with the key gives the RFC's bytes.
			if h.Masked {
				m := bytes.Clone(tt.payload)
				Mask(h.Mask, 0, m)
				if !bytes.Equal(m, wire) {
					t.Errorf("masked payload = % x, want % x", m, wire)
				}
			}
		})
	}
}

// utRFCExample is an example frame of RFC 6455 section 5.7.
type utRFCExample struct {
	name    string
	frame   []byte // the whole frame as the RFC gives it
	hdrLen  int
	want    FrameHeader
	payload []byte // the unmasked payload
}

// utRFCExamples are the examples of RFC 6455 section 5.7.
func utRFCExamples() []utRFCExample {
	key := [4]byte{0x37, 0xfa, 0x21, 0x3d}
	bin256 := utPayload(256)
	bin64k := utPayload(65536)
	return []utRFCExample{
		{
			name:    "single-frame unmasked text",
			frame:   []byte{0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f},
			hdrLen:  2,
			want:    FrameHeader{Fin: true, Opcode: OpText, Length: 5},
			payload: []byte("Hello"),
		},
		{
			name:    "single-frame masked text",
			frame:   []byte{0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58},
			hdrLen:  6,
			want:    FrameHeader{Fin: true, Opcode: OpText, Masked: true, Mask: key, Length: 5},
			payload: []byte("Hello"),
		},
		{
			name:    "fragmented unmasked text, first",
			frame:   []byte{0x01, 0x03, 0x48, 0x65, 0x6c},
			hdrLen:  2,
			want:    FrameHeader{Fin: false, Opcode: OpText, Length: 3},
			payload: []byte("Hel"),
		},
		{
			name:    "fragmented unmasked text, last",
			frame:   []byte{0x80, 0x02, 0x6c, 0x6f},
			hdrLen:  2,
			want:    FrameHeader{Fin: true, Opcode: OpContinuation, Length: 2},
			payload: []byte("lo"),
		},
		{
			name:    "unmasked ping",
			frame:   []byte{0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f},
			hdrLen:  2,
			want:    FrameHeader{Fin: true, Opcode: OpPing, Length: 5},
			payload: []byte("Hello"),
		},
		{
			name:    "masked pong",
			frame:   []byte{0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58},
			hdrLen:  6,
			want:    FrameHeader{Fin: true, Opcode: OpPong, Masked: true, Mask: key, Length: 5},
			payload: []byte("Hello"),
		},
		{
			name:    "256 bytes binary",
			frame:   utCat([]byte{0x82, 0x7e, 0x01, 0x00}, bin256),
			hdrLen:  4,
			want:    FrameHeader{Fin: true, Opcode: OpBinary, Length: 256},
			payload: bin256,
		},
		{
			name:    "64KiB binary",
			frame:   utCat([]byte{0x82, 0x7f, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00}, bin64k),
			hdrLen:  10,
			want:    FrameHeader{Fin: true, Opcode: OpBinary, Length: 65536},
			payload: bin64k,
		},
	}
}

// utWriteCounter records the Write calls it receives.
type utWriteCounter struct {
	calls int
	buf   bytes.Buffer
}

func (w *utWriteCounter) Write(p []byte) (int, error) {
	w.calls++
	return w.buf.Write(p)
}

// TestWriteFrameHeader checks that WriteFrameHeader writes AppendFrameHeader's
// encoding in the single Write call its doc comment promises.
func TestWriteFrameHeader(t *testing.T) {
	for _, h := range []FrameHeader{
		{Fin: true, Opcode: OpText, Length: 5},
		{Fin: true, Opcode: OpBinary, Masked: true, Mask: [4]byte{1, 2, 3, 4}, Length: 300},
		{Opcode: OpBinary, Masked: true, Mask: [4]byte{5, 6, 7, 8}, Length: 1 << 40},
	} {
		var w utWriteCounter
		if err := WriteFrameHeader(&w, h); err != nil {
			t.Fatalf("WriteFrameHeader(%+v): %v", h, err)
		}
		if want := AppendFrameHeader(nil, h); w.calls != 1 || !bytes.Equal(w.buf.Bytes(), want) {
			t.Errorf("WriteFrameHeader(%+v): %d writes of % x, want 1 write of % x", h, w.calls, w.buf.Bytes(), want)
		}
	}
}

// TestFrameHeaderLengthEncoding checks the payload length encodings of section
// 5.2 at their boundaries: 7 bits up to 125, 126 and a 16-bit length up to
// 65535, 127 and a 64-bit length above, always the minimal form.
func TestFrameHeaderLengthEncoding(t *testing.T) {
	tests := []struct {
		length  int64
		len7    byte // the 7-bit length field
		extSize int  // bytes of extended length
	}{
		{0, 0, 0},
		{1, 1, 0},
		{125, 125, 0},
		{126, 126, 2},
		{127, 126, 2},
		{256, 126, 2},
		{65535, 126, 2},
		{65536, 127, 8},
		{1 << 32, 127, 8},
		{1<<63 - 1, 127, 8},
	}
	for _, tt := range tests {
		for _, masked := range []bool{false, true} {
			h := FrameHeader{Fin: true, Opcode: OpBinary, Length: tt.length, Masked: masked}
			if masked {
				h.Mask = [4]byte{0xde, 0xad, 0xbe, 0xef}
			}
			b := AppendFrameHeader(nil, h)
			wantSize := 2 + tt.extSize
			if masked {
				wantSize += 4
			}
			if len(b) != wantSize {
				t.Errorf("length %d masked=%v: header is %d bytes (% x), want %d", tt.length, masked, len(b), b, wantSize)
				continue
			}
			if got := b[1] & 0x7f; got != tt.len7 {
				t.Errorf("length %d: 7-bit length field %d, want %d", tt.length, got, tt.len7)
			}
			if got := b[1]&0x80 != 0; got != masked {
				t.Errorf("length %d: MASK bit %v, want %v", tt.length, got, masked)
			}
			// The extended length is in network byte order (section 5.2).
			switch tt.extSize {
			case 2:
				if got := binary.BigEndian.Uint16(b[2:]); int64(got) != tt.length {
					t.Errorf("length %d: 16-bit length %d", tt.length, got)
				}
			case 8:
				if got := binary.BigEndian.Uint64(b[2:]); int64(got) != tt.length {
					t.Errorf("length %d: 64-bit length %d", tt.length, got)
				}
			}
			if masked && !bytes.Equal(b[len(b)-4:], h.Mask[:]) {
				t.Errorf("length %d: masking key % x, want % x", tt.length, b[len(b)-4:], h.Mask)
			}
			got, n, err := ParseFrameHeader(b)
			if diff := cmp.Diff(h, got); err != nil || n != len(b) || diff != "" {
				t.Errorf("ParseFrameHeader(% x) = %d bytes, %v, want %d, nil; header (-want +got):\n%s", b, n, err, len(b), diff)
			}
			for _, rk := range utHeaderReaders {
				r, _ := rk.make(b)
				got, err := ReadFrameHeader(r)
				if diff := cmp.Diff(h, got); err != nil || diff != "" {
					t.Errorf("ReadFrameHeader(%s, % x): %v; header (-want +got):\n%s", rk.name, b, err, diff)
				}
			}
		}
	}
}

// TestFrameHeaderBadLength checks that ParseFrameHeader and ReadFrameHeader reject
// lengths section 5.2 forbids: a length not in its minimal encoding ("the
// minimal number of bytes MUST be used") and a 64-bit length with its most
// significant bit set ("the most significant bit MUST be 0").
func TestFrameHeaderBadLength(t *testing.T) {
	key := []byte{1, 2, 3, 4}
	tests := []struct {
		name string
		b    []byte
		want error // nil: accepted, with length len
		len  int64
	}{
		{"16-bit 0", []byte{0x82, 0x7e, 0x00, 0x00}, ErrNonMinimalLength, 0},
		{"16-bit 125", []byte{0x82, 0x7e, 0x00, 0x7d}, ErrNonMinimalLength, 0},
		{"16-bit 125 masked", utCat([]byte{0x82, 0xfe, 0x00, 0x7d}, key), ErrNonMinimalLength, 0},
		{"16-bit 126", []byte{0x82, 0x7e, 0x00, 0x7e}, nil, 126},
		{"64-bit 0", []byte{0x82, 0x7f, 0, 0, 0, 0, 0, 0, 0, 0}, ErrNonMinimalLength, 0},
		{"64-bit 125", []byte{0x82, 0x7f, 0, 0, 0, 0, 0, 0, 0, 0x7d}, ErrNonMinimalLength, 0},
		{"64-bit 126", []byte{0x82, 0x7f, 0, 0, 0, 0, 0, 0, 0, 0x7e}, ErrNonMinimalLength, 0},
		{"64-bit 65535", []byte{0x82, 0x7f, 0, 0, 0, 0, 0, 0, 0xff, 0xff}, ErrNonMinimalLength, 0},
		{"64-bit 65535 masked", utCat([]byte{0x82, 0xff, 0, 0, 0, 0, 0, 0, 0xff, 0xff}, key), ErrNonMinimalLength, 0},
		{"64-bit 65536", []byte{0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0}, nil, 65536},
		{"64-bit 2^63-1", []byte{0x82, 0x7f, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, nil, 1<<63 - 1},
		{"64-bit 2^63", []byte{0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0}, ErrLengthOverflow, 0},
		{"64-bit 2^63+5", []byte{0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 5}, ErrLengthOverflow, 0},
		{"64-bit 2^64-1", []byte{0x82, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, ErrLengthOverflow, 0},
		{"64-bit top bit masked", utCat([]byte{0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0}, key), ErrLengthOverflow, 0},
		// The top bit set on a small value is still an overflow, not a
		// non-minimal encoding.
		{"64-bit top bit and small", []byte{0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 1}, ErrLengthOverflow, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, n, err := ParseFrameHeader(tt.b)
			if !errors.Is(err, tt.want) {
				t.Errorf("ParseFrameHeader(% x) error = %v, want %v", tt.b, err, tt.want)
			}
			if tt.want == nil && (h.Length != tt.len || n != len(tt.b)) {
				t.Errorf("ParseFrameHeader(% x) = length %d, size %d; want %d, %d", tt.b, h.Length, n, tt.len, len(tt.b))
			}
			for _, rk := range utHeaderReaders {
				r, _ := rk.make(tt.b)
				h, err := ReadFrameHeader(r)
				if !errors.Is(err, tt.want) {
					t.Errorf("ReadFrameHeader(%s, % x) error = %v, want %v", rk.name, tt.b, err, tt.want)
				}
				if tt.want == nil && h.Length != tt.len {
					t.Errorf("ReadFrameHeader(%s, % x) length = %d, want %d", rk.name, tt.b, h.Length, tt.len)
				}
			}
		})
	}
}

// TestFrameHeaderShort checks every truncation of headers of every size:
// ParseFrameHeader reports ErrShortFrameHeader with the size the whole header
// needs (2 until the second byte is there), and ReadFrameHeader reports io.EOF
// for no input and io.ErrUnexpectedEOF for part of a header.
func TestFrameHeaderShort(t *testing.T) {
	key := [4]byte{9, 8, 7, 6}
	for _, h := range []FrameHeader{
		{Fin: true, Opcode: OpText, Length: 5},
		{Fin: true, Opcode: OpText, Length: 5, Masked: true, Mask: key},
		{Fin: true, Opcode: OpBinary, Length: 300},
		{Fin: true, Opcode: OpBinary, Length: 300, Masked: true, Mask: key},
		{Fin: true, Opcode: OpBinary, Length: 70000},
		{Fin: true, Opcode: OpBinary, Length: 70000, Masked: true, Mask: key},
	} {
		full := AppendFrameHeader(nil, h)
		for k := 0; k < len(full); k++ {
			part := full[:k]
			want := len(full)
			if k < 2 {
				want = 2
			}
			_, n, err := ParseFrameHeader(part)
			if err != ErrShortFrameHeader || n != want {
				t.Errorf("ParseFrameHeader(% x) = size %d, %v; want %d, ErrShortFrameHeader", part, n, err, want)
			}
			wantErr := io.ErrUnexpectedEOF
			if k == 0 {
				wantErr = io.EOF
			}
			for _, rk := range utHeaderReaders {
				r, _ := rk.make(part)
				if _, err := ReadFrameHeader(r); err != wantErr {
					t.Errorf("ReadFrameHeader(%s, % x) error = %v, want %v", rk.name, part, err, wantErr)
				}
			}
		}
		// ParseFrameHeader needs nothing beyond the header itself.
		if got, n, err := ParseFrameHeader(full); err != nil || n != len(full) || got != h {
			t.Errorf("ParseFrameHeader(% x) = %+v, %d, %v; want %+v", full, got, n, err, h)
		}
	}
}

// utReadErrReader returns its bytes, then err.
type utReadErrReader struct {
	b   []byte
	err error
}

func (r *utReadErrReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, r.err
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

// TestReadFrameHeaderPassesErrors checks that ReadFrameHeader returns the reader's
// own error (not an EOF) when the reader fails.
func TestReadFrameHeaderPassesErrors(t *testing.T) {
	errBoom := errors.New("boom")
	full := AppendFrameHeader(nil, FrameHeader{Fin: true, Opcode: OpBinary, Length: 300, Masked: true})
	for k := 0; k < len(full); k++ {
		for _, wrap := range []struct {
			name string
			f    func(io.Reader) io.Reader
		}{
			{"plain", func(r io.Reader) io.Reader { return &utPlainReader{r} }},
			{"bufio", func(r io.Reader) io.Reader { return bufio.NewReader(r) }},
		} {
			r := wrap.f(&utReadErrReader{b: bytes.Clone(full[:k]), err: errBoom})
			if _, err := ReadFrameHeader(r); !errors.Is(err, errBoom) {
				t.Errorf("%s, %d header bytes then an error: ReadFrameHeader error = %v, want %v", wrap.name, k, err, errBoom)
			}
		}
	}
}

// TestFrameHeaderBitsRoundTrip checks that FIN, the three RSV bits and every opcode
// 0x0–0xF, masked or not, survive AppendFrameHeader then ParseFrameHeader, and
// sit in the bits section 5.2 assigns them.
func TestFrameHeaderBitsRoundTrip(t *testing.T) {
	for op := Opcode(0); op < 16; op++ {
		for bits := 0; bits < 32; bits++ {
			h := FrameHeader{
				Fin:    bits&1 != 0,
				Rsv1:   bits&2 != 0,
				Rsv2:   bits&4 != 0,
				Rsv3:   bits&8 != 0,
				Masked: bits&16 != 0,
				Opcode: op,
				Length: int64(op) * 11,
			}
			if h.Masked {
				h.Mask = [4]byte{byte(op), byte(bits), 0x5a, 0xa5}
			}
			b := AppendFrameHeader(nil, h)
			var want0 byte = byte(op)
			for i, bit := range []bool{h.Fin, h.Rsv1, h.Rsv2, h.Rsv3} {
				if bit {
					want0 |= 0x80 >> i
				}
			}
			if b[0] != want0 {
				t.Errorf("%+v: first byte %#08b, want %#08b", h, b[0], want0)
			}
			got, n, err := ParseFrameHeader(b)
			if err != nil || n != len(b) || got != h {
				t.Errorf("ParseFrameHeader(AppendFrameHeader(%+v)) = %+v, %d, %v", h, got, n, err)
			}
			for _, rk := range utHeaderReaders {
				r, _ := rk.make(b)
				if got, err := ReadFrameHeader(r); err != nil || got != h {
					t.Errorf("ReadFrameHeader(%s, AppendFrameHeader(%+v)) = %+v, %v", rk.name, h, got, err)
				}
			}
		}
	}
}

// TestOpcodeClasses checks IsControl and IsReserved for all 16 opcodes
// (section 5.2): 0x0–0x2 are data, 0x3–0x7 reserved non-control, 0x8–0xA
// control, 0xB–0xF reserved control (section 5.5: control opcodes have the
// most significant bit set).
func TestOpcodeClasses(t *testing.T) {
	tests := []struct {
		op                Opcode
		control, reserved bool
	}{
		{0x0, false, false},
		{0x1, false, false},
		{0x2, false, false},
		{0x3, false, true},
		{0x4, false, true},
		{0x5, false, true},
		{0x6, false, true},
		{0x7, false, true},
		{0x8, true, false},
		{0x9, true, false},
		{0xA, true, false},
		{0xB, true, true},
		{0xC, true, true},
		{0xD, true, true},
		{0xE, true, true},
		{0xF, true, true},
	}
	if len(tests) != 16 {
		t.Fatalf("table has %d opcodes, want 16", len(tests))
	}
	for i, tt := range tests {
		if tt.op != Opcode(i) {
			t.Fatalf("table row %d is opcode %#x", i, byte(tt.op))
		}
		if got := tt.op.IsControl(); got != tt.control {
			t.Errorf("Opcode(%#x).IsControl() = %v, want %v", byte(tt.op), got, tt.control)
		}
		if got := tt.op.IsReserved(); got != tt.reserved {
			t.Errorf("Opcode(%#x).IsReserved() = %v, want %v", byte(tt.op), got, tt.reserved)
		}
	}
	for _, op := range []Opcode{OpContinuation, OpText, OpBinary, OpClose, OpPing, OpPong} {
		if op.IsReserved() {
			t.Errorf("%v is reserved", op)
		}
	}
	if OpContinuation != 0x0 || OpText != 0x1 || OpBinary != 0x2 || OpClose != 0x8 || OpPing != 0x9 || OpPong != 0xA {
		t.Errorf("opcode constants do not match section 5.2")
	}
}

// TestReadFrameHeaderByteReaderNoAllocs checks ReadFrameHeader's doc comment: "A
// reader that is also an io.ByteReader (such as a *bufio.Reader) is read
// without allocating." (testing.AllocsPerRun counts allocations; it does
// not time anything.)
func TestReadFrameHeaderByteReaderNoAllocs(t *testing.T) {
	for _, hc := range utHeaderCases {
		enc := AppendFrameHeader(nil, hc.h)
		var data []byte
		for len(data) < 4096 {
			data = append(data, enc...)
		}
		br := bufio.NewReader(&utLoopConn{data: data})
		var h FrameHeader
		var err error
		allocs := testing.AllocsPerRun(1000, func() {
			h, err = ReadFrameHeader(br)
		})
		if err != nil || h != hc.h {
			t.Fatalf("%s: ReadFrameHeader = %+v, %v; want %+v", hc.name, h, err, hc.h)
		}
		if allocs != 0 {
			t.Errorf("%s: ReadFrameHeader from a *bufio.Reader: %v allocations per call, want 0", hc.name, allocs)
		}
	}
}
