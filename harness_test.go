//go:build go1.24

package websocket

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
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

// hChoices draws the program's decisions from the fuzzer's bytes, then
// from a generator seeded with them.
type hChoices struct {
	data []byte
	rng  *rand.Rand
}

func newChoices(data []byte) *hChoices {
	h := fnv.New64a()
	h.Write(data)
	return &hChoices{data: data, rng: rand.New(rand.NewPCG(h.Sum64(), 0x5eed))}
}

func (c *hChoices) byte() byte {
	if len(c.data) > 0 {
		b := c.data[0]
		c.data = c.data[1:]
		return b
	}
	return byte(c.rng.Uint32())
}

// intn returns a number in [0, n).
func (c *hChoices) intn(n int) int {
	if n <= 256 {
		return int(c.byte()) % n
	}
	v := uint32(c.byte()) | uint32(c.byte())<<8 | uint32(c.byte())<<16 | uint32(c.byte())<<24
	return int(v % uint32(n))
}

// chance is true with probability p percent.
func (c *hChoices) chance(p int) bool { return c.intn(100) < p }

// Transports.
const (
	hAcceptConn = iota // loopback TCP, AcceptConn
	hAccept            // loopback TCP, Accept behind net/http
	hHTTP2             // an h2c stream, Accept behind net/http
	hTransports
)

var hTransportNames = [hTransports]string{"acceptconn", "accept", "h2c"}

// hProgram is one run of the harness.
type hProgram struct {
	transport    int
	z            *CompressionOptions
	limit        [2]int64 // each side's read limit; 0 for the default
	setLimit     [2]bool
	frags        [2]int // each side's fragment limit; 0 for the default
	closeTimeout [2]time.Duration
	actors       []*hActor
	finalCloser  int // the side that closes in the end
}

// Sides: 0 is the client, 1 the server.
var hSideNames = [2]string{"client", "server"}

type hRole int

const (
	hWriter hRole = iota
	hTiny         // writes messages shorter than a tag, in order
	hQueue        // sends through a SendQueue
	hReader
	hChaos
)

type hActor struct {
	side   int
	role   hRole
	stream int // for writers: the stream their messages carry
	ops    []hOp
	queue  SendQueueOptions
}

type hOpKind int

const (
	opWriteMessage hOpKind = iota
	opNextWriter
	opWritePrepared
	opReadMessage
	opNextReader
	opSetReadLimit
	opSetFragmentLimit
	opOnPing
	opSetWriteCompression
	opPing
	opKeepAlive
	opReadDeadline
	opWriteDeadline
	opClose
	opCloseInvalid
	opCloseNow
	opPause
)

type hOp struct {
	kind    hOpKind
	size    int
	typ     MessageType
	ctx     int           // 0: background; 1: cancelled; 2: times out after d
	d       time.Duration // for ctx 2, deadlines, pauses, KeepAlive's interval
	piece   int           // NextWriter's write size, NextReader's read size
	misuse  bool          // use the handle after it is over
	abandon bool          // NextReader: leave the message after its tag
	reuse   bool          // ReadMessage: into the previous payload
	n       int64
	code    StatusCode
	reason  string
}

// hTagLen is the length of a tagged message's tag: '#', the type, the
// stream (2 hex digits), the sequence number (6) and the size (8), '.'.
const hTagLen = 19

func (c *hChoices) size(min int) int {
	switch c.intn(20) {
	case 0:
		return min
	case 1, 2, 3, 4, 5, 6:
		return min + c.intn(100)
	case 7, 8, 9, 10:
		return min + c.intn(4000)
	case 11, 12:
		return writeBufSize - 8 + c.intn(16) // around a NextWriter frame
	case 13:
		return largeFrame - 8 + c.intn(16) // around a large frame's split
	case 14, 15:
		return smallFrame - 4 + c.intn(8)
	case 16:
		return 100_000 + c.intn(300_000)
	case 17:
		if c.chance(30) {
			return 1<<20 + c.intn(100)
		}
		return min + c.intn(30000)
	}
	return min + c.intn(1000)
}

func (c *hChoices) ctxMode(op *hOp) {
	switch c.intn(20) {
	case 0:
		op.ctx = 1
	case 1, 2, 3, 4:
		op.ctx = 2
		op.d = []time.Duration{0, 10 * time.Microsecond, 200 * time.Microsecond, time.Millisecond, 5 * time.Millisecond}[c.intn(5)]
	}
}

func (c *hChoices) msgType() MessageType {
	if c.chance(50) {
		return MessageText
	}
	return MessageBinary
}

