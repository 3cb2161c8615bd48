package websocket

// Tests of Dial falling back to HTTP/1.1 when the server does not take
// WebSockets over HTTP/2 (no HTTP/2 at all, or no extended CONNECT, RFC 8441
// section 3), and of a server taking both on one port.

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestH2FallbackNoH2 dials a server that speaks HTTP/1.1 only. Over TLS,
// ALPN offers no HTTP/2 and the handshake goes on over HTTP/1.1 on the same
// connection; for a ws URL, the h2c connection fails before the server's
// SETTINGS, and the handshake goes on over HTTP/1.1 on a new connection.
func TestH2FallbackNoH2(t *testing.T) {
	for _, tc := range []struct {
		name      string
		tls       bool
		wantConns int32
	}{{"ALPN", true, 1}, {"NoH2C", false, 2}} {
		t.Run(tc.name, func(t *testing.T) {
			checkNoLeaks(t)
			s := newH2ServerNoH2(t, tc.tls)
			c, resp, proto := dialEcho(t, s.url, s.dialOptions(t))
			defer c.CloseNow()
			if proto != "HTTP/1.1" || resp.StatusCode != http.StatusSwitchingProtocols {
				t.Fatalf("server saw %s, response status %d", proto, resp.StatusCode)
			}
			if err := c.Close(StatusNormalClosure, ""); err != nil {
				t.Fatal(err)
			}
			s.event(t)
			if got := s.conns.Load(); got != tc.wantConns {
				t.Errorf("%d connections, want %d", got, tc.wantConns)
			}
		})
	}
}

// TestH2FallbackNoExtendedConnect dials, over h2c and TLS, a server whose
// HTTP/2 does not allow extended CONNECT (a child process without
// GODEBUG=http2xconnect=1): Dial falls back to HTTP/1.1.
func TestH2FallbackNoExtendedConnect(t *testing.T) {
	checkNoLeaks(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestH2HelperServer$")
	var env []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "GODEBUG=") {
			env = append(env, e)
		}
	}
	cmd.Env = append(env, "WEBSOCKET_TEST_CHILD=1", "WEBSOCKET_H2_HELPER=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stdin.Close()
		cmd.Wait()
	}()
	sc := bufio.NewScanner(stdout)
	urls := map[string]string{}
	var certPEM []byte
	for sc.Scan() {
		line := sc.Text()
		if line == "READY" {
			break
		}
		k, v, _ := strings.Cut(line, " ")
		if k == "CERT" {
			certPEM = append(certPEM, []byte(strings.ReplaceAll(v, `\n`, "\n"))...)
			continue
		}
		urls[k] = v
	}
	go io.Copy(io.Discard, stdout)
	if urls["h2c"] == "" || urls["tls"] == "" {
		t.Fatalf("helper server said %v", urls)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	for _, mode := range []string{"h2c", "tls"} {
		t.Run(mode, func(t *testing.T) {
			h2 := &HTTP2Transport{}
			defer h2.CloseIdleConnections()
			opts := &DialOptions{HTTP2: h2, TLSConfig: &tls.Config{RootCAs: pool}, Proxy: noProxy}
			for range 2 { // the second Dial finds the HTTP/2 connection open
				c, resp, proto := dialEcho(t, urls[mode], opts)
				if proto != "HTTP/1.1" || resp.StatusCode != http.StatusSwitchingProtocols {
					t.Fatalf("server saw %s, response status %d", proto, resp.StatusCode)
				}
				if err := c.Close(StatusNormalClosure, ""); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// TestH2HelperServer is the server of TestH2FallbackNoExtendedConnect, run
// in a child process: HTTP/2 (h2c and TLS) without extended CONNECT, and
// HTTP/1.1.
func TestH2HelperServer(t *testing.T) {
	if os.Getenv("WEBSOCKET_H2_HELPER") == "" {
		t.Skip("run by TestH2FallbackNoExtendedConnect")
	}
	if HTTP2ExtendedConnect() {
		t.Fatal("extended CONNECT is on in the helper")
	}
	h2c := newH2Server(t, false, AcceptOptions{})
	tlsSrv := newH2Server(t, true, AcceptOptions{})
	var cert bytes.Buffer
	pemEncode(&cert, tlsSrv.Certificate().Raw)
	fmt.Printf("h2c %s\ntls %s\nCERT %s\nREADY\n", h2c.url, tlsSrv.url, strings.ReplaceAll(cert.String(), "\n", `\n`))
	io.Copy(io.Discard, os.Stdin)
}

func pemEncode(w io.Writer, der []byte) {
	pem.Encode(w, &pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// TestH2ServerTakesHTTP1 checks that a server taking WebSockets over
// HTTP/2 still takes HTTP/1.1 upgrades on the same port, and that both kinds
// share the handler.
func TestH2ServerTakesHTTP1(t *testing.T) {
	forH2Modes(t, func(t *testing.T, useTLS bool) {
		checkNoLeaks(t)
		s := newH2Server(t, useTLS, AcceptOptions{})
		h1, resp1, proto1 := dialEcho(t, s.url, &DialOptions{TLSConfig: s.tlsConfig(), Proxy: noProxy})
		h2, resp2, proto2 := dialEcho(t, s.url, s.dialOptions(t))
		if proto1 != "HTTP/1.1" || resp1.StatusCode != http.StatusSwitchingProtocols {
			t.Errorf("without HTTP2: over %s, status %d", proto1, resp1.StatusCode)
		}
		if proto2 != "HTTP/2.0" || resp2.StatusCode != http.StatusOK {
			t.Errorf("with HTTP2: over %s, status %d", proto2, resp2.StatusCode)
		}
		for _, c := range []*Conn{h1, h2} {
			if err := c.Close(StatusNormalClosure, ""); err != nil {
				t.Fatal(err)
			}
			s.event(t)
		}
	})
}
