package websocket

import (
	"errors"
	"io"
	"net/http"
	"net/netip"
	"strings"
)

// This file holds the HTTP/1.1 syntax that the opening handshakes of both
// roles, the proxies' CONNECT and the extension negotiation share: tokens
// and header values (RFC 9110 section 5), the Host (section 7.2), and a
// bound on how much of a handshake's header is read.

// isToken reports whether s is a token of RFC 7230 section 3.2.6: visible
// ASCII characters other than separators.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`()<>@,;:\"/[]?={}`, c) >= 0 {
			return false
		}
	}
	return true
}

// validHeaderValue reports whether s can be sent as a header value: no
// control characters, so no line breaks.
func validHeaderValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// headerLimitReader reads from r until n bytes have been read, and then
// fails with err (ErrHeaderTooLarge when nil). It bounds what a handshake's
// header may cost, as http.ReadResponse and http.ReadRequest set no limit
// of their own.
type headerLimitReader struct {
	r   io.Reader
	n   int
	err error
}

func (l *headerLimitReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		if l.err != nil {
			return 0, l.err
		}
		return 0, ErrHeaderTooLarge
	}
	if len(p) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= n
	return n, err
}

// validHost reports whether s is a valid Host field value (RFC 9110 section
// 7.2): uri-host [ ":" port ], the host being an IP literal in brackets, an
// IPv4 address or a registered name (RFC 3986 section 3.2.2), and the port
// digits (section 3.2.3). The empty value is valid: RFC 9112 section 3.2
// has a client send it for a target URI with no authority.
func validHost(s string) bool {
	host, port := s, ""
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 || !validIPLiteral(s[1:end]) {
			return false
		}
		port = s[end+1:]
	} else {
		if i := strings.IndexByte(s, ':'); i >= 0 {
			host, port = s[:i], s[i:]
		}
		// An IPv4 address is also a registered name in syntax.
		if !uriChars(host, subDelims) {
			return false
		}
	}
	if port == "" {
		return true
	}
	if port[0] != ':' {
		return false
	}
	for i := 1; i < len(port); i++ {
		if port[i] < '0' || port[i] > '9' {
			return false
		}
	}
	return true
}

// headerTokens returns the comma-separated tokens of all the header's
// values.
func headerTokens(h http.Header, name string) []string {
	var tokens []string
	for _, v := range h.Values(name) {
		for _, t := range strings.Split(v, ",") {
			if t = strings.Trim(t, " \t"); t != "" {
				tokens = append(tokens, t)
			}
		}
	}
	return tokens
}

// singleValue reports whether the header is present once, with the one
// value want.
func singleValue(h http.Header, name, want string) bool {
	vs := h.Values(name)
	return len(vs) == 1 && strings.Trim(vs[0], " \t") == want
}

// headerHasToken reports whether the header lists token, ignoring case.
func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.Trim(t, " \t"), token) {
				return true
			}
		}
	}
	return false
}

// ErrHeaderTooLarge means a handshake response's header was larger than
// DialOptions.MaxHeaderBytes.
var ErrHeaderTooLarge = errors.New("websocket: handshake response header too large")

// subDelims are the sub-delims of RFC 3986 section 2.2.
const subDelims = "!$&'()*+,;="

// validIPLiteral reports whether s is what RFC 3986 section 3.2.2 allows
// between the brackets of an IP literal: an IPv6 address, with a zone as
// RFC 6874 adds ("%25" and the zone, percent-encoded), or an IPvFuture.
func validIPLiteral(s string) bool {
	if s != "" && (s[0] == 'v' || s[0] == 'V') {
		// IPvFuture: "v", hex digits, ".", then unreserved, sub-delims
		// and colons.
		version, rest, ok := strings.Cut(s[1:], ".")
		if !ok || version == "" || rest == "" || strings.IndexByte(rest, '%') >= 0 || !uriChars(rest, subDelims+":") {
			return false
		}
		for i := 0; i < len(version); i++ {
			if !isHexDigit(version[i]) {
				return false
			}
		}
		return true
	}
	addr, zone, hasZone := strings.Cut(s, "%25")
	if hasZone && (zone == "" || !uriChars(zone, "")) {
		return false
	}
	if strings.IndexByte(addr, '%') >= 0 {
		return false
	}
	ip, err := netip.ParseAddr(addr)
	return err == nil && ip.Is6()
}

// uriChars reports whether s is made of unreserved characters (RFC 3986
// section 2.3), the characters of also, and percent-encoded octets.
func uriChars(s, also string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '-', c == '.', c == '_', c == '~':
		case strings.IndexByte(also, c) >= 0:
		case c == '%' && i+2 < len(s) && isHexDigit(s[i+1]) && isHexDigit(s[i+2]):
			i += 2
		default:
			return false
		}
	}
	return true
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
