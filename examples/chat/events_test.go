package main

import (
	"context"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/f30c7f75/websocket"
)

// testEvents, while set, is the EventLoop newServer gives its servers.
var testEvents *websocket.EventLoop

// TestEvents runs the room's tests with an EventLoop reading the
// connections, as -events does.
func TestEvents(t *testing.T) {
	loop, err := websocket.NewEventLoop(nil)
	if err != nil {
		t.Fatal(err)
	}
	testEvents = loop
	t.Cleanup(func() {
		testEvents = nil
		loop.Close()
	})
	for _, tc := range []struct {
		name string
		f    func(*testing.T)
	}{
		{"Conversation", TestConversation},
		{"RoomsAreSeparate", TestRoomsAreSeparate},
		{"BadInput", TestBadInput},
		{"RejectsBadRoomAndName", TestRejectsBadRoomAndName},
		{"ServerCloseSaysRestart", TestServerCloseSaysRestart},
		{"EventsBeforeWelcomeFollowIt", TestEventsBeforeWelcomeFollowIt},
		{"SlowClientDoesNotHoldUpOthers", TestSlowClientDoesNotHoldUpOthers},
		{"Pings", testEventsPings},
	} {
		t.Run(tc.name, tc.f)
	}
}

// testEventsPings checks that, without KeepAlive's goroutine, a member is
// still pinged, again and again.
func testEventsPings(t *testing.T) {
	srv := newServer(t, Options{PingInterval: 20 * time.Millisecond})
	n := &node{srv: srv, hs: httptest.NewServer(srv)}
	t.Cleanup(n.close)
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	c, _, err := websocket.Dial(ctx, n.wsURL("room", "ann"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	var pings atomic.Int32
	enough := make(chan struct{})
	c.OnPing(func([]byte) {
		if pings.Add(1) == 3 {
			close(enough)
		}
	})
	go func() {
		for {
			if _, _, err := c.ReadMessage(context.Background(), nil); err != nil {
				return
			}
		}
	}()
	select {
	case <-enough:
	case <-ctx.Done():
		t.Fatalf("%d pings, want 3", pings.Load())
	}
}
