package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/f30c7f75/websocket"
)

// TestMain runs the tests again with GODEBUG=http2xconnect=1 when it is
// not set: net/http's HTTP/2 server takes WebSockets only with it, and reads
// it from the environment at start-up.
func TestMain(m *testing.M) {
	if os.Getenv("CHAT_TEST_CHILD") == "" && !strings.Contains(os.Getenv("GODEBUG"), "http2xconnect=1") {
		godebug := "http2xconnect=1"
		if g := os.Getenv("GODEBUG"); g != "" {
			godebug = g + "," + godebug
		}
		cmd := exec.Command(os.Args[0], os.Args[1:]...)
		cmd.Env = append(os.Environ(), "GODEBUG="+godebug, "CHAT_TEST_CHILD=1")
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
		err := cmd.Run()
		var ee *exec.ExitError
		switch {
		case errors.As(err, &ee):
			os.Exit(ee.ExitCode())
		case err != nil:
			fmt.Fprintln(os.Stderr, "running the tests with GODEBUG=http2xconnect=1:", err)
			os.Exit(2)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

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
// dial over HTTP/2, and returns it with the protocols its WebSocket
// requests came over.
func startTLSNode(t *testing.T) (*node, func() []string) {
	t.Helper()
	srv := newServer(t, Options{})
	var mu sync.Mutex
	var protos []string
	hs := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/ws/") {
			mu.Lock()
			protos = append(protos, r.Proto)
			mu.Unlock()
		}
		srv.ServeHTTP(w, r)
	}))
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
		return append([]string(nil), protos...)
	}
}

func checkAllHTTP2(t *testing.T, protos []string, n int) {
	t.Helper()
	if len(protos) < n {
		t.Fatalf("%d WebSocket requests, want %d or more", len(protos), n)
	}
	for _, p := range protos {
		if p != "HTTP/2.0" {
			t.Fatalf("WebSocket requests came over %v, want HTTP/2.0 only", protos)
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
