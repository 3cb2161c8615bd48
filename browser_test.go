package websocket

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// The Conn of a web page (GOOS=js) runs on a bridge to the page's
// WebSocket. These tests run the bridge natively, with a stand-in for the
// page's WebSocket that behaves as the browser's API does (whole messages;
// a close that returns at once; close codes limited to 1000 and 3000-4999,
// which pageCloseCode sees to; events delivered without blocking), made of
// a Conn of this package. interop/ runs the same checks in Node.js and
// Chromium on the real thing.

// fakePage is the stand-in for a page's WebSocket.
type fakePage struct {
	c      *Conn
	closes chan [2]any // the code and reason of each close call
}

func (p *fakePage) send(typ MessageType, b []byte) error {
	return p.c.WriteMessage(context.Background(), typ, b)
}

func (p *fakePage) close(code StatusCode, reason string) {
	if code != 0 && code != StatusNormalClosure && (code < 3000 || code > 4999) {
		panic("a page's WebSocket throws InvalidAccessError for close code " + code.String())
	}
	p.closes <- [2]any{code, reason}
	go p.c.Close(code, reason) // the page's close only starts the handshake
}

// openFakePage is a socketOpener that opens a fakePage, offering
// permessage-deflate as browsers do; the fakePage it opened comes on pages.
func openFakePage(pages chan<- *fakePage) socketOpener {
	return func(ctx context.Context, url string, protocols []string, b *bridge) (pageSocket, string, string, error) {
		c, _, err := Dial(ctx, url, &DialOptions{Subprotocols: protocols, Compression: &CompressionOptions{}, Proxy: noProxy})
		if err != nil {
			return nil, "", "", err
		}
		p := &fakePage{c: c, closes: make(chan [2]any, 4)}
		go func() { // the page's event loop
			for {
				typ, msg, err := c.ReadMessage(context.Background(), nil)
				if err == nil {
					b.message(typ, msg)
					continue
				}
				var ce *CloseError
				if errors.As(err, &ce) && ce.Code != StatusAbnormalClosure {
					b.closed(ce.Code, ce.Reason, true)
				} else {
					b.closed(StatusAbnormalClosure, "", false)
				}
				return
			}
		}()
		pages <- p
		return p, c.Subprotocol(), c.Extensions(), nil
	}
}

// dialFakePage dials s as a web page's Conn would.
func dialFakePage(t *testing.T, s *serverUnderTest, opts *DialOptions) (*Conn, *fakePage) {
	t.Helper()
	u, err := url.Parse(s.url())
	if err != nil {
		t.Fatal(err)
	}
	if opts == nil {
		opts = &DialOptions{}
	}
	pages := make(chan *fakePage, 1)
	c, resp, err := dialPage(testCtx(t), u, opts, openFakePage(pages))
	if err != nil {
		t.Fatal(err)
	}
	if resp != nil {
		t.Errorf("a page's Dial returned a response: %+v", resp)
	}
	t.Cleanup(func() { c.CloseNow() })
	return c, <-pages
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestPageEcho(t *testing.T) {
	s := serveConn(t, &AcceptOptions{Subprotocols: []string{"b"}, Compression: &CompressionOptions{}}, nil, nil)
	c, _ := dialFakePage(t, s, &DialOptions{Subprotocols: []string{"a", "b"}})
	if c.Subprotocol() != "b" || !strings.HasPrefix(c.Extensions(), "permessage-deflate") {
		t.Errorf("subprotocol %q, extensions %q: want the page's", c.Subprotocol(), c.Extensions())
	}
	ctx := testCtx(t)
	for _, typ := range []MessageType{MessageText, MessageBinary} {
		for _, n := range []int{0, 1, 125, 126, 65535, 65536, 1 << 20} {
			msg := bytes.Repeat([]byte("é"), n/2)
			if n%2 == 1 {
				msg = append(msg, 'x')
			}
			if err := c.WriteMessage(ctx, typ, msg); err != nil {
				t.Fatalf("%v of %d bytes: %v", typ, n, err)
			}
			gotTyp, got, err := c.ReadMessage(ctx, nil)
			if err != nil {
				t.Fatalf("%v of %d bytes: %v", typ, n, err)
			}
			if gotTyp != typ || !bytes.Equal(got, msg) {
				t.Fatalf("%v of %d bytes came back as %v of %d bytes", typ, n, gotTyp, len(got))
			}
		}
	}
	// A message streamed in pieces (frames, for the Conn) is one message
	// for the page.
	msg := compressible("stream", 200<<10)
	if err := writePieces(ctx, c, MessageBinary, msg, 7000); err != nil {
		t.Fatal(err)
	}
	if _, got, err := c.ReadMessage(ctx, nil); err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("streamed message: %d bytes back, %v", len(got), err)
	}
	if err := c.Close(StatusNormalClosure, "done"); err != nil {
		t.Fatalf("Close: %v", err)
	}
	wantCloseError(t, s.result(t), StatusNormalClosure, "done")
}

