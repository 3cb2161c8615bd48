package interop

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/f30c7f75/websocket"
)

// The interoperability suite: our server and client against Chromium's
// WebSocket API, the Node ws library and the Python websockets library, each
// in every role it has. Every pairing runs the same steps, minus those its
// peer cannot do (a browser cannot send pings or fragments, nor show
// response headers).

// The message sizes every pairing exchanges, and the large one that a few
// steps add.
var (
	sizes   = []int{0, 1, 125, 126, 64 << 10, 1 << 20}
	bigSize = 16 << 20
)

// manySizes are the sizes of the many small messages sent in a row.
func manySizes(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i * 37 % 300
	}
	return s
}

// The permessage-deflate configurations. Each is given to both ends, so
// that each end asks for or agrees to the same parameters.
var (
	deflateTakeover   = &deflateConfig{Name: "context-takeover"}
	deflateNoTakeover = &deflateConfig{Name: "no-context-takeover", ServerNoContextTakeover: true, ClientNoContextTakeover: true}
	deflateWindows    = &deflateConfig{Name: "windows-10-9", ServerMaxWindowBits: 10, ClientMaxWindowBits: 9}
	deflateMixed      = &deflateConfig{Name: "server-no-takeover-client-window-12", ServerNoContextTakeover: true, ClientMaxWindowBits: 12}
	// Python's zlib cannot compress with an 8-bit window; zlib in Node and
	// Chromium compresses with 9 bits when asked for 8, which a reader
	// must tolerate.
	deflateWindows8 = &deflateConfig{Name: "windows-8", ServerMaxWindowBits: 8, ClientMaxWindowBits: 8}
)

// pairing is our side in one role against one peer in the other.
type pairing struct {
	peerName     string // "chromium", "node", "python": also the value of its X-Interop header
	peerIsServer bool
	available    func(t *testing.T)
	open         func(ctx context.Context, t *testing.T, st setup) *session

	fragments bool // the peer can send fragmented messages
	pings     bool // the peer can send pings, and reports those it got
	headers   bool // the peer can send extra headers and show those it got
	deflates  []*deflateConfig
}

func TestChromium(t *testing.T) {
	runPairing(t, &pairing{
		peerName:  "chromium",
		available: func(t *testing.T) { startBrowser(t) },
		open:      openBrowser,
		deflates:  []*deflateConfig{deflateTakeover, deflateNoTakeover, deflateWindows, deflateMixed, deflateWindows8},
	})
}

func TestNodeClient(t *testing.T) {
	runPairing(t, &pairing{
		peerName:  "node",
		available: nodeAvailable,
		open:      openPeerClient("node", startNode),
		fragments: true, pings: true, headers: true,
		deflates: []*deflateConfig{deflateTakeover, deflateNoTakeover, deflateWindows, deflateMixed, deflateWindows8},
	})
}

func TestNodeServer(t *testing.T) {
	runPairing(t, &pairing{
		peerName:     "node",
		peerIsServer: true,
		available:    nodeAvailable,
		open:         openPeerServer("node", startNode),
		fragments:    true, pings: true, headers: true,
		deflates: []*deflateConfig{deflateTakeover, deflateNoTakeover, deflateWindows, deflateMixed, deflateWindows8},
	})
}

func TestPythonClient(t *testing.T) {
	runPairing(t, &pairing{
		peerName:  "python",
		available: pythonAvailable,
		open:      openPeerClient("python", startPython),
		fragments: true, pings: true, headers: true,
		deflates: []*deflateConfig{deflateTakeover, deflateNoTakeover, deflateWindows, deflateMixed},
	})
}

func TestPythonServer(t *testing.T) {
	runPairing(t, &pairing{
		peerName:     "python",
		peerIsServer: true,
		available:    pythonAvailable,
		open:         openPeerServer("python", startPython),
		fragments:    true, pings: true, headers: true,
		deflates: []*deflateConfig{deflateTakeover, deflateNoTakeover, deflateWindows, deflateMixed},
	})
}

// stepTimeout bounds every step, so that nothing hangs.
const stepTimeout = 60 * time.Second

func stepCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	t.Cleanup(cancel)
	return ctx
}

