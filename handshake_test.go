package websocket

// Tests of the server side of the opening handshake (RFC 6455 section 4.2):
// Accept and AcceptKey. Most of them speak raw HTTP over a TCP connection
// (rawDial) to an httptest.Server whose handler calls Accept, so that every
// header of the request is under the test's control.
//
// This file holds that server (hsServer) and the pieces of requests and
// checks of responses the tests share, which the dial tests use too; the
// tests are in handshake_request_test.go, handshake_response_test.go and
// handshake_conn_test.go.

import (
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
)

// hsAcceptResult is what one call of Accept in a test server returned.
type hsAcceptResult struct {
	err         error
	subprotocol string
}

// hsServerConfig configures the handler of an hsServer.
type hsServerConfig struct {
	opts   *AcceptOptions
	before func(w http.ResponseWriter, r *http.Request) // runs before Accept
	serve  func(c *Conn) error                          // runs on an accepted conn; nil closes it at once
	tls    bool                                         // httptest.NewTLSServer instead of NewServer
}

// hsServer is a test server. Its handler for "/plain" answers 200 "plain
// ok"; its handler for every other path calls Accept and reports the
// outcome on results.
type hsServer struct {
	srv     *httptest.Server // nil when the handler runs under another server
	results chan hsAcceptResult
	wg      sync.WaitGroup // handler calls, which outlive the server once they hijack
}

func hsNewServerState() *hsServer {
	return &hsServer{results: make(chan hsAcceptResult, 16)}
}

// handler returns the server's http.Handler.
func (s *hsServer) handler(t testing.TB, cfg hsServerConfig) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/plain", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "plain ok")
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.wg.Add(1)
		defer s.wg.Done()
		if cfg.before != nil {
			cfg.before(w, r)
		}
		c, err := Accept(w, r, cfg.opts)
		res := hsAcceptResult{err: err}
		if c != nil {
			res.subprotocol = c.Subprotocol()
		}
		select {
		case s.results <- res:
		default:
			t.Errorf("more Accept calls than the test expected")
		}
		if err != nil {
			return
		}
		if cfg.serve != nil {
			cfg.serve(c)
		}
		c.CloseNow()
	})
	return mux
}

// hsStart starts an httptest.Server (TLS when cfg.tls) running the
// handshake test handler. Cleanup closes it and waits for every handler,
// hijacked ones included.
func hsStart(t testing.TB, cfg hsServerConfig) *hsServer {
	t.Helper()
	s := hsNewServerState()
	h := s.handler(t, cfg)
	if cfg.tls {
		s.srv = httptest.NewTLSServer(h)
	} else {
		s.srv = httptest.NewServer(h)
	}
	t.Cleanup(func() {
		s.srv.Close()
		awaitGroup(t, &s.wg, "server handlers")
	})
	return s
}

// addr returns the server's host:port.
func (s *hsServer) addr() string { return s.srv.Listener.Addr().String() }

// url returns the server's ws:// or wss:// URL, with path.
func (s *hsServer) url(path string) string {
	return "ws" + strings.TrimPrefix(s.srv.URL, "http") + path
}

// result waits for the outcome of the next Accept call.
func (s *hsServer) result(t testing.TB) hsAcceptResult {
	t.Helper()
	return await(t, s.results, "the outcome of an Accept call")
}

// hsGreetThenEcho sends "hello from server" and then echoes.
func hsGreetThenEcho(c *Conn) error {
	if err := c.WriteMessage(context.Background(), MessageText, []byte("hello from server")); err != nil {
		return err
	}
	return echoServe(c)
}

// hsEchoRoundTrip sends msg on c and checks that the same message comes
// back.
func hsEchoRoundTrip(t testing.TB, c *Conn, typ MessageType, msg string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), peerTimeout)
	defer cancel()
	if err := c.WriteMessage(ctx, typ, []byte(msg)); err != nil {
		t.Fatalf("WriteMessage: %v", err)
	}
	gotTyp, got, err := c.ReadMessage(ctx, nil)
	if err != nil {
		t.Fatalf("ReadMessage: %v", err)
	}
	if gotTyp != typ || string(got) != msg {
		t.Fatalf("echo = %v %q, want %v %q", gotTyp, got, typ, msg)
	}
}

// hsExpectMessage reads one message from c and checks it.
func hsExpectMessage(t testing.TB, c *Conn, typ MessageType, msg string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), peerTimeout)
	defer cancel()
	gotTyp, got, err := c.ReadMessage(ctx, nil)
	if err != nil {
		t.Fatalf("ReadMessage: %v", err)
	}
	if gotTyp != typ || string(got) != msg {
		t.Fatalf("read %v %q, want %v %q", gotTyp, got, typ, msg)
	}
}

