package websocket

// FuzzExtensionHeader: Sec-WebSocket-Extensions values and the
// permessage-deflate parameters (RFC 6455 section 9.1, RFC 7692 section
// 7.1), on the server's side and the client's, against the reference
// parser fzRefParseExtensions, written from RFC 6455 section 9.1 and RFC
// 7230; and its seeds.

import (
	"cmp"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// fzExt is an element of a Sec-WebSocket-Extensions list.
type fzExt struct {
	name   string
	params []fzExtParam
}

type fzExtParam struct {
	name, value string
	hasValue    bool
}

func fzIsTchar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// fzValidFieldValue reports whether net/http can deliver v as a header
// value: no control characters but HTAB (RFC 7230 section 3.2).
func fzValidFieldValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// fzRefParseExtensions parses Sec-WebSocket-Extensions values by the
// grammar of RFC 6455 section 9.1:
//
//	extension-list  = 1#extension
//	extension       = extension-token *( ";" extension-param )
//	extension-param = token [ "=" (token | quoted-string) ]
//
// with optional white space (SP, HTAB) around the delimiters, the list rule
// of RFC 7230 section 7 (empty elements are ignored, and a value may hold
// none) and its quoted-string (section 3.2.6). Section 9.1 also wants a
// quoted value to be a token once unescaped; that is left to whoever reads
// the parameter. ok is false when a value is malformed.
func fzRefParseExtensions(values []string) (exts []fzExt, ok bool) {
	for _, v := range values {
		pos := 0
		peek := func() byte {
			if pos < len(v) {
				return v[pos]
			}
			return 0
		}
		ows := func() {
			for peek() == ' ' || peek() == '\t' {
				pos++
			}
		}
		token := func() string {
			start := pos
			for pos < len(v) && fzIsTchar(v[pos]) {
				pos++
			}
			return v[start:pos]
		}
		quoted := func() (string, bool) {
			pos++ // the opening quote
			var b strings.Builder
			for pos < len(v) {
				c := v[pos]
				pos++
				switch {
				case c == '"':
					return b.String(), true
				case c == '\\':
					// quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
					if pos == len(v) || v[pos] != '\t' && v[pos] < ' ' || v[pos] == 0x7f {
						return "", false
					}
					b.WriteByte(v[pos])
					pos++
				case c == '\t', c >= ' ' && c != 0x7f: // qdtext
					b.WriteByte(c)
				default:
					return "", false
				}
			}
			return "", false
		}
		for {
			ows()
			if pos == len(v) {
				break
			}
			if peek() == ',' {
				pos++
				continue
			}
			e := fzExt{name: token()}
			if e.name == "" {
				return nil, false
			}
			for ows(); peek() == ';'; ows() {
				pos++
				ows()
				p := fzExtParam{name: token()}
				if p.name == "" {
					return nil, false
				}
				ows()
				if peek() == '=' {
					pos++
					ows()
					p.hasValue = true
					if peek() == '"' {
						var ok bool
						if p.value, ok = quoted(); !ok {
							return nil, false
						}
					} else if p.value = token(); p.value == "" {
						return nil, false
					}
				}
				e.params = append(e.params, p)
			}
			if pos < len(v) && peek() != ',' {
				return nil, false
			}
			exts = append(exts, e)
		}
	}
	return exts, true
}

// fzDeflateElement is a permessage-deflate element's parameters, checked
// by RFC 7692 section 7.1. Window bits are 0 when absent.
type fzDeflateElement struct {
	serverNoContext, clientNoContext bool
	serverBits, clientBits           int
	clientBitsSent                   bool
}

// fzRefDeflateElement checks e's parameters as an offer (offer) or a
// response: only the four of section 7.1, each at most once; the two
// no_context_takeover ones without a value; window bits a decimal from 8
// to 15 without leading zeros (7.1.2.1, 7.1.2.2), required but for
// client_max_window_bits in an offer.
func fzRefDeflateElement(e fzExt, offer bool) (d fzDeflateElement, ok bool) {
	if e.name != "permessage-deflate" {
		return d, false
	}
	bitsValue := func(p fzExtParam) int {
		if len(p.value) == 1 && (p.value[0] == '8' || p.value[0] == '9') {
			return int(p.value[0] - '0')
		}
		if len(p.value) == 2 && p.value[0] == '1' && p.value[1] >= '0' && p.value[1] <= '5' {
			return 10 + int(p.value[1]-'0')
		}
		return 0
	}
	seen := map[string]bool{}
	for _, p := range e.params {
		if seen[p.name] {
			return d, false
		}
		seen[p.name] = true
		switch p.name {
		case "server_no_context_takeover":
			d.serverNoContext = true
			if p.hasValue {
				return d, false
			}
		case "client_no_context_takeover":
			d.clientNoContext = true
			if p.hasValue {
				return d, false
			}
		case "server_max_window_bits":
			if d.serverBits = bitsValue(p); d.serverBits == 0 {
				return d, false
			}
		case "client_max_window_bits":
			d.clientBitsSent = true
			if !p.hasValue && offer {
				continue
			}
			if d.clientBits = bitsValue(p); d.clientBits == 0 {
				return d, false
			}
		default:
			return d, false
		}
	}
	return d, true
}

// fzCompressionOptions returns the options opt selects: 1
// ServerNoContextTakeover, 2 ClientNoContextTakeover, bits 2-5 and 6-9
// ServerMaxWindowBits and ClientMaxWindowBits (below 8: 0), bits 10-13 the
// level (modulo 10).
func fzCompressionOptions(opt uint16) *CompressionOptions {
	bits := func(v uint16) int {
		if v < 8 {
			return 0
		}
		return int(v)
	}
	return &CompressionOptions{
		ServerNoContextTakeover: opt&1 != 0,
		ClientNoContextTakeover: opt&2 != 0,
		ServerMaxWindowBits:     bits(opt >> 2 & 15),
		ClientMaxWindowBits:     bits(opt >> 6 & 15),
		Level:                   int(opt>>10&15) % 10,
	}
}

// FuzzExtensionHeader gives Sec-WebSocket-Extensions values (raw split at
// newlines) to the server's acceptDeflate and to the client's
// checkDeflateResponse, with the options opt selects, and checks them
// against fzRefParseExtensions and RFC 7692 section 7.1:
//
//   - a malformed header is declined by the server and fails the client;
//   - the server accepts the first permessage-deflate offer with valid
//     parameters that its options can serve (only a client that cannot
//     limit its window cannot be served, when ClientMaxWindowBits asks
//     for less than 15), and its answer honours both the offer and the
//     options; the answer re-parses to the same parameters and the client
//     whose options make an equivalent offer accepts it;
//   - the client's offer parses as a valid offer of its options;
//   - the client accepts exactly the valid responses to that offer, and
//     takes the parameters they say.
func FuzzExtensionHeader(f *testing.F) {
	f.Fuzz(func(t *testing.T, raw string, opt uint16) {
		values := strings.Split(raw, "\n")
		h := http.Header{"Sec-Websocket-Extensions": values}
		o := fzCompressionOptions(opt)
		if err := o.check(); err != nil {
			t.Fatalf("fzCompressionOptions(%#x): %v", opt, err)
		}
		deliverable := true
		for _, v := range values {
			deliverable = deliverable && fzValidFieldValue(v)
		}
		exts, wellFormed := fzRefParseExtensions(values)
		if !deliverable {
			wellFormed = false // net/http refuses such values; only check that nothing panics
		}

		// The server.
		p, accepted := o.acceptDeflate(h)
		if deliverable {
			offerAt := -1
			var offer fzDeflateElement
			if wellFormed {
				for i, e := range exts {
					d, ok := fzRefDeflateElement(e, true)
					if ok && (o.ClientMaxWindowBits == 0 || o.ClientMaxWindowBits == 15 || d.clientBitsSent) {
						offerAt, offer = i, d
						break
					}
				}
			}
			if accepted != (offerAt >= 0) {
				t.Fatalf("acceptDeflate(%q) with %+v = %+v, %v; the reference says well-formed %v, acceptable offer %d", values, *o, p, accepted, wellFormed, offerAt)
			}
			if accepted {
				fzCheckDeflateAnswer(t, values, o, offer, p)
			}
		}

		// The client's offer.
		offerExts, ok := fzRefParseExtensions([]string{o.offer()})
		if !ok || len(offerExts) != 1 {
			t.Fatalf("offer() = %q, not one extension", o.offer())
		}
		myOffer, ok := fzRefDeflateElement(offerExts[0], true)
		want := fzDeflateElement{
			serverNoContext: o.ServerNoContextTakeover,
			clientNoContext: o.ClientNoContextTakeover,
			clientBitsSent:  true,
		}
		if o.ServerMaxWindowBits < 15 {
			want.serverBits = o.ServerMaxWindowBits
		}
		if o.ClientMaxWindowBits < 15 {
			want.clientBits = o.ClientMaxWindowBits
		}
		if !ok || myOffer != want {
			t.Fatalf("offer() = %q with %+v: %+v, %v; want %+v", o.offer(), *o, myOffer, ok, want)
		}

		// The client, reading values as the server's answer.
		cp, enabled, err := o.checkDeflateResponse(h)
		if enabled && err != nil {
			t.Fatalf("checkDeflateResponse(%q) returned enabled and the error %v", values, err)
		}
		if !deliverable {
			return
		}
		wantEnabled, wantErr := false, !wellFormed
		var wantP deflateParams
		switch {
		case !wellFormed, len(exts) == 0:
		case len(exts) > 1:
			wantErr = true // more than the one extension offered
		default:
			d, ok := fzRefDeflateElement(exts[0], false)
			switch {
			case !ok:
				wantErr = true
			case myOffer.serverNoContext && !d.serverNoContext:
				wantErr = true // 7.1.1.1: must be in the answer
			case myOffer.serverBits != 0 && d.serverBits == 0:
				wantErr = true // 7.1.2.1: must be in the answer
			case myOffer.serverBits != 0 && d.serverBits > myOffer.serverBits:
				wantErr = true
			case myOffer.clientBits != 0 && d.clientBits > myOffer.clientBits:
				wantErr = true // 7.1.2.2
			default:
				wantEnabled = true
				wantP = deflateParams{
					serverNoContext: d.serverNoContext,
					clientNoContext: d.clientNoContext || o.ClientNoContextTakeover,
					serverBits:      cmp.Or(d.serverBits, 15),
					clientBits:      cmp.Or(d.clientBits, myOffer.clientBits, 15),
				}
			}
		}
		if enabled != wantEnabled || (err != nil) != wantErr {
			t.Fatalf("checkDeflateResponse(%q) with %+v = %+v, %v, %v; want enabled %v, an error %v", values, *o, cp, enabled, err, wantEnabled, wantErr)
		}
		if enabled && cp != wantP {
			t.Fatalf("checkDeflateResponse(%q) with %+v = %+v, want %+v", values, *o, cp, wantP)
		}
	})
}

// fzCheckDeflateAnswer checks the parameters p with which the server
// options o accepted the offer d (from the values offered): the answer
// honours the offer (RFC 7692 section 7.1) and the options, formats as a
// response that parses back to p, and a client offering the same accepts
// it with the same parameters.
func fzCheckDeflateAnswer(t *testing.T, offered []string, o *CompressionOptions, d fzDeflateElement, p deflateParams) {
	t.Helper()
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("acceptDeflate(%q) with %+v answered %q (%+v): %s", offered, *o, p.String(), p, fmt.Sprintf(format, args...))
	}
	switch {
	case p.serverBits < 8 || p.serverBits > 15 || p.clientBits < 8 || p.clientBits > 15:
		fail("window bits out of range")
	case d.serverNoContext && !p.serverNoContext, o.ServerNoContextTakeover && !p.serverNoContext:
		fail("server_no_context_takeover missing")
	case o.ClientNoContextTakeover && !p.clientNoContext:
		fail("client_no_context_takeover missing")
	case d.serverBits != 0 && p.serverBits > d.serverBits:
		fail("server_max_window_bits above the %d offered", d.serverBits)
	case !d.clientBitsSent && p.clientBits != 15:
		fail("client_max_window_bits, which was not offered")
	case d.clientBits != 0 && p.clientBits > d.clientBits:
		fail("client_max_window_bits above the %d offered", d.clientBits)
	case p.serverBits != min(windowBits(o.ServerMaxWindowBits), cmp.Or(d.serverBits, 15)):
		fail("server window of %d bits, want the largest the offer and options allow", p.serverBits)
	case p.clientBits != min(windowBits(o.ClientMaxWindowBits), cmp.Or(d.clientBits, 15)):
		fail("client window of %d bits, want the largest the offer and options allow", p.clientBits)
	}

	// The answer as the reference parses it.
	answer := p.String()
	exts, ok := fzRefParseExtensions([]string{answer})
	if !ok || len(exts) != 1 {
		fail("not one extension")
	}
	r, ok := fzRefDeflateElement(exts[0], false)
	want := fzDeflateElement{serverNoContext: p.serverNoContext, clientNoContext: p.clientNoContext}
	if p.serverBits < 15 || d.serverBits != 0 {
		want.serverBits = p.serverBits // 7.1.2.1: answered when offered
	}
	if p.clientBits < 15 {
		want.clientBits, want.clientBitsSent = p.clientBits, true
	}
	if !ok || r != want {
		fail("the answer parses as %+v (valid %v), want %+v", r, ok, want)
	}
	// And as the package parses it.
	pe, err := parseExtensions([]string{answer})
	if err != nil || len(pe) != 1 || pe[0].name != deflateName {
		fail("parseExtensions: %+v, %v", pe, err)
	}
	po, err := parseDeflateParams(pe[0].params, false)
	if err != nil || po.serverNoContext != p.serverNoContext || po.clientNoContext != p.clientNoContext ||
		cmp.Or(po.serverBits, 15) != p.serverBits || cmp.Or(po.clientBits, 15) != p.clientBits {
		fail("parseDeflateParams: %+v, %v", po, err)
	}

	// A client offering the same accepts it. (The package's client always
	// sends client_max_window_bits; without it in the offer, the answer
	// leaves the client's window alone all the same.)
	co := &CompressionOptions{
		ServerNoContextTakeover: d.serverNoContext,
		ClientNoContextTakeover: d.clientNoContext,
		ServerMaxWindowBits:     d.serverBits,
		ClientMaxWindowBits:     d.clientBits,
	}
	cp, enabled, err := co.checkDeflateResponse(http.Header{"Sec-Websocket-Extensions": {answer}})
	wantP := p
	wantP.serverBitsAsked = false
	if err != nil || !enabled || cp != wantP {
		fail("a client offering %q gets %+v, %v, %v; want %+v", co.offer(), cp, enabled, err, wantP)
	}
}

