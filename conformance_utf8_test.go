package websocket

// Conformance cases of category 6 (the runner is in conformance_test.go):
// text messages that are valid or invalid UTF-8 (RFC 6455 sections 5.6 and
// 8.1), Markus Kuhn's samples among them, whole and in fragments cut inside
// code points; an invalid one fails the connection with 1007 at the first
// invalid byte, not at the end of the message.

import (
	"bytes"
	"fmt"
	"time"
	"unicode/utf8"
)

// ---------------------------------------------------------------------
// 6 UTF-8

// confUTF8Vector is one test string for the UTF-8 validator.
type confUTF8Vector struct {
	valid bool
	b     []byte
}

// confForm encodes the number cp in n bytes with the bit layout of UTF-8,
// whether or not that is valid UTF-8: overlong forms, surrogates, numbers
// above U+10FFFF and 5- and 6-byte forms included.
func confForm(cp uint32, n int) []byte {
	if n == 1 {
		return []byte{byte(cp)}
	}
	b := make([]byte, n)
	for i := n - 1; i > 0; i-- {
		b[i] = 0x80 | byte(cp&0x3f)
		cp >>= 6
	}
	b[0] = byte(0xff<<(8-n)) | byte(cp)
	return b
}

// confKuhn returns the groups of the UTF-8 decoder stress test of Markus
// Kuhn, as the Autobahn testsuite orders them in cases 6.5 to 6.23, with
// vectors computed here.
func confKuhn() []struct {
	title   string
	vectors []confUTF8Vector
} {
	type group = struct {
		title   string
		vectors []confUTF8Vector
	}
	v := func(valid bool, b ...[]byte) confUTF8Vector {
		return confUTF8Vector{valid, bytes.Join(b, nil)}
	}
	s := func(str string) []byte { return []byte(str) }
	var gs []group
	add := func(title string, vs ...confUTF8Vector) { gs = append(gs, group{title, vs}) }

	kosme := s(confKosme)
	add("valid UTF-8 text",
		v(true, s("hello$world")), v(true, s("hello¢world")), v(true, s("hello€world")),
		v(true, s("hello\U00024B62world")), v(true, kosme))
	var prefixes []confUTF8Vector
	for i := 1; i <= len(kosme); i++ {
		// The code points of κόσμε end after bytes 2, 5, 7, 9 and 11.
		complete := i == 2 || i == 5 || i == 7 || i == 9 || i == 11
		prefixes = append(prefixes, v(complete, kosme[:i]))
	}
	add("every prefix of κόσμε", prefixes...)
	add("first code point of each length, 1 to 4 bytes",
		v(true, confForm(0, 1)), v(true, confForm(0x80, 2)), v(true, confForm(0x800, 3)), v(true, confForm(0x10000, 4)))
	add("first 5- and 6-byte forms (beyond U+10FFFF)",
		v(false, confForm(0x200000, 5)), v(false, confForm(0x4000000, 6)))
	add("last code point of each length within Unicode, 1 to 4 bytes",
		v(true, confForm(0x7f, 1)), v(true, confForm(0x7ff, 2)), v(true, confForm(0xffff, 3)), v(true, confForm(0x10ffff, 4)))
	add("last 4-, 5- and 6-byte forms (beyond U+10FFFF)",
		v(false, confForm(0x1fffff, 4)), v(false, confForm(0x3ffffff, 5)), v(false, confForm(0x7fffffff, 6)))
	add("other boundaries: U+D7FF, U+E000, U+FFFD, U+110000, U+13FFFF",
		v(true, confForm(0xd7ff, 3)), v(true, confForm(0xe000, 3)), v(true, confForm(0xfffd, 3)),
		v(false, confForm(0x110000, 4)), v(false, confForm(0x13ffff, 4)))
	var allCont []byte
	for b := 0x80; b <= 0xbf; b++ {
		allCont = append(allCont, byte(b))
	}
	add("unexpected continuation bytes",
		v(false, s("\x80")), v(false, s("\xbf")), v(false, s("\x80\xbf")), v(false, s("\x80\xbf\x80")),
		v(false, s("\x80\xbf\x80\xbf")), v(false, s("\x80\xbf\x80\xbf\x80")), v(false, s("\x80\xbf\x80\xbf\x80\xbf")),
		v(false, allCont))
	var lonely []confUTF8Vector
	for _, r := range [][2]int{{0xc0, 0xdf}, {0xe0, 0xef}, {0xf0, 0xf7}, {0xf8, 0xfb}, {0xfc, 0xfd}} {
		var b []byte
		for c := r[0]; c <= r[1]; c++ {
			b = append(b, byte(c), ' ')
		}
		lonely = append(lonely, v(false, b))
	}
	add("lonely start bytes, each followed by a space", lonely...)
	var missing []confUTF8Vector
	var all []byte
	for _, top := range []bool{false, true} {
		for n := 2; n <= 6; n++ {
			cp := uint32(0)
			if top {
				cp = 1<<(5*n+1) - 1 // the largest number n bytes encode
			}
			b := confForm(cp, n)[:n-1]
			missing = append(missing, v(false, b))
			all = append(all, b...)
		}
	}
	add("sequences missing their last byte", missing...)
	add("concatenation of the incomplete sequences", v(false, all))
	add("impossible bytes", v(false, s("\xfe")), v(false, s("\xff")), v(false, s("\xfe\xfe\xff\xff")))
	var overlongSlash, overlongMax, overlongNUL []confUTF8Vector
	for n := 2; n <= 6; n++ {
		overlongSlash = append(overlongSlash, v(false, confForm('/', n)))
		maxShorter := []uint32{0, 0, 0x7f, 0x7ff, 0xffff, 0x1fffff, 0x3ffffff}[n]
		overlongMax = append(overlongMax, v(false, confForm(maxShorter, n)))
		overlongNUL = append(overlongNUL, v(false, confForm(0, n)))
	}
	add("overlong forms of '/', 2 to 6 bytes", overlongSlash...)
	add("largest overlong form of each length, 2 to 6 bytes", overlongMax...)
	add("overlong forms of NUL, 2 to 6 bytes", overlongNUL...)
	var single, paired []confUTF8Vector
	for _, cp := range []uint32{0xd800, 0xdb7f, 0xdb80, 0xdbff, 0xdc00, 0xdf80, 0xdfff} {
		single = append(single, v(false, confForm(cp, 3)))
	}
	for _, hi := range []uint32{0xd800, 0xdb7f, 0xdb80, 0xdbff} {
		for _, lo := range []uint32{0xdc00, 0xdfff} {
			paired = append(paired, v(false, confForm(hi, 3), confForm(lo, 3)))
		}
	}
	add("single UTF-16 surrogates", single...)
	add("paired UTF-16 surrogates", paired...)
	nonchars := []confUTF8Vector{v(true, confForm(0xfffe, 3)), v(true, confForm(0xffff, 3)), v(true, confForm(0xfdd0, 3)), v(true, confForm(0xfdef, 3))}
	for plane := uint32(1); plane <= 16; plane++ {
		nonchars = append(nonchars, v(true, confForm(plane<<16|0xfffe, 4)), v(true, confForm(plane<<16|0xffff, 4)))
	}
	add("noncharacters (valid UTF-8)", nonchars...)
	add("specials and the byte order mark (valid UTF-8)",
		v(true, confForm(0xfff9, 3)), v(true, confForm(0xfffa, 3)), v(true, confForm(0xfffb, 3)), v(true, confForm(0xfffc, 3)), v(true, confForm(0xfeff, 3)))

	// The expectations above are written out by hand; check them against
	// the standard library's decoder, so that a slip here cannot pass for
	// the package's fault.
	for _, g := range gs {
		for _, vec := range g.vectors {
			if utf8.Valid(vec.b) != vec.valid {
				panic(fmt.Sprintf("conformance suite: % x in %q marked valid=%v", vec.b, g.title, vec.valid))
			}
		}
	}
	return gs
}