// genProgram derives a program from c.
func genProgram(c *hChoices) *hProgram {
	p := &hProgram{transport: c.intn(hTransports)}
	if c.chance(50) {
		z := &CompressionOptions{
			ServerNoContextTakeover: c.chance(50),
			ClientNoContextTakeover: c.chance(50),
		}
		if c.chance(50) {
			z.ServerMaxWindowBits = 8 + c.intn(8)
		}
		if c.chance(50) {
			z.ClientMaxWindowBits = 8 + c.intn(8)
		}
		if c.chance(20) {
			z.Level = c.intn(10)
		}
		if c.chance(30) {
			z.Threshold = []int{1, 20, 100, 5000}[c.intn(4)]
		}
		p.z = z
	}
	for side := 0; side < 2; side++ {
		switch c.intn(12) {
		case 0:
			p.limit[side], p.setLimit[side] = -1, true
		case 1:
			p.limit[side], p.setLimit[side] = math.MaxInt64, true
		case 2:
			p.limit[side], p.setLimit[side] = []int64{0, 1, hTagLen - 1, hTagLen}[c.intn(4)], true
		case 3:
			p.limit[side], p.setLimit[side] = int64(hTagLen+c.intn(70000)), true
		}
		switch c.intn(10) {
		case 0:
			p.frags[side] = []int{-1, 1, 2, 3}[c.intn(4)]
		case 1:
			p.frags[side] = 2 + c.intn(20)
		}
		if c.chance(15) {
			p.closeTimeout[side] = time.Duration(1+c.intn(200)) * time.Millisecond
		}
		stream := side * 16
		for i := 0; i < 1+c.intn(3); i++ {
			p.actors = append(p.actors, genWriter(c, side, hWriter, stream))
			stream++
		}
		if c.chance(40) {
			p.actors = append(p.actors, genWriter(c, side, hTiny, stream))
			stream++
		}
		if c.chance(40) {
			a := genWriter(c, side, hQueue, stream)
			a.queue = SendQueueOptions{Size: []int{1, 2, 8, 64, 0, -1, math.MaxInt}[c.intn(7)], Full: FullPolicy(c.intn(3))}
			if c.chance(30) {
				a.queue.WriteTimeout = []time.Duration{-1, time.Millisecond, 50 * time.Millisecond}[c.intn(3)]
			}
			p.actors = append(p.actors, a)
		}
		p.actors = append(p.actors, genReader(c, side), genChaos(c, side))
	}
	p.finalCloser = c.intn(2)
	return p
}

func genWriter(c *hChoices, side int, role hRole, stream int) *hActor {
	a := &hActor{side: side, role: role, stream: stream}
	for i := 0; i < 1+c.intn(12); i++ {
		op := hOp{kind: hOpKind(c.intn(3)), typ: c.msgType()}
		switch role {
		case hTiny:
			op.size = c.intn(hTagLen)
		default:
			op.size = c.size(hTagLen)
		}
		if role == hQueue {
			op.kind = opWritePrepared
		}
		c.ctxMode(&op)
		op.piece = []int{1, 7, 100, 1000, writeBufSize, writeBufSize + 1, 70000}[c.intn(7)]
		op.misuse = c.chance(30)
		a.ops = append(a.ops, op)
	}
	return a
}

func genReader(c *hChoices, side int) *hActor {
	a := &hActor{side: side, role: hReader}
	for i := 0; i < 1+c.intn(20); i++ {
		op := hOp{kind: opReadMessage + hOpKind(c.intn(2))}
		c.ctxMode(&op)
		op.piece = []int{1, 3, 64, 1000, 5000, 70000}[c.intn(6)]
		op.abandon = c.chance(15)
		op.reuse = c.chance(60)
		op.misuse = c.chance(30)
		a.ops = append(a.ops, op)
	}
	return a
}

func genChaos(c *hChoices, side int) *hActor {
	a := &hActor{side: side, role: hChaos}
	n := c.intn(8)
	for i := 0; i < n; i++ {
		op := hOp{kind: opSetReadLimit + hOpKind(c.intn(int(opPause-opSetReadLimit)+1))}
		c.ctxMode(&op)
		switch op.kind {
		case opSetReadLimit:
			op.n = []int64{-1, math.MaxInt64, 2 << 20, 4 << 20}[c.intn(4)] // never below a message
		case opSetFragmentLimit:
			op.n = []int64{-1, math.MaxInt32, 1 << 20}[c.intn(3)]
		case opSetWriteCompression:
			op.misuse = c.chance(50)
		case opKeepAlive:
			op.d = []time.Duration{time.Millisecond, 10 * time.Millisecond, 100 * time.Millisecond}[c.intn(3)]
		case opReadDeadline, opWriteDeadline:
			op.d = []time.Duration{-time.Second, 0, 100 * time.Microsecond, time.Millisecond, 10 * time.Millisecond}[c.intn(5)]
		case opClose, opCloseNow, opCloseInvalid:
			if !c.chance(8) { // most programs run to their end
				op.kind = opPause
			}
			op.code = []StatusCode{StatusNormalClosure, StatusGoingAway, 3000, 4999, 0}[c.intn(5)]
			if op.code != 0 && c.chance(50) {
				op.reason = []string{"bye", "au revoir ☺", strings.Repeat("x", MaxCloseReason+5)}[c.intn(3)]
			}
		}
		if op.kind == opPause {
			op.d = time.Duration(c.intn(3000)) * time.Microsecond
		}
		a.ops = append(a.ops, op)
	}
	return a
}

