package websocket

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// Tests that a handshake request is held to the rules HTTP sets for every
// request (RFC 9112, RFC 9110) as well as to those of RFC 6455 section
// 4.2.1. Accept runs behind net/http's server, which enforces the HTTP
// rules before any handler sees the request; AcceptConn reads the request
// itself and must enforce them on its own. Each request is sent to both,
// and both must answer it the same way.

// strictHost is the host the requests of these tests name.
const strictHost = "example.test"

// strictRequest returns a valid opening handshake for strictHost with the
// request line requestLine ("GET /ws HTTP/1.1" when empty), the header
// lines named in drop removed and add appended, followed by body.
func strictRequest(requestLine string, drop, add []string, body string) string {
	if requestLine == "" {
		requestLine = "GET /ws HTTP/1.1"
	}
	return hsRequestText(requestLine, hsEditLines(hsHandshakeLines(strictHost), drop, add)) + body
}

// strictAcceptConn sends req to a server calling AcceptConn over a loopback
// TCP connection, and returns the status line of the answer (without its
// CRLF), whether the answer asks to close the connection, and what
// AcceptConn returned.
func strictAcceptConn(t *testing.T, req string) (statusLine string, closes bool, err error) {
	t.Helper()
	addr, errs := acServe(t, nil)
	resp := strictRoundTrip(t, addr, req)
	err = await(t, errs, "AcceptConn")
	return resp.Proto + " " + resp.Status, resp.Close, err
}

// strictNetHTTP sends req to an http.Server whose handler calls Accept
// with no options, and returns the status code of the answer.
func strictNetHTTP(t *testing.T, req string) int {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, err := Accept(w, r, nil); err == nil {
			c.CloseNow()
		}
	}))
	t.Cleanup(srv.Close)
	return strictRoundTrip(t, srv.Listener.Addr().String(), req).StatusCode
}

// strictRoundTrip writes req in a single write on a new connection to addr
// and reads the head of the answer.
func strictRoundTrip(t *testing.T, addr, req string) *http.Response {
	t.Helper()
	c := rawDial(t, addr)
	c.write([]byte(req))
	method, _, _ := strings.Cut(req, " ")
	return c.readResponse(method)
}

// TestHandshakeRequestHTTPRules sends requests that follow or break the
// rules of HTTP/1.1 for any request, and those of RFC 6455 section 4.2.1,
// to AcceptConn and checks the exact status line of its answer, then to
// Accept behind net/http's server and checks that the status is the same.
func TestHandshakeRequestHTTPRules(t *testing.T) {
	for _, tc := range strictHTTPRuleCases() {
		t.Run(tc.name, func(t *testing.T) {
			line, closes, err := strictAcceptConn(t, tc.req)
			if line != tc.status {
				t.Errorf("AcceptConn answered %q, want %q", line, tc.status)
			}
			if accepted := strings.HasPrefix(tc.status, "HTTP/1.1 101 "); accepted {
				if err != nil {
					t.Errorf("AcceptConn: %v", err)
				}
			} else {
				if err == nil {
					t.Errorf("AcceptConn returned no error for a refused request")
				}
				if !closes {
					t.Errorf("AcceptConn's refusal does not close the connection")
				}
			}
			want, _ := strconv.Atoi(strings.Fields(tc.status)[1])
			if got := strictNetHTTP(t, tc.req); got != want {
				t.Errorf("Accept behind net/http answered %d, want %d as AcceptConn", got, want)
			}
		})
	}
}

// strictHTTPRuleCase is a request of TestHandshakeRequestHTTPRules and the
// status line AcceptConn must answer it with.
type strictHTTPRuleCase struct {
	name   string
	req    string
	status string // AcceptConn's status line
}