// confContinuable reports whether b is a prefix of some valid UTF-8 string,
// judged with the standard library's decoder: b itself is valid, or becomes
// so once up to three bytes are appended. Every range a continuation byte
// must fall in holds one of the candidates tried.
func confContinuable(b []byte) bool {
	if utf8.Valid(b) {
		return true
	}
	var try func(b []byte, depth int) bool
	try = func(b []byte, depth int) bool {
		if utf8.Valid(b) {
			return true
		}
		if depth == 0 {
			return false
		}
		for _, c := range []byte{0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf} {
			if try(append(b[:len(b):len(b)], c), depth-1) {
				return true
			}
		}
		return false
	}
	return try(b, 3)
}

// confFirstInvalid returns the index of the first byte of b after which b
// can no longer become valid UTF-8, or len(b) if there is none.
func confFirstInvalid(b []byte) int {
	for i := 1; i <= len(b); i++ {
		if !confContinuable(b[:i]) {
			return i - 1
		}
	}
	return len(b)
}

// splitText sends s as a text message in two fragments cut at byte i and
// checks the outcome: an echo for valid UTF-8; otherwise a failure with
// 1007 at the fragment holding the first invalid byte (section 8.1), before
// the other is sent, or, when the first fragment is only a valid prefix,
// with the connection still open after it.
func (x *confScript) splitText(s []byte, i int) {
	x.t.Helper()
	first, second := x.frame(false, OpText, s[:i]), x.frame(true, OpContinuation, s[i:])
	if utf8.Valid(s) {
		x.write(first, second)
		x.expectMessage(OpText, s)
		x.bye()
		return
	}
	x.write(first)
	if confFirstInvalid(s) < i {
		x.failsFast(StatusInvalidFramePayloadData, second)
		return
	}
	x.alive("still open")
	x.write(second)
	x.fails(StatusInvalidFramePayloadData)
}

