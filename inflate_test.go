package websocket

import (
	"bytes"
	stdflate "compress/flate"
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/klauspost/compress/flate"
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
	return 0, errTruncatedDeflate
}

func (in *refInput) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if in.off == len(in.b) {
		return 0, errTruncatedDeflate
	}
	n := copy(p, in.b[in.off:])
	in.off += n
	in.boundary = in.off == len(in.b)
	return n, nil
}

// refInflate inflates in, primed with dict, as the inflater must: with
// compress/flate, ending the stream as the inflater's doc says. It returns
// up to max bytes and whether the stream ended well (false also when it
// had more than max bytes).
func refInflate(in, dict []byte, max int) ([]byte, bool) {
	if len(in) == 0 {
		return []byte{}, true
	}
	zr := stdflate.NewReaderDict(&refInput{b: in}, dict)
	out, err := io.ReadAll(io.LimitReader(zr, int64(max)+1))
	if len(out) > max {
		return out[:max], false
	}
	return out, err == nil
}

// inflateAll inflates in, primed with dict, reading it piece bytes at a
// time; it returns up to max bytes and whether the stream ended well.
func inflateAll(in, dict []byte, max, piece int) ([]byte, bool, error) {
	out, err := readInflater(getInflater(in, dict), max, piece)
	switch {
	case err == nil:
		return out, true, nil
	case err == errLongerThanMax, errors.Is(err, errCorruptDeflate), errors.Is(err, errTruncatedDeflate):
		return out, false, nil
	}
	return out, false, err
}

// FuzzInflateDecoder checks the inflater against compress/flate on any
// input: the same bytes out, and the same verdict.
func FuzzInflateDecoder(f *testing.F) {
	for _, s := range inflateSamples() {
		f.Add(s.in, s.dict, uint16(7))
	}
	f.Add([]byte{}, []byte{}, uint16(0))
	f.Add([]byte{0x03, 0x00}, []byte{}, uint16(1))
	f.Add([]byte{0x00, 0x00, 0x00, 0xff, 0xff}, []byte{}, uint16(1))
	f.Add([]byte{0x01, 0x00, 0x00, 0xff, 0xff, 0x00}, []byte{}, uint16(1))
	f.Add([]byte{0x05, 0xc0, 0x00}, []byte{}, uint16(1)) // truncated dynamic header
	f.Fuzz(func(t *testing.T, in, dict []byte, opts uint16) {
		piece := []int{1, 3, 100, 64 << 10}[opts&3]
		max := 1 << 20
		if opts&4 != 0 {
			max = int(opts >> 3)
		}
		want, wantOK := refInflate(in, dict, max)
		got, gotOK, err := inflateAll(in, dict, max, piece)
		if err != nil {
			t.Fatalf("unexpected error %v", err)
		}
		if gotOK != wantOK {
			t.Fatalf("ended well: %v, compress/flate: %v", gotOK, wantOK)
		}
		if !bytes.Equal(got, want) {
			i := 0
			for i < min(len(got), len(want)) && got[i] == want[i] {
				i++
			}
			t.Fatalf("inflated %d bytes, compress/flate %d; they differ from byte %d", len(got), len(want), i)
		}
	})
}

type inflateSample struct {
	name     string
	in, dict []byte
	want     []byte
}

// inflateSamples are streams as peers send them: compressed by
// klauspost/compress at every level, in messages that end with a sync
// flush (the tail put back), with and without a dictionary, and with
// repeats long enough to slide the window.
func inflateSamples() []inflateSample {
	rng := rand.New(rand.NewPCG(1, 2))
	text := []byte(strings.Repeat(`{"user":"ada","text":"hello, world","seq":12345,"tags":["a","b"]}`, 40))
	random := make([]byte, 5000)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	long := bytes.Repeat([]byte("abcdefghij"), 20000) // 200 KB: slides the window
	var samples []inflateSample
	for _, level := range []int{flate.HuffmanOnly, flate.NoCompression, 1, 5, 9} {
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
			fw, _ := flate.NewWriterDict(&z, level, src.dict)
			fw.Write(src.data)
			fw.Flush() // ends with the tail, as the inflater receives it
			samples = append(samples, inflateSample{
				name: src.name, in: z.Bytes(), dict: src.dict, want: src.data,
			})
		}
	}
	return samples
}

// TestInflateSamples checks what the inflater makes of well-formed streams,
// read in pieces of several sizes.
func TestInflateSamples(t *testing.T) {
	for _, s := range inflateSamples() {
		for _, piece := range []int{1, 1000, 64 << 10} {
			got, ok, err := inflateAll(s.in, s.dict, 1<<20, piece)
			if err != nil || !ok || !bytes.Equal(got, s.want) {
				t.Errorf("%s, pieces of %d: %d bytes, ok %v, err %v; want %d bytes", s.name, piece, len(got), ok, err, len(s.want))
			}
		}
	}
}

// TestInflateRejects checks streams the inflater must refuse, each as
// compress/flate refuses it.
func TestInflateRejects(t *testing.T) {
	for name, in := range map[string][]byte{
		"reserved block type":         {0x07},
		"stored length mismatch":      {0x00, 0x05, 0x00, 0x00, 0x00},
		"truncated stored block":      {0x00, 0x05, 0x00, 0xfa, 0xff, 'a', 'b'},
		"ends inside fixed block":     {0x02, 0x00, 0x00, 0xff, 0xff}, // fixed block, not final, running into the tail
		"distance beyond history":     {0x03, 0x02},                   // fixed, final: a match at distance 1 before any output
		"nothing but a non-final end": {0x02, 0x00},
	} {
		if _, ok := refInflate(in, nil, 1<<20); ok {
			t.Errorf("%s: compress/flate accepts it; the case is wrong", name)
			continue
		}
		if _, ok, err := inflateAll(in, nil, 1<<20, 100); ok || err != nil {
			t.Errorf("%s: ok %v, err %v; want refused", name, ok, err)
		}
	}
}
