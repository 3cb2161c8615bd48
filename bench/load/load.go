// Package load is the load client shared by every echo server: it opens
// connections to a server, sends messages in a closed loop and counts the
// echoes, and measures the server's CPU time and memory from /proc.
//
// The client works at the frame level with gobwas/ws (a pinned version, so
// the client does not change as our package does) and does as little as it
// can: each connection sends the same masked frame, built once, and reads
// the echo into a reused buffer. Its CPU is not what is measured, but on a
// small machine it shares the cores with the server.
//
// By default each connection has one message in flight: it sends a message,
// waits for the whole echo, checks it and sends the next. Throughput thus
// depends on the round trip; the server's CPU time per echoed message does
// not. With InFlight above 1, a connection keeps that many messages sent
// and not yet echoed, writing while it reads; with Fragment, each message
// goes out in frames of that many bytes.
package load

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/f30c7f75/websocket/bench/payload"
	"github.com/gobwas/httphead"
	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsflate"
	"github.com/klauspost/compress/flate"
)

// Config describes a throughput run.
type Config struct {
	Addr     string        // the echo server's host:port
	Conns    int           // connections
	InFlight int           // messages each connection keeps sent and not yet echoed; 0 or 1: one
	Size     int           // message size in bytes, before compression
	Fragment int           // the payload of each frame a message is sent in; 0: one frame
	Deflate  bool          // negotiate permessage-deflate and send compressed messages
	Warmup   time.Duration // echoes before the measured window, not counted
	Duration time.Duration // the measured window
	PID      int           // the server's process, for its CPU time; 0 for none
}

// Result is what a throughput run measured.
type Result struct {
	Messages int64         // echoes completed in the window
	Elapsed  time.Duration // the window's length
	CPUTicks int64         // the server's CPU time in the window, in clock ticks
}

// PerSecond returns the echoes per second.
func (r Result) PerSecond() float64 { return float64(r.Messages) / r.Elapsed.Seconds() }

// CPUMicros returns the server's CPU time per echo in microseconds, given
// the clock ticks per second.
func (r Result) CPUMicros(clkTck int) float64 {
	return float64(r.CPUTicks) * 1e6 / float64(clkTck) / float64(r.Messages)
}

// Offer is the permessage-deflate offer of a compressing client: no context
// takeover either way, so that the client can send the same compressed
// frame every time, and every server compresses each message on its own.
var Offer = wsflate.Parameters{ServerNoContextTakeover: true, ClientNoContextTakeover: true}

// Dial opens a WebSocket connection to addr with the raw gobwas client,
// offering compression when deflate is set and failing unless the server
// accepts it. The reader returned reads the connection.
func Dial(ctx context.Context, addr string, deflate bool) (net.Conn, *bufio.Reader, error) {
	d := ws.Dialer{Timeout: 10 * time.Second}
	if deflate {
		d.Extensions = []httphead.Option{Offer.Option()}
	}
	nc, br, hs, err := d.Dial(ctx, "ws://"+addr+"/")
	if err != nil {
		return nil, nil, err
	}
	if deflate && !accepted(hs.Extensions) {
		nc.Close()
		return nil, nil, errors.New("load: the server declined permessage-deflate")
	}
	var src io.Reader = nc
	if br != nil { // bytes read past the handshake
		src = io.MultiReader(br, nc)
	}
	return nc, bufio.NewReaderSize(src, 64<<10), nil
}

func accepted(exts []httphead.Option) bool {
	for _, e := range exts {
		if string(e.Name) == wsflate.ExtensionName {
			return true
		}
	}
	return false
}

// client is one connection of a throughput run.
type client struct {
	nc      net.Conn
	br      *bufio.Reader
	frame   []byte // the masked frames of the message sent each time
	want    []byte // the payload expected back, when not compressed
	deflate bool
	buf     []byte
	hdr     [ws.MaxHeaderSize]byte
	count   atomic.Int64
	_       [64]byte // keep counters on separate cache lines
}

