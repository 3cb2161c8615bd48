package websocket

// Tests of the handshake requests Accept takes and those it refuses (RFC
// 6455 section 4.2.1), with the status each refusal gets, and of its Origin
// policy (sections 4.2.2 item 4 and 10.2).

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
)

// TestAcceptRequestRules sends opening handshakes that follow or break each
// rule of RFC 6455 section 4.2.1 and checks the server's answer: a 101 as
// section 4.2.2 describes, or the refusal Accept documents (405, 400, 426)
// with the connection left to net/http, which then answers a second request
// on it.
func TestAcceptRequestRules(t *testing.T) {
	for _, tc := range hsRequestRuleCases() {
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

// hsRequestRuleCase is an opening handshake of TestAcceptRequestRules,
// made from the valid one, and the answer it must get.
type hsRequestRuleCase struct {
	name        string
	requestLine string   // "GET /ws HTTP/1.1" when empty
	drop        []string // headers removed from the valid handshake
	add         []string // header lines added to it
	status      int      // the expected status
	altStatus   int      // another acceptable status, when the RFC leaves the choice open
	header      map[string]string
	noHandler   bool // net/http refuses the request before the handler runs
	noReuse     bool // the server may close the connection after its answer
}

// hsRequestRuleCases are the handshakes of TestAcceptRequestRules.
func hsRequestRuleCases() []hsRequestRuleCase {
	key15 := base64.StdEncoding.EncodeToString(make([]byte, 15))
	key17 := base64.StdEncoding.EncodeToString(make([]byte, 17))
	return []hsRequestRuleCase{
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
