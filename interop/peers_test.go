package interop

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// This file starts and drives the peers: Node and Python processes spoken
// to in JSON lines over stdin and stdout, and tabs of a headless Chromium
// driven through the DevTools protocol. All three answer the same
// operations (see node_peer.js).

// requirePeers makes a missing peer fail the test instead of skipping it.
// .ci/run sets it, so CI never passes by skipping.
var requirePeers = os.Getenv("INTEROP_REQUIRE_PEERS") == "1"

// missingPeer skips the test, or fails it in CI, because a peer is not
// installed.
func missingPeer(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if requirePeers {
		t.Fatalf("INTEROP_REQUIRE_PEERS=1 and a peer is missing: %s", msg)
	}
	t.Skipf("peer not installed: %s", msg)
}

// peer is the far end of one connection, in whichever implementation.
type peer interface {
	// call runs op with args on the peer and decodes its result into
	// result.
	call(ctx context.Context, op string, args, result any) error
	// kill ends the peer abruptly: its process is killed, or its tab
	// crashed, so that no close frame can be sent.
	kill(t *testing.T)
}

// ---- Node and Python: a process per connection ----

// peerProc is a peer process spoken to in JSON lines.
type peerProc struct {
	name   string
	cmd    *exec.Cmd
	stdin  *os.File
	stderr lockedBuffer
	events chan json.RawMessage // lines that answer no request
	exited chan struct{}

	mu      sync.Mutex
	nextID  int
	pending map[int]chan procReply
	writeMu sync.Mutex
}

type procReply struct {
	Result json.RawMessage `json:"result"`
	Error  string          `json:"error"`
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startProc starts a peer process, which the test's cleanup kills.
func startProc(t *testing.T, name string, argv ...string) *peerProc {
	t.Helper()
	p := &peerProc{
		name:    name,
		events:  make(chan json.RawMessage, 4),
		exited:  make(chan struct{}),
		pending: make(map[int]chan procReply),
	}
	stdinR, stdinW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	p.stdin = stdinW
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin = stdinR
	cmd.Stderr = &p.stderr
	// The kernel kills the peer if the test binary dies first.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	stdinR.Close()
	p.cmd = cmd
	go p.readLoop(stdout)
	t.Cleanup(func() {
		p.stdin.Close()
		select {
		case <-p.exited:
		case <-time.After(2 * time.Second):
			p.cmd.Process.Kill()
			<-p.exited
		}
		if t.Failed() {
			if s := p.stderr.String(); s != "" {
				t.Logf("%s stderr:\n%s", name, s)
			}
		}
	})
	return p
}

func (p *peerProc) readLoop(stdout interface{ Read([]byte) (int, error) }) {
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		line := append([]byte(nil), sc.Bytes()...)
		var msg struct {
			ID *int `json:"id"`
			procReply
		}
		if err := json.Unmarshal(line, &msg); err != nil {
			fmt.Fprintf(&p.stderr, "[test] unparsable output line: %s\n", line)
			continue
		}
		if msg.ID == nil {
			select {
			case p.events <- line:
			default:
			}
			continue
		}
		p.mu.Lock()
		ch := p.pending[*msg.ID]
		delete(p.pending, *msg.ID)
		p.mu.Unlock()
		if ch != nil {
			ch <- msg.procReply
		}
	}
	p.cmd.Wait()
	close(p.exited)
}

// event waits for a line that answers no request, such as a server's
// {"event": "listening"}.
func (p *peerProc) event(ctx context.Context, v any) error {
	select {
	case line := <-p.events:
		return json.Unmarshal(line, v)
	case <-p.exited:
		return fmt.Errorf("%s exited: %v\n%s", p.name, p.cmd.ProcessState, p.stderr.String())
	case <-ctx.Done():
		return fmt.Errorf("%s: waiting for its first event: %w", p.name, ctx.Err())
	}
}

func (p *peerProc) call(ctx context.Context, op string, args, result any) error {
	p.mu.Lock()
	p.nextID++
	id := p.nextID
	ch := make(chan procReply, 1)
	p.pending[id] = ch
	p.mu.Unlock()
	req, err := json.Marshal(map[string]any{"id": id, "op": op, "args": args})
	if err != nil {
		return err
	}
	p.writeMu.Lock()
	_, err = p.stdin.Write(append(req, '\n'))
	p.writeMu.Unlock()
	if err != nil {
		return fmt.Errorf("%s %s: writing request: %w", p.name, op, err)
	}
	select {
	case r := <-ch:
		if r.Error != "" {
			return fmt.Errorf("%s %s: %s", p.name, op, r.Error)
		}
		if result == nil {
			return nil
		}
		return json.Unmarshal(r.Result, result)
	case <-p.exited:
		return fmt.Errorf("%s %s: peer exited: %v\n%s", p.name, op, p.cmd.ProcessState, p.stderr.String())
	case <-ctx.Done():
		return fmt.Errorf("%s %s: %w", p.name, op, ctx.Err())
	}
}

