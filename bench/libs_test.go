package bench

import (
	"bytes"
	ctxpkg "context"
	"fmt"
	"net/http"

	coder "github.com/coder/websocket"
	ours "github.com/f30c7f75/websocket"
	"github.com/f30c7f75/websocket/bench/echo"
	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsflate"
	gorilla "github.com/gorilla/websocket"
	"github.com/lxzan/gws"
)

// This file sets up each library's server side of a connection the way
// the echo servers (package echo) do, on a fakeConn, and wraps it in a
// server for the benchmarks.

// server is one library's server side of a connection as the benchmarks
// drive it: read reads the next message whole and returns it (valid until
// the next read); write sends p as one message, text or binary.
type server struct {
	read  func() ([]byte, error)
	write func(text bool, p []byte) error
}

// supports reports whether lib can serve compression m through its API.
func supports(lib string, m compression) bool {
	if m != context {
		return true
	}
	// gorilla does only "no context takeover"; gobwas's wsflate helpers
	// reset their coders for each message.
	return lib != "gorilla" && lib != "gobwas"
}

// Each library's server configuration, made once, as a server does.
var (
	oursOptions = map[compression]*ours.AcceptOptions{
		plain:     {},
		noContext: {Compression: &ours.CompressionOptions{}},
		context:   {Compression: &ours.CompressionOptions{}},
	}
	gorillaUpgraders = map[compression]*gorilla.Upgrader{
		plain:     {},
		noContext: {EnableCompression: true},
	}
	coderOptions = map[compression]*coder.AcceptOptions{
		plain:     {},
		noContext: {CompressionMode: coder.CompressionNoContextTakeover},
		context:   {CompressionMode: coder.CompressionContextTakeover},
	}
	gwsOptions = map[compression]func() *gws.ServerOption{
		plain:     func() *gws.ServerOption { return echo.GWSServerOption(false) },
		noContext: func() *gws.ServerOption { return echo.GWSServerOption(true) },
		context: func() *gws.ServerOption {
			o := echo.GWSServerOption(true)
			o.PermessageDeflate.ServerContextTakeover = true
			o.PermessageDeflate.ClientContextTakeover = true
			return o
		},
	}
	gwsUpgraders = map[compression]*gws.Upgrader{}
)

func init() {
	for m, opt := range gwsOptions {
		gwsUpgraders[m] = gws.NewUpgrader(echo.GWSHandler{}, opt())
	}
}

// upgrade runs lib's server handshake on nc, whose reads start with the
// request, and returns the library's connection.
func upgrade(lib string, nc *fakeConn, m compression) (any, error) {
	switch lib {
	case "ours":
		return ours.AcceptConn(nc, oursOptions[m])
	case "ours-http":
		w, r, err := netHTTP(nc)
		if err != nil {
			return nil, err
		}
		return ours.Accept(w, r, oursOptions[m])
	case "gorilla":
		w, r, err := netHTTP(nc)
		if err != nil {
			return nil, err
		}
		return gorillaUpgraders[m].Upgrade(w, r, nil)
	case "coder":
		w, r, err := netHTTP(nc)
		if err != nil {
			return nil, err
		}
		return coder.Accept(w, r, coderOptions[m])
	case "gobwas":
		// The zero-copy upgrade, reading the request straight from nc.
		if m == plain {
			_, err := ws.Upgrade(nc)
			return nc, err
		}
		ext := &wsflate.Extension{Parameters: wsflate.DefaultParameters}
		_, err := ws.Upgrader{Negotiate: ext.Negotiate}.Upgrade(nc)
		return nc, err
	case "gws":
		return upgradeGWS(gwsUpgraders[m], nc)
	}
	return nil, fmt.Errorf("unknown library %q", lib)
}

// upgradeGWS upgrades as gws's own server does: it reads the request with
// a 4 KiB bufio.Reader, which the connection then keeps.
func upgradeGWS(up *gws.Upgrader, nc *fakeConn) (*gws.Conn, error) {
	w, r, err := netHTTP(nc)
	if err != nil {
		return nil, err
	}
	return up.UpgradeFromConn(nc, w.brw.Reader, r)
}

// newServer makes lib's server side of a connection on nc.
func newServer(lib string, nc *fakeConn, m compression) (*server, error) {
	c, err := upgrade(lib, nc, m)
	if err != nil {
		return nil, err
	}
	ctx := ctxpkg.Background()
	switch c := c.(type) {
	case *ours.Conn:
		c.SetReadLimit(echo.ReadLimit)
		var buf []byte
		return &server{
			read: func() ([]byte, error) {
				var err error
				_, buf, err = c.ReadMessage(ctx, buf)
				return buf, err
			},
			write: func(text bool, p []byte) error {
				return c.WriteMessage(ctx, pick(text, ours.MessageText, ours.MessageBinary), p)
			},
		}, nil
	case *gorilla.Conn:
		c.SetReadLimit(echo.ReadLimit)
		var buf []byte
		return &server{
			read: func() ([]byte, error) {
				_, r, err := c.NextReader()
				if err != nil {
					return nil, err
				}
				buf, err = echo.ReadAll(r, buf)
				return buf, err
			},
			write: func(text bool, p []byte) error {
				return c.WriteMessage(pick(text, gorilla.TextMessage, gorilla.BinaryMessage), p)
			},
		}, nil
	case *coder.Conn:
		c.SetReadLimit(echo.ReadLimit)
		var buf []byte
		return &server{
			read: func() ([]byte, error) {
				_, r, err := c.Reader(ctx)
				if err != nil {
					return nil, err
				}
				buf, err = echo.ReadAll(r, buf)
				return buf, err
			},
			write: func(text bool, p []byte) error {
				return c.Write(ctx, pick(text, coder.MessageText, coder.MessageBinary), p)
			},
		}, nil
	case *fakeConn: // gobwas
		if m == plain {
			gc := echo.NewGobwasConn(c)
			return &server{
				read: func() ([]byte, error) {
					_, p, err := gc.ReadMessage()
					return p, err
				},
				write: func(text bool, p []byte) error { return gc.WriteMessage(pick(text, ws.OpText, ws.OpBinary), p) },
			}, nil
		}
		gc := echo.NewGobwasFlateConn(c)
		return &server{
			read: func() ([]byte, error) {
				_, p, err := gc.ReadMessage()
				return p, err
			},
			write: func(text bool, p []byte) error { return gc.WriteMessage(pick(text, ws.OpText, ws.OpBinary), p) },
		}, nil
	case *gws.Conn:
		// gws reads in its own loop (see benchRead); it only writes here.
		return &server{
			write: func(text bool, p []byte) error {
				return c.WriteMessage(pick(text, gws.OpcodeText, gws.OpcodeBinary), p)
			},
		}, nil
	}
	return nil, fmt.Errorf("unexpected connection %T", c)
}

func pick[T any](cond bool, a, b T) T {
	if cond {
		return a
	}
	return b
}

// gwsCounter is a gws event handler that counts messages and checks their
// size, for reading benchmarks.
type gwsCounter struct {
	gws.BuiltinEventHandler
	want   []byte // every message, checked whole for the first
	n, bad int
}

func (h *gwsCounter) OnMessage(c *gws.Conn, m *gws.Message) {
	if m.Data.Len() != len(h.want) || h.n == 0 && !bytes.Equal(m.Bytes(), h.want) {
		h.bad++
	}
	h.n++
	m.Close()
}

var _ http.Hijacker = (*fakeResponseWriter)(nil)
