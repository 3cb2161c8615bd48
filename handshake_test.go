package websocket

import (
	"context"
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Tests of the server side of the opening handshake (RFC 6455 section 4.2):
// Accept and AcceptKey. Most of them speak raw HTTP over a TCP connection
// to an httptest.Server whose handler calls Accept, so that every header of
// the request is under the test's control.

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

// TestAcceptRequestRules sends opening handshakes that follow or break each
// rule of RFC 6455 section 4.2.1 and checks the server's answer: a 101 as
// section 4.2.2 describes, or the refusal Accept documents (405, 400, 426)
// with the connection left to net/http, which then answers a second request
// on it.
func TestAcceptRequestRules(t *testing.T) {
	key15 := base64.StdEncoding.EncodeToString(make([]byte, 15))
	key17 := base64.StdEncoding.EncodeToString(make([]byte, 17))
	tests := []struct {
		name        string
		requestLine string   // "GET /ws HTTP/1.1" when empty
		drop        []string // headers removed from the valid handshake
		add         []string // header lines added to it
		status      int      // the expected status
		altStatus   int      // another acceptable status, when the RFC leaves the choice open
		header      map[string]string
		noHandler   bool // net/http refuses the request before the handler runs
		noReuse     bool // the server may close the connection after its answer
	}{
		// Section 4.2.1: requests to accept.
		{name: "valid handshake", status: 101},
		{name: "request URI with query", requestLine: "GET /ws?room=1&x=y HTTP/1.1", status: 101},
		{name: "Connection token list", drop: []string{"Connection"}, add: []string{"Connection: keep-alive, Upgrade"}, status: 101},
		{name: "Connection token list without spaces", drop: []string{"Connection"}, add: []string{"Connection: keep-alive,Upgrade"}, status: 101},
		{name: "Connection lower case", drop: []string{"Connection"}, add: []string{"Connection: upgrade"}, status: 101},
		{name: "Connection upper case", drop: []string{"Connection"}, add: []string{"Connection: UPGRADE"}, status: 101},
		{name: "Connection over two header lines", drop: []string{"Connection"}, add: []string{"Connection: keep-alive", "Connection: Upgrade"}, status: 101},
		{name: "Upgrade mixed case", drop: []string{"Upgrade"}, add: []string{"Upgrade: WebSocket"}, status: 101},
		{name: "Upgrade upper case", drop: []string{"Upgrade"}, add: []string{"Upgrade: WEBSOCKET"}, status: 101},
		{name: "Upgrade token list", drop: []string{"Upgrade"}, add: []string{"Upgrade: foo/2, websocket"}, status: 101},
		{name: "extensions offered", add: []string{"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits"}, status: 101},
		{name: "unknown headers ignored", add: []string{"X-Whatever: 1", "Cookie: a=b"}, status: 101},

		// Section 4.2.1 item 1: a GET request of HTTP/1.1 or later.
		{name: "method POST", requestLine: "POST /ws HTTP/1.1", add: []string{"Content-Length: 0"}, status: 405, header: map[string]string{"Allow": "GET"}},
		{name: "method PUT", requestLine: "PUT /ws HTTP/1.1", add: []string{"Content-Length: 0"}, status: 405, header: map[string]string{"Allow": "GET"}},
		{name: "method HEAD", requestLine: "HEAD /ws HTTP/1.1", status: 405, header: map[string]string{"Allow": "GET"}},
		{name: "HTTP/1.0", requestLine: "GET /ws HTTP/1.0", status: 400, noReuse: true},
		{name: "HTTP/1.0 keep-alive", requestLine: "GET /ws HTTP/1.0", drop: []string{"Connection"}, add: []string{"Connection: keep-alive, Upgrade"}, status: 400},
		// Item 2: a Host header (net/http enforces it before any handler).
		{name: "Host missing", drop: []string{"Host"}, status: 400, noHandler: true, noReuse: true},
		// Item 3: Upgrade contains "websocket".
		{name: "Upgrade missing", drop: []string{"Upgrade"}, status: 400},
		{name: "Upgrade h2c", drop: []string{"Upgrade"}, add: []string{"Upgrade: h2c"}, status: 400},
		{name: "Upgrade websockets", drop: []string{"Upgrade"}, add: []string{"Upgrade: websockets"}, status: 400},
		{name: "Upgrade empty", drop: []string{"Upgrade"}, add: []string{"Upgrade:"}, status: 400},
		// Item 4: Connection includes the token "Upgrade".
		{name: "Connection missing", drop: []string{"Connection"}, status: 400},
		{name: "Connection keep-alive only", drop: []string{"Connection"}, add: []string{"Connection: keep-alive"}, status: 400},
		{name: "Connection upgrades", drop: []string{"Connection"}, add: []string{"Connection: upgrades"}, status: 400},
		{name: "Connection upgrade inside another token", drop: []string{"Connection"}, add: []string{"Connection: keep-alive-upgrade"}, status: 400},
		// Item 5: exactly one Sec-WebSocket-Key, the base64 of 16 bytes
		// (section 11.3.1: it MUST NOT appear more than once).
		{name: "Key missing", drop: []string{"Sec-WebSocket-Key"}, status: 400},
		{name: "Key empty", drop: []string{"Sec-WebSocket-Key"}, add: []string{"Sec-WebSocket-Key:"}, status: 400},
		{name: "Key not base64", drop: []string{"Sec-WebSocket-Key"}, add: []string{"Sec-WebSocket-Key: not*base64*at*all!!!!!"}, status: 400},
		{name: "Key of 15 bytes", drop: []string{"Sec-WebSocket-Key"}, add: []string{"Sec-WebSocket-Key: " + key15}, status: 400},
		{name: "Key of 17 bytes", drop: []string{"Sec-WebSocket-Key"}, add: []string{"Sec-WebSocket-Key: " + key17}, status: 400},
		{name: "Key without padding", drop: []string{"Sec-WebSocket-Key"}, add: []string{"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ"}, status: 400},
		{name: "Key twice", add: []string{"Sec-WebSocket-Key: AQIDBAUGBwgJCgsMDQ4PEA=="}, status: 400},
		{name: "Key twice with the same value", add: []string{"Sec-WebSocket-Key: " + hsKey}, status: 400},
		// Item 6 and section 4.2.2 /version/: 13, else 426 naming 13.
		{name: "Version missing", drop: []string{"Sec-WebSocket-Version"}, status: 426, header: map[string]string{"Sec-WebSocket-Version": "13"}},
		{name: "Version 8", drop: []string{"Sec-WebSocket-Version"}, add: []string{"Sec-WebSocket-Version: 8"}, status: 426, header: map[string]string{"Sec-WebSocket-Version": "13"}},
		{name: "Version 12", drop: []string{"Sec-WebSocket-Version"}, add: []string{"Sec-WebSocket-Version: 12"}, status: 426, header: map[string]string{"Sec-WebSocket-Version": "13"}},
		{name: "Version 14", drop: []string{"Sec-WebSocket-Version"}, add: []string{"Sec-WebSocket-Version: 14"}, status: 426, header: map[string]string{"Sec-WebSocket-Version": "13"}},
		// Section 4.3: Sec-WebSocket-Version-Client = version, a single
		// number; a list violates the ABNF, which section 4.2.1 says the
		// server MUST refuse ("such as 400"; 426 also names the version).
		{name: "Version list 8, 13", drop: []string{"Sec-WebSocket-Version"}, add: []string{"Sec-WebSocket-Version: 8, 13"}, status: 400, altStatus: 426},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := hsStart(t, hsServerConfig{})
			requestLine := tc.requestLine
			if requestLine == "" {
				requestLine = "GET /ws HTTP/1.1"
			}
			method, _, _ := strings.Cut(requestLine, " ")
			lines := hsEditLines(hsHandshakeLines(s.addr()), tc.drop, tc.add)
			c := rawDial(t, s.addr())
			resp, body := c.roundTrip(method, hsRequestText(requestLine, lines))

			if tc.status == 101 {
				hsCheckAccepted(t, resp, hsKey)
				if got := resp.Header.Values("Sec-WebSocket-Extensions"); len(got) != 0 {
					// Section 4.2.2 /extensions/: the server implements
					// none, so it must not agree to any.
					t.Errorf("Sec-WebSocket-Extensions = %q, want none", got)
				}
				if got := resp.Header.Values("Sec-WebSocket-Protocol"); len(got) != 0 {
					t.Errorf("Sec-WebSocket-Protocol = %q, want none", got)
				}
				if res := s.result(t); res.err != nil {
					t.Errorf("Accept: %v", res.err)
				}
				return
			}

			if resp.StatusCode == http.StatusSwitchingProtocols {
				t.Fatalf("the server accepted the handshake (101), want a refusal with %d", tc.status)
			}
			if resp.StatusCode != tc.status && (tc.altStatus == 0 || resp.StatusCode != tc.altStatus) {
				t.Errorf("status = %s (body %q), want %d", resp.Status, body, tc.status)
			}
			for k, v := range tc.header {
				if got := resp.Header.Values(k); len(got) != 1 || got[0] != v {
					t.Errorf("%s = %q, want [%s]", k, got, v)
				}
			}
			if got := resp.Header.Get("Sec-WebSocket-Accept"); got != "" {
				t.Errorf("refusal carries Sec-WebSocket-Accept %q", got)
			}
			if tc.noHandler {
				select {
				case res := <-s.results:
					t.Errorf("the handler ran and Accept returned %v", res.err)
				default:
				}
			} else if res := s.result(t); res.err == nil {
				t.Errorf("Accept returned no error for a refused request")
			}
			if !tc.noReuse {
				hsCheckNotHijacked(t, c)
			}
		})
	}
}

