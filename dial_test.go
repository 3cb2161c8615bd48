package websocket

// Tests of the client side of the opening handshake (RFC 6455 section 4.1):
// Dial. Many of them run a raw TCP server (rawListen) that reads the request
// and writes the response bytes by hand, so that every byte of both is under
// the test's control. Waits are bounded by peerTimeout (helpers_test.go).
//
// This file holds what those tests share: the raw handshake server and what
// it saw, and checks of requests and responses; the tests are in
// dial_request_test.go, dial_response_test.go, dial_url_test.go and
// dial_proxy_test.go.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// dialTestSeen is what a raw handshake server saw of one connection.
type dialTestSeen struct {
	req  *http.Request
	head string // the request head exactly as received
	err  error  // reading the request failed
	// after is how reading ended after the response was sent: nil (EOF)
	// or a reset once the client closed the connection, a timeout if it
	// left it open.
	after error
}

// dialTestHandshakeServer starts a raw server that reads one handshake
// request per connection, writes respond(key) in a single write (key being
// the request's Sec-WebSocket-Key), then reads until the client closes, and
// reports what it saw.
func dialTestHandshakeServer(t testing.TB, respond func(key string) string) (*rawServer, <-chan dialTestSeen) {
	t.Helper()
	seen := make(chan dialTestSeen, 16)
	report := func(s dialTestSeen) {
		select {
		case seen <- s:
		default:
			t.Errorf("the raw server saw more connections than the test read")
		}
	}
	srv := rawListen(t, func(nc net.Conn) {
		var raw bytes.Buffer
		br := bufio.NewReader(io.TeeReader(nc, &raw))
		req, err := http.ReadRequest(br)
		if err != nil {
			report(dialTestSeen{err: err, head: raw.String()})
			return
		}
		head := string(raw.Bytes()[:raw.Len()-br.Buffered()])
		if _, err := io.WriteString(nc, respond(req.Header.Get("Sec-WebSocket-Key"))); err != nil {
			report(dialTestSeen{req: req, head: head, err: err})
			return
		}
		_, err = io.Copy(io.Discard, br)
		report(dialTestSeen{req: req, head: head, after: err})
	})
	return srv, seen
}

// dialTestResponse returns a respond func for dialTestHandshakeServer that
// writes tmpl with {{ACCEPT}} replaced by the right Sec-WebSocket-Accept
// and {{KEY}} by the request's key.
func dialTestResponse(tmpl string) func(key string) string {
	return func(key string) string {
		return strings.NewReplacer("{{ACCEPT}}", AcceptKey(key), "{{KEY}}", key).Replace(tmpl)
	}
}

// dialTestOK is a valid 101 response (RFC 6455 section 4.2.2 item 5).
const dialTestOK = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {{ACCEPT}}\r\n\r\n"

// dialTestRecv waits for what the raw server saw.
func dialTestRecv(t testing.TB, seen <-chan dialTestSeen) dialTestSeen {
	t.Helper()
	return await(t, seen, "what the raw server saw")
}

// dialTestCheckClientClosed checks that the client closed the connection
// the server read end with: EOF (nil) or a reset, not the safety timeout.
func dialTestCheckClientClosed(t testing.TB, err error) {
	t.Helper()
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("the client left the TCP connection open: %v", err)
	}
}

// dialTestTokens returns the comma-separated elements of all of h's name
// fields (an independent parser, so that the tests do not rely on the
// package's own).
func dialTestTokens(h http.Header, name string) []string {
	var out []string
	for _, v := range h.Values(name) {
		for _, e := range strings.Split(v, ",") {
			if e = strings.TrimSpace(e); e != "" {
				out = append(out, e)
			}
		}
	}
	return out
}

// dialTestHasToken reports whether h's name fields list token, ignoring case.
func dialTestHasToken(h http.Header, name, token string) bool {
	return slices.ContainsFunc(dialTestTokens(h, name), func(e string) bool { return strings.EqualFold(e, token) })
}

// dialTestHeadLines returns the header lines of a raw request head whose
// name is name, ignoring case.
func dialTestHeadLines(head, name string) []string {
	var out []string
	for _, l := range strings.Split(head, "\r\n")[1:] {
		if n, _, ok := strings.Cut(l, ":"); ok && strings.EqualFold(strings.TrimSpace(n), name) {
			out = append(out, l)
		}
	}
	return out
}

// dialTestDial runs Dial in a goroutine so that the test can bound it by the
// safety timeout even if the context is not honoured.
func dialTestDial(t testing.TB, ctx context.Context, url string, opts *DialOptions) (*Conn, *http.Response, error) {
	t.Helper()
	type result struct {
		c    *Conn
		resp *http.Response
		err  error
	}
	done := make(chan result, 1)
	go func() {
		c, resp, err := Dial(ctx, url, opts)
		done <- result{c, resp, err}
	}()
	select {
	case r := <-done:
		if r.c != nil {
			t.Cleanup(func() { r.c.CloseNow() })
		}
		return r.c, r.resp, r.err
	case <-time.After(peerTimeout):
		t.Fatalf("Dial(%q) did not return", url)
		return nil, nil, nil
	}
}

// dialTestAnswered dials a raw handshake server that answers with tmpl,
// filled in by dialTestResponse, and returns what the server saw and what
// Dial returned.
func dialTestAnswered(t testing.TB, tmpl string, opts *DialOptions) (<-chan dialTestSeen, *Conn, *http.Response, error) {
	t.Helper()
	srv, seen := dialTestHandshakeServer(t, dialTestResponse(tmpl))
	ctx, cancel := context.WithTimeout(context.Background(), peerTimeout)
	defer cancel()
	c, resp, err := dialTestDial(t, ctx, "ws://"+srv.addr+"/", opts)
	return seen, c, resp, err
}

// dialTestHandshakeError checks that Dial, which returned c and err,
// failed with a *HandshakeError and no Conn, and returns the error.
func dialTestHandshakeError(t testing.TB, c *Conn, err error) *HandshakeError {
	t.Helper()
	if c != nil {
		t.Errorf("Dial returned a Conn with error %v", err)
	}
	var he *HandshakeError
	if !errors.As(err, &he) {
		t.Fatalf("error %v (%T) is not a *HandshakeError", err, err)
	}
	return he
}

// dialTestLocalhostCert returns the certificate httptest's TLS servers use
// (valid for 127.0.0.1, ::1 and example.com) and a pool trusting it.
func dialTestLocalhostCert(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	ts := httptest.NewUnstartedServer(http.NotFoundHandler())
	ts.StartTLS()
	defer ts.Close()
	pool := x509.NewCertPool()
	pool.AddCert(ts.Certificate())
	return ts.TLS.Certificates[0], pool
}

func dialTestAbbrev(b []byte) string {
	if len(b) > 40 {
		return string(b[:20]) + "..." + string(b[len(b)-20:])
	}
	return string(b)
}
