package websocket

// Fuzzing the opening handshake (RFC 6455 section 4): FuzzHandshakeRequest
// (Accept) and FuzzHandshakeResponse (Dial), the references that judge
// requests and responses (fzRefRequest, fzRefResponseOK), and their seeds.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// fzRefAccept computes the Sec-WebSocket-Accept value for key (section
// 4.2.2, step 5.4).
func fzRefAccept(key string) string {
	sum := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// fzTokens returns the comma-separated tokens of all of h's name fields.
func fzTokens(h http.Header, name string) []string {
	var out []string
	for _, v := range h.Values(name) {
		for _, tok := range strings.Split(v, ",") {
			if tok = strings.Trim(tok, " \t"); tok != "" {
				out = append(out, tok)
			}
		}
	}
	return out
}

func fzHasToken(h http.Header, name, token string) bool {
	return slices.ContainsFunc(fzTokens(h, name), func(s string) bool { return strings.EqualFold(s, token) })
}

// fzRefRequest judges a client's opening handshake by section 4.2.1 and
// returns the status Accept must answer with (101 to accept) and the key.
// When mayForbid is set the request has an Origin on another host, which
// the server may refuse with 403 (section 4.2.2 and 10.2) or accept.
//
// Like Accept, it takes the key with surrounding white space trimmed.
func fzRefRequest(r *http.Request, o *AcceptOptions) (status int, key string, mayForbid bool) {
	switch {
	case r.Method != "GET":
		return 405, "", false
	case r.ProtoMajor < 1 || r.ProtoMajor == 1 && r.ProtoMinor < 1:
		return 400, "", false
	case !fzRefTarget(r):
		return 400, "", false
	case !fzRefHost(r.Host):
		return 400, "", false
	case r.ContentLength > 0 || len(r.TransferEncoding) > 0:
		// A body would be read as frames after the 101.
		return 400, "", false
	case !fzHasToken(r.Header, "Connection", "Upgrade"):
		return 400, "", false
	case !fzHasToken(r.Header, "Upgrade", "websocket"):
		return 400, "", false
	}
	if v := r.Header.Values("Sec-WebSocket-Version"); len(v) != 1 || strings.Trim(v[0], " \t") != "13" {
		return 426, "", false
	}
	keys := r.Header.Values("Sec-WebSocket-Key")
	if len(keys) != 1 {
		return 400, "", false
	}
	key = strings.TrimSpace(keys[0])
	if raw, err := base64.StdEncoding.DecodeString(key); err != nil || len(raw) != 16 {
		return 400, "", false
	}
	origin := r.Header.Get("Origin")
	if origin == "" || o != nil && o.InsecureSkipOriginCheck {
		return 101, key, false
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return 403, key, false
	}
	return 101, key, !strings.EqualFold(u.Host, r.Host)
}

// fzRefTarget reports whether r's request-target names a resource (RFC
// 6455 section 4.2.1 item 1): a path, or an absolute http, https, ws or wss
// URI with a host and no user information.
func fzRefTarget(r *http.Request) bool {
	if r.RequestURI == "" || strings.HasPrefix(r.RequestURI, "/") {
		return true
	}
	u := r.URL
	return slices.Contains([]string{"http", "https", "ws", "wss"}, strings.ToLower(u.Scheme)) &&
		u.Host != "" && u.User == nil && u.Opaque == ""
}

// fzRefHost reports whether host is a valid Host value (RFC 9110 section
// 7.2, RFC 3986 section 3.2.2): a registered name or IPv4 address, or an
// IPv6 address (with an RFC 6874 zone) or IPvFuture in brackets, then an
// optional port.
func fzRefHost(host string) bool {
	m := fzRefHostRE.FindStringSubmatch(host)
	if m == nil {
		return false
	}
	if ip := m[1]; ip != "" {
		ip, _, _ = strings.Cut(ip, "%25")
		return strings.Contains(ip, ":") && net.ParseIP(ip) != nil
	}
	return true
}

var fzRefHostRE = regexp.MustCompile(`^(?:(?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})*` +
	`|\[(?:([0-9A-Fa-f:.]+(?:%25(?:[A-Za-z0-9\-._~]|%[0-9A-Fa-f]{2})+)?)|[vV][0-9A-Fa-f]+\.[A-Za-z0-9\-._~!$&'()*+,;=:]+)\])(?::[0-9]*)?$`)

// fzRefResponseOK reports whether resp completes the opening handshake of a
// client that sent key and offered the subprotocols offered, and no
// extensions (section 4.1, the client's checks of the server's response).
func fzRefResponseOK(resp *http.Response, key string, offered []string) bool {
	if resp.StatusCode != 101 {
		return false
	}
	if !fzHasToken(resp.Header, "Upgrade", "websocket") || !fzHasToken(resp.Header, "Connection", "Upgrade") {
		return false
	}
	if a := resp.Header.Values("Sec-WebSocket-Accept"); len(a) != 1 || a[0] != fzRefAccept(key) {
		return false
	}
	if p := resp.Header.Values("Sec-WebSocket-Protocol"); len(p) > 1 || len(p) == 1 && !slices.Contains(offered, p[0]) {
		return false
	}
	return len(fzTokens(resp.Header, "Sec-WebSocket-Extensions")) == 0
}

// fzHijackRecorder is an httptest.ResponseRecorder that can be hijacked.
type fzHijackRecorder struct {
	*httptest.ResponseRecorder
	hijack   func() (net.Conn, *bufio.ReadWriter, error)
	hijacked bool
}

func (w *fzHijackRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	w.hijacked = true
	return w.hijack()
}

// fzAcceptOptions returns the AcceptOptions bits of opt select.
func fzAcceptOptions(opt uint8) *AcceptOptions {
	if opt&8 != 0 {
		return nil
	}
	o := &AcceptOptions{InsecureSkipOriginCheck: opt&4 != 0}
	if opt&1 != 0 {
		o.Subprotocols = []string{"chat", "superchat", "v2.json"}
	}
	if opt&2 != 0 {
		o.OriginPatterns = []string{"example.com", "*.example.org", "http://localhost:*"}
	}
	return o
}

// FuzzHandshakeRequest parses its input as an HTTP request and gives it to
// Accept, with the options opt selects (see fzAcceptOptions). Accept must
// refuse with the status fzRefRequest gives (400, 403, 405 or 426), without
// hijacking, or answer 101 with the right Sec-WebSocket-Accept and
// subprotocol, and then read what follows the request as fzRefRead does.
func FuzzHandshakeRequest(f *testing.F) {
	f.Fuzz(func(t *testing.T, raw []byte, opt uint8) {
		under := bytes.NewReader(raw)
		br := bufio.NewReader(under)
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		opts := fzAcceptOptions(opt)
		var (
			nc     *fzConn
			stream []byte // what the Conn reads: the bytes after the request
		)
		rec := &fzHijackRecorder{ResponseRecorder: httptest.NewRecorder()}
		rec.hijack = func() (net.Conn, *bufio.ReadWriter, error) {
			buffered, _ := br.Peek(br.Buffered())
			rest, _ := io.ReadAll(under)
			stream = append(bytes.Clone(buffered), rest...)
			nc = &fzConn{in: rest}
			return nc, bufio.NewReadWriter(br, bufio.NewWriter(nc)), nil
		}
		var c *Conn
		fzBounded(t, "Accept", func() { c, err = Accept(rec, req, opts) })

		status, key, mayForbid := fzRefRequest(req, opts)
		if err != nil {
			switch {
			case c != nil:
				t.Fatalf("Accept returned a Conn and the error %v", err)
			case rec.hijacked:
				t.Fatalf("Accept hijacked the connection and refused it: %v", err)
			case rec.Code != status && !(mayForbid && rec.Code == 403):
				t.Fatalf("Accept refused %q with %d (%v), want %d", raw, rec.Code, err, status)
			case rec.Code == 426 && rec.Header().Get("Sec-WebSocket-Version") != "13":
				t.Fatalf("a 426 without Sec-WebSocket-Version: 13")
			case rec.Code == 405 && rec.Header().Get("Allow") != "GET":
				t.Fatalf("a 405 without Allow: GET")
			}
			return
		}
		switch {
		case status != 101:
			t.Fatalf("Accept took %q, want a refusal with %d", raw, status)
		case c == nil || !rec.hijacked:
			t.Fatalf("Accept succeeded without a Conn (%v) or without hijacking (%v)", c, rec.hijacked)
		case rec.Body.Len() > 0 || rec.Flushed:
			t.Fatalf("Accept wrote to the ResponseWriter before hijacking: %q", rec.Body)
		}

		// The 101 response.
		end := bytes.Index(nc.out, []byte("\r\n\r\n"))
		if end < 0 {
			t.Fatalf("Accept wrote %q, not an HTTP response", nc.out)
		}
		resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(nc.out[:end+4])), req)
		if err != nil {
			t.Fatalf("Accept wrote %q: %v", nc.out[:end+4], err)
		}
		if !fzRefResponseOK(resp, key, fzTokens(req.Header, "Sec-WebSocket-Protocol")) {
			t.Fatalf("Accept answered %q with a response a client must refuse: %q", raw, nc.out[:end+4])
		}
		proto := resp.Header.Get("Sec-WebSocket-Protocol")
		var wantProto string
		if opts != nil {
			for _, s := range opts.Subprotocols {
				if slices.Contains(fzTokens(req.Header, "Sec-WebSocket-Protocol"), s) {
					wantProto = s
					break
				}
			}
		}
		if proto != wantProto || c.Subprotocol() != proto {
			t.Fatalf("selected subprotocol %q (Conn says %q), want %q", proto, c.Subprotocol(), wantProto)
		}

		// The connection reads what followed the request.
		cfg := fzReadConfig{limit: DefaultReadLimit}
		fzReadConn(t, c, nc, end+4, cfg, len(stream), fzRefRead(stream, false, cfg.limit))
	})
}

