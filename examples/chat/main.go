// Command chat is a chat server built on github.com/f30c7f75/websocket:
// rooms by URL path (/room/NAME), shared between nodes through Redis
// pub/sub when -redis is given.
//
//	cd examples/chat && go run . -addr 127.0.0.1:8080
//
// With -tls it serves HTTPS, with HTTP/2, using -cert and -key or else a
// self-signed certificate made at start-up. Browsers then open their
// WebSockets over HTTP/2 (RFC 8441), which the import of
// github.com/f30c7f75/websocket/xconnect turns on in net/http, and the
// server logs the HTTP version of each:
//
//	go run . -tls
//
// The WebSocket protocol it speaks is described in protocol.go.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/f30c7f75/websocket"
	_ "github.com/f30c7f75/websocket/xconnect" // WebSockets over HTTP/2
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	redisURL := flag.String("redis", "", "share rooms through the Redis server at this URL (redis://127.0.0.1:6379); in memory when empty")
	queue := flag.Int("queue", 256, "messages queued for a connection before it is closed as too slow (1013)")
	useTLS := flag.Bool("tls", false, "serve HTTPS (and HTTP/2) instead of HTTP")
	certFile := flag.String("cert", "", "with -tls, the certificate's PEM file; a self-signed certificate when empty")
	keyFile := flag.String("key", "", "with -tls, the key's PEM file")
	events := flag.Bool("events", false, "read the connections with an EventLoop instead of a goroutine each")
	flag.Parse()
	var tlsConfig *tls.Config
	if *useTLS {
		var err error
		if tlsConfig, err = serverTLS(*addr, *certFile, *keyFile); err != nil {
			fmt.Fprintln(os.Stderr, "chat:", err)
			os.Exit(1)
		}
	}
	if err := run(*addr, *redisURL, *queue, tlsConfig, *events); err != nil {
		fmt.Fprintln(os.Stderr, "chat:", err)
		os.Exit(1)
	}
}

// serverTLS loads the certificate in certFile and keyFile, or makes a
// self-signed one for addr's host and localhost.
func serverTLS(addr, certFile, keyFile string) (*tls.Config, error) {
	if certFile != "" || keyFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, err
		}
		return &tls.Config{Certificates: []tls.Certificate{cert}}, nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	cert, spki, err := selfSignedCert([]string{host, "localhost", "127.0.0.1"})
	if err != nil {
		return nil, err
	}
	fmt.Printf("chat: self-signed certificate; for Chromium: --ignore-certificate-errors-spki-list=%s\n", spki)
	return &tls.Config{Certificates: []tls.Certificate{cert}}, nil
}

// run serves the chat on addr until interrupted: over HTTPS when
// tlsConfig is non-nil, with an EventLoop reading the connections when
// events is set.
func run(addr, redisURL string, queue int, tlsConfig *tls.Config, events bool) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	opts := Options{QueueSize: queue, Logf: log.Printf}
	if events {
		loop, err := websocket.NewEventLoop(nil)
		if err != nil {
			return err
		}
		defer loop.Close() // after the server's Close below
		opts.Events = loop
	}
	if redisURL != "" {
		b, err := newRedisBroker(ctx, redisURL)
		if err != nil {
			return err
		}
		defer b.Close()
		opts.Broker = b
	}
	srv, err := NewServer(ctx, opts)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, TLSConfig: tlsConfig}
	mode := "in memory"
	if redisURL != "" {
		mode = "shared through " + redisURL
	}
	scheme := "http"
	if tlsConfig != nil {
		scheme = "https"
		h2 := "off (GODEBUG=http2xconnect=0 in the environment)"
		if websocket.HTTP2ExtendedConnect() {
			h2 = "on"
		}
		fmt.Printf("chat: WebSockets over HTTP/2: %s\n", h2)
	}
	fmt.Printf("chat: serving %s://%s/ (rooms %s)\n", scheme, ln.Addr(), mode)
	errc := make(chan error, 1)
	go func() {
		if tlsConfig != nil {
			errc <- hs.ServeTLS(ln, "", "")
		} else {
			errc <- hs.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = hs.Shutdown(sctx)
	srv.Close()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}