// strictHTTPRuleCases are the requests of TestHandshakeRequestHTTPRules.
func strictHTTPRuleCases() []strictHTTPRuleCase {
	const (
		switching  = "HTTP/1.1 101 Switching Protocols"
		badRequest = "HTTP/1.1 400 Bad Request"
	)
	host := []string{"Host"}
	return []strictHTTPRuleCase{
		{name: "valid", req: strictRequest("", nil, nil, ""), status: switching},
		// RFC 9112 section 3.2: an empty Host is what a client sends when
		// the target has no authority; it is valid.
		{name: "Host empty", req: strictRequest("", host, []string{"Host:"}, ""), status: switching},
		{name: "Host with port", req: strictRequest("", host, []string{"Host: example.test:8080"}, ""), status: switching},
		{name: "Host IPv4 with port", req: strictRequest("", host, []string{"Host: 192.0.2.1:80"}, ""), status: switching},
		{name: "Host IPv6 literal", req: strictRequest("", host, []string{"Host: [2001:db8::1]:8080"}, ""), status: switching},
		{name: "Host IPv6 literal with zone", req: strictRequest("", host, []string{"Host: [fe80::1%25eth0]"}, ""), status: switching},
		{name: "Host IPvFuture literal", req: strictRequest("", host, []string{"Host: [v1.fe80::a+en1]"}, ""), status: switching},
		{name: "Host with sub-delims and percent-encoding", req: strictRequest("", host, []string{"Host: a-b_c~d!$&'()*+,;=%41"}, ""), status: switching},
		{name: "Host with empty port", req: strictRequest("", host, []string{"Host: example.test:"}, ""), status: switching},
		{name: "Host in upper case", req: strictRequest("", host, []string{"HOST: EXAMPLE.test"}, ""), status: switching},
		{name: "absolute form", req: strictRequest("GET http://example.test/ws HTTP/1.1", nil, nil, ""), status: switching},
		{name: "absolute form https", req: strictRequest("GET https://example.test:8443/ws?a=b HTTP/1.1", nil, nil, ""), status: switching},
		{name: "absolute form ws", req: strictRequest("GET ws://example.test/ws HTTP/1.1", nil, nil, ""), status: switching},
		{name: "origin form starting with two slashes", req: strictRequest("GET //ws HTTP/1.1", nil, nil, ""), status: switching},
		// RFC 9112 section 2.3: a higher minor version of HTTP/1 is
		// processed as HTTP/1.1.
		{name: "HTTP/1.2", req: strictRequest("GET /ws HTTP/1.2", nil, nil, ""), status: switching},
		{name: "Expect 100-continue without a body", req: strictRequest("", nil, []string{"Expect: 100-continue"}, ""), status: switching},
		{name: "Content-Length 0", req: strictRequest("", nil, []string{"Content-Length: 0"}, ""), status: switching},
		{name: "obs-text in a value", req: strictRequest("", nil, []string{"X-Name: caf\xe9"}, ""), status: switching},

		// RFC 9112 section 3.2: an HTTP/1.1 request without a Host, with
		// two, or with an invalid one gets 400.
		{name: "Host missing", req: strictRequest("", host, nil, ""), status: badRequest},
		{name: "Host missing, absolute form", req: strictRequest("GET http://example.test/ws HTTP/1.1", host, nil, ""), status: badRequest},
		{name: "Host twice", req: strictRequest("", nil, []string{"Host: other.test"}, ""), status: badRequest},
		{name: "Host twice, same value", req: strictRequest("", nil, []string{"Host: " + strictHost}, ""), status: badRequest},
		{name: "Host with a space", req: strictRequest("", host, []string{"Host: example .test"}, ""), status: badRequest},
		{name: "Host with a path", req: strictRequest("", host, []string{"Host: example.test/ws"}, ""), status: badRequest},
		{name: "Host with user info", req: strictRequest("", host, []string{"Host: user@example.test"}, ""), status: badRequest},
		{name: "Host folded", req: strictRequest("", host, []string{"Host: example.", " test"}, ""), status: badRequest},
		{name: "Host with a space, absolute form", req: strictRequest("GET http://example.test/ws HTTP/1.1", host, []string{"Host: example .test"}, ""), status: badRequest},
		// net/http's server checks only the characters of a Host; Accept
		// checks its form.
		{name: "Host with a letter in the port", req: strictRequest("", host, []string{"Host: example.test:8o"}, ""), status: badRequest},
		{name: "Host with two ports", req: strictRequest("", host, []string{"Host: example.test:80:80"}, ""), status: badRequest},
		{name: "Host IPv6 unbracketed", req: strictRequest("", host, []string{"Host: 2001:db8::1"}, ""), status: badRequest},
		{name: "Host IPv6 unclosed", req: strictRequest("", host, []string{"Host: [2001:db8::1"}, ""), status: badRequest},
		{name: "Host IPv6 invalid", req: strictRequest("", host, []string{"Host: [2001:db8::g]"}, ""), status: badRequest},
		{name: "Host IPv4 in brackets", req: strictRequest("", host, []string{"Host: [192.0.2.1]"}, ""), status: badRequest},
		{name: "Host IPv6 with a raw zone", req: strictRequest("", host, []string{"Host: [fe80::1%eth0]"}, ""), status: badRequest},
		{name: "Host IPvFuture without an address", req: strictRequest("", host, []string{"Host: [v1.]"}, ""), status: badRequest},
		{name: "Host after the bracket", req: strictRequest("", host, []string{"Host: [::1]x"}, ""), status: badRequest},
		{name: "Host with bad percent-encoding", req: strictRequest("", host, []string{"Host: a%4g"}, ""), status: badRequest},
		{name: "HTTP/1.0 without Host", req: strictRequest("GET /ws HTTP/1.0", host, nil, ""), status: badRequest},

		// The syntax of the request line and of fields (RFC 9112 sections
		// 3 and 5, RFC 9110 section 5.5).
		{name: "space in a field name", req: strictRequest("", nil, []string{"X Name: 1"}, ""), status: badRequest},
		{name: "space before the colon", req: strictRequest("", nil, []string{"X-Name : 1"}, ""), status: badRequest},
		{name: "control character in a value", req: strictRequest("", nil, []string{"X-Name: a\x01b"}, ""), status: badRequest},
		{name: "no colon", req: strictRequest("", nil, []string{"X-Name"}, ""), status: badRequest},
		{name: "malformed version", req: strictRequest("GET /ws HTTP/1", nil, nil, ""), status: badRequest},
		{name: "malformed request line", req: strictRequest("GET /ws", nil, nil, ""), status: badRequest},
		{name: "relative path", req: strictRequest("GET ws HTTP/1.1", nil, nil, ""), status: badRequest},

		// RFC 9110 section 15.6.6: 505 for a major version the server does
		// not speak; section 10.1.1: 417 for an expectation it cannot meet.
		{name: "HTTP/2.0", req: strictRequest("GET /ws HTTP/2.0", nil, nil, ""), status: "HTTP/1.1 505 HTTP Version Not Supported"},
		{name: "HTTP/3.0", req: strictRequest("GET /ws HTTP/3.0", nil, nil, ""), status: "HTTP/1.1 505 HTTP Version Not Supported"},
		{name: "HTTP/0.9", req: strictRequest("GET /ws HTTP/0.9", nil, nil, ""), status: "HTTP/1.1 505 HTTP Version Not Supported"},
		{name: "unknown expectation", req: strictRequest("", nil, []string{"Expect: the-unexpected"}, ""), status: "HTTP/1.1 417 Expectation Failed"},

		// RFC 6455 section 4.2.1 item 1: the request-target is the
		// resource name, or an absolute URI naming it.
		{name: "asterisk form", req: strictRequest("GET * HTTP/1.1", nil, nil, ""), status: badRequest},
		{name: "authority form", req: strictRequest("GET example.test:80 HTTP/1.1", nil, nil, ""), status: badRequest},
		{name: "absolute form of another scheme", req: strictRequest("GET ftp://example.test/ws HTTP/1.1", nil, nil, ""), status: badRequest},
		{name: "absolute form without a host", req: strictRequest("GET http:///ws HTTP/1.1", nil, nil, ""), status: badRequest},
		{name: "absolute form with user info", req: strictRequest("GET http://user@example.test/ws HTTP/1.1", nil, nil, ""), status: badRequest},

		// A body: after the 101 its bytes would be read as frames.
		{name: "body with Content-Length", req: strictRequest("", nil, []string{"Content-Length: 5"}, "hello"), status: badRequest},
		{name: "body with Content-Length and Expect", req: strictRequest("", nil, []string{"Content-Length: 5", "Expect: 100-continue"}, "hello"), status: badRequest},
		{name: "chunked body", req: strictRequest("", nil, []string{"Transfer-Encoding: chunked"}, "5\r\nhello\r\n0\r\n\r\n"), status: badRequest},
		{name: "chunked body, upper case", req: strictRequest("", nil, []string{"Transfer-Encoding: CHUNKED"}, "5\r\nhello\r\n0\r\n\r\n"), status: badRequest},
		{name: "empty chunked body", req: strictRequest("", nil, []string{"Transfer-Encoding: chunked"}, "0\r\n\r\n"), status: badRequest},
		{name: "chunked body and Content-Length 0", req: strictRequest("", nil, []string{"Content-Length: 0", "Transfer-Encoding: chunked"}, "0\r\n\r\n"), status: badRequest},
		// Message framing (RFC 9112 section 6).
		{name: "Content-Length not a number", req: strictRequest("", nil, []string{"Content-Length: five"}, ""), status: badRequest},
		{name: "two different Content-Lengths", req: strictRequest("", nil, []string{"Content-Length: 1", "Content-Length: 2"}, "ab"), status: badRequest},
		// RFC 9112 section 6.1: 501 for a transfer coding the server does
		// not understand.
		{name: "unknown transfer coding", req: strictRequest("", nil, []string{"Transfer-Encoding: gzip"}, ""), status: "HTTP/1.1 501 Not Implemented"},
	}
}
