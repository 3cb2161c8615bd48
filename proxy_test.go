package websocket

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Tests of the client's proxies beyond the HTTP CONNECT ones of
// dial_proxy_test.go: SOCKS5 (RFC 1928, RFC 1929), extra CONNECT headers,
// and the choice of a proxy from the environment.

// socksTestProxy is a small SOCKS5 server running inside the test. It
// speaks RFC 1928's CONNECT command, with RFC 1929's username and password
// when user is set, and connects to route[target] (or target itself).
type socksTestProxy struct {
	srv        *rawServer
	user, pass string
	route      map[string]string

	mu      sync.Mutex
	targets []string // "host:port" of each CONNECT, as the client sent it
	atyps   []byte   // their address types
}

func socksTestStart(t *testing.T, user, pass string, route map[string]string) *socksTestProxy {
	t.Helper()
	p := &socksTestProxy{user: user, pass: pass, route: route}
	p.srv = rawListen(t, p.handle)
	return p
}

func (p *socksTestProxy) url() *url.URL {
	u := &url.URL{Scheme: "socks5", Host: p.srv.addr}
	if p.user != "" {
		u.User = url.UserPassword(p.user, p.pass)
	}
	return u
}

func (p *socksTestProxy) seen() ([]string, []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.targets), slices.Clone(p.atyps)
}

func (p *socksTestProxy) handle(nc net.Conn) {
	nc.SetDeadline(time.Now().Add(peerTimeout))
	var b [262]byte
	if _, err := io.ReadFull(nc, b[:2]); err != nil || b[0] != 5 {
		return
	}
	methods := b[2 : 2+b[1]]
	if _, err := io.ReadFull(nc, methods); err != nil {
		return
	}
	want := byte(0)
	if p.user != "" {
		want = 2
	}
	if !slices.Contains(methods, want) {
		nc.Write([]byte{5, 0xff})
		return
	}
	nc.Write([]byte{5, want})
	if want == 2 {
		// RFC 1929: version 1, username, password.
		if _, err := io.ReadFull(nc, b[:2]); err != nil || b[0] != 1 {
			return
		}
		name := make([]byte, b[1])
		io.ReadFull(nc, name)
		io.ReadFull(nc, b[:1])
		pass := make([]byte, b[0])
		if _, err := io.ReadFull(nc, pass); err != nil {
			return
		}
		if string(name) != p.user || string(pass) != p.pass {
			nc.Write([]byte{1, 1})
			return
		}
		nc.Write([]byte{1, 0})
	}
	if _, err := io.ReadFull(nc, b[:4]); err != nil || b[0] != 5 || b[1] != 1 {
		return
	}
	atyp := b[3]
	var host string
	switch atyp {
	case 1, 4:
		ip := make(net.IP, map[byte]int{1: 4, 4: 16}[atyp])
		io.ReadFull(nc, ip)
		host = ip.String()
	case 3:
		io.ReadFull(nc, b[:1])
		name := make([]byte, b[0])
		io.ReadFull(nc, name)
		host = string(name)
	default:
		nc.Write([]byte{5, 8, 0, 1, 0, 0, 0, 0, 0, 0})
		return
	}
	if _, err := io.ReadFull(nc, b[:2]); err != nil {
		return
	}
	target := net.JoinHostPort(host, strconv.Itoa(int(binary.BigEndian.Uint16(b[:2]))))
	p.mu.Lock()
	p.targets = append(p.targets, target)
	p.atyps = append(p.atyps, atyp)
	p.mu.Unlock()
	if r, ok := p.route[target]; ok {
		target = r
	}
	up, err := net.DialTimeout("tcp", target, peerTimeout)
	if err != nil {
		nc.Write([]byte{5, 5, 0, 1, 0, 0, 0, 0, 0, 0}) // connection refused
		return
	}
	if !p.srv.track(up) {
		return
	}
	defer up.Close()
	// Succeeded, bound to a name (type 3), to exercise the reply's longest form.
	reply := append([]byte{5, 0, 0, 3, 9}, "bound.test"[:9]...)
	nc.Write(append(reply, 0x1f, 0x90))
	nc.SetDeadline(time.Time{})
	up.SetDeadline(time.Now().Add(peerTimeout))
	go func() {
		io.Copy(up, nc)
		up.Close()
	}()
	io.Copy(nc, up)
}