// TestAcceptOriginCheck checks the Origin policy Accept documents (RFC 6455
// sections 4.2.2 item 4 /origin/ and 10.2): no Origin or one on the
// request's own host is accepted, OriginPatterns widen that,
// InsecureSkipOriginCheck accepts anything, and any other origin gets 403
// without the connection being taken over.
func TestAcceptOriginCheck(t *testing.T) {
	const host = "server.example:8080"
	tests := []struct {
		name   string
		opts   *AcceptOptions
		origin string // no Origin header when empty
		accept bool
	}{
		{name: "no Origin", accept: true},
		{name: "same host", origin: "http://server.example:8080", accept: true},
		{name: "same host over https", origin: "https://server.example:8080", accept: true},
		{name: "same host in upper case", origin: "http://SERVER.EXAMPLE:8080", accept: true},
		{name: "same name, other port", origin: "http://server.example:9090", accept: false},
		{name: "same name, no port", origin: "http://server.example", accept: false},
		{name: "other host", origin: "http://evil.example", accept: false},
		{name: "host as a prefix of the origin", origin: "http://server.example:8080.evil.example", accept: false},
		{name: "null origin", origin: "null", accept: false},
		{name: "malformed origin", origin: "::not a url", accept: false},

		{name: "subdomain pattern matches", opts: &AcceptOptions{OriginPatterns: []string{"*.example.com"}}, origin: "https://app.example.com", accept: true},
		{name: "subdomain pattern matches deeper name", opts: &AcceptOptions{OriginPatterns: []string{"*.example.com"}}, origin: "http://a.b.example.com", accept: true},
		{name: "subdomain pattern ignores case", opts: &AcceptOptions{OriginPatterns: []string{"*.Example.COM"}}, origin: "http://APP.example.com", accept: true},
		{name: "subdomain pattern refuses bare domain", opts: &AcceptOptions{OriginPatterns: []string{"*.example.com"}}, origin: "http://example.com", accept: false},
		{name: "subdomain pattern refuses lookalike", opts: &AcceptOptions{OriginPatterns: []string{"*.example.com"}}, origin: "http://evilexample.com", accept: false},
		{name: "subdomain pattern refuses suffix attack", opts: &AcceptOptions{OriginPatterns: []string{"*.example.com"}}, origin: "http://app.example.com.evil.net", accept: false},
		{name: "port pattern matches", opts: &AcceptOptions{OriginPatterns: []string{"localhost:*"}}, origin: "http://localhost:3000", accept: true},
		{name: "port pattern refuses no port", opts: &AcceptOptions{OriginPatterns: []string{"localhost:*"}}, origin: "http://localhost", accept: false},
		{name: "port pattern refuses other host", opts: &AcceptOptions{OriginPatterns: []string{"localhost:*"}}, origin: "http://localhost.evil.net:3000", accept: false},
		{name: "scheme pattern matches", opts: &AcceptOptions{OriginPatterns: []string{"https://*.example.com"}}, origin: "https://app.example.com", accept: true},
		{name: "scheme pattern refuses other scheme", opts: &AcceptOptions{OriginPatterns: []string{"https://*.example.com"}}, origin: "http://app.example.com", accept: false},
		{name: "second pattern matches", opts: &AcceptOptions{OriginPatterns: []string{"other.example", "*.example.com"}}, origin: "http://app.example.com", accept: true},
		{name: "null origin with patterns", opts: &AcceptOptions{OriginPatterns: []string{"*"}}, origin: "null", accept: false},

		{name: "skip check accepts other host", opts: &AcceptOptions{InsecureSkipOriginCheck: true}, origin: "http://evil.example", accept: true},
		{name: "skip check accepts null", opts: &AcceptOptions{InsecureSkipOriginCheck: true}, origin: "null", accept: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := hsStart(t, hsServerConfig{opts: tc.opts})
			lines := hsEditLines(hsHandshakeLines(host), nil, nil)
			if tc.origin != "" {
				lines = append(lines, "Origin: "+tc.origin)
			}
			c := rawDial(t, s.addr())
			resp, body := c.roundTrip(http.MethodGet, hsRequestText("GET /ws HTTP/1.1", lines))
			res := s.result(t)
			if tc.accept {
				hsCheckAccepted(t, resp, hsKey)
				if res.err != nil {
					t.Errorf("Accept: %v", res.err)
				}
				return
			}
			if resp.StatusCode != http.StatusForbidden {
				t.Fatalf("status = %s (body %q), want 403", resp.Status, body)
			}
			if res.err == nil {
				t.Errorf("Accept returned no error for a refused origin")
			}
			hsCheckNotHijacked(t, c)
		})
	}
}

