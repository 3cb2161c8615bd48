package websocket

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"
)

// Tests of the negotiation of permessage-deflate (RFC 7692 sections 5 and
// 7.1) in the Sec-WebSocket-Extensions headers of the opening handshake:
// the server's choice among the client's offers (Accept, with raw
// requests), the client's check of the server's answer (Dial, against a raw
// server) and the client's offer.

// normParams reads a permessage-deflate element with the test's own parser
// (pmdElement, deflate_peer_test.go) and formats its parameters sorted,
// dropping window bits of 15, which say nothing beyond their absence in a
// response.
// "-" stands for no element at all.
func normParams(t testing.TB, exts []string) string {
	t.Helper()
	if len(exts) == 0 {
		return "-"
	}
	if len(exts) > 1 {
		t.Fatalf("%d Sec-WebSocket-Extensions fields: %q", len(exts), exts)
	}
	m, err := pmdElement(exts[0])
	if err != nil {
		t.Fatalf("Sec-WebSocket-Extensions %q: %v", exts[0], err)
	}
	var ps []string
	for k, v := range m {
		switch {
		case v == "15" && strings.HasSuffix(k, "_max_window_bits"):
		case v == "":
			ps = append(ps, k)
		default:
			ps = append(ps, k+"="+v)
		}
	}
	sort.Strings(ps)
	return strings.Join(ps, "; ")
}

// sortParams sorts the parameters of a want string written as normParams
// formats them.
func sortParams(s string) string {
	if s == "" || s == "-" {
		return s
	}
	ps := strings.Split(s, "; ")
	sort.Strings(ps)
	return strings.Join(ps, "; ")
}

// acceptResult is what a handshake with Accept gave.
type acceptResult struct {
	status  int
	exts    []string // the response's Sec-WebSocket-Extensions fields
	connExt string   // the accepted Conn's Extensions()
	err     error    // Accept's error
}

// acceptWith runs Accept with compression options opts on a raw request
// carrying one Sec-WebSocket-Extensions field per element of offers.
func acceptWith(t testing.TB, opts *CompressionOptions, offers ...string) acceptResult {
	t.Helper()
	type accepted struct {
		ext string
		err error
	}
	done := make(chan accepted, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := Accept(w, r, &AcceptOptions{Compression: opts})
		if err != nil {
			done <- accepted{err: err}
			return
		}
		done <- accepted{ext: c.Extensions()}
		c.CloseNow()
	}))
	defer srv.Close()
	nc, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(peerTimeout))
	req := "GET / HTTP/1.1\r\nHost: " + srv.Listener.Addr().String() +
		"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	for _, o := range offers {
		req += "Sec-WebSocket-Extensions: " + o + "\r\n"
	}
	if _, err := io.WriteString(nc, req+"\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
	if err != nil {
		t.Fatalf("reading the response: %v", err)
	}
	res := acceptResult{status: resp.StatusCode, exts: resp.Header.Values("Sec-WebSocket-Extensions")}
	select {
	case a := <-done:
		res.connExt, res.err = a.ext, a.err
	case <-time.After(peerTimeout):
		t.Fatal("Accept did not return")
	}
	return res
}