// FuzzHandshakeResponse serves its input as the server's answer to Dial,
// with "{ACCEPT}" replaced by the Sec-WebSocket-Accept value for the key
// Dial sent. opt&1 offers subprotocols. Dial must succeed exactly when
// fzRefResponseOK accepts the response, and the Conn must then read what
// follows the response as fzRefRead does.
func FuzzHandshakeResponse(f *testing.F) {
	f.Fuzz(func(t *testing.T, tmpl []byte, opt uint8) {
		var offered []string
		if opt&1 != 0 {
			offered = []string{"chat", "superchat"}
		}
		var (
			response  []byte // what the server sent
			responded bool
			key       string
			badReq    string
		)
		nc := &fzConn{chunks: []byte{opt >> 1}}
		nc.respond = func(written []byte) []byte {
			req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(written)))
			if err != nil {
				badReq = fmt.Sprintf("Dial sent %q: %v", written, err)
				return nil
			}
			status := 0
			status, key, _ = fzRefRequest(req, &AcceptOptions{InsecureSkipOriginCheck: true})
			if status != 101 || !slices.Equal(fzTokens(req.Header, "Sec-WebSocket-Protocol"), offered) {
				badReq = fmt.Sprintf("Dial sent %q, which a server refuses with %d or has the wrong subprotocols", written, status)
			}
			response = bytes.ReplaceAll(tmpl, []byte("{ACCEPT}"), []byte(fzRefAccept(key)))
			responded = true
			return bytes.Clone(response)
		}
		opts := &DialOptions{
			Subprotocols:   offered,
			NetDialContext: func(context.Context, string, string) (net.Conn, error) { return nc, nil },
			Proxy:          func(*http.Request) (*url.URL, error) { return nil, nil },
		}
		var (
			c    *Conn
			resp *http.Response
			err  error
		)
		fzBounded(t, "Dial", func() {
			ctx, cancel := context.WithTimeout(context.Background(), fzHangTimeout)
			defer cancel()
			c, resp, err = Dial(ctx, "ws://example.com/chat?x=1", opts)
		})
		if badReq != "" {
			t.Fatal(badReq)
		}
		if !responded {
			t.Fatalf("Dial did not read the response: %v", err)
		}

		// What a client must make of the response.
		under := bytes.NewReader(response)
		br := bufio.NewReader(under)
		refResp, refErr := http.ReadResponse(br, &http.Request{Method: "GET"})
		// Interim responses come before the final one (RFC 9110 section
		// 15.2); 101 is final.
		for refErr == nil && refResp.StatusCode/100 == 1 && refResp.StatusCode != 101 {
			refResp, refErr = http.ReadResponse(br, &http.Request{Method: "GET"})
		}
		ok := refErr == nil && fzRefResponseOK(refResp, key, offered)
		if !ok {
			switch {
			case err == nil:
				t.Fatalf("Dial accepted %q", response)
			case c != nil:
				t.Fatalf("Dial returned a Conn and the error %v", err)
			case !nc.closed:
				t.Fatalf("Dial failed (%v) without closing the connection", err)
			case refErr != nil:
				return
			}
			var he *HandshakeError
			if resp == nil || resp.StatusCode != refResp.StatusCode || !errors.As(err, &he) || he.StatusCode != resp.StatusCode {
				t.Fatalf("Dial refused %q with %v and response %v; want a *HandshakeError with status %d", response, err, resp, refResp.StatusCode)
			}
			return
		}
		if err != nil || c == nil || resp == nil || resp.StatusCode != 101 {
			t.Fatalf("Dial refused %q: %v", response, err)
		}
		if p := refResp.Header.Get("Sec-WebSocket-Protocol"); c.Subprotocol() != p {
			t.Fatalf("Conn.Subprotocol() = %q, the server selected %q", c.Subprotocol(), p)
		}

		// The connection reads what followed the response.
		stream := response[len(response)-under.Len()-br.Buffered():]
		reqEnd := bytes.Index(nc.out, []byte("\r\n\r\n")) + 4
		cfg := fzReadConfig{client: true, limit: DefaultReadLimit}
		fzReadConn(t, c, nc, reqEnd, cfg, len(stream), fzRefRead(stream, true, cfg.limit))
	})
}