// hMessage is the content of message seq of stream: a tag naming it, then
// bytes drawn from a generator seeded with it (text: UTF-8 of 1 to 4
// bytes a character). A message shorter than a tag (stream's tiny ones)
// repeats one letter.
func hMessage(stream, seq int, typ MessageType, size int) []byte {
	b := make([]byte, 0, size)
	if size < hTagLen {
		for len(b) < size {
			b = append(b, byte('a'+seq%26))
		}
		return b
	}
	t := byte('b')
	if typ == MessageText {
		t = 't'
	}
	b = fmt.Appendf(b, "#%c%02x%06x%08x.", t, stream, seq&0xffffff, size)
	rng := rand.New(rand.NewPCG(uint64(stream), uint64(seq)))
	for len(b) < size {
		left := size - len(b)
		switch r := rng.IntN(12); {
		case typ == MessageBinary && r < 6:
			b = append(b, byte(rng.Uint32()))
		case typ == MessageBinary && r < 8:
			n := min(left, 1+rng.IntN(40))
			b = append(b, b[len(b)-min(len(b), 1+rng.IntN(200)):][:0]...)
			for range n {
				b = append(b, b[len(b)-1])
			}
		case r < 9 && left >= 2:
			b = append(b, "é"...)
		case r < 10 && left >= 3:
			b = append(b, "☺"...)
		case r < 11 && left >= 4:
			b = append(b, "𝄞"...)
		default:
			b = append(b, byte('a'+rng.IntN(26)))
		}
	}
	return b[:size]
}

// hParseTag names the message m claims to be, from its tag.
func hParseTag(m []byte) (stream, seq, size int, typ MessageType, ok bool) {
	if len(m) < hTagLen || m[0] != '#' || m[hTagLen-1] != '.' {
		return 0, 0, 0, 0, false
	}
	switch m[1] {
	case 't':
		typ = MessageText
	case 'b':
		typ = MessageBinary
	default:
		return 0, 0, 0, 0, false
	}
	s, err1 := strconv.ParseUint(string(m[2:4]), 16, 8)
	q, err2 := strconv.ParseUint(string(m[4:10]), 16, 32)
	z, err3 := strconv.ParseUint(string(m[10:18]), 16, 32)
	if err1 != nil || err2 != nil || err3 != nil {
		return 0, 0, 0, 0, false
	}
	return int(s), int(q), int(z), typ, true
}

// hSent is a message a writer tried to send, and how that went.
type hSent struct {
	Seq  int
	Size int
	Type MessageType
	Kind string // what errKind said of the write's error (for a queue: of Send's)
}

// hGot is a message a reader read; Partial when it left it unfinished.
type hGot struct {
	Seq     int
	Size    int
	Type    MessageType
	Partial bool
}

// hRun is a program being run.
type hRun struct {
	p      *hProgram
	conns  [2]*Conn
	calls  int64
	mu     sync.Mutex
	sent   map[int][]hSent // by stream
	got    map[int][]hGot  // by stream
	ended  [2]error        // what each side's reader ended with
	closed [2]bool         // the side closed the connection itself (or gave it up)
	codes  [2][]StatusCode // the codes each side's closes sent
	upset  [2]bool         // a write of the side was interrupted, perhaps inside a frame
	bad    []string        // contract violations
	maxMsg [2]int          // the largest message each side tried to send
	took   []string        // how long each actor ran

	finalStarted bool    // the final Close has begun
	lateEnd      [2]bool // the side's reader ended after that
}

func (r *hRun) violation(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.bad) < 20 {
		r.bad = append(r.bad, fmt.Sprintf(format, args...))
	}
}

func (r *hRun) count() {
	r.mu.Lock()
	r.calls++
	r.mu.Unlock()
}

func (r *hRun) setUpset(side int) {
	r.mu.Lock()
	r.upset[side] = true
	r.mu.Unlock()
}