// TestAcceptSubprotocolSelection checks the choice of subprotocol (RFC 6455
// section 4.2.2 /subprotocol/): the server's most preferred subprotocol
// among those the client offers, over any number of header lines; with
// none in common, no Sec-WebSocket-Protocol header at all.
func TestAcceptSubprotocolSelection(t *testing.T) {
	tests := []struct {
		name   string
		server []string
		client []string // Sec-WebSocket-Protocol header lines
		want   string
	}{
		{name: "server preference wins", server: []string{"b", "a"}, client: []string{"a, b"}, want: "b"},
		{name: "server preference wins, same order", server: []string{"a", "b"}, client: []string{"b, a"}, want: "a"},
		{name: "only common one", server: []string{"x", "chat.v2"}, client: []string{"chat.v1, chat.v2"}, want: "chat.v2"},
		{name: "offers on several lines", server: []string{"c", "a"}, client: []string{"a", "b, c"}, want: "c"},
		{name: "offers without spaces", server: []string{"b"}, client: []string{"a,b,c"}, want: "b"},
		{name: "none in common", server: []string{"x", "y"}, client: []string{"a, b"}, want: ""},
		{name: "server speaks none", server: nil, client: []string{"a"}, want: ""},
		{name: "client offers none", server: []string{"a"}, client: nil, want: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := hsStart(t, hsServerConfig{opts: &AcceptOptions{Subprotocols: tc.server}})
			lines := hsHandshakeLines(s.addr())
			for _, v := range tc.client {
				lines = append(lines, "Sec-WebSocket-Protocol: "+v)
			}
			c := rawDial(t, s.addr())
			resp, _ := c.roundTrip(http.MethodGet, hsRequestText("GET /ws HTTP/1.1", lines))
			hsCheckAccepted(t, resp, hsKey)
			got := resp.Header.Values("Sec-WebSocket-Protocol")
			if tc.want == "" {
				if len(got) != 0 {
					t.Errorf("Sec-WebSocket-Protocol = %q, want no such header", got)
				}
			} else if len(got) != 1 || got[0] != tc.want {
				t.Errorf("Sec-WebSocket-Protocol = %q, want [%s]", got, tc.want)
			}
			res := s.result(t)
			if res.err != nil {
				t.Fatalf("Accept: %v", res.err)
			}
			if res.subprotocol != tc.want {
				t.Errorf("server Conn.Subprotocol() = %q, want %q", res.subprotocol, tc.want)
			}
		})
	}

	t.Run("through Dial", func(t *testing.T) {
		s := hsStart(t, hsServerConfig{opts: &AcceptOptions{Subprotocols: []string{"v3", "v2"}}, serve: echoServe})
		c, resp := hsDial(t, s.url("/ws"), &DialOptions{Subprotocols: []string{"v1", "v2", "v3"}})
		if got := c.Subprotocol(); got != "v3" {
			t.Errorf("client Conn.Subprotocol() = %q, want v3", got)
		}
		if got := resp.Header.Get("Sec-WebSocket-Protocol"); got != "v3" {
			t.Errorf("response Sec-WebSocket-Protocol = %q, want v3", got)
		}
		if res := s.result(t); res.err != nil || res.subprotocol != "v3" {
			t.Errorf("server: subprotocol %q, err %v; want v3", res.subprotocol, res.err)
		}
		hsEchoRoundTrip(t, c, MessageText, "hi")
	})

	t.Run("through Dial, none in common", func(t *testing.T) {
		s := hsStart(t, hsServerConfig{opts: &AcceptOptions{Subprotocols: []string{"v9"}}, serve: echoServe})
		c, resp := hsDial(t, s.url("/ws"), &DialOptions{Subprotocols: []string{"v1"}})
		if got := c.Subprotocol(); got != "" {
			t.Errorf("client Conn.Subprotocol() = %q, want \"\"", got)
		}
		if got := resp.Header.Values("Sec-WebSocket-Protocol"); len(got) != 0 {
			t.Errorf("response Sec-WebSocket-Protocol = %q, want none", got)
		}
		if res := s.result(t); res.err != nil || res.subprotocol != "" {
			t.Errorf("server: subprotocol %q, err %v; want \"\"", res.subprotocol, res.err)
		}
		hsEchoRoundTrip(t, c, MessageText, "hi")
	})
}

