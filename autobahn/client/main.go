// Command client is the WebSocket client that the Autobahn testsuite's
// fuzzingserver mode tests. It asks the fuzzing server how many cases there
// are, runs each one by echoing every message the server sends, and finally
// asks the server to write its reports.
//
//	go run ./autobahn/client -url ws://127.0.0.1:9001 -agent NAME
//
// It exits with status 1 if the fuzzing server cannot be reached. How the
// cases went is for the reports to say, not the exit status.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/f30c7f75/websocket"
)

// dialTimeout bounds each opening handshake with the fuzzing server.
const dialTimeout = 10 * time.Second

func main() {
	serverURL := flag.String("url", "ws://127.0.0.1:9001", "URL of the Autobahn fuzzing server")
	agent := flag.String("agent", "f30c7f75-websocket", "agent name under which the reports list the results")
	verbose := flag.Bool("v", false, "print a line per case")
	deflate := flag.Bool("deflate", true, "offer permessage-deflate (RFC 7692)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	progress := io.Discard
	if *verbose {
		progress = os.Stdout
	}
	var compression *websocket.CompressionOptions
	if *deflate {
		compression = &websocket.CompressionOptions{}
	}
	if err := run(ctx, *serverURL, *agent, compression, progress, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "client:", err)
		os.Exit(1)
	}
}

// run drives the fuzzing server at serverURL through all its cases under
// the name agent. It writes a line per case to progress, and to warnings the
// cases that ended other than by a close frame or a protocol error (the
// reports tell whether that was right). It returns an error when the fuzzing
// server cannot be reached or ctx ends.
func run(ctx context.Context, serverURL, agent string, compression *websocket.CompressionOptions, progress, warnings io.Writer) error {
	base := strings.TrimSuffix(serverURL, "/")
	count, err := caseCount(ctx, base)
	if err != nil {
		return err
	}
	for i := 1; i <= count; i++ {
		fmt.Fprintf(progress, "case %d/%d\n", i, count)
		u := fmt.Sprintf("%s/runCase?case=%d&agent=%s", base, i, url.QueryEscape(agent))
		err := runCase(ctx, u, compression)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var de *dialError
		if errors.As(err, &de) {
			return fmt.Errorf("case %d: %w", i, err)
		}
		if err != nil {
			fmt.Fprintf(warnings, "case %d: %v\n", i, err)
		}
	}
	c, err := dial(ctx, base+"/updateReports?agent="+url.QueryEscape(agent), nil)
	if err != nil {
		return err
	}
	defer c.CloseNow()
	// The server closes the connection once the reports are written.
	if err := readUntilClosed(ctx, c); err != nil {
		return fmt.Errorf("updating reports: %w", err)
	}
	return nil
}

// caseCount asks the fuzzing server how many cases it has: it sends the
// number as a text message and closes the connection.
func caseCount(ctx context.Context, base string) (int, error) {
	c, err := dial(ctx, base+"/getCaseCount", nil)
	if err != nil {
		return 0, err
	}
	defer c.CloseNow()
	typ, msg, err := c.ReadMessage(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("reading the case count: %w", err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(msg)))
	if typ != websocket.MessageText || err != nil || n < 0 {
		return 0, fmt.Errorf("case count: got %v message %q, want a number", typ, msg)
	}
	// Let the server finish the closing handshake it starts. Its outcome
	// does not matter once the count is in.
	readUntilClosed(ctx, c)
	return n, nil
}

// runCase runs the case at u: it echoes every message until the
// connection closes. It returns nil when the connection ends with a close
// frame from either side, a protocol error found here, or the TCP
// connection dropping: all are outcomes the fuzzing server judges.
func runCase(ctx context.Context, u string, compression *websocket.CompressionOptions) error {
	c, err := dial(ctx, u, compression)
	if err != nil {
		return err
	}
	defer c.CloseNow()
	// The echo loop uses a context that never ends, whose reads and writes
	// cost least; ctx ending closes the connection instead.
	stop := context.AfterFunc(ctx, func() { c.CloseNow() })
	defer stop()
	return endedNormally(echo(c))
}

// echo sends every message read on c back with the same type, until a read
// or a write fails, and returns that error. Each message is read whole into
// a buffer reused from message to message and written as one frame.
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

// readUntilClosed reads and drops messages until the connection closes,
// returning nil if it ended normally (see endedNormally).
func readUntilClosed(ctx context.Context, c *websocket.Conn) error {
	for {
		if _, _, err := c.ReadMessage(ctx, nil); err != nil {
			return endedNormally(err)
		}
	}
}

// endedNormally returns nil if err is how a connection ends when the peer
// closes it or breaks the protocol: a *websocket.CloseError (which includes
// the TCP connection ending without a close frame, code 1006) or a
// *websocket.ProtocolError. It returns other errors unchanged.
func endedNormally(err error) error {
	var ce *websocket.CloseError
	var pe *websocket.ProtocolError
	if errors.As(err, &ce) || errors.As(err, &pe) {
		return nil
	}
	return err
}

// A dialError is a failure to open a connection to the fuzzing server,
// which ends the run.
type dialError struct {
	url string
	err error
}

func (e *dialError) Error() string { return fmt.Sprintf("dialing %s: %v", e.url, e.err) }
func (e *dialError) Unwrap() error { return e.err }

// dial opens a connection to u, offering compression when it is non-nil,
// and bounding the opening handshake by dialTimeout. It connects directly: a
// proxy named by the environment would only get in the way of a test
// against a local fuzzing server.
func dial(ctx context.Context, u string, compression *websocket.CompressionOptions) (*websocket.Conn, error) {
	dctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	opts := &websocket.DialOptions{Proxy: noProxy, Compression: compression}
	c, _, err := websocket.Dial(dctx, u, opts)
	if err != nil {
		return nil, &dialError{url: u, err: err}
	}
	return c, nil
}

func noProxy(*http.Request) (*url.URL, error) { return nil, nil }
