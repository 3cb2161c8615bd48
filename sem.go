package websocket

import (
	"context"
	"sync/atomic"
	"time"
)

// sem is a lock whose waiters can give up, when their context ends or the
// connection closes. Uncontended, taking and releasing it is an atomic
// compare-and-swap and store, not a channel's lock; waiters sleep on wake,
// which holds a token whenever one of them may retry. wake is made on first
// contention, so that most connections, never contended, do without it.
type sem struct {
	held    atomic.Int32 // 1 while someone holds the sem
	waiters atomic.Int32
	wake    atomic.Pointer[chan struct{}]
}

// wakeChan returns s.wake, making it on first use.
func (s *sem) wakeChan() chan struct{} {
	if p := s.wake.Load(); p != nil {
		return *p
	}
	ch := make(chan struct{}, 1)
	if s.wake.CompareAndSwap(nil, &ch) {
		return ch
	}
	return *s.wake.Load()
}

func (s *sem) tryLock() bool { return s.held.CompareAndSwap(0, 1) }

// lock takes s, or returns ctx's error once ctx ends, or ErrClosed once
// closed is closed, whichever comes first.
func (s *sem) lock(ctx context.Context, closed <-chan struct{}) error {
	if s.tryLock() {
		return nil
	}
	switch s.wait(ctx.Done(), closed, nil) {
	case -1:
		return nil
	case 0:
		return ctx.Err()
	}
	return ErrClosed
}

// lockUnless takes s and returns true, unless a or b is closed or t fires
// first (or already has), when it returns false. Nil channels never fire.
func (s *sem) lockUnless(a, b <-chan struct{}, t <-chan time.Time) bool {
	select {
	case <-a:
		return false
	case <-b:
		return false
	case <-t:
		return false
	default:
	}
	return s.tryLock() || s.wait(a, b, t) == -1
}

// wait takes s, returning -1, unless a, b or t fires first: it then returns
// 0, 1 or 2. Registered as a waiter before trying again, a waiter cannot
// miss the token of the unlock that follows a failed try: that unlock
// happens after the try, and so sees the count.
func (s *sem) wait(a, b <-chan struct{}, t <-chan time.Time) int {
	s.waiters.Add(1)
	defer s.waiters.Add(-1)
	wake := s.wakeChan()
	for {
		if s.tryLock() {
			return -1
		}
		select {
		case <-wake:
		case <-a:
			return 0
		case <-b:
			return 1
		case <-t:
			return 2
		}
	}
}

// unlock releases s and wakes a waiter, if there is one.
func (s *sem) unlock() {
	s.held.Store(0)
	if s.waiters.Load() > 0 {
		select {
		case s.wakeChan() <- struct{}{}:
		default: // a token is already there
		}
	}
}
