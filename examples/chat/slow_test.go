package main

import (
	"context"
	"net"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/f30c7f75/websocket"
)

// TestSlowClientDoesNotHoldUpOthers has one member that never reads, with
// a small socket receive buffer, while a room's worth of messages is
// broadcast: the member who reads gets every message, and the server gives
// up on the other one, whose leave is announced.
func TestSlowClientDoesNotHoldUpOthers(t *testing.T) {
	n := startNode(t, nil)
	fast, _ := join(t, n, "busy", "fast")

	dialer := &net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		return rc.Control(func(fd uintptr) {
			syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
		})
	}}
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	slowConn, _, err := websocket.Dial(ctx, n.wsURL("busy", "slow"), &websocket.DialOptions{NetDialContext: dialer.DialContext})
	if err != nil {
		t.Fatal(err)
	}
	defer slowConn.CloseNow()
	fast.expect("join", "slow", "")

	const count = 2000 // 7 MB: far more than the slow member's socket and queue hold
	text := strings.Repeat("x", 3500)
	from := &Member{ID: "server", Name: "broadcaster"}
	// In rounds smaller than a queue, as a reader that keeps up takes
	// them.
	const round = 100
	for r := 0; r < count; r += round {
		for i := r; i < r+round; i++ {
			n.srv.deliver(Event{Type: "message", Room: "busy", From: from, Text: strconv.Itoa(i) + text})
		}
		for i := r; i < r+round; i++ {
			ev := fast.next()
			if ev.Type != "message" || !strings.HasPrefix(ev.Text, strconv.Itoa(i)+"x") {
				t.Fatalf("fast member, message %d: got %s %.20q", i, ev.Type, ev.Text)
			}
		}
	}
	fast.expect("leave", "slow", "")

	// The slow member gets a prefix of the messages, in order, and then
	// the end of the connection.
	slow := &chatClient{t: t, name: "slow", conn: slowConn}
	if ev := slow.next(); ev.Type != "welcome" {
		t.Fatalf("slow member's first event: %+v", ev)
	}
	got := 0
	for {
		ev, err := slow.read()
		if err != nil {
			t.Logf("slow member got %d of %d messages, then: %v", got, count, err)
			break
		}
		if ev.Type != "message" || !strings.HasPrefix(ev.Text, strconv.Itoa(got)+"x") {
			t.Fatalf("slow member, message %d: got %s %.20q", got, ev.Type, ev.Text)
		}
		got++
	}
	if got >= count {
		t.Fatal("the slow member got every message: the queue never filled")
	}
}
