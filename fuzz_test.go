package websocket

// Fuzz targets (issue #3): the fake connection and other shared machinery,
// the frame header (FuzzParseFrameHeader) and the seed corpora.
//
// Each target checks invariants on arbitrary input and, where it is cheap,
// compares the library with a small reference written here from RFC 6455
// without sharing the library's code:
//
//   - fzRefParseFrameHeader decodes a frame header (section 5.2);
//   - fzRefRead decodes a whole byte stream as the receiving endpoint of
//     sections 5 to 8 must: the messages, the pings to answer and how the
//     connection ends;
//   - fzValidPrefix says whether bytes can begin valid UTF-8, with
//     unicode/utf8 as the oracle;
//   - fzRefRequest and fzRefResponseOK judge the opening handshake
//     (section 4).
//
// For permessage-deflate (RFC 7692), FuzzInflate, FuzzCompressRoundTrip and
// FuzzExtensionHeader compare with:
//
//   - fzdRefInflate: the standard library's compress/flate inflating a
//     message as section 7.2.2 says, checked against tinflate
//     (deflate_test.go, written from RFC 1951), since the package's
//     inflater (internal/flate) accepts and rejects what compress/flate
//     does; tinflate also gives the distances the package's compressors
//     (internal/flate, and compress/flate for levels 2 to 9) use;
//   - fzRefParseExtensions and fzRefDeflateElement: the
//     Sec-WebSocket-Extensions grammar (RFC 6455 section 9.1) and the
//     parameters of section 7.1.
//
// The targets live in files by subject, each with its references and seeds:
//
//   - fuzz_test.go: FuzzParseFrameHeader;
//   - fuzz_read_test.go: FuzzServerRead and FuzzClientRead, and reading a
//     Conn and checking what it read and wrote, for every target;
//   - fuzz_roundtrip_test.go: FuzzRoundTrip;
//   - fuzz_handshake_test.go: FuzzHandshakeRequest, FuzzHandshakeResponse;
//   - fuzz_payload_test.go: FuzzUTF8, FuzzMask, FuzzClosePayload;
//   - fuzz_inflate_test.go and fuzz_inflate_seeds_test.go: FuzzInflate;
//   - fuzz_compress_test.go: FuzzCompressRoundTrip;
//   - fuzz_extension_test.go: FuzzExtensionHeader.
//
// The seed corpora are checked in under testdata/fuzz/<Target>/seed-*. They
// are generated from fzSeedCorpus; TestFuzzSeedCorpus checks that the files
// are up to date and that each seed with a check (those of the read
// targets, FuzzHandshakeRequest and FuzzInflate) means what its name says.
// To regenerate them:
//
//	go test -run '^TestFuzzSeedCorpus$' . -args -writefuzzcorpus
//
// To fuzz one target (one target and one package per run):
//
//	go test -run '^$' -fuzz '^FuzzServerRead$' -fuzztime 1m -parallel 1 .

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"testing/iotest"
	"time"
)

var fzWriteCorpus = flag.Bool("writefuzzcorpus", false, "write the fuzz targets' seed corpora to testdata/fuzz instead of checking them")

// fzHangTimeout bounds each call a target makes into a Conn. The fakes never
// block, so a call that takes this long is stuck.
const fzHangTimeout = 10 * time.Second

// fzCloseTimeout replaces a Conn's close timeout in the targets, so that the
// closing handshake never waits for long.
const fzCloseTimeout = time.Millisecond

// ---------------------------------------------------------------------------
// Fake connection.

// fzConn is a net.Conn whose reads serve in (in pieces of the sizes chunks
// gives, cycled; 0 means as much as fits) and then io.EOF, and whose writes
// are captured in out. It never blocks, so deadlines are moot.
type fzConn struct {
	utNopConn
	in          []byte
	chunks      []byte
	next        int
	eofWithData bool // the last read returns io.EOF with the last bytes, as io.Reader allows

	// respond, when set, is called by the first Read with what has been
	// written so far, and its result becomes in.
	respond func(written []byte) []byte

	out        []byte
	closed     bool
	lateWrites int // writes after Close
}

func (c *fzConn) Read(p []byte) (int, error) {
	if c.closed {
		return 0, net.ErrClosed
	}
	if c.respond != nil {
		c.in = c.respond(c.out)
		c.respond = nil
	}
	if len(c.in) == 0 {
		return 0, io.EOF
	}
	n := len(p)
	if len(c.chunks) > 0 {
		if k := int(c.chunks[c.next%len(c.chunks)]); k > 0 && k < n {
			n = k
		}
		c.next++
	}
	n = copy(p[:n], c.in)
	c.in = c.in[n:]
	if len(c.in) == 0 && c.eofWithData {
		return n, io.EOF
	}
	return n, nil
}

