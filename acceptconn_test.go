package websocket

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// acServe runs a server that calls AcceptConn with opts on each connection
// and echoes messages on those accepted, and returns its address and the
// errors AcceptConn returned.
func acServe(t *testing.T, opts *AcceptOptions) (string, chan error) {
	t.Helper()
	errs := make(chan error, 16)
	s := rawListen(t, func(nc net.Conn) {
		c, err := AcceptConn(nc, opts)
		errs <- err
		if err != nil {
			return
		}
		defer c.CloseNow()
		echoServe(c)
	})
	return s.addr, errs
}

// TestAcceptConnEcho dials a server built on AcceptConn and exchanges
// messages, plain and compressed, including one the client sends right
// behind its request.
func TestAcceptConnEcho(t *testing.T) {
	for _, compress := range []bool{false, true} {
		var opts AcceptOptions
		var dopts DialOptions
		if compress {
			opts.Compression = &CompressionOptions{}
			dopts.Compression = &CompressionOptions{}
		}
		addr, errs := acServe(t, &opts)
		ctx, cancel := context.WithTimeout(context.Background(), peerTimeout)
		c, _, err := Dial(ctx, "ws://"+addr+"/x", &dopts)
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		if err := <-errs; err != nil {
			t.Fatalf("AcceptConn: %v", err)
		}
		if got := len(c.Extensions()) > 0; got != compress {
			t.Errorf("compression negotiated: %v, want %v", got, compress)
		}
		for _, n := range []int{0, 1, 125, 126, 5000, 70000} {
			msg := []byte(strings.Repeat("a", n))
			if n >= 2 {
				copy(msg, "é")
			}
			if err := c.WriteMessage(ctx, MessageText, msg); err != nil {
				t.Fatal(err)
			}
			typ, got, err := c.ReadMessage(ctx, nil)
			if err != nil || typ != MessageText || string(got) != string(msg) {
				t.Fatalf("echo of %d bytes: %v %d bytes, %v", n, typ, len(got), err)
			}
		}
		c.Close(StatusNormalClosure, "")
		cancel()
	}

	// A frame sent in the same write as the request is read, not lost.
	addr, errs := acServe(t, nil)
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(peerTimeout))
	req := "GET / HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + hsKey + "\r\n\r\n"
	frame := []byte{0x82, 0x83, 1, 2, 3, 4, 'a' ^ 1, 'b' ^ 2, 'c' ^ 3}
	if _, err := nc.Write(append([]byte(req), frame...)); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(nc)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("response %v, %v", resp, err)
	}
	if err := <-errs; err != nil {
		t.Fatalf("AcceptConn: %v", err)
	}
	echo := make([]byte, 5)
	if _, err := io.ReadFull(br, echo); err != nil || string(echo) != "\x82\x03abc" {
		t.Fatalf("echo %q, %v", echo, err)
	}
}

// TestAcceptConnRefuses checks that bad requests get an HTTP error and a
// closed connection.
func TestAcceptConnRefuses(t *testing.T) {
	addr, errs := acServe(t, nil)
	for _, tc := range []struct {
		name, req string
		status    int
	}{
		{"not HTTP", "hello\r\n\r\n", http.StatusBadRequest},
		{"no upgrade", "GET / HTTP/1.1\r\nHost: a\r\n\r\n", http.StatusBadRequest},
		{"old version", "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 8\r\nSec-WebSocket-Key: " + hsKey + "\r\n\r\n", http.StatusUpgradeRequired},
		{"foreign origin", "GET / HTTP/1.1\r\nHost: a\r\nOrigin: http://evil.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + hsKey + "\r\n\r\n", http.StatusForbidden},
		{"too large", "GET / HTTP/1.1\r\nHost: a\r\nX: " + strings.Repeat("x", 5000) + "\r\n\r\n", http.StatusRequestHeaderFieldsTooLarge},
		// RFC 9112 section 3.2 asks a Host of every HTTP/1.1 request, and
		// a valid one even where the target's authority overrides it;
		// net/http's server exempts CONNECT from the first and checks only
		// the characters of the Host, so these have no counterpart in
		// TestHandshakeRequestHTTPRules.
		{"CONNECT without Host", "CONNECT /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + hsKey + "\r\n\r\n", http.StatusBadRequest},
		{"absolute form with a malformed Host", "GET http://a/ws HTTP/1.1\r\nHost: a:b:c\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + hsKey + "\r\n\r\n", http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nc, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			nc.SetDeadline(time.Now().Add(peerTimeout))
			nc.Write([]byte(tc.req))
			resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
			if err != nil {
				t.Fatalf("reading the response: %v", err)
			}
			if resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if !resp.Close {
				t.Errorf("response does not close the connection")
			}
			if err := <-errs; err == nil {
				t.Errorf("AcceptConn accepted the request")
			}
		})
	}
}

// TestAcceptConnHandshakeTimeout checks that AcceptConn bounds the opening
// handshake: a client that sends its request too slowly is cut off at
// HandshakeTimeout, and a connection whose handshake succeeded keeps no
// deadline from it.
func TestAcceptConnHandshakeTimeout(t *testing.T) {
	addr, errs := acServe(t, &AcceptOptions{HandshakeTimeout: 100 * time.Millisecond})

	slow, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	io.WriteString(slow, "GET / HTTP/1.1\r\nHost: x\r\n") // and no more
	select {
	case err := <-errs:
		if !isTimeout(err) {
			t.Fatalf("AcceptConn: %v, want a timeout", err)
		}
	case <-time.After(peerTimeout):
		t.Fatal("AcceptConn did not give up on the slow request")
	}

	c, _ := hsDial(t, "ws://"+addr+"/", nil)
	if err := <-errs; err != nil {
		t.Fatalf("AcceptConn: %v", err)
	}
	time.Sleep(300 * time.Millisecond) // past the handshake's deadline
	hsEchoRoundTrip(t, c, MessageText, "after the handshake timeout")
}
