package websocket

import (
	"errors"
	"math"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// The harness's model: what must have arrived, and how each side's
// reading may have ended, given what the program did.

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
