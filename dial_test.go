package websocket

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Tests of the client side of the opening handshake (RFC 6455 section 4.1):
// Dial. Many of them run a raw TCP server that reads the request and writes
// the response bytes by hand, so that every byte of both is under the
// test's control. Waits are bounded by peerTimeout (helpers_test.go).

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

// dialTestProxyConfig configures a test CONNECT proxy.
type dialTestProxyConfig struct {
	user, pass string            // credentials the proxy demands, when user is set
	refuse     bool              // answer 407 to every CONNECT
	silent     bool              // read the CONNECT and never answer
	tls        *tls.Config       // serve as an https proxy
	route      map[string]string // CONNECT target → the address dialled instead
}

// dialTestProxy is a small HTTP CONNECT proxy (RFC 6455 section 4.1 item
// 3; RFC 9110 section 9.3.6) running inside the test.
type dialTestProxy struct {
	cfg   dialTestProxyConfig
	srv   *rawServer
	url   *url.URL
	got   chan struct{} // a token per request read
	ended chan error    // for a silent proxy: how reading ended after the request

	mu       sync.Mutex
	requests []string // "METHOD request-target" of each request
	hosts    []string // their Host headers
	auths    []string // their Proxy-Authorization headers
	headers  []http.Header
}

func dialTestStartProxy(t testing.TB, cfg dialTestProxyConfig) *dialTestProxy {
	t.Helper()
	p := &dialTestProxy{cfg: cfg, got: make(chan struct{}, 16), ended: make(chan error, 16)}
	p.srv = rawListen(t, p.handle)
	p.url = &url.URL{Scheme: "http", Host: p.srv.addr}
	if cfg.tls != nil {
		p.url.Scheme = "https"
	}
	if cfg.user != "" {
		p.url.User = url.UserPassword(cfg.user, cfg.pass)
	}
	return p
}

func (p *dialTestProxy) handle(nc net.Conn) {
	if p.cfg.tls != nil {
		nc = tls.Server(nc, p.cfg.tls)
		defer nc.Close()
	}
	br := bufio.NewReader(nc)
	req, err := http.ReadRequest(br)
	if err != nil {
		return
	}
	p.mu.Lock()
	p.requests = append(p.requests, req.Method+" "+req.RequestURI)
	p.hosts = append(p.hosts, req.Host)
	p.auths = append(p.auths, req.Header.Get("Proxy-Authorization"))
	p.headers = append(p.headers, req.Header)
	p.mu.Unlock()
	select {
	case p.got <- struct{}{}:
	default:
	}

	if p.cfg.silent {
		_, err := io.Copy(io.Discard, br)
		select {
		case p.ended <- err:
		default:
		}
		return
	}
	if req.Method != http.MethodConnect {
		io.WriteString(nc, "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
		return
	}
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte(p.cfg.user+":"+p.cfg.pass))
	if p.cfg.refuse || (p.cfg.user != "" && req.Header.Get("Proxy-Authorization") != want) {
		io.WriteString(nc, "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"dialtest\"\r\nContent-Length: 0\r\n\r\n")
		return
	}
	target := req.RequestURI
	if r, ok := p.cfg.route[target]; ok {
		target = r
	}
	up, err := net.DialTimeout("tcp", target, peerTimeout)
	if err != nil {
		io.WriteString(nc, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
		return
	}
	if !p.srv.track(up) {
		return
	}
	defer up.Close()
	up.SetDeadline(time.Now().Add(peerTimeout))
	if _, err := io.WriteString(nc, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
		return
	}
	done := make(chan struct{})
	go func() {
		io.Copy(up, br)
		up.Close()
		nc.Close()
		close(done)
	}()
	io.Copy(nc, up)
	nc.Close()
	up.Close()
	<-done
}

// seen returns the requests, Host headers and Proxy-Authorization headers
// the proxy has read.
func (p *dialTestProxy) seen() (requests, hosts, auths []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.requests), slices.Clone(p.hosts), slices.Clone(p.auths)
}

