package flate

import (
	"bytes"
	stdflate "compress/flate"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/f30c7f75/websocket/internal/flate/flatetest"
)

// refInput is what compress/flate reads in refInflate: the stream, and
// then an empty final block, given only once the stream is known to be at a
// block boundary at its end. compress/flate reads stored blocks' lengths
// and data with Read and everything else with ReadByte, so a Read that ends
// at the end shows a stored block ending there; a stream cut anywhere else
// asks for more without one.
type refInput struct {
	b        []byte
	off      int
	boundary bool
	final    int
}

var refFinalBlock = []byte{0x03, 0x00} // final, fixed codes, end of block

func (in *refInput) ReadByte() (byte, error) {
	if in.off < len(in.b) {
		in.off++
		return in.b[in.off-1], nil
	}
	if in.boundary && in.final < len(refFinalBlock) {
		in.final++
		return refFinalBlock[in.final-1], nil
	}
	return 0, io.ErrUnexpectedEOF
}

func (in *refInput) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if in.off == len(in.b) {
		return 0, io.ErrUnexpectedEOF
	}
	n := copy(p, in.b[in.off:])
	in.off += n
	in.boundary = in.off == len(in.b)
	return n, nil
}

var errLongerThanMax = errors.New("longer than max")

// refInflate inflates in, primed with dict, as a Reader must: with
// compress/flate, ending the stream as the package's doc says. It returns
// up to max bytes and how the stream ended, in a Reader's terms: nil for a
// good end, ErrCorrupt where compress/flate finds the input corrupt,
// ErrTruncated where it asks for more, and errLongerThanMax for more than
// max bytes.
func refInflate(in, dict []byte, max int) ([]byte, error) {
	if len(in) == 0 {
		return []byte{}, nil
	}
	zr := stdflate.NewReaderDict(&refInput{b: in}, dict)
	out, err := io.ReadAll(io.LimitReader(zr, int64(max)+1))
	var corrupt stdflate.CorruptInputError
	switch {
	case len(out) > max:
		return out[:max], errLongerThanMax
	case err == nil:
		return out, nil
	case errors.As(err, &corrupt):
		return out, ErrCorrupt
	case err == io.ErrUnexpectedEOF:
		return out, ErrTruncated
	}
	return out, fmt.Errorf("compress/flate: %w", err)
}

