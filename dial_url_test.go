package websocket

// Tests of where and how Dial connects: the URL schemes it takes and those
// it refuses (RFC 6455 section 3), default ports and the Host header,
// DialOptions.NetDialContext, and the TLS of wss (section 4.1 item 5:
// certificate checks and SNI).

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"
)

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
