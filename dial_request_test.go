package websocket

// Tests of the handshake request Dial writes (RFC 6455 section 4.1 items 1
// to 12): its request line, Host and handshake headers, a fresh key for each
// connection, the caller's headers, and the subprotocols and hosts it refuses
// to send.

import (
	"context"
	"encoding/base64"
	"net/http"
	"slices"
	"strings"
	"testing"
)

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