func (c *fzConn) Write(p []byte) (int, error) {
	if c.closed {
		c.lateWrites++
		return 0, net.ErrClosed
	}
	c.out = append(c.out, p...)
	return len(p), nil
}

func (c *fzConn) Close() error {
	if c.closed {
		return net.ErrClosed
	}
	c.closed = true
	return nil
}

// fzBounded runs f, failing the test with every goroutine's stack if f does
// not return within fzHangTimeout.
func fzBounded(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	timer := time.NewTimer(fzHangTimeout)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		t.Fatalf("%s did not return within %v; goroutines:\n%s", what, fzHangTimeout, buf)
	}
}

// ---------------------------------------------------------------------------
// The frame header (RFC 6455 section 5.2): the reference decoder, and
// encoding frames for the other targets.

// fzRefFrameHeader is a frame header as fzRefParseFrameHeader decodes it.
type fzRefFrameHeader struct {
	fin      bool
	rsv      byte // RSV1, RSV2, RSV3 as the bits 4, 2, 1
	op       byte
	masked   bool
	key      [4]byte
	length   uint64
	lenBytes int // bytes of extended payload length: 0, 2 or 8
	size     int // bytes the whole header occupies
}

// fzRefParseFrameHeader decodes the frame header at the start of b
// following the figure of section 5.2. complete is false when b holds only
// part of it; size is known once b has two bytes.
func fzRefParseFrameHeader(b []byte) (h fzRefFrameHeader, complete bool) {
	if len(b) < 2 {
		return h, false
	}
	h.fin = b[0]&0x80 != 0
	h.rsv = b[0] >> 4 & 7
	h.op = b[0] & 0x0f
	h.masked = b[1]&0x80 != 0
	len7 := b[1] & 0x7f
	switch len7 {
	case 126:
		h.lenBytes = 2
	case 127:
		h.lenBytes = 8
	}
	h.size = 2 + h.lenBytes
	if h.masked {
		h.size += 4
	}
	if len(b) < h.size {
		return h, false
	}
	if h.lenBytes == 0 {
		h.length = uint64(len7)
	}
	for _, c := range b[2 : 2+h.lenBytes] {
		h.length = h.length<<8 | uint64(c)
	}
	if h.masked {
		copy(h.key[:], b[2+h.lenBytes:])
	}
	return h, true
}

// overflow reports a 64-bit length with its most significant bit set.
func (h fzRefFrameHeader) overflow() bool { return h.lenBytes == 8 && h.length>>63 != 0 }

// minimal reports whether the length is encoded in the fewest bytes.
func (h fzRefFrameHeader) minimal() bool {
	switch h.lenBytes {
	case 2:
		return h.length > 125
	case 8:
		return h.length > 0xffff
	}
	return true
}

// fzEncodeFrame encodes a frame, masking payload with key when key is
// non-nil. rsv holds the RSV bits as fzRefFrameHeader does.
func fzEncodeFrame(fin bool, rsv, op byte, key *[4]byte, payload []byte) []byte {
	b0 := rsv<<4 | op&0x0f
	if fin {
		b0 |= 0x80
	}
	var maskBit byte
	if key != nil {
		maskBit = 0x80
	}
	out := []byte{b0}
	switch n := uint64(len(payload)); {
	case n < 126:
		out = append(out, maskBit|byte(n))
	case n < 1<<16:
		out = append(out, maskBit|126, byte(n>>8), byte(n))
	default:
		out = append(out, maskBit|127)
		for s := 56; s >= 0; s -= 8 {
			out = append(out, byte(n>>s))
		}
	}
	if key == nil {
		return append(out, payload...)
	}
	out = append(out, key[:]...)
	for i, c := range payload {
		out = append(out, c^key[i%4])
	}
	return out
}

// fzUnmask returns a copy of b unmasked with h's key, if h is masked.
func fzUnmask(h fzRefFrameHeader, b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		if h.masked {
			c ^= h.key[i%4]
		}
		out[i] = c
	}
	return out
}

