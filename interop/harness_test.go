package interop

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/f30c7f75/websocket"
)

// This file holds our side of the tests: a certificate made for the run,
// our server and our client, byte counters on their TCP connections,
// payloads and their summaries, and a session joining our end of a
// connection to the peer's.

// testCert is a self-signed ECDSA certificate for 127.0.0.1 and localhost,
// made once per run.
var testCert struct {
	tls      tls.Certificate
	pool     *x509.CertPool
	certFile string // PEM, for the peers
	keyFile  string
	spkiHash string // base64 SHA-256 of the public key, for Chromium
}

func makeCert(dir string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "websocket interop test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	testCert.tls = tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}
	testCert.pool = x509.NewCertPool()
	testCert.pool.AddCert(cert)
	spki := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	testCert.spkiHash = base64.StdEncoding.EncodeToString(spki[:])
	testCert.certFile = filepath.Join(dir, "cert.pem")
	testCert.keyFile = filepath.Join(dir, "key.pem")
	if err := os.WriteFile(testCert.certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		return err
	}
	return os.WriteFile(testCert.keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600)
}

func TestMain(m *testing.M) {
	// net/http's HTTP/2 server takes WebSockets (extended CONNECT) only
	// with GODEBUG=http2xconnect=1, read from the environment at start-up:
	// run the tests again with it when it is missing.
	if os.Getenv("INTEROP_CHILD") == "" && !strings.Contains(os.Getenv("GODEBUG"), "http2xconnect=1") {
		godebug := "http2xconnect=1"
		if g := os.Getenv("GODEBUG"); g != "" {
			godebug = g + "," + godebug
		}
		cmd := exec.Command(os.Args[0], os.Args[1:]...)
		cmd.Env = append(os.Environ(), "GODEBUG="+godebug, "INTEROP_CHILD=1")
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
		err := cmd.Run()
		var ee *exec.ExitError
		switch {
		case errors.As(err, &ee):
			os.Exit(ee.ExitCode())
		case err != nil:
			fmt.Fprintln(os.Stderr, "running the tests with GODEBUG=http2xconnect=1:", err)
			os.Exit(2)
		}
		os.Exit(0)
	}
	dir, err := os.MkdirTemp("", "websocket-interop-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := makeCert(dir); err != nil {
		fmt.Fprintln(os.Stderr, "making the test certificate:", err)
		os.Exit(1)
	}
	code := m.Run()
	stopBrowser()
	os.RemoveAll(dir)
	os.Exit(code)
}

// ---- Byte counters ----

// countingConn counts the bytes that cross a TCP connection, to show that
// compression shrinks what goes on the wire.
type countingConn struct {
	net.Conn
	read, written atomic.Int64
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.read.Add(int64(n))
	return n, err
}

func (c *countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.written.Add(int64(n))
	return n, err
}

type countingListener struct{ net.Listener }

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: c}, nil
}

// wireOf finds the counters under a connection of ours, TLS or not.
func wireOf(c *websocket.Conn) *countingConn {
	nc := c.NetConn()
	if tc, ok := nc.(*tls.Conn); ok {
		nc = tc.NetConn()
	}
	cc, _ := nc.(*countingConn)
	return cc
}

// ---- Payloads ----

// summary describes a message without its payload: the peers report these.
type summary struct {
	T string `json:"t"` // "text" or "binary"
	N int    `json:"n"`
	H string `json:"h"` // SHA-256, hex
}

func (s summary) String() string {
	h := s.H
	if len(h) > 12 {
		h = h[:12]
	}
	return fmt.Sprintf("%s/%d/%s", s.T, s.N, h)
}

func summarize(typ websocket.MessageType, p []byte) summary {
	sum := sha256.Sum256(p)
	return summary{T: typ.String(), N: len(p), H: hex.EncodeToString(sum[:])}
}

var textUnit = []byte("interop ünïcödé € 😀 ")

// textPayload makes n bytes of compressible, valid UTF-8 with multi-byte
// characters; a character cut by the end is replaced with dots. The peers
// make theirs the same way.
func textPayload(n, seq int) []byte {
	b := make([]byte, 0, n+len(textUnit))
	b = append(b, "#"+strconv.Itoa(seq)+" "...)
	for len(b) < n {
		b = append(b, textUnit...)
	}
	b = b[:n]
	for i := max(0, n-utf8.UTFMax); i < n; i++ {
		if utf8.RuneStart(b[i]) && !utf8.FullRune(b[i:]) {
			for j := i; j < n; j++ {
				b[j] = '.'
			}
			break
		}
	}
	return b
}