// TestDialThroughSOCKS5 checks that Dial tunnels through a SOCKS5 proxy,
// sending host names for the proxy to resolve, with and without a username
// and password, to ws and wss targets.
func TestDialThroughSOCKS5(t *testing.T) {
	_, pool := dialTestLocalhostCert(t)
	plain := hsStart(t, hsServerConfig{serve: echoServe})
	secure := hsStart(t, hsServerConfig{tls: true, serve: echoServe})
	route := map[string]string{"ws-socks.test:80": plain.addr(), "example.com:443": secure.addr()}
	tests := []struct {
		name, url, target string
		user, pass        string
		atyp              byte
	}{
		{name: "no authentication, host name", url: "ws://ws-socks.test/echo", target: "ws-socks.test:80", atyp: 3},
		{name: "username and password", url: "ws://ws-socks.test/echo", target: "ws-socks.test:80", user: "carol", pass: "p:w@d", atyp: 3},
		{name: "IPv4 address", url: "ws://" + plain.addr() + "/echo", target: plain.addr(), atyp: 1},
		{name: "wss through the tunnel", url: "wss://example.com/echo", target: "example.com:443", user: "dan", pass: "x", atyp: 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := socksTestStart(t, tc.user, tc.pass, route)
			c, _ := hsDial(t, tc.url, &DialOptions{
				TLSConfig: &tls.Config{RootCAs: pool},
				Proxy:     func(*http.Request) (*url.URL, error) { return p.url(), nil },
			})
			hsEchoRoundTrip(t, c, MessageText, "through SOCKS5")
			hsEchoRoundTrip(t, c, MessageBinary, strings.Repeat("\x02", 70000))
			targets, atyps := p.seen()
			if !slices.Equal(targets, []string{tc.target}) || !slices.Equal(atyps, []byte{tc.atyp}) {
				t.Errorf("proxy saw CONNECT to %q with address types %v, want [%s] with [%d]", targets, atyps, tc.target, tc.atyp)
			}
		})
	}
}

// TestDialSOCKS5Failures checks that Dial fails with a clear error when the
// SOCKS5 proxy refuses the credentials, or cannot reach the target.
func TestDialSOCKS5Failures(t *testing.T) {
	plain := hsStart(t, hsServerConfig{serve: echoServe})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	tests := []struct {
		name       string
		proxyUser  string // what the proxy demands
		clientUser string // what the client sends
		route      string
		want       string
	}{
		{name: "wrong password", proxyUser: "erin", clientUser: "erin:wrong", route: plain.addr(), want: "refused the username and password"},
		{name: "credentials demanded, none given", proxyUser: "erin", route: plain.addr(), want: "no authentication method"},
		{name: "target refuses", route: closed, want: "connection refused"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := socksTestStart(t, tc.proxyUser, "right", map[string]string{"target.test:80": tc.route})
			u := &url.URL{Scheme: "socks5h", Host: p.srv.addr}
			if name, pass, ok := strings.Cut(tc.clientUser, ":"); ok {
				u.User = url.UserPassword(name, pass)
			}
			ctx, cancel := context.WithTimeout(context.Background(), peerTimeout)
			defer cancel()
			c, _, err := Dial(ctx, "ws://target.test/echo", &DialOptions{Proxy: http.ProxyURL(u)})
			if err == nil {
				c.CloseNow()
				t.Fatal("Dial succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Dial: %v, want an error saying %q", err, tc.want)
			}
		})
	}
}

// TestDialProxyConnectHeader checks that ProxyConnectHeader's headers go in
// the CONNECT request, and not in the handshake.
func TestDialProxyConnectHeader(t *testing.T) {
	seenByServer := make(chan string, 1)
	target := hsStart(t, hsServerConfig{serve: echoServe, before: func(w http.ResponseWriter, r *http.Request) {
		seenByServer <- r.Header.Get("X-Proxy-Token")
	}})
	p := dialTestStartProxy(t, dialTestProxyConfig{})
	c, _ := hsDial(t, target.url("/ws"), &DialOptions{
		Proxy:              http.ProxyURL(p.url),
		ProxyConnectHeader: http.Header{"X-Proxy-Token": {"t0k3n"}, "Host": {"ignored.test"}},
	})
	hsEchoRoundTrip(t, c, MessageText, "hello")
	p.mu.Lock()
	headers, hosts := p.headers, p.hosts
	p.mu.Unlock()
	if len(headers) != 1 || headers[0].Get("X-Proxy-Token") != "t0k3n" {
		t.Errorf("CONNECT headers %v, want X-Proxy-Token: t0k3n", headers)
	}
	if !slices.Equal(hosts, []string{target.addr()}) {
		t.Errorf("CONNECT Host %q, want %q", hosts, target.addr())
	}
	if got := <-seenByServer; got != "" {
		t.Errorf("the server's handshake request had X-Proxy-Token %q", got)
	}
}

