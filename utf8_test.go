package websocket

import (
	"bytes"
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

// The validator checks text messages, which must be UTF-8 (RFC 6455 sections
// 5.6 and 8.1), a frame at a time: a code point may be split across frames,
// so every test feeds it the same stream cut in many ways and expects the
// same verdict as unicode/utf8.Valid on the whole.

// utUTF8Cases are hand-picked sequences; want is the verdict of RFC 3629
// (checked against utf8.Valid too).
var utUTF8Cases = []struct {
	name string
	s    string
	want bool
}{
	{"empty", "", true},
	{"ascii", "Hello", true},
	{"ascii long", "Hello, WebSocket world! 0123456789", true},
	{"nul", "\x00\x00\x00", true},
	{"del", "\x7f", true},

	{"2-byte min U+0080", "\xc2\x80", true},
	{"2-byte max U+07FF", "\xdf\xbf", true},
	{"2-byte é", "caf\xc3\xa9", true},
	{"3-byte min U+0800", "\xe0\xa0\x80", true},
	{"3-byte euro", "\xe2\x82\xac", true},
	{"3-byte before surrogates U+D7FF", "\xed\x9f\xbf", true},
	{"3-byte after surrogates U+E000", "\xee\x80\x80", true},
	{"3-byte max U+FFFF", "\xef\xbf\xbf", true},
	{"3-byte BOM", "\xef\xbb\xbf", true},
	{"4-byte min U+10000", "\xf0\x90\x80\x80", true},
	{"4-byte emoji", "\xf0\x9f\x98\x80", true},
	{"4-byte F3", "\xf3\xbf\xbf\xbf", true},
	{"4-byte max U+10FFFF", "\xf4\x8f\xbf\xbf", true},
	{"kosme", "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5", true},
	{"mixed", "a\xc3\xa9b\xe2\x82\xacc\xf0\x9f\x98\x80d", true},
	{"ascii then multibyte past 8", "abcdefghij\xe2\x82\xacklmnopqrstuvwxyz\xf0\x9f\x98\x80", true},

	{"overlong C0 80", "\xc0\x80", false},
	{"overlong C0 AF", "\xc0\xaf", false},
	{"overlong C1 BF", "\xc1\xbf", false},
	{"overlong E0 80 80", "\xe0\x80\x80", false},
	{"overlong E0 80 AF", "\xe0\x80\xaf", false},
	{"overlong E0 9F BF", "\xe0\x9f\xbf", false},
	{"overlong F0 80 80 80", "\xf0\x80\x80\x80", false},
	{"overlong F0 8F BF BF", "\xf0\x8f\xbf\xbf", false},
	{"overlong 5-byte", "\xf8\x80\x80\x80\xaf", false},

	{"surrogate ED A0 80", "\xed\xa0\x80", false},
	{"surrogate ED AD BF", "\xed\xad\xbf", false},
	{"surrogate ED AE 80", "\xed\xae\x80", false},
	{"surrogate ED B0 80", "\xed\xb0\x80", false},
	{"surrogate ED BF BF", "\xed\xbf\xbf", false},
	{"surrogate pair", "\xed\xa0\x80\xed\xb0\x80", false},
	{"kosme then surrogate", "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited", false},

	{"above max F4 90 80 80", "\xf4\x90\x80\x80", false},
	{"above max F4 BF BF BF", "\xf4\xbf\xbf\xbf", false},
	{"lead F5", "\xf5\x80\x80\x80", false},
	{"lead F7", "\xf7\xbf\xbf\xbf", false},
	{"lead F8", "\xf8\x88\x80\x80\x80", false},
	{"lead FC", "\xfc\x84\x80\x80\x80\x80", false},
	{"lead FE", "\xfe", false},
	{"lead FF", "\xff", false},
	{"FE FE FF FF", "\xfe\xfe\xff\xff", false},

	{"lone continuation 80", "\x80", false},
	{"lone continuation BF", "\xbf", false},
	{"continuation inside ascii", "ab\x80cd", false},
	{"extra continuation after 2-byte", "\xc2\x80\x80", false},
	{"extra continuation after 4-byte", "\xf0\x9f\x98\x80\x80", false},
	{"all continuation bytes", "\x80\x81\x82\x83\x84\x85\x86\x87\x88\x89\x8a\x8b\x8c\x8d\x8e\x8f", false},

	{"truncated C2", "\xc2", false},
	{"truncated E0 A0", "\xe0\xa0", false},
	{"truncated E2 82", "\xe2\x82", false},
	{"truncated E2", "\xe2", false},
	{"truncated F0 90 80", "\xf0\x90\x80", false},
	{"truncated F4 8F BF", "\xf4\x8f\xbf", false},
	{"truncated after ascii", "Hello\xe2\x82", false},
	{"truncated in the middle", "a\xe2\x82b", false},
	{"truncated 2-byte then ascii", "\xc2A", false},

	{"bad second byte E2 28 A1", "\xe2\x28\xa1", false},
	{"bad third byte E2 82 28", "\xe2\x82\x28", false},
	{"bad second byte F0 28 8C BC", "\xf0\x28\x8c\xbc", false},
	{"bad third byte F0 90 28 BC", "\xf0\x90\x28\xbc", false},
	{"bad fourth byte F0 90 8C 28", "\xf0\x90\x8c\x28", false},
	{"lead after lead", "\xc2\xc2\x80", false},
	{"invalid after 8 ascii", "abcdefgh\xff", false},
	{"invalid after 15 ascii", "abcdefghijklmno\x80", false},
	{"invalid after 16 ascii", "abcdefghijklmnop\xc0\x80", false},
}

// utUTF8Feed writes each piece of s to a fresh validator in turn and returns
// the verdict: every write true and the stream complete at the end. It stops
// at the first write returning false, as a reader would.
func utUTF8Feed(s []byte, cuts []int) bool {
	var v utf8Validator
	prev := 0
	for _, c := range append(cuts, len(s)) {
		if !v.write(s[prev:c]) {
			return false
		}
		prev = c
	}
	return v.complete()
}

// utValidPrefixes holds every proper prefix (1 to 3 bytes) of the UTF-8
// encoding of every scalar value, keyed by length and bytes.
var (
	utValidPrefixesOnce sync.Once
	utValidPrefixes     map[[4]byte]bool
)

// utValidPrefix reports whether p can be continued into valid UTF-8: it is
// valid, or valid followed by a proper prefix of some code point's encoding.
// This is what the validator's write must report after each write.
func utValidPrefix(p []byte) bool {
	utValidPrefixesOnce.Do(func() {
		utValidPrefixes = make(map[[4]byte]bool)
		var b [4]byte
		for r := rune(0x80); r <= utf8.MaxRune; r++ {
			if r >= 0xd800 && r <= 0xdfff {
				continue
			}
			n := utf8.EncodeRune(b[:], r)
			for k := 1; k < n; k++ {
				key := [4]byte{byte(k)}
				copy(key[1:], b[:k])
				utValidPrefixes[key] = true
			}
		}
	})
	if utf8.Valid(p) {
		return true
	}
	for k := 1; k <= 3 && k <= len(p); k++ {
		key := [4]byte{byte(k)}
		copy(key[1:], p[len(p)-k:])
		if utValidPrefixes[key] && utf8.Valid(p[:len(p)-k]) {
			return true
		}
	}
	return false
}

// utCheckUTF8 checks the validator on s in every way the tests use: whole,
// split into two at every position, split into three at every pair of
// positions when s is short, and a byte at a time, checking after each byte
// that write reports false exactly when the stream can no longer become
// valid UTF-8 and complete exactly when it is valid so far.
func utCheckUTF8(t *testing.T, name string, s []byte) {
	t.Helper()
	want := utf8.Valid(s)
	if got := utUTF8Feed(s, nil); got != want {
		t.Errorf("%s (% x): one write: verdict %v, want %v", name, s, got, want)
	}
	if got := validUTF8(s); got != want {
		t.Errorf("%s (% x): validUTF8 = %v, want %v", name, s, got, want)
	}
	for i := 0; i <= len(s); i++ {
		if got := utUTF8Feed(s, []int{i}); got != want {
			t.Errorf("%s (% x): split at %d: verdict %v, want %v", name, s, i, got, want)
		}
		if len(s) > 12 {
			continue
		}
		for j := i; j <= len(s); j++ {
			if got := utUTF8Feed(s, []int{i, j}); got != want {
				t.Errorf("%s (% x): split at %d and %d: verdict %v, want %v", name, s, i, j, got, want)
			}
		}
	}
	var v utf8Validator
	for i := range s {
		ok := v.write(s[i : i+1])
		wantOK := utValidPrefix(s[:i+1])
		if ok != wantOK {
			t.Errorf("%s (% x): byte at a time: write of byte %d (%#x) = %v, want %v", name, s, i, s[i], ok, wantOK)
			return
		}
		if !ok {
			if want {
				t.Errorf("%s (% x): byte at a time rejected valid UTF-8", name, s)
			}
			return
		}
		if got, wantC := v.complete(), utf8.Valid(s[:i+1]); got != wantC {
			t.Errorf("%s (% x): after %d bytes complete() = %v, want %v", name, s, i+1, got, wantC)
		}
	}
	if got := v.complete(); got != want {
		t.Errorf("%s (% x): byte at a time: verdict %v, want %v", name, s, got, want)
	}
}

// TestUTF8ValidatorTable checks the hand-picked sequences: valid forms of
// each length, overlong forms, surrogates, code points above U+10FFFF, lone
// continuation bytes and truncated sequences.
func TestUTF8ValidatorTable(t *testing.T) {
	for _, tt := range utUTF8Cases {
		s := []byte(tt.s)
		if utf8.Valid(s) != tt.want {
			t.Fatalf("%s: table says %v, utf8.Valid says %v", tt.name, tt.want, !tt.want)
		}
		utCheckUTF8(t, tt.name, s)
		// The same sequence behind and before ASCII runs of every length
		// up to 17, so that it meets the validator's eight-byte ASCII
		// path at every alignment.
		for n := 0; n <= 17; n++ {
			pad := []byte(strings.Repeat("x", n))
			utCheckUTF8(t, fmt.Sprintf("%s after %d ascii", tt.name, n), utCat(pad, s))
			utCheckUTF8(t, fmt.Sprintf("%s before %d ascii", tt.name, n), utCat(s, pad))
		}
	}
}

// utUTF8Bytes are the bytes that matter to UTF-8 decoding: ASCII, the
// bounds of each continuation range the lead bytes allow, and lead bytes of
// every kind, valid or not.
var utUTF8Bytes = []byte{
	0x00, 0x41, 0x7f,
	0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf,
	0xc0, 0xc1, 0xc2, 0xdf,
	0xe0, 0xe1, 0xec, 0xed, 0xee, 0xef,
	0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xf7, 0xf8, 0xfe, 0xff,
}

// TestUTF8ValidatorExhaustive checks every sequence of one and two bytes,
// and every sequence of three and four bytes drawn from the bytes where
// UTF-8's ranges begin and end.
func TestUTF8ValidatorExhaustive(t *testing.T) {
	for a := 0; a < 256; a++ {
		utCheckUTF8(t, "1 byte", []byte{byte(a)})
		for b := 0; b < 256; b++ {
			utCheckUTF8(t, "2 bytes", []byte{byte(a), byte(b)})
		}
	}
	for _, a := range utUTF8Bytes {
		for _, b := range utUTF8Bytes {
			for _, c := range utUTF8Bytes {
				utCheckUTF8(t, "3 bytes", []byte{a, b, c})
				for _, d := range utUTF8Bytes {
					s := []byte{a, b, c, d}
					want := utf8.Valid(s)
					for i := 0; i <= 4; i++ {
						if got := utUTF8Feed(s, []int{i}); got != want {
							t.Errorf("% x split at %d: verdict %v, want %v", s, i, got, want)
						}
					}
				}
			}
		}
	}
}

// utRandText returns a random byte string that is often valid UTF-8 and
// otherwise broken in the ways UTF-8 breaks: stray bytes, truncated code
// points, runs of ASCII of any length between them.
func utRandText(rng *rand.Rand) []byte {
	var b []byte
	corrupt := rng.Intn(2) == 0
	for parts := rng.Intn(12); parts > 0; parts-- {
		switch k := rng.Intn(10); {
		case k < 3:
			for n := rng.Intn(20); n > 0; n-- {
				b = append(b, byte(0x20+rng.Intn(0x5f)))
			}
		case k < 8 || !corrupt:
			b = utf8.AppendRune(b, utRandRune(rng))
		case k == 8:
			b = append(b, utUTF8Bytes[rng.Intn(len(utUTF8Bytes))])
		default:
			var e [4]byte
			n := utf8.EncodeRune(e[:], utRandRune(rng))
			b = append(b, e[:rng.Intn(n)]...)
		}
	}
	return b
}

// utRandRune returns a random Unicode scalar value, as likely to take any
// number of bytes in UTF-8 as any other.
func utRandRune(rng *rand.Rand) rune {
	for {
		var r rune
		switch rng.Intn(4) {
		case 0:
			r = rune(rng.Intn(0x80))
		case 1:
			r = 0x80 + rune(rng.Intn(0x800-0x80))
		case 2:
			r = 0x800 + rune(rng.Intn(0x10000-0x800))
		default:
			r = 0x10000 + rune(rng.Intn(utf8.MaxRune+1-0x10000))
		}
		if utf8.ValidRune(r) {
			return r
		}
	}
}

// TestUTF8ValidatorRandom compares the validator, fed random byte strings
// cut at random points, with utf8.Valid on the whole string.
func TestUTF8ValidatorRandom(t *testing.T) {
	rng := rand.New(rand.NewSource(6455))
	const trials = 20000
	valid := 0
	for i := 0; i < trials; i++ {
		var s []byte
		if i%4 == 3 {
			// Uniformly random bytes too, mostly invalid early.
			s = make([]byte, rng.Intn(16))
			rng.Read(s)
		} else {
			s = utRandText(rng)
		}
		want := utf8.Valid(s)
		if want {
			valid++
		}
		var cuts []int
		for n := rng.Intn(5); n > 0; n-- {
			cuts = append(cuts, rng.Intn(len(s)+1))
		}
		sort.Ints(cuts)
		if got := utUTF8Feed(s, cuts); got != want {
			t.Errorf("% x cut at %v: verdict %v, want %v", s, cuts, got, want)
		}
		if i%16 == 0 {
			utCheckUTF8(t, "random", s)
		}
	}
	// The generator must exercise both verdicts.
	if valid < trials/10 || valid > trials*9/10 {
		t.Errorf("%d of %d random strings valid: generator is lopsided", valid, trials)
	}
}

// TestUTF8ValidatorLongStream checks a long valid text fed in pieces of
// every size from 1 to 40 bytes, then the same text with one byte broken.
func TestUTF8ValidatorLongStream(t *testing.T) {
	var text []byte
	for i := 0; i < 200; i++ {
		text = append(text, "The quick brown fox κόσμε € 😀 jumps "...)
	}
	for size := 1; size <= 40; size++ {
		var cuts []int
		for c := size; c < len(text); c += size {
			cuts = append(cuts, c)
		}
		if !utUTF8Feed(text, cuts) {
			t.Errorf("valid text in %d-byte pieces rejected", size)
		}
		bad := bytes.Clone(text)
		bad[len(bad)/2+size] = 0xff
		if utUTF8Feed(bad, cuts) {
			t.Errorf("text with 0xff at %d in %d-byte pieces accepted", len(bad)/2+size, size)
		}
	}
}
