package websocket

// Fuzzing what frames carry: UTF-8 validation (FuzzUTF8, against
// fzValidPrefix), masking (FuzzMask) and close frame payloads
// (FuzzClosePayload, against fzRefClosePayload); and their seeds.

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"testing"
	"unicode/utf8"
)

// fzValidPrefix reports whether b can be extended to valid UTF-8: whether a
// receiver must not yet fail a text message that begins with b (section
// 8.1).
func fzValidPrefix(b []byte) bool {
	i := 0
	for i < len(b) {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			break
		}
		i += size
	}
	tail := b[i:]
	switch {
	case len(tail) == 0:
		return true
	case len(tail) >= utf8.UTFMax:
		return false // a whole sequence is there, and it is invalid
	}
	// An incomplete sequence: try every second byte (the only one whose
	// range depends on the first) and pad with the smallest continuation.
	for c := 0x80; c <= 0xbf; c++ {
		for n := len(tail) + 1; n <= utf8.UTFMax; n++ {
			cand := append([]byte(nil), tail...)
			for len(cand) < n {
				if len(cand) == 1 {
					cand = append(cand, byte(c))
				} else {
					cand = append(cand, 0x80)
				}
			}
			if utf8.Valid(cand) {
				return true
			}
		}
	}
	return false
}

// fzValidCloseCode reports whether a close frame may carry code: those
// section 7.4.1 defines for use, those IANA registered since (1012 to 1014)
// and the ranges 3000 to 4999 of section 7.4.2.
func fzValidCloseCode(code StatusCode) bool {
	switch code {
	case 1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014:
		return true
	}
	return code >= 3000 && code <= 4999
}

// fzRefClosePayload decodes a close frame's payload (section 5.5.1). failCode
// is non-zero when the payload obliges the receiver to fail the connection.
func fzRefClosePayload(p []byte) (code StatusCode, reason string, failCode StatusCode) {
	switch {
	case len(p) == 0:
		return 1005, "", 0
	case len(p) == 1, len(p) > 125:
		return 0, "", 1002
	}
	code = StatusCode(p[0])<<8 | StatusCode(p[1])
	if !fzValidCloseCode(code) {
		return 0, "", 1002
	}
	if !utf8.Valid(p[2:]) {
		return 0, "", 1007
	}
	return code, string(p[2:]), 0
}

// FuzzUTF8 feeds a utf8Validator data in pieces whose sizes cuts gives
// (cycled; 0 is an empty write) and checks after each that it reports
// whether the stream so far can begin valid UTF-8 (fzValidPrefix) and
// whether it ends on a code point boundary; and validUTF8 against
// utf8.Valid.
func FuzzUTF8(f *testing.F) {
	f.Fuzz(func(t *testing.T, data, cuts []byte) {
		if got, want := validUTF8(data), utf8.Valid(data); got != want {
			t.Fatalf("validUTF8(%q) = %v, want %v", data, got, want)
		}
		var v utf8Validator
		allOK := true
		pos := 0
		for i := 0; pos < len(data) || i == 0; i++ {
			n := len(data) - pos
			if len(cuts) > 0 && i < 4*len(data)+8 { // past that, write the rest
				n = min(n, int(cuts[i%len(cuts)]))
			}
			ok := v.write(data[pos : pos+n])
			pos += n
			if want := fzValidPrefix(data[:pos]); ok != want {
				t.Fatalf("write(%q) after %q = %v, want %v", data[pos-n:pos], data[:pos-n], ok, want)
			}
			if !ok {
				allOK = false
				break
			}
			if got, want := v.complete(), utf8.Valid(data[:pos]); got != want {
				t.Fatalf("complete() after %q = %v, want %v", data[:pos], got, want)
			}
		}
		if got, want := allOK && v.complete(), utf8.Valid(data); got != want {
			t.Fatalf("the validator says %v for %q in pieces %v, utf8.Valid says %v", got, data, cuts, want)
		}
	})
}

