package websocket

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"
)

// acceptGUID is the GUID of RFC 6455 section 1.3 that the server appends to
// the client's key.
const acceptGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// AcceptKey returns the Sec-WebSocket-Accept value for the client's
// Sec-WebSocket-Key (section 4.2.2): the base64 of the SHA-1 of the key
// followed by the protocol's GUID.
func AcceptKey(key string) string {
	h := sha1.New()
	h.Write([]byte(key))
	h.Write([]byte(acceptGUID))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// AcceptOptions configures Accept. The zero value accepts requests from
// clients that send no Origin or an Origin on the request's own host, and
// selects no subprotocol.
type AcceptOptions struct {
	// Subprotocols lists the subprotocols the server speaks, most preferred
	// first. The first that the client also offers is selected.
	Subprotocols []string

	// OriginPatterns lists the origins, besides the request's own host,
	// whose pages may open connections. A pattern is matched with path.Match,
	// ignoring case, against the Origin's host ("*.example.com",
	// "localhost:*"), or against scheme://host when it contains "://".
	OriginPatterns []string

	// InsecureSkipOriginCheck accepts any Origin. Browsers send cookies with
	// cross-site WebSocket requests, so a server that authenticates by cookie
	// and sets this is open to cross-site WebSocket hijacking.
	InsecureSkipOriginCheck bool

	// Compression, when non-nil, accepts a client's permessage-deflate
	// offer (RFC 7692) with these parameters. Nil leaves messages
	// uncompressed.
	Compression *CompressionOptions

	// HandshakeTimeout bounds AcceptConn's opening handshake, from reading
	// the request to writing the response. Zero means
	// DefaultHandshakeTimeout. (Accept's is bounded by the http.Server's
	// ReadHeaderTimeout.)
	HandshakeTimeout time.Duration
}

// Accept completes the opening handshake of a WebSocket request made to an
// http.Handler and returns the connection. Headers set on w beforehand are
// sent with the 101 response.
//
// Over HTTP/2, Accept takes a stream opened by an extended CONNECT (RFC
// 8441) and answers 200; see HTTP2Transport. The connection then lasts only
// as long as the handler: return from it after closing the connection.
//
// Accept checks the request as RFC 6455 section 4.2.1 requires, and refuses
// one with a body (a Content-Length other than 0 or a Transfer-Encoding),
// whose bytes would otherwise be read as frames. A request it refuses gets
// an HTTP error (400 for a malformed request, 405 for a method other than
// GET, 426 for a version other than 13, 403 for a refused Origin) and
// Accept returns the reason; the connection is not hijacked.
func Accept(w http.ResponseWriter, r *http.Request, opts *AcceptOptions) (*Conn, error) {
	if opts == nil {
		opts = &AcceptOptions{}
	}
	if r.ProtoMajor == 2 && r.Method == http.MethodConnect {
		return acceptH2(w, r, opts)
	}
	key, status, err := checkRequest(r)
	subprotocol, deflate, compress, err := admit(w, r, opts, status, err)
	if err != nil {
		return nil, err
	}

	resp := make([]byte, 0, 256)
	resp = append(resp, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "...)
	resp = append(resp, AcceptKey(key)...)
	resp = append(resp, "\r\n"...)
	if subprotocol != "" {
		resp = append(resp, "Sec-WebSocket-Protocol: "...)
		resp = append(resp, subprotocol...)
		resp = append(resp, "\r\n"...)
	}
	if compress {
		resp = append(resp, "Sec-WebSocket-Extensions: "...)
		resp = append(resp, deflate.String()...)
		resp = append(resp, "\r\n"...)
	}
	resp = appendExtraHeaders(resp, w.Header())
	resp = append(resp, "\r\n"...)

	nc, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		err = fmt.Errorf("websocket: cannot take over the connection: %w", err)
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return nil, err
	}
	// Bytes the client sent right after its request are already buffered.
	var buffered []byte
	if n := brw.Reader.Buffered(); n > 0 {
		buffered, _ = brw.Reader.Peek(n)
	}
	if _, err := nc.Write(resp); err != nil {
		nc.Close()
		return nil, fmt.Errorf("websocket: writing handshake response: %w", err)
	}
	c := newConn(nc, false, subprotocol, buffered) // copies buffered
	// net/http keeps the hijacked reader and writer, with their 4 KiB
	// buffers, for as long as the handler runs, which for a WebSocket is the
	// connection's life; they are ours now and no longer used, so let their
	// buffers go. (AcceptConn's Hijack returns a reader alone.)
	*brw.Reader = bufio.Reader{}
	if brw.Writer != nil {
		*brw.Writer = bufio.Writer{}
	}
	if compress {
		c.deflate = newCompression(deflate, opts.Compression, false)
	}
	return c, nil
}

// checkRequest checks a client's opening handshake (section 4.2.1) and
// returns its key, or the status to refuse it with and why.
func checkRequest(r *http.Request) (key string, status int, err error) {
	switch {
	case r.Method != http.MethodGet:
		return "", http.StatusMethodNotAllowed, fmt.Errorf("websocket: handshake method is %s, not GET", r.Method)
	case !r.ProtoAtLeast(1, 1):
		return "", http.StatusBadRequest, fmt.Errorf("websocket: handshake over %s, not HTTP/1.1 or later", r.Proto)
	case !validTarget(r):
		return "", http.StatusBadRequest, fmt.Errorf("websocket: request target %q is not a resource name or an absolute URI with a host", r.RequestURI)
	case !validHost(r.Host):
		// Item 2; RFC 9112 section 3.2: 400 for an invalid Host. net/http's
		// server checks only its characters.
		return "", http.StatusBadRequest, fmt.Errorf("websocket: malformed Host %q", r.Host)
	case r.ContentLength > 0 || len(r.TransferEncoding) > 0:
		// The handshake has no use for a body (RFC 9110 section 9.3.1
		// gives a GET's none), and once the connection is switched its
		// bytes would be read as frames.
		return "", http.StatusBadRequest, errors.New("websocket: handshake request has a body")
	case !headerHasToken(r.Header, "Connection", "upgrade"):
		return "", http.StatusBadRequest, errors.New("websocket: no 'upgrade' token in the Connection header")
	case !headerHasToken(r.Header, "Upgrade", "websocket"):
		return "", http.StatusBadRequest, errors.New("websocket: no 'websocket' token in the Upgrade header")
	case !singleValue(r.Header, "Sec-WebSocket-Version", "13"):
		return "", http.StatusUpgradeRequired, errors.New("websocket: Sec-WebSocket-Version is not 13")
	}
	keys := r.Header.Values("Sec-WebSocket-Key")
	if len(keys) != 1 {
		return "", http.StatusBadRequest, errors.New("websocket: need exactly one Sec-WebSocket-Key header")
	}
	key = strings.TrimSpace(keys[0])
	if b, err := base64.StdEncoding.DecodeString(key); err != nil || len(b) != 16 {
		return "", http.StatusBadRequest, fmt.Errorf("websocket: Sec-WebSocket-Key %q is not the base64 of 16 bytes", key)
	}
	return key, 0, nil
}

// validTarget reports whether the request-target of r, as received, is
// what RFC 6455 section 4.2.1 item 1 asks for: the resource name (a path
// and any query, in origin form), or an absolute http, https, ws or wss URI
// with a host (RFC 9110 section 4.2) and without user information (which
// section 4.2.4 has a recipient take as an error). A request that was not
// read from a connection, with no RequestURI, is taken as it is.
func validTarget(r *http.Request) bool {
	if r.RequestURI == "" || strings.HasPrefix(r.RequestURI, "/") {
		return true
	}
	u := r.URL
	if u == nil || u.Host == "" || u.User != nil || u.Opaque != "" {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https", "ws", "wss":
		return true
	}
	return false
}

// checkOrigin accepts requests without an Origin (not from a browser), from
// the request's own host, or from an origin matching one of patterns.
func checkOrigin(r *http.Request, patterns []string) error {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return nil
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return fmt.Errorf("websocket: malformed Origin %q", origin)
	}
	if strings.EqualFold(u.Host, r.Host) {
		return nil
	}
	for _, pattern := range patterns {
		target := u.Host
		if strings.Contains(pattern, "://") {
			target = u.Scheme + "://" + u.Host
		}
		ok, err := path.Match(strings.ToLower(pattern), strings.ToLower(target))
		if err != nil {
			return fmt.Errorf("websocket: malformed origin pattern %q: %w", pattern, err)
		}
		if ok {
			return nil
		}
	}
	return fmt.Errorf("websocket: Origin %q is not allowed for host %q", origin, r.Host)
}