// TestAcceptSendsExtraResponseHeaders checks that headers set on the
// ResponseWriter before Accept go out with the 101 response, as Accept
// documents (cookies are allowed there by RFC 6455 section 4.1), while
// attempts to set the handshake's own headers through it do not duplicate
// or replace them (section 4.2.2 item 5; section 11.3.3: Sec-WebSocket-Accept
// MUST NOT appear more than once).
func TestAcceptSendsExtraResponseHeaders(t *testing.T) {
	before := func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Set-Cookie", "session=abc123; Path=/")
		h.Add("X-Extra", "one")
		h.Add("X-Extra", "two")
		h.Set("Upgrade", "h2c")
		h.Set("Connection", "close")
		h.Set("Sec-WebSocket-Accept", "bogus")
		h["sec-websocket-accept"] = []string{"bogus-lower-case"} // not canonical
		h.Set("Sec-WebSocket-Extensions", "permessage-deflate")
	}
	check := func(t *testing.T, resp *http.Response, key string) {
		t.Helper()
		hsCheckAccepted(t, resp, key)
		if got := resp.Header.Values("Set-Cookie"); len(got) != 1 || got[0] != "session=abc123; Path=/" {
			t.Errorf("Set-Cookie = %q", got)
		}
		if got := resp.Header.Values("X-Extra"); !slices.Equal(got, []string{"one", "two"}) {
			t.Errorf("X-Extra = %q, want [one two]", got)
		}
		if got := resp.Header.Values("Sec-WebSocket-Extensions"); len(got) != 0 {
			t.Errorf("Sec-WebSocket-Extensions = %q, want none (none was negotiated)", got)
		}
	}

	t.Run("raw", func(t *testing.T) {
		s := hsStart(t, hsServerConfig{before: before})
		c := rawDial(t, s.addr())
		resp, _ := c.roundTrip(http.MethodGet, hsRequestText("GET /ws HTTP/1.1", hsHandshakeLines(s.addr())))
		check(t, resp, hsKey)
		if res := s.result(t); res.err != nil {
			t.Errorf("Accept: %v", res.err)
		}
	})

	t.Run("Dial", func(t *testing.T) {
		s := hsStart(t, hsServerConfig{before: before, serve: echoServe})
		c, resp := hsDial(t, s.url("/ws"), nil)
		if got := resp.Header.Get("Set-Cookie"); got != "session=abc123; Path=/" {
			t.Errorf("Set-Cookie seen by Dial = %q", got)
		}
		if got := resp.Header.Values("X-Extra"); !slices.Equal(got, []string{"one", "two"}) {
			t.Errorf("X-Extra seen by Dial = %q, want [one two]", got)
		}
		hsEchoRoundTrip(t, c, MessageBinary, "\x00\x01\x02")
	})
}