// TestDialSendsValidHandshakeRequest checks the request Dial writes against
// RFC 6455 section 4.1 items 1–12: the request line, Host, Upgrade,
// Connection, a Sec-WebSocket-Key that is the base64 of 16 bytes,
// Sec-WebSocket-Version 13, the offered subprotocols in order, no
// extensions, and the caller's extra headers, without duplicating the
// handshake's own headers (section 11.3.1: Sec-WebSocket-Key MUST NOT
// appear more than once).
func TestDialSendsValidHandshakeRequest(t *testing.T) {
	srv, seen := dialTestHandshakeServer(t, dialTestResponse(dialTestOK))
	hdr := http.Header{}
	hdr.Set("Origin", "http://example.com")
	hdr.Add("X-Custom", "a")
	hdr.Add("X-Custom", "b")
	hdr.Set("Cookie", "k=v")
	hdr.Set("Authorization", "Bearer token")
	hdr.Set("Sec-WebSocket-Key", "AAAAAAAAAAAAAAAAAAAAAA==")
	hdr.Set("Sec-WebSocket-Version", "8")
	c, _ := hsDial(t, "ws://"+srv.addr+"/path/to?query=1&b=two", &DialOptions{
		Header:       hdr,
		Subprotocols: []string{"chat.v2", "chat.v1"},
	})
	c.CloseNow()
	s := dialTestRecv(t, seen)
	if s.err != nil {
		t.Fatalf("server could not read the request: %v\n%s", s.err, s.head)
	}
	req, head := s.req, s.head

	if line, _, _ := strings.Cut(head, "\r\n"); line != "GET /path/to?query=1&b=two HTTP/1.1" {
		t.Errorf("request line = %q, want %q", line, "GET /path/to?query=1&b=two HTTP/1.1")
	}
	if req.Host != srv.addr {
		t.Errorf("Host = %q, want %q", req.Host, srv.addr)
	}
	for _, name := range []string{"Host", "Upgrade", "Connection", "Sec-WebSocket-Key", "Sec-WebSocket-Version", "Sec-WebSocket-Protocol"} {
		if got := dialTestHeadLines(head, name); len(got) != 1 {
			t.Errorf("%d %s lines, want 1: %q", len(got), name, got)
		}
	}
	if !dialTestHasToken(req.Header, "Upgrade", "websocket") {
		t.Errorf("Upgrade = %q, want the websocket keyword", req.Header.Values("Upgrade"))
	}
	if !dialTestHasToken(req.Header, "Connection", "Upgrade") {
		t.Errorf("Connection = %q, want the Upgrade token", req.Header.Values("Connection"))
	}
	if got := req.Header.Values("Sec-WebSocket-Version"); !slices.Equal(got, []string{"13"}) {
		t.Errorf("Sec-WebSocket-Version = %q, want [13]", got)
	}
	keys := req.Header.Values("Sec-WebSocket-Key")
	if len(keys) != 1 {
		t.Fatalf("Sec-WebSocket-Key = %q, want one", keys)
	}
	if b, err := base64.StdEncoding.DecodeString(keys[0]); err != nil || len(b) != 16 {
		t.Errorf("Sec-WebSocket-Key %q is not the base64 of 16 bytes (%d bytes, %v)", keys[0], len(b), err)
	}
	if keys[0] == "AAAAAAAAAAAAAAAAAAAAAA==" {
		t.Errorf("Sec-WebSocket-Key was taken from DialOptions.Header, not chosen at random")
	}
	if got := dialTestTokens(req.Header, "Sec-WebSocket-Protocol"); !slices.Equal(got, []string{"chat.v2", "chat.v1"}) {
		t.Errorf("Sec-WebSocket-Protocol = %q, want [chat.v2 chat.v1]", got)
	}
	if got := req.Header.Values("Sec-WebSocket-Extensions"); len(got) != 0 {
		t.Errorf("Sec-WebSocket-Extensions = %q, want none", got)
	}
	for name, want := range map[string][]string{
		"Origin":        {"http://example.com"},
		"X-Custom":      {"a", "b"},
		"Cookie":        {"k=v"},
		"Authorization": {"Bearer token"},
	} {
		if got := req.Header.Values(name); !slices.Equal(got, want) {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
}

// TestDialRequestURIAndHost checks the Request-URI (the /resource name/ of
// RFC 6455 section 3, "/" for an empty path; section 4.1 items 2 and 3)
// and the Host header (item 4), which DialOptions.Header can override.
func TestDialRequestURIAndHost(t *testing.T) {
	srv, seen := dialTestHandshakeServer(t, dialTestResponse(dialTestOK))
	tests := []struct {
		name     string
		url      string
		host     string // DialOptions.Header Host, if any
		wantLine string
		wantHost string
	}{
		{name: "empty path", url: "ws://" + srv.addr, wantLine: "GET / HTTP/1.1", wantHost: srv.addr},
		{name: "query without path", url: "ws://" + srv.addr + "?x=1", wantLine: "GET /?x=1 HTTP/1.1", wantHost: srv.addr},
		{name: "path and query", url: "ws://" + srv.addr + "/chat/room?id=7&k=v", wantLine: "GET /chat/room?id=7&k=v HTTP/1.1", wantHost: srv.addr},
		{name: "escaped path", url: "ws://" + srv.addr + "/a%20b/%23c", wantLine: "GET /a%20b/%23c HTTP/1.1", wantHost: srv.addr},
		{name: "Host override", url: "ws://" + srv.addr + "/x", host: "virtual.example:8443", wantLine: "GET /x HTTP/1.1", wantHost: "virtual.example:8443"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := &DialOptions{}
			if tc.host != "" {
				opts.Header = http.Header{"Host": {tc.host}}
			}
			c, _ := hsDial(t, tc.url, opts)
			c.CloseNow()
			s := dialTestRecv(t, seen)
			if s.err != nil {
				t.Fatalf("server could not read the request: %v\n%s", s.err, s.head)
			}
			if line, _, _ := strings.Cut(s.head, "\r\n"); line != tc.wantLine {
				t.Errorf("request line = %q, want %q", line, tc.wantLine)
			}
			if s.req.Host != tc.wantHost {
				t.Errorf("Host = %q, want %q", s.req.Host, tc.wantHost)
			}
			if got := dialTestHeadLines(s.head, "Host"); len(got) != 1 {
				t.Errorf("Host lines = %q, want one", got)
			}
		})
	}
}

// TestDialKeyIsFreshForEachConnection checks that every connection gets a
// new random nonce (RFC 6455 section 4.1 item 7: "The nonce MUST be
// selected randomly for each connection").
func TestDialKeyIsFreshForEachConnection(t *testing.T) {
	srv, seen := dialTestHandshakeServer(t, dialTestResponse(dialTestOK))
	keys := map[string]bool{}
	for i := 0; i < 4; i++ {
		c, _ := hsDial(t, "ws://"+srv.addr+"/", nil)
		c.CloseNow()
		s := dialTestRecv(t, seen)
		if s.err != nil {
			t.Fatalf("server could not read the request: %v", s.err)
		}
		key := s.req.Header.Get("Sec-WebSocket-Key")
		if b, err := base64.StdEncoding.DecodeString(key); err != nil || len(b) != 16 {
			t.Errorf("Sec-WebSocket-Key %q is not the base64 of 16 bytes", key)
		}
		if keys[key] {
			t.Errorf("Sec-WebSocket-Key %q reused", key)
		}
		keys[key] = true
	}
}

// TestDialResponseRules answers the handshake with responses that follow or
// break each rule of RFC 6455 section 4.1 ("The client MUST validate the
// server's response") and checks that Dial accepts the good ones and fails
// the bad ones with a *HandshakeError, closing the connection.
func TestDialResponseRules(t *testing.T) {
	const (
		statusLine = "HTTP/1.1 101 Switching Protocols\r\n"
		upgrade    = "Upgrade: websocket\r\n"
		connection = "Connection: Upgrade\r\n"
		accept     = "Sec-WebSocket-Accept: {{ACCEPT}}\r\n"
	)
	tests := []struct {
		name    string
		offer   []string // DialOptions.Subprotocols
		resp    string
		ok      bool
		wantSub string
	}{
		{name: "valid", resp: statusLine + upgrade + connection + accept + "\r\n", ok: true},
		{name: "other reason phrase", resp: "HTTP/1.1 101 Web Socket Protocol Handshake\r\n" + upgrade + connection + accept + "\r\n", ok: true},
		{name: "header values in other cases", resp: statusLine + "Upgrade: WebSocket\r\nConnection: upgrade\r\n" + accept + "\r\n", ok: true},
		{name: "header names in lower case", resp: statusLine + "upgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-accept: {{ACCEPT}}\r\n\r\n", ok: true},
		{name: "Connection token list", resp: statusLine + upgrade + "Connection: keep-alive, Upgrade\r\n" + accept + "\r\n", ok: true},
		{name: "extra headers", resp: statusLine + upgrade + connection + accept + "Set-Cookie: a=b\r\nServer: test\r\n\r\n", ok: true},
		{name: "empty extensions header", resp: statusLine + upgrade + connection + accept + "Sec-WebSocket-Extensions:\r\n\r\n", ok: true},
		{name: "subprotocol among those offered", offer: []string{"a", "b"}, resp: statusLine + upgrade + connection + accept + "Sec-WebSocket-Protocol: b\r\n\r\n", ok: true, wantSub: "b"},
		{name: "no subprotocol though some offered", offer: []string{"a", "b"}, resp: statusLine + upgrade + connection + accept + "\r\n", ok: true, wantSub: ""},

		// Item 2.
		{name: "Upgrade missing", resp: statusLine + connection + accept + "\r\n"},
		{name: "Upgrade h2c", resp: statusLine + "Upgrade: h2c\r\n" + connection + accept + "\r\n"},
		{name: "Upgrade websockets", resp: statusLine + "Upgrade: websockets\r\n" + connection + accept + "\r\n"},
		// Item 3.
		{name: "Connection missing", resp: statusLine + upgrade + accept + "\r\n"},
		{name: "Connection keep-alive", resp: statusLine + upgrade + "Connection: keep-alive\r\n" + accept + "\r\n"},
		{name: "Connection upgrades", resp: statusLine + upgrade + "Connection: upgrades\r\n" + accept + "\r\n"},
		// Item 4, and section 11.3.3: Sec-WebSocket-Accept MUST NOT
		// appear more than once.
		{name: "Accept missing", resp: statusLine + upgrade + connection + "\r\n"},
		{name: "Accept for another key", resp: statusLine + upgrade + connection + "Sec-WebSocket-Accept: " + AcceptKey("AQIDBAUGBwgJCgsMDQ4PEC==") + "\r\n\r\n"},
		{name: "Accept echoes the key", resp: statusLine + upgrade + connection + "Sec-WebSocket-Accept: {{KEY}}\r\n\r\n"},
		{name: "Accept empty", resp: statusLine + upgrade + connection + "Sec-WebSocket-Accept:\r\n\r\n"},
		{name: "Accept twice", resp: statusLine + upgrade + connection + accept + accept + "\r\n"},
		// Item 5: no extension was offered, so none may be accepted.
		{name: "extension in response", resp: statusLine + upgrade + connection + accept + "Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n"},
		{name: "extension with parameters", resp: statusLine + upgrade + connection + accept + "Sec-WebSocket-Extensions: x-custom; p=1\r\n\r\n"},
		// Item 6, and section 4.2.2 /subprotocol/ (a single token).
		{name: "subprotocol not offered", offer: []string{"a"}, resp: statusLine + upgrade + connection + accept + "Sec-WebSocket-Protocol: c\r\n\r\n"},
		{name: "subprotocol when none offered", resp: statusLine + upgrade + connection + accept + "Sec-WebSocket-Protocol: a\r\n\r\n"},
		{name: "two subprotocols selected", offer: []string{"a", "b"}, resp: statusLine + upgrade + connection + accept + "Sec-WebSocket-Protocol: a, b\r\n\r\n"},
		{name: "subprotocol header twice", offer: []string{"a", "b"}, resp: statusLine + upgrade + connection + accept + "Sec-WebSocket-Protocol: a\r\nSec-WebSocket-Protocol: b\r\n\r\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, seen := dialTestHandshakeServer(t, dialTestResponse(tc.resp))
			ctx, cancel := context.WithTimeout(context.Background(), peerTimeout)
			defer cancel()
			c, resp, err := dialTestDial(t, ctx, "ws://"+srv.addr+"/", &DialOptions{Subprotocols: tc.offer})
			if tc.ok {
				if err != nil {
					t.Fatalf("Dial: %v", err)
				}
				if got := c.Subprotocol(); got != tc.wantSub {
					t.Errorf("Subprotocol() = %q, want %q", got, tc.wantSub)
				}
				if resp == nil || resp.StatusCode != http.StatusSwitchingProtocols {
					t.Errorf("response = %v, want the 101 response", resp)
				}
				c.CloseNow()
				dialTestRecv(t, seen)
				return
			}
			if err == nil {
				t.Fatalf("Dial accepted the response %q", tc.resp)
			}
			if c != nil {
				t.Errorf("Dial returned a Conn with error %v", err)
			}
			var he *HandshakeError
			if !errors.As(err, &he) {
				t.Fatalf("error %v (%T) is not a *HandshakeError", err, err)
			}
			if he.StatusCode != http.StatusSwitchingProtocols {
				t.Errorf("HandshakeError.StatusCode = %d, want 101", he.StatusCode)
			}
			if resp == nil || resp.StatusCode != http.StatusSwitchingProtocols {
				t.Errorf("response = %v, want the 101 response", resp)
			}
			// Section 7.1.7: failing the connection closes it.
			dialTestCheckClientClosed(t, dialTestRecv(t, seen).after)
		})
	}
}

