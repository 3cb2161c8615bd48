package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// startBrowser starts a headless Chromium with a fresh profile and returns
// the context of its first tab. Tabs opened from it share the browser.
func startBrowser(t *testing.T) context.Context {
	t.Helper()
	bin := requirePeer(t, "chromium", "chromium-browser")
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(960, 600),
		// Trust the certificate of the HTTPS nodes (h2_test.go).
		chromedp.Flag("ignore-certificate-errors-spki-list", testCert().spki),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	// The first call starts the browser, which lives as long as that
	// call's context: it gets no timeout of its own.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	return ctx
}

// page is a browser tab showing the chat.
type page struct {
	t      *testing.T
	name   string
	ctx    context.Context
	cancel context.CancelFunc // closes the tab
}

// openPage opens a new tab on url as user name.
func openPage(t *testing.T, browser context.Context, url, name string) *page {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser)
	p := &page{t: t, name: name, ctx: ctx, cancel: cancel}
	t.Cleanup(cancel)
	// As for the browser, the first call opens the tab for the life of
	// its context.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("opening a tab: %v", err)
	}
	p.run("opening "+url, chromedp.Navigate(url))
	return p
}

func (p *page) run(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, waitLimit)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.t.Fatalf("%s: %s: %v\nlog: %q", p.name, what, err, p.entriesNoFail())
	}
}

// entriesJS lists the chat log: each entry's kind and its text without
// the time.
const entriesJS = `Array.from(document.querySelectorAll('#log .entry')).map(e =>
	e.className.replace(/^entry /, '') + '|' +
	Array.from(e.childNodes).filter(n => !(n.classList && n.classList.contains('time'))).map(n => n.textContent).join(' '))`

func (p *page) entriesNoFail() []string {
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	out, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](entriesJS))
	return out
}

func (p *page) entries() []string {
	p.t.Helper()
	return evaluate[[]string](p, "reading the log", entriesJS)
}

// waitEntry waits until the log has an entry equal to want.
func (p *page) waitEntry(want string) {
	p.t.Helper()
	js := fmt.Sprintf(`(%s).includes(%q)`, entriesJS, want)
	p.run("waiting for "+want, chromedp.Poll[chromedp.Void](js, chromedp.WithPollingTimeout(waitLimit)))
}

func (p *page) members() []string {
	p.t.Helper()
	return evaluate[[]string](p, "reading members", `Array.from(document.querySelectorAll('#members li')).map(li => li.textContent)`)
}

// waitMembers waits until the member list is want, in order.
func (p *page) waitMembers(want ...string) {
	p.t.Helper()
	js := fmt.Sprintf(`JSON.stringify(Array.from(document.querySelectorAll('#members li')).map(li => li.textContent)) === %q`, jsonList(want))
	p.run(fmt.Sprintf("waiting for members %v (had %v)", want, p.members()), chromedp.Poll[chromedp.Void](js, chromedp.WithPollingTimeout(waitLimit)))
}

// evaluate evaluates a JavaScript expression in the page.
func evaluate[T any](p *page, what, js string) T {
	p.t.Helper()
	return evaluateAction(p, what, chromedp.Evaluate[T](js))
}

// evaluateAction runs an action that returns a value.
func evaluateAction[T any](p *page, what string, a chromedp.Action[T]) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, waitLimit)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		p.t.Fatalf("%s: %s: %v", p.name, what, err)
	}
	return v
}

func jsonList(s []string) string {
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = fmt.Sprintf("%q", v)
	}
	return "[" + strings.Join(q, ",") + "]"
}

// say types text in the box and presses Send.
func (p *page) say(text string) {
	p.t.Helper()
	p.run("saying "+text,
		chromedp.WaitEnabled(chromedp.ID("text")),
		chromedp.SendKeys(chromedp.ID("text"), text),
		chromedp.Click(chromedp.ID("send")),
	)
}

func count(entries []string, prefix string) int {
	n := 0
	for _, e := range entries {
		if strings.HasPrefix(e, prefix) {
			n++
		}
	}
	return n
}

// saveScreenshot saves a PNG of the page under testdata/out, and over
// screenshot.png when UPDATE_SCREENSHOT is set.
func (p *page) saveScreenshot(file string) {
	p.t.Helper()
	png := evaluateAction(p, "screenshot", chromedp.CaptureScreenshot())
	if len(png) < 1000 {
		p.t.Fatalf("screenshot of %d bytes", len(png))
	}
	if err := os.MkdirAll(filepath.Join("testdata", "out"), 0o755); err != nil {
		p.t.Fatal(err)
	}
	out := filepath.Join("testdata", "out", file)
	if err := os.WriteFile(out, png, 0o644); err != nil {
		p.t.Fatal(err)
	}
	p.t.Logf("screenshot saved to %s", out)
	if os.Getenv("UPDATE_SCREENSHOT") != "" {
		if err := os.WriteFile("screenshot.png", png, 0o644); err != nil {
			p.t.Fatal(err)
		}
	}
}