// TestAcceptDeflateOffers checks the server's answer to permessage-deflate
// offers (RFC 7692 section 5.1 and 7.1): valid offers are accepted with the
// parameters they and the server's options call for; offers the server
// cannot honour or that are invalid are declined, without failing the
// handshake; the first acceptable offer of a list wins; other extensions
// are ignored.
func TestAcceptDeflateOffers(t *testing.T) {
	def := &CompressionOptions{}
	type tc struct {
		name   string
		opts   *CompressionOptions
		offers []string
		want   string // normParams of the response; "-": declined; "*": either
	}
	pd := "permessage-deflate"
	cases := []tc{
		{"default-offer", def, []string{pd}, ""},
		{"browser-offer", def, []string{pd + "; client_max_window_bits"}, ""},
		{"server_no_context_takeover", def, []string{pd + "; server_no_context_takeover"}, "server_no_context_takeover"},
		{"client_no_context_takeover", def, []string{pd + "; client_no_context_takeover"}, "client_no_context_takeover"},
		{"all-parameters", def, []string{pd + "; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=12"},
			"client_max_window_bits=12; client_no_context_takeover; server_max_window_bits=10; server_no_context_takeover"},
		{"spaces", def, []string{pd + " ;server_max_window_bits = 10 ;  client_max_window_bits "}, "server_max_window_bits=10"},
		{"tab", def, []string{pd + ";\tclient_max_window_bits"}, ""},
		{"quoted-server-bits", def, []string{pd + `; server_max_window_bits="10"`}, "server_max_window_bits=10"},
		{"quoted-client-bits", def, []string{pd + `; client_max_window_bits="12"`}, "client_max_window_bits=12"},
		{"quoted-escaped", def, []string{pd + `; server_max_window_bits="1\0"`}, "server_max_window_bits=10"},
		{"empty-list-elements", def, []string{", " + pd + " ,,"}, ""},

		// The server's options.
		{"opt-server-no-context", &CompressionOptions{ServerNoContextTakeover: true}, []string{pd}, "server_no_context_takeover"},
		{"opt-client-no-context", &CompressionOptions{ClientNoContextTakeover: true}, []string{pd}, "client_no_context_takeover"},
		{"opt-server-bits", &CompressionOptions{ServerMaxWindowBits: 10}, []string{pd}, "server_max_window_bits=10"},
		{"opt-server-bits-offer-larger", &CompressionOptions{ServerMaxWindowBits: 10}, []string{pd + "; server_max_window_bits=12"}, "server_max_window_bits=10"},
		{"opt-server-bits-offer-smaller", &CompressionOptions{ServerMaxWindowBits: 10}, []string{pd + "; server_max_window_bits=9"}, "server_max_window_bits=9"},
		{"opt-client-bits", &CompressionOptions{ClientMaxWindowBits: 10}, []string{pd + "; client_max_window_bits"}, "client_max_window_bits=10"},
		{"opt-client-bits-offer-larger", &CompressionOptions{ClientMaxWindowBits: 10}, []string{pd + "; client_max_window_bits=12"}, "client_max_window_bits=10"},
		{"opt-client-bits-offer-smaller", &CompressionOptions{ClientMaxWindowBits: 10}, []string{pd + "; client_max_window_bits=9"}, "client_max_window_bits=9"},
		{"opt-client-bits-not-offered", &CompressionOptions{ClientMaxWindowBits: 10}, []string{pd}, "-"},
		{"opt-client-bits-15-not-offered", &CompressionOptions{ClientMaxWindowBits: 15}, []string{pd}, ""},
		{"opt-all", &CompressionOptions{ServerNoContextTakeover: true, ClientNoContextTakeover: true, ServerMaxWindowBits: 11, ClientMaxWindowBits: 9},
			[]string{pd + "; client_max_window_bits"},
			"client_max_window_bits=9; client_no_context_takeover; server_max_window_bits=11; server_no_context_takeover"},
		{"opt-level-threshold", &CompressionOptions{Level: 9, Threshold: 100}, []string{pd + "; client_max_window_bits"}, ""},

		// Lists of offers.
		{"first-invalid-second-valid", def, []string{pd + "; foo, " + pd + "; server_max_window_bits=10"}, "server_max_window_bits=10"},
		{"first-invalid-second-valid-fields", def, []string{pd + "; foo", pd + "; server_max_window_bits=10"}, "server_max_window_bits=10"},
		{"first-out-of-range-second-plain", def, []string{pd + "; server_max_window_bits=7, " + pd}, ""},
		{"first-valid-wins", def, []string{pd + "; server_max_window_bits=10, " + pd}, "server_max_window_bits=10"},
		{"first-unacceptable-second-acceptable", &CompressionOptions{ClientMaxWindowBits: 10}, []string{pd + ", " + pd + "; client_max_window_bits"}, "client_max_window_bits=10"},
		{"other-extension-first", def, []string{"x-webkit-deflate-frame, " + pd + "; client_max_window_bits"}, ""},
		{"other-extension-with-odd-params", def, []string{"x-custom; server_max_window_bits=99; foo, " + pd}, ""},
		{"other-extension-only", def, []string{"x-webkit-deflate-frame"}, "-"},
		{"other-extension-similar-name", def, []string{"permessage-deflate-x; client_max_window_bits", "deflate-frame"}, "-"},
		{"malformed-other-element", def, []string{"x-foo;;, " + pd}, "*"},
		{"no-offer", def, nil, "-"},
	}
	for bits := 8; bits <= 15; bits++ {
		want := fmt.Sprintf("server_max_window_bits=%d", bits)
		cwant := fmt.Sprintf("client_max_window_bits=%d", bits)
		if bits == 15 {
			want, cwant = "", ""
		}
		cases = append(cases,
			tc{fmt.Sprintf("server_max_window_bits=%d", bits), def, []string{fmt.Sprintf("%s; server_max_window_bits=%d", pd, bits)}, want},
			tc{fmt.Sprintf("client_max_window_bits=%d", bits), def, []string{fmt.Sprintf("%s; client_max_window_bits=%d", pd, bits)}, cwant})
	}
	// Invalid offers: declined, the handshake goes on without compression.
	for _, offer := range []string{
		"foo", "foo=1", "x-server_max_window_bits=10",
		"server_no_context_takeover; server_no_context_takeover",
		"client_no_context_takeover; client_no_context_takeover",
		"server_max_window_bits=10; server_max_window_bits=11",
		"server_max_window_bits=10; server_max_window_bits=10",
		"client_max_window_bits; client_max_window_bits=10",
		"client_max_window_bits; client_max_window_bits",
		"server_max_window_bits=7", "server_max_window_bits=16", "server_max_window_bits=0",
		"server_max_window_bits=-1", "server_max_window_bits=09", "server_max_window_bits=010",
		"server_max_window_bits=1a", "server_max_window_bits=10.0", "server_max_window_bits=+10",
		"server_max_window_bits=255", "server_max_window_bits=99999999999999999999",
		`server_max_window_bits=" 10"`, `server_max_window_bits=""`,
		"client_max_window_bits=7", "client_max_window_bits=16", "client_max_window_bits=09", "client_max_window_bits=08",
		"server_no_context_takeover=1", "client_no_context_takeover=true", `server_no_context_takeover=""`,
		"server_max_window_bits",
	} {
		o := pd + "; " + offer
		cases = append(cases, tc{"invalid/" + o, def, []string{o}, "-"})
	}
	// Malformed syntax.
	for _, o := range []string{
		pd + ";", pd + ";;", pd + "; ;client_max_window_bits", pd + "; =10", pd + "=10",
		pd + "; server_max_window_bits=", pd + `; server_max_window_bits="10`, pd + `; server_max_window_bits=10"`,
		pd + "; server_max_window_bits=1 0", pd + "; client_max_window_bits client_no_context_takeover",
		pd + " client_max_window_bits", "; " + pd, pd + "; client_max_window_bits=\"1\"0",
	} {
		cases = append(cases, tc{"malformed/" + o, def, []string{o}, "-"})
	}

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := acceptWith(t, c.opts, c.offers...)
			if res.status != http.StatusSwitchingProtocols || res.err != nil {
				t.Fatalf("offers %q: status %d, Accept: %v; want the handshake to succeed", c.offers, res.status, res.err)
			}
			got := normParams(t, res.exts)
			if c.want != "*" && got != sortParams(c.want) {
				t.Errorf("offers %q: response %q, read as %q; want %q", c.offers, res.exts, got, sortParams(c.want))
			}
			// The Conn reports what the response says.
			wantConn := ""
			if len(res.exts) == 1 {
				wantConn = res.exts[0]
			}
			if res.connExt != wantConn {
				t.Errorf("Conn.Extensions() = %q, the response said %q", res.connExt, wantConn)
			}
		})
	}
}

