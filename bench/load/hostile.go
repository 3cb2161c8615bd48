package load

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/f30c7f75/websocket/bench/payload"
	"github.com/gobwas/ws"
)

// LatencyConfig describes a latency run: Conns well-behaved connections
// each echo one message of Size bytes every Interval and time the round
// trip, while one more connection, unless Hostile is "", misbehaves:
//
//   - "flood": sends messages of FloodSize bytes without pause, many in
//     flight, and reads the echoes as fast as they come;
//   - "trickle": sends the frame of one message of FloodSize bytes one byte
//     at a time, a byte every millisecond, over and over.
type LatencyConfig struct {
	Addr      string
	Conns     int
	Size      int
	Interval  time.Duration
	Hostile   string
	FloodSize int
	Warmup    time.Duration
	Duration  time.Duration
}

// LatencyResult holds the round trips of the well-behaved connections.
type LatencyResult struct {
	RTTs []time.Duration // sorted
}

// Quantile returns the q-quantile of the round trips (0 ≤ q ≤ 1).
func (r LatencyResult) Quantile(q float64) time.Duration {
	if len(r.RTTs) == 0 {
		return 0
	}
	return r.RTTs[min(len(r.RTTs)-1, int(q*float64(len(r.RTTs))))]
}

// Latency performs a latency run.
func Latency(ctx context.Context, cfg LatencyConfig) (LatencyResult, error) {
	if cfg.Hostile != "" && cfg.Hostile != "flood" && cfg.Hostile != "trickle" {
		return LatencyResult{}, fmt.Errorf("load: unknown hostile behaviour %q", cfg.Hostile)
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	errs := make(chan error, cfg.Conns+2)
	fail := func(err error) {
		if !stop.Load() {
			errs <- err
		}
		stop.Store(true)
	}
	var conns []*client
	shutdown := func() {
		stop.Store(true)
		for _, c := range conns {
			closeNow(c.nc)
		}
		conns = nil
		wg.Wait()
	}
	defer shutdown()
	dial := func(size int) (*client, error) {
		nc, br, err := Dial(ctx, cfg.Addr, false)
		if err != nil {
			return nil, err
		}
		p := payload.JSON(size)
		c := &client{nc: nc, br: br, frame: Frame(ws.OpBinary, p, false), want: p, buf: make([]byte, size)}
		conns = append(conns, c)
		return c, nil
	}

	if cfg.Hostile != "" {
		h, err := dial(cfg.FloodSize)
		if err != nil {
			return LatencyResult{}, fmt.Errorf("load: the hostile connection: %w", err)
		}
		if cfg.Hostile == "flood" {
			wg.Go(func() {
				if err := h.pipeline(64, &stop); err != nil {
					fail(fmt.Errorf("load: the flooding connection: %w", err))
				}
			})
		} else {
			wg.Go(func() {
				for !stop.Load() {
					for i := range h.frame {
						if stop.Load() {
							return
						}
						if _, err := h.nc.Write(h.frame[i : i+1]); err != nil {
							fail(fmt.Errorf("load: the trickling connection: %w", err))
							return
						}
						time.Sleep(time.Millisecond)
					}
					if err := h.receive(); err != nil {
						fail(fmt.Errorf("load: the trickling connection: %w", err))
						return
					}
				}
			})
		}
	}

	var mu sync.Mutex
	var rtts []time.Duration
	start := time.Now()
	measureFrom := start.Add(cfg.Warmup)
	end := measureFrom.Add(cfg.Duration)
	for i := range cfg.Conns {
		c, err := dial(cfg.Size)
		if err != nil {
			return LatencyResult{}, fmt.Errorf("load: connection %d: %w", i, err)
		}
		wg.Go(func() {
			var mine []time.Duration
			// Spread the connections over the interval.
			time.Sleep(time.Duration(i) * cfg.Interval / time.Duration(cfg.Conns))
			for !stop.Load() {
				t0 := time.Now()
				if t0.After(end) {
					break
				}
				if err := c.roundTrip(); err != nil {
					fail(err)
					return
				}
				if t0.After(measureFrom) {
					mine = append(mine, time.Since(t0))
				}
				time.Sleep(cfg.Interval)
			}
			mu.Lock()
			rtts = append(rtts, mine...)
			mu.Unlock()
		})
	}
	for time.Now().Before(end) && !stop.Load() {
		select {
		case <-ctx.Done():
			return LatencyResult{}, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
	shutdown()
	select {
	case err := <-errs:
		return LatencyResult{}, err
	default:
	}
	if len(rtts) == 0 {
		return LatencyResult{}, errors.New("load: no round trip in the measured window")
	}
	slices.Sort(rtts)
	return LatencyResult{RTTs: rtts}, nil
}