// TestPageCloseCodes checks the closing handshake in both directions, with
// the codes a page may send and those it may not.
func TestPageCloseCodes(t *testing.T) {
	for _, tc := range []struct {
		code       StatusCode
		reason     string
		serverSees StatusCode // and the reason, if a page may send code
	}{
		{StatusNormalClosure, "bye", StatusNormalClosure},
		{3000, "", 3000},
		{4999, "app", 4999},
		{0, "", StatusNoStatusReceived},
		{StatusGoingAway, "away", StatusNoStatusReceived},
		{StatusInternalError, "oops", StatusNoStatusReceived},
	} {
		t.Run("page/"+tc.code.String(), func(t *testing.T) {
			s := startServer(t, nil, nil)
			c, p := dialFakePage(t, s, nil)
			if err := c.Close(tc.code, tc.reason); err != nil {
				t.Fatalf("Close: %v", err)
			}
			reason := tc.reason
			if tc.serverSees == StatusNoStatusReceived {
				reason = ""
			}
			wantCloseError(t, s.result(t), tc.serverSees, reason)
			got := <-p.closes
			if tc.serverSees == StatusNoStatusReceived {
				tc.code = 0
			}
			if diff := cmp.Diff([2]any{tc.code, reason}, got); diff != "" {
				t.Errorf("the page's close (-want +got):\n%s", diff)
			}
			if err := c.WriteMessage(context.Background(), MessageText, nil); !errors.Is(err, net.ErrClosed) {
				t.Errorf("write after Close: %v, want net.ErrClosed", err)
			}
		})
	}
	for _, tc := range []struct {
		code   StatusCode
		reason string
	}{
		{StatusNormalClosure, "bye"},
		{StatusGoingAway, "restart"},
		{4001, "kicked"},
		{0, ""},
	} {
		t.Run("server/"+tc.code.String(), func(t *testing.T) {
			s := startServer(t, nil, func(c *Conn) error { return c.Close(tc.code, tc.reason) })
			c, _ := dialFakePage(t, s, nil)
			want := tc.code
			if want == 0 {
				want = StatusNoStatusReceived
			}
			_, _, err := c.ReadMessage(testCtx(t), nil)
			wantCloseError(t, err, want, tc.reason)
			if err := s.result(t); err != nil {
				t.Errorf("the server's Close: %v", err)
			}
		})
	}
	t.Run("server/CloseNow", func(t *testing.T) {
		s := startServer(t, nil, func(c *Conn) error { return c.CloseNow() })
		c, _ := dialFakePage(t, s, nil)
		_, _, err := c.ReadMessage(testCtx(t), nil)
		wantCloseError(t, err, StatusAbnormalClosure, "")
	})
	t.Run("page/CloseNow", func(t *testing.T) {
		s := startServer(t, nil, nil)
		c, p := dialFakePage(t, s, nil)
		if err := c.CloseNow(); err != nil {
			t.Fatal(err)
		}
		wantCloseError(t, s.result(t), StatusNoStatusReceived, "")
		if diff := cmp.Diff([2]any{StatusCode(0), ""}, <-p.closes); diff != "" {
			t.Errorf("the page's close (-want +got):\n%s", diff)
		}
	})
}

// TestPageFailure checks that a failure the Conn detects closes the page's
// socket without a code, the only way a page can say it.
func TestPageFailure(t *testing.T) {
	s := startServer(t, nil, func(c *Conn) error {
		c.WriteMessage(context.Background(), MessageBinary, make([]byte, 11))
		_, _, err := c.ReadMessage(context.Background(), nil)
		return err
	})
	c, p := dialFakePage(t, s, nil)
	c.SetReadLimit(10)
	if _, _, err := c.ReadMessage(testCtx(t), nil); CloseStatus(err) != StatusMessageTooBig {
		t.Errorf("read over the limit: %v, want a failure with 1009", err)
	}
	wantCloseError(t, s.result(t), StatusNoStatusReceived, "")
	if diff := cmp.Diff([2]any{StatusCode(0), ""}, <-p.closes); diff != "" {
		t.Errorf("the page's close (-want +got):\n%s", diff)
	}
}