// Frame returns a masked client frame holding a whole message with opcode
// op and payload p, compressed (with the RSV1 bit, the sync-flush tail
// removed) when deflate is set.
func Frame(op ws.OpCode, p []byte, deflate bool) []byte {
	h := ws.Header{Fin: true, OpCode: op}
	if deflate {
		var z bytes.Buffer
		fw, _ := flate.NewWriter(&z, 1)
		fw.Write(p)
		fw.Flush()
		p = bytes.TrimSuffix(z.Bytes(), []byte{0, 0, 0xff, 0xff})
		h.Rsv = ws.Rsv(true, false, false)
	}
	return appendMasked(nil, h, p)
}

// Fragments returns the masked client frames of a binary message with
// payload p, in frames of at most size bytes of payload (size > 0).
func Fragments(p []byte, size int) []byte {
	var b []byte
	op := ws.OpBinary
	for {
		k := min(size, len(p))
		b = appendMasked(b, ws.Header{Fin: k == len(p), OpCode: op}, p[:k])
		p = p[k:]
		op = ws.OpContinuation
		if len(p) == 0 {
			return b
		}
	}
}

// appendMasked appends to b a frame with header h (its length and a fresh
// masking key filled in) and payload p, masked.
func appendMasked(b []byte, h ws.Header, p []byte) []byte {
	h.Masked, h.Mask, h.Length = true, ws.NewMask(), int64(len(p))
	frame := bytes.NewBuffer(b)
	ws.WriteHeader(frame, h)
	start := frame.Len()
	frame.Write(p)
	out := frame.Bytes()
	ws.Cipher(out[start:], h.Mask, 0)
	return out
}

// roundTrip sends the message and reads the whole echo.
func (c *client) roundTrip() error {
	if _, err := c.nc.Write(c.frame); err != nil {
		return err
	}
	return c.receive()
}

// receive reads a whole echo and checks it.
func (c *client) receive() error {
	n := 0
	first := true
	for {
		h, err := ws.ReadHeaderBuffer(c.br, c.hdr[:])
		if err != nil {
			return err
		}
		if h.OpCode.IsControl() {
			if h.OpCode == ws.OpClose {
				return errors.New("load: the server closed the connection")
			}
			if _, err := c.br.Discard(int(h.Length)); err != nil {
				return err
			}
			continue
		}
		if h.Masked {
			return errors.New("load: masked frame from the server")
		}
		if first {
			if h.OpCode != ws.OpBinary {
				return fmt.Errorf("load: echo has opcode %v, want binary", h.OpCode)
			}
			if h.Rsv1() != c.deflate {
				return fmt.Errorf("load: echo compressed=%v, want %v", h.Rsv1(), c.deflate)
			}
			first = false
		}
		if c.deflate {
			// Compressed echoes are counted, not inflated: the tests check
			// their content.
			if _, err := c.br.Discard(int(h.Length)); err != nil {
				return err
			}
		} else {
			if int64(n)+h.Length > int64(len(c.buf)) {
				return fmt.Errorf("load: echo longer than the %d bytes sent", len(c.want))
			}
			if _, err := io.ReadFull(c.br, c.buf[n:n+int(h.Length)]); err != nil {
				return err
			}
			n += int(h.Length)
		}
		if h.Fin {
			break
		}
	}
	if !c.deflate && !bytes.Equal(c.buf[:n], c.want) {
		return fmt.Errorf("load: echo of %d bytes differs from the %d sent", n, len(c.want))
	}
	return nil
}

