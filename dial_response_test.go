package websocket

// Tests of what Dial does with the server's answer (RFC 6455 section 4.1,
// "the client MUST validate the server's response"): the 101s it accepts and
// those it fails, refusals and their bodies, interim responses, frames sent
// with the 101, and a server or proxy that never answers, which the context
// bounds.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestDialResponseRules answers the handshake with responses that follow or
// break each rule of RFC 6455 section 4.1 ("The client MUST validate the
// server's response") and checks that Dial accepts the good ones and fails
// the bad ones with a *HandshakeError, closing the connection.
func TestDialResponseRules(t *testing.T) {
	const (
		statusLine = "HTTP/1.1 101 Switching Protocols\r\n"
		upgrade    = "Upgrade: websocket\r\n"
		connection = "Connection: Upgrade\r\n"
		accept     = "Sec-WebSocket-Accept: {{ACCEPT}}\r\n"
	)
	tests := []struct {
		name    string
		offer   []string // DialOptions.Subprotocols
		resp    string
		ok      bool
		wantSub string
	}{
		{name: "valid", resp: statusLine + upgrade + connection + accept + "\r\n", ok: true},
		{name: "other reason phrase", resp: "HTTP/1.1 101 Web Socket Protocol Handshake\r\n" + upgrade + connection + accept + "\r\n", ok: true},
		{name: "header values in other cases", resp: statusLine + "Upgrade: WebSocket\r\nConnection: upgrade\r\n" + accept + "\r\n", ok: true},
		{name: "header names in lower case", resp: statusLine + "upgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-accept: {{ACCEPT}}\r\n\r\n", ok: true},
		{name: "Connection token list", resp: statusLine + upgrade + "Connection: keep-alive, Upgrade\r\n" + accept + "\r\n", ok: true},
		{name: "extra headers", resp: statusLine + upgrade + connection + accept + "Set-Cookie: a=b\r\nServer: test\r\n\r\n", ok: true},
		{name: "empty extensions header", resp: statusLine + upgrade + connection + accept + "Sec-WebSocket-Extensions:\r\n\r\n", ok: true},
		{name: "subprotocol among those offered", offer: []string{"a", "b"}, resp: statusLine + upgrade + connection + accept + "Sec-WebSocket-Protocol: b\r\n\r\n", ok: true, wantSub: "b"},
		{name: "no subprotocol though some offered", offer: []string{"a", "b"}, resp: statusLine + upgrade + connection + accept + "\r\n", ok: true, wantSub: ""},

		// Item 2.
		{name: "Upgrade missing", resp: statusLine + connection + accept + "\r\n"},
		{name: "Upgrade h2c", resp: statusLine + "Upgrade: h2c\r\n" + connection + accept + "\r\n"},
		{name: "Upgrade websockets", resp: statusLine + "Upgrade: websockets\r\n" + connection + accept + "\r\n"},
		// Item 3.
		{name: "Connection missing", resp: statusLine + upgrade + accept + "\r\n"},
		{name: "Connection keep-alive", resp: statusLine + upgrade + "Connection: keep-alive\r\n" + accept + "\r\n"},
		{name: "Connection upgrades", resp: statusLine + upgrade + "Connection: upgrades\r\n" + accept + "\r\n"},
		// Item 4, and section 11.3.3: Sec-WebSocket-Accept MUST NOT
		// appear more than once.
		{name: "Accept missing", resp: statusLine + upgrade + connection + "\r\n"},
		{name: "Accept for another key", resp: statusLine + upgrade + connection + "Sec-WebSocket-Accept: " + AcceptKey("AQIDBAUGBwgJCgsMDQ4PEC==") + "\r\n\r\n"},
		{name: "Accept echoes the key", resp: statusLine + upgrade + connection + "Sec-WebSocket-Accept: {{KEY}}\r\n\r\n"},
		{name: "Accept empty", resp: statusLine + upgrade + connection + "Sec-WebSocket-Accept:\r\n\r\n"},
		{name: "Accept twice", resp: statusLine + upgrade + connection + accept + accept + "\r\n"},
		// Item 5: no extension was offered, so none may be accepted.
		{name: "extension in response", resp: statusLine + upgrade + connection + accept + "Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n"},
		{name: "extension with parameters", resp: statusLine + upgrade + connection + accept + "Sec-WebSocket-Extensions: x-custom; p=1\r\n\r\n"},
		// Item 6, and section 4.2.2 /subprotocol/ (a single token).
		{name: "subprotocol not offered", offer: []string{"a"}, resp: statusLine + upgrade + connection + accept + "Sec-WebSocket-Protocol: c\r\n\r\n"},
		{name: "subprotocol when none offered", resp: statusLine + upgrade + connection + accept + "Sec-WebSocket-Protocol: a\r\n\r\n"},
		{name: "two subprotocols selected", offer: []string{"a", "b"}, resp: statusLine + upgrade + connection + accept + "Sec-WebSocket-Protocol: a, b\r\n\r\n"},
		{name: "subprotocol header twice", offer: []string{"a", "b"}, resp: statusLine + upgrade + connection + accept + "Sec-WebSocket-Protocol: a\r\nSec-WebSocket-Protocol: b\r\n\r\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			seen, c, resp, err := dialTestAnswered(t, tc.resp, &DialOptions{Subprotocols: tc.offer})
			if tc.ok {
				if err != nil {
					t.Fatalf("Dial: %v", err)
				}
				if got := c.Subprotocol(); got != tc.wantSub {
					t.Errorf("Subprotocol() = %q, want %q", got, tc.wantSub)
				}
				if resp == nil || resp.StatusCode != http.StatusSwitchingProtocols {
					t.Errorf("response = %v, want the 101 response", resp)
				}
				c.CloseNow()
				dialTestRecv(t, seen)
				return
			}
			if err == nil {
				t.Fatalf("Dial accepted the response %q", tc.resp)
			}
			he := dialTestHandshakeError(t, c, err)
			if he.StatusCode != http.StatusSwitchingProtocols {
				t.Errorf("HandshakeError.StatusCode = %d, want 101", he.StatusCode)
			}
			if resp == nil || resp.StatusCode != http.StatusSwitchingProtocols {
				t.Errorf("response = %v, want the 101 response", resp)
			}
			// Section 7.1.7: failing the connection closes it.
			dialTestCheckClientClosed(t, dialTestRecv(t, seen).after)
		})
	}
}