// TestProxyFromEnvironment checks the choice of proxy from the environment:
// the variable for the scheme, ALL_PROXY as the fallback, NO_PROXY's forms,
// loopback hosts never proxied, and the values read afresh on each call.
func TestProxyFromEnvironment(t *testing.T) {
	for _, k := range []string{"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "REQUEST_METHOD"} {
		t.Setenv(k, "")
		t.Setenv(strings.ToLower(k), "")
	}
	type env map[string]string
	tests := []struct {
		env  env
		url  string // the request's URL, as Dial builds it
		want string // "" for none
	}{
		{env{"HTTP_PROXY": "http://h.proxy:3128"}, "http://a.test/", "http://h.proxy:3128"},
		{env{"HTTP_PROXY": "http://h.proxy:3128"}, "https://a.test/", ""},
		{env{"HTTPS_PROXY": "https://s.proxy"}, "https://a.test/", "https://s.proxy"},
		{env{"https_proxy": "s.proxy:8443"}, "https://a.test/", "http://s.proxy:8443"},
		{env{"ALL_PROXY": "socks5://k.proxy:1080"}, "https://a.test/", "socks5://k.proxy:1080"},
		{env{"all_proxy": "socks5h://k.proxy"}, "http://a.test/", "socks5h://k.proxy"},
		{env{"HTTP_PROXY": "http://h.proxy", "ALL_PROXY": "socks5://k.proxy"}, "http://a.test/", "http://h.proxy"},
		{env{"HTTP_PROXY": "http://h.proxy", "REQUEST_METHOD": "GET"}, "http://a.test/", ""},
		{env{"HTTP_PROXY": "http://h.proxy"}, "http://localhost:8080/", ""},
		{env{"HTTP_PROXY": "http://h.proxy"}, "http://127.0.0.1/", ""},
		{env{"HTTP_PROXY": "http://h.proxy"}, "http://[::1]:80/", ""},
		{env{"HTTP_PROXY": "http://h.proxy", "NO_PROXY": "*"}, "http://a.test/", ""},
		{env{"HTTP_PROXY": "http://h.proxy", "NO_PROXY": "a.test"}, "http://a.test/", ""},
		{env{"HTTP_PROXY": "http://h.proxy", "NO_PROXY": "a.test"}, "http://sub.a.test/", ""},
		{env{"HTTP_PROXY": "http://h.proxy", "NO_PROXY": "a.test"}, "http://ba.test/", "http://h.proxy"},
		{env{"HTTP_PROXY": "http://h.proxy", "NO_PROXY": ".a.test"}, "http://a.test/", "http://h.proxy"},
		{env{"HTTP_PROXY": "http://h.proxy", "NO_PROXY": ".a.test"}, "http://x.a.test/", ""},
		{env{"HTTP_PROXY": "http://h.proxy", "NO_PROXY": "a.test:8080"}, "http://a.test/", "http://h.proxy"},
		{env{"HTTP_PROXY": "http://h.proxy", "NO_PROXY": "a.test:8080"}, "http://a.test:8080/", ""},
		{env{"HTTP_PROXY": "http://h.proxy", "NO_PROXY": "10.0.0.0/8, b.test"}, "http://10.1.2.3/", ""},
		{env{"HTTP_PROXY": "http://h.proxy", "NO_PROXY": "10.0.0.0/8"}, "http://11.1.2.3/", "http://h.proxy"},
		{env{"HTTP_PROXY": "http://h.proxy", "NO_PROXY": "192.0.2.7"}, "http://192.0.2.7/", ""},
		{env{"ALL_PROXY": "socks5://k.proxy", "NO_PROXY": "a.test"}, "https://a.test/", ""},
	}
	for _, tc := range tests {
		for k, v := range tc.env {
			t.Setenv(k, v)
		}
		u, _ := url.Parse(tc.url)
		got, err := ProxyFromEnvironment(&http.Request{URL: u})
		gotStr := ""
		if got != nil {
			gotStr = got.String()
		}
		if err != nil || gotStr != tc.want {
			t.Errorf("env %v, request %s: proxy %q, %v; want %q", tc.env, tc.url, gotStr, err, tc.want)
		}
		for k := range tc.env {
			t.Setenv(k, "")
		}
	}
}

