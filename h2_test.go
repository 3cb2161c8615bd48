package websocket

// Tests of WebSockets over HTTP/2 (RFC 8441): our client dialling with
// DialOptions.HTTP2 and our server accepting extended CONNECTs, over h2c and
// TLS. This file holds TestMain, which turns extended CONNECT on in net/http
// for the whole package, and the test server (h2Server) and dialling helpers
// the tests share; the tests are in h2_echo_test.go, h2_frames_test.go,
// h2_close_test.go, h2_fallback_test.go and h2_accept_test.go. Files that use
// http.Protocols, or this file's helpers, need Go 1.24.

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
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
	ev.err = echoServe(c)
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
