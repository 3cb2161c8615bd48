package echo

import (
	"net"
	"net/http"
	"sync"

	"github.com/lesismal/nbio/logging"
	"github.com/lesismal/nbio/nbhttp"
	nbws "github.com/lesismal/nbio/nbhttp/websocket"
)

// nbio logs to standard output by default; the echo servers print only their
// address.
func init() { logging.SetLevel(logging.LevelNone) }

// serveNbio serves with nbio's HTTP engine, which reads every connection
// from a few epoll loops and hands each message to OnMessage; the engine
// accepts on ln through its Listen hook. The settings are nbio's defaults
// (its keep-alive read deadline of 120 s included) but for the common read
// limit, room for the idle cell's connections (MaxLoad, 10,000 by default)
// and compression at level 1 when asked. Serve returns once ln is closed.
func serveNbio(ln net.Listener, opts Options) error {
	up := nbws.NewUpgrader()
	up.MessageLengthLimit = ReadLimit
	if opts.Deflate {
		up.EnableCompression(true)
		up.SetCompressionLevel(1)
	}
	up.OnMessage(func(c *nbws.Conn, typ nbws.MessageType, msg []byte) {
		c.WriteMessage(typ, msg)
	})
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		up.Upgrade(w, r, nil)
	})
	l := &endListener{Listener: ln, ended: make(chan error, 1)}
	engine := nbhttp.NewEngine(nbhttp.Config{
		Network:                 "tcp",
		Addrs:                   []string{ln.Addr().String()},
		Listen:                  func(string, string) (net.Listener, error) { return l, nil },
		Handler:                 mux,
		MaxLoad:                 1 << 20,
		ReleaseWebsocketPayload: true,
	})
	if err := engine.Start(); err != nil {
		return err
	}
	err := <-l.ended
	engine.Stop()
	return err
}

// endListener reports the first error of Accept, which ends the listener.
type endListener struct {
	net.Listener
	once  sync.Once
	ended chan error
}

func (l *endListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		l.once.Do(func() { l.ended <- err })
	}
	return c, err
}
