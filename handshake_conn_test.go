package websocket

// Tests of the connection Accept takes over: over TLS (RFC 6455 section
// 4.2.2 item 1), under an http.Server of one's own rather than httptest's,
// and with frames that arrive in the same read as the request.

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestAcceptOverTLS runs the handshake over httptest.NewTLSServer (RFC 6455
// section 4.2.2 item 1: all further communication runs through the TLS
// tunnel) and exchanges messages both ways, with wss and https URLs and
// with either way of trusting the test certificate.
func TestAcceptOverTLS(t *testing.T) {
	s := hsStart(t, hsServerConfig{tls: true, serve: hsGreetThenEcho})
	pool := x509.NewCertPool()
	pool.AddCert(s.srv.Certificate())
	clientTLS := s.srv.Client().Transport.(*http.Transport).TLSClientConfig
	tests := []struct {
		name string
		url  string
		cfg  *tls.Config
	}{
		{name: "wss URL, RootCAs from srv.Certificate", url: s.url("/ws"), cfg: &tls.Config{RootCAs: pool}},
		{name: "https URL, RootCAs from srv.Certificate", url: s.srv.URL + "/ws", cfg: &tls.Config{RootCAs: pool}},
		{name: "wss URL, the test client's TLS config", url: s.url("/ws"), cfg: clientTLS},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, resp := hsDial(t, tc.url, &DialOptions{TLSConfig: tc.cfg})
			if resp.StatusCode != http.StatusSwitchingProtocols {
				t.Errorf("status = %s", resp.Status)
			}
			if _, ok := c.NetConn().(*tls.Conn); !ok {
				t.Errorf("NetConn is %T, want *tls.Conn", c.NetConn())
			}
			hsExpectMessage(t, c, MessageText, "hello from server")
			hsEchoRoundTrip(t, c, MessageText, "hello from client")
			hsEchoRoundTrip(t, c, MessageBinary, strings.Repeat("\xff", 70000))
			if res := s.result(t); res.err != nil {
				t.Errorf("Accept: %v", res.err)
			}
		})
	}
}

// TestAcceptWithPlainHTTPServer runs Accept under an http.Server serving a
// net.Listener of its own, rather than httptest, and exchanges messages both
// ways.
func TestAcceptWithPlainHTTPServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := hsNewServerState()
	srv := &http.Server{Handler: s.handler(t, hsServerConfig{serve: hsGreetThenEcho})}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		srv.Close()
		select {
		case err := <-served:
			if !errors.Is(err, http.ErrServerClosed) {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(peerTimeout):
			t.Errorf("Serve did not return")
		}
		awaitGroup(t, &s.wg, "server handlers")
	})

	c, _ := hsDial(t, "ws://"+ln.Addr().String()+"/ws", nil)
	hsExpectMessage(t, c, MessageText, "hello from server")
	hsEchoRoundTrip(t, c, MessageText, "hello from client")
	if res := s.result(t); res.err != nil {
		t.Errorf("Accept: %v", res.err)
	}
	// The server must still speak HTTP to other clients.
	plain := rawDial(t, ln.Addr().String())
	hsCheckNotHijacked(t, plain)
}

// TestAcceptKeepsBytesSentWithTheRequest sends the opening handshake and
// two masked frames in a single write: the frames arrive in net/http's
// read buffer with the request, and the server must still read them as the
// first messages (RFC 6455 section 4.1: once the handshake is sent the
// client may send data as soon as the connection is established; section
// 5.3: client frames are masked). The server's reply must be unmasked
// (section 5.1).
func TestAcceptKeepsBytesSentWithTheRequest(t *testing.T) {
	got := make(chan string, 3)
	s := hsStart(t, hsServerConfig{serve: func(c *Conn) error {
		ctx, cancel := context.WithTimeout(context.Background(), peerTimeout)
		defer cancel()
		for i := 0; i < 2; i++ {
			typ, msg, err := c.ReadMessage(ctx, nil)
			if err != nil {
				got <- "error: " + err.Error()
				return err
			}
			got <- typ.String() + " " + string(msg)
		}
		return c.WriteMessage(ctx, MessageText, []byte("got both"))
	}})

	// Masked with keys of their own, as a client's frames are.
	masked := func(op Opcode, payload string, key [4]byte) []byte {
		return encodeFrame(FrameHeader{Fin: true, Opcode: op, Masked: true, Mask: key, Length: int64(len(payload))}, []byte(payload))
	}
	c := rawDial(t, s.addr())
	c.write(slices.Concat([]byte(hsRequestText("GET /ws HTTP/1.1", hsHandshakeLines(s.addr()))),
		masked(OpText, "early text", [4]byte{1, 2, 3, 4}),
		masked(OpBinary, "early\x00binary", [4]byte{0xa, 0xb, 0xc, 0xd})))
	resp := c.readResponse(http.MethodGet)
	hsCheckAccepted(t, resp, hsKey)
	if res := s.result(t); res.err != nil {
		t.Fatalf("Accept: %v", res.err)
	}
	for _, want := range []string{"text early text", "binary early\x00binary"} {
		if g := await(t, got, "the server's read of "+want); g != want {
			t.Errorf("server read %q, want %q", g, want)
		}
	}
	// An unmasked final text frame (readFrame checks the mask bit).
	c.expectFrame(true, OpText, []byte("got both"))
}