var rng = mrand.New(mrand.NewChaCha8([32]byte{'i', 'n', 't', 'e', 'r', 'o', 'p'}))
var rngMu sync.Mutex

// payload makes a message: compressible text or random, incompressible
// binary.
func payload(typ websocket.MessageType, n, seq int) []byte {
	if typ == websocket.MessageText {
		return textPayload(n, seq)
	}
	b := make([]byte, n)
	rngMu.Lock()
	for i := 0; i < n; i += 8 {
		v := rng.Uint64()
		for j := 0; j < 8 && i+j < n; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	rngMu.Unlock()
	return b
}

// checkSame fails the test unless got describes the same messages as want.
func checkSame(t *testing.T, what string, want, got []summary) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d messages, want %d", what, len(got), len(want))
	}
	bad := 0
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			if bad++; bad <= 3 {
				t.Errorf("%s: message %d is %v, want %v", what, i, got[i], want[i])
			}
		}
	}
	if bad > 3 {
		t.Errorf("%s: %d messages differ in all", what, bad)
	}
}

// ---- Connections ----

// deflateConfig is a permessage-deflate configuration, given to both ends.
type deflateConfig struct {
	Name                    string `json:"-"`
	ServerNoContextTakeover bool   `json:"serverNoContextTakeover,omitempty"`
	ClientNoContextTakeover bool   `json:"clientNoContextTakeover,omitempty"`
	ServerMaxWindowBits     int    `json:"serverMaxWindowBits,omitempty"`
	ClientMaxWindowBits     int    `json:"clientMaxWindowBits,omitempty"`
}

func (d *deflateConfig) options() *websocket.CompressionOptions {
	if d == nil {
		return nil
	}
	return &websocket.CompressionOptions{
		ServerNoContextTakeover: d.ServerNoContextTakeover,
		ClientNoContextTakeover: d.ClientNoContextTakeover,
		ServerMaxWindowBits:     d.ServerMaxWindowBits,
		ClientMaxWindowBits:     d.ClientMaxWindowBits,
	}
}

// setup is how a connection is opened.
type setup struct {
	tls      bool
	deflate  *deflateConfig
	killable bool // the test kills the peer: Chromium gets a browser of its own
}

// The subprotocols and headers every handshake carries. The servers prefer
// interop.v2, the one protocol both sides list.
var (
	clientProtocols = []string{"chat.v1", "interop.v2"}
	serverProtocols = []string{"interop.v2", "other.v3"}
)

const (
	wantProtocol     = "interop.v2"
	clientHeaderName = "X-Interop-Client" // sent by the client, seen by the server
	serverHeaderName = "X-Interop-Server" // sent by the server, seen by the client
)

// peerOpen is what a peer saw of the opening handshake.
type peerOpen struct {
	Protocol   string            `json:"protocol"`
	Extensions string            `json:"extensions"`
	Headers    map[string]string `json:"headers"` // lower-case names
}

// closeInfo is how a peer saw the connection end.
type closeInfo struct {
	Code     int    `json:"code"`
	Reason   string `json:"reason"`
	WasClean bool   `json:"wasClean"`
}

// session is one connection: our end, the peer's, and what our end read.
type session struct {
	t    *testing.T
	name string // the peer's name, for messages
	ours *websocket.Conn
	peer peer
	open peerOpen
	wire *countingConn

	ourHeaders http.Header // what our end saw: request headers on a server, response headers on a client

	echo     atomic.Bool   // our reader echoes what it reads
	in       chan summary  // what our reader read
	readDone chan struct{} // closed when our reader stops, with readErr
	readErr  error

	mu    sync.Mutex
	pings []string // payloads of pings our end received
	pongs []string // and of pongs
}

// newSession starts reading our end of the connection. Everything read is
// summarized into s.in and, while s.echo is set, written back.
func newSession(t *testing.T, name string, ours *websocket.Conn, p peer) *session {
	s := &session{
		t: t, name: name, ours: ours, peer: p,
		wire:     wireOf(ours),
		in:       make(chan summary, 4096),
		readDone: make(chan struct{}),
	}
	ours.OnPing(func(b []byte) { s.mu.Lock(); s.pings = append(s.pings, string(b)); s.mu.Unlock() })
	ours.OnPong(func(b []byte) { s.mu.Lock(); s.pongs = append(s.pongs, string(b)); s.mu.Unlock() })
	t.Cleanup(func() { ours.CloseNow() })
	go func() {
		defer close(s.readDone)
		var buf []byte
		for {
			typ, p, err := ours.ReadMessage(context.Background(), buf)
			if err != nil {
				s.readErr = err
				return
			}
			if s.echo.Load() {
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				err := ours.WriteMessage(ctx, typ, p)
				cancel()
				if err != nil {
					s.readErr = fmt.Errorf("echoing: %w", err)
					return
				}
			}
			s.in <- summarize(typ, p)
			buf = p
		}
	}()
	return s
}