func runPairing(t *testing.T, p *pairing) {
	p.available(t)
	pairingPlain(t, p)
	pairingEnds(t, p)
	pairingDeflate(t, p)
	pairingTLS(t, p)
}

// pairingPlain exchanges messages of every size both ways, whole and
// fragmented, pings, and closes, without compression.
func pairingPlain(t *testing.T, p *pairing) {
	t.Run("plain", func(t *testing.T) {
		ctx := stepCtx(t)
		s := p.open(ctx, t, setup{})
		t.Run("handshake", func(t *testing.T) { checkHandshake(t, p, s, setup{}) })
		for _, typ := range []string{"text", "binary"} {
			t.Run("peer-sends-"+typ, func(t *testing.T) {
				peerSends(stepCtx(t), t, s, typ, append(slices.Clone(sizes), bigSize), 0)
			})
		}
		if p.fragments {
			for _, typ := range []string{"text", "binary"} {
				t.Run("peer-sends-fragmented-"+typ, func(t *testing.T) {
					peerSends(stepCtx(t), t, s, typ, sizes, 4)
				})
			}
		}
		t.Run("we-send-text", func(t *testing.T) {
			weSend(stepCtx(t), t, s, websocket.MessageText, append(slices.Clone(sizes), bigSize), 1)
		})
		t.Run("we-send-fragmented-binary", func(t *testing.T) {
			weSend(stepCtx(t), t, s, websocket.MessageBinary, append(slices.Clone(sizes), bigSize), 4)
		})
		t.Run("peer-sends-1000", func(t *testing.T) {
			peerSends(stepCtx(t), t, s, "text", manySizes(1000), 0)
		})
		t.Run("we-send-1000", func(t *testing.T) {
			weSend(stepCtx(t), t, s, websocket.MessageBinary, manySizes(1000), 1)
		})
		t.Run("we-ping", func(t *testing.T) { wePing(stepCtx(t), t, p, s) })
		if p.pings {
			t.Run("peer-pings", func(t *testing.T) { peerPings(stepCtx(t), t, s) })
		}
		t.Run("we-close", func(t *testing.T) { weClose(stepCtx(t), t, s) })
	})

}

// pairingEnds checks how each side sees the other end the connection: with
// a close frame, or by vanishing.
func pairingEnds(t *testing.T, p *pairing) {
	t.Run("peer-closes", func(t *testing.T) {
		ctx := stepCtx(t)
		s := p.open(ctx, t, setup{})
		peerSends(ctx, t, s, "text", []int{10}, 0)
		peerCloses(ctx, t, s)
	})

	t.Run("peer-vanishes", func(t *testing.T) {
		ctx := stepCtx(t)
		s := p.open(ctx, t, setup{killable: true})
		peerSends(ctx, t, s, "binary", []int{10}, 0)
		s.peer.kill(t)
		err := s.readEnd(ctx)
		if websocket.CloseStatus(err) != websocket.StatusAbnormalClosure {
			t.Errorf("our end read %v after the peer vanished, want a CloseError with 1006", err)
		}
	})

	t.Run("we-vanish", func(t *testing.T) {
		ctx := stepCtx(t)
		s := p.open(ctx, t, setup{})
		peerSends(ctx, t, s, "binary", []int{10}, 0)
		s.ours.CloseNow() // drops TCP without a close frame
		var ci closeInfo
		s.call(ctx, "closed", nil, &ci)
		if ci.Code != 1006 || ci.WasClean {
			t.Errorf("the peer saw the connection end with %+v, want code 1006, not clean", ci)
		}
	})

}

