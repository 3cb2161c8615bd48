package websocket

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The soak test: many connections at once for a while, most of them
// well-behaved clients exchanging messages, the rest hostile (slow
// handshakes, oversized messages, invalid UTF-8, garbage, resets mid-frame,
// clients that never read). The server must serve the well-behaved ones
// without a single error, end each hostile one with the right close code,
// and leave no goroutine behind. By default it runs in its short form;
//
//	go test -run TestSoak -soak.conns 5000 -soak.duration 60s
//
// runs the long one.
var (
	soakConns    = flag.Int("soak.conns", 300, "connections open at once in TestSoak")
	soakDuration = flag.Duration("soak.duration", 5*time.Second, "how long TestSoak runs")
)

const soakReadLimit = 64 << 10

// soakTally counts outcomes by kind.
type soakTally struct {
	mu sync.Mutex
	m  map[string]int
}

func (s *soakTally) add(kind string) {
	s.mu.Lock()
	if s.m == nil {
		s.m = map[string]int{}
	}
	s.m[kind]++
	s.mu.Unlock()
}

func (s *soakTally) get(kind string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[kind]
}

func (s *soakTally) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]string, 0, len(s.m))
	for k := range s.m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "\n  %-40s %8d", k, s.m[k])
	}
	return b.String()
}

// soakErrKind names how a connection ended, as the server saw it.
func soakErrKind(err error) string {
	var pe *ProtocolError
	var ce *CloseError
	switch {
	case errors.As(err, &pe):
		return fmt.Sprintf("failed by server: %d", pe.Code)
	case errors.As(err, &ce):
		return fmt.Sprintf("closed by peer: %d", ce.Code)
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return "write timed out"
	}
	return "other: " + err.Error()
}

func TestSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("the soak test does not run with -short")
	}
	checkNoLeaks(t)
	srv := startSoakServer(t)
	stopSampling := sampleSoakPeaks()
	kinds := soakKinds(srv.url, srv.ln.Addr().String())
	var picks []int
	for i, k := range kinds {
		for j := 0; j < k.share; j++ {
			picks = append(picks, i)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), *soakDuration)
	defer cancel()
	var client soakTally
	var clients sync.WaitGroup
	var clientErrs atomic.Int64
	for i := 0; i < *soakConns; i++ {
		k := kinds[picks[i%len(picks)]]
		clients.Add(1)
		go func(seed uint64) {
			defer clients.Done()
			rng := rand.New(rand.NewPCG(seed, 1))
			// Each slot runs its kind of client again and again until the
			// end: hostile ones end quickly, good ones last.
			for ctx.Err() == nil {
				outcome, err := k.run(ctx, rng)
				client.add(k.name + ": " + outcome)
				if err != nil {
					if clientErrs.Add(1) <= 10 {
						t.Errorf("%s client: %v", k.name, err)
					}
					return
				}
			}
		}(uint64(i))
		if i%100 == 99 {
			time.Sleep(10 * time.Millisecond) // do not flood the listen backlog
		}
	}
	clients.Wait()
	srv.Close() // closes the listener and idle connections; hijacked ones are ours
	srv.handlers.Wait()
	peakHeap, peakSys, peakGoroutines := stopSampling()

	echoed := srv.echoed.Load()
	t.Logf("soak: %d connections at once for %v: %d messages echoed (%.0f/s)", *soakConns, *soakDuration, echoed, float64(echoed)/soakDuration.Seconds())
	t.Logf("peak heap+stacks %.1f MiB, peak Sys %.1f MiB, peak goroutines %d (server and clients share the process)", float64(peakHeap)/(1<<20), float64(peakSys)/(1<<20), peakGoroutines)
	t.Logf("clients:%v", &client)
	t.Logf("server:%v", &srv.tally)
	checkSoakOutcomes(t, &client, &srv.tally, echoed)
}

// soakServer is the soak test's echo server.
type soakServer struct {
	*http.Server
	ln       net.Listener
	url      string
	tally    soakTally // how its connections ended
	echoed   atomic.Int64
	handlers sync.WaitGroup
}

// soakWriteTimeout bounds each echo the server writes: it cuts off the
// clients that never read, whose socket buffers fill. A client that reads
// is cut off only if the server cannot write for that long, on a machine
// too loaded to serve the connections at all; the good clients would then
// fail, and say so (the long form, 5,000 connections on 2 cores, passes).
const soakWriteTimeout = 500 * time.Millisecond

