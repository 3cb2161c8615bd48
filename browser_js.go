//go:build js && wasm

package websocket

import (
	"context"
	"errors"
	"fmt"
	"syscall/js"
	"time"
)

// pageSendBuffer is how many bytes a page's socket may hold unsent before
// send waits for it to drain: the WebSocket API queues without bound, and
// would otherwise let a fast writer fill the page's memory.
const pageSendBuffer = 1 << 20

// jsSocket is the page's WebSocket object.
type jsSocket struct {
	ws    js.Value
	funcs []js.Func // the event handlers, released when the socket closes
}

// openPageSocket opens a WebSocket with the page's WebSocket constructor.
func openPageSocket(ctx context.Context, url string, protocols []string, b *bridge) (pageSocket, string, string, error) {
	ctor := js.Global().Get("WebSocket")
	if ctor.Type() != js.TypeFunction {
		return nil, "", "", errors.New("websocket: this JavaScript environment has no WebSocket (Node.js before 22 needs one set as globalThis.WebSocket, such as the ws package's)")
	}
	offered := make([]any, len(protocols))
	for i, p := range protocols {
		offered[i] = p
	}
	s := &jsSocket{}
	if err := catch(func() { s.ws = ctor.New(url, offered) }); err != nil {
		return nil, "", "", fmt.Errorf("websocket: opening %s: %w", url, err)
	}
	s.ws.Set("binaryType", "arraybuffer")

	opened := make(chan struct{})
	ended := make(chan StatusCode, 1)
	uint8Array := js.Global().Get("Uint8Array")
	s.on("open", func(js.Value) { close(opened) })
	s.on("message", func(ev js.Value) {
		data := ev.Get("data")
		if data.Type() == js.TypeString {
			b.message(MessageText, []byte(data.String()))
			return
		}
		arr := uint8Array.New(data)
		p := make([]byte, arr.Length())
		js.CopyBytesToGo(p, arr)
		b.message(MessageBinary, p)
	})
	// Errors are followed by a close event, which says all there is. The
	// handler must be there all the same: without one, Node's ws throws.
	s.on("error", func(js.Value) {})
	s.on("close", func(ev js.Value) {
		code := StatusCode(ev.Get("code").Int())
		b.closed(code, ev.Get("reason").String(), ev.Get("wasClean").Bool())
		ended <- code
		for _, name := range []string{"open", "message", "error", "close"} {
			s.ws.Set("on"+name, js.Null())
		}
		for _, f := range s.funcs {
			f.Release() // allowed while f runs
		}
	})

	select {
	case <-opened:
		return s, s.ws.Get("protocol").String(), s.ws.Get("extensions").String(), nil
	case code := <-ended:
		// A page is told nothing more of why: the browser's console says.
		return nil, "", "", fmt.Errorf("websocket: the page's WebSocket to %s did not open (close code %d)", url, code)
	case <-ctx.Done():
		s.close(0, "")
		return nil, "", "", fmt.Errorf("websocket: opening %s: %w", url, ctx.Err())
	}
}

// on sets the socket's handler of event name to f.
func (s *jsSocket) on(name string, f func(ev js.Value)) {
	jf := js.FuncOf(func(_ js.Value, args []js.Value) any {
		f(args[0])
		return nil
	})
	s.funcs = append(s.funcs, jf)
	s.ws.Set("on"+name, jf)
}

func (s *jsSocket) send(typ MessageType, p []byte) error {
	err := catch(func() {
		if typ == MessageText {
			s.ws.Call("send", string(p))
			return
		}
		arr := js.Global().Get("Uint8Array").New(len(p))
		js.CopyBytesToJS(arr, p)
		s.ws.Call("send", arr)
	})
	if err != nil {
		return fmt.Errorf("websocket: sending through the page's WebSocket: %w", err)
	}
	// Wait while the socket holds too much unsent; it never drains once
	// closing (readyState 2) or closed (3).
	for d := time.Millisecond; s.ws.Get("bufferedAmount").Int() > pageSendBuffer && s.ws.Get("readyState").Int() == 1; d = min(2*d, 50*time.Millisecond) {
		time.Sleep(d)
	}
	return nil
}

func (s *jsSocket) close(code StatusCode, reason string) {
	catch(func() {
		if code == 0 {
			s.ws.Call("close")
		} else {
			s.ws.Call("close", int(code), reason)
		}
	})
}

// catch runs f, returning the JavaScript exception it throws, if any.
func catch(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			je, ok := r.(js.Error)
			if !ok {
				panic(r)
			}
			err = je
		}
	}()
	f()
	return nil
}
