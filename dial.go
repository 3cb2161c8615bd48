package websocket

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"time"
)

// DialOptions configures Dial. The zero value dials directly or through the
// proxy the environment names, with no subprotocol.
type DialOptions struct {
	// Header holds extra request headers, such as Origin, Cookie or
	// Authorization. A Host header here replaces the URL's host in the
	// request.
	Header http.Header

	// Subprotocols lists the subprotocols to offer, most preferred first.
	Subprotocols []string

	// TLSConfig configures TLS for wss URLs and https proxies. Nil means the
	// zero tls.Config; ServerName defaults to the host being dialled.
	TLSConfig *tls.Config

	// NetDialContext dials the TCP connection (to the proxy, if there is
	// one). Nil means a net.Dialer's DialContext.
	NetDialContext func(ctx context.Context, network, addr string) (net.Conn, error)

	// Compression, when non-nil, offers permessage-deflate (RFC 7692) with
	// these parameters; the server may decline it. Nil offers nothing.
	Compression *CompressionOptions

	// Proxy returns the proxy for a request, as http.Transport's Proxy does:
	// an http or https URL for a proxy that tunnels with CONNECT, or a
	// socks5 (or socks5h) URL, with credentials in the URL's user
	// information. The request's scheme is http for ws URLs and https for
	// wss. Nil means ProxyFromEnvironment; to dial directly, return a nil
	// URL.
	Proxy func(*http.Request) (*url.URL, error)

	// ProxyConnectHeader holds extra headers for CONNECT requests to an
	// HTTP proxy.
	ProxyConnectHeader http.Header

	// HandshakeTimeout bounds the opening handshake, from dialling to the
	// server's response, when ctx has no earlier deadline. Zero means
	// DefaultHandshakeTimeout.
	HandshakeTimeout time.Duration

	// MaxHeaderBytes bounds the size of the server's (and any proxy's)
	// response header, together with those of any interim (1xx) responses
	// the server sends before it; a larger one fails Dial with
	// ErrHeaderTooLarge. Zero means DefaultMaxHeaderBytes.
	MaxHeaderBytes int

	// HTTP2, when non-nil, opens the connection as a stream of an HTTP/2
	// connection held by HTTP2 (RFC 8441), falling back to HTTP/1.1 when
	// the server does not offer HTTP/2 or its extended CONNECT.
	HTTP2 *HTTP2Transport
}

// Defaults for the limits Dial applies.
const (
	DefaultHandshakeTimeout = 30 * time.Second
	DefaultMaxHeaderBytes   = 64 << 10
)

// A HandshakeError reports an opening handshake the server refused or
// answered wrongly. It carries the server's response.
type HandshakeError struct {
	Msg        string      // what was wrong
	StatusCode int         // the response's status code
	Header     http.Header // the response's headers
	Body       []byte      // the start of the response body, up to 1 KiB
}

func (e *HandshakeError) Error() string {
	return fmt.Sprintf("websocket: handshake failed: %s (status %d)", e.Msg, e.StatusCode)
}

// maxErrorBody is how much of a refusal's body a HandshakeError keeps, and
// errorBodyWait how long Dial waits for it.
const (
	maxErrorBody  = 1024
	errorBodyWait = 2 * time.Second
)