func fzExtensionHeaderSeeds() []fzSeed {
	// opt bits (fzCompressionOptions).
	const (
		serverNoContext = 1
		clientNoContext = 2
	)
	serverBits := func(b int) uint16 { return uint16(b) << 2 }
	clientBits := func(b int) uint16 { return uint16(b) << 6 }
	var seeds []fzSeed
	add := func(name, raw string, opt uint16) {
		seeds = append(seeds, fzSeed{name: name, args: []any{raw, opt}})
	}
	// Offers as browsers send them, and as RFC 7692 section 5 and 7 show.
	add("chrome", "permessage-deflate; client_max_window_bits", 0)
	add("firefox", "permessage-deflate", 0)
	add("bare", "permessage-deflate", clientBits(10))
	add("rfc-fallback", "permessage-deflate; client_max_window_bits; server_max_window_bits=10, permessage-deflate; client_max_window_bits", 0)
	add("rfc-fallback-small-server-window", "permessage-deflate; server_max_window_bits=10, permessage-deflate", serverBits(9))
	add("all-parameters", "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=8", 0)
	add("all-options", "permessage-deflate; client_max_window_bits", serverNoContext|clientNoContext|serverBits(12)|clientBits(11))
	add("client-bits-required", "permessage-deflate, permessage-deflate; client_max_window_bits=12", clientBits(9))
	add("client-bits-15", "permessage-deflate; client_max_window_bits=15; server_max_window_bits=15", clientBits(15)|serverBits(15))
	add("quoted-values", `permessage-deflate; server_max_window_bits="10"; client_max_window_bits="1\2"`, 0)
	add("spaces-and-tabs", " permessage-deflate \t;\tclient_max_window_bits = 10 ,  ", 0)
	add("other-extensions", "x-webkit-deflate-frame, foo; bar=baz; q=\"a, b; c\", permessage-deflate; client_max_window_bits", 0)
	add("two-lines", "foo\npermessage-deflate; client_no_context_takeover", 0)
	add("empty-elements", ", ,permessage-deflate,,", 0)
	add("empty", "", 0)
	add("only-commas", " , ", serverNoContext)
	// Offers to decline.
	add("unknown-parameter", "permessage-deflate; foo", 0)
	add("repeated-parameter", "permessage-deflate; server_no_context_takeover; server_no_context_takeover", 0)
	add("no-context-with-value", "permessage-deflate; client_no_context_takeover=1", 0)
	add("server-bits-no-value", "permessage-deflate; server_max_window_bits", 0)
	add("bits-7", "permessage-deflate; server_max_window_bits=7", 0)
	add("bits-16", "permessage-deflate; client_max_window_bits=16", 0)
	add("bits-leading-zero", "permessage-deflate; server_max_window_bits=010", 0)
	add("bits-plus", "permessage-deflate; server_max_window_bits=+9", 0)
	add("bits-empty-quoted", `permessage-deflate; client_max_window_bits=""`, 0)
	add("name-case", "Permessage-Deflate", 0)
	// Malformed lists: declined whole.
	add("trailing-semicolon", "permessage-deflate;", 0)
	add("missing-value", "permessage-deflate; server_max_window_bits=", 0)
	add("unterminated-quote", `permessage-deflate; server_max_window_bits="10`, 0)
	add("escape-at-end", `permessage-deflate; x="\`, 0)
	add("junk-after-token", "permessage-deflate x", 0)
	add("malformed-other-extension", "permessage-deflate, foo;=1", 0)
	add("non-token-byte", "permessage-deflate, f\xc3\xb6o", 0)
	add("quoted-obs-text", "foo; bar=\"\xc3\xb6\", permessage-deflate", 0)
	add("control-character", "permessage-deflate; x=\"\x01\"", 0)
	// Responses, read by the client with the options given.
	add("response-chrome", "permessage-deflate; server_no_context_takeover; client_max_window_bits=15", serverNoContext)
	add("response-server-bits", "permessage-deflate; server_max_window_bits=10", serverBits(12))
	add("response-server-bits-missing", "permessage-deflate", serverBits(12))
	add("response-server-bits-above-offer", "permessage-deflate; server_max_window_bits=13", serverBits(12))
	add("response-client-bits-above-offer", "permessage-deflate; client_max_window_bits=12", clientBits(11))
	add("response-client-bits-no-value", "permessage-deflate; client_max_window_bits", clientBits(12))
	add("response-two-extensions", "permessage-deflate, permessage-deflate", 0)
	add("response-other-extension", "x-webkit-deflate-frame", 0)
	return seeds
}