// TestDialRefusedHandshakeReturnsHandshakeError checks responses other
// than 101 (RFC 6455 section 4.1: "If the status code received from the
// server is not 101, the client handles the response per HTTP
// procedures"): Dial returns a *HandshakeError with the status, headers
// and at most 1 KiB of the body, and the response itself with that start
// of the body, as its doc comment says.
func TestDialRefusedHandshakeReturnsHandshakeError(t *testing.T) {
	long := strings.Repeat("0123456789abcdef", 320) // 5120 bytes
	var chunked strings.Builder
	for i := 0; i < len(long); i += 1000 {
		part := long[i:min(i+1000, len(long))]
		fmt.Fprintf(&chunked, "%x\r\n%s\r\n", len(part), part)
	}
	chunked.WriteString("0\r\n\r\n")
	tests := []struct {
		name       string
		resp       string
		status     int
		headerName string
		headerVal  string
		body       string
	}{
		{name: "403 with short body", resp: "HTTP/1.1 403 Forbidden\r\nX-Reason: origin\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\nforbidden\n",
			status: 403, headerName: "X-Reason", headerVal: "origin", body: "forbidden\n"},
		{name: "426 naming the version", resp: "HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\nContent-Length: 0\r\n\r\n",
			status: 426, headerName: "Sec-WebSocket-Version", headerVal: "13", body: ""},
		{name: "302 redirect", resp: "HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\nContent-Length: 5\r\n\r\nmoved",
			status: 302, headerName: "Location", headerVal: "/elsewhere", body: "moved"},
		{name: "200 with handshake headers", resp: "HTTP/1.1 200 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {{ACCEPT}}\r\nContent-Length: 2\r\n\r\nok",
			status: 200, headerName: "Upgrade", headerVal: "websocket", body: "ok"},
		{name: "500 with a 5 KiB body", resp: "HTTP/1.1 500 Internal Server Error\r\nX-Id: 42\r\nContent-Length: 5120\r\n\r\n" + long,
			status: 500, headerName: "X-Id", headerVal: "42", body: long[:1024]},
		{name: "503 with a chunked 5 KiB body", resp: "HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\nRetry-After: 1\r\n\r\n" + chunked.String(),
			status: 503, headerName: "Retry-After", headerVal: "1", body: long[:1024]},
		{name: "400 with a body delimited by close", resp: "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nX-Id: 7\r\n\r\n" + long,
			status: 400, headerName: "X-Id", headerVal: "7", body: long[:1024]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, seen := dialTestHandshakeServer(t, dialTestResponse(tc.resp))
			ctx, cancel := context.WithTimeout(context.Background(), peerTimeout)
			defer cancel()
			c, resp, err := dialTestDial(t, ctx, "ws://"+srv.addr+"/", nil)
			if err == nil {
				t.Fatalf("Dial succeeded on a %d response", tc.status)
			}
			if c != nil {
				t.Errorf("Dial returned a Conn with error %v", err)
			}
			var he *HandshakeError
			if !errors.As(err, &he) {
				t.Fatalf("error %v (%T) is not a *HandshakeError", err, err)
			}
			if he.StatusCode != tc.status {
				t.Errorf("HandshakeError.StatusCode = %d, want %d", he.StatusCode, tc.status)
			}
			if got := he.Header.Get(tc.headerName); got != tc.headerVal {
				t.Errorf("HandshakeError.Header %s = %q, want %q", tc.headerName, got, tc.headerVal)
			}
			if len(he.Body) > 1024 {
				t.Errorf("HandshakeError.Body has %d bytes, want at most 1024", len(he.Body))
			}
			if string(he.Body) != tc.body {
				t.Errorf("HandshakeError.Body = %q (%d bytes), want %q (%d bytes)", dialTestAbbrev(he.Body), len(he.Body), dialTestAbbrev([]byte(tc.body)), len(tc.body))
			}
			if he.Error() == "" {
				t.Errorf("HandshakeError.Error() is empty")
			}
			if resp == nil {
				t.Fatalf("Dial returned no *http.Response")
			}
			if resp.StatusCode != tc.status {
				t.Errorf("response status = %d, want %d", resp.StatusCode, tc.status)
			}
			if got := resp.Header.Get(tc.headerName); got != tc.headerVal {
				t.Errorf("response header %s = %q, want %q", tc.headerName, got, tc.headerVal)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || string(body) != tc.body {
				t.Errorf("response body = %q (%d bytes), %v; want %q (%d bytes)", dialTestAbbrev(body), len(body), err, dialTestAbbrev([]byte(tc.body)), len(tc.body))
			}
			dialTestCheckClientClosed(t, dialTestRecv(t, seen).after)
		})
	}
}