// Dial opens a WebSocket connection to rawURL, a ws:// or wss:// URL (http
// and https are taken as their equivalents). ctx bounds the whole opening
// handshake, including the TCP and TLS handshakes and any proxy, but not the
// connection once open.
//
// The response is returned whether or not the handshake succeeds; when the
// server refuses it, the error is a *HandshakeError and the response's Body
// holds the start of the server's body.
//
// In a web page (GOOS=js GOARCH=wasm), Dial opens the browser's WebSocket
// through syscall/js (Node.js before 22 has none; give it the ws package's
// as globalThis.WebSocket) and returns a Conn with the same methods, while
// the browser runs the protocol. The page can neither see nor shape the
// handshake: the response is nil, and setting an option the browser cannot
// honour (Header, TLSConfig, NetDialContext, Proxy, ProxyConnectHeader,
// MaxHeaderBytes, HTTP2) makes Dial fail; the browser decides compression,
// which Extensions reports. A message from NextWriter leaves when the
// writer is closed, as the browser sends only whole messages. Ping and
// KeepAlive return ErrNoPing. Close sends its code only if a page may
// (1000, or 3000 to 4999), and otherwise a close frame without a code, as
// do the failures the Conn detects itself (1002, 1007, 1009). See
// docs/browser.md.
func Dial(ctx context.Context, rawURL string, opts *DialOptions) (*Conn, *http.Response, error) {
	if opts == nil {
		opts = &DialOptions{}
	}
	u, err := parseWebSocketURL(rawURL)
	if err != nil {
		return nil, nil, err
	}
	timeout := opts.HandshakeTimeout
	if timeout <= 0 {
		timeout = DefaultHandshakeTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if runtime.GOOS == "js" {
		return dialPage(ctx, u, opts, openPageSocket)
	}
	if opts.HTTP2 != nil {
		c, resp, nc, err := dialH2(ctx, u, opts)
		if nc == nil {
			return c, resp, err
		}
		// The server does not speak HTTP/2 on this connection: carry on
		// with HTTP/1.1 on it.
		return dialH1(ctx, nc, u, opts)
	}
	nc, err := dialTransport(ctx, u, opts, nil)
	if err != nil {
		return nil, nil, err
	}
	return dialH1(ctx, nc, u, opts)
}

// dialH1 runs the HTTP/1.1 opening handshake on nc, and closes nc when it
// fails.
func dialH1(ctx context.Context, nc net.Conn, u *url.URL, opts *DialOptions) (*Conn, *http.Response, error) {
	c, resp, err := clientHandshake(ctx, nc, u, opts)
	if err != nil {
		nc.Close()
		return nil, resp, err
	}
	return c, resp, nil
}

func parseWebSocketURL(rawURL string) (*url.URL, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("websocket: %w", err)
	}
	switch u.Scheme {
	case "ws", "wss":
	case "http":
		u.Scheme = "ws"
	case "https":
		u.Scheme = "wss"
	default:
		return nil, fmt.Errorf("websocket: URL scheme %q is not ws or wss", u.Scheme)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("websocket: URL %q has no host", rawURL)
	}
	if strings.Contains(rawURL, "#") { // section 3: no fragment, not even an empty one
		return nil, fmt.Errorf("websocket: URL %q has a fragment", rawURL)
	}
	return u, nil
}

// hostPort returns u's host with the default port for its scheme added when
// it has none.
func hostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	switch u.Scheme {
	case "wss", "https":
		return net.JoinHostPort(u.Hostname(), "443")
	}
	return net.JoinHostPort(u.Hostname(), "80")
}

// dialTransport returns a connection to u's host, through a proxy if one
// applies and with TLS for wss, ready for the HTTP handshake. alpn, when
// non-nil, lists the protocols TLS offers by ALPN.
func dialTransport(ctx context.Context, u *url.URL, opts *DialOptions, alpn []string) (net.Conn, error) {
	dial := opts.NetDialContext
	if dial == nil {
		var d net.Dialer
		dial = d.DialContext
	}
	proxy := opts.Proxy
	if proxy == nil {
		proxy = ProxyFromEnvironment
	}
	// Proxy functions choose by the HTTP scheme.
	probe := &http.Request{Method: http.MethodGet, URL: &url.URL{Scheme: "http", Host: u.Host, Path: u.Path}, Header: http.Header{}, Host: u.Host}
	if u.Scheme == "wss" {
		probe.URL.Scheme = "https"
	}
	proxyURL, err := proxy(probe)
	if err != nil {
		return nil, fmt.Errorf("websocket: choosing proxy: %w", err)
	}

	target := hostPort(u)
	var nc net.Conn
	if proxyURL == nil {
		nc, err = dial(ctx, "tcp", target)
		if err != nil {
			return nil, fmt.Errorf("websocket: %w", err)
		}
	} else {
		nc, err = dialProxy(ctx, dial, proxyURL, target, opts)
		if err != nil {
			return nil, err
		}
	}
	if u.Scheme == "wss" {
		tc, err := tlsHandshake(ctx, nc, u.Hostname(), opts.TLSConfig, alpn)
		if err != nil {
			return nil, err
		}
		nc = tc
	}
	return nc, nil
}