const fzRFCRequest = "GET /chat HTTP/1.1\r\n" +
	"Host: server.example.com\r\n" +
	"Upgrade: websocket\r\n" +
	"Connection: Upgrade\r\n" +
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
	"Origin: http://example.com\r\n" +
	"Sec-WebSocket-Protocol: chat, superchat\r\n" +
	"Sec-WebSocket-Version: 13\r\n\r\n"

func fzRequestSeeds() []fzSeed {
	// req is the RFC's request (section 1.2) with the header lines of the
	// replacements map replaced ("" deletes one) and extra lines added.
	req := func(replace map[string]string, extra ...string) string {
		lines := strings.Split(strings.TrimSuffix(fzRFCRequest, "\r\n\r\n"), "\r\n")
		var out []string
		for _, l := range lines {
			name, _, _ := strings.Cut(l, ":")
			if r, ok := replace[name]; ok {
				if r != "" {
					out = append(out, r)
				}
				continue
			}
			out = append(out, l)
		}
		return strings.Join(append(out, extra...), "\r\n") + "\r\n\r\n"
	}
	maskedFrame := func(op byte, p string) string {
		return string(fzEncodeFrame(true, 0, op, &[4]byte{0x37, 0xfa, 0x21, 0x3d}, []byte(p)))
	}
	var seeds []fzSeed
	add := func(name, raw string, opt uint8, status int) {
		seeds = append(seeds, fzSeed{
			name: name,
			args: []any{[]byte(raw), opt},
			check: func(t *testing.T) {
				r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
				if err != nil {
					if status != 0 {
						t.Errorf("not an HTTP request: %v", err)
					}
					return
				}
				got, _, mayForbid := fzRefRequest(r, fzAcceptOptions(opt))
				if mayForbid && got == 101 && status == 403 {
					got = 403
				}
				if got != status {
					t.Errorf("the reference judges it %d, want %d", got, status)
				}
			},
		})
	}
	const (
		optSubprotocols = 1
		optPatterns     = 2
		optSkipOrigin   = 4
		optNil          = 8
	)
	noOrigin := map[string]string{"Origin": ""}
	add("rfc", fzRFCRequest, optSkipOrigin|optSubprotocols, 101)
	add("rfc-origin-pattern", fzRFCRequest, optPatterns|optSubprotocols, 101)
	add("rfc-cross-origin", fzRFCRequest, 0, 403)
	add("rfc-then-frames", fzRFCRequest+maskedFrame(1, "Hello")+maskedFrame(9, "ping")+maskedFrame(8, "\x03\xe8bye"), optSkipOrigin, 101)
	add("rfc-then-bad-frame", fzRFCRequest+"\x81\x05Hello", optSkipOrigin, 101)
	add("minimal", "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==\r\n\r\n", optNil, 101)
	add("same-origin", req(map[string]string{"Origin": "Origin: http://SERVER.example.com"}), 0, 101)
	add("tokens-mixed-case", req(map[string]string{"Upgrade": "Upgrade: WebSocket, foo/2", "Connection": "Connection: keep-alive, UPGRADE", "Origin": ""}), 0, 101)
	add("split-headers", req(noOrigin, "Connection: x", "Upgrade: y"), 0, 101)
	add("subprotocol-second-choice", req(map[string]string{"Origin": "", "Sec-WebSocket-Protocol": "Sec-WebSocket-Protocol: v1.json, superchat"}), optSubprotocols, 101)
	add("subprotocol-none-common", req(map[string]string{"Origin": "", "Sec-WebSocket-Protocol": "Sec-WebSocket-Protocol: mqtt"}), optSubprotocols, 101)
	add("key-spaces", req(map[string]string{"Origin": "", "Sec-WebSocket-Key": "Sec-WebSocket-Key:   dGhlIHNhbXBsZSBub25jZQ==  "}), 0, 101)
	add("post", strings.Replace(fzRFCRequest, "GET", "POST", 1), optSkipOrigin, 405)
	add("http-1.0", strings.Replace(fzRFCRequest, "HTTP/1.1", "HTTP/1.0", 1), optSkipOrigin, 400)
	add("no-connection", req(map[string]string{"Connection": ""}), optSkipOrigin, 400)
	add("connection-keep-alive", req(map[string]string{"Connection": "Connection: keep-alive"}), optSkipOrigin, 400)
	add("no-upgrade", req(map[string]string{"Upgrade": ""}), optSkipOrigin, 400)
	add("upgrade-h2c", req(map[string]string{"Upgrade": "Upgrade: h2c"}), optSkipOrigin, 400)
	add("version-8", req(map[string]string{"Sec-WebSocket-Version": "Sec-WebSocket-Version: 8"}), optSkipOrigin, 426)
	add("no-version", req(map[string]string{"Sec-WebSocket-Version": ""}), optSkipOrigin, 426)
	add("two-versions", req(nil, "Sec-WebSocket-Version: 8"), optSkipOrigin, 426)
	add("version-list", req(map[string]string{"Sec-WebSocket-Version": "Sec-WebSocket-Version: 13, 8"}), optSkipOrigin, 426)
	add("no-key", req(map[string]string{"Sec-WebSocket-Key": ""}), optSkipOrigin, 400)
	add("two-keys", req(nil, "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA=="), optSkipOrigin, 400)
	add("key-not-base64", req(map[string]string{"Sec-WebSocket-Key": "Sec-WebSocket-Key: not base64!"}), optSkipOrigin, 400)
	add("key-15-bytes", req(map[string]string{"Sec-WebSocket-Key": "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAA"}), optSkipOrigin, 400)
	add("key-17-bytes", req(map[string]string{"Sec-WebSocket-Key": "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAAA="}), optSkipOrigin, 400)
	add("key-raw-url-encoding", req(map[string]string{"Sec-WebSocket-Key": "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAA-_"}), optSkipOrigin, 400)
	add("origin-malformed", req(map[string]string{"Origin": "Origin: ::not a url"}), 0, 403)
	add("origin-null", req(map[string]string{"Origin": "Origin: null"}), optPatterns, 403)
	add("origin-other-host", req(map[string]string{"Origin": "Origin: https://evil.example.net"}), optPatterns, 403)
	add("origin-pattern-subdomain", req(map[string]string{"Origin": "Origin: https://a.example.org"}), optPatterns, 101)
	add("absolute-uri", strings.Replace(fzRFCRequest, "GET /chat", "GET ws://server.example.com/chat", 1), optSkipOrigin, 101)
	add("with-body", req(noOrigin, "Content-Length: 7")+"\x81\x85abcd", 0, 400)
	add("garbage", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 0, 0)
	return seeds
}

