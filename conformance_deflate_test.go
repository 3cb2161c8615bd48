package websocket

// Conformance cases of category 12 (the runner is in conformance_test.go),
// and what categories 12 and 13 share: permessage-deflate (RFC 7692)
// negotiated in the handshake, the raw peer's compressed messages, and the
// checks of our side's compressed echoes.

import (
	"bytes"
	"compress/flate"
	"fmt"
	"math/rand"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// ---------------------------------------------------------------------
// 12 and 13 permessage-deflate (RFC 7692)
//
// In these categories the opening handshake negotiates permessage-deflate:
// the raw peer offers it to our server and checks the response (RFC 7692
// section 7.1), or checks our client's offer and answers it. The raw peer
// then compresses its messages with its own encoder (deflate_test.go:
// compress/flate from the standard library for a 32 KiB window, the test's
// own tlz for a smaller one), one compressor for all the messages of a case
// when context takeover is in force, so that later messages refer back into
// earlier ones, and cuts the compressed payload into frames of a fixed size
// (Autobahn's auto-fragmentation; 0 sends each message in one frame), RSV1
// on the first.
//
// Our side echoes every message: through WriteMessage when the peer sent it
// in one frame, otherwise through NextWriter in Writes of the fragment size.
// The raw peer checks each echo: its type; RSV1 on its first frame and on no
// other (RFC 7692 section 6.1), RSV2 and RSV3 clear; that it is compressed
// (our side's Threshold is zero, so it compresses every message); and that
// the test's own inflater, tinflate, inflates it to the message sent, given
// only the history the negotiated parameters allow: none without context
// takeover, so that each message must inflate on its own (section 7.1.1),
// and the last 2^bits bytes of the earlier messages with it, the longest
// back-reference within that window (section 7.1.2).
//
// Category 12 sends kinds of payload (12.1 JSON-like text, 12.2 repetitive
// text, 12.3 random binary, 12.4 lorem-like text with non-ASCII words, 12.5
// binary with repetitions) under the default offer; category 13 the
// parameter combinations of Autobahn's 13.1 to 13.7 with JSON-like text and
// binary with repetitions in turn, each combination reached in a few ways
// (an offer as it stands, a server adding parameters or lowering windows,
// lists of offers), taken in turn from case to case. Each subcategory has
// every message size of confZSizes with every fragment size of confZFrags:
// cases n.m.1 to n.m.10 send whole messages of 16 bytes to 128 KiB, as
// Autobahn's first ten cases of each subcategory do, the next tens fragments
// of 64, 256, 1024 and 4096 bytes.
//
// To keep the run short (with -race) a case sends a few messages
// (confZCount), not Autobahn's thousand; the messages and the raw peer's
// compressed payloads, which depend only on the kind, the size and the
// parameters, are made once for all the cases that send them; and the
// echoes are inflated by tinflate alone (TestTinflate checks it against
// compress/flate).

var (
	confZSizes = []int{16, 64, 256, 1024, 4096, 8192, 16384, 32768, 65536, 131072}
	confZFrags = []int{0, 64, 256, 1024, 4096}
	// confZLevels are the raw peer's compress/flate levels, taken in turn
	// from case to case (a 32 KiB window only).
	confZLevels = []int{1, 6, flate.HuffmanOnly}
)

// confZCount is the number of messages of size bytes a case sends: several,
// so that each refers back into the ones before, and fewer as they grow.
func confZCount(size int) int { return min(6, max(2, 64<<10/size)) }

// confZKind is a kind of payload: gen returns count messages of size bytes.
type confZKind struct {
	name string
	op   Opcode
	gen  func(size, count int, seed int64) [][]byte
}

var confZKinds = []confZKind{
	{"JSON-like text", OpText, func(size, count int, seed int64) [][]byte {
		return confCut(jsonLike(size*count, seed), size) // one feed, cut into messages
	}},
	{"repetitive text", OpText, func(size, count int, seed int64) [][]byte {
		var msgs [][]byte
		for i := 0; i < count; i++ {
			msgs = append(msgs, confRepetitive(size, int(seed)+i))
		}
		return msgs
	}},
	{"random binary", OpBinary, func(size, count int, seed int64) [][]byte {
		// Every second message is a near copy of the one before, the only
		// repetition there is.
		var msgs [][]byte
		for i := 0; i < count; i++ {
			m := randomBytes(size, seed+int64(i))
			if i%2 == 1 {
				m = append([]byte(nil), msgs[i-1]...)
				m[0] ^= 0xff
				m[size/2] ^= 0x55
			}
			msgs = append(msgs, m)
		}
		return msgs
	}},
	{"lorem-like text", OpText, func(size, count int, seed int64) [][]byte {
		var msgs [][]byte
		for i := 0; i < count; i++ {
			msgs = append(msgs, confLorem(size, seed+int64(i)))
		}
		return msgs
	}},
	{"binary with repetitions", OpBinary, func(size, count int, seed int64) [][]byte {
		return confCut(mixedBinary(size*count, seed), size)
	}},
}

// confZCache keeps the messages confZMessages made and the payloads
// confZCompressed made, until TestConformance ends.
var confZCache struct {
	sync.Mutex
	m map[string][][]byte
}

// confZCompressed returns confZMessages(k, size, count) compressed in turn
// by one new encoder with the parameters of enc (which is left unused):
// the payloads depend on nothing else, so they too are made only once,
// saving half the raw peer's work.
func confZCompressed(t testing.TB, k confZKind, size, count int, enc *peerEncoder) [][]byte {
	level := enc.level
	if enc.bits < 15 {
		level = 0 // tlz has no levels
	}
	key := fmt.Sprintf("%s/%d/%d/compressed/%d/%v/%d", k.name, size, count, enc.bits, enc.noContext, level)
	confZCache.Lock()
	if ps, ok := confZCache.m[key]; ok {
		confZCache.Unlock()
		return ps
	}
	confZCache.Unlock()
	e := newPeerEncoder(enc.bits, enc.noContext, enc.level)
	var ps [][]byte
	for _, m := range confZMessages(k, size, count) {
		ps = append(ps, e.compress(t, m))
	}
	confZCache.Lock()
	confZCache.m[key] = ps
	confZCache.Unlock()
	return ps
}

// confZMessages returns count messages of size bytes of kind k: the same
// for every case that asks for the same, as Autobahn sends the same data in
// every case, so that they are made only once.
func confZMessages(k confZKind, size, count int) [][]byte {
	key := fmt.Sprintf("%s/%d/%d", k.name, size, count)
	confZCache.Lock()
	defer confZCache.Unlock()
	if msgs, ok := confZCache.m[key]; ok {
		return msgs
	}
	if confZCache.m == nil {
		confZCache.m = make(map[string][][]byte)
	}
	msgs := k.gen(size, count, int64(size))
	confZCache.m[key] = msgs
	return msgs
}

// confCut cuts b into pieces of size bytes.
func confCut(b []byte, size int) [][]byte {
	var msgs [][]byte
	for len(b) > 0 {
		msgs = append(msgs, b[:size:size])
		b = b[size:]
	}
	return msgs
}

// confRepetitive returns n bytes of one line over and over, numbered.
func confRepetitive(n, msg int) []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "All work and no play makes Jack a dull boy. (%d.%d)\n", msg, i)
	}
	return b.Bytes()[:n:n]
}

