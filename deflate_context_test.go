package websocket

import (
	"bytes"
	"compress/flate"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// ---------------------------------------------------------------------------
// Context takeover (RFC 7692 sections 7.1.1 and 7.2.2).

// noContextCfgs returns, for our side in role, configurations that leave
// context takeover in force in both directions, or turn it off for one
// direction ("peer": the raw peer's messages; "ours": our side's), either
// by the client's offer or by the server's answer.
func noContextCfgs(role, dir string) map[string]zcfg {
	if dir == "" {
		return map[string]zcfg{"context": defaultZ}
	}
	// Whose compressor loses its context: the raw peer's, or ours.
	peerIsClient := role == "server"
	clientSide := (dir == "peer") == peerIsClient
	param := "server_no_context_takeover"
	if clientSide {
		param = "client_no_context_takeover"
	}
	byOffer := zcfg{server: &CompressionOptions{}, client: &CompressionOptions{}}
	byAnswer := zcfg{server: &CompressionOptions{}, client: &CompressionOptions{}}
	if clientSide {
		byOffer.client = &CompressionOptions{ClientNoContextTakeover: true}
		byAnswer.server = &CompressionOptions{ClientNoContextTakeover: true}
	} else {
		byOffer.client = &CompressionOptions{ServerNoContextTakeover: true}
		byAnswer.server = &CompressionOptions{ServerNoContextTakeover: true}
	}
	return map[string]zcfg{param + "-offered": byOffer, param + "-answered": byAnswer}
}

// TestDeflateReceiveContext checks the raw peer's direction. With context
// takeover the peer compresses every message with the same compress/flate
// writer, so each repetition of a text is mostly back-references into the
// earlier messages, which our side must keep to inflate them. With no
// context takeover negotiated for the peer, it starts a new writer for each
// message.
func TestDeflateReceiveContext(t *testing.T) {
	for _, dir := range []string{"", "peer"} {
		for _, role := range zroles {
			for name, cfg := range noContextCfgs(role, dir) {
				t.Run(role+"/"+name, func(t *testing.T) {
					z := makeZPeer(t, role, cfg)
					wantNoContext := dir == "peer"
					if z.enc.noContext != wantNoContext {
						t.Fatalf("negotiated %q: the peer's no-context is %v, want %v", z.ext, z.enc.noContext, wantNoContext)
					}
					text := jsonLike(6000, 1)
					var sizes []int
					for i := 0; i < 5; i++ {
						msg := text
						if i == 3 {
							msg = jsonLike(3000, 2) // something else in between
						}
						p := z.enc.compress(t, msg)
						sizes = append(sizes, len(p))
						z.write(z.messageBytes(OpText, true, p, 0))
						z.expectMessage(OpText, true, msg)
					}
					// Make sure the test tests what it means to: with context
					// the repetitions were tiny.
					if !wantNoContext && sizes[1] > sizes[0]/10 {
						t.Fatalf("compressed sizes %v: the peer's repetitions do not use the context", sizes)
					}
					if wantNoContext && sizes[1] < sizes[0]*9/10 {
						t.Fatalf("compressed sizes %v: the peer's repetitions use the context", sizes)
					}
				})
			}
		}
	}
}

// TestDeflateSendContext checks our side's direction. With context
// takeover a repeated message is much smaller than the first, and inflates
// only with the history of the previous messages. With no context takeover
// negotiated for our side, each message must inflate on its own with a
// fresh decoder: the honest check that our compressor is reset.
func TestDeflateSendContext(t *testing.T) {
	ctx := context.Background()
	for _, dir := range []string{"", "ours"} {
		for _, role := range zroles {
			for name, cfg := range noContextCfgs(role, dir) {
				t.Run(role+"/"+name, func(t *testing.T) {
					z := makeZPeer(t, role, writerZ(cfg, make(chan []byte, 1)))
					wantNoContext := dir == "ours"
					if z.dec.noContext != wantNoContext {
						t.Fatalf("negotiated %q: our no-context is %v, want %v", z.ext, z.dec.noContext, wantNoContext)
					}
					text := jsonLike(6000, 1)
					var sizes []int
					for i := 0; i < 5; i++ {
						msg := text
						if i == 3 {
							msg = jsonLike(3000, 2)
						}
						// Half the time through NextWriter in pieces.
						if i%2 == 0 {
							if err := z.conn.WriteMessage(ctx, MessageText, msg); err != nil {
								t.Fatal(err)
							}
						} else {
							w, err := z.conn.NextWriter(ctx, MessageText)
							if err != nil {
								t.Fatal(err)
							}
							w.Write(msg[:100])
							w.Write(msg[100:])
							if err := w.Close(); err != nil {
								t.Fatal(err)
							}
						}
						hist := append([]byte(nil), z.dec.dict()...)
						m := z.readMessage()
						raw := m.raw
						if !m.compressed || !bytes.Equal(m.payload, msg) {
							t.Fatalf("message %d: compressed %v, %s", i, m.compressed, abbrev(m.payload))
						}
						sizes = append(sizes, m.wire)
						if !wantNoContext && i > 0 && len(hist) > 0 {
							// Without the history the repetition does not inflate.
							data := append(raw, pmdTail...)
							out, err := io.ReadAll(flate.NewReader(bytes.NewReader(data)))
							if (err == nil || err == io.ErrUnexpectedEOF) && bytes.Equal(out, msg) && i != 3 {
								t.Errorf("message %d inflates without the history: context not used", i)
							}
						}
					}
					if !wantNoContext && sizes[1] > sizes[0]/10 {
						t.Errorf("compressed sizes %v: repetitions do not use the context", sizes)
					}
					if wantNoContext && sizes[2] < sizes[0]*9/10 {
						t.Errorf("compressed sizes %v: repetitions shrink without context takeover", sizes)
					}
				})
			}
		}
	}
}

// ---------------------------------------------------------------------------
// Window sizes (RFC 7692 section 7.1.2).

// windowMessages returns messages for a window of w bytes, with
// repetitions at distances inside it, exactly at it, and beyond it, within
// a message and across messages.
func windowMessages(w int, seed int64) [][]byte {
	r := randomBytes(2*w, seed)
	s := randomBytes(w/2, seed+1)
	u := randomBytes(w, seed+2)
	v := randomBytes(w-3, seed+3)
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	text := jsonLike(4*w, seed+4)
	return [][]byte{
		cat(r, r),                   // the repetition 2w back: beyond
		cat(s, s),                   // w/2 back: inside
		cat(u, u),                   // exactly w back
		cat(v, []byte("abc"), v),    // exactly w back again
		r,                           // last seen more than w ago
		s,                           // likewise
		u[:w/4],                     // just over w back, across messages
		u[:w/4],                     // w/4 back, across messages
		text,                        // repetitions at every distance
		text[:w],                    // starts 3w after its last occurrence
		cat(text[:100], text[:100]), // close repetitions
		[]byte("hello hello hello hello"),
		[]byte("hello hello hello hello"),
	}
}

// TestDeflateSendWindow checks that our compressor honours the window size
// negotiated for it, 8 to 15 bits (sections 7.1.2.1 and 7.1.2.2): no
// back-reference in what it sends reaches further than 2^bits bytes, and
// every message inflates with a history cut to 2^bits bytes. tinflate
// reports the distances; compress/flate checks the output with the cut
// history. Context takeover is on, so references reach across messages.
func TestDeflateSendWindow(t *testing.T) {
	ctx := context.Background()
	for bits := 8; bits <= 15; bits++ {
		for _, role := range zroles {
			t.Run(fmt.Sprintf("%d/%s", bits, role), func(t *testing.T) {
				cfg := zcfg{server: &CompressionOptions{}}
				if role == "server" {
					cfg.offer = fmt.Sprintf("permessage-deflate; server_max_window_bits=%d; client_max_window_bits", bits)
				} else {
					cfg.client = &CompressionOptions{}
					cfg.answer = func([]string) string {
						return fmt.Sprintf("permessage-deflate; client_max_window_bits=%d", bits)
					}
				}
				z := makeZPeer(t, role, writerZ(cfg, make(chan []byte, 1)))
				if z.dec.bits != bits || z.dec.noContext {
					t.Fatalf("negotiated %q", z.ext)
				}
				maxDist := 0
				for i, msg := range windowMessages(1<<bits, int64(bits)) {
					if err := z.conn.WriteMessage(ctx, MessageBinary, msg); err != nil {
						t.Fatal(err)
					}
					m := z.readMessage() // fails on a distance beyond the window
					if !m.compressed || !bytes.Equal(m.payload, msg) {
						t.Fatalf("message %d: compressed %v, %d bytes, want %d", i, m.compressed, len(m.payload), len(msg))
					}
					res, _ := tinflate(append(append([]byte(nil), m.raw...), pmdTail...), make([]byte, 32<<10))
					maxDist = max(maxDist, res.maxDist)
				}
				if maxDist < 1<<bits/2 {
					t.Errorf("longest back-reference %d bytes: the test did not exercise the %d-byte window", maxDist, 1<<bits)
				}
				t.Logf("window %d: longest back-reference %d", 1<<bits, maxDist)
			})
		}
	}
}

// TestDeflateReceiveWindow checks the other direction: the raw peer
// compresses with a window of 2^bits bytes and refers back as far as it
// allows, across messages, and our side must have kept that much history.
func TestDeflateReceiveWindow(t *testing.T) {
	for bits := 8; bits <= 15; bits++ {
		for _, role := range zroles {
			t.Run(fmt.Sprintf("%d/%s", bits, role), func(t *testing.T) {
				cfg := zcfg{server: &CompressionOptions{}}
				if role == "server" {
					cfg.offer = fmt.Sprintf("permessage-deflate; client_max_window_bits=%d", bits)
				} else {
					cfg.client = &CompressionOptions{}
					cfg.answer = func([]string) string {
						return fmt.Sprintf("permessage-deflate; server_max_window_bits=%d", bits)
					}
				}
				z := makeZPeer(t, role, cfg)
				if z.enc.bits != bits || z.enc.noContext {
					t.Fatalf("negotiated %q", z.ext)
				}
				// tlz keeps its references within the window; the window
				// test of the encoder (TestTestEncoder) shows it uses all of it.
				z.enc.lz = &tlz{window: 1 << bits}
				for i, msg := range windowMessages(1<<bits, int64(bits)) {
					p := z.enc.lz.compress(msg)
					res, err := tinflate(append(append([]byte(nil), p...), pmdTail...), make([]byte, 64<<10))
					if err != nil || res.maxDist > 1<<bits {
						t.Fatalf("test encoder: %v, distance %d", err, res.maxDist)
					}
					z.write(z.messageBytes(OpBinary, true, p, 0))
					m := z.readMessage()
					if !bytes.Equal(m.payload, msg) {
						t.Fatalf("message %d (%d bytes, longest reference %d): echoed %d bytes", i, len(msg), res.maxDist, len(m.payload))
					}
				}
			})
		}
	}
}

// ---------------------------------------------------------------------------
// Round trips.

// compressionCases are the parameter combinations of Autobahn's 13.x
// categories, each applied to both the server's and the client's options.
var compressionCases = []struct {
	name           string
	server, client CompressionOptions
}{
	{"default", CompressionOptions{}, CompressionOptions{}},
	{"client-no-context", CompressionOptions{}, CompressionOptions{ClientNoContextTakeover: true}},
	{"server-no-context", CompressionOptions{ServerNoContextTakeover: true}, CompressionOptions{}},
	{"both-no-context", CompressionOptions{}, CompressionOptions{ServerNoContextTakeover: true, ClientNoContextTakeover: true}},
	{"window-9", CompressionOptions{}, CompressionOptions{ServerMaxWindowBits: 9, ClientMaxWindowBits: 9}},
	{"window-15", CompressionOptions{}, CompressionOptions{ServerMaxWindowBits: 15, ClientMaxWindowBits: 15}},
	{"window-8-server-limits-client", CompressionOptions{ClientMaxWindowBits: 8, ServerMaxWindowBits: 8}, CompressionOptions{}},
	{"window-9-no-context", CompressionOptions{}, CompressionOptions{ServerMaxWindowBits: 9, ClientMaxWindowBits: 9, ServerNoContextTakeover: true, ClientNoContextTakeover: true}},
	{"level-9", CompressionOptions{Level: 9}, CompressionOptions{Level: 9}},
}

// TestCompressionEcho runs our client against our server under each
// parameter combination, with messages of 0 bytes to 1 MiB.
func TestCompressionEcho(t *testing.T) {
	for _, tc := range compressionCases {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				opts := tc.server
				c, err := Accept(w, r, &AcceptOptions{Compression: &opts})
				if err != nil {
					return
				}
				defer c.CloseNow()
				echoServe(c)
			}))
			defer srv.Close()
			ctx := context.Background()
			copts := tc.client
			c, _, err := Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), &DialOptions{Compression: &copts})
			if err != nil {
				t.Fatal(err)
			}
			defer c.CloseNow()
			if !strings.HasPrefix(c.Extensions(), "permessage-deflate") {
				t.Fatalf("extensions %q", c.Extensions())
			}
			t.Log(c.Extensions())
			var buf []byte
			for i, n := range []int{0, 1, 16, 64, 1000, 4096, 16 << 10, 64 << 10, 128 << 10, 1 << 20} {
				msg := jsonLike(n, int64(i))
				for _, typ := range []MessageType{MessageText, MessageBinary} {
					if err := c.WriteMessage(ctx, typ, msg); err != nil {
						t.Fatal(err)
					}
					gotTyp, got, err := c.ReadMessage(ctx, buf)
					if err != nil {
						t.Fatalf("%d bytes: %v", n, err)
					}
					if gotTyp != typ || !bytes.Equal(got, msg) {
						t.Fatalf("%d bytes: got %v %d bytes", n, gotTyp, len(got))
					}
					buf = got
				}
			}
			if err := c.Close(StatusNormalClosure, ""); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestDeflateEchoMatrix mirrors Autobahn's categories 12 and 13 against