// take returns the next n summaries of messages our end read.
func (s *session) take(ctx context.Context, n int) []summary {
	s.t.Helper()
	var got []summary
	for len(got) < n {
		select {
		case m := <-s.in:
			got = append(got, m)
		case <-s.readDone:
			// Messages read before the end are still in s.in.
			select {
			case m := <-s.in:
				got = append(got, m)
				continue
			default:
			}
			s.t.Fatalf("our end stopped reading after %d of %d messages: %v", len(got), n, s.readErr)
		case <-ctx.Done():
			s.t.Fatalf("our end read %d of %d messages: %v", len(got), n, ctx.Err())
		}
	}
	return got
}

// readEnd waits for our reader to stop and returns why.
func (s *session) readEnd(ctx context.Context) error {
	s.t.Helper()
	select {
	case <-s.readDone:
		return s.readErr
	case <-ctx.Done():
		s.t.Fatalf("our end still reading: %v", ctx.Err())
		return nil
	}
}

func (s *session) call(ctx context.Context, op string, args, result any) {
	s.t.Helper()
	if err := s.peer.call(ctx, op, args, result); err != nil {
		s.t.Fatal(err)
	}
}

// ---- Our server, for peers that are clients ----

type accepted struct {
	conn   *websocket.Conn
	header http.Header
}

// ourServer serves the browser page at / and accepts WebSocket connections
// at /ws, handing them to the test.
type ourServer struct {
	srv   *httptest.Server
	conns chan accepted
	errs  chan error
}

var browserPage = sync.OnceValues(func() ([]byte, error) { return os.ReadFile("browser_peer.html") })

// serveBrowserPage serves the browser peer's page.
func serveBrowserPage(w http.ResponseWriter, _ *http.Request) {
	page, err := browserPage()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(page)
}

func startOurServer(t *testing.T, st setup) *ourServer {
	t.Helper()
	s := &ourServer{conns: make(chan accepted, 1), errs: make(chan error, 1)}
	mux := http.NewServeMux()
	mux.HandleFunc("/{$}", serveBrowserPage)
	mux.HandleFunc("/ws", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(serverHeaderName, "go")
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{
			Subprotocols: serverProtocols,
			Compression:  st.deflate.options(),
		})
		if err != nil {
			select {
			case s.errs <- err:
			default:
			}
			return
		}
		s.conns <- accepted{c, r.Header.Clone()}
	})
	s.srv = httptest.NewUnstartedServer(mux)
	s.srv.Listener = countingListener{s.srv.Listener}
	if st.tls {
		s.srv.TLS = &tls.Config{Certificates: []tls.Certificate{testCert.tls}}
		s.srv.StartTLS()
	} else {
		s.srv.Start()
	}
	t.Cleanup(s.srv.Close)
	return s
}

// url returns the URL of path with scheme ws/wss or http/https.
func (s *ourServer) url(ws bool, path string) string {
	u, _ := url.Parse(s.srv.URL)
	if ws {
		u.Scheme = strings.Replace(u.Scheme, "http", "ws", 1)
	}
	u.Path = path
	return u.String()
}

// accept waits for the connection the peer opens.
func (s *ourServer) accept(ctx context.Context, t *testing.T) accepted {
	t.Helper()
	select {
	case a := <-s.conns:
		return a
	case err := <-s.errs:
		t.Fatalf("our server refused the handshake: %v", err)
	case <-ctx.Done():
		t.Fatalf("no connection reached our server: %v", ctx.Err())
	}
	return accepted{}
}

// ---- Our client, for peers that are servers ----

func dialPeer(ctx context.Context, t *testing.T, port int, st setup) (*websocket.Conn, *http.Response) {
	t.Helper()
	scheme := "ws"
	if st.tls {
		scheme = "wss"
	}
	u := fmt.Sprintf("%s://127.0.0.1:%d/ws", scheme, port)
	c, resp, err := websocket.Dial(ctx, u, &websocket.DialOptions{
		Header:       http.Header{clientHeaderName: {"go"}},
		Subprotocols: clientProtocols,
		Compression:  st.deflate.options(),
		TLSConfig:    &tls.Config{RootCAs: testCert.pool},
		Proxy:        func(*http.Request) (*url.URL, error) { return nil, nil }, // loopback only
		NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			var d net.Dialer
			nc, err := d.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return &countingConn{Conn: nc}, nil
		},
	})
	if err != nil {
		t.Fatalf("dialing %s: %v", u, err)
	}
	return c, resp
}
