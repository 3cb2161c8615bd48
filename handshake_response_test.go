package websocket

// Tests of what Accept's 101 response carries (RFC 6455 section 4.2.2): the
// subprotocol it selects, and the headers the handler set before it, which
// may not replace or repeat the handshake's own.

import (
	"net/http"
	"slices"
	"testing"
)

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
