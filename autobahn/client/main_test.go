package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/f30c7f75/websocket"
)

// fakeFuzzer plays the Autobahn fuzzing server's part of the protocol: it
// reports three cases, runs each, and records what it saw.
//
//   - Case 1 sends text and binary messages and expects each echoed.
//   - Case 2 sends a large message, then closes with 1000.
//   - Case 3 sends a text message that is not UTF-8, which the client must
//     answer by failing the connection with 1007.
type fakeFuzzer struct {
	mu        sync.Mutex
	cases     []int               // the cases run, in order
	closes    map[int]error       // for case 3, how the client ended it
	agents    map[string]struct{} // the agent names seen
	updated   bool                // updateReports was called
	failures  []string            // what went wrong on the fuzzer's side
	caseCount string              // what getCaseCount answers
	handlers  sync.WaitGroup      // the connections being served
}

func newFakeFuzzer() *fakeFuzzer {
	return &fakeFuzzer{closes: map[int]error{}, agents: map[string]struct{}{}, caseCount: "3"}
}

func (f *fakeFuzzer) failf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failures = append(f.failures, fmt.Sprintf(format, args...))
}

func (f *fakeFuzzer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.handlers.Add(1)
	defer f.handlers.Done()
	c, err := websocket.Accept(w, r, nil)
	if err != nil {
		f.failf("%s: accept: %v", r.URL, err)
		return
	}
	defer c.CloseNow()
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()

	switch r.URL.Path {
	case "/getCaseCount":
		if err := c.WriteMessage(ctx, websocket.MessageText, []byte(f.caseCount)); err != nil {
			f.failf("getCaseCount: %v", err)
		}
		c.Close(websocket.StatusNormalClosure, "")
	case "/runCase":
		n, err := strconv.Atoi(r.URL.Query().Get("case"))
		if err != nil {
			f.failf("runCase: bad case %q", r.URL.Query().Get("case"))
			return
		}
		f.mu.Lock()
		f.cases = append(f.cases, n)
		f.agents[r.URL.Query().Get("agent")] = struct{}{}
		f.mu.Unlock()
		f.runCase(ctx, n, c)
	case "/updateReports":
		f.mu.Lock()
		f.updated = true
		f.agents[r.URL.Query().Get("agent")] = struct{}{}
		f.mu.Unlock()
		c.Close(websocket.StatusNormalClosure, "")
	default:
		f.failf("unexpected path %s", r.URL.Path)
	}
}

func (f *fakeFuzzer) runCase(ctx context.Context, n int, c *websocket.Conn) {
	type message struct {
		typ     websocket.MessageType
		payload []byte
	}
	var messages []message
	switch n {
	case 1:
		messages = []message{
			{websocket.MessageText, []byte("Hello")},
			{websocket.MessageBinary, []byte{0, 0xff, 7}},
			{websocket.MessageText, nil},
		}
	case 2:
		messages = []message{{websocket.MessageBinary, bytes.Repeat([]byte("0123456789"), 200000)}}
	case 3:
		c.WriteMessage(ctx, websocket.MessageText, []byte{0xc0, 0xaf})
		_, _, err := c.ReadMessage(ctx, nil)
		f.mu.Lock()
		f.closes[n] = err
		f.mu.Unlock()
		return
	}
	for i, m := range messages {
		if err := c.WriteMessage(ctx, m.typ, m.payload); err != nil {
			f.failf("case %d message %d: write: %v", n, i, err)
			return
		}
		typ, got, err := c.ReadMessage(ctx, nil)
		if err != nil {
			f.failf("case %d message %d: read: %v", n, i, err)
			return
		}
		if typ != m.typ || !bytes.Equal(got, m.payload) {
			f.failf("case %d message %d: echo is %v of %d bytes, want %v of %d bytes", n, i, typ, len(got), m.typ, len(m.payload))
		}
	}
	if err := c.Close(websocket.StatusNormalClosure, ""); err != nil {
		f.failf("case %d: close: %v", n, err)
	}
}

func wsURL(srv *httptest.Server) string { return "ws" + strings.TrimPrefix(srv.URL, "http") }

func TestRun(t *testing.T) {
	f := newFakeFuzzer()
	srv := httptest.NewServer(f)
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var progress, warnings bytes.Buffer
	// A trailing slash on the URL must not matter.
	if err := run(ctx, wsURL(srv)+"/", "our agent&co", &websocket.CompressionOptions{}, &progress, &warnings); err != nil {
		t.Fatalf("run: %v", err)
	}
	// The client may finish before the fuzzer's side of a case has.
	f.handlers.Wait()

	f.mu.Lock()
	defer f.mu.Unlock()
	for _, failure := range f.failures {
		t.Error(failure)
	}
	if fmt.Sprint(f.cases) != "[1 2 3]" {
		t.Errorf("cases run: %v, want [1 2 3]", f.cases)
	}
	if !f.updated {
		t.Error("updateReports was not called")
	}
	if len(f.agents) != 1 {
		t.Errorf("agents: %v, want just %q", f.agents, "our agent&co")
	} else if _, ok := f.agents["our agent&co"]; !ok {
		t.Errorf("agents: %v, want %q", f.agents, "our agent&co")
	}
	if code := websocket.CloseStatus(f.closes[3]); code != websocket.StatusInvalidFramePayloadData {
		t.Errorf("case 3 ended with %v, want a close with %v", f.closes[3], websocket.StatusInvalidFramePayloadData)
	}
	if got, want := progress.String(), "case 1/3\ncase 2/3\ncase 3/3\n"; got != want {
		t.Errorf("progress: %q, want %q", got, want)
	}
	if warnings.Len() > 0 {
		t.Errorf("warnings: %s", &warnings)
	}
}

func TestRunNoServer(t *testing.T) {
	// A port that was just free is very likely still free.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var progress, warnings bytes.Buffer
	err = run(ctx, "ws://"+addr, "agent", &websocket.CompressionOptions{}, &progress, &warnings)
	var de *dialError
	if !errors.As(err, &de) {
		t.Errorf("run without a server: %v, want a dial error", err)
	}
}

func TestRunBadCaseCount(t *testing.T) {
	f := newFakeFuzzer()
	f.caseCount = "many"
	srv := httptest.NewServer(f)
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := run(ctx, wsURL(srv), "agent", &websocket.CompressionOptions{}, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "many") {
		t.Errorf("run with case count %q: %v, want an error naming it", f.caseCount, err)
	}
}

// TestRunInterrupted checks that ending the context stops a case that the
// server never ends.
func TestRunInterrupted(t *testing.T) {
	started := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		if r.URL.Path == "/getCaseCount" {
			c.WriteMessage(r.Context(), websocket.MessageText, []byte("1"))
			c.Close(websocket.StatusNormalClosure, "")
			return
		}
		close(started)
		// Wait for the client to give up.
		c.ReadMessage(context.Background(), nil)
	}))
	defer srv.Close()

	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-started
		cancel()
	}()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, wsURL(srv), "agent", &websocket.CompressionOptions{}, &bytes.Buffer{}, &bytes.Buffer{})
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("run: %v, want %v", err, context.Canceled)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after its context ended")
	}
}