// TestAcceptDeflateAnswersServerMaxWindowBits checks RFC 7692 section
// 7.1.2.1: "A server accepts an extension negotiation offer with this
// parameter by including the server_max_window_bits extension parameter in
// the extension negotiation response ... with the same or smaller value as
// the offer." A client that offered it may fail the connection when the
// answer lacks it, whatever value it offered, 15 included.
func TestAcceptDeflateAnswersServerMaxWindowBits(t *testing.T) {
	for bits := 8; bits <= 15; bits++ {
		t.Run(fmt.Sprint(bits), func(t *testing.T) {
			res := acceptWith(t, &CompressionOptions{}, fmt.Sprintf("permessage-deflate; server_max_window_bits=%d", bits))
			if res.status != http.StatusSwitchingProtocols || len(res.exts) != 1 {
				t.Fatalf("status %d, extensions %q", res.status, res.exts)
			}
			m, err := pmdElement(res.exts[0])
			if err != nil {
				t.Fatal(err)
			}
			v, ok := m["server_max_window_bits"]
			if !ok {
				t.Fatalf("offer with server_max_window_bits=%d accepted with %q: no server_max_window_bits in the response (RFC 7692 section 7.1.2.1)", bits, res.exts[0])
			}
			if atoi(v) > bits || atoi(v) < 8 {
				t.Fatalf("server_max_window_bits=%s answered to an offer of %d", v, bits)
			}
		})
	}
}