// TestDialRefusedHandshakeReturnsHandshakeError checks responses other
// than 101 (RFC 6455 section 4.1: "If the status code received from the
// server is not 101, the client handles the response per HTTP
// procedures"): Dial returns a *HandshakeError with the status, headers
// and at most 1 KiB of the body, and the response itself with that start
// of the body, as its doc comment says.
func TestDialRefusedHandshakeReturnsHandshakeError(t *testing.T) {
	long := strings.Repeat("0123456789abcdef", 320) // 5120 bytes
	var chunked strings.Builder
	for i := 0; i < len(long); i += 1000 {
		part := long[i:min(i+1000, len(long))]
		fmt.Fprintf(&chunked, "%x\r\n%s\r\n", len(part), part)
	}
	chunked.WriteString("0\r\n\r\n")
	tests := []struct {
		name       string
		resp       string
		status     int
		headerName string
		headerVal  string
		body       string
	}{
		{name: "403 with short body", resp: "HTTP/1.1 403 Forbidden\r\nX-Reason: origin\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\nforbidden\n",
			status: 403, headerName: "X-Reason", headerVal: "origin", body: "forbidden\n"},
		{name: "426 naming the version", resp: "HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\nContent-Length: 0\r\n\r\n",
			status: 426, headerName: "Sec-WebSocket-Version", headerVal: "13", body: ""},
		{name: "302 redirect", resp: "HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\nContent-Length: 5\r\n\r\nmoved",
			status: 302, headerName: "Location", headerVal: "/elsewhere", body: "moved"},
		{name: "200 with handshake headers", resp: "HTTP/1.1 200 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {{ACCEPT}}\r\nContent-Length: 2\r\n\r\nok",
			status: 200, headerName: "Upgrade", headerVal: "websocket", body: "ok"},
		{name: "500 with a 5 KiB body", resp: "HTTP/1.1 500 Internal Server Error\r\nX-Id: 42\r\nContent-Length: 5120\r\n\r\n" + long,
			status: 500, headerName: "X-Id", headerVal: "42", body: long[:1024]},
		{name: "503 with a chunked 5 KiB body", resp: "HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\nRetry-After: 1\r\n\r\n" + chunked.String(),
			status: 503, headerName: "Retry-After", headerVal: "1", body: long[:1024]},
		{name: "400 with a body delimited by close", resp: "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nX-Id: 7\r\n\r\n" + long,
			status: 400, headerName: "X-Id", headerVal: "7", body: long[:1024]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			seen, c, resp, err := dialTestAnswered(t, tc.resp, nil)
			if err == nil {
				t.Fatalf("Dial succeeded on a %d response", tc.status)
			}
			he := dialTestHandshakeError(t, c, err)
			if he.StatusCode != tc.status {
				t.Errorf("HandshakeError.StatusCode = %d, want %d", he.StatusCode, tc.status)
			}
			if got := he.Header.Get(tc.headerName); got != tc.headerVal {
				t.Errorf("HandshakeError.Header %s = %q, want %q", tc.headerName, got, tc.headerVal)
			}
			if len(he.Body) > 1024 {
				t.Errorf("HandshakeError.Body has %d bytes, want at most 1024", len(he.Body))
			}
			if string(he.Body) != tc.body {
				t.Errorf("HandshakeError.Body = %q (%d bytes), want %q (%d bytes)", dialTestAbbrev(he.Body), len(he.Body), dialTestAbbrev([]byte(tc.body)), len(tc.body))
			}
			if he.Error() == "" {
				t.Errorf("HandshakeError.Error() is empty")
			}
			if resp == nil {
				t.Fatalf("Dial returned no *http.Response")
			}
			if resp.StatusCode != tc.status {
				t.Errorf("response status = %d, want %d", resp.StatusCode, tc.status)
			}
			if got := resp.Header.Get(tc.headerName); got != tc.headerVal {
				t.Errorf("response header %s = %q, want %q", tc.headerName, got, tc.headerVal)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || string(body) != tc.body {
				t.Errorf("response body = %q (%d bytes), %v; want %q (%d bytes)", dialTestAbbrev(body), len(body), err, dialTestAbbrev([]byte(tc.body)), len(tc.body))
			}
			dialTestCheckClientClosed(t, dialTestRecv(t, seen).after)
		})
	}
}