func (p *peerProc) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatalf("killing %s: %v", p.name, err)
	}
	<-p.exited
}

// nodeAvailable checks for node and for ws installed in interop/node_modules.
func nodeAvailable(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		missingPeer(t, "node not found in PATH; install Node.js (20 or later), then run `npm ci` in interop/")
	}
	out, err := exec.Command("node", "-e", "process.stdout.write(require('ws/package.json').version)").CombinedOutput()
	if err != nil {
		missingPeer(t, "the ws package is not installed: run `npm ci` in interop/ (%v: %s)", err, bytes.TrimSpace(out))
	}
	logVersionOnce(t, "node ws", string(out))
}

// pythonPath is the interpreter for python_peer.py: INTEROP_PYTHON, else
// Debian's /usr/bin/python3 (where apt's python3-websockets lives), else
// python3 from PATH.
func pythonPath() string {
	if p := os.Getenv("INTEROP_PYTHON"); p != "" {
		return p
	}
	if _, err := os.Stat("/usr/bin/python3"); err == nil {
		return "/usr/bin/python3"
	}
	return "python3"
}

func pythonAvailable(t *testing.T) {
	t.Helper()
	py := pythonPath()
	if _, err := exec.LookPath(py); err != nil {
		missingPeer(t, "%s not found; install Python 3 and websockets 10 or later (Debian: apt-get install python3-websockets)", py)
	}
	out, err := exec.Command(py, "-c", "import websockets, sys; sys.stdout.write(websockets.__version__)").CombinedOutput()
	if err != nil {
		missingPeer(t, "Python websockets is not installed for %s: apt-get install python3-websockets, or pip install 'websockets>=10,<14' (%v: %s)", py, err, bytes.TrimSpace(out))
	}
	logVersionOnce(t, "python websockets", string(out))
}

var versionsLogged sync.Map

func logVersionOnce(t *testing.T, what, version string) {
	if _, dup := versionsLogged.LoadOrStore(what, true); !dup {
		t.Logf("%s %s", what, version)
	}
}

// peerConfig is the configuration a Node or Python peer starts with.
type peerConfig struct {
	Role      string            `json:"role"` // "client" or "server"
	URL       string            `json:"url,omitempty"`
	Protocols []string          `json:"protocols,omitempty"`
	Headers   map[string]string `json:"headers,omitempty"`
	Deflate   *deflateConfig    `json:"deflate,omitempty"`
	TLS       map[string]string `json:"tls,omitempty"` // cert and key for a server, ca for a client
}

func startNode(t *testing.T, cfg peerConfig) *peerProc {
	b, _ := json.Marshal(cfg)
	return startProc(t, "node "+cfg.Role, "node", "node_peer.js", string(b))
}

func startPython(t *testing.T, cfg peerConfig) *peerProc {
	b, _ := json.Marshal(cfg)
	return startProc(t, "python "+cfg.Role, pythonPath(), "python_peer.py", string(b))
}

// ---- Chromium: a browser for the test binary, a tab per connection ----

// browserProc is a running Chromium.
type browserProc struct {
	ctx     context.Context // the browser's chromedp context
	version string
	stop    func()
}

// The browser every tab shares, started once.
var shared struct {
	once sync.Once
	b    *browserProc
	err  error
}