func TestPageNoPing(t *testing.T) {
	s := startServer(t, nil, nil)
	c, _ := dialFakePage(t, s, nil)
	if _, err := c.Ping(testCtx(t)); !errors.Is(err, ErrNoPing) || !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("Ping: %v, want ErrNoPing", err)
	}
	if err := c.KeepAlive(testCtx(t), time.Millisecond, 0); !errors.Is(err, ErrNoPing) {
		t.Errorf("KeepAlive: %v, want ErrNoPing", err)
	}
	// The connection is as good as before.
	if err := c.WriteMessage(testCtx(t), MessageText, []byte("still here")); err != nil {
		t.Fatal(err)
	}
	if _, got, err := c.ReadMessage(testCtx(t), nil); err != nil || string(got) != "still here" {
		t.Fatalf("read %q, %v", got, err)
	}
}

func TestPageDialOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts DialOptions
	}{
		{"Header", DialOptions{Header: map[string][]string{"Authorization": {"x"}}}},
		{"TLSConfig", DialOptions{TLSConfig: &tls.Config{}}},
		{"NetDialContext", DialOptions{NetDialContext: new(net.Dialer).DialContext}},
		{"Proxy", DialOptions{Proxy: noProxy}},
		{"ProxyConnectHeader", DialOptions{ProxyConnectHeader: map[string][]string{"A": {"b"}}}},
		{"MaxHeaderBytes", DialOptions{MaxHeaderBytes: 1}},
		{"HTTP2", DialOptions{HTTP2: new(HTTP2Transport)}},
	} {
		u, _ := url.Parse("ws://127.0.0.1:1/")
		opened := false
		open := func(context.Context, string, []string, *bridge) (pageSocket, string, string, error) {
			opened = true
			return nil, "", "", errors.New("unreachable")
		}
		_, _, err := dialPage(context.Background(), u, &tc.opts, open)
		if err == nil || !strings.Contains(err.Error(), "DialOptions."+tc.name+" cannot apply") || opened {
			t.Errorf("%s set: %v (socket opened: %v), want an error naming it", tc.name, err, opened)
		}
	}
	u, _ := url.Parse("ws://127.0.0.1:1/")
	if _, _, err := dialPage(context.Background(), u, &DialOptions{Subprotocols: []string{"a b"}}, nil); err == nil {
		t.Error("a subprotocol that is not a token was offered")
	}
}

// TestPageContexts checks what the Conn promises of contexts and of
// concurrent use, on the pipe: a read whose context ends leaves the
// connection usable; a read waiting when CloseNow is called returns; two
// writers may write at once.
func TestPageContexts(t *testing.T) {
	s := startServer(t, nil, nil)
	c, _ := dialFakePage(t, s, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, _, err := c.ReadMessage(ctx, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("read with a context that ends: %v", err)
	}
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() {
			for range 50 {
				if err := c.WriteMessage(testCtx(t), MessageText, bytes.Repeat([]byte{'a' + byte(i)}, 1000)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	counts := map[byte]int{}
	for range 100 {
		_, msg, err := c.ReadMessage(testCtx(t), nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(msg) != 1000 || bytes.Count(msg, msg[:1]) != 1000 {
			t.Fatalf("a message came back mixed: %q...", msg[:20])
		}
		counts[msg[0]]++
	}
	wg.Wait()
	if diff := cmp.Diff(map[byte]int{'a': 50, 'b': 50}, counts); diff != "" {
		t.Errorf("messages per writer (-want +got):\n%s", diff)
	}
	read := make(chan error, 1)
	go func() {
		_, _, err := c.ReadMessage(context.Background(), nil)
		read <- err
	}()
	c.CloseNow()
	if err := await(t, read, "the read CloseNow interrupts"); !errors.Is(err, ErrClosed) {
		t.Errorf("read interrupted by CloseNow: %v, want ErrClosed", err)
	}
	if _, err := c.NetConn().Read(make([]byte, 1)); err != io.ErrClosedPipe {
		t.Errorf("the pipe after CloseNow: %v", err)
	}
}
