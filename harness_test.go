package websocket

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// The stateful API harness (issue 14): two Conns of this package, over
// loopback TCP (AcceptConn or Accept behind net/http) or an HTTP/2 stream,
// with random options, are driven by a random program of API calls from
// several goroutines on each side: writers (WriteMessage, NextWriter with
// partial writes and stale handles, WritePreparedMessage, a SendQueue), a
// reader (ReadMessage, NextReader with partial reads, abandoned messages,
// stale readers), and a chaos actor (setters, Ping, KeepAlive, deadlines,
// Close and CloseNow), with contexts cancelled and expiring mid-call.
//
// A model checks the outcome: every message a successful write reports
// arrives whole, once, in order, with its type; a failed write never
// arrives; every error is one the API documents; two Conns of this package
// never fail each other for a protocol error, and fail for a limit only
// when a message broke it; the connection closes with the codes the
// program used; nothing hangs, nothing panics, no goroutine is left.
//
// FuzzAPI runs it on programs the fuzzer derives from its input;
// TestAPIHarness runs programs from seeds, briefly by default and for as
// long as -harness.duration says in its long form.

var harnessDuration = flag.Duration("harness.duration", 0, "run TestAPIHarness's programs for this long (0: a few programs)")

// hPair connects a client and a server over the program's transport, and
// returns them with a func that releases the transport.
func hPair(tb testing.TB, p *hProgram) (cli, srv *Conn, release func(), err error) {
	ctx, cancel := context.WithTimeout(context.Background(), peerTimeout)
	defer cancel()
	aopts := &AcceptOptions{Compression: p.z}
	dopts := &DialOptions{Compression: p.z, Proxy: noProxy}
	accepted := make(chan *Conn, 1)
	handlerDone := make(chan struct{})
	var url string
	var closeServer func()
	switch p.transport {
	case hAcceptConn:
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, nil, nil, err
		}
		go func() {
			defer ln.Close()
			nc, err := ln.Accept()
			if err != nil {
				accepted <- nil
				return
			}
			c, _ := AcceptConn(nc, aopts)
			accepted <- c
		}()
		url = "ws://" + ln.Addr().String()
		closeServer = func() { ln.Close() }
	default:
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, _ := Accept(w, r, aopts)
			accepted <- c
			if c != nil {
				// Over HTTP/2, the stream lasts as long as the handler, which
				// returns once the connection is closed, as a server's would.
				select {
				case <-c.closed:
				case <-handlerDone:
				}
				c.CloseNow() // as a handler's deferred CloseNow would

			}
		}))
		if p.transport == hHTTP2 {
			var protos http.Protocols
			protos.SetHTTP1(true)
			protos.SetUnencryptedHTTP2(true)
			srv.Config.Protocols = &protos
			dopts.HTTP2 = &HTTP2Transport{}
		}
		srv.Start()
		url = "ws://" + srv.Listener.Addr().String()
		closeServer = func() {
			if dopts.HTTP2 != nil {
				dopts.HTTP2.CloseIdleConnections()
			}
			srv.Close()
		}
	}
	release = func() {
		close(handlerDone)
		closeServer()
	}
	cli, resp, err := Dial(ctx, url, dopts)
	if err != nil {
		release()
		return nil, nil, nil, err
	}
	if p.transport == hHTTP2 && resp.ProtoMajor != 2 {
		cli.CloseNow()
		release()
		return nil, nil, nil, fmt.Errorf("dialled over %s, not HTTP/2", resp.Proto)
	}
	select {
	case srv = <-accepted:
	case <-ctx.Done():
	}
	if srv == nil {
		cli.CloseNow()
		release()
		return nil, nil, nil, errors.New("the server did not accept")
	}
	return cli, srv, release, nil
}

// hStats counts what the harness has run.
type hStats struct {
	programs, calls int64
	transports      [hTransports]int
	compressed      int
	closedEarly     int
	failed          int
}