// errKind sorts an error returned by the API into the kinds the API
// documents, or "" when it is none of them.
func errKind(err error) string {
	var ce *CloseError
	var pe *ProtocolError
	switch {
	case err == nil:
		return "ok"
	case strings.HasPrefix(err.Error(), "websocket: write: "),
		strings.HasPrefix(err.Error(), "websocket: send queue: websocket: write: "),
		strings.HasPrefix(err.Error(), "websocket: HTTP/2 stream"),
		errors.Is(err, errStreamEnded):
		return "transport" // a write failed part way or the transport broke: the connection is closed
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		if errors.As(err, &ce) {
			return "closed" // a CloseError whose cause was a deadline: 1006
		}
		return "interrupted"
	case errors.As(err, &ce):
		return "closed"
	case errors.As(err, &pe):
		return "failed"
	case errors.Is(err, net.ErrClosed), errors.Is(err, errCloseTimeout):
		return "closed"
	case errors.Is(err, errWriterClosed), errors.Is(err, errReaderStale):
		return "stale"
	case errors.Is(err, ErrQueueFull), errors.Is(err, ErrSlowConsumer), errors.Is(err, errQueueClosed):
		return "queue"
	}
	return ""
}

// check records a violation when err is not of a documented kind, and
// returns its kind.
func (r *hRun) check(side int, what string, err error) string {
	k := errKind(err)
	if k == "" {
		r.violation("%s %s: undocumented error %T: %v", hSideNames[side], what, err, err)
	}
	switch {
	case k != "interrupted" && k != "transport":
	case what == "read" && r.p.transport != hHTTP2:
		// A read interrupted while it answered a ping is a write cut off
		// too, but a pong is too small to be cut off inside, on TCP.
	default:
		// A write cut off inside a frame closes the connection; over
		// HTTP/2, net/http resets a stream whose write outlives its
		// deadline.
		r.setUpset(side)
	}
	return k
}

func (r *hRun) ctx(op hOp) (context.Context, context.CancelFunc) {
	switch op.ctx {
	case 1:
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		return ctx, cancel
	case 2:
		return context.WithTimeout(context.Background(), op.d)
	}
	return context.Background(), func() {}
}

func (r *hRun) recordSent(stream int, s hSent) {
	r.mu.Lock()
	r.sent[stream] = append(r.sent[stream], s)
	r.mu.Unlock()
}

func (r *hRun) markClosed(side int, code StatusCode) {
	r.mu.Lock()
	r.closed[side] = true
	r.codes[side] = append(r.codes[side], code)
	r.mu.Unlock()
}

// runWriter runs a writer's ops in order.
func (r *hRun) runWriter(a *hActor) {
	c := r.conns[a.side]
	var q *SendQueue
	if a.role == hQueue {
		q = NewSendQueue(c, &a.queue)
		defer func() {
			fctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			r.check(a.side, "SendQueue.Flush", q.Flush(fctx))
			cancel()
			q.Close()
			if err := q.Err(); errors.Is(err, ErrSlowConsumer) || errKind(err) == "transport" || errKind(err) == "interrupted" {
				r.markClosed(a.side, 0) // the queue closed the connection
			}
			r.check(a.side, "SendQueue.Err", q.Err())
		}()
	}
	for seq, op := range a.ops {
		msg := hMessage(a.stream, seq, op.typ, op.size)
		r.mu.Lock()
		r.maxMsg[a.side] = max(r.maxMsg[a.side], op.size+op.size/op.piece+1)
		r.mu.Unlock()
		ctx, cancel := r.ctx(op)
		var err error
		var what string
		switch {
		case q != nil:
			what = "SendQueue.Send"
			err = q.Send(r.prepared(op.typ, msg))
			if errors.Is(err, ErrSlowConsumer) {
				r.markClosed(a.side, 0)
			}
		case op.kind == opWriteMessage:
			what = "WriteMessage"
			err = c.WriteMessage(ctx, op.typ, msg)
		case op.kind == opWritePrepared:
			what = "WritePreparedMessage"
			err = c.WritePreparedMessage(ctx, r.prepared(op.typ, msg))
		default:
			what = "NextWriter"
			err = r.writePieces(a.side, ctx, c, op, msg)
		}
		r.count()
		cancel()
		r.check(a.side, what, err)
		if op.ctx == 2 && r.p.transport == hHTTP2 && q == nil {
			// Over HTTP/2, net/http resets a stream whose write deadline
			// passes while a write is under way, even one about to return.
			r.setUpset(a.side)
		}
		r.recordSent(a.stream, hSent{Seq: seq, Size: op.size, Type: op.typ, Kind: errKind(err)})
	}
}

// prepared returns msg prepared as a message of type typ.
func (r *hRun) prepared(typ MessageType, msg []byte) *PreparedMessage {
	pm, err := NewPreparedMessage(typ, msg)
	if err != nil {
		r.violation("NewPreparedMessage: %v", err)
	}
	return pm
}

