package websocket

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// This file negotiates permessage-deflate (RFC 7692 section 7) in the
// Sec-WebSocket-Extensions headers of the opening handshake.

// CompressionOptions turns on permessage-deflate (RFC 7692) for Accept or
// Dial and sets its parameters. The parameters name the side they apply to,
// as the RFC does: the server's compressor and the client's compressor are
// configured separately, whichever side this is.
//
// Context takeover lets a compressor refer back to earlier messages, which
// compresses streams of similar messages much better but makes the
// connection keep its compressor's state (about 120 KiB at level 1) and the
// decompressor's window (up to 32 KiB) between messages. Without it,
// compressors and decompressors are borrowed from pools for each message.
type CompressionOptions struct {
	// Level is the DEFLATE level for this side's compressor, from 1
	// (fastest) to 9 (smallest output). Zero means 1. Level 1, and every
	// level with a window under 15 bits, uses the package's own encoder;
	// levels 2 to 9 use compress/flate's, which takes 2.6 to 18 times as long
	// for a little smaller output and, with context takeover, holds about
	// 790 KiB per connection.
	Level int

	// Threshold is the size below which messages written whole are sent
	// uncompressed. The zero value compresses every message.
	Threshold int

	// ServerNoContextTakeover makes the server compress each message on its
	// own. A server sets it in its answer; a client asks for it and fails
	// the handshake if the server does not agree.
	ServerNoContextTakeover bool

	// ClientNoContextTakeover makes the client compress each message on its
	// own. A client announces it; a server requires it of the client.
	ClientNoContextTakeover bool

	// ServerMaxWindowBits limits the server compressor's window to
	// 2^ServerMaxWindowBits bytes, 8 to 15. Zero means 15 (32 KiB).
	ServerMaxWindowBits int

	// ClientMaxWindowBits limits the client compressor's window to
	// 2^ClientMaxWindowBits bytes, 8 to 15. Zero means 15. A server declines
	// compression with a client that cannot limit its window.
	ClientMaxWindowBits int
}

const deflateName = "permessage-deflate"

// check reports options out of range.
func (o *CompressionOptions) check() error {
	if o.Level < 0 || o.Level > 9 {
		return fmt.Errorf("websocket: compression level %d is not between 1 and 9", o.Level)
	}
	for _, b := range []int{o.ServerMaxWindowBits, o.ClientMaxWindowBits} {
		if b != 0 && (b < 8 || b > 15) {
			return fmt.Errorf("websocket: window bits %d are not between 8 and 15", b)
		}
	}
	return nil
}

func windowBits(b int) int {
	if b == 0 {
		return 15
	}
	return b
}

// deflateParams are the negotiated parameters of permessage-deflate.
type deflateParams struct {
	serverNoContext bool
	clientNoContext bool
	serverBits      int  // the server compressor's window bits, 8 to 15
	clientBits      int  // the client compressor's window bits, 8 to 15
	serverBitsAsked bool // the offer named server_max_window_bits, so the answer must too
}

// String formats p as a Sec-WebSocket-Extensions value.
func (p deflateParams) String() string {
	s := deflateName
	if p.serverNoContext {
		s += "; server_no_context_takeover"
	}
	if p.clientNoContext {
		s += "; client_no_context_takeover"
	}
	if p.serverBits < 15 || p.serverBitsAsked {
		s += "; server_max_window_bits=" + strconv.Itoa(p.serverBits)
	}
	if p.clientBits < 15 {
		s += "; client_max_window_bits=" + strconv.Itoa(p.clientBits)
	}
	return s
}

// deflateOffer holds the parameters of one permessage-deflate element.
type deflateOffer struct {
	serverNoContext bool
	clientNoContext bool
	serverBits      int  // 0 when absent
	clientBits      int  // 0 when absent or without a value
	clientBitsSent  bool // client_max_window_bits is present
}

