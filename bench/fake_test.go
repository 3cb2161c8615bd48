package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/f30c7f75/websocket/bench/load"
	"github.com/gobwas/ws"
)

// The in-process benchmarks run each library's server side on a fakeConn:
// it first serves a handshake request, then an endless stream of frames,
// and discards what is written. The handshake goes through each library's
// own upgrade, on a fake hijackable ResponseWriter for those built on
// net/http.

type fakeAddr struct{}

func (fakeAddr) Network() string { return "tcp" }
func (fakeAddr) String() string  { return "127.0.0.1:1" }

// fakeConn is a net.Conn that reads pre, then src over and over (src holds
// whole frames), and counts and drops what is written.
type fakeConn struct {
	pre     []byte
	src     []byte
	off     int
	limited bool // with limited, only limit more bytes of src are served, then io.EOF
	limit   int64
	written int64
	capture []byte // the first bytes written, up to cap(capture)
}

func (c *fakeConn) Read(p []byte) (int, error) {
	if len(c.pre) > 0 {
		n := copy(p, c.pre) // never past the request, as a client waits for the response
		c.pre = c.pre[n:]
		return n, nil
	}
	if len(c.src) == 0 || c.limited && c.limit == 0 {
		return 0, io.EOF
	}
	if c.limited && int64(len(p)) > c.limit {
		p = p[:c.limit]
	}
	n := copy(p, c.src[c.off:])
	c.off += n
	if c.off == len(c.src) {
		c.off = 0
	}
	c.limit -= int64(n)
	return n, nil
}

func (c *fakeConn) Write(p []byte) (int, error) {
	if k := min(len(p), cap(c.capture)-len(c.capture)); k > 0 {
		c.capture = append(c.capture, p[:k]...)
	}
	c.written += int64(len(p))
	return len(p), nil
}

func (c *fakeConn) Close() error                     { return nil }
func (c *fakeConn) LocalAddr() net.Addr              { return fakeAddr{} }
func (c *fakeConn) RemoteAddr() net.Addr             { return fakeAddr{} }
func (c *fakeConn) SetDeadline(time.Time) error      { return nil }
func (c *fakeConn) SetReadDeadline(time.Time) error  { return nil }
func (c *fakeConn) SetWriteDeadline(time.Time) error { return nil }

// fakeResponseWriter stands in for net/http's ResponseWriter: headers set
// and a status written before Hijack go out on the connection at Hijack, as
// net/http sends them.
type fakeResponseWriter struct {
	h      http.Header
	nc     net.Conn
	brw    *bufio.ReadWriter
	status int
}

func (w *fakeResponseWriter) Header() http.Header { return w.h }

func (w *fakeResponseWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *fakeResponseWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return len(p), nil
}

func (w *fakeResponseWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if w.status != 0 {
		bw := w.brw.Writer
		fmt.Fprintf(bw, "HTTP/1.1 %d %s\r\n", w.status, http.StatusText(w.status))
		w.h.Write(bw)
		bw.WriteString("\r\n")
		if err := bw.Flush(); err != nil {
			return nil, nil, err
		}
	}
	return w.nc, w.brw, nil
}

// netHTTP reads the request from nc as net/http's server would (with 4 KiB
// buffers, which it hands to a hijacker) and returns it with a
// ResponseWriter.
func netHTTP(nc net.Conn) (*fakeResponseWriter, *http.Request, error) {
	br := bufio.NewReaderSize(nc, 4096)
	r, err := http.ReadRequest(br)
	if err != nil {
		return nil, nil, err
	}
	w := &fakeResponseWriter{h: http.Header{}, nc: nc, brw: bufio.NewReadWriter(br, bufio.NewWriterSize(nc, 4096))}
	return w, r, nil
}

// compression is the permessage-deflate the client offers.
type compression int

const (
	plain     compression = iota // no offer
	noContext                    // no context takeover either way
	context                      // context takeover allowed
)

func (m compression) String() string {
	return [...]string{"plain", "nocontext", "context"}[m]
}

// offers are the Sec-WebSocket-Extensions headers of each compression.
var offers = map[compression]string{
	noContext: "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
	context:   "permessage-deflate; client_max_window_bits",
}

// request returns a browser-like handshake request.
func request(m compression) []byte {
	var b bytes.Buffer
	b.WriteString("GET /chat HTTP/1.1\r\n" +
		"Host: 127.0.0.1:8080\r\n" +
		"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n" +
		"Accept: */*\r\n" +
		"Accept-Language: en-US,en;q=0.5\r\n" +
		"Accept-Encoding: gzip, deflate\r\n" +
		"Sec-WebSocket-Version: 13\r\n" +
		"Origin: http://127.0.0.1:8080\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
		"Connection: keep-alive, Upgrade\r\n" +
		"Pragma: no-cache\r\n" +
		"Cache-Control: no-cache\r\n" +
		"Upgrade: websocket\r\n")
	if m != plain {
		b.WriteString("Sec-WebSocket-Extensions: " + offers[m] + "\r\n")
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

// stream returns the frames of whole client messages (opcode op, the
// payloads msgs in turn, maybe compressed, each on its own) repeated to at
// least 64 KiB, so that small frames arrive many to a read, as from a
// socket; and where each frame ends in it.
func stream(op ws.OpCode, msgs [][]byte, deflate bool) ([]byte, []int) {
	var s []byte
	var ends []int
	for len(s) < 64<<10 || len(ends)%len(msgs) != 0 {
		s = append(s, load.Frame(op, msgs[len(ends)%len(msgs)], deflate)...)
		ends = append(ends, len(s))
	}
	return s, ends
}

// streamBytes returns how many bytes of a stream (see stream) hold its
// first n frames, going round it as fakeConn does.
func streamBytes(ends []int, n int) int64 {
	whole, rest := n/len(ends), n%len(ends)
	b := int64(whole) * int64(ends[len(ends)-1])
	if rest > 0 {
		b += int64(ends[rest-1])
	}
	return b
}

// checkResponse checks that the handshake response captured on nc accepted
// the connection, with the compression asked for.
func checkResponse(tb testing.TB, nc *fakeConn, m compression) {
	tb.Helper()
	resp := string(nc.capture)
	if !bytes.HasPrefix(nc.capture, []byte("HTTP/1.1 101 ")) {
		tb.Fatalf("handshake refused: %q", resp)
	}
	ext := bytes.Contains(bytes.ToLower(nc.capture), []byte("sec-websocket-extensions: permessage-deflate"))
	if ext != (m != plain) {
		tb.Fatalf("permessage-deflate negotiated: %v, want %v: %q", ext, m != plain, resp)
	}
	if m == context && bytes.Contains(nc.capture, []byte("server_no_context_takeover")) {
		tb.Fatalf("context takeover refused: %q", resp)
	}
}
