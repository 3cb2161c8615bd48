// Command load drives an echo server (see cmd/echoserver) over loopback
// and prints one line of results as key=value pairs.
//
// Throughput: C connections each send messages of S bytes in a closed loop
// (one message in flight per connection) for a warm-up and then a measured
// window; it prints the echoes per second and, given the server's -pid, the
// server's CPU time per echo from /proc/PID/stat:
//
//	load -addr 127.0.0.1:9001 -conns 64 -size 1024 -duration 1.5s -pid 1234 -clk-tck $(getconf CLK_TCK)
//	msgs=... secs=... msgs_per_s=... cpu_ticks=... cpu_us_per_msg=...
//
// -inflight K keeps K messages in flight on each connection instead of one,
// and -fragment F sends each message in frames of F bytes of payload; the
// burst cell of bench/README.md is
//
//	load -conns 4 -inflight 4 -size 1048576 -fragment 65536 -pid 1234
//
// Idle memory: -idle N opens N connections, leaves them idle and prints the
// server's resident memory per connection from /proc/PID/status, before and
// after asking the server (SIGUSR1) to collect its garbage:
//
//	load -addr 127.0.0.1:9001 -idle 10000 -pid 1234
//	conns=... rss_before_kib=... rss_after_kib=... kib_per_conn=... kib_per_conn_gc=...
//
// Latency under a hostile peer: -hostile flood or -hostile trickle has
// C connections each echo a message every -interval and prints the
// quantiles of their round trips, while one more connection floods the
// server with messages of -flood-size bytes or trickles one, a byte a
// millisecond (-hostile none: no such connection, for comparison):
//
//	load -addr 127.0.0.1:9001 -conns 63 -size 16 -hostile flood -interval 10ms
//	rtts=... p50_us=... p99_us=... max_us=...
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/f30c7f75/websocket/bench/load"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:9001", "echo server address")
	conns := flag.Int("conns", 1, "connections")
	inflight := flag.Int("inflight", 1, "messages each connection keeps sent and not yet echoed")
	fragment := flag.Int("fragment", 0, "send each message in frames of this many payload bytes (0: one frame; not with -deflate)")
	size := flag.Int("size", 1024, "message size in bytes")
	deflate := flag.Bool("deflate", false, "negotiate permessage-deflate and send compressed messages")
	warmup := flag.Duration("warmup", 300*time.Millisecond, "warm-up before the measured window")
	duration := flag.Duration("duration", 1500*time.Millisecond, "measured window")
	pid := flag.Int("pid", 0, "the server's process id, for its CPU time and memory")
	clkTck := flag.Int("clk-tck", 100, "clock ticks per second (getconf CLK_TCK)")
	idle := flag.Int("idle", 0, "open this many idle connections and measure the server's memory instead")
	settle := flag.Duration("settle", time.Second, "with -idle, how long to wait before each measurement")
	hostile := flag.String("hostile", "", "measure round trips while one connection misbehaves: flood, trickle, or none")
	interval := flag.Duration("interval", 10*time.Millisecond, "with -hostile, the pause between a connection's echoes")
	floodSize := flag.Int("flood-size", 64<<10, "with -hostile, the size of the hostile connection's messages")
	flag.Parse()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := load.WaitReady(*addr, 10*time.Second); err != nil {
		fail(err)
	}
	if *idle > 0 {
		if *pid == 0 {
			fail(fmt.Errorf("-idle needs -pid"))
		}
		r, err := load.Idle(ctx, *addr, *idle, *pid, *settle)
		if err != nil {
			fail(err)
		}
		fmt.Printf("conns=%d rss_before_kib=%d rss_after_kib=%d rss_after_gc_kib=%d kib_per_conn=%.2f kib_per_conn_gc=%.2f\n",
			r.Conns, r.Before, r.After, r.AfterFree, r.PerConn(), r.PerConnFreed())
		return
	}
	if *hostile != "" {
		h := *hostile
		if h == "none" {
			h = ""
		}
		r, err := load.Latency(ctx, load.LatencyConfig{
			Addr: *addr, Conns: *conns, Size: *size, Interval: *interval, Hostile: h, FloodSize: *floodSize,
			Warmup: *warmup, Duration: *duration,
		})
		if err != nil {
			fail(err)
		}
		fmt.Printf("rtts=%d p50_us=%d p99_us=%d max_us=%d\n", len(r.RTTs),
			r.Quantile(0.5).Microseconds(), r.Quantile(0.99).Microseconds(), r.Quantile(1).Microseconds())
		return
	}
	r, err := load.Run(ctx, load.Config{
		Addr: *addr, Conns: *conns, InFlight: *inflight, Size: *size, Fragment: *fragment, Deflate: *deflate,
		Warmup: *warmup, Duration: *duration, PID: *pid,
	})
	if err != nil {
		fail(err)
	}
	fmt.Printf("msgs=%d secs=%.3f msgs_per_s=%.0f", r.Messages, r.Elapsed.Seconds(), r.PerSecond())
	if *pid != 0 {
		fmt.Printf(" cpu_ticks=%d cpu_us_per_msg=%.3f", r.CPUTicks, r.CPUMicros(*clkTck))
	}
	fmt.Println()
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "load:", err)
	os.Exit(1)
}
