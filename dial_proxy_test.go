package websocket

// Tests of Dial through HTTP CONNECT proxies (RFC 6455 section 4.1 item 3;
// RFC 9110 section 9.3.6), over http and https, with and without
// credentials, their failures, and the proxy taken from the environment.
// SOCKS5 and the other proxy options are in proxy_test.go.

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

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
