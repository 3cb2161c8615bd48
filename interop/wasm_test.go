package interop

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"

	"github.com/f30c7f75/websocket"
)

// Our client compiled for a web page (GOOS=js GOARCH=wasm): wasmclient runs
// its checks (echo of text and binary from 0 B to 1 MiB, a streamed
// message, close codes both ways, what a page cannot do) against wasmServer,
// in Node.js with Go's own loader and the ws package's WebSocket, and in
// headless Chromium.

// wasmServer serves wasmclient: /echo echoes; /close closes with the code
// and reason of its query; /abort drops the connection; /report reads until the page closes and sends
// what it read on reports.
func wasmServer(t *testing.T) (srv *httptest.Server, reports <-chan error) {
	t.Helper()
	reported := make(chan error, 8)
	mux := http.NewServeMux()
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{
			Subprotocols: []string{"interop.v1"},
			Compression:  &websocket.CompressionOptions{},
		})
		if err != nil {
			return
		}
		defer c.CloseNow()
		echoAll(c)
	})
	mux.HandleFunc("/close", func(w http.ResponseWriter, r *http.Request) {
		code, _ := strconv.Atoi(r.URL.Query().Get("code"))
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		if err := c.Close(websocket.StatusCode(code), r.URL.Query().Get("reason")); err != nil {
			t.Errorf("closing with %d: %v", code, err)
		}
	})
	mux.HandleFunc("/abort", func(w http.ResponseWriter, r *http.Request) {
		if c, err := websocket.Accept(w, r, nil); err == nil {
			c.CloseNow()
		}
	})
	mux.HandleFunc("/report", func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		_, _, err = c.ReadMessage(context.Background(), nil)
		reported <- err
	})
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, "wasm_page.html")
	})
	mux.HandleFunc("/wasm_exec.js", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, filepath.Join(runtime.GOROOT(), "lib", "wasm", "wasm_exec.js"))
	})
	mux.HandleFunc("/wasmclient.wasm", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/wasm")
		http.ServeFile(w, r, wasmClient(t))
	})
	srv = httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, reported
}

// wasmClient builds wasmclient once for the test binary.
var wasmBuild struct {
	once sync.Once
	path string
	err  error
}

func wasmClient(t *testing.T) string {
	t.Helper()
	wasmBuild.once.Do(func() {
		dir, err := os.MkdirTemp("", "wasmclient-")
		if err != nil {
			wasmBuild.err = err
			return
		}
		wasmBuild.path = filepath.Join(dir, "wasmclient.wasm")
		cmd := exec.Command("go", "build", "-o", wasmBuild.path, "./wasmclient")
		cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
		if out, err := cmd.CombinedOutput(); err != nil {
			wasmBuild.err = fmt.Errorf("building wasmclient: %v\n%s", err, out)
		}
	})
	if wasmBuild.err != nil {
		t.Fatal(wasmBuild.err)
	}
	return wasmBuild.path
}

// checkWASMRun checks wasmclient's exit code and output, and what the
// server read of the page's closes.
func checkWASMRun(t *testing.T, code int, out string, reports <-chan error) {
	t.Helper()
	t.Logf("wasmclient:\n%s", out)
	if code != 0 || !strings.HasSuffix(out, "\nPASS\n") {
		t.Fatalf("wasmclient exited with %d", code)
	}
	if n := strings.Count(out, "\nok: "); n != 16 {
		t.Errorf("%d checks passed, want 16", n)
	}
	var got []string
	for range 2 {
		select {
		case err := <-reports:
			var ce *websocket.CloseError
			if !errors.As(err, &ce) {
				t.Fatalf("the server read %v, want a close", err)
			}
			got = append(got, fmt.Sprintf("%d %q", ce.Code, ce.Reason))
		case <-time.After(10 * time.Second):
			t.Fatal("the server did not report the page's close")
		}
	}
	// A page may send 1000 and 3000-4999; for 1001 it sends no code.
	want := []string{`4002 "from the page"`, `1005 ""`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("closes the server read (-want +got):\n%s", diff)
	}
}

func TestWASMNode(t *testing.T) {
	nodeAvailable(t)
	srv, reports := wasmServer(t)
	loader := filepath.Join(runtime.GOROOT(), "lib", "wasm", "wasm_exec_node.js")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "--require", "./ws_global.js", loader, wasmClient(t), "ws"+strings.TrimPrefix(srv.URL, "http"))
	out, err := cmd.CombinedOutput()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	checkWASMRun(t, code, "\n"+string(out), reports)
}

func TestWASMChromium(t *testing.T) {
	b := startBrowser(t)
	srv, reports := wasmServer(t)
	tb := openTab(t, b, srv.URL+"/")
	ctx, cancel := context.WithTimeout(tb.ctx, 2*time.Minute)
	defer cancel()
	type result struct {
		Code int    `json:"code"`
		Out  string `json:"out"`
	}
	expr := fmt.Sprintf("runWasm(%q)", "ws"+strings.TrimPrefix(srv.URL, "http"))
	res, err := chromedp.Run(ctx, chromedp.Evaluate[result](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	checkWASMRun(t, res.Code, "\n"+res.Out, reports)
}