// confLorem returns n bytes of valid UTF-8 resembling prose: words drawn at
// random from a small vocabulary, some with letters of two to four bytes.
func confLorem(n int, seed int64) []byte {
	words := strings.Fields("lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor " +
		"incididunt ut labore et dolore magna aliqua café naïve Grüße façade señor Ελληνικά 日本語 €100 𝄞")
	rng := rand.New(rand.NewSource(seed))
	b := make([]byte, 0, n)
	for {
		w := words[rng.Intn(len(words))]
		if rng.Intn(10) == 0 {
			w += "."
		}
		if len(b)+len(w)+1 > n {
			return append(b, bytes.Repeat([]byte{'~'}, n-len(b))...) // never cuts a letter
		}
		b = append(append(b, w...), ' ')
	}
}

// confNegotiation is one way of negotiating permessage-deflate. When our
// side is the server, the raw client offers offer (the value of its
// Sec-WebSocket-Extensions field; a CRLF in it starts a second field) to our
// server set up with accept, which must accept the element accepted of it
// ("" for the whole offer). When our side is the client, it dials with dial
// and the raw server answers with answer. note and dialNote describe the
// two.
type confNegotiation struct {
	note     string
	dialNote string
	offer    string
	accepted string
	accept   CompressionOptions
	dial     CompressionOptions
	answer   string
}

// confZ is the permessage-deflate setup of a case: how it is negotiated,
// the parameters it must end with, and the raw peer's compress/flate level.
type confZ struct {
	neg   confNegotiation
	want  pmdParams
	level int
}