// TestDialRefusalWithEndlessBodyReturns answers the handshake with a
// refusal whose body never ends (chunked, or a huge Content-Length) and
// checks that Dial, with a context that never ends, still returns the
// *HandshakeError and closes the connection: it keeps only the start of
// the body (1 KiB, as documented), so it has no reason to read the rest,
// and RFC 6455 section 4.1 only asks the client to handle the non-101
// response per HTTP and give up on the WebSocket connection.
func TestDialRefusalWithEndlessBodyReturns(t *testing.T) {
	tests := []struct {
		name string
		head string
	}{
		{name: "chunked", head: "HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked\r\n\r\n"},
		{name: "huge Content-Length", head: "HTTP/1.1 403 Forbidden\r\nContent-Length: 1099511627776\r\n\r\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ended := make(chan error, 1)
			srv := rawListen(t, func(nc net.Conn) {
				if _, err := http.ReadRequest(bufio.NewReader(nc)); err != nil {
					ended <- err
					return
				}
				chunk := bytes.Repeat([]byte("x"), 1024)
				if strings.Contains(tc.head, "chunked") {
					chunk = append(append([]byte("400\r\n"), chunk...), "\r\n"...)
				}
				_, err := io.WriteString(nc, tc.head)
				for err == nil {
					_, err = nc.Write(chunk)
				}
				ended <- err
			})
			c, _, err := dialTestDial(t, context.Background(), "ws://"+srv.addr+"/", nil)
			if c != nil || err == nil {
				t.Fatalf("Dial = %v, %v; want an error", c, err)
			}
			var he *HandshakeError
			if !errors.As(err, &he) {
				t.Fatalf("error %v (%T) is not a *HandshakeError", err, err)
			}
			if he.StatusCode != http.StatusForbidden || len(he.Body) != 1024 {
				t.Errorf("HandshakeError: status %d, %d body bytes; want 403 and 1024", he.StatusCode, len(he.Body))
			}
			// The server stops writing once the client has closed.
			dialTestCheckClientClosed(t, await(t, ended, "the end of the server's writes"))
		})
	}
}

func dialTestAbbrev(b []byte) string {
	if len(b) > 40 {
		return string(b[:20]) + "..." + string(b[len(b)-20:])
	}
	return string(b)
}

// TestDialKeepsFramesSentWithThe101Response has the server write its 101
// response and two unmasked frames in a single write: the client buffers
// them while reading the response and must still read them as messages
// (RFC 6455 section 4.2.2: once the response is sent the server may send
// data; section 5.1: server frames are not masked).
func TestDialKeepsFramesSentWithThe101Response(t *testing.T) {
	frames := AppendHeader(nil, Header{Fin: true, Opcode: OpText, Length: 5})
	frames = append(frames, "hello"...)
	frames = AppendHeader(frames, Header{Fin: true, Opcode: OpBinary, Length: 300})
	frames = append(frames, bytes.Repeat([]byte{0xfe}, 300)...)
	srv, seen := dialTestHandshakeServer(t, func(key string) string {
		return dialTestResponse(dialTestOK)(key) + string(frames)
	})
	c, _ := hsDial(t, "ws://"+srv.addr+"/", nil)
	hsExpectMessage(t, c, MessageText, "hello")
	hsExpectMessage(t, c, MessageBinary, strings.Repeat("\xfe", 300))
	c.CloseNow()
	dialTestRecv(t, seen)
}

// TestDialSkipsInterimResponses has the server send interim (1xx)
// responses before its final one. RFC 9110 section 15.2: a client must be
// able to parse any number of 1xx responses ahead of the final response,
// even ones it did not ask for, and may ignore them; 101 is the final
// answer to a handshake (section 15.2.2), not an interim one. Dial must
// succeed on a 101 after them, with neither the interim responses' headers
// in the response it returns nor the frames sent behind the 101 lost, and
// report a refusal after them as it reports any other.
func TestDialSkipsInterimResponses(t *testing.T) {
	const (
		hints      = "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload; as=style\r\n\r\n"
		cont       = "HTTP/1.1 100 Continue\r\n\r\n"
		processing = "HTTP/1.1 102 Processing\r\n\r\n"
		unknown    = "HTTP/1.1 199 Whatever\r\nX-Interim: 1\r\n\r\n"
		refusal    = "HTTP/1.1 403 Forbidden\r\nX-Reason: origin\r\nContent-Length: 9\r\n\r\nforbidden"
	)
	frame := string(AppendHeader(nil, Header{Fin: true, Opcode: OpText, Length: 2})) + "hi"
	tests := []struct {
		name   string
		resp   string
		status int
	}{
		{name: "103 then 101", resp: hints + dialTestOK + frame, status: 101},
		{name: "100 then 101", resp: cont + dialTestOK + frame, status: 101},
		{name: "several then 101", resp: cont + processing + hints + hints + unknown + dialTestOK + frame, status: 101},
		{name: "103 then 403", resp: hints + refusal, status: 403},
		{name: "several then 403", resp: cont + hints + unknown + refusal, status: 403},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, seen := dialTestHandshakeServer(t, dialTestResponse(tc.resp))
			ctx, cancel := context.WithTimeout(context.Background(), peerTimeout)
			defer cancel()
			c, resp, err := dialTestDial(t, ctx, "ws://"+srv.addr+"/", nil)
			if resp == nil || resp.StatusCode != tc.status {
				status := "none"
				if resp != nil {
					status = resp.Status
				}
				t.Fatalf("Dial returned the response %s (error %v), want the %d", status, err, tc.status)
			}
			for _, name := range []string{"Link", "X-Interim"} {
				if got := resp.Header.Values(name); len(got) != 0 {
					t.Errorf("response header %s = %q, from an interim response", name, got)
				}
			}
			if tc.status == http.StatusSwitchingProtocols {
				if err != nil {
					t.Fatalf("Dial: %v", err)
				}
				hsExpectMessage(t, c, MessageText, "hi")
				c.CloseNow()
				dialTestRecv(t, seen)
				return
			}
			var he *HandshakeError
			if !errors.As(err, &he) {
				t.Fatalf("error %v (%T) is not a *HandshakeError", err, err)
			}
			if c != nil {
				t.Errorf("Dial returned a Conn with error %v", err)
			}
			if he.StatusCode != tc.status || he.Header.Get("X-Reason") != "origin" || string(he.Body) != "forbidden" {
				t.Errorf("HandshakeError: status %d, X-Reason %q, body %q; want %d, \"origin\", \"forbidden\"", he.StatusCode, he.Header.Get("X-Reason"), he.Body, tc.status)
			}
			dialTestCheckClientClosed(t, dialTestRecv(t, seen).after)
		})
	}
}

// TestDialEndlessInterimResponses has the server send interim responses
// without end: they count against MaxHeaderBytes with the final response's
// header, so Dial fails with ErrHeaderTooLarge and closes the connection
// instead of reading forever.
func TestDialEndlessInterimResponses(t *testing.T) {
	for _, limit := range []int{4 << 10, 0} {
		t.Run(fmt.Sprintf("MaxHeaderBytes %d", limit), func(t *testing.T) {
			ended := make(chan error, 1)
			srv := rawListen(t, func(nc net.Conn) {
				if _, err := http.ReadRequest(bufio.NewReader(nc)); err != nil {
					ended <- err
					return
				}
				var err error
				for err == nil {
					_, err = io.WriteString(nc, "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n")
				}
				ended <- err
			})
			c, _, err := dialTestDial(t, context.Background(), "ws://"+srv.addr+"/", &DialOptions{MaxHeaderBytes: limit})
			if c != nil || !errors.Is(err, ErrHeaderTooLarge) {
				t.Fatalf("Dial = %v, %v; want ErrHeaderTooLarge", c, err)
			}
			dialTestCheckClientClosed(t, await(t, ended, "the end of the server's writes"))
		})
	}
}

