package flate

import (
	"bytes"
	stdflate "compress/flate"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"testing"

	"github.com/f30c7f75/websocket/internal/flate/flatetest"
)

// syncFlushTail ends the output of every Flush.
var syncFlushTail = []byte{0x00, 0x00, 0xff, 0xff}

// writerInputs are messages of the shapes a Writer meets: empty, tiny,
// text, JSON, long runs, bytes that do not compress, and sizes around the
// block and window sizes.
func writerInputs() [][]byte {
	rng := rand.New(rand.NewSource(1))
	random := func(n int) []byte {
		b := make([]byte, n)
		rng.Read(b)
		return b
	}
	return [][]byte{
		{},
		[]byte("a"),
		[]byte("hello hello hello hello"),
		flatetest.JSONLike(1024, 1),
		flatetest.JSONLike(70000, 2),
		bytes.Repeat([]byte{0}, 100000),
		bytes.Repeat([]byte("ab"), 40000),
		random(3000),
		random(blockSize + 1),
		append(random(40000), flatetest.JSONLike(40000, 3)...),
		flatetest.JSONLike(blockSize, 4),
		flatetest.JSONLike(1<<15+7, 5),
	}
}

// newWriter returns a Writer with a window of bits, sending to dst.
func newWriter(t testing.TB, dst io.Writer, bits int) *Writer {
	t.Helper()
	w, err := NewWriter(dst, bits)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// deflateAll compresses msgs as the messages of one stream going to out,
// with Flush after each, writing each in pieces of random size, and
// returns each message's output.
func deflateAll(t testing.TB, w *Writer, out *bytes.Buffer, msgs [][]byte, rng *rand.Rand) [][]byte {
	var outs [][]byte
	for _, m := range msgs {
		start := out.Len()
		for p := m; len(p) > 0; {
			n := min(len(p), 1+rng.Intn(3*blockSize/2))
			if k, err := w.Write(p[:n]); k != n || err != nil {
				t.Fatalf("Write: %d, %v", k, err)
			}
			p = p[n:]
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		msg := out.Bytes()[start:]
		if !bytes.HasSuffix(msg, syncFlushTail) {
			t.Fatalf("output does not end with a sync flush: % x", msg[max(0, len(msg)-8):])
		}
		outs = append(outs, bytes.Clone(msg))
	}
	return outs
}

// TestWriterRoundTrip compresses a stream of messages with context
// takeover and without it, at every window size, and checks that
// compress/flate and the reference decoder (with the history the peer
// keeps) give them back, that no back-reference reaches beyond the window,
// and that what compresses does.
func TestWriterRoundTrip(t *testing.T) {
	msgs := writerInputs()
	for bits := MinWindowBits; bits <= MaxWindowBits; bits++ {
		for _, noContext := range []bool{false, true} {
			t.Run(fmt.Sprintf("%d/noContext=%v", bits, noContext), func(t *testing.T) {
				rng := rand.New(rand.NewSource(int64(bits)))
				var out bytes.Buffer
				w := newWriter(t, &out, bits)
				var outs [][]byte
				if noContext {
					for _, m := range msgs {
						w.Reset(&out)
						outs = append(outs, deflateAll(t, w, &out, [][]byte{m}, rng)...)
					}
				} else {
					outs = deflateAll(t, w, &out, msgs, rng)
				}
				var hist []byte
				for i, m := range msgs {
					if noContext {
						hist = nil
					}
					res, err := flatetest.Inflate(outs[i], hist)
					if err != nil || !bytes.Equal(res.Out, m) {
						t.Fatalf("message %d (%d bytes): the reference gave %d bytes, %v", i, len(m), len(res.Out), err)
					}
					if res.MaxDist > 1<<bits {
						t.Fatalf("message %d: a back-reference reaches %d bytes, beyond the window of %d", i, res.MaxDist, 1<<bits)
					}
					hist = append(hist, m...)
					hist = hist[max(0, len(hist)-1<<bits):]
					if len(m) >= 1000 && bytes.Count(m, m[:1]) > len(m)/2 && len(outs[i]) > len(m)/10 {
						t.Errorf("message %d: %d bytes of runs compressed to %d", i, len(m), len(outs[i]))
					}
				}
				if noContext {
					return
				}
				// compress/flate reads the whole stream at once.
				want := bytes.Join(msgs, nil)
				got := make([]byte, len(want))
				if _, err := io.ReadFull(stdflate.NewReader(&out), got); err != nil || !bytes.Equal(got, want) {
					t.Fatalf("compress/flate: %v, equal %v", err, bytes.Equal(got, want))
				}
			})
		}
	}
}

// TestWriterDict checks that ResetDict's history is referred to, within
// the window.
func TestWriterDict(t *testing.T) {
	dict := flatetest.JSONLike(8000, 7)
	msg := dict[3000:4000]
	for _, bits := range []int{9, 12, 15} {
		var out bytes.Buffer
		w := newWriter(t, nil, bits)
		w.ResetDict(&out, dict)
		w.Write(msg)
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		win := dict[max(0, len(dict)-1<<bits):]
		res, err := flatetest.Inflate(out.Bytes(), win)
		if err != nil || !bytes.Equal(res.Out, msg) {
			t.Fatalf("bits %d: %v", bits, err)
		}
		if res.MaxDist > 1<<bits {
			t.Fatalf("bits %d: distance %d beyond the window", bits, res.MaxDist)
		}
		if bits == 15 && out.Len() > 100 {
			t.Errorf("a message in the history took %d bytes", out.Len())
		}
	}
}

// TestNewWriterWindowBits checks that NewWriter takes the windows RFC 7692
// allows and refuses the others.
func TestNewWriterWindowBits(t *testing.T) {
	for bits := -1; bits <= 17; bits++ {
		w, err := NewWriter(io.Discard, bits)
		ok := bits >= MinWindowBits && bits <= MaxWindowBits
		if (err == nil) != ok || (w != nil) != ok {
			t.Errorf("NewWriter(%d bits): %v, %v; want it to succeed: %v", bits, w, err, ok)
		}
	}
}

// failWriter fails every write after the first n bytes.
type failWriter struct{ n int }

var errFailWriter = errors.New("write refused")

func (f *failWriter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		return 0, errFailWriter
	}
	f.n -= len(p)
	return len(p), nil
}

// TestWriterDstError checks that an error from the destination comes back
// from Write or Flush and from every call after, until Reset.
func TestWriterDstError(t *testing.T) {
	w := newWriter(t, &failWriter{n: 100}, 15)
	msg := flatetest.RandomBytes(3*blockSize, 1)
	if _, err := w.Write(msg); !errors.Is(err, errFailWriter) {
		t.Fatalf("Write of %d bytes: %v, want the destination's error", len(msg), err)
	}
	if _, err := w.Write([]byte("x")); !errors.Is(err, errFailWriter) {
		t.Fatalf("Write after the error: %v", err)
	}
	if err := w.Flush(); !errors.Is(err, errFailWriter) {
		t.Fatalf("Flush after the error: %v", err)
	}
	var out bytes.Buffer
	w.Reset(&out)
	if _, err := w.Write([]byte("hello")); err != nil {
		t.Fatalf("Write after Reset: %v", err)
	}
	if err := w.Flush(); err != nil {
		t.Fatalf("Flush after Reset: %v", err)
	}
	if res, err := flatetest.Inflate(out.Bytes(), nil); err != nil || string(res.Out) != "hello" {
		t.Fatalf("after Reset: %q, %v", res.Out, err)
	}
}