// browserConversation has three pages join room on the given base URLs
// (one per page, possibly the same) and checks what each shows.
func browserConversation(t *testing.T, bases []string, shot string) {
	browser := startBrowser(t)
	room := "lobby"
	names := []string{"ann", "bob", "cy"}
	var pages []*page
	for i, name := range names {
		p := openPage(t, browser, fmt.Sprintf("%s/room/%s?name=%s", bases[i%len(bases)], room, name), name)
		p.waitEntry(fmt.Sprintf("notice welcome|Welcome to #%s, %s!", room, name))
		for _, old := range pages {
			old.waitEntry("notice join|" + name + " joined")
		}
		pages = append(pages, p)
	}
	for _, p := range pages {
		p.waitMembers(names...)
	}
	lines := []string{"Hi all, ann here.", "Hello ann! <b>not bold</b>", "Hey both, cy here. Shall we meet at 3?"}
	for i, p := range pages {
		p.say(lines[i])
		for _, q := range pages {
			kind := "message"
			if q == p {
				kind = "message mine"
			}
			q.waitEntry(kind + "|" + p.name + " " + lines[i])
		}
	}
	// The welcome went to each newcomer alone; join notices to the others
	// only, never to the one joining.
	for i, p := range pages {
		es := p.entries()
		if n := count(es, "notice welcome|"); n != 1 {
			t.Fatalf("%s shows %d welcomes: %q", p.name, n, es)
		}
		for j, name := range names {
			want := 0
			if j > i {
				want = 1
			}
			if n := count(es, "notice join|"+name+" "); n != want {
				t.Fatalf("%s shows %d join notices for %s, want %d: %q", p.name, n, name, want, es)
			}
		}
		if n := count(es, "message"); n != len(lines) {
			t.Fatalf("%s shows %d messages, want %d: %q", p.name, n, len(lines), es)
		}
	}
	// The text is shown as text, not markup.
	bold := evaluate[int](pages[0], "counting markup", `document.querySelectorAll('#log b').length`)
	if bold != 0 {
		t.Fatal("a message's markup was rendered")
	}
	pages[0].saveScreenshot(shot)

	// cy closes the tab: the others see cy leave.
	pages[2].cancel()
	for _, p := range pages[:2] {
		p.waitEntry("notice leave|cy left")
		p.waitMembers("ann", "bob")
	}
}

// TestBrowserChat runs the chat page in headless Chromium, three tabs on
// one node.
func TestBrowserChat(t *testing.T) {
	n := startNode(t, nil)
	browserConversation(t, []string{n.hs.URL}, "chat.png")
}

// TestBrowserChatAcrossNodes runs the chat page with tabs on two nodes
// joined by a redis-server.
func TestBrowserChatAcrossNodes(t *testing.T) {
	requirePeer(t, "chromium", "chromium-browser")
	nodes := redisNodes(t)
	browserConversation(t, []string{nodes[0].hs.URL, nodes[1].hs.URL}, "chat-redis.png")
}

// listenNode serves a chat node in memory on addr, returning a function
// that stops it as a restarting server does.
func listenNode(t *testing.T, addr string) func() {
	t.Helper()
	srv := newServer(t, Options{})
	var ln net.Listener
	var err error
	for deadline := time.Now().Add(waitLimit); ; {
		ln, err = net.Listen("tcp", addr)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("listening on %s again: %v", addr, err)
		}
		time.Sleep(50 * time.Millisecond) // the old server's port being released
	}
	hs := &http.Server{Handler: srv}
	go hs.Serve(ln)
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		hs.Close()
		srv.Close()
	}
	t.Cleanup(stop)
	return stop
}

// TestBrowserReconnect restarts the server under an open page: the page
// reconnects by itself, is welcomed back and can talk again.
func TestBrowserReconnect(t *testing.T) {
	browser := startBrowser(t)
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	stop := listenNode(t, addr)
	p := openPage(t, browser, "http://"+addr+"/room/again?name=ann", "ann")
	p.waitEntry("notice welcome|Welcome to #again, ann!")
	p.say("before")
	p.waitEntry("message mine|ann before")

	stop()
	listenNode(t, addr)
	p.waitEntry("notice welcome|Reconnected. Welcome to #again, ann!")
	p.waitMembers("ann")
	p.say("after")
	p.waitEntry("message mine|ann after")
	if es := p.entries(); !slices.Contains(es, "message mine|ann before") {
		t.Fatalf("the log lost what was said before: %q", es)
	}
}