// TestDialContextBoundsHandshake checks that ctx bounds the whole opening
// handshake, as Dial documents, at each stage where a peer can stall it:
// the server not answering the HTTP request, the server not answering the
// TLS handshake, and a proxy not answering CONNECT. A timeout gives an
// error matching context.DeadlineExceeded, a cancellation one matching
// context.Canceled, and either way the connection is closed (RFC 6455
// section 4.1 item 4: the client MUST fail the connection).
func TestDialContextBoundsHandshake(t *testing.T) {
	// silentServer reads and never answers; it reports once it has read
	// something and how reading ended.
	silentServer := func(t *testing.T) (addr string, started <-chan struct{}, ended <-chan error) {
		st := make(chan struct{}, 1)
		en := make(chan error, 16)
		srv := rawListen(t, func(nc net.Conn) {
			var b [1]byte
			_, err := nc.Read(b[:])
			if err == nil {
				select {
				case st <- struct{}{}:
				default:
				}
				_, err = io.Copy(io.Discard, nc)
			}
			select {
			case en <- err:
			default:
			}
		})
		return srv.addr, st, en
	}
	stages := []struct {
		name  string
		start func(t *testing.T) (url string, opts *DialOptions, started <-chan struct{}, ended <-chan error)
	}{
		{name: "server never answers the HTTP request", start: func(t *testing.T) (string, *DialOptions, <-chan struct{}, <-chan error) {
			addr, st, en := silentServer(t)
			return "ws://" + addr + "/", nil, st, en
		}},
		{name: "server never answers the TLS handshake", start: func(t *testing.T) (string, *DialOptions, <-chan struct{}, <-chan error) {
			addr, st, en := silentServer(t)
			return "wss://" + addr + "/", nil, st, en
		}},
		{name: "proxy never answers CONNECT", start: func(t *testing.T) (string, *DialOptions, <-chan struct{}, <-chan error) {
			p := dialTestStartProxy(t, dialTestProxyConfig{silent: true})
			return "ws://127.0.0.1:1/", &DialOptions{Proxy: http.ProxyURL(p.url)}, p.got, p.ended
		}},
	}
	for _, st := range stages {
		t.Run(st.name+"/deadline", func(t *testing.T) {
			url, opts, _, ended := st.start(t)
			// The context's deadline may also be set on the socket, where
			// it expires at the same instant as the context's own timer; a
			// few attempts let a race between the two show.
			const attempts = 10
			for i := 0; i < attempts; i++ {
				ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
				c, _, err := dialTestDial(t, ctx, url, opts)
				cancel()
				if c != nil || err == nil {
					t.Fatalf("attempt %d: Dial = %v, %v; want an error", i+1, c, err)
				}
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("attempt %d: Dial error %q does not match context.DeadlineExceeded", i+1, err)
				}
				dialTestCheckClientClosed(t, await(t, ended, fmt.Sprintf("attempt %d: the end of the connection, seen by the peer", i+1)))
			}
		})
		t.Run(st.name+"/cancel", func(t *testing.T) {
			url, opts, started, ended := st.start(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go func() {
				select {
				case <-started:
				case <-time.After(peerTimeout):
				}
				cancel()
			}()
			c, _, err := dialTestDial(t, ctx, url, opts)
			if c != nil || err == nil {
				t.Fatalf("Dial = %v, %v; want an error", c, err)
			}
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Dial error %q does not match context.Canceled", err)
			}
			dialTestCheckClientClosed(t, await(t, ended, "the end of the connection, seen by the peer"))
		})
	}
}

// TestDialURLSchemes dials each accepted URL form end to end: ws and http
// to a plain server, wss and https to a TLS server (RFC 6455 section 3; the
// scheme is case-insensitive), and checks the resource name the server got.
func TestDialURLSchemes(t *testing.T) {
	paths := make(chan string, 16)
	record := func(w http.ResponseWriter, r *http.Request) { paths <- r.URL.RequestURI() }
	plain := hsStart(t, hsServerConfig{before: record, serve: echoServe})
	secure := hsStart(t, hsServerConfig{tls: true, before: record, serve: echoServe})
	pool := x509.NewCertPool()
	pool.AddCert(secure.srv.Certificate())
	tests := []struct {
		url    string
		secure bool
	}{
		{url: "ws://" + plain.addr() + "/s/ws?x=1"},
		{url: "http://" + plain.addr() + "/s/http?x=2"},
		{url: "WS://" + plain.addr() + "/s/WS"},
		{url: "wss://" + secure.addr() + "/s/wss?x=3", secure: true},
		{url: "https://" + secure.addr() + "/s/https?x=4", secure: true},
		{url: "WSS://" + secure.addr() + "/s/WSS", secure: true},
	}
	for _, tc := range tests {
		t.Run(tc.url, func(t *testing.T) {
			c, _ := hsDial(t, tc.url, &DialOptions{TLSConfig: &tls.Config{RootCAs: pool}})
			_, isTLS := c.NetConn().(*tls.Conn)
			if isTLS != tc.secure {
				t.Errorf("connection over TLS = %v, want %v", isTLS, tc.secure)
			}
			u, _ := url.Parse(tc.url)
			if got := await(t, paths, "the server's request"); got != u.RequestURI() {
				t.Errorf("server got resource %q, want %q", got, u.RequestURI())
			}
			hsEchoRoundTrip(t, c, MessageText, tc.url)
		})
	}
}

// TestDialRejectsBadURLs checks that Dial refuses, without opening any
// connection, URLs that are not ws or wss URIs (RFC 6455 section 3; section
// 4.1 item 1: if the URI is invalid the client MUST fail): other schemes,
// no host, and fragments ("Fragment identifiers ... MUST NOT be used on
// these URIs"; the ws-URI grammar has no "#" at all).
func TestDialRejectsBadURLs(t *testing.T) {
	tests := []string{
		"ftp://127.0.0.1/",
		"file:///tmp/socket",
		"socks5://127.0.0.1:1080/",
		"//127.0.0.1/path",
		"127.0.0.1:80/path",
		"ws:///path",
		"ws://",
		"wss://?x=1",
		"ws:opaque",
		"ws://[::1",
		"ws://127.0.0.1/path#fragment",
		"wss://127.0.0.1/#f",
		"ws://127.0.0.1/path#",
	}
	for _, rawURL := range tests {
		t.Run(rawURL, func(t *testing.T) {
			dialled := false
			opts := &DialOptions{
				NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
					dialled = true
					return nil, errors.New("dialtest: no dialling expected")
				},
				Proxy: noProxy,
			}
			ctx, cancel := context.WithTimeout(context.Background(), peerTimeout)
			defer cancel()
			c, resp, err := dialTestDial(t, ctx, rawURL, opts)
			if err == nil {
				t.Fatalf("Dial(%q) succeeded", rawURL)
			}
			if c != nil || resp != nil {
				t.Errorf("Dial(%q) returned a Conn or response with error %v", rawURL, err)
			}
			if dialled {
				t.Errorf("Dial(%q) opened a connection before refusing the URL (%v)", rawURL, err)
			}
		})
	}
}

