package load

import (
	"context"
	"fmt"
	"net"
	"sync"
	"syscall"
	"time"
)

// IdleResult is what an idle-connection run measured: the server's
// resident memory before connecting, with every connection open and idle,
// and with them still open after the server collected its garbage and gave
// free memory back to the system (on SIGUSR1; see cmd/echoserver).
type IdleResult struct {
	Conns                    int
	Before, After, AfterFree int64 // VmRSS in KiB
}

// PerConn returns the resident memory added per connection, in KiB.
func (r IdleResult) PerConn() float64 { return float64(r.After-r.Before) / float64(r.Conns) }

// PerConnFreed is PerConn after the server's garbage collection.
func (r IdleResult) PerConnFreed() float64 { return float64(r.AfterFree-r.Before) / float64(r.Conns) }

// Idle opens n connections to the server at addr (process pid), completes
// their handshakes, leaves them idle for settle and measures the server's
// resident memory; then signals the server to collect garbage and measures
// again.
func Idle(ctx context.Context, addr string, n, pid int, settle time.Duration) (IdleResult, error) {
	res := IdleResult{Conns: n}
	var err error
	if res.Before, err = RSSKiB(pid); err != nil {
		return res, err
	}
	conns := make([]net.Conn, n)
	defer func() {
		for _, nc := range conns {
			if nc != nil {
				closeNow(nc)
			}
		}
	}()
	// Dial with a bounded number of handshakes in flight.
	const parallel = 32
	next := make(chan int)
	errs := make(chan error, parallel)
	var wg sync.WaitGroup
	for range parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				nc, _, err := Dial(ctx, addr, false)
				if err != nil {
					errs <- fmt.Errorf("load: connection %d: %w", i, err)
					return
				}
				conns[i] = nc
			}
		}()
	}
	func() {
		defer close(next)
		for i := range n {
			select {
			case next <- i:
			case err := <-errs:
				errs <- err
				return
			}
		}
	}()
	wg.Wait()
	select {
	case err := <-errs:
		return res, err
	default:
	}
	time.Sleep(settle)
	if res.After, err = RSSKiB(pid); err != nil {
		return res, err
	}
	if err := syscall.Kill(pid, syscall.SIGUSR1); err != nil {
		return res, err
	}
	time.Sleep(settle)
	if res.AfterFree, err = RSSKiB(pid); err != nil {
		return res, err
	}
	return res, nil
}
