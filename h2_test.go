//go:build go1.24

package websocket

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestMain runs the tests in a child process with GODEBUG=http2xconnect=1
// when it is not set: net/http reads the setting from the environment once,
// at start-up, and //go:debug does not know it.
func TestMain(m *testing.M) {
	if os.Getenv("WEBSOCKET_TEST_CHILD") == "" && !strings.Contains(os.Getenv("GODEBUG"), "http2xconnect=1") {
		godebug := "http2xconnect=1"
		if g := os.Getenv("GODEBUG"); g != "" {
			godebug = g + "," + godebug
		}
		cmd := exec.Command(os.Args[0], os.Args[1:]...)
		cmd.Env = append(os.Environ(), "GODEBUG="+godebug, "WEBSOCKET_TEST_CHILD=1")
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				os.Exit(ee.ExitCode())
			}
			fmt.Fprintln(os.Stderr, "running the tests with GODEBUG=http2xconnect=1:", err)
			os.Exit(2)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// h2Server is a test server answering WebSockets over HTTP/2 (h2c or TLS)
// and HTTP/1.1 on the same port.
type h2Server struct {
	*httptest.Server
	url     string // ws:// or wss://
	events  chan h2Event
	conns   atomic.Int32 // TCP connections accepted
	remotes sync.Map     // remote addresses of the requests handled
	opts    AcceptOptions
}

// h2Event is what a handler reports when it ends.
type h2Event struct {
	proto string
	err   error // the error that ended the handler's reading
}

// newH2Server starts a server whose handlers are, by path: /echo echoes
// each message whole, after sending r.Proto as a first message; /stream
// echoes through NextReader and NextWriter; /close closes at once with
// 4002; /abort calls CloseNow; /ping pings the client and reports it;
// /deadline reads once past a deadline and then echoes; /http answers an
// ordinary request with r.Proto.
func newH2Server(t testing.TB, useTLS bool, opts AcceptOptions) *h2Server {
	t.Helper()
	return startH2Server(t, useTLS, true, opts, nil)
}

// newH2ServerNoH2 starts a server that speaks HTTP/1.1 only.
func newH2ServerNoH2(t *testing.T, useTLS bool) *h2Server {
	t.Helper()
	return startH2Server(t, useTLS, false, AcceptOptions{}, nil)
}

// startH2Server starts the server of newH2Server, with HTTP/2 (over TLS,
// or h2c) only when useH2 is set, and with config applied to its
// http.Server before it starts when config is not nil.
func startH2Server(t testing.TB, useTLS, useH2 bool, opts AcceptOptions, config func(*http.Server)) *h2Server {
	t.Helper()
	s := &h2Server{events: make(chan h2Event, 100), opts: opts}
	mux := http.NewServeMux()
	mux.HandleFunc("/http", func(w http.ResponseWriter, r *http.Request) {
		s.remotes.Store(r.RemoteAddr, true)
		io.WriteString(w, r.Proto)
	})
	mux.HandleFunc("/", s.serveWebSocket)
	srv := httptest.NewUnstartedServer(mux)
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	if config != nil {
		config(srv.Config)
	}
	if useTLS {
		srv.EnableHTTP2 = useH2
		srv.StartTLS()
		s.url = "wss://" + srv.Listener.Addr().String()
	} else {
		if useH2 {
			var p http.Protocols
			p.SetHTTP1(true)
			p.SetUnencryptedHTTP2(true)
			srv.Config.Protocols = &p
		}
		srv.Start()
		s.url = "ws://" + srv.Listener.Addr().String()
	}
	s.Server = srv
	t.Cleanup(srv.Close)
	return s
}

func (s *h2Server) serveWebSocket(w http.ResponseWriter, r *http.Request) {
	s.remotes.Store(r.RemoteAddr, true)
	opts := s.opts
	w.Header().Set("X-Client-Said", r.Header.Get("X-Client"))
	c, err := Accept(w, r, &opts)
	if err != nil {
		s.events <- h2Event{proto: r.Proto, err: err}
		return
	}
	defer c.CloseNow()
	ctx := context.Background()
	ev := h2Event{proto: r.Proto}
	defer func() { s.events <- ev }()
	switch r.URL.Path {
	case "/close":
		ev.err = c.Close(4002, "bye from the server")
		return
	case "/abort":
		c.CloseNow()
		return
	case "/noread":
		<-r.Context().Done() // the client resets the stream
		return
	case "/flood":
		ev.err = writeUntilBlocked(c)
		return
	case "/ping":
		done := make(chan error, 1)
		go func() {
			_, err := c.Ping(ctx)
			done <- err
		}()
		go func() { <-done; c.WriteMessage(ctx, MessageText, []byte("server ping answered")) }()
	case "/deadline":
		c.SetReadDeadline(time.Unix(1, 0))
		_, _, err := c.ReadMessage(ctx, nil)
		c.SetReadDeadline(time.Time{})
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			ev.err = fmt.Errorf("read past the deadline returned %v, want a deadline error", err)
			return
		}
		c.SetWriteDeadline(time.Unix(1, 0))
		err = c.WriteMessage(ctx, MessageText, []byte("never sent"))
		c.SetWriteDeadline(time.Time{})
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			ev.err = fmt.Errorf("write past the deadline returned %v, want a deadline error", err)
			return
		}
	case "/stream":
		for {
			typ, r, err := c.NextReader(ctx)
			if err != nil {
				ev.err = err
				return
			}
			w, err := c.NextWriter(ctx, typ)
			if err != nil {
				ev.err = err
				return
			}
			if _, err := io.Copy(w, r); err != nil {
				ev.err = err
				return
			}
			if err := w.Close(); err != nil {
				ev.err = err
				return
			}
		}
	case "/echo":
		if err := c.WriteMessage(ctx, MessageText, []byte(r.Proto)); err != nil {
			ev.err = err
			return
		}
	}
	var buf []byte
	for {
		typ, msg, err := c.ReadMessage(ctx, buf)
		if err != nil {
			ev.err = err
			return
		}
		if err := c.WriteMessage(ctx, typ, msg); err != nil {
			ev.err = err
			return
		}
		buf = msg
	}
}