// pairingDeflate repeats the exchanges with each of the pairing's
// permessage-deflate configurations, and checks that messages travel
// compressed.
func pairingDeflate(t *testing.T, p *pairing) {
	for _, d := range p.deflates {
		t.Run("deflate-"+d.Name, func(t *testing.T) {
			ctx := stepCtx(t)
			st := setup{deflate: d}
			s := p.open(ctx, t, st)
			t.Run("handshake", func(t *testing.T) { checkHandshake(t, p, s, st) })
			// The largest message only with and without context takeover,
			// to keep the run short.
			extra := []int{}
			if d == deflateTakeover || d == deflateNoTakeover {
				extra = []int{bigSize}
			}
			for _, typ := range []string{"text", "binary"} {
				t.Run("peer-sends-"+typ, func(t *testing.T) {
					peerSends(stepCtx(t), t, s, typ, append(slices.Clone(sizes), extra...), 0)
				})
			}
			if p.fragments {
				t.Run("peer-sends-fragmented-text", func(t *testing.T) {
					peerSends(stepCtx(t), t, s, "text", sizes, 3)
				})
			}
			t.Run("we-send-fragmented-text", func(t *testing.T) {
				weSend(stepCtx(t), t, s, websocket.MessageText, sizes, 3)
			})
			t.Run("we-send-binary", func(t *testing.T) {
				weSend(stepCtx(t), t, s, websocket.MessageBinary, append(slices.Clone(sizes), extra...), 1)
			})
			t.Run("peer-sends-300", func(t *testing.T) {
				peerSends(stepCtx(t), t, s, "text", manySizes(300), 0)
			})
			t.Run("we-send-300", func(t *testing.T) {
				weSend(stepCtx(t), t, s, websocket.MessageText, manySizes(300), 1)
			})
			t.Run("compressed-on-the-wire", func(t *testing.T) { checkCompressed(stepCtx(t), t, s) })
			t.Run("we-close", func(t *testing.T) { weClose(stepCtx(t), t, s) })
		})
	}

}

// pairingTLS repeats a few exchanges over TLS, plain and compressed.
func pairingTLS(t *testing.T, p *pairing) {
	t.Run("tls", func(t *testing.T) {
		ctx := stepCtx(t)
		st := setup{tls: true}
		s := p.open(ctx, t, st)
		t.Run("handshake", func(t *testing.T) { checkHandshake(t, p, s, st) })
		for _, typ := range []string{"text", "binary"} {
			t.Run("peer-sends-"+typ, func(t *testing.T) {
				peerSends(stepCtx(t), t, s, typ, sizes, 0)
			})
		}
		t.Run("we-send-fragmented-binary", func(t *testing.T) {
			weSend(stepCtx(t), t, s, websocket.MessageBinary, sizes, 4)
		})
		t.Run("we-ping", func(t *testing.T) { wePing(stepCtx(t), t, p, s) })
		t.Run("peer-closes", func(t *testing.T) { peerCloses(stepCtx(t), t, s) })
	})

	t.Run("tls-deflate", func(t *testing.T) {
		ctx := stepCtx(t)
		st := setup{tls: true, deflate: deflateTakeover}
		s := p.open(ctx, t, st)
		t.Run("handshake", func(t *testing.T) { checkHandshake(t, p, s, st) })
		t.Run("peer-sends-text", func(t *testing.T) {
			peerSends(stepCtx(t), t, s, "text", sizes, 0)
		})
		t.Run("we-send-fragmented-text", func(t *testing.T) {
			weSend(stepCtx(t), t, s, websocket.MessageText, sizes, 3)
		})
		t.Run("compressed-on-the-wire", func(t *testing.T) { checkCompressed(stepCtx(t), t, s) })
		t.Run("we-close", func(t *testing.T) { weClose(stepCtx(t), t, s) })
	})
}

// ---- Opening connections ----

// openPeerClient opens a connection from a Node or Python client to our
// server.
func openPeerClient(name string, start func(*testing.T, peerConfig) *peerProc) func(context.Context, *testing.T, setup) *session {
	return func(ctx context.Context, t *testing.T, st setup) *session {
		t.Helper()
		srv := startOurServer(t, st)
		cfg := peerConfig{
			Role:      "client",
			URL:       srv.url(true, "/ws"),
			Protocols: clientProtocols,
			Headers:   map[string]string{clientHeaderName: name},
			Deflate:   st.deflate,
		}
		if st.tls {
			cfg.TLS = map[string]string{"ca": testCert.certFile}
		}
		p := start(t, cfg)
		var open peerOpen
		if err := p.call(ctx, "open", nil, &open); err != nil {
			t.Fatal(err)
		}
		a := srv.accept(ctx, t)
		s := newSession(t, name, a.conn, p)
		s.open, s.ourHeaders = open, a.header
		return s
	}
}

