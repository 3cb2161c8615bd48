package xconnect_test

import (
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"testing"

	"github.com/f30c7f75/websocket"
	_ "github.com/f30c7f75/websocket/xconnect"
)

// dialH2 serves WebSockets over h2c and HTTP/1.1 on a loopback port, dials
// one over HTTP/2 if the server allows it, and returns the HTTP major
// version it came over.
func dialH2(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true)
	hs := &http.Server{Protocols: &protocols, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		c.ReadMessage(r.Context(), nil)
	})}
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })

	h2 := &websocket.HTTP2Transport{}
	defer h2.CloseIdleConnections()
	c, resp, err := websocket.Dial(context.Background(), "ws://"+ln.Addr().String()+"/", &websocket.DialOptions{HTTP2: h2})
	if err != nil {
		t.Fatal(err)
	}
	c.Close(websocket.StatusNormalClosure, "")
	return resp.ProtoMajor
}

// TestImportTurnsItOn checks that importing the package is enough for
// net/http's server to take WebSockets over HTTP/2, and for
// HTTP2ExtendedConnect to say so.
func TestImportTurnsItOn(t *testing.T) {
	if os.Getenv("XCONNECT_TEST_GODEBUG") != "" {
		t.Skip("a child process of TestAgreesWithNetHTTP")
	}
	if !websocket.HTTP2ExtendedConnect() {
		t.Error("HTTP2ExtendedConnect() = false")
	}
	if major := dialH2(t); major != 2 {
		t.Errorf("the WebSocket came over HTTP/%d, want 2", major)
	}
}

// TestAgreesWithNetHTTP runs this test binary again with settings of
// GODEBUG that the import leaves alone, and checks in each that
// HTTP2ExtendedConnect says what net/http's server does, and that an
// explicit http2xconnect=0 keeps it off.
func TestAgreesWithNetHTTP(t *testing.T) {
	if godebug := os.Getenv("XCONNECT_TEST_GODEBUG"); godebug != "" {
		on := websocket.HTTP2ExtendedConnect()
		if major := dialH2(t); on != (major == 2) {
			t.Errorf("GODEBUG=%s: HTTP2ExtendedConnect() = %v, and the WebSocket came over HTTP/%d", godebug, on, major)
		}
		if godebug == "http2xconnect=0" && on {
			t.Error("http2xconnect=0 was overridden")
		}
		return
	}
	for _, godebug := range []string{"http2xconnect=0", "http2xconnect=10", "http2xconnect=1,http2xconnect=0", "x=1,http2xconnect=1"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestAgreesWithNetHTTP$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), "GODEBUG="+godebug, "XCONNECT_TEST_GODEBUG="+godebug)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("GODEBUG=%s: %v\n%s", godebug, err, out)
		}
	}
}