// writeUntilBlocked writes to a peer that does not read until flow control
// stops the writes and a write's deadline passes, and returns that write's
// error.
func writeUntilBlocked(c *Conn) error {
	msg := make([]byte, 64<<10)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := c.WriteMessage(ctx, MessageBinary, msg)
		cancel()
		if err != nil {
			return err
		}
	}
}

// event waits for a handler to end.
func (s *h2Server) event(t *testing.T) h2Event {
	t.Helper()
	return await(t, s.events, "the end of a handler")
}

// transport returns an http.Transport for the server, with HTTP/2 on
// (h2c only, for a ws server), and closes its connections when the test
// ends.
func (s *h2Server) transport(t *testing.T) *http.Transport {
	tr := &http.Transport{ForceAttemptHTTP2: true}
	if strings.HasPrefix(s.url, "wss:") {
		tr.TLSClientConfig = s.tlsConfig()
	} else {
		var p http.Protocols
		p.SetUnencryptedHTTP2(true)
		tr.Protocols = &p
	}
	t.Cleanup(tr.CloseIdleConnections)
	return tr
}

func (s *h2Server) tlsConfig() *tls.Config {
	if s.Certificate() == nil {
		return nil
	}
	pool := x509.NewCertPool()
	pool.AddCert(s.Certificate())
	return &tls.Config{RootCAs: pool}
}

// dialOptions returns options dialling the server over HTTP/2 on a
// transport of the test's own, closed when the test ends.
func (s *h2Server) dialOptions(t *testing.T) *DialOptions {
	h2 := &HTTP2Transport{}
	t.Cleanup(h2.CloseIdleConnections)
	return &DialOptions{HTTP2: h2, TLSConfig: s.tlsConfig(), Proxy: noProxy}
}

// dialEcho dials /echo and returns the connection and the protocol the
// server saw.
func dialEcho(t *testing.T, serverURL string, opts *DialOptions) (*Conn, *http.Response, string) {
	t.Helper()
	ctx := context.Background()
	c, resp, err := Dial(ctx, serverURL+"/echo", opts)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	_, proto, err := c.ReadMessage(ctx, nil)
	if err != nil {
		t.Fatalf("reading the server's protocol: %v", err)
	}
	return c, resp, string(proto)
}

// forH2Modes runs test in a subtest over h2c and in one over TLS.
func forH2Modes(t *testing.T, test func(t *testing.T, useTLS bool)) {
	for _, mode := range []struct {
		name string
		tls  bool
	}{{"h2c", false}, {"tls", true}} {
		t.Run(mode.name, func(t *testing.T) { test(t, mode.tls) })
	}
}

// dialH2Path checks the test for leaked goroutines, starts a server (over
// TLS or h2c) and dials path on it, over HTTP/2, recording the client
// connection's frames in f when f is not nil. The connection is closed when
// the test ends.
func dialH2Path(t *testing.T, useTLS bool, path string, f *h2Frames) (*h2Server, *Conn) {
	t.Helper()
	checkNoLeaks(t)
	s := newH2Server(t, useTLS, AcceptOptions{})
	opts := s.dialOptions(t)
	if f != nil {
		opts.NetDialContext = f.dial
		f.closeIdle = opts.HTTP2.CloseIdleConnections
	}
	c, resp, err := Dial(context.Background(), s.url+path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseNow() })
	if resp.ProtoMajor != 2 {
		t.Fatalf("dialled over %s", resp.Proto)
	}
	return s, c
}

func TestH2Echo(t *testing.T) {
	forH2Modes(t, func(t *testing.T, useTLS bool) {
		for _, compress := range []bool{false, true} {
			t.Run(fmt.Sprintf("compress=%v", compress), func(t *testing.T) {
				checkNoLeaks(t)
				var aopts AcceptOptions
				aopts.Subprotocols = []string{"chat"}
				if compress {
					aopts.Compression = &CompressionOptions{}
				}
				s := newH2Server(t, useTLS, aopts)
				opts := s.dialOptions(t)
				opts.Subprotocols = []string{"other", "chat"}
				opts.Header = http.Header{"X-Client": {"hello"}}
				if compress {
					opts.Compression = &CompressionOptions{}
				}
				c, resp, proto := dialEcho(t, s.url, opts)
				if proto != "HTTP/2.0" || resp.ProtoMajor != 2 || resp.StatusCode != http.StatusOK {
					t.Fatalf("server saw %s; response %s %d, want HTTP/2.0 and 200", proto, resp.Proto, resp.StatusCode)
				}
				if got := resp.Header.Get("X-Client-Said"); got != "hello" {
					t.Errorf("extra headers: the server heard %q, want hello", got)
				}
				if got := c.NetConn().RemoteAddr().String(); got != s.Listener.Addr().String() {
					t.Errorf("RemoteAddr %s, want the server's %s", got, s.Listener.Addr())
				}
				if c.Subprotocol() != "chat" {
					t.Errorf("subprotocol %q, want chat", c.Subprotocol())
				}
				if got := c.Extensions(); compress != (got != "") {
					t.Errorf("extensions %q with compression %v", got, compress)
				}
				ctx := context.Background()
				for _, size := range []int{0, 125, 126, 64 << 10, 1 << 20} {
					for _, typ := range []MessageType{MessageText, MessageBinary} {
						msg := bytes.Repeat([]byte("0123456789abcdef"), size/16+1)[:size]
						if err := c.WriteMessage(ctx, typ, msg); err != nil {
							t.Fatalf("writing %d bytes: %v", size, err)
						}
						gotTyp, got, err := c.ReadMessage(ctx, nil)
						if err != nil {
							t.Fatalf("reading %d bytes: %v", size, err)
						}
						if gotTyp != typ || !bytes.Equal(got, msg) {
							t.Fatalf("sent %v of %d bytes, got %v of %d", typ, size, gotTyp, len(got))
						}
					}
				}
				if err := c.Close(StatusNormalClosure, ""); err != nil {
					t.Fatalf("Close: %v", err)
				}
				if ev := s.event(t); CloseStatus(ev.err) != StatusNormalClosure || ev.proto != "HTTP/2.0" {
					t.Fatalf("server ended with %v over %s", ev.err, ev.proto)
				}
			})
		}
	})
}

