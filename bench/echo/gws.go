package echo

import (
	"bufio"
	"net"
	"net/http"

	"github.com/lxzan/gws"
)

// gws pools message buffers up to a threshold (256 KiB by default), past
// which each message allocates a new one; its documented
// SetBufferThreshold raises it, so that 1 MiB messages reuse buffers too.
func init() { gws.SetBufferThreshold(4 << 20) }

// GWSHandler is the gws event handler that echoes: OnMessage writes the
// message back with WriteMessage and releases it to gws's pool.
type GWSHandler struct {
	gws.BuiltinEventHandler
}

// OnPing answers with the ping's payload, as RFC 6455 section 5.5.3 asks
// (BuiltinEventHandler sends an empty pong).
func (GWSHandler) OnPing(c *gws.Conn, payload []byte) { c.WritePong(payload) }

// OnMessage echoes m.
func (GWSHandler) OnMessage(c *gws.Conn, m *gws.Message) {
	c.WriteMessage(m.Opcode, m.Bytes())
	m.Close()
}

// GWSServerOption is the option every gws server in the benchmarks uses:
// the defaults (synchronous processing in the read loop, no UTF-8 check,
// 4 KiB read buffer), the common read limit, and with deflate gws's
// defaults for compression (level 1, no context takeover, threshold 512).
func GWSServerOption(deflate bool) *gws.ServerOption {
	return &gws.ServerOption{
		ReadMaxPayloadSize: ReadLimit,
		PermessageDeflate:  gws.PermessageDeflate{Enabled: deflate},
	}
}

// serveGWS does what gws.Server.RunListener does (read the HTTP request
// with a 4 KiB bufio.Reader, UpgradeFromConn, then ReadLoop in the
// connection's goroutine), but returns once ln is closed, which RunListener
// does not.
func serveGWS(ln net.Listener, opts Options) error {
	up := gws.NewUpgrader(GWSHandler{}, GWSServerOption(opts.Deflate))
	return serveConns(ln, func(nc net.Conn) {
		br := bufio.NewReaderSize(nc, 4096)
		r, err := http.ReadRequest(br)
		if err != nil {
			nc.Close()
			return
		}
		c, err := up.UpgradeFromConn(nc, br, r)
		if err != nil {
			return
		}
		c.ReadLoop()
	})
}