// startSoakServer starts the soak test's echo server on loopback.
func startSoakServer(t *testing.T) *soakServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &soakServer{ln: ln, url: "ws://" + ln.Addr().String() + "/"}
	s.Server = &http.Server{
		ReadHeaderTimeout: 3 * time.Second, // generous: thousands of clients connect at once
		Handler:           http.HandlerFunc(s.serve),
	}
	go s.Serve(ln)
	return s
}

// serve echoes each message until the connection ends, and tallies how.
func (s *soakServer) serve(w http.ResponseWriter, r *http.Request) {
	s.handlers.Add(1)
	defer s.handlers.Done()
	c, err := Accept(w, r, nil)
	if err != nil {
		s.tally.add("handshake refused")
		return
	}
	defer c.CloseNow()
	c.SetReadLimit(soakReadLimit)
	c.SetCloseTimeout(time.Second)
	ctx := context.Background()
	var buf []byte
	for {
		typ, msg, err := c.ReadMessage(ctx, buf[:0])
		if err != nil {
			s.tally.add(soakErrKind(err))
			return
		}
		wctx, cancel := context.WithTimeout(ctx, soakWriteTimeout)
		err = c.WriteMessage(wctx, typ, msg)
		cancel()
		if err != nil {
			s.tally.add(soakErrKind(err))
			return
		}
		buf = msg
		s.echoed.Add(1)
	}
}

// sampleSoakPeaks samples the process's memory and goroutines until the
// func it returns is called, which returns the peaks.
func sampleSoakPeaks() func() (heap, sys uint64, goroutines int) {
	var peakHeap, peakSys uint64
	var peakGoroutines int
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			peakHeap = max(peakHeap, ms.HeapInuse+ms.StackInuse)
			peakSys = max(peakSys, ms.Sys)
			peakGoroutines = max(peakGoroutines, runtime.NumGoroutine())
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	return func() (uint64, uint64, int) {
		close(stop)
		<-sampled
		return peakHeap, peakSys, peakGoroutines
	}
}

// soakKind is a kind of client, with its share of the connections in
// 20ths.
type soakKind struct {
	name  string
	share int
	run   func(ctx context.Context, rng *rand.Rand) (outcome string, err error)
}

// soakKinds lists the clients of the soak test, well-behaved and hostile,
// of the server at url (addr).
func soakKinds(url, addr string) []soakKind {
	return []soakKind{
		{"good", 14, func(ctx context.Context, rng *rand.Rand) (string, error) { return soakGood(ctx, url, rng) }},
		{"slow handshake", 1, func(ctx context.Context, rng *rand.Rand) (string, error) {
			return soakSlowHandshake(addr)
		}},
		{"oversized message", 1, func(ctx context.Context, rng *rand.Rand) (string, error) {
			// A message announced over the limit fails the connection at
			// its header, and the server reads no more of it (section
			// 7.1.7): a client sending it whole may see its write cut off
			// instead of the close frame, so this one sends the header and
			// a little payload, and reads.
			return soakExpectFailure(url, StatusMessageTooBig, func(c *Conn) error {
				h := FrameHeader{Fin: true, Opcode: OpBinary, Length: soakReadLimit + 1, Masked: true}
				_, err := c.NetConn().Write(append(AppendFrameHeader(nil, h), make([]byte, 1024)...))
				return err
			})
		}},
		{"invalid UTF-8", 1, func(ctx context.Context, rng *rand.Rand) (string, error) {
			return soakExpectFailure(url, StatusInvalidFramePayloadData, func(c *Conn) error {
				return c.WriteMessage(context.Background(), MessageText, []byte("caf\xc3\x28"))
			})
		}},
		{"garbage", 1, func(ctx context.Context, rng *rand.Rand) (string, error) {
			return soakExpectFailure(url, StatusProtocolError, func(c *Conn) error {
				_, err := c.NetConn().Write([]byte("\xf3\xff this is not a frame"))
				return err
			})
		}},
		{"reset mid-frame", 1, func(ctx context.Context, rng *rand.Rand) (string, error) { return soakReset(url) }},
		{"never reads", 1, func(ctx context.Context, rng *rand.Rand) (string, error) { return soakNeverReads(url) }},
	}
}

