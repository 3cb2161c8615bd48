package websocket

import (
	"bytes"
	"math/rand"
	"testing"
)

// utMaskRef is the masking algorithm of RFC 6455 section 5.3 written out a
// byte at a time: octet i of the transformed data is octet i of the original
// XOR octet (i MOD 4) of the masking key, where i counts from the start of
// the payload (pos bytes before b).
func utMaskRef(key [4]byte, pos int, b []byte) int {
	for i := range b {
		b[i] ^= key[(pos+i)%4]
	}
	return (pos + len(b)) % 4
}

// utMaskLengths are the payload lengths Mask is checked at: every length up
// to 100, which covers the short path and each tail length of the word
// loops, and a few large ones.
func utMaskLengths() []int {
	var ns []int
	for n := 0; n <= 100; n++ {
		ns = append(ns, n)
	}
	return append(ns, 255, 256, 257, 1024, 1024+7, 65536+3)
}

// utMaskKeys are masking keys with distinct bytes, so that a key applied at
// the wrong position shows.
var utMaskKeys = [][4]byte{
	{0x37, 0xfa, 0x21, 0x3d}, // section 5.7's key
	{0x01, 0x02, 0x04, 0x08},
	{0xff, 0x00, 0x80, 0x7f},
}

// TestMaskMatchesReference checks Mask against the byte-at-a-time
// definition of section 5.3 for every length up to 100 and some large ones,
// every key position, and slices starting at unaligned offsets of their
// backing array; bytes around the slice must be left alone.
func TestMaskMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	const guard = 8
	// pos may be the count of bytes already masked, not just 0..3.
	positions := []int{0, 1, 2, 3, 4, 5, 6, 7, 1001, 1<<30 + 2}
	for _, key := range utMaskKeys {
		for _, n := range utMaskLengths() {
			src := make([]byte, n)
			rng.Read(src)
			for off := 0; off < 8; off++ {
				for _, pos := range positions {
					if n > 1024 && off > 1 && pos > 3 {
						continue // keep the large cases quick
					}
					backing := make([]byte, guard+off+n+guard)
					rng.Read(backing)
					orig := bytes.Clone(backing)
					b := backing[guard+off : guard+off+n]
					copy(b, src)

					want := bytes.Clone(src)
					wantPos := utMaskRef(key, pos, want)

					gotPos := Mask(key, pos, b)
					if gotPos != wantPos {
						t.Errorf("key % x, len %d, off %d, pos %d: Mask returned %d, want %d", key, n, off, pos, gotPos, wantPos)
					}
					if !bytes.Equal(b, want) {
						t.Errorf("key % x, len %d, off %d, pos %d: first difference at byte %d", key, n, off, pos, utFirstDiff(b, want))
					}
					if !bytes.Equal(backing[:guard+off], orig[:guard+off]) || !bytes.Equal(backing[guard+off+n:], orig[guard+off+n:]) {
						t.Errorf("key % x, len %d, off %d, pos %d: Mask wrote outside its slice", key, n, off, pos)
					}
				}
			}
		}
	}
}

// utFirstDiff returns the index of the first byte where a and b differ.
func utFirstDiff(a, b []byte) int {
	for i := range a {
		if i >= len(b) || a[i] != b[i] {
			return i
		}
	}
	return len(a)
}

// TestMaskInPieces checks what Mask's doc comment promises: masking a
// payload in pieces, passing each call the position the previous returned,
// gives the same bytes as masking it at once (so a frame's payload can be
// unmasked as it arrives, section 5.3).
func TestMaskInPieces(t *testing.T) {
	key := utMaskKeys[0]
	rng := rand.New(rand.NewSource(2))
	for _, n := range utMaskLengths() {
		src := make([]byte, n)
		rng.Read(src)
		want := bytes.Clone(src)
		Mask(key, 0, want)

		// Two pieces, split at every point (at a sample of points for the
		// large lengths).
		for cut := 0; cut <= n; cut++ {
			if n > 300 && cut > 40 && cut < n-40 && cut%97 != 0 {
				continue
			}
			b := bytes.Clone(src)
			pos := Mask(key, 0, b[:cut])
			if pos != cut%4 {
				t.Errorf("len %d: Mask of the first %d bytes returned %d, want %d", n, cut, pos, cut%4)
			}
			Mask(key, pos, b[cut:])
			if !bytes.Equal(b, want) {
				t.Errorf("len %d split at %d: first difference at byte %d", n, cut, utFirstDiff(b, want))
			}
		}

		// Many random pieces.
		for trial := 0; trial < 20; trial++ {
			b := bytes.Clone(src)
			pos := 0
			for rest := b; len(rest) > 0; {
				k := rng.Intn(min(len(rest), 40) + 1)
				if rng.Intn(8) == 0 {
					k = len(rest)
				}
				pos = Mask(key, pos, rest[:k])
				rest = rest[k:]
			}
			if pos != n%4 {
				t.Errorf("len %d in pieces: final position %d, want %d", n, pos, n%4)
			}
			if !bytes.Equal(b, want) {
				t.Errorf("len %d in random pieces: first difference at byte %d", n, utFirstDiff(b, want))
			}
		}
	}
}