// readAll reads r to its end, piece bytes at a time, and returns up to
// max bytes and the error the stream ended with (nil for a good end).
func readAll(r *Reader, max, piece int) ([]byte, error) {
	out := []byte{}
	buf := make([]byte, piece)
	for len(out) <= max {
		n, err := r.Read(buf)
		out = append(out, buf[:n]...)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
	return out[:max], errLongerThanMax
}

// inflateAll inflates in, primed with dict, reading it piece bytes at a
// time, and returns up to max bytes and how the stream ended, as readAll.
func inflateAll(in, dict []byte, max, piece int) ([]byte, error) {
	return readAll(NewReader(in, dict), max, piece)
}

type inflateSample struct {
	name     string
	in, dict []byte
	want     []byte
}

// inflateSamples are streams as peers send them: compressed by
// compress/flate at every level, in messages that end with a sync
// flush, with and without a dictionary, and with repeats long enough to
// slide the window.
func inflateSamples() []inflateSample {
	rng := rand.New(rand.NewPCG(1, 2))
	text := []byte(strings.Repeat(`{"user":"ada","text":"hello, world","seq":12345,"tags":["a","b"]}`, 40))
	random := make([]byte, 5000)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	long := bytes.Repeat([]byte("abcdefghij"), 20000) // 200 KB: slides the window
	var samples []inflateSample
	for _, level := range []int{stdflate.HuffmanOnly, stdflate.NoCompression, 1, 5, 9} {
		for _, src := range []struct {
			name       string
			data, dict []byte
		}{
			{"text", text, nil},
			{"random", random, nil},
			{"long", long, nil},
			{"text-dict", text[100:], text[:100]},
			{"short", []byte("a"), nil},
		} {
			var z bytes.Buffer
			fw, _ := stdflate.NewWriterDict(&z, level, src.dict)
			fw.Write(src.data)
			fw.Flush()
			samples = append(samples, inflateSample{
				name: fmt.Sprintf("%s/level-%d", src.name, level), in: z.Bytes(), dict: src.dict, want: src.data,
			})
		}
	}
	return samples
}

// TestReaderSamples checks what a Reader makes of well-formed streams,
// read in pieces of several sizes.
func TestReaderSamples(t *testing.T) {
	for _, s := range inflateSamples() {
		for _, piece := range []int{1, 1000, 64 << 10} {
			got, err := inflateAll(s.in, s.dict, 1<<20, piece)
			if err != nil || !bytes.Equal(got, s.want) {
				t.Errorf("%s, pieces of %d: %d bytes, %v; want %d bytes", s.name, piece, len(got), err, len(s.want))
			}
		}
	}
}

// rejectedStreams are streams compress/flate refuses, each for its own
// reason.
var rejectedStreams = map[string][]byte{
	"reserved block type":         {0x07},
	"stored length mismatch":      {0x00, 0x05, 0x00, 0x00, 0x00},
	"truncated stored block":      {0x00, 0x05, 0x00, 0xfa, 0xff, 'a', 'b'},
	"ends inside fixed block":     {0x02, 0x00, 0x00, 0xff, 0xff}, // fixed block, not final, running into a sync flush's bytes
	"distance beyond history":     {0x03, 0x02},                   // fixed, final: a match at distance 1 before any output
	"nothing but a non-final end": {0x02, 0x00},
}

// TestReaderRejects checks that a Reader refuses the streams
// compress/flate refuses, with the error that says why, as compress/flate
// does.
func TestReaderRejects(t *testing.T) {
	want := map[string]error{
		"reserved block type":         ErrCorrupt,
		"stored length mismatch":      ErrCorrupt,
		"truncated stored block":      ErrTruncated,
		"ends inside fixed block":     ErrTruncated,
		"distance beyond history":     ErrCorrupt,
		"nothing but a non-final end": ErrTruncated,
	}
	for name, in := range rejectedStreams {
		if _, err := refInflate(in, nil, 1<<20); err != want[name] {
			t.Errorf("%s: compress/flate: %v; the case is wrong", name, err)
			continue
		}
		if _, err := inflateAll(in, nil, 1<<20, 100); err != want[name] {
			t.Errorf("%s: %v, want %v", name, err, want[name])
		}
	}
}

// TestReaderReset checks that a Reader given stream after stream with
// Reset inflates each as a new Reader does, that only the last 32 KiB of a
// dictionary count, and that Reset(nil, nil) leaves an empty stream.
func TestReaderReset(t *testing.T) {
	samples := inflateSamples()
	r := NewReader(nil, nil)
	for _, s := range samples {
		r.Reset(s.in, s.dict)
		got, err := readAll(r, 1<<20, 4096)
		if err != nil || !bytes.Equal(got, s.want) {
			t.Fatalf("%s after Reset: %d bytes, %v", s.name, len(got), err)
		}
	}
	// A match at the greatest distance, into a dictionary twice as long.
	dict := flatetest.RandomBytes(64<<10, 1)
	var z bytes.Buffer
	fw, _ := stdflate.NewWriterDict(&z, 9, dict)
	msg := dict[32<<10 : 32<<10+300]
	fw.Write(msg)
	fw.Flush()
	if res, err := flatetest.Inflate(z.Bytes(), dict); err != nil || res.MaxDist != 32<<10 {
		t.Fatalf("the reference: %v, distance %d; want a match 32 KiB back", err, res.MaxDist)
	}
	r.Reset(z.Bytes(), dict)
	if got, err := readAll(r, 1<<20, 4096); err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("with a 64 KiB dictionary: %d bytes, %v", len(got), err)
	}
	r.Reset(nil, nil)
	if n, err := r.Read(make([]byte, 10)); n != 0 || err != io.EOF {
		t.Fatalf("after Reset(nil, nil): %d, %v; want 0, EOF", n, err)
	}
}