// dialTestPipeDialer returns a NetDialContext that records the addresses
// it is asked for and, instead of dialling, serves the handshake itself on
// a net.Pipe, reporting the requests. No packet leaves the process.
func dialTestPipeDialer(t testing.TB) (dial func(context.Context, string, string) (net.Conn, error), addrs <-chan string, reqs <-chan *http.Request) {
	addrc := make(chan string, 8)
	reqc := make(chan *http.Request, 8)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var ends []net.Conn
	t.Cleanup(func() {
		mu.Lock()
		for _, c := range ends {
			c.Close()
		}
		mu.Unlock()
		awaitGroup(t, &wg, "pipe servers")
	})
	dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
		addrc <- addr
		client, server := net.Pipe()
		mu.Lock()
		ends = append(ends, client, server)
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer server.Close()
			server.SetDeadline(time.Now().Add(peerTimeout))
			br := bufio.NewReader(server)
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			reqc <- req
			io.WriteString(server, dialTestResponse(dialTestOK)(req.Header.Get("Sec-WebSocket-Key")))
			io.Copy(io.Discard, br)
		}()
		return client, nil
	}
	return dial, addrc, reqc
}

// TestDialDefaultPortsAndHost checks the address dialled for URLs with and
// without a port (RFC 6455 section 3: the default port is 80 for ws and
// 443 for wss) and the Host header sent (section 4.1 item 4: /host/, plus
// ":" /port/ when not the default port).
func TestDialDefaultPortsAndHost(t *testing.T) {
	tests := []struct {
		url      string
		wantAddr string
		wantHost string // empty for wss, whose handshake is not completed here
	}{
		{url: "ws://example.com/chat", wantAddr: "example.com:80", wantHost: "example.com"},
		{url: "http://example.com/chat", wantAddr: "example.com:80", wantHost: "example.com"},
		{url: "ws://example.com:8080/chat", wantAddr: "example.com:8080", wantHost: "example.com:8080"},
		{url: "ws://[::1]/chat", wantAddr: "[::1]:80", wantHost: "[::1]"},
		{url: "wss://example.com/chat", wantAddr: "example.com:443"},
		{url: "https://example.com/chat", wantAddr: "example.com:443"},
		{url: "wss://example.com:8443/chat", wantAddr: "example.com:8443"},
	}
	for _, tc := range tests {
		t.Run(tc.url, func(t *testing.T) {
			dial, addrs, reqs := dialTestPipeDialer(t)
			opts := &DialOptions{NetDialContext: dial, Proxy: noProxy}
			if tc.wantHost == "" {
				// Stop after the dial: the pipe does not speak TLS.
				opts.NetDialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
					dial(ctx, network, addr)
					return nil, errors.New("dialtest: stop after recording the address")
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), peerTimeout)
			defer cancel()
			c, _, err := dialTestDial(t, ctx, tc.url, opts)
			select {
			case addr := <-addrs:
				if addr != tc.wantAddr {
					t.Errorf("dialled %q, want %q", addr, tc.wantAddr)
				}
			default:
				t.Fatalf("NetDialContext was not called (Dial error: %v)", err)
			}
			if tc.wantHost == "" {
				if err == nil {
					t.Errorf("Dial succeeded though the dialler failed")
				}
				return
			}
			if err != nil {
				t.Fatalf("Dial: %v", err)
			}
			c.CloseNow()
			if req := await(t, reqs, "the request"); req.Host != tc.wantHost {
				t.Errorf("Host = %q, want %q", req.Host, tc.wantHost)
			}
		})
	}
}

// TestDialThroughProxy tunnels the connection through an HTTP or HTTPS
// proxy with CONNECT host:port (RFC 6455 section 4.1 item 3, including the
// Proxy-Authorization example) and echoes messages through it; ws and wss
// targets, with and without credentials.
func TestDialThroughProxy(t *testing.T) {
	cert, pool := dialTestLocalhostCert(t)
	plain := hsStart(t, hsServerConfig{serve: echoServe})
	secure := hsStart(t, hsServerConfig{tls: true, serve: echoServe})
	tests := []struct {
		name       string
		proxyTLS   bool
		user, pass string
		target     *hsServer
	}{
		{name: "http proxy, ws target", target: plain},
		{name: "http proxy, wss target", target: secure},
		{name: "http proxy with credentials", user: "alice", pass: "s3cr3t:with colon@", target: plain},
		{name: "https proxy, ws target", proxyTLS: true, target: plain},
		{name: "https proxy, wss target", proxyTLS: true, target: secure},
		{name: "https proxy with credentials", proxyTLS: true, user: "bob", pass: "pw", target: secure},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := dialTestProxyConfig{user: tc.user, pass: tc.pass}
			if tc.proxyTLS {
				cfg.tls = &tls.Config{Certificates: []tls.Certificate{cert}}
			}
			p := dialTestStartProxy(t, cfg)
			var proxied []string
			opts := &DialOptions{
				TLSConfig: &tls.Config{RootCAs: pool},
				Proxy: func(r *http.Request) (*url.URL, error) {
					proxied = append(proxied, r.URL.String())
					return p.url, nil
				},
			}
			c, _ := hsDial(t, tc.target.url("/ws"), opts)
			hsEchoRoundTrip(t, c, MessageText, "through the proxy")
			hsEchoRoundTrip(t, c, MessageBinary, strings.Repeat("\x01", 100000))
			if res := tc.target.result(t); res.err != nil {
				t.Errorf("Accept: %v", res.err)
			}
			if len(proxied) != 1 {
				t.Errorf("Proxy func called %d times, want 1", len(proxied))
			}

			requests, hosts, auths := p.seen()
			if want := []string{"CONNECT " + tc.target.addr()}; !slices.Equal(requests, want) {
				t.Errorf("proxy saw %q, want %q", requests, want)
			}
			if want := []string{tc.target.addr()}; !slices.Equal(hosts, want) {
				t.Errorf("proxy saw Host %q, want %q", hosts, want)
			}
			wantAuth := ""
			if tc.user != "" {
				wantAuth = "Basic " + base64.StdEncoding.EncodeToString([]byte(tc.user+":"+tc.pass))
			}
			if want := []string{wantAuth}; !slices.Equal(auths, want) {
				t.Errorf("proxy saw Proxy-Authorization %q, want %q", auths, want)
			}
		})
	}
}