// Run performs a throughput run.
func Run(ctx context.Context, cfg Config) (Result, error) {
	msg := payload.JSON(cfg.Size)
	clients := make([]*client, cfg.Conns)
	defer func() {
		for _, c := range clients {
			if c != nil {
				closeNow(c.nc)
			}
		}
	}()
	for i := range clients {
		nc, br, err := Dial(ctx, cfg.Addr, cfg.Deflate)
		if err != nil {
			return Result{}, fmt.Errorf("load: connection %d: %w", i, err)
		}
		frame := Frame(ws.OpBinary, msg, cfg.Deflate)
		if cfg.Fragment > 0 && !cfg.Deflate {
			frame = Fragments(msg, cfg.Fragment)
		}
		clients[i] = &client{nc: nc, br: br, frame: frame, want: msg, deflate: cfg.Deflate, buf: make([]byte, len(msg))}
	}

	var stop atomic.Bool
	var wg sync.WaitGroup
	errs := make(chan error, len(clients))
	for _, c := range clients {
		wg.Add(1)
		if cfg.InFlight > 1 {
			go func() {
				defer wg.Done()
				if err := c.pipeline(cfg.InFlight, &stop); err != nil {
					errs <- err
					stop.Store(true)
				}
			}()
			continue
		}
		go func() {
			defer wg.Done()
			for !stop.Load() {
				if err := c.roundTrip(); err != nil {
					errs <- err
					stop.Store(true)
					return
				}
				c.count.Add(1)
			}
		}()
	}
	total := func() int64 {
		var n int64
		for _, c := range clients {
			n += c.count.Load()
		}
		return n
	}
	cpu := func() int64 {
		if cfg.PID == 0 {
			return 0
		}
		t, err := CPUTicks(cfg.PID)
		if err != nil {
			errs <- err
			stop.Store(true)
		}
		return t
	}

	sleep(ctx, cfg.Warmup, &stop)
	n0, cpu0, t0 := total(), cpu(), time.Now()
	sleep(ctx, cfg.Duration, &stop)
	n1, cpu1, t1 := total(), cpu(), time.Now()
	stop.Store(true)
	wg.Wait()
	select {
	case err := <-errs:
		return Result{}, err
	default:
	}
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	if n1 == n0 {
		return Result{}, errors.New("load: no echo in the measured window")
	}
	return Result{Messages: n1 - n0, Elapsed: t1.Sub(t0), CPUTicks: cpu1 - cpu0}, nil
}

// pipeline keeps n messages in flight on c until stop is set: one goroutine
// writes a message whenever fewer than n are unanswered, this one reads the
// echoes. It returns once every message sent has been echoed.
func (c *client) pipeline(n int, stop *atomic.Bool) error {
	tokens := make(chan struct{}, n)
	sent := make(chan struct{}, n) // one per message written; closed after the last
	done := make(chan struct{})    // closed when the reader returns
	defer close(done)
	werr := make(chan error, 1)
	go func() {
		defer close(sent)
		for !stop.Load() {
			select {
			case tokens <- struct{}{}:
			case <-done: // the reader failed
				return
			}
			if _, err := c.nc.Write(c.frame); err != nil {
				werr <- err
				return
			}
			sent <- struct{}{}
		}
	}()
	for range sent {
		if err := c.receive(); err != nil {
			return err
		}
		c.count.Add(1)
		<-tokens
	}
	select {
	case err := <-werr:
		return err
	default:
		return nil
	}
}

// sleep waits for d, or less if ctx ends or stop is set.
func sleep(ctx context.Context, d time.Duration, stop *atomic.Bool) {
	deadline := time.Now().Add(d)
	for !stop.Load() && ctx.Err() == nil {
		left := time.Until(deadline)
		if left <= 0 {
			return
		}
		time.Sleep(min(left, 50*time.Millisecond))
	}
}

// closeNow closes nc with a reset, leaving no TIME_WAIT socket behind on
// the client, which matters after thousands of connections.
func closeNow(nc net.Conn) {
	if tc, ok := nc.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	nc.Close()
}

// WaitReady waits until addr accepts TCP connections, for up to timeout.
func WaitReady(addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		nc, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			nc.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("load: %s not accepting connections: %w", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