// writePieces writes msg through NextWriter in pieces, then, for misuse,
// writes and closes the writer again, which must fail.
func (r *hRun) writePieces(side int, ctx context.Context, c *Conn, op hOp, msg []byte) error {
	w, err := c.NextWriter(ctx, op.typ)
	if err != nil {
		return err
	}
	for rest := msg; len(rest) > 0 && err == nil; {
		k := min(len(rest), op.piece)
		_, err = w.Write(rest[:k])
		rest = rest[k:]
		r.count()
	}
	r.check(side, "NextWriter.Write", err)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if op.misuse {
		if _, werr := w.Write([]byte("stale")); !errors.Is(werr, errWriterClosed) {
			r.violation("%s: Write on a closed writer returned %v", hSideNames[side], werr)
		}
		if cerr := w.Close(); !errors.Is(cerr, errWriterClosed) {
			r.violation("%s: a second Close of a writer returned %v", hSideNames[side], cerr)
		}
	}
	return err
}

// runReader reads until the connection ends, following its ops in turn.
func (r *hRun) runReader(a *hActor) {
	c := r.conns[a.side]
	var pending []byte // what has been read of the current message
	var pendingType MessageType
	var buf []byte
	var stale io.Reader // a reader whose message is over
	staleEOF := false
	for i := 0; ; i++ {
		op := hOp{kind: opReadMessage}
		if len(a.ops) > 0 {
			op = a.ops[i%len(a.ops)]
			if i >= 4*len(a.ops) { // then plain reads, so the run ends
				op.ctx, op.abandon = 0, false
			}
		}
		ctx, cancel := r.ctx(op)
		var typ MessageType
		var msg []byte
		var err error
		complete := false
		if op.kind == opReadMessage {
			var dst []byte
			if op.reuse {
				dst = buf
			}
			typ, msg, err = c.ReadMessage(ctx, dst)
			r.count()
			if err == nil {
				buf = msg
				complete = true
			}
		} else {
			var rd io.Reader
			typ, rd, err = c.NextReader(ctx)
			r.count()
			if err == nil {
				if stale != nil && op.misuse {
					n, serr := stale.Read(make([]byte, 10))
					// Not at its end, the reader fails: errReaderStale, or
					// whatever stopped it waiting for the read lock.
					if n != 0 || (staleEOF && serr != io.EOF) || (!staleEOF && (serr == nil || serr == io.EOF)) {
						r.violation("%s: a reader after its message read %d bytes, %v (had reached its end: %v)", hSideNames[a.side], n, serr, staleEOF)
					}
				}
				p := make([]byte, op.piece)
				for {
					var n int
					n, err = rd.Read(p)
					r.count()
					msg = append(msg, p[:n]...)
					if err == io.EOF {
						err, complete = nil, true
						break
					}
					if err != nil {
						break
					}
					if op.abandon && len(pending)+len(msg) >= hTagLen {
						break
					}
				}
				stale, staleEOF = rd, complete
			}
		}
		cancel()
		if len(msg) > 0 || complete {
			if len(pending) > 0 && typ != pendingType {
				r.violation("%s: a message resumed as %v after beginning as %v", hSideNames[a.side], typ, pendingType)
			}
			pending, pendingType = append(pending, msg...), typ
		}
		switch {
		case complete:
			r.received(a.side, pendingType, pending, false)
			pending = nil
		case err == nil: // abandoned
			r.received(a.side, pendingType, pending, true)
			pending = nil
		default:
			switch r.check(a.side, "read", err) {
			case "interrupted":
				continue
			case "stale":
				r.violation("%s: read returned %v", hSideNames[a.side], err)
			}
			r.mu.Lock()
			r.ended[a.side] = err
			r.lateEnd[a.side] = r.finalStarted
			r.mu.Unlock()
			return
		}
	}
}

// received checks a message read whole, or partly when partial, against
// what its tag says it is, and records it.
func (r *hRun) received(side int, typ MessageType, m []byte, partial bool) {
	peer := 1 - side
	stream, seq, size, ttyp, ok := hParseTag(m)
	if !ok {
		// A tiny message: the peer's tiny stream.
		stream = -1
		for _, a := range r.p.actors {
			if a.side == peer && a.role == hTiny {
				stream = a.stream
			}
		}
		if stream < 0 || len(m) >= hTagLen || partial {
			r.violation("%s read an untagged message %q", hSideNames[side], abbrev(m))
			return
		}
		seq, size, ttyp = -1, len(m), typ
		r.mu.Lock()
		r.got[stream] = append(r.got[stream], hGot{Seq: seq, Size: size, Type: typ})
		r.mu.Unlock()
		return
	}
	if stream/16 != peer {
		r.violation("%s read a message of its own stream %d", hSideNames[side], stream)
	}
	want := hMessage(stream, seq, ttyp, size)
	switch {
	case ttyp != typ:
		r.violation("%s read stream %d seq %d as %v, sent as %v", hSideNames[side], stream, seq, typ, ttyp)
	case !partial && len(m) != size, partial && len(m) > size:
		r.violation("%s read stream %d seq %d with %d bytes, sent with %d", hSideNames[side], stream, seq, len(m), size)
	case string(m) != string(want[:len(m)]):
		r.violation("%s read stream %d seq %d corrupted", hSideNames[side], stream, seq)
	}
	r.mu.Lock()
	r.got[stream] = append(r.got[stream], hGot{Seq: seq, Size: size, Type: typ, Partial: partial})
	r.mu.Unlock()
}