// TestDialRefusalWithEndlessBodyReturns answers the handshake with a
// refusal whose body never ends (chunked, or a huge Content-Length) and
// checks that Dial, with a context that never ends, still returns the
// *HandshakeError and closes the connection: it keeps only the start of
// the body (1 KiB, as documented), so it has no reason to read the rest,
// and RFC 6455 section 4.1 only asks the client to handle the non-101
// response per HTTP and give up on the WebSocket connection.
func TestDialRefusalWithEndlessBodyReturns(t *testing.T) {
	tests := []struct {
		name string
		head string
	}{
		{name: "chunked", head: "HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked\r\n\r\n"},
		{name: "huge Content-Length", head: "HTTP/1.1 403 Forbidden\r\nContent-Length: 1099511627776\r\n\r\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ended := make(chan error, 1)
			srv := rawListen(t, func(nc net.Conn) {
				if _, err := http.ReadRequest(bufio.NewReader(nc)); err != nil {
					ended <- err
					return
				}
				chunk := bytes.Repeat([]byte("x"), 1024)
				if strings.Contains(tc.head, "chunked") {
					chunk = append(append([]byte("400\r\n"), chunk...), "\r\n"...)
				}
				_, err := io.WriteString(nc, tc.head)
				for err == nil {
					_, err = nc.Write(chunk)
				}
				ended <- err
			})
			c, _, err := dialTestDial(t, context.Background(), "ws://"+srv.addr+"/", nil)
			if c != nil || err == nil {
				t.Fatalf("Dial = %v, %v; want an error", c, err)
			}
			he := dialTestHandshakeError(t, c, err)
			if he.StatusCode != http.StatusForbidden || len(he.Body) != 1024 {
				t.Errorf("HandshakeError: status %d, %d body bytes; want 403 and 1024", he.StatusCode, len(he.Body))
			}
			// The server stops writing once the client has closed.
			dialTestCheckClientClosed(t, await(t, ended, "the end of the server's writes"))
		})
	}
}