// TestAcceptOverTLS runs the handshake over httptest.NewTLSServer (RFC 6455
// section 4.2.2 item 1: all further communication runs through the TLS
// tunnel) and exchanges messages both ways, with wss and https URLs and
// with either way of trusting the test certificate.
func TestAcceptOverTLS(t *testing.T) {
	s := hsStart(t, hsServerConfig{tls: true, serve: hsGreetThenEcho})
	pool := x509.NewCertPool()
	pool.AddCert(s.srv.Certificate())
	clientTLS := s.srv.Client().Transport.(*http.Transport).TLSClientConfig
	tests := []struct {
		name string
		url  string
		cfg  *tls.Config
	}{
		{name: "wss URL, RootCAs from srv.Certificate", url: s.url("/ws"), cfg: &tls.Config{RootCAs: pool}},
		{name: "https URL, RootCAs from srv.Certificate", url: s.srv.URL + "/ws", cfg: &tls.Config{RootCAs: pool}},
		{name: "wss URL, the test client's TLS config", url: s.url("/ws"), cfg: clientTLS},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, resp := hsDial(t, tc.url, &DialOptions{TLSConfig: tc.cfg})
			if resp.StatusCode != http.StatusSwitchingProtocols {
				t.Errorf("status = %s", resp.Status)
			}
			if _, ok := c.NetConn().(*tls.Conn); !ok {
				t.Errorf("NetConn is %T, want *tls.Conn", c.NetConn())
			}
			hsExpectMessage(t, c, MessageText, "hello from server")
			hsEchoRoundTrip(t, c, MessageText, "hello from client")
			hsEchoRoundTrip(t, c, MessageBinary, strings.Repeat("\xff", 70000))
			if res := s.result(t); res.err != nil {
				t.Errorf("Accept: %v", res.err)
			}
		})
	}
}