func fzResponseSeeds() []fzSeed {
	const ok = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {ACCEPT}\r\n\r\n"
	var seeds []fzSeed
	add := func(name, raw string, opt uint8) {
		seeds = append(seeds, fzSeed{name: name, args: []any{[]byte(raw), opt}})
	}
	with := func(extra string) string { return strings.TrimSuffix(ok, "\r\n") + extra + "\r\n" }
	add("ok", ok, 0)
	add("ok-bytewise", ok, 2)
	add("ok-then-frames", ok+"\x81\x05Hello\x89\x04ping\x88\x02\x03\xe8", 0)
	add("ok-then-bad-frame", ok+"\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58", 0)
	add("ok-mixed-case", "HTTP/1.1 101 Whatever\r\nupgrade: WebSocket\r\nconnection: keep-alive, UPGRADE\r\nsec-websocket-accept: {ACCEPT}\r\n\r\n", 0)
	add("ok-subprotocol", with("Sec-WebSocket-Protocol: superchat\r\n"), 1)
	add("subprotocol-not-offered", with("Sec-WebSocket-Protocol: chat\r\n"), 0)
	add("subprotocol-other", with("Sec-WebSocket-Protocol: mqtt\r\n"), 1)
	add("subprotocol-two", with("Sec-WebSocket-Protocol: chat, superchat\r\n"), 1)
	add("subprotocol-twice", with("Sec-WebSocket-Protocol: chat\r\nSec-WebSocket-Protocol: chat\r\n"), 1)
	add("extension", with("Sec-WebSocket-Extensions: permessage-deflate\r\n"), 0)
	add("extension-empty", with("Sec-WebSocket-Extensions: \r\n"), 0)
	add("rfc-accept-literal", strings.Replace(ok, "{ACCEPT}", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", 1), 0)
	add("accept-twice", with("Sec-WebSocket-Accept: {ACCEPT}\r\n"), 0)
	add("accept-missing", strings.Replace(ok, "Sec-WebSocket-Accept: {ACCEPT}\r\n", "", 1), 0)
	add("accept-lowercase-value", strings.Replace(ok, "{ACCEPT}", "{accept}", 1), 0)
	add("no-upgrade", strings.Replace(ok, "Upgrade: websocket\r\n", "", 1), 0)
	add("upgrade-h2c", strings.Replace(ok, "Upgrade: websocket", "Upgrade: h2c", 1), 0)
	add("no-connection", strings.Replace(ok, "Connection: Upgrade\r\n", "", 1), 0)
	add("status-200", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 0)
	add("status-403-chunked", "HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 0)
	add("status-426", "HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\nContent-Length: 0\r\n\r\n", 0)
	add("status-100-then-101", "HTTP/1.1 100 Continue\r\n\r\n"+ok, 0)
	add("http-1.0", strings.Replace(ok, "HTTP/1.1", "HTTP/1.0", 1), 0)
	add("101-with-body", with("Content-Length: 5\r\n")+"hello", 0)
	add("truncated", ok[:40], 0)
	add("empty", "", 0)
	add("garbage", "\x15\x03\x03\x00\x02\x02\x28", 0)
	return seeds
}
