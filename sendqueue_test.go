package websocket

// Tests of SendQueue, the queue that writes prepared messages to a slow
// peer from a goroutine of its own. Most run the queue on one end of a
// net.Pipe pair (signalPipe, helpers_test.go), whose writes block until the
// other end reads: a peer that does not read is as slow as can be. This file
// holds what the tests share; they are in sendqueue_policy_test.go,
// sendqueue_timeout_test.go, sendqueue_close_test.go and
// sendqueue_memory_test.go.

import (
	"context"
	"fmt"
	"runtime"
	"testing"
)

// writing reports whether a message taken from the queue is being written,
// while no Send is under way.
func (q *SendQueue) writing() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.sent-q.finished > uint64(q.n)
}

func textMessage(s string) *PreparedMessage {
	pm, _ := NewPreparedMessage(MessageText, []byte(s))
	return pm
}

// fillQueue sends messages to q, whose connection signals its writes on
// writes, until one is being written (and blocks, as the peer does not
// read) and size more wait, then returns how many it sent.
func fillQueue(t *testing.T, q *SendQueue, writes <-chan struct{}, size int) int {
	t.Helper()
	if err := q.Send(textMessage("m0")); err != nil {
		t.Fatal(err)
	}
	<-writes // the writer has taken m0 and is writing it
	for i := 1; i <= size; i++ {
		if err := q.Send(textMessage(fmt.Sprint("m", i))); err != nil {
			t.Fatalf("send %d into a queue of %d: %v", i, size, err)
		}
	}
	return size + 1
}

// waitWritten waits, without allocating, until every message sent to q has
// been written.
func waitWritten(q *SendQueue) {
	for {
		q.mu.Lock()
		done := q.finished == q.sent
		q.mu.Unlock()
		if done {
			return
		}
		runtime.Gosched()
	}
}

// newQueue is NewSendQueue, failing the test rather than the program if it
// panics.
func newQueue(t *testing.T, c *Conn, opts *SendQueueOptions) (q *SendQueue) {
	t.Helper()
	defer func() {
		if p := recover(); p != nil {
			t.Fatalf("NewSendQueue(%+v) panicked: %v", *opts, p)
		}
	}()
	return NewSendQueue(c, opts)
}

// readAll reads n messages from c and checks they are m0, m1, ...
func readAll(t *testing.T, c *Conn, n int) {
	t.Helper()
	readRange(t, c, 0, n)
}

// readRange reads messages from c and checks they are m<from> to m<to-1>.
func readRange(t *testing.T, c *Conn, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		_, got, err := c.ReadMessage(context.Background(), nil)
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if want := fmt.Sprint("m", i); string(got) != want {
			t.Fatalf("message %d: got %q, want %q", i, got, want)
		}
	}
}

// TestSendQueueNil checks that a nil message is refused by Send rather than
// failing the queue's goroutine, and that a nil Conn is refused by
// NewSendQueue rather than by that goroutine.
func TestSendQueueNil(t *testing.T) {
	srv, cli := pipePair(t)
	q := NewSendQueue(srv, nil)
	defer q.Close()
	if err := q.Send(nil); err == nil {
		t.Fatal("Send(nil) succeeded")
	}
	if err := q.Send(textMessage("m0")); err != nil {
		t.Fatalf("send after Send(nil): %v", err)
	}
	readAll(t, cli, 1)
	if err := q.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}

	func() {
		defer func() {
			if recover() == nil {
				t.Error("NewSendQueue(nil, nil) did not panic")
			}
		}()
		NewSendQueue(nil, nil)
	}()
}