// acceptDeflate chooses, on the server, the first permessage-deflate offer
// it can honour (RFC 7692 section 5.1). Offers that are malformed, or that
// the options cannot honour, are declined; declining them all leaves the
// connection uncompressed.
func (o *CompressionOptions) acceptDeflate(h http.Header) (deflateParams, bool) {
	exts, err := parseExtensions(h.Values("Sec-WebSocket-Extensions"))
	if err != nil {
		return deflateParams{}, false
	}
	for _, e := range exts {
		if e.name != deflateName {
			continue
		}
		offer, err := parseDeflateParams(e.params, true)
		if err != nil {
			continue
		}
		p := deflateParams{
			serverNoContext: offer.serverNoContext || o.ServerNoContextTakeover,
			clientNoContext: offer.clientNoContext || o.ClientNoContextTakeover,
			serverBits:      windowBits(o.ServerMaxWindowBits),
			clientBits:      windowBits(o.ClientMaxWindowBits),
		}
		if offer.serverBits != 0 {
			p.serverBits = min(p.serverBits, offer.serverBits)
			p.serverBitsAsked = true // section 7.1.2.1: accepted by answering it
		}
		switch {
		case offer.clientBits != 0:
			p.clientBits = min(p.clientBits, offer.clientBits)
		case !offer.clientBitsSent && p.clientBits < 15:
			continue // the client cannot limit its window as required
		}
		return p, true
	}
	return deflateParams{}, false
}

// offer formats the client's permessage-deflate offer. It always carries
// client_max_window_bits, telling the server it may limit the client's
// window.
func (o *CompressionOptions) offer() string {
	s := deflateName
	if o.ServerNoContextTakeover {
		s += "; server_no_context_takeover"
	}
	if o.ClientNoContextTakeover {
		s += "; client_no_context_takeover"
	}
	if o.ServerMaxWindowBits != 0 && o.ServerMaxWindowBits < 15 {
		s += "; server_max_window_bits=" + strconv.Itoa(o.ServerMaxWindowBits)
	}
	s += "; client_max_window_bits"
	if o.ClientMaxWindowBits != 0 && o.ClientMaxWindowBits < 15 {
		s += "=" + strconv.Itoa(o.ClientMaxWindowBits)
	}
	return s
}

// checkDeflateResponse checks, on the client, the server's answer to the
// offer made from o (RFC 7692 section 5.2), and returns the parameters in
// force. enabled is false when the server declined compression.
func (o *CompressionOptions) checkDeflateResponse(h http.Header) (p deflateParams, enabled bool, err error) {
	exts, err := parseExtensions(h.Values("Sec-WebSocket-Extensions"))
	if err != nil {
		return p, false, err
	}
	if len(exts) == 0 {
		return p, false, nil
	}
	if len(exts) > 1 || exts[0].name != deflateName {
		return p, false, fmt.Errorf("server selected extensions %q, beyond the permessage-deflate offered", h.Values("Sec-WebSocket-Extensions"))
	}
	resp, err := parseDeflateParams(exts[0].params, false)
	if err != nil {
		return p, false, err
	}
	p = deflateParams{
		serverNoContext: resp.serverNoContext,
		clientNoContext: resp.clientNoContext || o.ClientNoContextTakeover,
		serverBits:      15,
		clientBits:      windowBits(o.ClientMaxWindowBits),
	}
	if o.ServerNoContextTakeover && !resp.serverNoContext {
		return p, false, errors.New("server did not accept server_no_context_takeover")
	}
	offeredServerBits := windowBits(o.ServerMaxWindowBits)
	switch {
	case resp.serverBits > offeredServerBits:
		return p, false, fmt.Errorf("server_max_window_bits=%d exceeds the %d offered", resp.serverBits, offeredServerBits)
	case resp.serverBits != 0:
		p.serverBits = resp.serverBits
	case offeredServerBits < 15:
		return p, false, errors.New("server did not accept server_max_window_bits")
	}
	if resp.clientBitsSent {
		if resp.clientBits == 0 {
			return p, false, errors.New("client_max_window_bits without a value in the response")
		}
		if resp.clientBits > p.clientBits {
			return p, false, fmt.Errorf("client_max_window_bits=%d exceeds the %d offered", resp.clientBits, p.clientBits)
		}
		p.clientBits = resp.clientBits
	}
	return p, true, nil
}

