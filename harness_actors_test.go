package websocket

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"time"
)

// The harness's actors at work: writers, readers and chaos, the record
// they keep of what was sent and received, and the documented kinds of
// error they may meet.

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