// hsDial dials url with opts under the safety bound and closes the
// connection at cleanup.
func hsDial(t testing.TB, url string, opts *DialOptions) (*Conn, *http.Response) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), peerTimeout)
	defer cancel()
	c, resp, err := Dial(ctx, url, opts)
	if err != nil {
		t.Fatalf("Dial(%q): %v", url, err)
	}
	t.Cleanup(func() { c.CloseNow() })
	return c, resp
}

// hsHandshakeLines returns the header lines of a valid opening handshake
// (RFC 6455 section 4.1) for host.
func hsHandshakeLines(host string) []string {
	return []string{
		"Host: " + host,
		"Upgrade: websocket",
		"Connection: Upgrade",
		"Sec-WebSocket-Key: " + hsKey,
		"Sec-WebSocket-Version: 13",
	}
}

// hsEditLines removes the lines of the headers named in drop (ignoring
// case) and appends add.
func hsEditLines(lines, drop, add []string) []string {
	var out []string
	for _, l := range lines {
		name, _, _ := strings.Cut(l, ":")
		if !slices.ContainsFunc(drop, func(d string) bool { return strings.EqualFold(d, name) }) {
			out = append(out, l)
		}
	}
	return append(out, add...)
}

// hsRequestText joins a request line and header lines into a request head.
func hsRequestText(requestLine string, lines []string) string {
	var b strings.Builder
	b.WriteString(requestLine + "\r\n")
	for _, l := range lines {
		b.WriteString(l + "\r\n")
	}
	b.WriteString("\r\n")
	return b.String()
}

// hsCheckAccepted checks a 101 response to a handshake with key, as RFC
// 6455 section 4.2.2 item 5 describes it.
func hsCheckAccepted(t testing.TB, resp *http.Response, key string) {
	t.Helper()
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("status = %s, want 101", resp.Status)
	}
	if got := resp.Header.Values("Upgrade"); len(got) != 1 || !strings.EqualFold(got[0], "websocket") {
		t.Errorf("Upgrade = %q, want [websocket]", got)
	}
	if got := resp.Header.Values("Connection"); len(got) != 1 || !strings.EqualFold(got[0], "Upgrade") {
		t.Errorf("Connection = %q, want [Upgrade]", got)
	}
	if got, want := resp.Header.Values("Sec-WebSocket-Accept"), AcceptKey(key); len(got) != 1 || got[0] != want {
		t.Errorf("Sec-WebSocket-Accept = %q, want [%s]", got, want)
	}
}

// hsCheckNotHijacked checks that the server still speaks HTTP on the
// connection after refusing a handshake: a second request on it is
// answered by the ordinary handler.
func hsCheckNotHijacked(t testing.TB, c *rawPeer) {
	t.Helper()
	resp, body := c.roundTrip(http.MethodGet, "GET /plain HTTP/1.1\r\nHost: test.example\r\n\r\n")
	if resp.StatusCode != http.StatusOK || string(body) != "plain ok" {
		t.Errorf("second request on the connection: %s %q, want 200 \"plain ok\"", resp.Status, body)
	}
}

// TestAcceptKeyMatchesRFCExample checks AcceptKey against the worked example
// of RFC 6455 sections 1.3 and 4.2.2, against the SHA-1 bytes the RFC
// prints, and against an independent computation for another key.
func TestAcceptKeyMatchesRFCExample(t *testing.T) {
	const want = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
	if got := AcceptKey(hsKey); got != want {
		t.Errorf("AcceptKey(%q) = %q, want %q", hsKey, got, want)
	}
	// Section 4.2.2 gives the SHA-1 hash before base64 encoding.
	sum, err := hex.DecodeString("b37a4f2cc0624f1690f64606cf385945b2bec4ea")
	if err != nil {
		t.Fatal(err)
	}
	if got := AcceptKey(hsKey); got != base64.StdEncoding.EncodeToString(sum) {
		t.Errorf("AcceptKey(%q) = %q, want base64 of the RFC's hash %x", hsKey, got, sum)
	}

	// The key of the example in section 4.1, computed independently.
	const key = "AQIDBAUGBwgJCgsMDQ4PEC=="
	h := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	if got, want := AcceptKey(key), base64.StdEncoding.EncodeToString(h[:]); got != want {
		t.Errorf("AcceptKey(%q) = %q, want %q", key, got, want)
	}
}