// TestH2Fragmented sends messages in several frames each way: ours with
// NextWriter, whose frames hold 16 KiB, and the server's echo through
// NextWriter too.
func TestH2Fragmented(t *testing.T) {
	forH2Modes(t, func(t *testing.T, useTLS bool) {
		s, c := dialH2Path(t, useTLS, "/stream", nil)
		ctx := context.Background()
		msg := bytes.Repeat([]byte("fragmented "), 10000) // 110 KB
		if err := writePieces(ctx, c, MessageText, msg, 7000); err != nil {
			t.Fatal(err)
		}
		_, got, err := c.ReadMessage(ctx, nil)
		if err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("echo of %d bytes: %d bytes, %v", len(msg), len(got), err)
		}
		if err := c.Close(StatusNormalClosure, ""); err != nil {
			t.Fatal(err)
		}
		s.event(t)
	})
}

func TestH2PingPong(t *testing.T) {
	forH2Modes(t, func(t *testing.T, useTLS bool) {
		s, c := dialH2Path(t, useTLS, "/ping", nil)
		ctx := context.Background()
		var pinged atomic.Bool
		c.OnPing(func([]byte) { pinged.Store(true) })
		// The server's ping is answered by our reads; its handler then
		// sends a message.
		_, msg, err := c.ReadMessage(ctx, nil)
		if err != nil || string(msg) != "server ping answered" || !pinged.Load() {
			t.Fatalf("after the server's ping: %q, %v, pinged %v", msg, err, pinged.Load())
		}
		// Our ping is answered by the server's reads; ours must go on
		// to see the pong.
		reads := make(chan error, 1)
		go func() {
			_, _, err := c.ReadMessage(ctx, nil)
			reads <- err
		}()
		if _, err := c.Ping(ctx); err != nil {
			t.Fatalf("Ping: %v", err)
		}
		if err := c.Close(StatusNormalClosure, ""); err != nil {
			t.Fatal(err)
		}
		<-reads
		s.event(t)
	})
}

// TestH2Deadline checks that a read or a write stopped by a deadline
// leaves the stream usable, on both sides.
func TestH2Deadline(t *testing.T) {
	forH2Modes(t, func(t *testing.T, useTLS bool) {
		s, c := dialH2Path(t, useTLS, "/deadline", nil)
		ctx := context.Background()
		c.SetReadDeadline(time.Unix(1, 0))
		if _, _, err := c.ReadMessage(ctx, nil); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("read past the deadline: %v", err)
		}
		c.SetReadDeadline(time.Time{})
		c.SetWriteDeadline(time.Unix(1, 0))
		if err := c.WriteMessage(ctx, MessageText, []byte("never sent")); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("write past the deadline: %v", err)
		}
		c.SetWriteDeadline(time.Time{})
		wantEcho(t, c, "still there")
		if err := c.Close(StatusNormalClosure, ""); err != nil {
			t.Fatal(err)
		}
		if ev := s.event(t); CloseStatus(ev.err) != StatusNormalClosure {
			t.Fatalf("server: %v", ev.err)
		}
	})
}

// h2Frames records the HTTP/2 frames a client connection sends and
// receives, from the bytes on the wire of an h2c connection.
type h2Frames struct {
	mu        sync.Mutex
	sent, got []byte
	closed    bool // the connection has been closed

	closeIdle func() // closes the client's connections that carry no stream
}

func (f *h2Frames) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return &recordingConn{Conn: nc, f: f}, nil
}

type recordingConn struct {
	net.Conn
	f *h2Frames
}

func (c *recordingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.f.mu.Lock()
	c.f.got = append(c.f.got, p[:n]...)
	c.f.mu.Unlock()
	return n, err
}

// Write records p before it writes it: once the server has the bytes, and
// so perhaps an answer to them is read, they are in the record. net/http
// writes to the connection from one goroutine at a time, so the bytes not
// written can be taken off the end of the record after.
func (c *recordingConn) Write(p []byte) (int, error) {
	c.f.mu.Lock()
	c.f.sent = append(c.f.sent, p...)
	c.f.mu.Unlock()
	n, err := c.Conn.Write(p)
	if n < len(p) {
		c.f.mu.Lock()
		c.f.sent = c.f.sent[:len(c.f.sent)-(len(p)-n)]
		c.f.mu.Unlock()
	}
	return n, err
}