// FuzzMask checks Mask on a subslice of data (at any alignment) against a
// byte-at-a-time loop, masking in two pieces against masking at once, and
// that it touches nothing outside the subslice.
func FuzzMask(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte, k uint32, pos int, start, length, split uint16) {
		key := [4]byte{byte(k >> 24), byte(k >> 16), byte(k >> 8), byte(k)}
		s := int(start) % (len(data) + 1)
		n := min(int(length), len(data)-s)
		sp := int(split) % (n + 1)

		want := bytes.Clone(data)
		for i := 0; i < n; i++ {
			want[s+i] ^= key[((pos%4+4)%4+i)%4]
		}
		wantPos := ((pos%4+4)%4 + n) % 4

		got := bytes.Clone(data)
		if p := Mask(key, pos, got[s:s+n]); p != wantPos {
			t.Fatalf("Mask(% x, %d, %d bytes) returned %d, want %d", key, pos, n, p, wantPos)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("Mask(% x, %d, data[%d:%d]) gave\n% x\nwant\n% x", key, pos, s, s+n, got, want)
		}

		two := bytes.Clone(data)
		p := Mask(key, pos, two[s:s+sp])
		if p2 := Mask(key, p, two[s+sp:s+n]); p2 != wantPos || !bytes.Equal(two, want) {
			t.Fatalf("Mask in pieces of %d and %d bytes differs from Mask at once (position %d, want %d)", sp, n-sp, p2, wantPos)
		}

		Mask(key, pos, got[s:s+n])
		if !bytes.Equal(got, data) {
			t.Fatalf("masking twice did not restore the data")
		}
	})
}

// FuzzClosePayload checks ParseClosePayload against fzRefClosePayload and
// that AppendClosePayload re-encodes what it parses; and AppendClosePayload
// on any code and reason: a valid control frame payload whose reason is the
// longest prefix of the reason that fits and ends on a UTF-8 boundary.
func FuzzClosePayload(f *testing.F) {
	f.Fuzz(func(t *testing.T, p []byte, code uint16, reason string) {
		gotCode, gotReason, err := ParseClosePayload(p)
		wantCode, wantReason, failCode := fzRefClosePayload(p)
		if failCode != 0 {
			pe, ok := err.(*ProtocolError)
			if !ok || pe.Code != failCode {
				t.Fatalf("ParseClosePayload(%q) = %v, %q, %v; want a *ProtocolError with %d", p, gotCode, gotReason, err, failCode)
			}
		} else {
			if err != nil || gotCode != wantCode || gotReason != wantReason {
				t.Fatalf("ParseClosePayload(%q) = %v, %q, %v; want %v, %q", p, gotCode, gotReason, err, wantCode, wantReason)
			}
			if !gotCode.Valid() && gotCode != StatusNoStatusReceived || !utf8.ValidString(gotReason) || len(gotReason) > MaxCloseReason {
				t.Fatalf("ParseClosePayload(%q) = %v, %q", p, gotCode, gotReason)
			}
			if len(p) > 0 {
				if enc := AppendClosePayload(nil, gotCode, gotReason); !bytes.Equal(enc, p) {
					t.Fatalf("AppendClosePayload(%v, %q) = %q, parsed from %q", gotCode, gotReason, enc, p)
				}
			}
		}

		prefix := []byte("prefix")
		enc := AppendClosePayload(bytes.Clone(prefix), StatusCode(code), reason)
		if !bytes.HasPrefix(enc, prefix) {
			t.Fatalf("AppendClosePayload overwrote the buffer it appends to")
		}
		enc = enc[len(prefix):]
		if code == 0 {
			if len(enc) != 0 {
				t.Fatalf("AppendClosePayload(0, %q) = %q, want nothing", reason, enc)
			}
			return
		}
		if len(enc) < 2 || len(enc) > MaxControlPayload || StatusCode(enc[0])<<8|StatusCode(enc[1]) != StatusCode(code) {
			t.Fatalf("AppendClosePayload(%d, %q) = %q", code, reason, enc)
		}
		r := string(enc[2:])
		wantR := reason
		if len(reason) > MaxCloseReason {
			switch {
			case utf8.ValidString(reason):
				// The longest prefix that fits and is valid UTF-8.
				for k := MaxCloseReason; ; k-- {
					if utf8.ValidString(reason[:k]) {
						wantR = reason[:k]
						break
					}
				}
			case len(r) <= MaxCloseReason:
				wantR = r // any prefix of an invalid reason will do
			}
		}
		if !strings.HasPrefix(reason, r) || r != wantR {
			t.Fatalf("AppendClosePayload(%d, %q) carries the reason %q, want %q", code, reason, r, wantR)
		}
		if fzValidCloseCode(StatusCode(code)) && utf8.ValidString(r) {
			c, rr, err := ParseClosePayload(enc)
			if err != nil || c != StatusCode(code) || rr != r {
				t.Fatalf("ParseClosePayload(AppendClosePayload(%d, %q)) = %v, %q, %v", code, r, c, rr, err)
			}
		}
	})
}