// selectSubprotocol returns the first of the server's subprotocols that the
// client offers, or "".
func selectSubprotocol(r *http.Request, supported []string) string {
	if len(supported) == 0 {
		return ""
	}
	offered := headerTokens(r.Header, "Sec-WebSocket-Protocol")
	for _, s := range supported {
		for _, o := range offered {
			if o == s {
				return s
			}
		}
	}
	return ""
}

// handshakeHeaders are set by the handshake itself; extra headers of the
// same names are not sent.
var handshakeHeaders = map[string]bool{
	"Upgrade":                  true,
	"Connection":               true,
	"Sec-Websocket-Key":        true,
	"Sec-Websocket-Accept":     true,
	"Sec-Websocket-Version":    true,
	"Sec-Websocket-Protocol":   true,
	"Sec-Websocket-Extensions": true,
}

// appendExtraHeaders appends the fields of h, other than those the
// handshake sets itself, in wire format.
func appendExtraHeaders(b []byte, h http.Header) []byte {
	extra := make(http.Header, len(h))
	for k, v := range h {
		if !handshakeHeaders[http.CanonicalHeaderKey(k)] {
			extra[k] = v
		}
	}
	var buf bytes.Buffer
	extra.Write(&buf) // sanitizes newlines in values
	return append(b, buf.Bytes()...)
}

