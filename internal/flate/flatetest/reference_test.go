package flatetest

import (
	"bytes"
	"compress/flate"
	"math/rand"
	"testing"
)

// TestInflate checks the reference decoder against compress/flate on data
// of three kinds at every level, with and without a dictionary and with
// several flushes; that it ends a sync-flushed stream at its block
// boundary and refuses one cut short; and that it measures distances into
// the dictionary from the dictionary's end.
func TestInflate(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, level := range []int{flate.HuffmanOnly, flate.NoCompression, 1, 2, 5, 6, 9} {
		for _, n := range []int{0, 1, 100, 5000, 70000} {
			for _, kind := range []string{"random", "mixed", "text"} {
				var data []byte
				switch kind {
				case "random":
					data = RandomBytes(n, rng.Int63())
				case "mixed":
					data = MixedBinary(n, rng.Int63())
				default:
					data = JSONLike(n, rng.Int63())
				}
				dict := JSONLike(rng.Intn(40000), rng.Int63())
				var buf bytes.Buffer
				fw, _ := flate.NewWriterDict(&buf, level, dict)
				var cuts []int
				for i := 0; i < 3; i++ {
					cuts = append(cuts, rng.Intn(n+1))
				}
				prev := 0
				for _, c := range cuts {
					if c > prev {
						fw.Write(data[prev:c])
						prev = c
					}
					fw.Flush()
				}
				fw.Write(data[prev:])
				fw.Close()
				res, err := Inflate(buf.Bytes(), dict)
				if err != nil || !bytes.Equal(res.Out, data) || !res.Final || res.Rest != 0 {
					t.Fatalf("level %d, %d %s bytes: %v, %d bytes out, final %v, rest %d", level, n, kind, err, len(res.Out), res.Final, res.Rest)
				}
				if res.MaxDist > 32768 {
					t.Fatalf("level %d: distance %d", level, res.MaxDist)
				}
			}
		}
	}
	// A sync-flushed stream ends at a block boundary, with a stored block;
	// cut inside a block it is reported truncated.
	var buf bytes.Buffer
	fw, _ := flate.NewWriter(&buf, 6)
	text := JSONLike(3000, 7)
	fw.Write(text)
	fw.Flush()
	res, err := Inflate(buf.Bytes(), nil)
	if err != nil || !bytes.Equal(res.Out, text) || res.Final || !res.Stored {
		t.Fatalf("sync-flushed stream: %v, %d bytes, final %v, stored %v", err, len(res.Out), res.Final, res.Stored)
	}
	if _, err := Inflate(buf.Bytes()[:buf.Len()/2], nil); err == nil {
		t.Fatal("a stream cut in half decoded without error")
	}
	// A back-reference into the dictionary is measured from the end of the
	// dictionary.
	dict := RandomBytes(1000, 3)
	buf.Reset()
	fw, _ = flate.NewWriterDict(&buf, 9, dict)
	fw.Write(dict[:500])
	fw.Flush()
	if res, err := Inflate(buf.Bytes(), dict); err != nil || !bytes.Equal(res.Out, dict[:500]) || res.MaxDist != 1000 {
		t.Fatalf("reference into the dictionary: %v, max distance %d, want 1000", err, res.MaxDist)
	}
	if _, err := Inflate(buf.Bytes(), dict[1:]); err == nil {
		t.Fatal("a reference before the start of the history decoded without error")
	}
}

// TestStoredBlocks checks StoredBlocks' streams with compress/flate: they
// inflate to the message, and end where a sync flush ends.
func TestStoredBlocks(t *testing.T) {
	for _, tc := range []struct{ n, size int }{{0, 10}, {1, 10}, {10, 10}, {70000, 65535}, {500, 7}} {
		msg := RandomBytes(tc.n, int64(tc.n))
		in := StoredBlocks(msg, tc.size)
		if !bytes.HasSuffix(in, []byte{0, 0, 0, 0xff, 0xff}) {
			t.Fatalf("%d bytes in blocks of %d: the stream ends % x", tc.n, tc.size, in[max(0, len(in)-5):])
		}
		res, err := Inflate(in, nil)
		if err != nil || !bytes.Equal(res.Out, msg) || !res.Stored || res.Final {
			t.Fatalf("%d bytes in blocks of %d: %v, %d bytes", tc.n, tc.size, err, len(res.Out))
		}
		if want := tc.n/tc.size + 1 + min(1, tc.n%tc.size); res.Blocks != want {
			t.Errorf("%d bytes in blocks of %d: %d blocks, want %d", tc.n, tc.size, res.Blocks, want)
		}
	}
}