// openPeerServer opens a connection from our client to a Node or Python
// server.
func openPeerServer(name string, start func(*testing.T, peerConfig) *peerProc) func(context.Context, *testing.T, setup) *session {
	return func(ctx context.Context, t *testing.T, st setup) *session {
		t.Helper()
		cfg := peerConfig{
			Role:      "server",
			Protocols: serverProtocols,
			Headers:   map[string]string{serverHeaderName: name},
			Deflate:   st.deflate,
		}
		if st.tls {
			cfg.TLS = map[string]string{"cert": testCert.certFile, "key": testCert.keyFile}
		}
		p := start(t, cfg)
		var listening struct{ Port int }
		if err := p.event(ctx, &listening); err != nil {
			t.Fatal(err)
		}
		c, resp := dialPeer(ctx, t, listening.Port, st)
		var open peerOpen
		if err := p.call(ctx, "open", nil, &open); err != nil {
			t.Fatal(err)
		}
		s := newSession(t, name, c, p)
		s.open, s.ourHeaders = open, resp.Header
		return s
	}
}

// openBrowser opens a connection from a Chromium tab to our server, which
// also serves the tab's page.
func openBrowser(ctx context.Context, t *testing.T, st setup) *session {
	t.Helper()
	srv := startOurServer(t, st)
	b := startBrowser(t)
	if st.killable {
		b = startOwnBrowser(t)
	}
	tb := openTab(t, b, srv.url(false, "/"))
	var open peerOpen
	if err := tb.call(ctx, "open", map[string]any{"url": srv.url(true, "/ws"), "protocols": clientProtocols}, &open); err != nil {
		t.Fatal(err)
	}
	a := srv.accept(ctx, t)
	s := newSession(t, "chromium", a.conn, tb)
	s.open, s.ourHeaders = open, a.header
	return s
}

// ---- Steps ----

// pmdParams are permessage-deflate parameters in force, windows defaulted.
type pmdParams struct {
	ServerNoContextTakeover, ClientNoContextTakeover bool
	ServerMaxWindowBits, ClientMaxWindowBits         int
}

// parsePMD reads the parameters from a Sec-WebSocket-Extensions value.
func parsePMD(ext string) (pmdParams, error) {
	p := pmdParams{ServerMaxWindowBits: 15, ClientMaxWindowBits: 15}
	parts := strings.Split(ext, ";")
	if strings.TrimSpace(parts[0]) != "permessage-deflate" {
		return p, fmt.Errorf("extensions %q are not permessage-deflate alone", ext)
	}
	for _, part := range parts[1:] {
		name, value, _ := strings.Cut(strings.TrimSpace(part), "=")
		bits, _ := strconv.Atoi(strings.Trim(value, `"`))
		switch name {
		case "server_no_context_takeover":
			p.ServerNoContextTakeover = true
		case "client_no_context_takeover":
			p.ClientNoContextTakeover = true
		case "server_max_window_bits":
			p.ServerMaxWindowBits = bits
		case "client_max_window_bits":
			if bits != 0 {
				p.ClientMaxWindowBits = bits
			}
		default:
			return p, fmt.Errorf("unknown parameter %q in %q", name, ext)
		}
	}
	return p, nil
}

func (d *deflateConfig) want() pmdParams {
	p := pmdParams{d.ServerNoContextTakeover, d.ClientNoContextTakeover, d.ServerMaxWindowBits, d.ClientMaxWindowBits}
	if p.ServerMaxWindowBits == 0 {
		p.ServerMaxWindowBits = 15
	}
	if p.ClientMaxWindowBits == 0 {
		p.ClientMaxWindowBits = 15
	}
	return p
}