// admit finishes checking a handshake request r that the checks of its
// protocol found wanting with status and err when err is non-nil: it checks
// the Origin unless opts say not to, answers a request refused with an HTTP
// error, and otherwise chooses the subprotocol and the compression.
func admit(w http.ResponseWriter, r *http.Request, opts *AcceptOptions, status int, err error) (subprotocol string, deflate deflateParams, compress bool, _ error) {
	if err == nil && !opts.InsecureSkipOriginCheck {
		if err = checkOrigin(r, opts.OriginPatterns); err != nil {
			status = http.StatusForbidden
		}
	}
	if err != nil {
		refuse(w, status, err)
		return "", deflateParams{}, false, err
	}
	return negotiate(w, r, opts)
}

// refuse answers a handshake request with an HTTP error.
func refuse(w http.ResponseWriter, status int, err error) {
	switch status {
	case http.StatusUpgradeRequired:
		w.Header().Set("Sec-WebSocket-Version", "13")
	case http.StatusMethodNotAllowed:
		w.Header().Set("Allow", http.MethodGet)
	}
	http.Error(w, err.Error(), status)
}

// negotiate chooses the subprotocol and the compression for the request r,
// answering with an HTTP error when the options cannot be used.
func negotiate(w http.ResponseWriter, r *http.Request, opts *AcceptOptions) (subprotocol string, deflate deflateParams, compress bool, err error) {
	subprotocol = selectSubprotocol(r, opts.Subprotocols)
	if opts.Compression != nil {
		if err := opts.Compression.check(); err != nil {
			http.Error(w, "websocket: server misconfigured", http.StatusInternalServerError)
			return "", deflateParams{}, false, err
		}
		deflate, compress = opts.Compression.acceptDeflate(r.Header)
	}
	return subprotocol, deflate, compress, nil
}
