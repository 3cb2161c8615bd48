package websocket

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
)

// ---------------------------------------------------------------------------
// The inflater reading a stream in segments.

// readInflater reads f to its end, piece bytes at a time, and returns up to
// max bytes and the error the stream ended with (nil for a good end).
func readInflater(f *inflater, max, piece int) ([]byte, error) {
	defer putInflater(f)
	out := []byte{}
	buf := make([]byte, piece)
	for len(out) <= max {
		n, err := f.Read(buf)
		out = append(out, buf[:n]...)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
	return out[:max], errors.New("longer than max")
}

// splitSizes cuts in into segments of the given sizes, over and over, the
// last one taking what is left; none is empty.
func splitSizes(in []byte, sizes []int) [][]byte {
	var segs [][]byte
	for i := 0; len(in) > 0; i++ {
		n := min(sizes[i%len(sizes)], len(in))
		segs = append(segs, in[:n])
		in = in[n:]
	}
	return segs
}

// checkSegments checks that the inflater makes the same of in cut into
// segs as of in whole: the same bytes, and the same end.
func checkSegments(t *testing.T, name string, in, dict []byte, segs [][]byte) {
	t.Helper()
	const max = 4 << 20
	want, wantErr := readInflater(getInflater(in, dict), max, 1000)
	got, gotErr := readInflater(getSegmentsInflater(segs, dict), max, 1000)
	if gotErr != wantErr || !bytes.Equal(got, want) {
		t.Errorf("%s, in %d segments: %d bytes, %v; whole: %d bytes, %v", name, len(segs), len(got), gotErr, len(want), wantErr)
	}
}

// storedStream encodes msg as DEFLATE stored blocks of up to size bytes,
// none final, ending with the empty stored block of a sync flush.
func storedStream(msg []byte, size int) []byte {
	var out []byte
	for {
		n := min(size, len(msg))
		out = append(out, 0)
		out = binary.LittleEndian.AppendUint16(out, uint16(n))
		out = binary.LittleEndian.AppendUint16(out, ^uint16(n))
		out = append(out, msg[:n]...)
		msg = msg[n:]
		if n == 0 {
			return out
		}
	}
}

// TestInflateSegments checks that the inflater makes the same of a stream
// in segments as of the stream whole, for streams of every kind (stored,
// fixed and dynamic codes, with and without a dictionary), valid, corrupt
// and cut short, cut into segments of one byte, of a few bytes (so that a
// 64-bit load, a stored block's header or a code spans several), and at
// random.
func TestInflateSegments(t *testing.T) {
	type stream struct {
		name     string
		in, dict []byte
	}
	var streams []stream
	for _, s := range inflateSamples() {
		streams = append(streams, stream{s.name, s.in, s.dict})
		for _, cut := range []int{1, 2, 5, len(s.in) / 2, len(s.in) - 5, len(s.in) - 1} {
			if cut > 0 && cut < len(s.in) {
				streams = append(streams, stream{fmt.Sprintf("%s cut at %d", s.name, cut), s.in[:cut], s.dict})
			}
		}
	}
	for name, in := range map[string][]byte{
		"reserved block type":    {0x07},
		"stored length mismatch": {0x00, 0x05, 0x00, 0x00, 0x00},
		"truncated stored block": {0x00, 0x05, 0x00, 0xfa, 0xff, 'a', 'b'},
		"ends inside fixed":      {0x02, 0x00, 0x00, 0xff, 0xff},
		"distance beyond":        {0x03, 0x02},
		"non-final end only":     {0x02, 0x00},
		"stored then more":       append(storedStream([]byte("hello"), 3), 0x03, 0x00),
		"zeros bomb":             append(zeroBomb(300000), deflateTail...),
		"stored blocks":          storedStream(randomBytes(70000, 3), 1000),
		"stored blocks of 7":     storedStream(randomBytes(500, 4), 7),
	} {
		streams = append(streams, stream{name, in, nil})
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, s := range streams {
		for _, sizes := range [][]int{{1}, {2, 1, 3}, {7}, {8}, {9}, {1, 15}, {4093}} {
			checkSegments(t, fmt.Sprintf("%s, segments of %v", s.name, sizes), s.in, s.dict, splitSizes(s.in, sizes))
		}
		for range 4 {
			var sizes []int
			for range 16 {
				sizes = append(sizes, 1+rng.IntN(1+rng.IntN(300)))
			}
			checkSegments(t, fmt.Sprintf("%s, segments of %v", s.name, sizes), s.in, s.dict, splitSizes(s.in, sizes))
		}
	}
}

// FuzzInflateSegments checks the inflater on any stream cut into segments
// of any sizes against the same stream whole (which FuzzInflateDecoder
// checks against compress/flate).
func FuzzInflateSegments(f *testing.F) {
	for _, s := range inflateSamples() {
		f.Add(s.in, s.dict, []byte{1, 7, 8, 200})
	}
	f.Add(storedStream([]byte("hello, world"), 5), []byte{}, []byte{3, 1})
	f.Add([]byte{0x00, 0x05, 0x00, 0xfa, 0xff, 'a', 'b'}, []byte{}, []byte{0})
	f.Fuzz(func(t *testing.T, in, dict, cuts []byte) {
		if len(in) == 0 {
			return
		}
		sizes := []int{len(in)}
		if len(cuts) > 0 {
			sizes = sizes[:0]
			for _, c := range cuts {
				sizes = append(sizes, 1+int(c))
			}
		}
		checkSegments(t, "stream", in, dict, splitSizes(in, sizes))
	})
}
