// Command chat is a chat server built on github.com/f30c7f75/websocket:
// rooms by URL path (/room/NAME), shared between nodes through Redis
// pub/sub when -redis is given.
//
//	cd examples/chat && go run . -addr 127.0.0.1:8080
//
// The WebSocket protocol it speaks is described in protocol.go.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	redisURL := flag.String("redis", "", "share rooms through the Redis server at this URL (redis://127.0.0.1:6379); in memory when empty")
	queue := flag.Int("queue", 256, "messages queued for a connection before it is closed as too slow (1013)")
	flag.Parse()
	if err := run(*addr, *redisURL, *queue); err != nil {
		fmt.Fprintln(os.Stderr, "chat:", err)
		os.Exit(1)
	}
}

func run(addr, redisURL string, queue int) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	opts := Options{QueueSize: queue}
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
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	mode := "in memory"
	if redisURL != "" {
		mode = "shared through " + redisURL
	}
	fmt.Printf("chat: serving http://%s/ (rooms %s)\n", ln.Addr(), mode)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
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