// TestDialProxyFailures checks that Dial fails (RFC 6455 section 4.1 item
// 4: "If the connection could not be opened, ... because any proxy used
// returned an error, the client MUST Fail") when the proxy refuses the
// tunnel, when its certificate is not trusted, when the Proxy func fails,
// and when the proxy scheme is unsupported; and that no handshake then
// reaches the server.
func TestDialProxyFailures(t *testing.T) {
	cert, pool := dialTestLocalhostCert(t)
	target := hsStart(t, hsServerConfig{serve: echoServe})
	closedAddr := func() string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		return addr
	}()
	errProxyFunc := errors.New("dialtest: proxy func failed")
	tests := []struct {
		name     string
		cfg      dialTestProxyConfig
		proxyURL func(p *dialTestProxy) *url.URL
		proxyErr error
		tls      *tls.Config
		connects bool // the proxy reads a CONNECT
	}{
		{name: "407 refusal", cfg: dialTestProxyConfig{refuse: true}, connects: true},
		{name: "missing credentials", cfg: dialTestProxyConfig{user: "alice", pass: "pw"}, connects: true,
			proxyURL: func(p *dialTestProxy) *url.URL { u := *p.url; u.User = nil; return &u }},
		{name: "wrong credentials", cfg: dialTestProxyConfig{user: "alice", pass: "pw"}, connects: true,
			proxyURL: func(p *dialTestProxy) *url.URL { u := *p.url; u.User = url.UserPassword("alice", "wrong"); return &u }},
		{name: "502 when the target is unreachable", cfg: dialTestProxyConfig{route: map[string]string{target.addr(): closedAddr}}, connects: true},
		{name: "https proxy with an untrusted certificate", cfg: dialTestProxyConfig{tls: &tls.Config{Certificates: []tls.Certificate{cert}}}, tls: &tls.Config{}},
		{name: "Proxy func error", proxyErr: errProxyFunc},
		{name: "unsupported proxy scheme", proxyURL: func(p *dialTestProxy) *url.URL { return &url.URL{Scheme: "ftp", Host: p.srv.addr} }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := dialTestStartProxy(t, tc.cfg)
			proxyURL := p.url
			if tc.proxyURL != nil {
				proxyURL = tc.proxyURL(p)
			}
			tlsConfig := &tls.Config{RootCAs: pool}
			if tc.tls != nil {
				tlsConfig = tc.tls
			}
			opts := &DialOptions{
				TLSConfig: tlsConfig,
				Proxy: func(*http.Request) (*url.URL, error) {
					if tc.proxyErr != nil {
						return nil, tc.proxyErr
					}
					return proxyURL, nil
				},
			}
			ctx, cancel := context.WithTimeout(context.Background(), peerTimeout)
			defer cancel()
			c, _, err := dialTestDial(t, ctx, target.url("/ws"), opts)
			if err == nil {
				t.Fatalf("Dial succeeded")
			}
			if c != nil {
				t.Errorf("Dial returned a Conn with error %v", err)
			}
			if tc.proxyErr != nil && !errors.Is(err, tc.proxyErr) {
				t.Errorf("Dial error %v does not wrap the Proxy func's error", err)
			}
			requests, _, _ := p.seen()
			if tc.connects && len(requests) != 1 {
				t.Errorf("proxy saw %q, want one CONNECT", requests)
			}
			if !tc.connects && len(requests) != 0 {
				t.Errorf("proxy saw %q, want nothing", requests)
			}
			select {
			case res := <-target.results:
				t.Errorf("the target server got a handshake (Accept: %v)", res.err)
			default:
			}
		})
	}
}

// TestDialProxyFuncGetsHTTPSchemeRequest checks the request given to
// DialOptions.Proxy: "as http.Transport's Proxy does", it has the http
// scheme for ws and https for wss (so http.ProxyFromEnvironment picks
// HTTP_PROXY or HTTPS_PROXY; RFC 6455 section 4.1 item 3 suggests the
// HTTPS proxy for secure connections), and the target host.
func TestDialProxyFuncGetsHTTPSchemeRequest(t *testing.T) {
	stop := errors.New("dialtest: stop in Proxy")
	tests := []struct {
		url        string
		wantScheme string
		wantHost   string
	}{
		{url: "ws://example.com:8080/chat?x=1", wantScheme: "http", wantHost: "example.com:8080"},
		{url: "wss://example.com:8443/chat", wantScheme: "https", wantHost: "example.com:8443"},
		{url: "https://example.com/", wantScheme: "https", wantHost: "example.com"},
	}
	for _, tc := range tests {
		t.Run(tc.url, func(t *testing.T) {
			var got *http.Request
			opts := &DialOptions{
				Proxy: func(r *http.Request) (*url.URL, error) {
					got = r
					return nil, stop
				},
				NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
					t.Errorf("dialled %s though the Proxy func failed", addr)
					return nil, errors.New("dialtest: unexpected dial")
				},
			}
			ctx, cancel := context.WithTimeout(context.Background(), peerTimeout)
			defer cancel()
			_, _, err := dialTestDial(t, ctx, tc.url, opts)
			if !errors.Is(err, stop) {
				t.Errorf("Dial error %v does not wrap the Proxy func's error", err)
			}
			if got == nil {
				t.Fatal("the Proxy func was not called")
			}
			if got.URL.Scheme != tc.wantScheme || got.URL.Host != tc.wantHost {
				t.Errorf("Proxy func got URL %q, want scheme %q host %q", got.URL, tc.wantScheme, tc.wantHost)
			}
		})
	}
}

// TestDialUsesNetDialContext checks that DialOptions.NetDialContext makes
// the TCP connection, to the server or to the proxy if there is one, with
// the context given to Dial, and that its error fails Dial.
func TestDialUsesNetDialContext(t *testing.T) {
	target := hsStart(t, hsServerConfig{serve: echoServe})
	type call struct {
		network, addr string
		hasDeadline   bool
	}
	counting := func(calls *[]call) func(context.Context, string, string) (net.Conn, error) {
		return func(ctx context.Context, network, addr string) (net.Conn, error) {
			_, ok := ctx.Deadline()
			*calls = append(*calls, call{network, addr, ok})
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		}
	}

	t.Run("direct", func(t *testing.T) {
		var calls []call
		c, _ := hsDial(t, target.url("/ws"), &DialOptions{
			NetDialContext: counting(&calls),
			Proxy:          noProxy, // dial directly
		})
		hsEchoRoundTrip(t, c, MessageText, "custom dialer")
		if want := []call{{"tcp", target.addr(), true}}; !slices.Equal(calls, want) {
			t.Errorf("NetDialContext calls = %+v, want %+v", calls, want)
		}
	})

	t.Run("through a proxy", func(t *testing.T) {
		p := dialTestStartProxy(t, dialTestProxyConfig{})
		var calls []call
		c, _ := hsDial(t, target.url("/ws"), &DialOptions{
			NetDialContext: counting(&calls),
			Proxy:          http.ProxyURL(p.url),
		})
		hsEchoRoundTrip(t, c, MessageText, "custom dialer via proxy")
		if want := []call{{"tcp", p.srv.addr, true}}; !slices.Equal(calls, want) {
			t.Errorf("NetDialContext calls = %+v, want %+v", calls, want)
		}
	})

	t.Run("dialer error", func(t *testing.T) {
		errDial := errors.New("dialtest: dial refused")
		calls := 0
		ctx, cancel := context.WithTimeout(context.Background(), peerTimeout)
		defer cancel()
		_, _, err := dialTestDial(t, ctx, target.url("/ws"), &DialOptions{
			NetDialContext: func(context.Context, string, string) (net.Conn, error) {
				calls++
				return nil, errDial
			},
			Proxy: noProxy,
		})
		if !errors.Is(err, errDial) {
			t.Errorf("Dial error %v does not wrap the dialer's error", err)
		}
		if calls != 1 {
			t.Errorf("NetDialContext called %d times, want 1", calls)
		}
	})
}