// FuzzParseFrameHeader checks ParseFrameHeader against fzRefParseFrameHeader,
// AppendFrameHeader against the bytes parsed, and ReadFrameHeader on three
// kinds of reader against ParseFrameHeader.
func FuzzParseFrameHeader(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		h, n, err := ParseFrameHeader(b)
		ref, complete := fzRefParseFrameHeader(b)
		wantN := 2
		if len(b) >= 2 {
			wantN = ref.size
			if n != frameHeaderSize(b[1]) {
				t.Fatalf("ParseFrameHeader(% x) returned n=%d, frameHeaderSize says %d", b, n, frameHeaderSize(b[1]))
			}
		}
		var wantErr error
		switch {
		case !complete:
			wantErr = ErrShortFrameHeader
		case ref.overflow():
			wantErr = ErrLengthOverflow
		case !ref.minimal():
			wantErr = ErrNonMinimalLength
		}
		if n != wantN || err != wantErr {
			t.Fatalf("ParseFrameHeader(% x) = n=%d, %v; want n=%d, %v", b, n, err, wantN, wantErr)
		}
		if err == nil {
			want := FrameHeader{
				Fin: ref.fin, Rsv1: ref.rsv&4 != 0, Rsv2: ref.rsv&2 != 0, Rsv3: ref.rsv&1 != 0,
				Opcode: Opcode(ref.op), Masked: ref.masked, Mask: ref.key, Length: int64(ref.length),
			}
			if h != want {
				t.Fatalf("ParseFrameHeader(% x) = %+v, want %+v", b, h, want)
			}
			if enc := AppendFrameHeader(nil, h); !bytes.Equal(enc, b[:n]) {
				t.Fatalf("AppendFrameHeader(ParseFrameHeader(% x)) = % x", b[:n], enc)
			}
		}

		readers := []struct {
			name string
			r    io.Reader
		}{
			{"plain", &fzPlainReader{bytes.NewReader(b)}},
			{"onebyte", iotest.OneByteReader(bytes.NewReader(b))},
			{"bufio", bufio.NewReaderSize(bytes.NewReader(b), 16)},
		}
		for _, rd := range readers {
			rh, rerr := ReadFrameHeader(rd.r)
			rest, _ := io.ReadAll(rd.r)
			want := wantErr
			switch {
			case len(b) == 0:
				want = io.EOF
			case !complete:
				want = io.ErrUnexpectedEOF
			}
			if rerr != want {
				t.Fatalf("ReadFrameHeader(%s, % x) returned %v, want %v", rd.name, b, rerr, want)
			}
			if rerr == nil && rh != h {
				t.Fatalf("ReadFrameHeader(%s, % x) = %+v, ParseFrameHeader says %+v", rd.name, b, rh, h)
			}
			if complete && !bytes.Equal(rest, b[n:]) {
				t.Fatalf("ReadFrameHeader(%s, % x) left % x unread, want % x", rd.name, b, rest, b[n:])
			}
		}

		// And the other way: a header made from the input encodes minimally
		// and parses back.
		if len(b) >= 14 {
			h := FrameHeader{
				Fin: b[0]&1 != 0, Rsv1: b[0]&2 != 0, Rsv2: b[0]&4 != 0, Rsv3: b[0]&8 != 0,
				Opcode: Opcode(b[0] >> 4), Masked: b[1]&1 != 0,
			}
			if h.Masked {
				copy(h.Mask[:], b[2:6])
			}
			var l uint64
			for _, c := range b[6:14] {
				l = l<<8 | uint64(c)
			}
			h.Length = int64(l >> (b[1] >> 1 % 64) & (1<<63 - 1))
			enc := AppendFrameHeader(nil, h)
			wantLen := 2
			switch {
			case h.Length > 0xffff:
				wantLen += 8
			case h.Length > 125:
				wantLen += 2
			}
			if h.Masked {
				wantLen += 4
			}
			got, n, err := ParseFrameHeader(enc)
			if len(enc) != wantLen || err != nil || n != len(enc) || got != h {
				t.Fatalf("AppendFrameHeader(%+v) = % x, which parses as %+v, %d, %v", h, enc, got, n, err)
			}
			var w bytes.Buffer
			if err := WriteFrameHeader(&w, h); err != nil || !bytes.Equal(w.Bytes(), enc) {
				t.Fatalf("WriteFrameHeader(%+v) wrote % x, %v; AppendFrameHeader gives % x", h, w.Bytes(), err, enc)
			}
		}
	})
}

// fzPlainReader hides every method of its reader but Read.
type fzPlainReader struct{ r io.Reader }

func (p *fzPlainReader) Read(b []byte) (int, error) { return p.r.Read(b) }

