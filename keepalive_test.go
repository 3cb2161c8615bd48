package websocket

import (
	"bufio"
	"context"
	"errors"
	"io"
	"sync/atomic"
	"testing"
	"time"
)

// TestKeepAliveAnswered checks that KeepAlive keeps pinging a peer that
// answers, and leaves the connection open when its context ends.
func TestKeepAliveAnswered(t *testing.T) {
	srv, cli := wsPair(t, nil, nil)
	var pongs atomic.Int32
	enough := make(chan struct{})
	srv.OnPong(func([]byte) {
		if pongs.Add(1) == 3 {
			close(enough)
		}
	})
	ctx := context.Background()
	go srv.ReadMessage(ctx, nil) // notices the pongs
	go cli.ReadMessage(ctx, nil) // answers the pings
	kctx, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() { errc <- srv.KeepAlive(kctx, 5*time.Millisecond, 10*time.Second) }()
	<-enough
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("KeepAlive returned %v, want context.Canceled", err)
	}
	if err := srv.WriteMessage(ctx, MessageText, []byte("still open")); err != nil {
		t.Fatalf("write after KeepAlive stopped: %v", err)
	}
}

// TestKeepAliveTimeout checks that a peer that reads but never answers
// pings is sent a close frame with 1011, and that the connection is then
// closed with reads reporting 1006.
func TestKeepAliveTimeout(t *testing.T) {
	srv, cli := wsPair(t, nil, nil)
	ctx := context.Background()
	readErr := make(chan error, 1)
	go func() {
		_, _, err := srv.ReadMessage(ctx, nil)
		readErr <- err
	}()
	// The peer reads frames and drops them: pings go unanswered.
	seen := make(chan FrameHeader, 16)
	go func() {
		br := bufio.NewReader(cli.NetConn())
		for {
			h, err := ReadFrameHeader(br)
			if err != nil {
				close(seen)
				return
			}
			p := make([]byte, h.Length)
			if _, err := io.ReadFull(br, p); err != nil {
				close(seen)
				return
			}
			if h.Opcode == OpClose {
				if code, _, err := ParseClosePayload(p); code != StatusInternalError {
					t.Errorf("close frame with %v, %v; want 1011", code, err)
				}
			}
			seen <- h
		}
	}()
	err := srv.KeepAlive(ctx, 5*time.Millisecond, 20*time.Millisecond)
	if !errors.Is(err, ErrPongTimeout) || CloseStatus(err) != StatusAbnormalClosure {
		t.Fatalf("KeepAlive returned %v, want 1006 with ErrPongTimeout", err)
	}
	if err := <-readErr; !errors.Is(err, ErrPongTimeout) || CloseStatus(err) != StatusAbnormalClosure {
		t.Fatalf("read ended with %v, want 1006 with ErrPongTimeout", err)
	}
	var ops []Opcode
	for h := range seen {
		ops = append(ops, h.Opcode)
	}
	if len(ops) < 2 || ops[0] != OpPing || ops[len(ops)-1] != OpClose {
		t.Fatalf("peer saw frames %v, want pings then a close frame", ops)
	}
	if err := srv.WriteMessage(ctx, MessageText, []byte("x")); err == nil {
		t.Fatal("write after keepalive timeout succeeded")
	}
}