// checkHandshake checks the subprotocol, the extra headers each way and
// the extensions, as each end saw them.
func checkHandshake(t *testing.T, p *pairing, s *session, st setup) {
	if got := s.ours.Subprotocol(); got != wantProtocol {
		t.Errorf("our end: subprotocol %q, want %q", got, wantProtocol)
	}
	if s.open.Protocol != wantProtocol {
		t.Errorf("%s: subprotocol %q, want %q", s.name, s.open.Protocol, wantProtocol)
	}
	switch {
	case p.peerIsServer:
		if got := s.open.Headers[strings.ToLower(clientHeaderName)]; got != "go" {
			t.Errorf("%s server saw %s: %q, want %q (headers %v)", s.name, clientHeaderName, got, "go", s.open.Headers)
		}
		if got := s.ourHeaders.Get(serverHeaderName); got != p.peerName {
			t.Errorf("our client saw %s: %q, want %q", serverHeaderName, got, p.peerName)
		}
	case p.headers:
		if got := s.ourHeaders.Get(clientHeaderName); got != p.peerName {
			t.Errorf("our server saw %s: %q, want %q", clientHeaderName, got, p.peerName)
		}
		if got := s.open.Headers[strings.ToLower(serverHeaderName)]; got != "go" {
			t.Errorf("%s client saw %s: %q, want %q (headers %v)", s.name, serverHeaderName, got, "go", s.open.Headers)
		}
	default:
		// A page can neither add request headers nor read response
		// headers; its browser's own headers reach our server.
		if got := s.ourHeaders.Get("Origin"); !strings.HasPrefix(got, "http") {
			t.Errorf("our server saw Origin %q from the browser", got)
		}
		t.Logf("our server saw User-Agent %q", s.ourHeaders.Get("User-Agent"))
	}

	if st.deflate == nil {
		if s.ours.Extensions() != "" || s.open.Extensions != "" {
			t.Errorf("extensions negotiated without compression asked for: ours %q, %s's %q", s.ours.Extensions(), s.name, s.open.Extensions)
		}
		return
	}
	want := st.deflate.want()
	ours, err := parsePMD(s.ours.Extensions())
	if err != nil {
		t.Errorf("our end: %v", err)
	} else if ours != want {
		t.Errorf("our end: %q, want %+v", s.ours.Extensions(), want)
	}
	theirs, err := parsePMD(s.open.Extensions)
	if err != nil {
		t.Errorf("%s: %v", s.name, err)
	} else if theirs != want {
		t.Errorf("%s: %q, want %+v", s.name, s.open.Extensions, want)
	}
	t.Logf("negotiated: ours %q, %s's %q", s.ours.Extensions(), s.name, s.open.Extensions)
}

// peerSends has the peer send messages of typ with the given sizes (each in
// frags fragments if frags > 1), our end echo them, and the peer read the
// echoes. What the peer sent, what our end read and what the peer read
// back must match.
func peerSends(ctx context.Context, t *testing.T, s *session, typ string, sizes []int, frags int) {
	t.Helper()
	s.echo.Store(true)
	var sent, back []summary
	s.call(ctx, "send", map[string]any{"type": typ, "sizes": sizes, "frags": frags}, &sent)
	got := s.take(ctx, len(sizes))
	s.call(ctx, "recv", map[string]any{"n": len(sizes)}, &back)
	for i, m := range sent {
		if i < len(sizes) && (m.T != typ || m.N != sizes[i]) {
			t.Fatalf("%s made message %d as %v, want %s of %d bytes", s.name, i, m, typ, sizes[i])
		}
	}
	checkSame(t, s.name+" sent, our end read", sent, got)
	checkSame(t, s.name+" sent, our end echoed, "+s.name+" read", sent, back)
}

// weSend has our end send messages of typ with the given sizes, each
// written in pieces Writes to a NextWriter if pieces > 1, and the peer echo
// them.
func weSend(ctx context.Context, t *testing.T, s *session, typ websocket.MessageType, sizes []int, pieces int) {
	t.Helper()
	s.echo.Store(false)
	type result struct {
		back []summary
		err  error
	}
	done := make(chan result, 1)
	go func() {
		var r result
		r.err = s.peer.call(ctx, "echo", map[string]any{"n": len(sizes)}, &r.back)
		done <- r
	}()
	var sent []summary
	for seq, n := range sizes {
		b := payload(typ, n, seq)
		sent = append(sent, summarize(typ, b))
		if err := writeMessage(ctx, s.ours, typ, b, pieces); err != nil {
			t.Fatalf("writing message %d: %v", seq, err)
		}
	}
	got := s.take(ctx, len(sizes))
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	checkSame(t, "our end sent, "+s.name+" read", sent, r.back)
	checkSame(t, "our end sent, "+s.name+" echoed, our end read", sent, got)
}