// TestDialKeepsFramesSentWithThe101Response has the server write its 101
// response and two unmasked frames in a single write: the client buffers
// them while reading the response and must still read them as messages
// (RFC 6455 section 4.2.2: once the response is sent the server may send
// data; section 5.1: server frames are not masked).
func TestDialKeepsFramesSentWithThe101Response(t *testing.T) {
	frames := AppendFrameHeader(nil, FrameHeader{Fin: true, Opcode: OpText, Length: 5})
	frames = append(frames, "hello"...)
	frames = AppendFrameHeader(frames, FrameHeader{Fin: true, Opcode: OpBinary, Length: 300})
	frames = append(frames, bytes.Repeat([]byte{0xfe}, 300)...)
	srv, seen := dialTestHandshakeServer(t, func(key string) string {
		return dialTestResponse(dialTestOK)(key) + string(frames)
	})
	c, _ := hsDial(t, "ws://"+srv.addr+"/", nil)
	hsExpectMessage(t, c, MessageText, "hello")
	hsExpectMessage(t, c, MessageBinary, strings.Repeat("\xfe", 300))
	c.CloseNow()
	dialTestRecv(t, seen)
}

// TestDialSkipsInterimResponses has the server send interim (1xx)
// responses before its final one. RFC 9110 section 15.2: a client must be
// able to parse any number of 1xx responses ahead of the final response,
// even ones it did not ask for, and may ignore them; 101 is the final
// answer to a handshake (section 15.2.2), not an interim one. Dial must
// succeed on a 101 after them, with neither the interim responses' headers
// in the response it returns nor the frames sent behind the 101 lost, and
// report a refusal after them as it reports any other.
func TestDialSkipsInterimResponses(t *testing.T) {
	const (
		hints      = "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload; as=style\r\n\r\n"
		cont       = "HTTP/1.1 100 Continue\r\n\r\n"
		processing = "HTTP/1.1 102 Processing\r\n\r\n"
		unknown    = "HTTP/1.1 199 Whatever\r\nX-Interim: 1\r\n\r\n"
		refusal    = "HTTP/1.1 403 Forbidden\r\nX-Reason: origin\r\nContent-Length: 9\r\n\r\nforbidden"
	)
	frame := string(AppendFrameHeader(nil, FrameHeader{Fin: true, Opcode: OpText, Length: 2})) + "hi"
	tests := []struct {
		name   string
		resp   string
		status int
	}{
		{name: "103 then 101", resp: hints + dialTestOK + frame, status: 101},
		{name: "100 then 101", resp: cont + dialTestOK + frame, status: 101},
		{name: "several then 101", resp: cont + processing + hints + hints + unknown + dialTestOK + frame, status: 101},
		{name: "103 then 403", resp: hints + refusal, status: 403},
		{name: "several then 403", resp: cont + hints + unknown + refusal, status: 403},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			seen, c, resp, err := dialTestAnswered(t, tc.resp, nil)
			if resp == nil || resp.StatusCode != tc.status {
				status := "none"
				if resp != nil {
					status = resp.Status
				}
				t.Fatalf("Dial returned the response %s (error %v), want the %d", status, err, tc.status)
			}
			for _, name := range []string{"Link", "X-Interim"} {
				if got := resp.Header.Values(name); len(got) != 0 {
					t.Errorf("response header %s = %q, from an interim response", name, got)
				}
			}
			if tc.status == http.StatusSwitchingProtocols {
				if err != nil {
					t.Fatalf("Dial: %v", err)
				}
				hsExpectMessage(t, c, MessageText, "hi")
				c.CloseNow()
				dialTestRecv(t, seen)
				return
			}
			he := dialTestHandshakeError(t, c, err)
			if he.StatusCode != tc.status || he.Header.Get("X-Reason") != "origin" || string(he.Body) != "forbidden" {
				t.Errorf("HandshakeError: status %d, X-Reason %q, body %q; want %d, \"origin\", \"forbidden\"", he.StatusCode, he.Header.Get("X-Reason"), he.Body, tc.status)
			}
			dialTestCheckClientClosed(t, dialTestRecv(t, seen).after)
		})
	}
}

