package websocket

// Tests of a SendQueue that fills up: each FullPolicy (drop the message, or
// close the connection with 1008 or 1013), and the Size that decides when it
// is full, at its extremes.

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"testing"
)

// TestSendQueueDrop checks the DropMessage policy: Send never blocks, a
// message that finds the queue full is dropped with ErrQueueFull, the
// connection lives on and the others arrive in order.
func TestSendQueueDrop(t *testing.T) {
	srv, cli, writes := signalPipe(t)
	q := NewSendQueue(srv, &SendQueueOptions{Size: 3})
	defer q.Close()
	n := fillQueue(t, q, writes, 3)
	for range 5 {
		if err := q.Send(textMessage("dropped")); !errors.Is(err, ErrQueueFull) {
			t.Fatalf("send to a full queue: %v, want ErrQueueFull", err)
		}
	}
	readAll(t, cli, n)
	ctx := context.Background()
	// The queue still works, and nothing dropped was sent.
	if err := q.Send(textMessage("after")); err != nil {
		t.Fatal(err)
	}
	if _, got, err := cli.ReadMessage(ctx, nil); err != nil || string(got) != "after" {
		t.Fatalf("got %q, %v; want \"after\"", got, err)
	}
	if err := q.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestSendQueueCloseSlow checks the closing policies: a message that finds
// the queue full closes the connection with the policy's status code, and
// every later Send fails at once.
func TestSendQueueCloseSlow(t *testing.T) {
	for _, tc := range []struct {
		policy FullPolicy
		code   StatusCode
	}{
		{ClosePolicyViolation, StatusPolicyViolation},
		{CloseTryAgainLater, StatusTryAgainLater},
	} {
		t.Run(tc.code.String(), func(t *testing.T) {
			srv, cli, writes := signalPipe(t)
			q := NewSendQueue(srv, &SendQueueOptions{Size: 2, Full: tc.policy})
			defer q.Close()
			fillQueue(t, q, writes, 2)
			err := q.Send(textMessage("one too many"))
			if !errors.Is(err, ErrSlowConsumer) {
				t.Fatalf("send to a full queue: %v, want ErrSlowConsumer", err)
			}
			if err := q.Send(textMessage("later")); !errors.Is(err, ErrSlowConsumer) {
				t.Fatalf("send after giving up: %v, want ErrSlowConsumer", err)
			}
			// The peer, reading at last, gets what was being written and
			// then the close frame.
			ctx := context.Background()
			for i := 0; ; i++ {
				_, msg, err := cli.ReadMessage(ctx, nil)
				if err != nil {
					if got := CloseStatus(err); got != tc.code {
						t.Fatalf("peer read ended with %v, want close code %v", err, tc.code)
					}
					break
				}
				if i > 2 || string(msg) == "one too many" {
					t.Fatalf("peer read message %d %q after the queue gave up", i, msg)
				}
			}
			<-q.Done()
		})
	}
}

// TestSendQueueSize checks Size at zero, one, the most an int holds and
// below zero, under each FullPolicy and values outside them: how many
// messages wait beside the one being written, what the one after them
// gets, and that those accepted arrive in order.
func TestSendQueueSize(t *testing.T) {
	for _, tc := range []struct {
		size, holds int // holds: messages that wait; -1 for more than we send
	}{
		{0, DefaultQueueSize},
		{-1, DefaultQueueSize},
		{math.MinInt, DefaultQueueSize},
		{1, 1},
		{3, 3},
		{math.MaxInt, -1},
		{1 << 30, -1},
	} {
		for _, full := range []FullPolicy{DropMessage, ClosePolicyViolation, CloseTryAgainLater, -1, 3, 99} {
			t.Run(fmt.Sprintf("size=%d/full=%d", tc.size, full), func(t *testing.T) {
				srv, cli, writes := signalPipe(t)
				q := newQueue(t, srv, &SendQueueOptions{Size: tc.size, Full: full})
				defer q.Close()
				holds := tc.holds
				if holds < 0 {
					holds = 3 * DefaultQueueSize
				}
				n := fillQueue(t, q, writes, holds)
				if got := q.Len(); got != holds {
					t.Fatalf("Len %d, want %d", got, holds)
				}
				if tc.holds < 0 {
					// Nothing was turned away; the peer gets it all.
					readAll(t, cli, n)
					if err := q.Flush(context.Background()); err != nil {
						t.Fatal(err)
					}
					return
				}
				err := q.Send(textMessage("one too many"))
				switch full {
				case ClosePolicyViolation, CloseTryAgainLater:
					if !errors.Is(err, ErrSlowConsumer) {
						t.Fatalf("send to a full queue: %v, want ErrSlowConsumer", err)
					}
					if q.Len() != 0 {
						t.Fatalf("Len %d after giving up, want 0", q.Len())
					}
					return
				}
				if !errors.Is(err, ErrQueueFull) {
					t.Fatalf("send to a full queue: %v, want ErrQueueFull", err)
				}
				readAll(t, cli, n)
				if err := q.Flush(context.Background()); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}

// TestSendQueueSizeMemory checks that a queue allows for Size messages
// without allocating room for them up front.
func TestSendQueueSizeMemory(t *testing.T) {
	c := newConn(&utDiscardConn{}, false, "", nil)
	for _, size := range []int{1 << 30, math.MaxInt} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		q := newQueue(t, c, &SendQueueOptions{Size: size})
		runtime.ReadMemStats(&after)
		q.Close()
		if n := after.TotalAlloc - before.TotalAlloc; n > 64<<10 {
			t.Errorf("Size %d: NewSendQueue allocated %d bytes", size, n)
		}
	}
}