// start starts our side in role with permessage-deflate negotiated as cz
// says, running loop (an echo when nil), and checks the negotiation: when
// our side is the server, that its response accepts the right offer as RFC
// 7692 allows and gives the parameters wanted; when it is the client, that
// its offer asks for what its options say, and that the raw server's
// answer is a valid one. The response, and both sides' own reading of it,
// must then mean the parameters wanted (an offer of
// client_no_context_takeover binds the client whether or not the response
// repeats it). The raw peer's codec follows them.
func (cz *confZ) start(t *testing.T, role string, loop func(*Conn) error) *zpeer {
	t.Helper()
	n := cz.neg
	var z *zpeer
	var offer string // the offer element accepted
	if role == "server" {
		accept := n.accept
		z = makeZPeer(t, role, zcfg{server: &accept, offer: n.offer, loop: loop})
		t.Logf("%s: offer %q to our server with %s: response %q", n.note, n.offer, confOptions(n.accept), z.ext)
		if z.ext == "" {
			t.Fatalf("our server declined permessage-deflate, offered as %q", n.offer)
		}
		offer = n.accepted
		if offer == "" {
			offer = n.offer
		}
		if err := confCheckAnswer(offer, z.ext); err != nil {
			t.Fatalf("our server's response %q to the offer %q: %v", z.ext, offer, err)
		}
	} else {
		dial := n.dial
		var offers []string
		z = makeZPeer(t, role, zcfg{client: &dial, loop: loop, answer: func(o []string) string {
			offers = o
			return n.answer
		}})
		t.Logf("%s: our client with %s: offer %q, response %q", n.dialNote, confOptions(n.dial), offers, n.answer)
		offer = strings.Join(offers, ", ")
		if err := confCheckOffer(offer, n.dial); err != nil {
			t.Fatalf("our client's offer %q with %s: %v", offers, confOptions(n.dial), err)
		}
		if err := confCheckAnswer(offer, n.answer); err != nil {
			t.Fatalf("the test's answer %q to the offer %q: %v", n.answer, offer, err)
		}
	}
	// A client that offers client_no_context_takeover tells the server it
	// will not use context takeover, whether or not the response names it
	// (section 7.1.1.2).
	o, _ := pmdElement(offer)
	_, hint := o["client_no_context_takeover"]
	meaning := func(p pmdParams) pmdParams {
		p.clientNoContext = p.clientNoContext || hint
		return p
	}
	if got := meaning(z.params); got != cz.want {
		if role == "server" {
			t.Fatalf("our server's response %q to %q means %+v, want %+v", z.ext, offer, got, cz.want)
		}
		t.Fatalf("the test's answer %q to %q means %+v, want %+v", n.answer, offer, got, cz.want)
	}
	ours, err := parsePMD(z.conn.Extensions())
	if err != nil || meaning(ours) != cz.want {
		t.Fatalf("our %s reports %q as negotiated (%+v, %v), want %+v", role, z.conn.Extensions(), ours, err, cz.want)
	}
	level := cz.level
	if level == 0 {
		level = 6
	}
	w := cz.want
	if role == "server" {
		z.enc = newPeerEncoder(w.clientBits, w.clientNoContext, level)
		z.dec = &peerDecoder{bits: w.serverBits, noContext: w.serverNoContext}
	} else {
		z.enc = newPeerEncoder(w.serverBits, w.serverNoContext, level)
		z.dec = &peerDecoder{bits: w.clientBits, noContext: w.clientNoContext}
	}
	return z
}

// confOptions describes compression options by those set.
func confOptions(o CompressionOptions) string {
	var s []string
	if o.ServerNoContextTakeover {
		s = append(s, "ServerNoContextTakeover")
	}
	if o.ClientNoContextTakeover {
		s = append(s, "ClientNoContextTakeover")
	}
	if o.ServerMaxWindowBits != 0 {
		s = append(s, fmt.Sprintf("ServerMaxWindowBits %d", o.ServerMaxWindowBits))
	}
	if o.ClientMaxWindowBits != 0 {
		s = append(s, fmt.Sprintf("ClientMaxWindowBits %d", o.ClientMaxWindowBits))
	}
	if len(s) == 0 {
		return "default options"
	}
	return strings.Join(s, ", ")
}

