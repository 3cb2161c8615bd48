// Package echo holds one WebSocket echo server per library compared by the
// benchmarks: each reads whole messages (reassembling fragmented ones) and
// writes each back as one message of the same type, using its library the
// fastest way that library's documentation shows.
package echo

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"time"
)

// Libs names the libraries, ours first. Serve also knows "ours-http", our
// package behind net/http's server (Accept) instead of its own accept loop
// (AcceptConn).
var Libs = []string{"ours", "gorilla", "coder", "gobwas", "gws"}

// Servers names every server Serve runs: Libs, then "ours-http", our
// package with an EventLoop reading the connections, behind its own accept
// loop ("ours-events") or net/http's ("ours-http-events"), and nbio, the
// event-loop library the EventLoop is measured against.
var Servers = append(Libs[:len(Libs):len(Libs)], "ours-http", "ours-events", "ours-http-events", "nbio")

// ReadLimit is the largest message every server accepts, set explicitly
// where a library's default is lower (or absent).
const ReadLimit = 32 << 20

// Options configures a server.
type Options struct {
	// Deflate accepts the client's permessage-deflate offer, at compression
	// level 1 where the level can be set. The context takeover parameters
	// are each library's defaults, within what the client asks for.
	Deflate bool
}

// Serve accepts connections on ln and echoes messages on them with library
// lib until ln is closed.
func Serve(ln net.Listener, lib string, opts Options) error {
	switch lib {
	case "ours":
		return serveOurs(ln, opts)
	case "ours-http":
		return serveHTTP(ln, oursHandler(opts))
	case "ours-events":
		return serveOursEvents(ln, opts)
	case "ours-http-events":
		return serveOursHTTPEvents(ln, opts)
	case "gorilla":
		return serveHTTP(ln, gorillaHandler(opts))
	case "coder":
		return serveHTTP(ln, coderHandler(opts))
	case "gobwas":
		return serveGobwas(ln, opts)
	case "gws":
		return serveGWS(ln, opts)
	case "nbio":
		return serveNbio(ln, opts)
	}
	return fmt.Errorf("echo: unknown library %q (have %v)", lib, Libs)
}

// serveConns accepts connections on ln and handles each in its own
// goroutine, until ln is closed.
func serveConns(ln net.Listener, handle func(nc net.Conn)) error {
	for {
		nc, err := ln.Accept()
		if err != nil {
			return err
		}
		go handle(nc)
	}
}

// serveHTTP serves h with net/http, as the libraries built on it expect.
func serveHTTP(ln net.Listener, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	return srv.Serve(ln)
}

// ReadAll reads r to its end, appending to buf (whose storage it reuses)
// and growing it only when it is full: io.ReadAll that does not allocate
// once buf is large enough.
func ReadAll(r io.Reader, buf []byte) ([]byte, error) {
	buf = buf[:0]
	for {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, max(512, cap(buf)))
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}