// TestMaskInvolution checks that masking twice with the same key and
// position restores the input (section 5.3: "the same algorithm applies
// regardless of the direction of the translation").
func TestMaskInvolution(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	for _, key := range utMaskKeys {
		for _, n := range utMaskLengths() {
			src := make([]byte, n+3)
			rng.Read(src)
			for off := 0; off < 4; off++ {
				for pos := 0; pos < 4; pos++ {
					b := bytes.Clone(src)
					p := b[off : off+n]
					p1 := Mask(key, pos, p)
					if n >= 4 && bytes.Equal(b, src) {
						t.Errorf("key % x, len %d: masking changed nothing", key, n)
					}
					p2 := Mask(key, pos, p)
					if p1 != p2 {
						t.Errorf("key % x, len %d, pos %d: positions %d then %d", key, n, pos, p1, p2)
					}
					if !bytes.Equal(b, src) {
						t.Errorf("key % x, len %d, off %d, pos %d: masking twice did not restore the input", key, n, off, pos)
					}
				}
			}
		}
	}
}

// TestMaskZeroKey checks that an all-zero key leaves data unchanged and
// that masking zeros yields the key repeated from pos.
func TestMaskZeroKey(t *testing.T) {
	b := []byte("Hello, WebSocket! 0123456789 abcdefghijklmnopqrstuvwxyz")
	orig := bytes.Clone(b)
	Mask([4]byte{}, 1, b)
	if !bytes.Equal(b, orig) {
		t.Errorf("zero key changed the data: %q", b)
	}
	key := [4]byte{0xa1, 0xb2, 0xc3, 0xd4}
	for pos := 0; pos < 4; pos++ {
		z := make([]byte, 45)
		Mask(key, pos, z)
		for i, c := range z {
			if want := key[(pos+i)%4]; c != want {
				t.Fatalf("pos %d: zeros masked to %#x at byte %d, want %#x", pos, c, i, want)
			}
		}
	}
}

// FuzzMaskBulk checks the bulk maskers against the byte-at-a-time
// definition on the same input: maskBulk (on amd64 without the purego tag,
// the AVX2 assembly where the CPU has it) and maskWords, the pure-Go code
// the purego tag and other architectures use. Both must mask exactly the
// prefix they report, a multiple of 8 (32 for maskWords), and leave the
// rest and the bytes around b alone.
func FuzzMaskBulk(f *testing.F) {
	f.Add([]byte("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef!"), uint32(0x37fa213d), uint16(0), uint16(65))
	f.Add(bytes.Repeat([]byte{0xa5}, 300), uint32(0x01020408), uint16(3), uint16(257))
	f.Add(bytes.Repeat([]byte{0}, 5000), uint32(0xff00807f), uint16(1), uint16(4099))
	f.Fuzz(func(t *testing.T, data []byte, k uint32, start, length uint16) {
		s := int(start) % (len(data) + 1)
		n := min(int(length), len(data)-s)
		var key [4]byte
		key[0], key[1], key[2], key[3] = byte(k), byte(k>>8), byte(k>>16), byte(k>>24)
		for name, bulk := range map[string]func([]byte, uint32) int{"maskBulk": maskBulk, "maskWords": maskWords} {
			got := bytes.Clone(data)
			m := bulk(got[s:s+n], k)
			if m < 0 || m > n || m%8 != 0 || name == "maskWords" && m != n&^31 {
				t.Fatalf("%s(%d bytes) masked %d", name, n, m)
			}
			want := bytes.Clone(data)
			utMaskRef(key, 0, want[s:s+m])
			if !bytes.Equal(got, want) {
				t.Fatalf("%s(%d bytes at %d, key %#x) differs from the byte loop at byte %d", name, n, s, k, utFirstDiff(got, want))
			}
		}
	})
}

// TestMaskBulkLengths runs the bulk maskers over every length up to 600 at
// every alignment, around the assembly's 32- and 128-byte steps.
func TestMaskBulkLengths(t *testing.T) {
	const k = 0x3d21fa37
	key := [4]byte{0x37, 0xfa, 0x21, 0x3d}
	data := make([]byte, 700)
	rand.New(rand.NewSource(2)).Read(data)
	for off := 0; off < 32; off++ {
		for n := 0; n <= 600; n++ {
			got := bytes.Clone(data)
			m := maskBulk(got[off:off+n], k)
			want := bytes.Clone(data)
			utMaskRef(key, 0, want[off:off+m])
			if m%8 != 0 || m > n || n-m >= 32 || !bytes.Equal(got, want) {
				t.Fatalf("maskBulk(%d bytes at offset %d) masked %d bytes, correctly: %v", n, off, m, bytes.Equal(got, want))
			}
		}
	}
}