// TestDialEndlessInterimResponses has the server send interim responses
// without end: they count against MaxHeaderBytes with the final response's
// header, so Dial fails with ErrHeaderTooLarge and closes the connection
// instead of reading forever.
func TestDialEndlessInterimResponses(t *testing.T) {
	for _, limit := range []int{4 << 10, 0} {
		t.Run(fmt.Sprintf("MaxHeaderBytes %d", limit), func(t *testing.T) {
			ended := make(chan error, 1)
			srv := rawListen(t, func(nc net.Conn) {
				if _, err := http.ReadRequest(bufio.NewReader(nc)); err != nil {
					ended <- err
					return
				}
				var err error
				for err == nil {
					_, err = io.WriteString(nc, "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n")
				}
				ended <- err
			})
			c, _, err := dialTestDial(t, context.Background(), "ws://"+srv.addr+"/", &DialOptions{MaxHeaderBytes: limit})
			if c != nil || !errors.Is(err, ErrHeaderTooLarge) {
				t.Fatalf("Dial = %v, %v; want ErrHeaderTooLarge", c, err)
			}
			dialTestCheckClientClosed(t, await(t, ended, "the end of the server's writes"))
		})
	}
}

// TestDialContextBoundsHandshake checks that ctx bounds the whole opening
// handshake, as Dial documents, at each stage where a peer can stall it:
// the server not answering the HTTP request, the server not answering the
// TLS handshake, and a proxy not answering CONNECT. A timeout gives an
// error matching context.DeadlineExceeded, a cancellation one matching
// context.Canceled, and either way the connection is closed (RFC 6455
// section 4.1 item 4: the client MUST fail the connection).
func TestDialContextBoundsHandshake(t *testing.T) {
	// silentServer reads and never answers; it reports once it has read
	// something and how reading ended.
	silentServer := func(t *testing.T) (addr string, started <-chan struct{}, ended <-chan error) {
		st := make(chan struct{}, 1)
		en := make(chan error, 16)
		srv := rawListen(t, func(nc net.Conn) {
			var b [1]byte
			_, err := nc.Read(b[:])
			if err == nil {
				select {
				case st <- struct{}{}:
				default:
				}
				_, err = io.Copy(io.Discard, nc)
			}
			select {
			case en <- err:
			default:
			}
		})
		return srv.addr, st, en
	}
	stages := []struct {
		name  string
		start func(t *testing.T) (url string, opts *DialOptions, started <-chan struct{}, ended <-chan error)
	}{
		{name: "server never answers the HTTP request", start: func(t *testing.T) (string, *DialOptions, <-chan struct{}, <-chan error) {
			addr, st, en := silentServer(t)
			return "ws://" + addr + "/", nil, st, en
		}},
		{name: "server never answers the TLS handshake", start: func(t *testing.T) (string, *DialOptions, <-chan struct{}, <-chan error) {
			addr, st, en := silentServer(t)
			return "wss://" + addr + "/", nil, st, en
		}},
		{name: "proxy never answers CONNECT", start: func(t *testing.T) (string, *DialOptions, <-chan struct{}, <-chan error) {
			p := dialTestStartProxy(t, dialTestProxyConfig{silent: true})
			return "ws://127.0.0.1:1/", &DialOptions{Proxy: http.ProxyURL(p.url)}, p.got, p.ended
		}},
	}
	for _, st := range stages {
		t.Run(st.name+"/deadline", func(t *testing.T) {
			url, opts, _, ended := st.start(t)
			// The context's deadline may also be set on the socket, where
			// it expires at the same instant as the context's own timer; a
			// few attempts let a race between the two show.
			const attempts = 10
			for i := 0; i < attempts; i++ {
				ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
				c, _, err := dialTestDial(t, ctx, url, opts)
				cancel()
				if c != nil || err == nil {
					t.Fatalf("attempt %d: Dial = %v, %v; want an error", i+1, c, err)
				}
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("attempt %d: Dial error %q does not match context.DeadlineExceeded", i+1, err)
				}
				dialTestCheckClientClosed(t, await(t, ended, fmt.Sprintf("attempt %d: the end of the connection, seen by the peer", i+1)))
			}
		})
		t.Run(st.name+"/cancel", func(t *testing.T) {
			url, opts, started, ended := st.start(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go func() {
				select {
				case <-started:
				case <-time.After(peerTimeout):
				}
				cancel()
			}()
			c, _, err := dialTestDial(t, ctx, url, opts)
			if c != nil || err == nil {
				t.Fatalf("Dial = %v, %v; want an error", c, err)
			}
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Dial error %q does not match context.Canceled", err)
			}
			dialTestCheckClientClosed(t, await(t, ended, "the end of the connection, seen by the peer"))
		})
	}
}
