package websocket

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"
)

// aLongTimeAgo is a deadline in the past, which makes a blocked network
// call return at once.
var aLongTimeAgo = time.Unix(1, 0)

// ioDeadline joins, for one direction of a net.Conn, the deadline the user
// set with SetReadDeadline or SetWriteDeadline and the context of the call
// in progress. A call's context is enforced through the same deadline, so a
// cancelled call leaves the connection as usable as an expired deadline does.
type ioDeadline struct {
	nc    net.Conn
	write bool // the deadline is nc's write deadline, else its read deadline

	mu      sync.Mutex
	user    time.Time // set by the user; zero for none
	ctx     time.Time // the call's context deadline, while it overrides user
	gen     uint64    // counts calls, so that a late cancellation is ignored
	expired bool      // the call's context ended and the deadline is in the past
}

// set sets the net.Conn's deadline. (A method value of the net.Conn's
// setter in a field would cost two allocations a connection.)
func (d *ioDeadline) set(t time.Time) error {
	if d.write {
		return d.nc.SetWriteDeadline(t)
	}
	return d.nc.SetReadDeadline(t)
}

// setUser records the user's deadline and applies it unless a call's
// context currently imposes an earlier one.
func (d *ioDeadline) setUser(t time.Time) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.user = t
	if d.expired || (!d.ctx.IsZero() && (t.IsZero() || d.ctx.Before(t))) {
		return nil
	}
	return d.set(t)
}

// begin arms ctx for a call. A context that can never end costs nothing;
// the returned stop func, when non-nil, must be passed to end. A context
// already over is the error, and nothing is armed: the call must then do
// nothing rather than race the context.
func (d *ioDeadline) begin(ctx context.Context) (func() bool, error) {
	done := ctx.Done()
	if done == nil {
		return nil, nil
	}
	select {
	case <-done:
		return nil, ctx.Err()
	default:
	}
	d.mu.Lock()
	d.gen++
	gen := d.gen
	if dl, ok := ctx.Deadline(); ok && (d.user.IsZero() || dl.Before(d.user)) {
		d.ctx = dl
		d.set(dl)
	}
	d.mu.Unlock()
	if a, ok := ctx.(deadlineArmer); ok {
		return a.arm(d, gen), nil
	}
	return context.AfterFunc(ctx, func() { d.expire(gen) }), nil
}

// deadlineArmer is a context that expires the calls it governs itself,
// without an AfterFunc per call (a SendQueue's, queuecontext.go): arm has
// call gen of d expire when the context ends, and returns the stop func.
type deadlineArmer interface {
	context.Context
	arm(d *ioDeadline, gen uint64) func() bool
}

// expire ends call gen, if it is still under way, as its context has:
// the deadline moves into the past so that a blocked call returns at once.
func (d *ioDeadline) expire(gen uint64) {
	d.mu.Lock()
	if d.gen == gen {
		d.expired = true
		d.set(aLongTimeAgo)
	}
	d.mu.Unlock()
}

// end disarms the context of the call begun with begin and restores the
// user's deadline.
func (d *ioDeadline) end(stop func() bool) {
	if stop == nil {
		return
	}
	stop()
	d.mu.Lock()
	d.gen++
	if d.expired || !d.ctx.IsZero() {
		d.set(d.user)
	}
	d.expired = false
	d.ctx = time.Time{}
	d.mu.Unlock()
}

// isTimeout reports whether err is a deadline expiring, after which the
// connection remains usable.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// ctxErr returns the error to report for a call that failed with err: the
// context's error when the context ended the call, err otherwise.
func ctxErr(ctx context.Context, err error) error {
	if !isTimeout(err) {
		return err
	}
	if e := ctx.Err(); e != nil {
		return e
	}
	// The network deadline may fire a moment before the context's own timer.
	if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) {
		return context.DeadlineExceeded
	}
	return err
}