// TestAcceptDeflateGeneralRules checks the rules of RFC 7692 section 7.1
// that hold for any accepted offer: a server_no_context_takeover offered
// is in the answer (7.1.1.1); client_max_window_bits appears in the answer
// only if offered (7.1.2.2), and with a value; window bits answered are at
// most those offered.
func TestAcceptDeflateGeneralRules(t *testing.T) {
	offers := []string{
		"permessage-deflate",
		"permessage-deflate; server_no_context_takeover",
		"permessage-deflate; client_max_window_bits",
		"permessage-deflate; client_max_window_bits=9",
		"permessage-deflate; server_max_window_bits=11; client_max_window_bits=10; server_no_context_takeover",
	}
	opts := []*CompressionOptions{
		{},
		{ServerMaxWindowBits: 12},
		{ClientMaxWindowBits: 12},
		{ServerNoContextTakeover: true, ClientNoContextTakeover: true},
		{ServerMaxWindowBits: 8, ClientMaxWindowBits: 8},
	}
	for i, o := range opts {
		for _, offer := range offers {
			t.Run(fmt.Sprintf("opts%d/%s", i, offer), func(t *testing.T) {
				res := acceptWith(t, o, offer)
				if res.status != http.StatusSwitchingProtocols {
					t.Fatalf("status %d", res.status)
				}
				if len(res.exts) == 0 {
					if !strings.Contains(offer, "client_max_window_bits") && o.ClientMaxWindowBits != 0 {
						return // the client cannot limit its window: declined
					}
					t.Fatalf("offer %q declined", offer)
				}
				off, _ := pmdElement(offer)
				ans, err := pmdElement(res.exts[0])
				if err != nil {
					t.Fatal(err)
				}
				if _, ok := off["server_no_context_takeover"]; ok {
					if _, ok := ans["server_no_context_takeover"]; !ok {
						t.Errorf("server_no_context_takeover offered, answer %q", res.exts[0])
					}
				}
				if v, ok := ans["client_max_window_bits"]; ok {
					ov, offered := off["client_max_window_bits"]
					if !offered {
						t.Errorf("client_max_window_bits answered but not offered: %q", res.exts[0])
					}
					if v == "" {
						t.Errorf("client_max_window_bits without a value in the answer %q", res.exts[0])
					}
					if ov != "" && atoi(v) > atoi(ov) {
						t.Errorf("client_max_window_bits=%s answered to %s", v, ov)
					}
				}
				if v, ok := ans["server_max_window_bits"]; ok {
					if ov, offered := off["server_max_window_bits"]; offered && atoi(v) > atoi(ov) {
						t.Errorf("server_max_window_bits=%s answered to %s", v, ov)
					}
				}
			})
		}
	}
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

// TestAcceptDeflateBadOptions checks that Accept refuses to run with
// compression options out of range, without upgrading the connection.
func TestAcceptDeflateBadOptions(t *testing.T) {
	for _, o := range []CompressionOptions{
		{Level: -1}, {Level: 10}, {ServerMaxWindowBits: 7}, {ServerMaxWindowBits: 16},
		{ClientMaxWindowBits: 7}, {ClientMaxWindowBits: 16}, {ServerMaxWindowBits: -1},
	} {
		t.Run(fmt.Sprintf("%+v", o), func(t *testing.T) {
			res := acceptWith(t, &o, "permessage-deflate; client_max_window_bits")
			if res.status == http.StatusSwitchingProtocols || res.err == nil {
				t.Fatalf("status %d, Accept: %v; want a refusal", res.status, res.err)
			}
		})
	}
}

// TestAcceptDeflateDirect exercises acceptDeflate on headers directly,
// including several field lines and no field at all.
func TestAcceptDeflateDirect(t *testing.T) {
	o := &CompressionOptions{}
	if _, ok := o.acceptDeflate(http.Header{}); ok {
		t.Error("accepted without an offer")
	}
	h := http.Header{}
	h.Add("Sec-WebSocket-Extensions", "x-foo")
	h.Add("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits=9")
	p, ok := o.acceptDeflate(h)
	if !ok || p.clientBits != 9 || p.serverBits != 15 || p.serverNoContext || p.clientNoContext {
		t.Errorf("got %+v, %v", p, ok)
	}
}

// ---------------------------------------------------------------------------
// The client's side.

// dialAnswered dials, with compression options o (nil: none), a raw server
// that answers with the given Sec-WebSocket-Extensions fields (joined by
// newlines; "" for none).
func dialAnswered(t testing.TB, o *CompressionOptions, answer string) (*Conn, []string, error) {
	t.Helper()
	c, _, offers, _, err := tryDialFromRaw(t, &DialOptions{Compression: o}, func([]string) string { return answer })
	return c, offers, err
}

// TestDialDeflateAnswers checks how the client takes the server's answer
// (RFC 7692 sections 5.2 and 7.1): answers it can honour set
// Conn.Extensions(); the others fail the handshake with a *HandshakeError.
func TestDialDeflateAnswers(t *testing.T) {
	pd := "permessage-deflate"
	def := &CompressionOptions{}
	type tc struct {
		name   string
		opts   *CompressionOptions
		answer string
		want   string // normParams of Extensions(); "-": no compression; "error": a HandshakeError
	}
	cases := []tc{
		{"declined", def, "", "-"},
		{"plain", def, pd, ""},
		{"server_no_context_takeover-unasked", def, pd + "; server_no_context_takeover", "server_no_context_takeover"},
		{"client_no_context_takeover-unasked", def, pd + "; client_no_context_takeover", "client_no_context_takeover"},
		{"all", def, pd + "; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=10",
			"client_max_window_bits=10; client_no_context_takeover; server_max_window_bits=9; server_no_context_takeover"},
		{"quoted", def, pd + `; server_max_window_bits="9"; client_max_window_bits="10"`, "client_max_window_bits=10; server_max_window_bits=9"},
		{"spaces", def, pd + " ;  server_max_window_bits = 9", "server_max_window_bits=9"},

		// Asked for and answered.
		{"server-no-context-asked", &CompressionOptions{ServerNoContextTakeover: true}, pd + "; server_no_context_takeover", "server_no_context_takeover"},
		{"server-no-context-asked-not-answered", &CompressionOptions{ServerNoContextTakeover: true}, pd, "error"},
		{"client-no-context-announced-not-answered", &CompressionOptions{ClientNoContextTakeover: true}, pd, "client_no_context_takeover"},
		{"server-bits-asked", &CompressionOptions{ServerMaxWindowBits: 10}, pd + "; server_max_window_bits=10", "server_max_window_bits=10"},
		{"server-bits-asked-smaller", &CompressionOptions{ServerMaxWindowBits: 10}, pd + "; server_max_window_bits=8", "server_max_window_bits=8"},
		{"server-bits-asked-larger", &CompressionOptions{ServerMaxWindowBits: 10}, pd + "; server_max_window_bits=11", "error"},
		{"server-bits-asked-missing", &CompressionOptions{ServerMaxWindowBits: 10}, pd, "error"},
		{"client-bits-offered", &CompressionOptions{ClientMaxWindowBits: 10}, pd + "; client_max_window_bits=10", "client_max_window_bits=10"},
		{"client-bits-offered-smaller", &CompressionOptions{ClientMaxWindowBits: 10}, pd + "; client_max_window_bits=9", "client_max_window_bits=9"},
		{"client-bits-offered-larger", &CompressionOptions{ClientMaxWindowBits: 10}, pd + "; client_max_window_bits=11", "error"},
		{"client-bits-offered-not-answered", &CompressionOptions{ClientMaxWindowBits: 10}, pd, "client_max_window_bits=10"},

		// Answers that break the rules.
		{"not-offered-extension", def, "x-foo", "error"},
		{"two-elements", def, pd + ", " + pd, "error"},
		{"two-fields", def, pd + "\n" + pd, "error"},
		{"deflate-and-other", def, pd + ", x-foo", "error"},
		{"other-and-deflate", def, "x-foo, " + pd, "error"},
		{"unknown-parameter", def, pd + "; foo", "error"},
		{"unknown-parameter-with-value", def, pd + "; foo=1", "error"},
		{"duplicate-server_no_context_takeover", def, pd + "; server_no_context_takeover; server_no_context_takeover", "error"},
		{"duplicate-server_max_window_bits", def, pd + "; server_max_window_bits=10; server_max_window_bits=10", "error"},
		{"duplicate-client_max_window_bits", def, pd + "; client_max_window_bits=10; client_max_window_bits=9", "error"},
		{"server_max_window_bits-without-value", def, pd + "; server_max_window_bits", "error"},
		{"server_max_window_bits=7", def, pd + "; server_max_window_bits=7", "error"},
		{"server_max_window_bits=16", def, pd + "; server_max_window_bits=16", "error"},
		{"server_max_window_bits=09", def, pd + "; server_max_window_bits=09", "error"},
		{"client_max_window_bits-without-value", def, pd + "; client_max_window_bits", "error"},
		{"client_max_window_bits=16", def, pd + "; client_max_window_bits=16", "error"},
		{"client_max_window_bits=7", def, pd + "; client_max_window_bits=7", "error"},
		{"server_no_context_takeover-with-value", def, pd + "; server_no_context_takeover=1", "error"},
		{"malformed-trailing-semicolon", def, pd + ";", "error"},
		{"malformed-quote", def, pd + `; server_max_window_bits="10`, "error"},
	}
	for bits := 8; bits <= 15; bits++ {
		w := fmt.Sprintf("server_max_window_bits=%d", bits)
		cw := fmt.Sprintf("client_max_window_bits=%d", bits)
		if bits == 15 {
			w, cw = "", ""
		}
		// RFC 7692 section 7.1.2.1: the server may limit its window unasked;
		// section 7.1.2.2: it may limit the client's, which always offers
		// client_max_window_bits.
		cases = append(cases,
			tc{"unasked-" + fmt.Sprintf("server_max_window_bits=%d", bits), def, fmt.Sprintf("%s; server_max_window_bits=%d", pd, bits), w},
			tc{"answered-" + fmt.Sprintf("client_max_window_bits=%d", bits), def, fmt.Sprintf("%s; client_max_window_bits=%d", pd, bits), cw})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			conn, _, err := dialAnswered(t, c.opts, c.answer)
			if c.want == "error" {
				var he *HandshakeError
				if !errors.As(err, &he) {
					t.Fatalf("answer %q: Dial returned %v, want a *HandshakeError", c.answer, err)
				}
				if conn != nil {
					t.Fatal("Dial returned a Conn with its error")
				}
				return
			}
			if err != nil {
				t.Fatalf("answer %q: %v", c.answer, err)
			}
			var exts []string
			if e := conn.Extensions(); e != "" {
				exts = []string{e}
			}
			if got := normParams(t, exts); got != sortParams(c.want) {
				t.Errorf("answer %q: Extensions() = %q, read as %q; want %q", c.answer, conn.Extensions(), got, sortParams(c.want))
			}
		})
	}
}

