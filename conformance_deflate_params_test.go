package websocket

// Conformance cases of category 13 (the runner is in conformance_test.go,
// what categories 12 and 13 share in conformance_deflate_test.go): the
// permessage-deflate parameters of RFC 7692 section 7.1 (no context
// takeover, window bits) in every combination Autobahn's 13.1 to 13.7 try,
// each reached by a few offers and answers.

import (
	"fmt"
)

// confZParam is a parameter combination of category 13: the parameters it
// must end with, and ways of negotiating them, taken in turn.
type confZParam struct {
	title string
	want  pmdParams
	negs  []confNegotiation
}

// confZParams are Autobahn's 13.1 to 13.7, with windows of 9 bits where
// Autobahn has 8 (zlib, which many peers use, cannot compress with 8).
var confZParams = []confZParam{
	{"13.1 default offer", pmdParams{serverBits: 15, clientBits: 15}, []confNegotiation{
		confDefaultNegotiation,
		{
			note:     "bare offer",
			dialNote: "default options; the server names the windows it uses (7.1.2.1, 7.1.2.2)",
			offer:    "permessage-deflate",
			answer:   "permessage-deflate; server_max_window_bits=15; client_max_window_bits=15",
		},
	}},
	{"13.2 no context takeover", pmdParams{serverNoContext: true, clientNoContext: true, serverBits: 15, clientBits: 15}, []confNegotiation{
		{
			note:     "both offered",
			dialNote: "both asked for, both accepted",
			offer:    "permessage-deflate; server_no_context_takeover; client_no_context_takeover; client_max_window_bits",
			dial:     CompressionOptions{ServerNoContextTakeover: true, ClientNoContextTakeover: true},
			answer:   "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
		},
		{
			note:     "server_no_context_takeover offered; our server, set to require it, adds client_no_context_takeover (7.1.1.2)",
			dialNote: "server_no_context_takeover asked for; the server adds client_no_context_takeover (7.1.1.2)",
			offer:    "permessage-deflate; server_no_context_takeover; client_max_window_bits",
			accept:   CompressionOptions{ClientNoContextTakeover: true},
			dial:     CompressionOptions{ServerNoContextTakeover: true},
			answer:   "permessage-deflate; client_no_context_takeover; server_no_context_takeover",
		},
		{
			note:     "client_no_context_takeover offered; our server, set to, adds server_no_context_takeover (7.1.1.1)",
			dialNote: "client_no_context_takeover announced and not answered; the server adds server_no_context_takeover unasked (7.1.1.1)",
			offer:    "permessage-deflate; client_no_context_takeover",
			accept:   CompressionOptions{ServerNoContextTakeover: true},
			dial:     CompressionOptions{ClientNoContextTakeover: true},
			answer:   "permessage-deflate; server_no_context_takeover",
		},
	}},
	{"13.3 windows of 9 bits", pmdParams{serverBits: 9, clientBits: 9}, []confNegotiation{
		{
			note:     "both windows offered",
			dialNote: "both windows asked for, both accepted",
			offer:    "permessage-deflate; server_max_window_bits=9; client_max_window_bits=9",
			dial:     CompressionOptions{ServerMaxWindowBits: 9, ClientMaxWindowBits: 9},
			answer:   "permessage-deflate; server_max_window_bits=9; client_max_window_bits=9",
		},
		{
			note:     "the server's window offered, the client's left open; our server, set to, limits it (7.1.2.2)",
			dialNote: "default options; the server limits both windows (7.1.2.1, 7.1.2.2)",
			offer:    "permessage-deflate; server_max_window_bits=9; client_max_window_bits",
			accept:   CompressionOptions{ClientMaxWindowBits: 9},
			answer:   "permessage-deflate; server_max_window_bits=9; client_max_window_bits=9",
		},
		{
			note:     "windows of 12 and 11 bits offered; our server, set to 9 bits, lowers both",
			dialNote: "windows of 12 and 11 bits asked for; the server lowers both to 9",
			offer:    "permessage-deflate; server_max_window_bits=12; client_max_window_bits=11",
			accept:   CompressionOptions{ServerMaxWindowBits: 9, ClientMaxWindowBits: 9},
			dial:     CompressionOptions{ServerMaxWindowBits: 12, ClientMaxWindowBits: 11},
			answer:   "permessage-deflate; server_max_window_bits=9; client_max_window_bits=9",
		},
	}},
	{"13.4 windows of 15 bits", pmdParams{serverBits: 15, clientBits: 15}, []confNegotiation{
		{
			note:     "both windows offered",
			dialNote: "both windows asked for, both accepted",
			offer:    "permessage-deflate; server_max_window_bits=15; client_max_window_bits=15",
			dial:     CompressionOptions{ServerMaxWindowBits: 15, ClientMaxWindowBits: 15},
			answer:   "permessage-deflate; server_max_window_bits=15; client_max_window_bits=15",
		},
		{
			note:     "the server's window offered",
			dialNote: "default options; the server names its window",
			offer:    "permessage-deflate; client_max_window_bits; server_max_window_bits=15",
			answer:   "permessage-deflate; server_max_window_bits=15",
		},
	}},
	{"13.5 no context takeover, windows of 9 bits", pmdParams{serverNoContext: true, clientNoContext: true, serverBits: 9, clientBits: 9}, []confNegotiation{
		{
			note:     "all offered",
			dialNote: "all asked for, all accepted",
			offer:    "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=9",
			dial:     CompressionOptions{ServerNoContextTakeover: true, ClientNoContextTakeover: true, ServerMaxWindowBits: 9, ClientMaxWindowBits: 9},
			answer:   "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=9",
		},
		{
			note:     "the server's parameters offered; our server, set to, imposes the client's",
			dialNote: "the server's parameters asked for; the server imposes the client's",
			offer:    "permessage-deflate; server_max_window_bits=9; server_no_context_takeover; client_max_window_bits",
			accept:   CompressionOptions{ClientNoContextTakeover: true, ClientMaxWindowBits: 9},
			dial:     CompressionOptions{ServerNoContextTakeover: true, ServerMaxWindowBits: 9},
			answer:   "permessage-deflate; client_max_window_bits=9; client_no_context_takeover; server_max_window_bits=9; server_no_context_takeover",
		},
		{
			note:     "default offer; our server, set to, imposes everything",
			dialNote: "default options; the server imposes everything",
			offer:    "permessage-deflate; client_max_window_bits",
			accept:   CompressionOptions{ServerNoContextTakeover: true, ClientNoContextTakeover: true, ServerMaxWindowBits: 9, ClientMaxWindowBits: 9},
			answer:   "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=9",
		},
	}},
	{"13.6 no context takeover, windows of 15 bits", pmdParams{serverNoContext: true, clientNoContext: true, serverBits: 15, clientBits: 15}, []confNegotiation{
		{
			note:     "all offered",
			dialNote: "all asked for, all accepted",
			offer:    "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=15; client_max_window_bits=15",
			dial:     CompressionOptions{ServerNoContextTakeover: true, ClientNoContextTakeover: true, ServerMaxWindowBits: 15, ClientMaxWindowBits: 15},
			answer:   "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=15; client_max_window_bits=15",
		},
		{
			note:     "client_no_context_takeover offered; our server, set to, adds server_no_context_takeover",
			dialNote: "server_no_context_takeover asked for; the server adds client_no_context_takeover",
			offer:    "permessage-deflate; client_no_context_takeover; server_max_window_bits=15; client_max_window_bits",
			accept:   CompressionOptions{ServerNoContextTakeover: true},
			dial:     CompressionOptions{ServerNoContextTakeover: true},
			answer:   "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
		},
	}},
	// Our client makes a single offer, so in its role the raw server plays
	// Autobahn's 13.7 server, which takes an offer of no context takeover
	// and a small window and asks the same of the client, its answer
	// spelled in the ways the grammar allows (RFC 6455 section 9.1, RFC 7692
	// section 7.1.2: quoted values, spaces, any order).
	{"13.7 list of offers, the first invalid or unacceptable", pmdParams{serverNoContext: true, clientNoContext: true, serverBits: 9, clientBits: 9}, []confNegotiation{
		{
			note:     "a window of 7 bits, then two valid offers",
			dialNote: "Autobahn's first offer of 13.7 (server_no_context_takeover, a server window of 9 bits): the server accepts it and asks the same of the client",
			offer:    "permessage-deflate; server_max_window_bits=7, permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=9, permessage-deflate",
			accepted: "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=9",
			dial:     CompressionOptions{ServerNoContextTakeover: true, ServerMaxWindowBits: 9},
			answer:   "permessage-deflate; server_no_context_takeover; server_max_window_bits=9; client_no_context_takeover; client_max_window_bits=9",
		},
		{
			note:     "an unknown parameter, then two valid offers, the first with quoted values",
			dialNote: "the same, answered with quoted values, spaces and the parameters in another order",
			offer:    `permessage-deflate; server_no_context_takeover; mystery_param, permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits="9"; client_max_window_bits="9", permessage-deflate`,
			accepted: `permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits="9"; client_max_window_bits="9"`,
			dial:     CompressionOptions{ServerNoContextTakeover: true, ServerMaxWindowBits: 9},
			answer:   `permessage-deflate;client_max_window_bits="9";server_max_window_bits = 9 ; client_no_context_takeover;server_no_context_takeover`,
		},
		{
			note:     "another extension, a window of 16 bits and a repeated parameter, then two valid offers",
			dialNote: "no context takeover both ways and a server window of 10 bits asked for: the server lowers it to 9 and limits the client's",
			offer:    "x-webkit-deflate-frame; no_context_takeover, permessage-deflate; client_max_window_bits=16, permessage-deflate; server_no_context_takeover; server_no_context_takeover, permessage-deflate; client_max_window_bits=9; server_max_window_bits=9; client_no_context_takeover; server_no_context_takeover, permessage-deflate; client_max_window_bits",
			accepted: "permessage-deflate; client_max_window_bits=9; server_max_window_bits=9; client_no_context_takeover; server_no_context_takeover",
			dial:     CompressionOptions{ServerNoContextTakeover: true, ServerMaxWindowBits: 10, ClientNoContextTakeover: true},
			answer:   "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=9",
		},
		{
			note:     "an offer our server, set to limit the client's window, cannot take (no client_max_window_bits), then two it can",
			dialNote: "no context takeover both ways and a server window of 9 bits asked for: the server limits the client's window",
			offer:    "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9, permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits, permessage-deflate; client_max_window_bits",
			accepted: "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits",
			accept:   CompressionOptions{ClientMaxWindowBits: 9},
			dial:     CompressionOptions{ServerNoContextTakeover: true, ClientNoContextTakeover: true, ServerMaxWindowBits: 9},
			answer:   "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=9",
		},
		{
			note:     "two header fields: a window without a value, then two valid offers",
			dialNote: "everything asked for, everything accepted",
			offer:    "permessage-deflate; server_max_window_bits\r\nSec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=9, permessage-deflate",
			accepted: "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=9",
			dial:     CompressionOptions{ServerNoContextTakeover: true, ClientNoContextTakeover: true, ServerMaxWindowBits: 9, ClientMaxWindowBits: 9},
			answer:   "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=9",
		},
	}},
}

func confDeflateParams(cs *[]confCase) {
	for i, p := range confZParams {
		c := newConfCat(cs, fmt.Sprintf("13.%d", 1+i))
		confZMatrix(c, p.title,
			// JSON-like text and binary with repetitions in turn: both have
			// repetitions at every distance, which the windows must cut.
			func(si, fi int) confZKind { return confZKinds[[]int{0, 4}[si%2]] },
			func(si, fi int) *confZ {
				return &confZ{
					neg:   p.negs[(si+fi)%len(p.negs)],
					want:  p.want,
					level: confZLevels[(si+2*fi)%len(confZLevels)],
				}
			})
	}
}