func confUTF8(cs *[]confCase) {
	c := newConfCat(cs, "6.1")
	c.add("empty text message: echoed", func(x *confScript) {
		x.send(true, OpText, nil)
		x.expectMessage(OpText, []byte{})
		x.bye()
	})
	c.add("text message of three empty fragments: echoed empty", func(x *confScript) {
		x.write(x.frame(false, OpText, nil), x.frame(false, OpContinuation, nil), x.frame(true, OpContinuation, nil))
		x.expectMessage(OpText, []byte{})
		x.bye()
	})
	c.add("text message: empty fragment, 'middle frame payload', empty fragment: echoed", func(x *confScript) {
		x.write(x.frame(false, OpText, nil), x.frame(false, OpContinuation, []byte("middle frame payload")), x.frame(true, OpContinuation, nil))
		x.expectMessage(OpText, []byte("middle frame payload"))
		x.bye()
	})

	mixed := []byte("Hello-µ@ßöäüàá-UTF-8!!")
	c = newConfCat(cs, "6.2")
	c.add("valid UTF-8 text in one frame: echoed", func(x *confScript) {
		x.send(true, OpText, mixed)
		x.expectMessage(OpText, mixed)
		x.bye()
	})
	c.add("valid UTF-8 text in two fragments cut between code points: echoed", func(x *confScript) {
		x.write(x.frame(false, OpText, mixed[:8]), x.frame(true, OpContinuation, mixed[8:]))
		x.expectMessage(OpText, mixed)
		x.bye()
	})
	c.add("valid UTF-8 text in one-byte fragments (cut inside code points): echoed", func(x *confScript) {
		x.write(x.fragments(OpText, mixed, 1))
		x.expectMessage(OpText, mixed)
		x.bye()
	})
	c.add("κόσμε in one-byte fragments: echoed", func(x *confScript) {
		x.write(x.fragments(OpText, []byte(confKosme), 1))
		x.expectMessage(OpText, []byte(confKosme))
		x.bye()
	})

	invalid := []byte(confKosme + "\xed\xa0\x80edited") // a surrogate in the middle
	c = newConfCat(cs, "6.3")
	c.add("invalid UTF-8 (a surrogate) in one frame (8.1): 1007, no echo", func(x *confScript) {
		x.send(true, OpText, invalid)
		x.fails(StatusInvalidFramePayloadData)
	})
	c.add("invalid UTF-8 (a surrogate) in one-byte fragments: 1007 at the fragment with the invalid byte, no echo", func(x *confScript) {
		f := x.fragments(OpText, invalid, 1)
		bad := confFirstInvalid(invalid)
		// Each one-byte frame has the same size; send up to the bad one.
		per := len(f) / len(invalid)
		x.write(f[:(bad+1)*per])
		x.failsFast(StatusInvalidFramePayloadData, f[(bad+1)*per:])
	})

	// Fail fast (section 8.1 fails the connection at the invalid byte, not
	// at the end of the message).
	kosme := []byte(confKosme)
	surrogate := []byte("\xed\xa0\x80")
	edited := []byte("edited")
	c = newConfCat(cs, "6.4")
	c.add("fragments: κόσμε (still open after it), a surrogate: 1007 before the last fragment is sent", func(x *confScript) {
		x.send(false, OpText, kosme)
		x.alive("after κόσμε")
		x.send(false, OpContinuation, surrogate)
		x.failsFast(StatusInvalidFramePayloadData, x.frame(true, OpContinuation, edited))
	})
	c.add("fragments: κόσμε and the surrogate's first byte (still open), its second byte alone: 1007 before the rest is sent", func(x *confScript) {
		x.send(false, OpText, append(kosme[:len(kosme):len(kosme)], surrogate[0]))
		x.alive("after 0xed")
		x.send(false, OpContinuation, surrogate[1:2])
		x.failsFast(StatusInvalidFramePayloadData, x.frame(true, OpContinuation, append(surrogate[2:3:3], edited...)))
	})
	oneFrameChops := func(x *confScript, cut1, cut2 int) {
		msg := bytes.Join([][]byte{kosme, surrogate, edited}, nil)
		hdr, payload := split(x.frame(true, OpText, msg), len(msg))
		x.write(hdr, payload[:cut1])
		// A valid prefix: the package must not fail yet.
		x.p.expectNothingWithin(100 * time.Millisecond)
		x.write(payload[cut1:cut2])
		x.failsFast(StatusInvalidFramePayloadData, payload[cut2:])
	}
	c.add("one frame in three writes: κόσμε, a surrogate, the rest: 1007 before the last write", func(x *confScript) {
		oneFrameChops(x, len(kosme), len(kosme)+3)
	})
	c.add("one frame in three writes: κόσμε and 0xed, then 0xa0 alone, the rest: 1007 before the last write", func(x *confScript) {
		oneFrameChops(x, len(kosme)+1, len(kosme)+2)
	})

	confUTF8Vectors(cs, c)
}