// checkSoakOutcomes checks that every hostile kind of client was seen and
// ended as it must, and that good clients finished.
func checkSoakOutcomes(t *testing.T, client, server *soakTally, echoed int64) {
	for kind, code := range map[string]StatusCode{
		"oversized message": StatusMessageTooBig,
		"invalid UTF-8":     StatusInvalidFramePayloadData,
		"garbage":           StatusProtocolError,
	} {
		if client.get(kind+": failed as expected") == 0 || server.get(fmt.Sprintf("failed by server: %d", code)) == 0 {
			t.Errorf("no %s client was failed with %d", kind, code)
		}
	}
	if client.get("slow handshake: cut off") == 0 {
		t.Error("no slow handshake was cut off")
	}
	if server.get("closed by peer: 1006") == 0 {
		t.Error("the server saw no abnormal closure from the resets")
	}
	if client.get("never reads: cut off") == 0 || server.get("write timed out") == 0 {
		t.Error("no client that never reads was cut off by a write timeout")
	}
	if echoed == 0 || client.get("good: done") == 0 {
		t.Error("no good client finished")
	}
}

// soakGood exchanges messages of random sizes until ctx ends, checking
// every echo, and closes cleanly.
func soakGood(ctx context.Context, url string, rng *rand.Rand) (string, error) {
	c, err := soakDial(url)
	if err != nil {
		return "", err
	}
	defer c.CloseNow()
	var buf []byte
	msg := make([]byte, 4096)
	for ctx.Err() == nil {
		n := rng.IntN(len(msg))
		for i := range msg[:n] {
			msg[i] = 'a' + byte(rng.IntN(26))
		}
		octx, ocancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := c.WriteMessage(octx, MessageText, msg[:n])
		var got []byte
		var typ MessageType
		if err == nil {
			typ, got, err = c.ReadMessage(octx, buf[:0])
		}
		ocancel()
		if err != nil {
			return "", fmt.Errorf("echo: %w", err)
		}
		if typ != MessageText || !bytes.Equal(got, msg[:n]) {
			return "", fmt.Errorf("echo of %d bytes came back as %v of %d bytes, different", n, typ, len(got))
		}
		buf = got
		time.Sleep(time.Duration(rng.IntN(20)) * time.Millisecond)
	}
	if err := c.Close(StatusNormalClosure, ""); err != nil {
		return "", fmt.Errorf("close: %w", err)
	}
	return "done", nil
}

// soakSlowHandshake sends a handshake request a byte every 50 ms, its
// header growing without end, and expects the server to hang up (at its
// ReadHeaderTimeout) within a minute.
func soakSlowHandshake(addr string) (string, error) {
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		return "", err
	}
	defer nc.Close()
	req := "GET / HTTP/1.1\r\nHost: soak\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	end := time.Now().Add(time.Minute)
	for i := 0; time.Now().Before(end); i++ {
		b := byte("X-Slow: 1\r\n"[i%11])
		if i < len(req) {
			b = req[i]
		}
		if _, err := nc.Write([]byte{b}); err != nil {
			return "cut off", nil
		}
		nc.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		var buf [1]byte
		if _, err := nc.Read(buf[:]); err != nil && !isTimeout(err) {
			return "cut off", nil
		}
	}
	return "", errors.New("the server did not cut off a request sent a byte every 50 ms within a minute")
}

// soakDial dials url, giving the handshake ten seconds.
func soakDial(url string) (*Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := Dial(ctx, url, nil)
	if err != nil {
		return nil, fmt.Errorf("dial: %w", err)
	}
	return c, nil
}

// soakExpectFailure dials, runs misbehave, and expects the server to fail
// the connection with code, within ten seconds of dialing.
func soakExpectFailure(url string, code StatusCode, misbehave func(c *Conn) error) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := soakDial(url)
	if err != nil {
		return "", err
	}
	defer c.CloseNow()
	if err := misbehave(c); err != nil {
		return "", err
	}
	_, _, err = c.ReadMessage(ctx, nil)
	if got := CloseStatus(err); got != code {
		return "", fmt.Errorf("read ended with %v, want the server's close with %d", err, code)
	}
	return "failed as expected", nil
}

// soakReset sends half a frame and resets the connection.
func soakReset(url string) (string, error) {
	c, err := soakDial(url)
	if err != nil {
		return "", err
	}
	nc := c.NetConn().(*net.TCPConn)
	nc.Write([]byte{0x82, 0xfe, 0x01}) // a masked binary frame's header, cut
	nc.SetLinger(0)
	c.CloseNow()
	return "reset", nil
}

// soakNeverReads sends messages and never reads the echoes, until the
// server gives up writing to it.
func soakNeverReads(url string) (string, error) {
	c, err := soakDial(url)
	if err != nil {
		return "", err
	}
	defer c.CloseNow()
	msg := make([]byte, 32<<10)
	for {
		wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := c.WriteMessage(wctx, MessageBinary, msg)
		wcancel()
		if err != nil {
			return "cut off", nil
		}
	}
}
