package websocket

// Tests of Accept's side of an extended CONNECT (RFC 8441 sections 4 and
// 5): its Origin check, the requests it refuses, and http.Server timeouts,
// which must not end a WebSocket.

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

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