func writeMessage(ctx context.Context, c *websocket.Conn, typ websocket.MessageType, b []byte, pieces int) error {
	if pieces <= 1 {
		return c.WriteMessage(ctx, typ, b)
	}
	w, err := c.NextWriter(ctx, typ)
	if err != nil {
		return err
	}
	n := len(b)
	for i := range pieces {
		if _, err := w.Write(b[n*i/pieces : n*(i+1)/pieces]); err != nil {
			w.Close()
			return err
		}
	}
	return w.Close()
}

// eventually polls cond for up to a second: hooks run just after the call
// that waits for them returns.
func eventually(cond func() bool) bool {
	for range 100 {
		if cond() {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return cond()
}

// wePing pings the peer, which answers by itself, and checks the pong
// carries the ping's payload (Ping returns only on a pong with its
// payload; a peer that can, reports the ping's payload too).
func wePing(ctx context.Context, t *testing.T, p *pairing, s *session) {
	for i := range 3 {
		rtt, err := s.ours.Ping(ctx)
		if err != nil {
			t.Fatalf("ping %d: %v", i, err)
		}
		t.Logf("ping %d: round trip %v", i, rtt)
	}
	var pongs []string
	if !eventually(func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		pongs = slices.Clone(s.pongs)
		return len(pongs) >= 3
	}) {
		t.Fatalf("our end saw %d pongs, want 3", len(pongs))
	}
	if p.pings {
		var pings []string
		s.call(ctx, "pings", nil, &pings)
		for _, pong := range pongs {
			if !slices.Contains(pings, hex.EncodeToString([]byte(pong))) {
				t.Errorf("pong payload %x is not among the pings %s saw: %v", pong, s.name, pings)
			}
		}
	}
}

// peerPings has the peer ping our end, which answers by itself, with a
// payload that must come back in the pong.
func peerPings(ctx context.Context, t *testing.T, s *session) {
	data := "ping from " + s.name + " ✓ " + strings.Repeat("·", 40)
	var r struct{ Data string }
	s.call(ctx, "ping", map[string]any{"data": data}, &r)
	if r.Data != data {
		t.Errorf("%s got a pong with %q, want %q", s.name, r.Data, data)
	}
	if !eventually(func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return slices.Contains(s.pings, data)
	}) {
		t.Errorf("our OnPing hook did not see %q; it saw %q", data, s.pings)
	}
}

// weClose runs the closing handshake from our end.
func weClose(ctx context.Context, t *testing.T, s *session) {
	const code, reason = 4001, "bye from go ✓"
	if err := s.ours.Close(code, reason); err != nil {
		t.Errorf("Close: %v", err)
	}
	var ci closeInfo
	s.call(ctx, "closed", nil, &ci)
	if ci != (closeInfo{code, reason, true}) {
		t.Errorf("%s saw the connection close with %+v, want code %d, reason %q, clean", s.name, ci, code, reason)
	}
}

// peerCloses runs the closing handshake from the peer's end.
func peerCloses(ctx context.Context, t *testing.T, s *session) {
	code, reason := 4002, "bye from "+s.name+" ✓"
	var ci closeInfo
	s.call(ctx, "close", map[string]any{"code": code, "reason": reason}, &ci)
	// Our end echoes the code, without a reason.
	if ci.Code != code || !ci.WasClean {
		t.Errorf("%s saw the connection close with %+v, want code %d, clean", s.name, ci, code)
	}
	err := s.readEnd(ctx)
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.StatusCode(code) || ce.Reason != reason {
		t.Errorf("our end read %v, want a CloseError with %d %q", err, code, reason)
	}
}

// checkCompressed has the peer send 1 MiB of compressible text and our end
// echo it, and checks that far fewer bytes crossed the TCP connection each
// way.
func checkCompressed(ctx context.Context, t *testing.T, s *session) {
	if s.wire == nil {
		t.Fatal("no byte counters on our connection")
	}
	r0, w0 := s.wire.read.Load(), s.wire.written.Load()
	peerSends(ctx, t, s, "text", []int{1 << 20}, 0)
	r, w := s.wire.read.Load()-r0, s.wire.written.Load()-w0
	t.Logf("1 MiB of text each way: %d bytes read, %d written on the wire", r, w)
	if r > 256<<10 || w > 256<<10 {
		t.Errorf("%d bytes read and %d written for 1 MiB each way: not compressed", r, w)
	}
}