func fzFrameHeaderSeeds() []fzSeed {
	var seeds []fzSeed
	add := func(name, b string) { seeds = append(seeds, fzSeed{name: name, args: []any{[]byte(b)}}) }
	// RFC 6455 section 5.7.
	add("rfc-unmasked-text", "\x81\x05Hello")
	add("rfc-masked-text", "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58")
	add("rfc-fragment-first", "\x01\x03Hel")
	add("rfc-fragment-last", "\x80\x02lo")
	add("rfc-unmasked-ping", "\x89\x05Hello")
	add("rfc-masked-pong", "\x8a\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58")
	add("rfc-binary-256", "\x82\x7e\x01\x00")
	add("rfc-binary-64k", "\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00")
	// Boundaries of the length encodings.
	add("len-125", "\x82\x7d")
	add("len-126", "\x82\x7e\x00\x7e")
	add("len-65535-masked", "\x82\xfe\xff\xff\x01\x02\x03\x04")
	add("len-65536-masked", "\x82\xff\x00\x00\x00\x00\x00\x01\x00\x00\x01\x02\x03\x04")
	add("len-max", "\x82\x7f\x7f\xff\xff\xff\xff\xff\xff\xff")
	add("all-bits", "\xff\xff\x7f\xff\xff\xff\xff\xff\xff\xff\xa1\xb2\xc3\xd4")
	// Errors.
	add("nonminimal-16", "\x82\x7e\x00\x05")
	add("nonminimal-16-125", "\x82\x7e\x00\x7d")
	add("nonminimal-64", "\x82\x7f\x00\x00\x00\x00\x00\x00\x00\x7e")
	add("nonminimal-64-65535", "\x82\x7f\x00\x00\x00\x00\x00\x00\xff\xff")
	add("overflow", "\x82\x7f\x80\x00\x00\x00\x00\x00\x00\x00")
	add("overflow-masked", "\x82\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01\x02\x03\x04")
	// Short headers.
	add("empty", "")
	add("one-byte", "\x81")
	add("short-16", "\x82\x7e\x01")
	add("short-64", "\x82\x7f\x00\x00\x00\x00\x00\x01")
	add("short-mask", "\x81\x85\x37\xfa\x21")
	// Reserved bits and opcodes parse; the connection rejects them.
	add("rsv-reserved-opcode", "\x7b\x00")
	return seeds
}

// ---------------------------------------------------------------------------
// Seed corpora.

// fzSeed is a named seed input of a target; check, when set, verifies that
// the seed means what its name says.
type fzSeed struct {
	name  string
	args  []any
	check func(t *testing.T)
}

// fzMarshal encodes args in the "go test fuzz v1" corpus file format.
func fzMarshal(args ...any) []byte {
	var b bytes.Buffer
	b.WriteString("go test fuzz v1\n")
	for _, a := range args {
		switch v := a.(type) {
		case []byte:
			fmt.Fprintf(&b, "[]byte(%q)\n", v)
		case string:
			fmt.Fprintf(&b, "string(%q)\n", v)
		case byte:
			fmt.Fprintf(&b, "byte(%q)\n", v)
		case uint16, uint32, int:
			fmt.Fprintf(&b, "%T(%v)\n", v, v)
		default:
			panic(fmt.Sprintf("fzMarshal: %T", a))
		}
	}
	return b.Bytes()
}

// TestFuzzSeedCorpus checks that testdata/fuzz holds the seed corpora
// fzSeedCorpus makes, and that each seed means what its name says; with
// -writefuzzcorpus it writes them instead (and removes stale seed-* files).
func TestFuzzSeedCorpus(t *testing.T) {
	if got, want := fzRefAccept("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="; got != want {
		t.Fatalf("fzRefAccept of the key of RFC 6455 section 1.3 = %q, want %q", got, want)
	}
	for target, seeds := range fzSeedCorpus() {
		dir := filepath.Join("testdata", "fuzz", target)
		names := map[string]bool{}
		for _, s := range seeds {
			name := "seed-" + s.name
			if names[name] {
				t.Errorf("%s: two seeds named %s", target, name)
			}
			names[name] = true
			if s.check != nil {
				t.Run(target+"/"+s.name, s.check)
			}
			data := fzMarshal(s.args...)
			path := filepath.Join(dir, name)
			if *fzWriteCorpus {
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, data, 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, data) {
				t.Errorf("%s is missing or out of date (%v); regenerate it with: go test -run '^TestFuzzSeedCorpus$' . -args -writefuzzcorpus", path, err)
			}
		}
		if *fzWriteCorpus {
			old, _ := filepath.Glob(filepath.Join(dir, "seed-*"))
			for _, p := range old {
				if !names[filepath.Base(p)] {
					os.Remove(p)
				}
			}
		}
	}
}

// fzSeedCorpus returns the seeds of each target.
func fzSeedCorpus() map[string][]fzSeed {
	return map[string][]fzSeed{
		"FuzzParseFrameHeader":  fzFrameHeaderSeeds(),
		"FuzzServerRead":        fzReadSeeds(false),
		"FuzzClientRead":        fzReadSeeds(true),
		"FuzzRoundTrip":         fzRoundTripSeeds(),
		"FuzzHandshakeRequest":  fzRequestSeeds(),
		"FuzzHandshakeResponse": fzResponseSeeds(),
		"FuzzUTF8":              fzUTF8Seeds(),
		"FuzzMask":              fzMaskSeeds(),
		"FuzzClosePayload":      fzCloseSeeds(),
		"FuzzInflate":           fzInflateSeeds(),
		"FuzzCompressRoundTrip": fzCompressRoundTripSeeds(),
		"FuzzExtensionHeader":   fzExtensionHeaderSeeds(),
	}
}