// TestDialDefaultProxyAllProxySOCKS checks that Dial with default options
// follows ALL_PROXY to a SOCKS5 proxy.
func TestDialDefaultProxyAllProxySOCKS(t *testing.T) {
	plain := hsStart(t, hsServerConfig{serve: echoServe})
	p := socksTestStart(t, "", "", map[string]string{"env-socks.test:80": plain.addr()})
	for _, k := range []string{"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "REQUEST_METHOD"} {
		t.Setenv(k, "")
		t.Setenv(strings.ToLower(k), "")
	}
	t.Setenv("ALL_PROXY", p.url().String())
	c, _ := hsDial(t, "ws://env-socks.test/echo", nil)
	hsEchoRoundTrip(t, c, MessageText, "via ALL_PROXY")
	if targets, _ := p.seen(); !slices.Equal(targets, []string{"env-socks.test:80"}) {
		t.Errorf("proxy saw %q", targets)
	}
}

// TestDialHandshakeLimits checks the client's handshake limits: a server
// that never answers fails Dial at HandshakeTimeout, even with a context
// that has no deadline, and one whose response header never ends fails it
// with ErrHeaderTooLarge once MaxHeaderBytes are read; both also through a
// proxy's CONNECT response.
func TestDialHandshakeLimits(t *testing.T) {
	silent := rawListen(t, func(nc net.Conn) {
		nc.SetDeadline(time.Now().Add(peerTimeout))
		io.Copy(io.Discard, nc)
	})
	endless := rawListen(t, func(nc net.Conn) {
		nc.SetDeadline(time.Now().Add(peerTimeout))
		go io.Copy(io.Discard, nc)
		io.WriteString(nc, "HTTP/1.1 101 Switching Protocols\r\n")
		line := "X-Filler: " + strings.Repeat("f", 1000) + "\r\n"
		for {
			if _, err := io.WriteString(nc, line); err != nil {
				return
			}
		}
	})
	tests := []struct {
		name    string
		url     string
		opts    DialOptions
		wantErr error
	}{
		{"server never answers", "ws://" + silent.addr + "/", DialOptions{HandshakeTimeout: 50 * time.Millisecond}, context.DeadlineExceeded},
		{"endless response header", "ws://" + endless.addr + "/", DialOptions{MaxHeaderBytes: 8 << 10}, ErrHeaderTooLarge},
		{"endless response header, default limit", "ws://" + endless.addr + "/", DialOptions{}, ErrHeaderTooLarge},
		{"proxy never answers", "ws://a.test/", DialOptions{HandshakeTimeout: 50 * time.Millisecond, Proxy: http.ProxyURL(&url.URL{Scheme: "http", Host: silent.addr})}, context.DeadlineExceeded},
		{"SOCKS5 proxy never answers", "ws://a.test/", DialOptions{HandshakeTimeout: 50 * time.Millisecond, Proxy: http.ProxyURL(&url.URL{Scheme: "socks5", Host: silent.addr})}, context.DeadlineExceeded},
		{"proxy's endless response header", "ws://a.test/", DialOptions{Proxy: http.ProxyURL(&url.URL{Scheme: "http", Host: endless.addr})}, ErrHeaderTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() {
				c, _, err := Dial(context.Background(), tc.url, &tc.opts)
				if c != nil {
					c.CloseNow()
				}
				done <- err
			}()
			select {
			case err := <-done:
				if !errors.Is(err, tc.wantErr) {
					t.Errorf("Dial: %v, want %v", err, tc.wantErr)
				}
			case <-time.After(peerTimeout):
				t.Fatal("Dial did not return")
			}
		})
	}
}