// runProgram runs p and checks the model, failing t on a violation.
func runProgram(t testing.TB, p *hProgram, stats *hStats) {
	base := runtime.NumGoroutine()
	cli, srv, release, err := hPair(t, p)
	if err != nil {
		t.Fatalf("connecting over %s: %v", hTransportNames[p.transport], err)
	}
	r := &hRun{p: p, conns: [2]*Conn{cli, srv}, sent: map[int][]hSent{}, got: map[int][]hGot{}}
	for side, c := range r.conns {
		if p.setLimit[side] {
			c.SetReadLimit(p.limit[side])
		}
		if p.frags[side] != 0 {
			c.SetFragmentLimit(p.frags[side])
		}
		if p.closeTimeout[side] != 0 {
			c.SetCloseTimeout(p.closeTimeout[side])
		}
	}
	stop, stopKeepAlive := context.WithCancel(context.Background())
	var actors, readers, keepalive sync.WaitGroup
	r.start(&actors, &readers, &keepalive, stop)
	started := time.Now()
	if !waitGroup(&actors, 60*time.Second) {
		r.violation("the writers and chaos actors did not end within 60 s:\n%s", allStacks())
	}
	open := r.finish(&readers)
	stopKeepAlive()
	keepalive.Wait()
	cli.CloseNow()
	srv.CloseNow()
	release()
	if d := time.Since(started); d > time.Second {
		t.Logf("slow program (%v): ended %v / %v; actors ran %v", d, r.ended[0], r.ended[1], r.took)
	}
	r.checkModel(open)

	// No goroutine is left once the transport is released.
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > base && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > base {
		r.violation("%d goroutines left (%d before the program):\n%s", n-base, base, allStacks())
	}
	stats.add(r, open)
	if len(r.bad) > 0 {
		t.Logf("ended: %v / %v; closed %v codes %v upset %v; sent %v; got %v", r.ended[0], r.ended[1], r.closed, r.codes, r.upset, r.sent, r.got)
		t.Fatalf("program over %s, compression %+v, limits %v %v, fragments %v, close timeouts %v:\n%s\nprogram:\n%s",
			hTransportNames[p.transport], p.z, p.limit, p.setLimit, p.frags, p.closeTimeout, strings.Join(r.bad, "\n"), p.describe())
	}
}

// start starts the program's actors: the readers counted in readers, the
// others in actors, and KeepAlive calls, which last until stop ends, in
// keepalive.
func (r *hRun) start(actors, readers, keepalive *sync.WaitGroup, stop context.Context) {
	for _, a := range r.p.actors {
		wg := actors
		if a.role == hReader {
			wg = readers
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			defer func() {
				r.mu.Lock()
				r.took = append(r.took, fmt.Sprintf("%s/%d %v", hSideNames[a.side], a.role, time.Since(start)))
				r.mu.Unlock()
			}()
			switch a.role {
			case hReader:
				r.runReader(a)
			case hChaos:
				r.runChaos(a, keepalive, stop)
			default:
				r.runWriter(a)
			}
		}()
	}
}