// TestReaderProgress checks Progress and Buffered as a stream is read a
// few bytes at a time: what was decoded never goes back nor past the
// input, what is buffered is what the window holds beyond what Read gave,
// and a sync-flushed stream is decoded to its last byte at its end.
func TestReaderProgress(t *testing.T) {
	for _, s := range inflateSamples() {
		r := NewReader(s.in, s.dict)
		buf := make([]byte, 100)
		last, produced, delivered := 0, 0, 0
		for {
			n, err := r.Read(buf)
			delivered += n
			read, total := r.Progress()
			if total != len(s.in) || read < last || read > total {
				t.Fatalf("%s: progress %d of %d after %d; the input is %d bytes", s.name, read, total, last, len(s.in))
			}
			last = read
			if n < len(buf) && r.Buffered() != 0 {
				t.Fatalf("%s: %d bytes buffered after a short read", s.name, r.Buffered())
			}
			produced = max(produced, delivered+r.Buffered())
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
		}
		if last != len(s.in) || produced != len(s.want) {
			t.Errorf("%s at the end: progress %d of %d, %d bytes produced of %d", s.name, last, len(s.in), produced, len(s.want))
		}
	}
}

// splitSizes cuts in into segments of the given sizes, over and over, the
// last one taking what is left; a size of 0 makes an empty segment.
func splitSizes(in []byte, sizes []int) [][]byte {
	if slices.Max(sizes) == 0 {
		return [][]byte{{}, in}
	}
	var segs [][]byte
	for i := 0; len(in) > 0; i++ {
		n := min(sizes[i%len(sizes)], len(in))
		segs = append(segs, in[:n])
		in = in[n:]
	}
	return segs
}

// checkSegments checks that a Reader makes the same of in cut into segs,
// and into segs with empty segments around each, as of in whole: the same
// bytes, and the same end.
func checkSegments(t *testing.T, name string, in, dict []byte, segs [][]byte) {
	t.Helper()
	const max = 4 << 20
	want, wantErr := readAll(NewReader(in, dict), max, 1000)
	r := NewReader(nil, nil)
	r.ResetSegments(segs, dict)
	got, gotErr := readAll(r, max, 1000)
	if gotErr != wantErr || !bytes.Equal(got, want) {
		t.Errorf("%s, in %d segments: %d bytes, %v; whole: %d bytes, %v", name, len(segs), len(got), gotErr, len(want), wantErr)
	}
	padded := [][]byte{nil}
	for _, s := range segs {
		padded = append(padded, s, []byte{})
	}
	r.ResetSegments(padded, dict)
	got, gotErr = readAll(r, max, 1000)
	if gotErr != wantErr || !bytes.Equal(got, want) {
		t.Errorf("%s, in %d segments with empty ones between: %d bytes, %v; whole: %d bytes, %v", name, len(segs), len(got), gotErr, len(want), wantErr)
	}
}

// zeros returns n zero bytes compressed by compress/flate at its best: a
// dynamic block of the longest matches, a few bits each.
func zeros(n int) []byte {
	var z bytes.Buffer
	fw, _ := stdflate.NewWriter(&z, stdflate.BestCompression)
	fw.Write(make([]byte, n))
	fw.Flush()
	return z.Bytes()
}

// TestReaderSegments checks that a Reader makes the same of a stream in
// segments as of the stream whole, for streams of every kind (stored,
// fixed and dynamic codes, with and without a dictionary), valid, corrupt
// and cut short, cut into segments of one byte, of a few bytes (so that a
// 64-bit load, a stored block's header or a code spans several), with
// empty ones among them, and at random.
func TestReaderSegments(t *testing.T) {
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
	for name, in := range rejectedStreams {
		streams = append(streams, stream{name, in, nil})
	}
	for name, in := range map[string][]byte{
		"stored then more":   append(flatetest.StoredBlocks([]byte("hello"), 3), 0x03, 0x00),
		"zeros":              zeros(300000),
		"stored blocks":      flatetest.StoredBlocks(flatetest.RandomBytes(70000, 3), 1000),
		"stored blocks of 7": flatetest.StoredBlocks(flatetest.RandomBytes(500, 4), 7),
	} {
		streams = append(streams, stream{name, in, nil})
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, s := range streams {
		for _, sizes := range [][]int{{1}, {2, 1, 3}, {7}, {8}, {9}, {1, 15}, {0, 5, 0}, {4093}} {
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