// confCheckAnswer checks that resp, a Sec-WebSocket-Extensions response,
// validly accepts offer, a single permessage-deflate offer (RFC 7692
// section 7.1): parameters known, each once, no_context_takeover ones
// without a value, window bits from 8 to 15; server_no_context_takeover and
// server_max_window_bits, if offered, accepted, the latter with the value
// offered or a smaller one; client_max_window_bits only if offered.
func confCheckAnswer(offer, resp string) error {
	o, err := pmdElement(offer)
	if err != nil {
		return fmt.Errorf("offer: %v", err)
	}
	r, err := pmdElement(resp)
	if err != nil {
		return err
	}
	for name, v := range r {
		switch name {
		case "server_no_context_takeover", "client_no_context_takeover":
			if v != "" {
				return fmt.Errorf("%s has a value (7.1.1)", name)
			}
		case "server_max_window_bits", "client_max_window_bits":
			bits, err := strconv.Atoi(v)
			if err != nil || bits < 8 || bits > 15 || strconv.Itoa(bits) != v {
				return fmt.Errorf("%s=%q is not from 8 to 15 (7.1.2)", name, v)
			}
			ov, offered := o[name]
			switch {
			case name == "client_max_window_bits" && !offered:
				return fmt.Errorf("client_max_window_bits answered, not offered (7.1.2.2)")
			case name == "server_max_window_bits" && offered && ov != "" && bits > atoiOr(ov, 15):
				return fmt.Errorf("server_max_window_bits=%d, more than the %s offered (7.1.2.1)", bits, ov)
			}
		default:
			return fmt.Errorf("unknown parameter %q (7.1)", name)
		}
	}
	for _, name := range []string{"server_no_context_takeover", "server_max_window_bits"} {
		if _, offered := o[name]; offered {
			if _, answered := r[name]; !answered {
				return fmt.Errorf("%s offered and not in the response (7.1.1.1, 7.1.2.1)", name)
			}
		}
	}
	return nil
}

func atoiOr(s string, def int) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return def
	}
	return n
}

// confCheckOffer checks our client's offer against its options: one
// permessage-deflate element, with server_no_context_takeover and
// client_no_context_takeover when asked for, server_max_window_bits and a
// client_max_window_bits value when the options limit the window (15, no
// limit, may be named or not), and client_max_window_bits in any case, which
// our client always announces so that a server may limit its window.
func confCheckOffer(offer string, o CompressionOptions) error {
	m, err := pmdElement(offer)
	if err != nil {
		return err
	}
	want := map[string]string{"client_max_window_bits": ""}
	if o.ServerNoContextTakeover {
		want["server_no_context_takeover"] = ""
	}
	if o.ClientNoContextTakeover {
		want["client_no_context_takeover"] = ""
	}
	if b := o.ServerMaxWindowBits; b != 0 && (b < 15 || m["server_max_window_bits"] == "15") {
		want["server_max_window_bits"] = strconv.Itoa(b)
	}
	if b := o.ClientMaxWindowBits; b != 0 && (b < 15 || m["client_max_window_bits"] == "15") {
		want["client_max_window_bits"] = strconv.Itoa(b)
	}
	if len(m) != len(want) {
		return fmt.Errorf("parameters %q, want %q", m, want)
	}
	for name, v := range want {
		if got, ok := m[name]; !ok || got != v {
			return fmt.Errorf("parameters %q, want %q", m, want)
		}
	}
	return nil
}

// confZEchoLoop is our side's echo for messages the raw peer sends in
// fragments of frag bytes: WriteMessage for whole ones, NextWriter in Writes
// of frag bytes otherwise.
func confZEchoLoop(frag int) func(*Conn) error {
	if frag == 0 {
		return nil
	}
	return confStreamEcho(confCycle(frag))
}

// confZEcho is confZEchoLoop's writing, for the events role.
func confZEcho(frag int) func(c *Conn, typ MessageType, msg []byte) error {
	if frag == 0 {
		return nil
	}
	return confStreamWrite(confCycle(frag))
}

func confFragDesc(frag int) string {
	if frag == 0 {
		return "each in one frame"
	}
	return fmt.Sprintf("in frames of %d bytes", frag)
}

// zEcho sends each of msgs as a message of type op, compressed (payloads,
// from the raw peer's encoder) and cut into frames of frag bytes of
// compressed payload (one frame when 0), checks its echo as the section's
// comment says, and closes.
func (x *confScript) zEcho(op Opcode, msgs, payloads [][]byte, frag int) {
	x.t.Helper()
	in := &confInflater{bits: x.z.dec.bits, noContext: x.z.dec.noContext}
	for i, msg := range msgs {
		p := payloads[i]
		x.write(x.z.messageBytes(op, true, p, frag))
		x.zExpect(in, op, msg, fmt.Sprintf("message %d of %d (%d bytes, %d compressed)", i+1, len(msgs), len(msg), len(p)))
	}
	x.t.Logf("longest back-reference in our side's messages: %d bytes, in a window of %d", in.maxDist, 1<<in.bits)
	x.bye()
}

// confInflater inflates our side's messages with tinflate (which
// TestTinflate checks against compress/flate), given only the history the
// negotiated parameters allow, and keeps track of the longest back-reference.
type confInflater struct {
	bits      int
	noContext bool
	hist      []byte // the end of the earlier messages, with context takeover
	maxDist   int
}