// TestDialWSSVerifiesCertificateAndSendsSNI checks the TLS handshake of a
// wss connection (RFC 6455 section 4.1 item 5): the client sends the host
// in the Server Name Indication extension ("Clients MUST use the Server
// Name Indication extension"), and fails when the certificate cannot be
// verified, whether untrusted or for another name. DialOptions.TLSConfig's
// ServerName, when set, takes the URL host's place.
func TestDialWSSVerifiesCertificateAndSendsSNI(t *testing.T) {
	sni := make(chan string, 16)
	s := hsNewServerState()
	srv := httptest.NewUnstartedServer(s.handler(t, hsServerConfig{serve: echoServe}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes are expected
	srv.TLS = &tls.Config{GetConfigForClient: func(hi *tls.ClientHelloInfo) (*tls.Config, error) {
		sni <- hi.ServerName
		return nil, nil
	}}
	srv.StartTLS()
	t.Cleanup(func() {
		srv.Close()
		awaitGroup(t, &s.wg, "server handlers")
	})
	addr := srv.Listener.Addr().String()
	_, port, _ := net.SplitHostPort(addr)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	// Every name resolves to the test server.
	mapDial := func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}

	tests := []struct {
		name    string
		url     string
		tls     *tls.Config
		ok      bool
		wantSNI string
	}{
		{name: "host name in certificate", url: "wss://example.com:" + port + "/ws", tls: &tls.Config{RootCAs: pool}, ok: true, wantSNI: "example.com"},
		{name: "explicit ServerName", url: "wss://127.0.0.1:" + port + "/ws", tls: &tls.Config{RootCAs: pool, ServerName: "example.com"}, ok: true, wantSNI: "example.com"},
		{name: "untrusted certificate", url: "wss://example.com:" + port + "/ws", tls: nil, ok: false, wantSNI: "example.com"},
		{name: "certificate for another name", url: "wss://other.test:" + port + "/ws", tls: &tls.Config{RootCAs: pool}, ok: false, wantSNI: "other.test"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), peerTimeout)
			defer cancel()
			c, _, err := dialTestDial(t, ctx, tc.url, &DialOptions{TLSConfig: tc.tls, NetDialContext: mapDial, Proxy: noProxy})
			if got := await(t, sni, "the server's ClientHello"); got != tc.wantSNI {
				t.Errorf("SNI = %q, want %q", got, tc.wantSNI)
			}
			if !tc.ok {
				if err == nil {
					t.Fatalf("Dial succeeded")
				}
				select {
				case res := <-s.results:
					t.Errorf("the server got a handshake (Accept: %v)", res.err)
				default:
				}
				return
			}
			if err != nil {
				t.Fatalf("Dial: %v", err)
			}
			hsEchoRoundTrip(t, c, MessageText, "over TLS")
			if res := s.result(t); res.err != nil {
				t.Errorf("Accept: %v", res.err)
			}
		})
	}
}

// TestDialRejectsInvalidSubprotocolsAndHost checks that Dial does not send
// a malformed handshake: RFC 6455 section 4.1 item 1 (the handshake MUST
// be a valid HTTP request) and item 10 (subprotocols MUST be non-empty
// tokens, characters U+0021 to U+007E without separators, and MUST all be
// unique). Above all, a CR LF in a subprotocol or Host must not inject a
// header line. Dial must return an error for these options.
func TestDialRejectsInvalidSubprotocolsAndHost(t *testing.T) {
	tests := []struct {
		name  string
		subs  []string
		host  string
		check string // a header the server must not receive
	}{
		{name: "CR LF in subprotocol", subs: []string{"chat\r\nX-Injected: yes"}, check: "X-Injected"},
		{name: "CR LF in Host override", host: "a.example\r\nX-Injected: yes", check: "X-Injected"},
		{name: "empty subprotocol", subs: []string{""}},
		{name: "space in subprotocol", subs: []string{"two words"}},
		{name: "comma in subprotocol", subs: []string{"a,b"}},
		{name: "non-ASCII subprotocol", subs: []string{"caf\u00e9"}},
		{name: "duplicate subprotocols", subs: []string{"a", "a"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, seen := dialTestHandshakeServer(t, dialTestResponse(dialTestOK))
			opts := &DialOptions{Subprotocols: tc.subs}
			if tc.host != "" {
				opts.Header = http.Header{"Host": {tc.host}}
			}
			ctx, cancel := context.WithTimeout(context.Background(), peerTimeout)
			defer cancel()
			c, _, err := dialTestDial(t, ctx, "ws://"+srv.addr+"/", opts)
			if err != nil {
				return
			}
			c.CloseNow()
			s := dialTestRecv(t, seen)
			t.Errorf("Dial succeeded with Subprotocols %q, Host %q; the server received:\n%s", tc.subs, tc.host, s.head)
			if tc.check != "" && s.req != nil && s.req.Header.Get(tc.check) != "" {
				t.Errorf("header injected: the server got %s: %q", tc.check, s.req.Header.Get(tc.check))
			}
		})
	}
}

// TestDialDefaultProxyFromEnvironment checks that with DialOptions.Proxy
// nil, Dial takes its proxy from the environment, as its doc says:
// HTTP_PROXY for ws, HTTPS_PROXY for wss, none for hosts in NO_PROXY.
//
// http.ProxyFromEnvironment reads the environment once per process and
// never proxies loopback addresses, so the test runs in a fresh copy of
// the test binary, which sets the variables before anything reads them
// and dials names (not loopback addresses) that the test proxies route to
// local servers. The parent only runs the child and checks its verdict.
func TestDialDefaultProxyFromEnvironment(t *testing.T) {
	const childEnv = "WEBSOCKET_DIALTEST_PROXY_ENV_CHILD"
	if os.Getenv(childEnv) == "1" {
		dialTestProxyEnvChild(t)
		return
	}
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch strings.ToUpper(k) {
		case "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY", "REQUEST_METHOD", childEnv:
			continue
		}
		env = append(env, kv)
	}
	env = append(env, childEnv+"=1")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestDialDefaultProxyFromEnvironment$", "-test.count=1", "-test.v")
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child test failed: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "--- PASS: TestDialDefaultProxyFromEnvironment") {
		t.Fatalf("child test did not report a pass:\n%s", out)
	}
}

// dialTestProxyEnvChild is the child half of
// TestDialDefaultProxyFromEnvironment.
func dialTestProxyEnvChild(t *testing.T) {
	_, pool := dialTestLocalhostCert(t)
	plain := hsStart(t, hsServerConfig{serve: echoServe})
	secure := hsStart(t, hsServerConfig{tls: true, serve: echoServe})
	httpProxy := dialTestStartProxy(t, dialTestProxyConfig{route: map[string]string{"ws-env.test:80": plain.addr()}})
	httpsProxy := dialTestStartProxy(t, dialTestProxyConfig{route: map[string]string{"example.com:443": secure.addr()}})
	// Nothing in this process has consulted the environment yet.
	t.Setenv("HTTP_PROXY", httpProxy.url.String())
	t.Setenv("HTTPS_PROXY", httpsProxy.url.String())
	t.Setenv("NO_PROXY", "direct.test")

	// ws: through HTTP_PROXY, with entirely default options.
	c, _ := hsDial(t, "ws://ws-env.test/echo", nil)
	hsEchoRoundTrip(t, c, MessageText, "via HTTP_PROXY")
	if got, _, _ := httpProxy.seen(); !slices.Equal(got, []string{"CONNECT ws-env.test:80"}) {
		t.Errorf("HTTP_PROXY proxy saw %q, want [CONNECT ws-env.test:80]", got)
	}

	// wss: through HTTPS_PROXY.
	c, _ = hsDial(t, "wss://example.com/echo", &DialOptions{TLSConfig: &tls.Config{RootCAs: pool}})
	hsEchoRoundTrip(t, c, MessageText, "via HTTPS_PROXY")
	if got, _, _ := httpsProxy.seen(); !slices.Equal(got, []string{"CONNECT example.com:443"}) {
		t.Errorf("HTTPS_PROXY proxy saw %q, want [CONNECT example.com:443]", got)
	}

	// NO_PROXY: dialled directly (the dialer maps the name to the server).
	_, port, _ := net.SplitHostPort(plain.addr())
	var dialled []string
	c, _ = hsDial(t, "ws://direct.test:"+port+"/echo", &DialOptions{
		NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			dialled = append(dialled, addr)
			var d net.Dialer
			return d.DialContext(ctx, network, plain.addr())
		},
	})
	hsEchoRoundTrip(t, c, MessageText, "direct by NO_PROXY")
	if want := []string{"direct.test:" + port}; !slices.Equal(dialled, want) {
		t.Errorf("dialled %q, want %q (directly, not the proxy)", dialled, want)
	}
	if got, _, _ := httpProxy.seen(); len(got) != 1 {
		t.Errorf("HTTP_PROXY proxy saw %q after the NO_PROXY dial, want only the first CONNECT", got)
	}
}