// finish ends a program whose writers and chaos are done. With both sides
// still open, everything written must arrive: it waits for that, then
// closes from one side. It waits for the readers to end, and reports
// whether the program ran open to its end: nothing closed the connection
// before the final Close, which both readers saw (KeepAlive may have given
// up meanwhile, racing it).
func (r *hRun) finish(readers *sync.WaitGroup) bool {
	p := r.p
	r.mu.Lock()
	open := !r.closed[0] && !r.closed[1] && r.ended[0] == nil && r.ended[1] == nil
	r.mu.Unlock()
	if open {
		deadline := time.Now().Add(10 * time.Second)
		for !r.allDelivered() && time.Now().Before(deadline) && r.readersRunning() {
			time.Sleep(time.Millisecond)
		}
		r.markClosed(p.finalCloser, StatusNormalClosure)
		r.mu.Lock()
		r.finalStarted = true
		r.mu.Unlock()
		if err := r.conns[p.finalCloser].Close(StatusNormalClosure, "end"); err != nil {
			r.check(p.finalCloser, "final Close", err)
			r.mu.Lock()
			calm := !r.upset[0] && !r.upset[1] && r.ended[0] == nil && r.ended[1] == nil
			r.mu.Unlock()
			if calm && p.closeTimeout[0] == 0 && p.closeTimeout[1] == 0 {
				r.violation("the final Close, with both sides reading, returned %v", err)
			}
		}
	}
	if !waitGroup(readers, 30*time.Second) {
		r.conns[0].CloseNow()
		r.conns[1].CloseNow()
		if !waitGroup(readers, 10*time.Second) {
			r.violation("the readers did not end, even after CloseNow:\n%s", allStacks())
		} else {
			r.violation("the readers did not end within 30 s of the final Close")
		}
	}
	return open && len(r.codes[0])+len(r.codes[1]) == 1 && r.endedByFinalClose(0) && r.endedByFinalClose(1)
}

// add counts the program r, which ran open to its end or not; s may be
// nil.
func (s *hStats) add(r *hRun, open bool) {
	if s == nil {
		return
	}
	s.programs++
	s.calls += r.calls
	s.transports[r.p.transport]++
	if r.p.z != nil {
		s.compressed++
	}
	if !open {
		s.closedEarly++
	}
	if errKind(r.ended[0]) == "failed" || errKind(r.ended[1]) == "failed" {
		s.failed++
	}
}

func waitGroup(wg *sync.WaitGroup, d time.Duration) bool {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}

func allStacks() string {
	buf := make([]byte, 1<<20)
	return string(buf[:runtime.Stack(buf, true)])
}

// hSeedInput is the input of the program numbered seed: 64 bytes from a
// generator seeded with it, so that a program of TestAPIHarness is also
// the input that makes FuzzAPI run it.
func hSeedInput(seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 0))
	b := make([]byte, 64)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// FuzzAPI runs the harness on a program derived from the input.
func FuzzAPI(f *testing.F) {
	for seed := range uint64(8) {
		f.Add(hSeedInput(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		runProgram(t, genProgram(newChoices(data)), nil)
	})
}

// TestAPIHarness runs the harness on programs from seeds 0, 1, 2...: a few
// by default, for -harness.duration in the long form.
func TestAPIHarness(t *testing.T) {
	if testing.Short() && *harnessDuration == 0 {
		t.Skip("the harness's programs take seconds")
	}
	var stats hStats
	start := time.Now()
	var heap0, heapMax uint64
	heapNow := func() uint64 {
		var m runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m)
		return m.HeapInuse
	}
	heap0 = heapNow()
	for seed := uint64(0); ; seed++ {
		if seed%200 == 199 {
			// Memory stays bounded: what programs leave behind is let go.
			heapMax = max(heapMax, heapNow())
			if heapMax > heap0+64<<20 {
				t.Fatalf("heap in use grew from %d to %d bytes over %d programs", heap0, heapMax, seed)
			}
		}
		if *harnessDuration == 0 && seed == 24 || *harnessDuration > 0 && time.Since(start) > *harnessDuration {
			break
		}
		p := genProgram(newChoices(hSeedInput(seed)))
		ok := t.Run(fmt.Sprint(seed), func(t *testing.T) { runProgram(t, p, &stats) })
		if !ok && *harnessDuration > 0 {
			break
		}
	}
	t.Logf("%d programs, %d API calls in %v (transports %v: %v; %d compressed; %d closed before the end; %d failed for a limit); heap in use after GC %d KiB at the start, at most %d KiB",
		stats.programs, stats.calls, time.Since(start).Round(time.Second), hTransportNames, stats.transports, stats.compressed, stats.closedEarly, stats.failed, heap0>>10, max(heapMax, heapNow())>>10)
}