// chromiumPath is INTEROP_CHROMIUM, else the first Chromium or Chrome found.
func chromiumPath() string {
	if p := os.Getenv("INTEROP_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// launchBrowser starts headless Chromium, trusting the test certificate by
// the hash of its public key.
func launchBrowser(path string) (*browserProc, error) {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-proxy-server", true),
		chromedp.Flag("ignore-certificate-errors-spki-list", testCert.spkiHash),
	)
	// chromedp gives the browser a fresh temporary --user-data-dir, removed
	// (with any process left using it) when it stops. Its defaults include
	// --headless, --no-first-run, --disable-background-networking and
	// --disable-sync.
	allocCtx, allocCancel := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	// The first Do starts the browser; it must not carry a timeout, which
	// would stop the browser when it ends.
	err := chromedp.Do(ctx)
	var product string
	if err == nil {
		startCtx, startCancel := context.WithTimeout(ctx, 30*time.Second)
		product, err = chromedp.Run(startCtx, chromedp.Evaluate[string](`navigator.userAgent`))
		startCancel()
	}
	if err != nil {
		cancel()
		allocCancel()
		return nil, fmt.Errorf("starting %s: %w", path, err)
	}
	return &browserProc{
		ctx:     ctx,
		version: product,
		stop: func() {
			stopCtx, c := context.WithTimeout(ctx, 10*time.Second)
			defer c()
			chromedp.Cancel(stopCtx)
			cancel()
			allocCancel()
		},
	}, nil
}

// startBrowser returns the shared browser, starting it the first time.
func startBrowser(t *testing.T) *browserProc {
	t.Helper()
	path := chromiumPath()
	if path == "" {
		missingPeer(t, "no Chromium or Chrome found (Debian: apt-get install chromium; or set INTEROP_CHROMIUM)")
	}
	shared.once.Do(func() { shared.b, shared.err = launchBrowser(path) })
	if shared.err != nil {
		missingPeer(t, "cannot start Chromium (%v); install it with apt-get install chromium", shared.err)
	}
	logVersionOnce(t, "chromium", shared.b.version)
	return shared.b
}

// startOwnBrowser starts a browser for one test, which may kill it; the
// test's cleanup stops it.
func startOwnBrowser(t *testing.T) *browserProc {
	t.Helper()
	startBrowser(t) // skips or fails the test as for the shared browser
	b, err := launchBrowser(chromiumPath())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.stop)
	return b
}

func stopBrowser() {
	if shared.b != nil {
		shared.b.stop()
	}
}

// tab is a browser tab showing browser_peer.html.
type tab struct {
	browser *browserProc
	ctx     context.Context
	cancel  func()
}

// openTab opens a tab of b on pageURL; the test's cleanup closes it.
func openTab(t *testing.T, b *browserProc, pageURL string) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx)
	tb := &tab{browser: b, ctx: ctx, cancel: cancel}
	t.Cleanup(cancel)
	// The first Do creates the tab; it must not carry a timeout, which
	// would close the tab when it ends.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("opening a tab: %v", err)
	}
	navCtx, navCancel := context.WithTimeout(ctx, 20*time.Second)
	defer navCancel()
	if err := chromedp.Do(navCtx, chromedp.Navigate(pageURL)); err != nil {
		t.Fatalf("loading %s: %v", pageURL, err)
	}
	return tb
}

func (tb *tab) call(ctx context.Context, op string, args, result any) error {
	a, err := json.Marshal(args)
	if err != nil {
		return err
	}
	expr := fmt.Sprintf("peer.call(%q, %s)", op, a)
	cctx, cancel := context.WithCancel(tb.ctx)
	defer cancel()
	stop := context.AfterFunc(ctx, cancel) // the caller's deadline, on the tab's context
	defer stop()
	raw, err := chromedp.Run(cctx, chromedp.Evaluate[[]byte](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("chromium %s: %w", op, ctx.Err())
		}
		return fmt.Errorf("chromium %s: %w", op, err)
	}
	if result == nil {
		return nil
	}
	return json.Unmarshal(raw, result)
}

// kill kills the process of the tab's browser that holds its connections,
// the network service, with SIGKILL; the browser must be the test's own.
// Closing or crashing the tab, or killing the main browser process, would
// not do: the network service then sends a close frame (1001) by itself.
func (tb *tab) kill(t *testing.T) {
	t.Helper()
	if tb.browser == shared.b {
		t.Fatal("the shared browser cannot be killed: open the tab with setup.killable")
	}
	proc := chromedp.FromContext(tb.browser.ctx).Browser.Process()
	if proc == nil {
		t.Fatal("no browser process")
	}
	pid, err := descendant(proc.Pid, "--utility-sub-type=network.mojom.NetworkService")
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("killing chromium's network service: %v", err)
	}
}

// descendant finds the process below root whose command line has arg.
func descendant(root int, arg string) (int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	parent := map[int]int{}
	var found []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...; comm may hold spaces and parentheses.
		fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(fields) < 2 {
			continue
		}
		parent[pid], _ = strconv.Atoi(fields[1])
		cmdline, _ := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		// Chromium's children rewrite their command line as one string.
		args := strings.Fields(strings.ReplaceAll(string(cmdline), "\x00", " "))
		if slices.Contains(args, arg) {
			found = append(found, pid)
		}
	}
	for _, pid := range found {
		for p := parent[pid]; p > 1; p = parent[p] {
			if p == root {
				return pid, nil
			}
		}
	}
	return 0, fmt.Errorf("no process with %s below process %d", arg, root)
}