// runChaos runs a chaos actor's ops.
func (r *hRun) runChaos(a *hActor, keepalive *sync.WaitGroup, stop context.Context) {
	c := r.conns[a.side]
	for _, op := range a.ops {
		r.count()
		ctx, cancel := r.ctx(op)
		switch op.kind {
		case opSetReadLimit:
			c.SetReadLimit(op.n)
		case opSetFragmentLimit:
			c.SetFragmentLimit(int(op.n))
		case opOnPing:
			c.OnPing(func([]byte) {})
			c.OnPong(func([]byte) {})
		case opSetWriteCompression:
			c.SetWriteCompression(op.misuse)
		case opPing:
			_, err := c.Ping(ctx)
			r.check(a.side, "Ping", err)
			if op.ctx == 2 && r.p.transport == hHTTP2 {
				r.setUpset(a.side)
			}
		case opKeepAlive:
			keepalive.Add(1)
			go func() {
				defer keepalive.Done()
				err := c.KeepAlive(stop, op.d, 0)
				if errors.Is(err, ErrPongTimeout) {
					r.markClosed(a.side, StatusInternalError)
				}
				if err != context.Canceled {
					r.setUpset(a.side) // its ping may have been cut off
				}
				r.check(a.side, "KeepAlive", err)
			}()
		case opReadDeadline, opWriteDeadline:
			set := c.SetReadDeadline
			if op.kind == opWriteDeadline {
				set = c.SetWriteDeadline
			}
			if op.kind == opWriteDeadline {
				r.setUpset(a.side)
			}
			set(time.Now().Add(op.d))
			time.Sleep(max(0, op.d))
			set(time.Time{})
		case opClose:
			r.markClosed(a.side, op.code)
			r.check(a.side, "Close", c.Close(op.code, op.reason))
		case opCloseInvalid:
			r.markClosed(a.side, 0)
			if err := c.Close(op.code, "\xff"); err == nil || !strings.Contains(err.Error(), "UTF-8") && op.code != 0 {
				r.violation("Close with an invalid reason returned %v", err)
			}
		case opCloseNow:
			r.markClosed(a.side, 0)
			r.check(a.side, "CloseNow", c.CloseNow())
		case opPause:
			time.Sleep(op.d)
		}
		cancel()
	}
}

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
	for _, a := range p.actors {
		wg := &actors
		if a.role == hReader {
			wg = &readers
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
				r.runChaos(a, &keepalive, stop)
			default:
				r.runWriter(a)
			}
		}()
	}
	phases := []time.Time{time.Now()}
	if !waitGroup(&actors, 60*time.Second) {
		r.violation("the writers and chaos actors did not end within 60 s:\n%s", allStacks())
	}

	// With both sides still open, everything written must arrive: wait
	// for it, then close from one side.
	r.mu.Lock()
	closedMid := r.closed[0] || r.closed[1]
	open := !closedMid && r.ended[0] == nil && r.ended[1] == nil
	r.mu.Unlock()
	finalClose := open
	if open {
		deadline := time.Now().Add(10 * time.Second)
		for !r.allDelivered() && time.Now().Before(deadline) && r.readersRunning() {
			time.Sleep(time.Millisecond)
		}
		closer := r.conns[p.finalCloser]
		r.markClosed(p.finalCloser, StatusNormalClosure)
		r.mu.Lock()
		r.finalStarted = true
		r.mu.Unlock()
		if err := closer.Close(StatusNormalClosure, "end"); err != nil {
			r.check(p.finalCloser, "final Close", err)
			r.mu.Lock()
			calm := !r.upset[0] && !r.upset[1] && r.ended[0] == nil && r.ended[1] == nil
			r.mu.Unlock()
			if calm && p.closeTimeout[0] == 0 && p.closeTimeout[1] == 0 {
				r.violation("the final Close, with both sides reading, returned %v", err)
			}
		}
	}
	phases = append(phases, time.Now())
	if !waitGroup(&readers, 30*time.Second) {
		cli.CloseNow()
		srv.CloseNow()
		if !waitGroup(&readers, 10*time.Second) {
			r.violation("the readers did not end, even after CloseNow:\n%s", allStacks())
		} else {
			r.violation("the readers did not end within 30 s of the final Close")
		}
	}
	phases = append(phases, time.Now())
	stopKeepAlive()
	keepalive.Wait()
	cli.CloseNow()
	srv.CloseNow()
	release()
	phases = append(phases, time.Now())
	if d := phases[3].Sub(phases[0]); d > time.Second {
		t.Logf("slow program (%v): actors and final close %v, readers %v, release %v, leaks %v; ended %v / %v",
			d, phases[1].Sub(phases[0]), phases[2].Sub(phases[1]), phases[3].Sub(phases[2]), time.Since(phases[3]), r.ended[0], r.ended[1])
		t.Logf("actors: %v", r.took)
	}
	// The program ran open to its end if nothing closed the connection
	// before the final Close, which both readers saw.
	// (KeepAlive may have given up meanwhile, racing the final Close.)
	open = finalClose && len(r.codes[0])+len(r.codes[1]) == 1 && r.endedByFinalClose(0) && r.endedByFinalClose(1)
	r.checkModel(open)

	// No goroutine is left once the transport is released.
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > base && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > base {
		r.violation("%d goroutines left (%d before the program):\n%s", n-base, base, allStacks())
	}

	if stats != nil {
		stats.programs++
		stats.calls += r.calls
		stats.transports[p.transport]++
		if p.z != nil {
			stats.compressed++
		}
		if !open {
			stats.closedEarly++
		}
		if errKind(r.ended[0]) == "failed" || errKind(r.ended[1]) == "failed" {
			stats.failed++
		}
	}
	if len(r.bad) > 0 {
		t.Logf("ended: %v / %v; closed %v codes %v upset %v; sent %v; got %v", r.ended[0], r.ended[1], r.closed, r.codes, r.upset, r.sent, r.got)
		t.Fatalf("program over %s, compression %+v, limits %v %v, fragments %v, close timeouts %v:\n%s\nprogram:\n%s",
			hTransportNames[p.transport], p.z, p.limit, p.setLimit, p.frags, p.closeTimeout, strings.Join(r.bad, "\n"), p.describe())
	}
}