func (c *recordingConn) Close() error {
	c.f.mu.Lock()
	c.f.closed = true
	c.f.mu.Unlock()
	return c.Conn.Close()
}

// h2StreamEnd says how each side ended a stream.
type h2StreamEnd struct {
	endStream bool     // a DATA or HEADERS frame carried END_STREAM
	resets    []uint32 // the error codes of RST_STREAM frames
}

// each parses the recorded bytes (the client's, after the preface, or the
// server's) and calls fn with each whole frame of stream id.
func (f *h2Frames) each(client bool, id uint32, fn func(typ, flags byte, payload []byte)) {
	f.mu.Lock()
	b := f.got
	if client {
		b = f.sent[min(len(f.sent), len("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")):]
	}
	b = bytes.Clone(b)
	f.mu.Unlock()
	for len(b) >= 9 {
		n := int(b[0])<<16 | int(b[1])<<8 | int(b[2])
		if len(b) < 9+n {
			break
		}
		if binary.BigEndian.Uint32(b[5:9])&0x7fffffff == id {
			fn(b[3], b[4], b[9:9+n])
		}
		b = b[9+n:]
	}
}

// ends returns how stream id was ended, by the client or by the server.
func (f *h2Frames) ends(client bool, id uint32) h2StreamEnd {
	var e h2StreamEnd
	f.each(client, id, func(typ, flags byte, payload []byte) {
		switch typ {
		case 0x0, 0x1: // DATA, HEADERS
			if flags&0x1 != 0 {
				e.endStream = true
			}
		case 0x3: // RST_STREAM
			e.resets = append(e.resets, binary.BigEndian.Uint32(payload))
		}
	})
	return e
}

// describe lists the frames of stream id that the client sent and those it
// received, for a failure's message.
func (f *h2Frames) describe(id uint32) string {
	var b strings.Builder
	for _, client := range []bool{true, false} {
		if client {
			b.WriteString("client:")
		} else {
			b.WriteString("; server:")
		}
		f.each(client, id, func(typ, flags byte, payload []byte) {
			switch typ {
			case 0x0:
				fmt.Fprintf(&b, " DATA(%d", len(payload))
			case 0x1:
				b.WriteString(" HEADERS(")
			case 0x3:
				fmt.Fprintf(&b, " RST_STREAM(%d)", binary.BigEndian.Uint32(payload))
				return
			default:
				fmt.Fprintf(&b, " type%d(", typ)
			}
			if flags&0x1 != 0 {
				b.WriteString(" END_STREAM")
			}
			b.WriteString(")")
		})
	}
	return b.String()
}

// dataSizes returns the payload sizes of the DATA frames of stream id, sent
// by the client or by the server.
func (f *h2Frames) dataSizes(client bool, id uint32) []int {
	var sizes []int
	f.each(client, id, func(typ, _ byte, payload []byte) {
		if typ == 0x0 && len(payload) > 0 {
			sizes = append(sizes, len(payload))
		}
	})
	return sizes
}

// endStreamData returns the payload size of the DATA frame of stream id
// that carried END_STREAM, sent by the client or by the server, and whether
// there was one.
func (f *h2Frames) endStreamData(client bool, id uint32) (size int, ok bool) {
	size = -1
	f.each(client, id, func(typ, flags byte, payload []byte) {
		if typ == 0x0 && flags&0x1 != 0 {
			size, ok = len(payload), true
		}
	})
	return size, ok
}