// TestAcceptWithPlainHTTPServer runs Accept under an http.Server serving a
// net.Listener of its own, rather than httptest, and exchanges messages both
// ways.
func TestAcceptWithPlainHTTPServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := hsNewServerState()
	srv := &http.Server{Handler: s.handler(t, hsServerConfig{serve: hsGreetThenEcho})}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		srv.Close()
		select {
		case err := <-served:
			if !errors.Is(err, http.ErrServerClosed) {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(peerTimeout):
			t.Errorf("Serve did not return")
		}
		awaitGroup(t, &s.wg, "server handlers")
	})

	c, _ := hsDial(t, "ws://"+ln.Addr().String()+"/ws", nil)
	hsExpectMessage(t, c, MessageText, "hello from server")
	hsEchoRoundTrip(t, c, MessageText, "hello from client")
	if res := s.result(t); res.err != nil {
		t.Errorf("Accept: %v", res.err)
	}
	// The server must still speak HTTP to other clients.
	plain := rawDial(t, ln.Addr().String())
	hsCheckNotHijacked(t, plain)
}

// TestAcceptKeepsBytesSentWithTheRequest sends the opening handshake and
// two masked frames in a single write: the frames arrive in net/http's
// read buffer with the request, and the server must still read them as the
// first messages (RFC 6455 section 4.1: once the handshake is sent the
// client may send data as soon as the connection is established; section
// 5.3: client frames are masked). The server's reply must be unmasked
// (section 5.1).
func TestAcceptKeepsBytesSentWithTheRequest(t *testing.T) {
	got := make(chan string, 3)
	s := hsStart(t, hsServerConfig{serve: func(c *Conn) error {
		ctx, cancel := context.WithTimeout(context.Background(), peerTimeout)
		defer cancel()
		for i := 0; i < 2; i++ {
			typ, msg, err := c.ReadMessage(ctx, nil)
			if err != nil {
				got <- "error: " + err.Error()
				return err
			}
			got <- typ.String() + " " + string(msg)
		}
		return c.WriteMessage(ctx, MessageText, []byte("got both"))
	}})

	// Masked with keys of their own, as a client's frames are.
	masked := func(op Opcode, payload string, key [4]byte) []byte {
		return encodeFrame(Header{Fin: true, Opcode: op, Masked: true, Mask: key, Length: int64(len(payload))}, []byte(payload))
	}
	c := rawDial(t, s.addr())
	c.write(slices.Concat([]byte(hsRequestText("GET /ws HTTP/1.1", hsHandshakeLines(s.addr()))),
		masked(OpText, "early text", [4]byte{1, 2, 3, 4}),
		masked(OpBinary, "early\x00binary", [4]byte{0xa, 0xb, 0xc, 0xd})))
	resp := c.readResponse(http.MethodGet)
	hsCheckAccepted(t, resp, hsKey)
	if res := s.result(t); res.err != nil {
		t.Fatalf("Accept: %v", res.err)
	}
	for _, want := range []string{"text early text", "binary early\x00binary"} {
		if g := await(t, got, "the server's read of "+want); g != want {
			t.Errorf("server read %q, want %q", g, want)
		}
	}
	// An unmasked final text frame (readFrame checks the mask bit).
	c.expectFrame(true, OpText, []byte("got both"))
}