// allDelivered reports whether every message written successfully has
// been read.
func (r *hRun) allDelivered() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for stream, sent := range r.sent {
		arrived := map[int]bool{}
		for _, g := range r.got[stream] {
			arrived[g.Seq] = true
		}
		ok := 0
		for _, s := range sent {
			if s.Kind == "ok" {
				ok++
				if s.Size >= hTagLen && !arrived[s.Seq] {
					return false
				}
			}
		}
		if len(r.got[stream]) < ok {
			return false
		}
	}
	return true
}

// endedByFinalClose reports whether side's reader ended with the final
// Close: the close frame it sent or echoed, or, on the closing side, the
// end of the connection that its Close brought about.
func (r *hRun) endedByFinalClose(side int) bool {
	var ce *CloseError
	err := r.ended[side]
	if errors.As(err, &ce) {
		return ce.Code == StatusNormalClosure && ce.Reason == "end"
	}
	return errors.Is(err, ErrClosed) && side == r.p.finalCloser && r.lateEnd[side]
}

func (r *hRun) readersRunning() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ended[0] == nil && r.ended[1] == nil
}

// checkModel compares what was read with what was written. open says the
// program ended with both sides open, so that everything written must
// have arrived.
func (r *hRun) checkModel(open bool) {
	for _, a := range r.p.actors {
		if a.role != hWriter && a.role != hTiny && a.role != hQueue {
			continue
		}
		r.checkStream(a, open)
	}
	// How each side's reading ended.
	for side := 0; side < 2; side++ {
		peer := 1 - side
		err := r.ended[side]
		var ce *CloseError
		var pe *ProtocolError
		switch {
		case errors.As(err, &pe):
			if pe.Code != StatusMessageTooBig || !r.limitBroken(side) {
				r.violation("the %s failed the connection: %v (limits %v, fragments %v, largest message sent %d)", hSideNames[side], err, r.p.limit, r.p.frags, r.maxMsg[peer])
			}
		case errors.As(err, &ce):
			switch ce.Code {
			case StatusAbnormalClosure:
				if !r.closed[0] && !r.closed[1] && !r.upset[0] && !r.upset[1] && !r.peerFailed(side) {
					r.violation("the %s's connection was lost (%v) with no one closing it", hSideNames[side], err)
				}
			case StatusMessageTooBig:
				if !r.limitBroken(peer) {
					r.violation("the %s read %v, with no limit broken", hSideNames[side], err)
				}
			case StatusPolicyViolation, StatusTryAgainLater, StatusInternalError:
				if !r.closed[peer] && !r.closed[side] {
					r.violation("the %s read %v, which its peer never sent", hSideNames[side], err)
				}
			default:
				sentCode := ce.Code
				if sentCode == StatusNoStatusReceived {
					sentCode = 0
				}
				// The peer's code, or this side's echoed.
				found := false
				for _, code := range append(r.codes[peer], r.codes[side]...) {
					found = found || code == sentCode
				}
				if !found {
					r.violation("the %s read %v; the codes sent were %v and %v", hSideNames[side], err, r.codes[side], r.codes[peer])
				}
			}
		}
	}
}