func (in *confInflater) inflate(payload []byte) ([]byte, error) {
	data := append(append([]byte(nil), payload...), pmdTail...)
	var dict []byte
	if !in.noContext {
		dict = in.hist[max(0, len(in.hist)-1<<in.bits):]
	}
	res, err := tinflate(data, dict)
	if err != nil {
		return nil, err
	}
	if res.maxDist > 1<<in.bits {
		return nil, fmt.Errorf("a back-reference reaches %d bytes back, beyond the window of %d", res.maxDist, 1<<in.bits)
	}
	in.maxDist = max(in.maxDist, res.maxDist)
	if !in.noContext {
		in.hist = append(in.hist, res.out...)
		if len(in.hist) > 64<<10 {
			in.hist = append(in.hist[:0], in.hist[len(in.hist)-32<<10:]...)
		}
	}
	return res.out, nil
}

// zExpect reads the echo of msg, a message of type op, and checks it,
// inflating it with in.
func (x *confScript) zExpect(in *confInflater, op Opcode, msg []byte, what string) {
	x.t.Helper()
	var raw []byte
	for frames := 0; ; frames++ {
		h, p, err := x.p.readFrame()
		if err != nil {
			x.t.Fatalf("%s: reading frame %d of the echo: %v", what, frames, err)
		}
		wantOp := op
		if frames > 0 {
			wantOp = OpContinuation
		}
		switch {
		case h.Opcode != wantOp:
			x.t.Fatalf("%s: got %s as frame %d of the echo, want a %v frame", what, confDescribe(h, p), frames, wantOp)
		case h.Rsv2 || h.Rsv3:
			x.t.Fatalf("%s: frame %d of the echo has RSV2 or RSV3 set (RFC 6455 5.2)", what, frames)
		case frames == 0 && !h.Rsv1:
			x.t.Fatalf("%s: the echo is not compressed (RSV1 clear), though our side compresses every message", what)
		case frames > 0 && h.Rsv1:
			x.t.Fatalf("%s: RSV1 set on frame %d of the echo, a continuation frame (RFC 7692 6.1)", what, frames)
		}
		raw = append(raw, p...)
		if h.Fin {
			break
		}
	}
	got, err := in.inflate(raw)
	if err != nil {
		x.t.Fatalf("%s: the echo (%d compressed bytes) does not inflate under the negotiated parameters (window %d bytes, context takeover %v): %v",
			what, len(raw), 1<<in.bits, !in.noContext, err)
	}
	if !bytes.Equal(got, msg) {
		x.t.Fatalf("%s: the echo inflates to %d bytes (%s), want %d (%s): they differ from byte %d",
			what, len(got), confShow(got), len(msg), confShow(msg), confDiffAt(got, msg))
	}
}

// confDefaultNegotiation is the default offer of a browser (and of our
// client), and a server's plain acceptance.
var confDefaultNegotiation = confNegotiation{
	note:     "default offer",
	dialNote: "default options; the server accepts plainly",
	offer:    "permessage-deflate; client_max_window_bits",
	answer:   "permessage-deflate",
}

// confZMatrix adds to c a case per fragment size and message size, in that
// order, each with the setup z returns and sending the messages kind
// returns.
func confZMatrix(c *confCat, title string, kind func(si, fi int) confZKind, z func(si, fi int) *confZ) {
	for fi, frag := range confZFrags {
		for si, size := range confZSizes {
			k, cz, count := kind(si, fi), z(si, fi), confZCount(size)
			c.addCase(confCase{
				desc: fmt.Sprintf("%s: %d messages of %s of %s, compressed, %s: echoed intact, compressed within the negotiated parameters",
					title, count, confSize(size), k.name, confFragDesc(frag)),
				z:    cz,
				loop: confZEchoLoop(frag),
				echo: confZEcho(frag),
				run: func(x *confScript) {
					msgs := confZMessages(k, size, count)
					x.zEcho(k.op, msgs, confZCompressed(x.t, k, size, count, x.z.enc), frag)
				},
			})
		}
	}
}

func confDeflatePayloads(cs *[]confCase) {
	for i, k := range confZKinds {
		c := newConfCat(cs, fmt.Sprintf("12.%d", 1+i))
		confZMatrix(c, "default offer",
			func(si, fi int) confZKind { return k },
			func(si, fi int) *confZ {
				return &confZ{
					neg:   confDefaultNegotiation,
					want:  pmdParams{serverBits: 15, clientBits: 15},
					level: confZLevels[(si+2*fi)%len(confZLevels)],
				}
			})
	}
}