// tlsHandshake runs a TLS client handshake on nc with a copy of config
// (nil for the defaults), naming host unless config names a server, and
// offering alpn by ALPN when it is non-nil. It closes nc when it fails.
func tlsHandshake(ctx context.Context, nc net.Conn, host string, config *tls.Config, alpn []string) (net.Conn, error) {
	cfg := &tls.Config{}
	if config != nil {
		cfg = config.Clone()
	}
	if alpn != nil {
		cfg.NextProtos = alpn
	}
	if cfg.ServerName == "" {
		cfg.ServerName = host
	}
	tc := tls.Client(nc, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		nc.Close()
		return nil, fmt.Errorf("websocket: TLS handshake with %s: %w", host, err)
	}
	return tc, nil
}

// bindContext makes ctx's deadline and cancellation interrupt I/O on nc
// until the returned func is called.
func bindContext(ctx context.Context, nc net.Conn) (stop func()) {
	if dl, ok := ctx.Deadline(); ok {
		nc.SetDeadline(dl)
	}
	cancelled := make(chan struct{})
	stopFunc := context.AfterFunc(ctx, func() {
		nc.SetDeadline(aLongTimeAgo)
		close(cancelled)
	})
	return func() {
		if !stopFunc() {
			// The cancellation has started; let it finish so that the
			// reset below is the last word.
			<-cancelled
		}
		nc.SetDeadline(time.Time{})
	}
}

// clientHandshake sends the opening handshake request on nc and checks the
// response (section 4.1).
func clientHandshake(ctx context.Context, nc net.Conn, u *url.URL, opts *DialOptions) (*Conn, *http.Response, error) {
	var keyBytes [16]byte
	cryptoRand(keyBytes[:])
	key := base64.StdEncoding.EncodeToString(keyBytes[:])

	host, err := handshakeHost(u, opts)
	if err != nil {
		return nil, nil, err
	}
	var req bytes.Buffer
	fmt.Fprintf(&req, "GET %s HTTP/1.1\r\nHost: %s\r\n", u.RequestURI(), host)
	req.WriteString("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ")
	req.WriteString(key)
	req.WriteString("\r\n")
	if len(opts.Subprotocols) > 0 {
		req.WriteString("Sec-WebSocket-Protocol: ")
		req.WriteString(strings.Join(opts.Subprotocols, ", "))
		req.WriteString("\r\n")
	}
	if opts.Compression != nil {
		req.WriteString("Sec-WebSocket-Extensions: ")
		req.WriteString(opts.Compression.offer())
		req.WriteString("\r\n")
	}
	extra := opts.Header.Clone()
	extra.Del("Host")
	req.Write(appendExtraHeaders(nil, extra))
	req.WriteString("\r\n")

	stop := bindContext(ctx, nc)
	defer stop()
	if _, err := nc.Write(req.Bytes()); err != nil {
		return nil, nil, fmt.Errorf("websocket: writing handshake request: %w", ctxErr(ctx, err))
	}
	lr := &headerLimitReader{r: nc, n: maxHeaderBytes(opts)}
	br := bufio.NewReader(lr)
	resp, err := readFinalResponse(br, u)
	if err != nil {
		return nil, nil, fmt.Errorf("websocket: reading handshake response: %w", ctxErr(ctx, err))
	}
	lr.n = math.MaxInt // the body of a refusal is bounded on its own
	deflate, compress, herr := checkResponse(resp, key, opts)
	if herr != nil {
		// Keep the start of the body for the error and the caller, waiting
		// for it no longer than errorBodyWait. The body is not closed, as
		// that would read it to its end; Dial closes the connection.
		if dl, ok := ctx.Deadline(); !ok || time.Until(dl) > errorBodyWait {
			nc.SetReadDeadline(time.Now().Add(errorBodyWait))
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		resp.Body = io.NopCloser(bytes.NewReader(body))
		herr.Body = body
		return nil, resp, herr
	}
	var buffered []byte
	if n := br.Buffered(); n > 0 {
		buffered, _ = br.Peek(n)
	}
	resp.Body = http.NoBody
	c := newConn(nc, true, resp.Header.Get("Sec-WebSocket-Protocol"), buffered)
	if compress {
		c.deflate = newCompression(deflate, opts.Compression, true)
	}
	return c, resp, nil
}

// readFinalResponse reads the server's answer to the opening handshake
// request for u from br, passing over the interim responses (1xx other than
// 101) that may come first: RFC 9110 section 15.2 has a client parse and
// may have it ignore them, headers and all. 101 is the final answer to an
// upgrade, not an interim one. The interim responses count against the
// limit br reads under, so a server that sends them without end fails the
// read with ErrHeaderTooLarge.
func readFinalResponse(br *bufio.Reader, u *url.URL) (*http.Response, error) {
	for {
		resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodGet, URL: u})
		if err != nil {
			return nil, err
		}
		if resp.StatusCode < 100 || resp.StatusCode > 199 || resp.StatusCode == http.StatusSwitchingProtocols {
			return resp, nil
		}
		// An interim response has no body (RFC 9112 section 6.3): the next
		// response starts right behind its header.
	}
}