// confUTF8Vectors adds the cases of category 6 that take each test vector,
// whole and split at every byte, and fail fast inside frames.
func confUTF8Vectors(cs *[]confCase, c *confCat) {
	// The stress test, a case per vector.
	for gi, g := range confKuhn() {
		c := newConfCat(cs, fmt.Sprintf("6.%d", 5+gi))
		for _, vec := range g.vectors {
			if vec.valid {
				c.add(fmt.Sprintf("%s: % x is valid: echoed, in one frame and in one-byte fragments", g.title, vec.b), func(x *confScript) {
					x.send(true, OpText, vec.b)
					x.expectMessage(OpText, vec.b)
					x.write(x.fragments(OpText, vec.b, 1))
					x.expectMessage(OpText, vec.b)
					x.bye()
				})
				continue
			}
			c.add(fmt.Sprintf("%s: % x is invalid: after a valid message echoed, 1007, no echo", g.title, vec.b), func(x *confScript) {
				x.send(true, OpText, []byte("valid"))
				x.expectMessage(OpText, []byte("valid"))
				x.send(true, OpText, vec.b)
				x.fails(StatusInvalidFramePayloadData)
			})
		}
	}

	// Split at every byte position into two fragments.
	for i, v := range []struct {
		desc string
		s    []byte
	}{
		{"valid text κ€𝄞x", []byte("κ€𝄞x")},
		{"text with a surrogate, a\\xed\\xa0\\x80b", []byte("a\xed\xa0\x80b")},
		{"text above U+10FFFF, ab\\xf4\\x90\\x80\\x80cd", []byte("ab\xf4\x90\x80\x80cd")},
		{"text ending inside a code point, κ\\xe2\\x82", []byte("κ\xe2\x82")},
		{"text with an overlong '/', €\\xc0\\xafx", []byte("€\xc0\xafx")},
	} {
		c := newConfCat(cs, fmt.Sprintf("6.%d", 24+i))
		for cut := 0; cut <= len(v.s); cut++ {
			desc := fmt.Sprintf("%s in two fragments cut at byte %d: echoed", v.desc, cut)
			if !utf8.Valid(v.s) {
				bad := confFirstInvalid(v.s)
				switch {
				case bad < cut:
					desc = fmt.Sprintf("%s in two fragments cut at byte %d, the first holding the invalid byte: 1007 before the second is sent", v.desc, cut)
				case bad == len(v.s):
					desc = fmt.Sprintf("%s in two fragments cut at byte %d: still open after the first, 1007 at the end of the message", v.desc, cut)
				default:
					desc = fmt.Sprintf("%s in two fragments cut at byte %d: still open after the first, 1007 at the second", v.desc, cut)
				}
			}
			c.add(desc, func(x *confScript) { x.splitText(v.s, cut) })
		}
	}

	// Fail fast inside one frame: its payload arrives in chunks, and the
	// close must come before the chunks after the invalid byte are sent.
	c = newConfCat(cs, "6.29")
	for _, at := range []int{0, 1000, 4095, 4096, 40000} {
		c.add(fmt.Sprintf("text frame of 64 KiB with 0xff at byte %d, written in 4 KiB chunks with pauses: 1007 before the chunks after it are sent", at), func(x *confScript) {
			msg := append([]byte(nil), confASCII(64<<10)...)
			msg[at] = 0xff
			hdr, payload := split(x.frame(true, OpText, msg), len(msg))
			x.write(hdr)
			end := (at/4096 + 1) * 4096
			x.p.writeChunks(payload[:end], 4096, 2*time.Millisecond)
			x.failsFast(StatusInvalidFramePayloadData, payload[end:])
		})
	}
	c = newConfCat(cs, "6.30")
	for _, bad := range []int{1, 2, 5, 9, 10} {
		c.add(fmt.Sprintf("text in ten fragments, an overlong form in fragment %d, each fragment followed by a ping: pongs until then, 1007 before the next fragment is sent", bad), func(x *confScript) {
			var frags [][]byte
			for j := 1; j <= 10; j++ {
				f := []byte(fmt.Sprintf("fragment %02d; ", j))
				if j == bad {
					f = append(f[:5:5], append([]byte{0xc0, 0xaf}, f[5:]...)...)
				}
				op := OpContinuation
				if j == 1 {
					op = OpText
				}
				frags = append(frags, x.frame(j == 10, op, f))
			}
			for j := 1; j <= 10; j++ {
				x.write(frags[j-1])
				if j == bad {
					x.failsFast(StatusInvalidFramePayloadData, frags[j:]...)
					return
				}
				x.alive(fmt.Sprintf("after fragment %d", j))
			}
		})
	}
	c = newConfCat(cs, "6.31")
	notUTF8 := []byte("\xff\xfe\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80")
	c.add("binary message of bytes that are not UTF-8: echoed (only text is UTF-8, 5.6)", func(x *confScript) {
		x.send(true, OpBinary, notUTF8)
		x.expectMessage(OpBinary, notUTF8)
		x.bye()
	})
	c.add("ping whose payload is not UTF-8: the pong carries it", func(x *confScript) {
		x.send(true, OpPing, notUTF8)
		x.expectPong(notUTF8)
		x.bye()
	})
	c.add("text with NUL, C0 controls and DEL (valid UTF-8): echoed", func(x *confScript) {
		msg := []byte("\x00\x01\x02\x1f\x7f nul and controls \x00")
		x.send(true, OpText, msg)
		x.expectMessage(OpText, msg)
		x.bye()
	})
}