// waitStreamDone waits until net/http's client has done with the stream,
// which it has once the connection, offered to closeIdle, is closed as
// idle: it forgets a stream only after its last frame (a reset included)
// is written, so the client's frames of the stream are all recorded then.
func (f *h2Frames) waitStreamDone(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		f.closeIdle()
		f.mu.Lock()
		closed := f.closed
		f.mu.Unlock()
		if closed {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the client's connection still carries the stream")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitEnds waits for the recorded frames to satisfy ok.
func (f *h2Frames) waitEnds(t *testing.T, client bool, ok func(h2StreamEnd) bool) h2StreamEnd {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		e := f.ends(client, 1)
		if ok(e) || time.Now().After(deadline) {
			return e
		}
		time.Sleep(5 * time.Millisecond)
	}
}

const (
	h2InternalError = 0x2
	h2Cancel        = 0x8
)

// TestH2Close closes each way, with the closing handshake and without,
// and checks both what each side reports and how the HTTP/2 stream ends
// (RFC 8441 section 5): END_STREAM for a closing handshake, RST_STREAM
// for an abort.
func TestH2Close(t *testing.T) {
	// orderly checks, once the client has done with the stream, that each
	// side ended it with END_STREAM and neither reset it, and that the
	// client's END_STREAM came in the DATA frame of its close frame, of
	// closeSize bytes: so it cannot come after the server has answered the
	// close frame and ended its side, when the server would reset the
	// client's side to stop its sending (RFC 9113 section 8.1).
	orderly := func(t *testing.T, f *h2Frames, closeSize int) {
		t.Helper()
		f.waitStreamDone(t)
		for _, client := range []bool{true, false} {
			side := "server"
			if client {
				side = "client"
			}
			if e := f.ends(client, 1); !e.endStream || len(e.resets) > 0 {
				t.Errorf("the %s ended the stream with %+v, want END_STREAM and no RST_STREAM; frames: %s", side, e, f.describe(1))
			}
		}
		if n, ok := f.endStreamData(true, 1); !ok || n != closeSize {
			t.Errorf("the client's END_STREAM came in a DATA frame of %d bytes, want %d, its close frame's; frames: %s", n, closeSize, f.describe(1))
		}
	}
	reset := func(e h2StreamEnd) bool { return len(e.resets) > 0 }
	setup := func(t *testing.T, path string) (*h2Server, *h2Frames, *Conn) {
		f := &h2Frames{}
		s, c := dialH2Path(t, false, path, f)
		return s, f, c
	}
	t.Run("client", func(t *testing.T) {
		s, f, c := setup(t, "/echo")
		if _, _, err := c.ReadMessage(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
		if err := c.Close(4001, "bye from the client"); err != nil {
			t.Fatalf("Close: %v", err)
		}
		ev := s.event(t)
		var ce *CloseError
		if !errors.As(ev.err, &ce) || ce.Code != 4001 || ce.Reason != "bye from the client" {
			t.Fatalf("server read %v, want 4001 and the reason", ev.err)
		}
		// A masked header of 6 bytes, the code and the reason.
		orderly(t, f, 6+2+len("bye from the client"))
	})
	t.Run("server", func(t *testing.T) {
		s, f, c := setup(t, "/close")
		_, _, err := c.ReadMessage(context.Background(), nil)
		var ce *CloseError
		if !errors.As(err, &ce) || ce.Code != 4002 || ce.Reason != "bye from the server" {
			t.Fatalf("client read %v, want 4002 and the reason", err)
		}
		if ev := s.event(t); ev.err != nil {
			t.Fatalf("server's Close: %v", ev.err)
		}
		c.CloseNow() // closed already: changes nothing
		// The client echoes the code and the reason.
		orderly(t, f, 6+2+len("bye from the server"))
	})
	t.Run("client-abort", func(t *testing.T) {
		s, f, c := setup(t, "/echo")
		if _, _, err := c.ReadMessage(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
		c.CloseNow()
		ev := s.event(t)
		if CloseStatus(ev.err) != StatusAbnormalClosure {
			t.Fatalf("server read %v, want 1006", ev.err)
		}
		f.waitStreamDone(t)
		if e := f.ends(true, 1); len(e.resets) != 1 || e.resets[0] != h2Cancel || e.endStream {
			t.Errorf("client ended its stream with %+v, want RST_STREAM CANCEL alone; frames: %s", e, f.describe(1))
		}
	})
	t.Run("server-abort", func(t *testing.T) {
		s, f, c := setup(t, "/abort")
		_, _, err := c.ReadMessage(context.Background(), nil)
		if CloseStatus(err) != StatusAbnormalClosure {
			t.Fatalf("client read %v, want 1006", err)
		}
		s.event(t)
		if e := f.waitEnds(t, false, reset); len(e.resets) == 0 || e.resets[0] != h2InternalError {
			t.Errorf("server ended its stream with %+v, want RST_STREAM", e)
		}
	})
}

// TestH2Multiplexed opens many WebSockets on one HTTP/2 connection, with
// ordinary requests on it at the same time.
func TestH2Multiplexed(t *testing.T) {
	forH2Modes(t, func(t *testing.T, useTLS bool) {
		checkNoLeaks(t)
		s := newH2Server(t, useTLS, AcceptOptions{})
		tr := s.transport(t)
		opts := &DialOptions{HTTP2: &HTTP2Transport{Transport: tr}, TLSConfig: s.tlsConfig(), Proxy: noProxy}
		ctx := context.Background()
		// The first WebSocket opens the connection; the others and the
		// requests share it.
		first, _, proto := dialEcho(t, s.url, opts)
		if proto != "HTTP/2.0" {
			t.Fatalf("over %s", proto)
		}
		const n = 20
		errs := make(chan error, 2*n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(2)
			go func() {
				defer wg.Done()
				errs <- func() error {
					c, _, err := Dial(ctx, s.url+"/stream", opts)
					if err != nil {
						return err
					}
					defer c.CloseNow()
					msg := fmt.Appendf(nil, "message %d", i)
					for range 10 {
						if err := c.WriteMessage(ctx, MessageBinary, msg); err != nil {
							return err
						}
						if _, got, err := c.ReadMessage(ctx, nil); err != nil || !bytes.Equal(got, msg) {
							return fmt.Errorf("echo: %q, %v", got, err)
						}
					}
					return c.Close(StatusNormalClosure, "")
				}()
			}()
			go func() {
				defer wg.Done()
				errs <- func() error {
					resp, err := (&http.Client{Transport: tr}).Get(strings.Replace(s.url, "ws", "http", 1) + "/http")
					if err != nil {
						return err
					}
					defer resp.Body.Close()
					b, err := io.ReadAll(resp.Body)
					if err != nil || string(b) != "HTTP/2.0" {
						return fmt.Errorf("request over %q, %v", b, err)
					}
					return nil
				}()
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
		if err := first.Close(StatusNormalClosure, ""); err != nil {
			t.Fatal(err)
		}
		for range n + 1 {
			s.event(t)
		}
		var remotes []string
		s.remotes.Range(func(k, _ any) bool { remotes = append(remotes, k.(string)); return true })
		if len(remotes) != 1 {
			t.Errorf("requests came on %d connections, want 1: %v", len(remotes), remotes)
		}
		if useTLS && s.conns.Load() != 1 {
			t.Errorf("%d TLS connections, want 1", s.conns.Load())
		}
	})
}

// TestH2FallbackNoH2 dials a server that speaks HTTP/1.1 only. Over TLS,
// ALPN offers no HTTP/2 and the handshake goes on over HTTP/1.1 on the same
// connection; for a ws URL, the h2c connection fails before the server's
// SETTINGS, and the handshake goes on over HTTP/1.1 on a new connection.
func TestH2FallbackNoH2(t *testing.T) {
	for _, tc := range []struct {
		name      string
		tls       bool
		wantConns int32
	}{{"ALPN", true, 1}, {"NoH2C", false, 2}} {
		t.Run(tc.name, func(t *testing.T) {
			checkNoLeaks(t)
			s := newH2ServerNoH2(t, tc.tls)
			c, resp, proto := dialEcho(t, s.url, s.dialOptions(t))
			defer c.CloseNow()
			if proto != "HTTP/1.1" || resp.StatusCode != http.StatusSwitchingProtocols {
				t.Fatalf("server saw %s, response status %d", proto, resp.StatusCode)
			}
			if err := c.Close(StatusNormalClosure, ""); err != nil {
				t.Fatal(err)
			}
			s.event(t)
			if got := s.conns.Load(); got != tc.wantConns {
				t.Errorf("%d connections, want %d", got, tc.wantConns)
			}
		})
	}
}

// TestH2FallbackNoExtendedConnect dials, over h2c and TLS, a server whose
// HTTP/2 does not allow extended CONNECT (a child process without
// GODEBUG=http2xconnect=1): Dial falls back to HTTP/1.1.
func TestH2FallbackNoExtendedConnect(t *testing.T) {
	checkNoLeaks(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestH2HelperServer$")
	var env []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "GODEBUG=") {
			env = append(env, e)
		}
	}
	cmd.Env = append(env, "WEBSOCKET_TEST_CHILD=1", "WEBSOCKET_H2_HELPER=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stdin.Close()
		cmd.Wait()
	}()
	sc := bufio.NewScanner(stdout)
	urls := map[string]string{}
	var certPEM []byte
	for sc.Scan() {
		line := sc.Text()
		if line == "READY" {
			break
		}
		k, v, _ := strings.Cut(line, " ")
		if k == "CERT" {
			certPEM = append(certPEM, []byte(strings.ReplaceAll(v, `\n`, "\n"))...)
			continue
		}
		urls[k] = v
	}
	go io.Copy(io.Discard, stdout)
	if urls["h2c"] == "" || urls["tls"] == "" {
		t.Fatalf("helper server said %v", urls)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	for _, mode := range []string{"h2c", "tls"} {
		t.Run(mode, func(t *testing.T) {
			h2 := &HTTP2Transport{}
			defer h2.CloseIdleConnections()
			opts := &DialOptions{HTTP2: h2, TLSConfig: &tls.Config{RootCAs: pool}, Proxy: noProxy}
			for range 2 { // the second Dial finds the HTTP/2 connection open
				c, resp, proto := dialEcho(t, urls[mode], opts)
				if proto != "HTTP/1.1" || resp.StatusCode != http.StatusSwitchingProtocols {
					t.Fatalf("server saw %s, response status %d", proto, resp.StatusCode)
				}
				if err := c.Close(StatusNormalClosure, ""); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// TestH2HelperServer is the server of TestH2FallbackNoExtendedConnect, run
// in a child process: HTTP/2 (h2c and TLS) without extended CONNECT, and
// HTTP/1.1.
func TestH2HelperServer(t *testing.T) {
	if os.Getenv("WEBSOCKET_H2_HELPER") == "" {
		t.Skip("run by TestH2FallbackNoExtendedConnect")
	}
	if HTTP2ExtendedConnect() {
		t.Fatal("extended CONNECT is on in the helper")
	}
	h2c := newH2Server(t, false, AcceptOptions{})
	tlsSrv := newH2Server(t, true, AcceptOptions{})
	var cert bytes.Buffer
	pemEncode(&cert, tlsSrv.Certificate().Raw)
	fmt.Printf("h2c %s\ntls %s\nCERT %s\nREADY\n", h2c.url, tlsSrv.url, strings.ReplaceAll(cert.String(), "\n", `\n`))
	io.Copy(io.Discard, os.Stdin)
}

func pemEncode(w io.Writer, der []byte) {
	pem.Encode(w, &pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// TestH2AcceptChecks checks that Accept refuses an extended CONNECT from a
// foreign Origin as it refuses an HTTP/1.1 upgrade, and accepts one from
// the server's own, answering without Sec-WebSocket-Accept (RFC 8441
// section 5).
func TestH2AcceptChecks(t *testing.T) {
	checkNoLeaks(t)
	s := newH2Server(t, false, AcceptOptions{})
	ctx := context.Background()
	opts := s.dialOptions(t)
	opts.Header = http.Header{"Origin": {"https://evil.example"}}
	_, resp, err := Dial(ctx, s.url+"/echo", opts)
	var he *HandshakeError
	if !errors.As(err, &he) || he.StatusCode != http.StatusForbidden || resp.ProtoMajor != 2 {
		t.Fatalf("foreign Origin: %v", err)
	}
	s.event(t)
	opts.Header = http.Header{"Origin": {"http://" + s.Listener.Addr().String()}}
	c, resp, proto := dialEcho(t, s.url, opts)
	if proto != "HTTP/2.0" || resp.Header.Get("Sec-WebSocket-Accept") != "" {
		t.Fatalf("own Origin: over %s, headers %v", proto, resp.Header)
	}
	if err := c.Close(StatusNormalClosure, ""); err != nil {
		t.Fatal(err)
	}
	s.event(t)
}

// TestH2AcceptRefusals checks Accept's answers to extended CONNECTs it
// cannot take.
func TestH2AcceptRefusals(t *testing.T) {
	for _, tc := range []struct {
		name   string
		header http.Header
		status int
	}{
		{"no :protocol", http.Header{"Sec-Websocket-Version": {"13"}}, http.StatusBadRequest},
		{"other protocol", http.Header{":protocol": {"webtransport"}, "Sec-Websocket-Version": {"13"}}, http.StatusBadRequest},
		{"version 8", http.Header{":protocol": {"websocket"}, "Sec-Websocket-Version": {"8"}}, http.StatusUpgradeRequired},
		{"no version", http.Header{":protocol": {"websocket"}}, http.StatusUpgradeRequired},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodConnect, "https://example.com/chat", nil)
			r.Proto, r.ProtoMajor, r.ProtoMinor = "HTTP/2.0", 2, 0
			r.Header = tc.header
			w := httptest.NewRecorder()
			if _, err := Accept(w, r, nil); err == nil {
				t.Fatal("accepted")
			}
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d", w.Code, tc.status)
			}
			if tc.status == http.StatusUpgradeRequired && w.Header().Get("Sec-WebSocket-Version") != "13" {
				t.Errorf("426 without Sec-WebSocket-Version: 13")
			}
		})
	}
}

// TestH2DataFrames checks that each WebSocket frame travels in one DATA
// frame, on both sides, including a server frame whose header and payload
// are written separately.
func TestH2DataFrames(t *testing.T) {
	checkNoLeaks(t)
	s := newH2Server(t, false, AcceptOptions{})
	f := &h2Frames{}
	opts := s.dialOptions(t)
	opts.NetDialContext = f.dial
	c, _, _ := dialEcho(t, s.url, opts)
	ctx := context.Background()
	for _, size := range []int{100, 3000} {
		msg := bytes.Repeat([]byte{'x'}, size)
		if err := c.WriteMessage(ctx, MessageBinary, msg); err != nil {
			t.Fatal(err)
		}
		if _, got, err := c.ReadMessage(ctx, nil); err != nil || len(got) != size {
			t.Fatalf("echo of %d bytes: %d, %v", size, len(got), err)
		}
	}
	// "HTTP/2.0" in a 2-byte header; 100 bytes, 2; 3000 bytes, 4; and the
	// client's frames with 4 more bytes of masking key.
	if got, want := f.dataSizes(false, 1), []int{10, 102, 3004}; !slices.Equal(got, want) {
		t.Errorf("server's DATA frames of %v bytes, want %v", got, want)
	}
	if got, want := f.dataSizes(true, 1), []int{106, 3008}; !slices.Equal(got, want) {
		t.Errorf("client's DATA frames of %v bytes, want %v", got, want)
	}
	if err := c.Close(StatusNormalClosure, ""); err != nil {
		t.Fatal(err)
	}
	s.event(t)
}

// TestH2ServerTakesHTTP1 checks that a server taking WebSockets over
// HTTP/2 still takes HTTP/1.1 upgrades on the same port, and that both kinds
// share the handler.
func TestH2ServerTakesHTTP1(t *testing.T) {
	forH2Modes(t, func(t *testing.T, useTLS bool) {
		checkNoLeaks(t)
		s := newH2Server(t, useTLS, AcceptOptions{})
		h1, resp1, proto1 := dialEcho(t, s.url, &DialOptions{TLSConfig: s.tlsConfig(), Proxy: noProxy})
		h2, resp2, proto2 := dialEcho(t, s.url, s.dialOptions(t))
		if proto1 != "HTTP/1.1" || resp1.StatusCode != http.StatusSwitchingProtocols {
			t.Errorf("without HTTP2: over %s, status %d", proto1, resp1.StatusCode)
		}
		if proto2 != "HTTP/2.0" || resp2.StatusCode != http.StatusOK {
			t.Errorf("with HTTP2: over %s, status %d", proto2, resp2.StatusCode)
		}
		for _, c := range []*Conn{h1, h2} {
			if err := c.Close(StatusNormalClosure, ""); err != nil {
				t.Fatal(err)
			}
			s.event(t)
		}
	})
}

// TestH2ServerTimeouts checks that http.Server's ReadTimeout and
// WriteTimeout, which net/http applies to each HTTP/2 stream, do not end
// WebSockets, as they do not on HTTP/1.1.
func TestH2ServerTimeouts(t *testing.T) {
	checkNoLeaks(t)
	s := startH2Server(t, true, true, AcceptOptions{}, func(srv *http.Server) {
		srv.ReadTimeout = time.Second
		srv.WriteTimeout = time.Second
	})
	c, _, proto := dialEcho(t, s.url, s.dialOptions(t))
	if proto != "HTTP/2.0" {
		t.Fatalf("over %s", proto)
	}
	time.Sleep(1500 * time.Millisecond) // past both timeouts
	wantEcho(t, c, "later")
	if err := c.Close(StatusNormalClosure, ""); err != nil {
		t.Fatal(err)
	}
	s.event(t)
}

// BenchmarkH2Echo measures a round trip of a 1 KiB message through our
// echo server over loopback, over HTTP/1.1 and over HTTP/2 (h2c).
func BenchmarkH2Echo(b *testing.B) {
	for _, useH2 := range []bool{false, true} {
		name := "http1"
		if useH2 {
			name = "h2c"
		}
		b.Run(name, func(b *testing.B) {
			s := newH2Server(b, false, AcceptOptions{})
			opts := &DialOptions{Proxy: noProxy}
			if useH2 {
				h2 := &HTTP2Transport{}
				defer h2.CloseIdleConnections()
				opts.HTTP2 = h2
			}
			ctx := context.Background()
			c, _, err := Dial(ctx, s.url+"/echo", opts)
			if err != nil {
				b.Fatal(err)
			}
			defer c.CloseNow()
			if _, _, err := c.ReadMessage(ctx, nil); err != nil {
				b.Fatal(err)
			}
			msg := bytes.Repeat([]byte("x"), 1024)
			buf := make([]byte, 1024)
			b.SetBytes(int64(len(msg)))
			b.ResetTimer()
			for range b.N {
				if err := c.WriteMessage(ctx, MessageBinary, msg); err != nil {
					b.Fatal(err)
				}
				if _, buf, err = c.ReadMessage(ctx, buf); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			c.Close(StatusNormalClosure, "")
			<-s.events
		})
	}
}

// TestH2BlockedWrites checks writes that flow control blocks until their
// deadline, on both sides: they fail with a deadline error and nothing is
// left behind.
func TestH2BlockedWrites(t *testing.T) {
	t.Run("client", func(t *testing.T) {
		s, c := dialH2Path(t, false, "/noread", nil)
		if err := writeUntilBlocked(c); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("blocked write: %v, want context.DeadlineExceeded", err)
		}
		c.CloseNow()
		s.event(t)
	})
	t.Run("server", func(t *testing.T) {
		s, c := dialH2Path(t, false, "/flood", nil)
		ev := s.event(t)
		if !errors.Is(ev.err, context.DeadlineExceeded) && !errors.Is(ev.err, os.ErrDeadlineExceeded) {
			t.Fatalf("blocked write: %v, want a deadline error", ev.err)
		}
		// The server reset the stream: reads end, after what was buffered,
		// with 1006.
		for {
			_, _, err := c.ReadMessage(context.Background(), nil)
			if err != nil {
				if CloseStatus(err) != StatusAbnormalClosure {
					t.Fatalf("read after the server's reset: %v, want 1006", err)
				}
				break
			}
		}
	})
}

// TestH2FrameTracker checks that frameTracker finds the ends of frames of
// each header size, however the bytes are split into writes.
func TestH2FrameTracker(t *testing.T) {
	var stream []byte
	var ends []int // offsets at which a frame ends
	for _, h := range []Header{
		{Fin: true, Opcode: OpText, Length: 0},
		{Fin: true, Opcode: OpBinary, Length: 125, Masked: true},
		{Fin: false, Opcode: OpText, Length: 126},
		{Fin: true, Opcode: OpContinuation, Length: 70000, Masked: true},
		{Fin: true, Opcode: OpPing, Length: 3},
		{Fin: true, Opcode: OpClose, Length: 2, Masked: true},
	} {
		stream = AppendHeader(stream, h)
		stream = append(stream, make([]byte, h.Length)...)
		ends = append(ends, len(stream))
	}
	for _, step := range []int{1, 2, 3, 7, 13, 16 << 10, len(stream)} {
		var tr frameTracker
		var got []int
		for off := 0; off < len(stream); off += step {
			end := min(off+step, len(stream))
			if tr.advance(stream[off:end]) {
				got = append(got, end)
			}
		}
		var want []int // the ends that fall at the end of a write
		for _, e := range ends {
			if e == len(stream) || e%step == 0 {
				want = append(want, e)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("writes of %d bytes: frame ends at %v, want %v", step, got, want)
		}
		if !tr.closeSent() {
			t.Errorf("writes of %d bytes: the close frame was not seen", step)
		}
	}
}

// wantEcho writes text to c and fails t unless the echo server sends it
// back.
func wantEcho(t *testing.T, c *Conn, text string) {
	t.Helper()
	ctx := context.Background()
	if err := c.WriteMessage(ctx, MessageText, []byte(text)); err != nil {
		t.Fatal(err)
	}
	if _, msg, err := c.ReadMessage(ctx, nil); err != nil || string(msg) != text {
		t.Fatalf("echo of %q: %q, %v", text, msg, err)
	}
}

// TestH2CloseNowWaitsForWrites checks that a handler may return once its
// CloseNow has returned, while another goroutine writes and a third closes
// the connection: CloseNow used to return at once when another close was
// under way, and the stream's Close not to wait for the write in progress,
// so that the write used the ResponseWriter after the handler returned
// (the race detector reports it in net/http).
func TestH2CloseNowWaitsForWrites(t *testing.T) {
	checkNoLeaks(t)
	done := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		defer close(done)
		c, err := Accept(w, r, nil)
		if err != nil {
			t.Error(err)
			return
		}
		defer c.CloseNow()
		ctx := context.Background()
		msg := make([]byte, 4096)
		writing := make(chan struct{})
		go func() {
			for i := 0; ; i++ {
				if i == 10 {
					close(writing)
				}
				if c.WriteMessage(ctx, MessageBinary, msg) != nil {
					return
				}
			}
		}()
		<-writing
		go c.CloseNow()
		for {
			if _, _, err := c.ReadMessage(ctx, nil); err != nil {
				return
			}
		}
	})
	srv := httptest.NewUnstartedServer(mux)
	var p http.Protocols
	p.SetHTTP1(true)
	p.SetUnencryptedHTTP2(true)
	srv.Config.Protocols = &p
	srv.Start()
	defer srv.Close()
	h2 := &HTTP2Transport{}
	defer h2.CloseIdleConnections()
	c, resp, err := Dial(context.Background(), "ws://"+srv.Listener.Addr().String(), &DialOptions{HTTP2: h2, Proxy: noProxy})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if resp.ProtoMajor != 2 {
		t.Fatalf("dialled over %s", resp.Proto)
	}
	for {
		if _, _, err := c.ReadMessage(context.Background(), nil); err != nil {
			break
		}
	}
	<-done
}
