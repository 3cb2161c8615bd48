package websocket

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// TestSemExclusion has goroutines take the sem in turns, some giving up
// early through their contexts, and checks that no two ever hold it at
// once and that none is left waiting.
func TestSemExclusion(t *testing.T) {
	var s sem
	closed := make(chan struct{})
	var held, total int
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 2000 {
				ctx := context.Background()
				var cancel context.CancelFunc = func() {}
				if (g+i)%5 == 0 {
					ctx, cancel = context.WithTimeout(ctx, time.Microsecond)
				}
				err := s.lock(ctx, closed)
				cancel()
				if err != nil {
					if !errors.Is(err, context.DeadlineExceeded) {
						t.Errorf("lock: %v", err)
					}
					continue
				}
				held++
				if held != 1 {
					t.Errorf("%d holders", held)
				}
				total++
				held--
				s.unlock()
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(peerTimeout):
		t.Fatal("a goroutine is stuck waiting for the sem")
	}
	if total == 0 {
		t.Fatal("nobody took the sem")
	}
}

// TestSemGivesUp checks that a waiter returns when its context ends or the
// connection closes, and that the sem stays usable.
func TestSemGivesUp(t *testing.T) {
	var s sem
	closed := make(chan struct{})
	if err := s.lock(context.Background(), closed); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error)
	go func() { errc <- s.lock(ctx, closed) }()
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled waiter: %v", err)
	}
	go func() { errc <- s.lock(context.Background(), closed) }()
	close(closed)
	if err := <-errc; !errors.Is(err, ErrClosed) {
		t.Fatalf("waiter on a closed connection: %v", err)
	}
	s.unlock()
	if err := s.lock(context.Background(), make(chan struct{})); err != nil {
		t.Fatal(err)
	}
	s.unlock()
	// A waiter is woken by the unlock it waits for.
	s.lock(context.Background(), nil)
	go func() { errc <- s.lock(context.Background(), nil) }()
	time.Sleep(time.Millisecond)
	s.unlock()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(peerTimeout):
		t.Fatal("waiter not woken")
	}
}

// TestSemLockUnless checks that lockUnless takes a free sem, and gives up
// on a held one when one of its channels fires, before or while it waits.
func TestSemLockUnless(t *testing.T) {
	var s sem
	if !s.lockUnless(nil, nil, nil) {
		t.Fatal("a free sem was not taken")
	}
	fired := make(chan struct{})
	close(fired)
	if s.lockUnless(fired, nil, nil) {
		t.Fatal("taken while held")
	}
	timer := time.NewTimer(time.Millisecond)
	if s.lockUnless(nil, nil, timer.C) {
		t.Fatal("taken while held, past the timer")
	}
	done := make(chan bool)
	go func() { done <- s.lockUnless(nil, make(chan struct{}), nil) }()
	time.Sleep(time.Millisecond)
	s.unlock()
	if !<-done {
		t.Fatal("not taken once released")
	}
	s.unlock()
	// A fired channel wins over a free sem.
	if s.lockUnless(nil, fired, nil) {
		t.Fatal("taken although a channel had fired")
	}
}