func fzUTF8Seeds() []fzSeed {
	var seeds []fzSeed
	add := func(name, data, cuts string) {
		seeds = append(seeds, fzSeed{name: name, args: []any{[]byte(data), []byte(cuts)}})
	}
	add("ascii", "Hello, world", "")
	add("ascii-long", strings.Repeat("0123456789abcdef", 4), "\x09")
	add("kosme", "κόσμε", "")
	add("kosme-bytewise", "κόσμε", "\x01")
	add("kosme-cuts", "κόσμε", "\x03\x00\x02")
	// First and last code point of each length.
	add("boundaries", "\x00\x7f\u0080\u07ff\u0800\uffff\U00010000\U0010ffff", "\x02\x03")
	add("around-surrogates", "\ud7ff\ue000\ufffd\ufeff", "\x01")
	// Invalid sequences.
	add("surrogate-high", "\xed\xa0\x80", "\x01")
	add("surrogate-low", "\xed\xbf\xbf", "")
	add("above-max", "\xf4\x90\x80\x80", "\x02")
	add("f5", "\xf5\x80\x80\x80", "")
	add("overlong-slash-2", "\xc0\xaf", "")
	add("overlong-slash-3", "\xe0\x80\xaf", "\x01")
	add("overlong-slash-4", "\xf0\x80\x80\xaf", "")
	add("overlong-max-2", "\xc1\xbf", "")
	add("five-byte", "\xf8\x88\x80\x80\x80", "")
	add("lone-continuation", "\x80", "")
	add("lone-bf", "abc\xbf", "")
	add("fe-ff", "\xfe\xff", "")
	add("invalid-after-8-ascii", "01234567\xff", "\x08")
	add("invalid-in-second-word", "0123456789abcdef\xc3\x28", "")
	// Incomplete at the end.
	add("truncated-2", "abc\xce", "")
	add("truncated-3", "abc\xe2\x82", "\x04")
	add("truncated-4", "abc\xf0\x9f\x98", "\x01")
	add("truncated-then-ascii", "\xe2\x82a", "\x02")
	add("empty", "", "\x00")
	return seeds
}

func fzMaskSeeds() []fzSeed {
	var seeds []fzSeed
	add := func(name string, data []byte, key uint32, pos int, start, length, split uint16) {
		seeds = append(seeds, fzSeed{name: name, args: []any{data, key, pos, start, length, split}})
	}
	add("rfc-hello", []byte("Hello"), 0x37fa213d, 0, 0, 5, 2)
	for _, n := range []int{0, 1, 3, 7, 8, 9, 15, 31, 32, 33, 63, 64, 100} {
		add(fmt.Sprintf("len-%d", n), utPayload(n+5), 0x01020304, n%4, uint16(n%5), uint16(n), uint16(n/2))
	}
	add("large-unaligned", utPayload(1037), 0xdeadbeef, 3, 3, 1030, 517)
	add("negative-pos", utPayload(40), 0xa1b2c3d4, -7, 1, 38, 13)
	add("huge-pos", utPayload(40), 0xa1b2c3d4, math.MaxInt, 2, 37, 5)
	return seeds
}

func fzCloseSeeds() []fzSeed {
	var seeds []fzSeed
	add := func(name, p string, code uint16, reason string) {
		seeds = append(seeds, fzSeed{name: name, args: []any{[]byte(p), code, reason}})
	}
	add("empty", "", 0, "")
	add("one-byte", "\x03", 1000, "")
	add("normal", "\x03\xe8", 1000, "")
	add("normal-reason", "\x03\xe8bye", 1000, "bye")
	add("1005", "\x03\xed", 1005, "")
	add("1006", "\x03\xee", 1006, "")
	add("1015", "\x03\xf7", 1015, "")
	add("1014", "\x03\xf6", 1014, "")
	add("999", "\x03\xe7", 999, "")
	add("2999", "\x0b\xb7", 2999, "")
	add("3000", "\x0b\xb8", 3000, "")
	add("4999", "\x13\x87", 4999, "")
	add("5000", "\x13\x88", 5000, "")
	add("reason-utf8", "\x03\xe8κόσμε", 1001, "κόσμε")
	add("reason-invalid", "\x03\xe8\xed\xa0\x80", 1001, "\xed\xa0\x80")
	add("reason-truncated", "\x03\xe8ab\xe2\x82", 1001, "ab\xe2\x82")
	add("reason-123", "\x03\xe8"+strings.Repeat("r", 123), 1000, strings.Repeat("r", 123))
	add("reason-124", "\x03\xe8"+strings.Repeat("r", 124), 1000, strings.Repeat("r", 124))
	add("reason-cut-in-rune", "\x03\xe8", 1000, strings.Repeat("r", 122)+"€€")
	add("reason-cut-4-byte", "\x03\xe8", 4000, strings.Repeat("r", 121)+"𝄞𝄞")
	add("reason-long-invalid", "\x03\xe8", 3000, strings.Repeat("\x80", 200))
	return seeds
}