// TestDialWithoutCompressionRefusesExtension checks that a client that
// offered nothing fails the handshake when the server answers with an
// extension (RFC 6455 section 4.1).
func TestDialWithoutCompressionRefusesExtension(t *testing.T) {
	conn, offers, err := dialAnswered(t, nil, "permessage-deflate")
	if len(offers) != 0 {
		t.Errorf("the client offered %q without compression options", offers)
	}
	var he *HandshakeError
	if !errors.As(err, &he) || conn != nil {
		t.Fatalf("Dial returned %v, want a *HandshakeError", err)
	}
}

// TestDialDeflateOffer checks the offer the client sends for each option
// combination: the parameters asked for, and always client_max_window_bits
// (with the value when the client limits its window), which lets the
// server limit the client's window.
func TestDialDeflateOffer(t *testing.T) {
	cases := []struct {
		opts CompressionOptions
		want string // normParams, 15-bit values dropped
	}{
		{CompressionOptions{}, "client_max_window_bits"},
		{CompressionOptions{Level: 9, Threshold: 512}, "client_max_window_bits"},
		{CompressionOptions{ServerNoContextTakeover: true}, "client_max_window_bits; server_no_context_takeover"},
		{CompressionOptions{ClientNoContextTakeover: true}, "client_max_window_bits; client_no_context_takeover"},
		{CompressionOptions{ServerMaxWindowBits: 10}, "client_max_window_bits; server_max_window_bits=10"},
		{CompressionOptions{ServerMaxWindowBits: 8}, "client_max_window_bits; server_max_window_bits=8"},
		{CompressionOptions{ServerMaxWindowBits: 15}, "client_max_window_bits"},
		{CompressionOptions{ClientMaxWindowBits: 9}, "client_max_window_bits=9"},
		{CompressionOptions{ClientMaxWindowBits: 15}, "client_max_window_bits"},
		{CompressionOptions{ServerNoContextTakeover: true, ClientNoContextTakeover: true, ServerMaxWindowBits: 12, ClientMaxWindowBits: 11},
			"client_max_window_bits=11; client_no_context_takeover; server_max_window_bits=12; server_no_context_takeover"},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%+v", c.opts), func(t *testing.T) {
			o := c.opts
			conn, offers, err := dialAnswered(t, &o, "")
			if err != nil {
				t.Fatal(err)
			}
			if len(offers) != 1 {
				t.Fatalf("offers %q, want one field", offers)
			}
			m, err := pmdElement(offers[0])
			if err != nil {
				t.Fatalf("offer %q: %v", offers[0], err)
			}
			if _, ok := m["client_max_window_bits"]; !ok {
				t.Errorf("offer %q lacks client_max_window_bits", offers[0])
			}
			if got := normParams(t, offers); got != sortParams(c.want) {
				t.Errorf("offer %q read as %q, want %q", offers[0], got, sortParams(c.want))
			}
			if conn.Extensions() != "" {
				t.Errorf("Extensions() = %q after the server declined", conn.Extensions())
			}
		})
	}
	// Options out of range make Dial fail.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			nc.Close()
		}
	}()
	for _, o := range []CompressionOptions{{Level: 10}, {Level: -1}, {ServerMaxWindowBits: 7}, {ClientMaxWindowBits: 16}} {
		o := o
		_, _, err := Dial(context.Background(), "ws://"+ln.Addr().String()+"/", &DialOptions{Compression: &o})
		var he *HandshakeError
		if err == nil || errors.As(err, &he) || !strings.Contains(err.Error(), "between") {
			t.Errorf("options %+v: Dial returned %v, want an options error", o, err)
		}
	}
}