// handshakeHost returns the host the opening handshake names, over
// HTTP/1.1 or HTTP/2, once it has checked what opts asks it to send.
func handshakeHost(u *url.URL, opts *DialOptions) (string, error) {
	host := u.Host
	if h := opts.Header.Get("Host"); h != "" {
		host = h
	}
	if !validHeaderValue(host) {
		return "", fmt.Errorf("websocket: invalid Host %q", host)
	}
	if err := checkSubprotocols(opts.Subprotocols); err != nil {
		return "", err
	}
	if opts.Compression != nil {
		if err := opts.Compression.check(); err != nil {
			return "", err
		}
	}
	return host, nil
}

// checkResponse checks the server's answer to the opening handshake, and
// returns the compression it agreed to, if any.
func checkResponse(resp *http.Response, key string, opts *DialOptions) (deflateParams, bool, *HandshakeError) {
	fail := func(format string, args ...any) *HandshakeError { return handshakeFailure(resp, format, args...) }
	if resp.StatusCode != http.StatusSwitchingProtocols {
		return deflateParams{}, false, fail("expected status 101, got %q", resp.Status)
	}
	if !headerHasToken(resp.Header, "Upgrade", "websocket") {
		return deflateParams{}, false, fail("no 'websocket' token in the Upgrade header")
	}
	if !headerHasToken(resp.Header, "Connection", "upgrade") {
		return deflateParams{}, false, fail("no 'upgrade' token in the Connection header")
	}
	if accept := resp.Header.Values("Sec-WebSocket-Accept"); len(accept) != 1 || accept[0] != AcceptKey(key) {
		return deflateParams{}, false, fail("Sec-WebSocket-Accept %q does not match the key sent", accept)
	}
	return checkNegotiated(resp, opts)
}

// checkNegotiated checks the subprotocol and extensions the server
// selected, and returns the compression it agreed to, if any.
func checkNegotiated(resp *http.Response, opts *DialOptions) (deflateParams, bool, *HandshakeError) {
	offered := opts.Subprotocols
	fail := func(format string, args ...any) *HandshakeError { return handshakeFailure(resp, format, args...) }
	if protos := resp.Header.Values("Sec-WebSocket-Protocol"); len(protos) > 0 {
		if len(protos) > 1 || !contains(offered, protos[0]) {
			return deflateParams{}, false, fail("server selected subprotocol %q, which was not offered", protos)
		}
	}
	if opts.Compression == nil {
		if ext := headerTokens(resp.Header, "Sec-WebSocket-Extensions"); len(ext) > 0 {
			return deflateParams{}, false, fail("server selected extension %q, which was not offered", ext)
		}
		return deflateParams{}, false, nil
	}
	p, compress, err := opts.Compression.checkDeflateResponse(resp.Header)
	if err != nil {
		return p, false, fail("%v", err)
	}
	return p, compress, nil
}

// handshakeFailure returns the error for a response that fails the
// handshake, for the reason given by format and args.
func handshakeFailure(resp *http.Response, format string, args ...any) *HandshakeError {
	return &HandshakeError{Msg: fmt.Sprintf(format, args...), StatusCode: resp.StatusCode, Header: resp.Header}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// checkSubprotocols checks the subprotocols to offer against section 4.1:
// distinct, non-empty tokens.
func checkSubprotocols(protos []string) error {
	for i, p := range protos {
		if !isToken(p) {
			return fmt.Errorf("websocket: subprotocol %q is not an HTTP token", p)
		}
		if contains(protos[:i], p) {
			return fmt.Errorf("websocket: subprotocol %q offered twice", p)
		}
	}
	return nil
}

func maxHeaderBytes(opts *DialOptions) int {
	if opts.MaxHeaderBytes > 0 {
		return opts.MaxHeaderBytes
	}
	return DefaultMaxHeaderBytes
}
