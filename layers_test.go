package websocket

import (
	"go/ast"
	"go/build"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// The package's files build on one another in layers, bottom first: what a
// file uses comes from its own layer or those below, so that the protocol
// can be read from the wire up. TestLayers checks it.
var fileLayers = [][]string{
	// The wire: frames, masking, UTF-8, status codes and close payloads.
	{"doc.go", "frame.go", "mask.go", "mask_amd64.go", "mask_generic.go", "utf8.go", "status.go"},
	// Plumbing: a lock that can give up, deadlines joined with contexts,
	// the HTTP syntax the handshakes share.
	{"sem.go", "deadline.go", "http.go", "sysread.go", "sysread_windows.go"},
	// Reading and writing messages, and compressing them (RFC 7692).
	{"readbuf.go", "read.go", "write.go", "extension.go", "deflate.go"},
	// The connection, made of the above.
	{"conn.go"},
	// What a connection does: closing, pings, keepalive, prepared messages,
	// send queues, a byte stream over messages.
	{"close.go", "ping.go", "keepalive.go", "prepared.go", "sendqueue.go", "queuecontext.go", "streamconn.go"},
	// Reading many connections from a few goroutines.
	{"eventloop.go", "eventloop_linux.go", "eventloop_other.go"},
	// Opening connections: the handshakes, dialing, proxies, HTTP/2.
	{"handshake.go", "acceptconn.go", "dial.go", "proxy.go", "h2.go"},
	// Dialing from a web page (GOOS=js): a Conn on the page's WebSocket.
	{"browser.go", "browser_js.go", "browser_other.go"},
}

// upward lists the uses that run up the layers, by file, what they use and
// why.
var upward = map[string]struct {
	names []string
	why   string
}{
	"read.go -> close.go": {[]string{"closeReceived", "fail"},
		"section 7.1.7: the reader fails the connection, and a close frame it reads completes the closing handshake"},
	"deflate.go -> close.go": {[]string{"fail"},
		"inflating is reading: a message that inflates past the limit or to invalid UTF-8 fails the connection"},
	"read.go -> ping.go": {[]string{"pongReceived"},
		"a pong is read by whoever reads, and completes the Ping waiting for it"},
	"readbuf.go -> eventloop.go": {[]string{"drained", "errWouldBlock", "readNow", "reading"},
		"an EventLoop's worker reads without waiting"},
	"read.go -> eventloop.go": {[]string{"errServed", "errWouldBlock", "loopContext"},
		"a connection an EventLoop serves is read by it alone"},
	"conn.go -> eventloop.go": {[]string{"schedule", "served", "watched"},
		"closing a connection an EventLoop serves has the loop call OnClose"},
	"close.go -> eventloop.go": {[]string{"linger", "reading"},
		"failing the connection, an EventLoop's worker lingers without waiting"},
	"ping.go -> browser.go": {[]string{"ErrNoPing", "inPage"},
		"a web page's WebSocket cannot send pings"},
	"keepalive.go -> browser.go": {[]string{"ErrNoPing", "inPage"},
		"a web page's WebSocket cannot send pings"},
	"deflate.go -> browser.go": {[]string{"pageConn", "extensions"},
		"in a web page, the browser negotiates compression, and Extensions reports it"},
	"dial.go -> browser.go": {[]string{"dialPage"},
		"Dial in a web page opens the page's WebSocket"},
	"dial.go -> browser_other.go": {[]string{"openPageSocket"},
		"Dial in a web page opens the page's WebSocket (browser_js.go's; elsewhere a stub)"},
}

// TestLayers checks the layers of fileLayers: every file of the package is
// in one, and uses nothing of a higher one but what upward lists. The files
// below conn.go declare methods of Conn, and so use Conn, its fields and the
// methods conn.go declares: those uses are left out.
func TestLayers(t *testing.T) {
	layer := map[string]int{}
	for i, files := range fileLayers {
		for _, f := range files {
			layer[f] = i
			if _, err := os.Stat(f); err != nil {
				t.Errorf("fileLayers lists %s: %v", f, err)
			}
		}
	}
	pkg, err := build.Default.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var files []*ast.File
	for _, name := range pkg.GoFiles {
		if _, ok := layer[name]; !ok {
			t.Errorf("%s is in no layer of fileLayers", name)
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	info := &types.Info{Uses: map[*ast.Ident]types.Object{}}
	conf := types.Config{Importer: importer.ForCompiler(fset, "source", nil)}
	tp, err := conf.Check("websocket", fset, files, info)
	if err != nil {
		t.Fatal(err)
	}
	fileOf := func(p token.Pos) string { return filepath.Base(fset.Position(p).Filename) }
	connFile := fileOf(tp.Scope().Lookup("Conn").Pos())
	// used["a -> b"] is the set of names file a uses from file b, above it.
	used := map[string]map[string]bool{}
	for id, obj := range info.Uses {
		if obj == nil || obj.Pkg() != tp || !obj.Pos().IsValid() {
			continue
		}
		from, to := fileOf(id.Pos()), fileOf(obj.Pos())
		if layer[to] <= layer[from] {
			continue
		}
		if to == connFile && layer[from] < layer[connFile] {
			continue // Conn, its fields and conn.go's methods of it
		}
		key := from + " -> " + to
		if used[key] == nil {
			used[key] = map[string]bool{}
		}
		used[key][obj.Name()] = true
	}
	var keys []string
	for k := range used {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		allowed := map[string]bool{}
		for _, n := range upward[k].names {
			allowed[n] = true
		}
		var bad []string
		for n := range used[k] {
			if !allowed[n] {
				bad = append(bad, n)
			}
		}
		if len(bad) > 0 {
			sort.Strings(bad)
			t.Errorf("%s uses %s from a higher layer", k, strings.Join(bad, ", "))
		}
	}
	for k, u := range upward {
		for _, n := range u.names {
			if !used[k][n] {
				t.Errorf("upward lists %s for %s, which no longer uses it", n, k)
			}
		}
	}
}