// checkStream checks what arrived of a's stream: the messages written
// whole (and, from a queue, those sent), in order, with none missing
// before the last that arrived, and all of them when the program ended
// with both sides open. Messages whose write failed with the connection
// (a "transport" error) may have arrived or not; those whose write was
// interrupted, leaving the connection usable, must not have.
func (r *hRun) checkStream(a *hActor, open bool) {
	sent, got := r.sent[a.stream], r.got[a.stream]
	key := func(s hSent) hGot {
		g := hGot{Seq: s.Seq, Size: s.Size, Type: s.Type}
		if a.role == hTiny {
			g.Seq = -1
		}
		return g
	}
	var matched []hGot // the written messages that arrived, in order
	var missing []hGot // written whole before the last that arrived, and lost
	i := 0
	for _, s := range sent {
		if i == len(got) {
			break
		}
		g := got[i]
		partial := g.Partial
		g.Partial = false
		// A message left unfinished by the reader may be one whose write
		// failed after its first frames.
		mayArrive := partial || s.Kind == "ok" || s.Kind == "transport" || s.Kind == "closed"
		switch {
		case mayArrive && g == key(s):
			matched = append(matched, g)
			i++
		case s.Kind == "ok":
			missing = append(missing, key(s))
		}
	}
	if i < len(got) || len(missing) > 0 {
		var written []hGot
		for _, s := range sent {
			w := key(s)
			w.Partial = s.Kind != "ok" // marks the failed writes in the diff
			written = append(written, w)
		}
		r.violation("stream %d of the %s (role %d): what arrived is not what was written, in order (-written, Partial marking failed writes; +arrived):\n%s",
			a.stream, hSideNames[a.side], a.role, cmp.Diff(written, got, cmpopts.EquateEmpty()))
		return
	}
	if !open {
		return
	}
	var want []hGot
	for _, s := range sent {
		if s.Kind == "ok" {
			want = append(want, key(s))
		}
	}
	var arrived []hGot
	for _, g := range matched {
		for _, w := range want {
			if g == w {
				arrived = append(arrived, g)
			}
		}
	}
	if d := cmp.Diff(want, arrived, cmpopts.EquateEmpty()); d != "" && a.role != hTiny {
		r.violation("stream %d of the %s: with both sides open to the end, not every message written arrived (-written +arrived):\n%s", a.stream, hSideNames[a.side], d)
	}
	if a.role == hTiny && len(arrived) < len(want) {
		r.violation("stream %d of the %s: with both sides open to the end, %d of %d tiny messages arrived", a.stream, hSideNames[a.side], len(arrived), len(want))
	}
}

// limitBroken reports whether the peer of side sent a message that breaks
// the limits side began with.
func (r *hRun) limitBroken(side int) bool {
	peer := 1 - side
	limit, frags := r.p.limit[side], r.p.frags[side]
	if !r.p.setLimit[side] {
		limit = DefaultReadLimit
	}
	if limit < 0 {
		limit = math.MaxInt64
	}
	broken := int64(r.maxMsg[peer]) > limit
	if frags > 0 && frags < 1<<20 {
		broken = broken || r.maxMsg[peer] > 0 // any message may come in pieces
	}
	return broken
}

// peerFailed reports whether the peer of side failed the connection, which
// ends side's reading with 1006 when side's close frame is cut off.
func (r *hRun) peerFailed(side int) bool {
	return errKind(r.ended[1-side]) == "failed"
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

func (p *hProgram) describe() string {
	var b strings.Builder
	for _, a := range p.actors {
		fmt.Fprintf(&b, "  %s role %d stream %d queue %+v:", hSideNames[a.side], a.role, a.stream, a.queue)
		for _, op := range a.ops {
			fmt.Fprintf(&b, " {%d %d %v ctx%d %v %d%s%s}", op.kind, op.size, op.typ, op.ctx, op.d, op.piece,
				map[bool]string{true: " misuse"}[op.misuse], map[bool]string{true: " abandon"}[op.abandon])
		}
		b.WriteByte('\n')
	}
	return b.String()
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