// parseDeflateParams checks the parameters of a permessage-deflate element:
// known names, each at most once, values where they belong (RFC 7692
// section 7.1). offer says whether they come from a client's offer, where
// client_max_window_bits may go without a value.
func parseDeflateParams(params []extParam, offer bool) (deflateOffer, error) {
	var d deflateOffer
	seen := make(map[string]bool, len(params))
	for _, p := range params {
		if seen[p.name] {
			return d, fmt.Errorf("permessage-deflate parameter %s repeated", p.name)
		}
		seen[p.name] = true
		switch p.name {
		case "server_no_context_takeover", "client_no_context_takeover":
			if p.hasValue {
				return d, fmt.Errorf("permessage-deflate parameter %s with a value", p.name)
			}
			if p.name == "server_no_context_takeover" {
				d.serverNoContext = true
			} else {
				d.clientNoContext = true
			}
		case "server_max_window_bits":
			bits, ok := parseWindowBits(p.value)
			if !p.hasValue || !ok {
				return d, fmt.Errorf("permessage-deflate parameter server_max_window_bits=%q", p.value)
			}
			d.serverBits = bits
		case "client_max_window_bits":
			d.clientBitsSent = true
			if !p.hasValue {
				if !offer {
					return d, errors.New("permessage-deflate parameter client_max_window_bits needs a value")
				}
				continue
			}
			bits, ok := parseWindowBits(p.value)
			if !ok {
				return d, fmt.Errorf("permessage-deflate parameter client_max_window_bits=%q", p.value)
			}
			d.clientBits = bits
		default:
			return d, fmt.Errorf("unknown permessage-deflate parameter %q", p.name)
		}
	}
	return d, nil
}

// parseWindowBits parses a window size: a decimal from 8 to 15 without
// leading zeros.
func parseWindowBits(s string) (int, bool) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 8 || n > 15 || strconv.Itoa(n) != s {
		return 0, false
	}
	return n, true
}

// An extension is one element of a Sec-WebSocket-Extensions header.
type extension struct {
	name   string
	params []extParam
}

type extParam struct {
	name, value string
	hasValue    bool
}

// parseExtensions parses Sec-WebSocket-Extensions values with the grammar
// of RFC 6455 section 9.1: a comma-separated list of tokens, each followed
// by parameters "; name" or "; name=value", the value a token or a quoted
// string.
func parseExtensions(values []string) ([]extension, error) {
	var exts []extension
	for _, v := range values {
		s := v
		for {
			s = skipSpace(s)
			if s == "" {
				break
			}
			if s[0] == ',' {
				s = s[1:]
				continue
			}
			var e extension
			e.name, s = cutToken(s)
			if e.name == "" {
				return nil, fmt.Errorf("malformed Sec-WebSocket-Extensions %q", v)
			}
			for {
				s = skipSpace(s)
				if s == "" || s[0] == ',' {
					break
				}
				if s[0] != ';' {
					return nil, fmt.Errorf("malformed Sec-WebSocket-Extensions %q", v)
				}
				var p extParam
				p.name, s = cutToken(skipSpace(s[1:]))
				if p.name == "" {
					return nil, fmt.Errorf("malformed Sec-WebSocket-Extensions %q", v)
				}
				s = skipSpace(s)
				if s != "" && s[0] == '=' {
					p.hasValue = true
					s = skipSpace(s[1:])
					var ok bool
					if s != "" && s[0] == '"' {
						p.value, s, ok = cutQuoted(s)
					} else {
						p.value, s = cutToken(s)
						ok = p.value != ""
					}
					if !ok {
						return nil, fmt.Errorf("malformed Sec-WebSocket-Extensions %q", v)
					}
				}
				e.params = append(e.params, p)
			}
			exts = append(exts, e)
		}
	}
	return exts, nil
}

func skipSpace(s string) string { return strings.TrimLeft(s, " \t") }

// cutToken splits off the HTTP token at the start of s.
func cutToken(s string) (token, rest string) {
	i := 0
	for i < len(s) && isToken(s[i:i+1]) {
		i++
	}
	return s[:i], s[i:]
}

// cutQuoted splits off the quoted string at the start of s, unescaped.
func cutQuoted(s string) (value, rest string, ok bool) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			return b.String(), s[i+1:], true
		case '\\':
			i++
			if i == len(s) {
				return "", "", false
			}
			b.WriteByte(s[i])
		default:
			b.WriteByte(c)
		}
	}
	return "", "", false
}
