// Command server is the echo server that the Autobahn testsuite's
// fuzzingclient mode tests: every message received on "/" is sent back with
// its type.
//
//	go run ./autobahn/server -addr 127.0.0.1:9001
//
// With -events, an EventLoop reads the connections and echoes from its
// handler, instead of a goroutine per connection.
//
// It runs until SIGINT or SIGTERM, then stops accepting connections and
// closes the open ones with status 1001 (going away).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/f30c7f75/websocket"
)

// shutdownTimeout bounds the graceful shutdown: the HTTP server's and then
// the closing handshakes of the open WebSocket connections.
const shutdownTimeout = 10 * time.Second

func main() {
	addr := flag.String("addr", "127.0.0.1:9001", "address to listen on")
	verbose := flag.Bool("v", false, "log how each connection ends")
	deflate := flag.Bool("deflate", true, "accept permessage-deflate (RFC 7692) offers")
	events := flag.Bool("events", false, "read the connections with an EventLoop instead of a goroutine each")
	flag.Parse()

	logf := func(string, ...any) {}
	if *verbose {
		logf = log.Printf
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
	log.Printf("echo server listening on ws://%s/", ln.Addr())
	var compression *websocket.CompressionOptions
	if *deflate {
		compression = &websocket.CompressionOptions{}
	}
	if err := serve(ctx, ln, compression, *events, logf); err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
}

// serve runs the echo server on ln until ctx ends, then shuts it down
// gracefully: the HTTP server stops, and each open WebSocket connection is
// closed with a closing handshake.
func serve(ctx context.Context, ln net.Listener, compression *websocket.CompressionOptions, events bool, logf func(string, ...any)) error {
	// The connections outlive the HTTP server's Shutdown, which does not
	// track hijacked connections, so they get a context of their own.
	connCtx, closeConns := context.WithCancel(context.Background())
	defer closeConns()
	es := &echoServer{shutdown: connCtx, compression: compression, logf: logf}
	if events {
		loop, err := websocket.NewEventLoop(nil)
		if err != nil {
			return err
		}
		defer loop.Close()
		es.loop = loop
	}
	srv := &http.Server{Handler: es, ReadHeaderTimeout: 10 * time.Second}

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serving on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}

	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving on %s: %w", ln.Addr(), err)
	}
	closeConns()
	if !es.wait(sctx) {
		return errors.New("shutting down: connections still open after the timeout")
	}
	return nil
}

// echoServer is the http.Handler that echoes WebSocket messages.
type echoServer struct {
	shutdown    context.Context               // ends when the open connections must close
	compression *websocket.CompressionOptions // nil for none
	logf        func(format string, args ...any)
	loop        *websocket.EventLoop // nil: a goroutine reads each connection
	conns       sync.WaitGroup       // the connections open
}

// ServeHTTP upgrades the request and echoes messages until the connection
// closes.
func (s *echoServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Counted before Accept hijacks the connection: until then the HTTP
	// server's Shutdown waits for this handler, so wait never misses it.
	s.conns.Add(1)

	// Autobahn sends Origin headers that match no host of ours.
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		InsecureSkipOriginCheck: true,
		Compression:             s.compression,
	})
	if err != nil {
		s.logf("%s: %v", r.RemoteAddr, err)
		s.conns.Done()
		return
	}
	// The default read limit, 32 MiB, is above Autobahn's largest messages
	// (16 MiB in cases 9.1.6 and 9.2.6), so it is kept.
	stop := context.AfterFunc(s.shutdown, func() {
		c.Close(websocket.StatusGoingAway, "server shutting down")
	})
	if s.loop != nil {
		h := &loopEcho{s: s, stop: stop, remote: r.RemoteAddr}
		if err := s.loop.Serve(c, h); err == nil {
			return // the loop has it
		}
	}
	err = echo(c)
	s.ended(c, stop, r.RemoteAddr, err)
}

// ended finishes a connection that has ended with err.
func (s *echoServer) ended(c *websocket.Conn, stop func() bool, remote string, err error) {
	stop()
	c.CloseNow()
	s.logf("%s: %v", remote, err)
	s.conns.Done()
}

// loopEcho is the EventLoop's handler of a connection: it echoes.
type loopEcho struct {
	s      *echoServer
	stop   func() bool // stops the shutdown's close
	remote string
}

func (h *loopEcho) OnMessage(c *websocket.Conn, typ websocket.MessageType, msg []byte) {
	if err := c.WriteMessage(context.Background(), typ, msg); err != nil {
		c.CloseNow() // OnClose follows
	}
}

func (h *loopEcho) OnClose(c *websocket.Conn, err error) { h.s.ended(c, h.stop, h.remote, err) }

// wait waits for the handlers to return, and reports whether they did
// before ctx ended.
func (s *echoServer) wait(ctx context.Context) bool {
	done := make(chan struct{})
	go func() {
		s.conns.Wait()
		close(done)
	}()
	select {
	case <-done:
		return true
	case <-ctx.Done():
		return false
	}
}

// echo sends every message read on c back with the same type, until a read
// or a write fails, and returns that error. It reads each message whole
// into one buffer reused from message to message and writes it as a single
// frame: the package's fastest path. The reads and writes use a context
// that never ends, which costs nothing per call; the connection is
// interrupted by closing it instead.
func echo(c *websocket.Conn) error {
	ctx := context.Background()
	var buf []byte
	for {
		typ, msg, err := c.ReadMessage(ctx, buf)
		if err != nil {
			return err
		}
		if err := c.WriteMessage(ctx, typ, msg); err != nil {
			return fmt.Errorf("echoing a %v message of %d bytes: %w", typ, len(msg), err)
		}
		buf = msg
	}
}
