package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/f30c7f75/websocket"
)

// testCertificate is a certificate with the base64 SHA-256 of its public
// key, which Chromium is told to trust.
type testCertificate struct {
	cert tls.Certificate
	spki string
}

// testCert is the certificate of the HTTPS nodes, made once.
var testCert = sync.OnceValue(func() testCertificate {
	cert, spki, err := selfSignedCert([]string{"127.0.0.1", "localhost"})
	if err != nil {
		panic(err)
	}
	return testCertificate{cert, spki}
})

// startTLSNode starts a chat server over HTTPS with HTTP/2, whose clients
// dial over HTTP/2, and returns it with what it logged of each WebSocket.
func startTLSNode(t *testing.T) (*node, func() []string) {
	t.Helper()
	var mu sync.Mutex
	var logged []string
	srv := newServer(t, Options{Logf: func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		logged = append(logged, fmt.Sprintf(format, args...))
	}})
	hs := httptest.NewUnstartedServer(srv)
	hs.EnableHTTP2 = true
	hs.TLS = &tls.Config{Certificates: []tls.Certificate{testCert().cert}}
	hs.StartTLS()
	pool := x509.NewCertPool()
	pool.AddCert(testCert().cert.Leaf)
	h2 := &websocket.HTTP2Transport{}
	n := &node{srv: srv, hs: hs, dial: &websocket.DialOptions{HTTP2: h2, TLSConfig: &tls.Config{RootCAs: pool}}}
	t.Cleanup(func() {
		n.close()
		h2.CloseIdleConnections()
	})
	return n, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), logged...)
	}
}

// checkAllHTTP2 checks that the server logged n WebSockets or more, each
// over HTTP/2.
func checkAllHTTP2(t *testing.T, logged []string, n int) {
	t.Helper()
	if len(logged) < n {
		t.Fatalf("%d WebSockets logged, want %d or more: %q", len(logged), n, logged)
	}
	for _, l := range logged {
		if !strings.Contains(l, " over HTTP/2.0") {
			t.Fatalf("a WebSocket came over something else than HTTP/2: %q", logged)
		}
	}
}

// TestConversationHTTP2 runs the room protocol with members connected over
// HTTP/2, all on one connection.
func TestConversationHTTP2(t *testing.T) {
	n, protos := startTLSNode(t)
	checkConversation(t, []*node{n})
	checkAllHTTP2(t, protos(), 3)
}

// TestBrowserChatHTTP2 runs the chat page in headless Chromium over HTTPS:
// the browser opens its WebSockets over HTTP/2.
func TestBrowserChatHTTP2(t *testing.T) {
	requirePeer(t, "chromium", "chromium-browser")
	n, protos := startTLSNode(t)
	browserConversation(t, []string{n.hs.URL}, "chat-h2.png")
	checkAllHTTP2(t, protos(), 3)
}
