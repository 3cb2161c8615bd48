package flate

import (
	"bytes"
	stdflate "compress/flate"
	"io"
	"testing"

	"github.com/f30c7f75/websocket/internal/flate/flatetest"
)

// The fuzz targets of the codec. Each holds the package to what its doc
// promises, against compress/flate and the reference decoder of flatetest:
//
//   - FuzzDeflater: what a Writer sends inflates back, within its window;
//   - FuzzInflateDecoder: a Reader accepts and rejects what compress/flate
//     does, with the same bytes out;
//   - FuzzInflateSegments: a Reader makes the same of a stream in segments
//     as of the stream whole.
//
// To fuzz one (one target and one package per run):
//
//	go test -run '^$' -fuzz '^FuzzInflateDecoder$' -fuzztime 1m ./internal/flate

// FuzzDeflater compresses arbitrary messages, written in arbitrary pieces,
// with a window of 8 to 15 bits and with or without context takeover, and
// checks what the peer would do with them: compress/flate gives each back
// (after the ones before it, with context takeover), and no back-reference
// reaches beyond the window (the reference decoder).
func FuzzDeflater(f *testing.F) {
	f.Add([]byte("\x0f\x00hello hello hello hello"))
	f.Add(append([]byte{0x17, 0x10}, flatetest.JSONLike(3000, 1)...))
	f.Add(append([]byte{0x08, 0xff}, append(bytes.Repeat([]byte("abc"), 100), 0xff)...))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 2 {
			return
		}
		bits, context, chunk := 8+int(data[0]&7), data[0]&8 != 0, 1+int(data[1])*97
		data = data[2:]
		// Messages: data cut at every 0xfe byte, with a long one made of
		// data repeated when data ends in 0xff.
		msgs := bytes.Split(data, []byte{0xfe})
		if len(data) > 0 && data[len(data)-1] == 0xff {
			msgs = append(msgs, bytes.Repeat(data, 1+70000/len(data)))
		}
		var stream bytes.Buffer
		w := newWriter(t, &stream, bits)
		var hist []byte
		for i, m := range msgs {
			if !context {
				stream.Reset()
				w.Reset(&stream)
				hist = nil
			}
			start := stream.Len()
			for p := m; len(p) > 0; {
				n := min(len(p), chunk)
				w.Write(p[:n])
				p = p[n:]
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			out := stream.Bytes()[start:]
			res, err := flatetest.Inflate(out, hist)
			if err != nil || !bytes.Equal(res.Out, m) {
				t.Fatalf("message %d of %d bytes: the reference: %v", i, len(m), err)
			}
			if res.MaxDist > 1<<bits {
				t.Fatalf("message %d: a back-reference of %d bytes in a window of %d", i, res.MaxDist, 1<<bits)
			}
			hist = append(hist, m...)
			hist = hist[max(0, len(hist)-1<<bits):]
			if !context {
				final := []byte{1, 0, 0, 0xff, 0xff} // an empty final stored block
				got, err := io.ReadAll(stdflate.NewReader(io.MultiReader(bytes.NewReader(out), bytes.NewReader(final))))
				if err != nil || !bytes.Equal(got, m) {
					t.Fatalf("message %d: compress/flate: %v", i, err)
				}
			}
		}
		if context {
			want := bytes.Join(msgs, nil)
			got := make([]byte, len(want))
			if _, err := io.ReadFull(stdflate.NewReader(&stream), got); err != nil || !bytes.Equal(got, want) {
				t.Fatalf("compress/flate on the whole stream: %v", err)
			}
		}
	})
}

// FuzzInflateDecoder checks a Reader against compress/flate on any input:
// the same bytes out, and the same verdict (a good end, corrupt input or
// input cut short).
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
		want, wantErr := refInflate(in, dict, max)
		got, err := inflateAll(in, dict, max, piece)
		if err != wantErr {
			t.Fatalf("the stream ended with %v; with compress/flate, %v", err, wantErr)
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

// FuzzInflateSegments checks a Reader on any stream cut into segments of
// any sizes, some empty, against the same stream whole (which
// FuzzInflateDecoder checks against compress/flate).
func FuzzInflateSegments(f *testing.F) {
	for _, s := range inflateSamples() {
		f.Add(s.in, s.dict, []byte{1, 7, 8, 200})
	}
	f.Add(flatetest.StoredBlocks([]byte("hello, world"), 5), []byte{}, []byte{3, 1})
	f.Add([]byte{0x00, 0x05, 0x00, 0xfa, 0xff, 'a', 'b'}, []byte{}, []byte{0})
	f.Add(flatetest.StoredBlocks([]byte("hello"), 2), []byte{}, []byte{0, 4, 0})
	f.Fuzz(func(t *testing.T, in, dict, cuts []byte) {
		if len(in) == 0 {
			return
		}
		sizes := []int{len(in)}
		if len(cuts) > 0 {
			sizes = sizes[:0]
			for _, c := range cuts {
				sizes = append(sizes, int(c))
			}
		}
		checkSegments(t, "stream", in, dict, splitSizes(in, sizes))
	})
}