// the raw peer: messages of 16 bytes to 128 KiB, compressed by the peer and
// sent whole or in fragments of 64 to 4096 bytes, under every parameter
// combination of compressionCases and in both roles, come back intact; the
// peer inflates the echoes, checking the window and the context.
func TestDeflateEchoMatrix(t *testing.T) {
	sizes := []int{16, 64, 256, 1024, 4096, 16 << 10, 64 << 10, 128 << 10}
	frags := []int{0, 64, 256, 1024, 4096}
	levels := []int{1, 6, 9, flate.HuffmanOnly}
	for _, tc := range compressionCases {
		for _, role := range zroles {
			t.Run(tc.name+"/"+role, func(t *testing.T) {
				server, client := tc.server, tc.client
				z := makeZPeer(t, role, zcfg{server: &server, client: &client, level: levels[len(tc.name)%len(levels)]})
				if z.ext == "" {
					t.Fatal("permessage-deflate not negotiated")
				}
				i := 0
				for _, size := range sizes {
					for _, frag := range frags {
						i++
						op, msg := OpText, jsonLike(size, int64(i))
						if i%2 == 0 {
							op, msg = OpBinary, mixedBinary(size, int64(i))
						}
						z.sendCompressed(op, msg, frag)
						z.expectMessage(op, true, msg)
					}
				}
			})
		}
	}
}
