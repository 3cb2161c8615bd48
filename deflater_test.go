package websocket

import (
	"bytes"
	"compress/flate"
	"fmt"
	"io"
	"math/rand"
	"testing"
)

// deflaterInputs are messages of the shapes a deflater meets: empty, tiny,
// text, JSON, long runs, bytes that do not compress, and sizes around the
// block and window sizes.
func deflaterInputs() [][]byte {
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
		jsonLike(1024, 1),
		jsonLike(70000, 2),
		bytes.Repeat([]byte{0}, 100000),
		bytes.Repeat([]byte("ab"), 40000),
		random(3000),
		random(deflateBlock + 1),
		append(random(40000), jsonLike(40000, 3)...),
		jsonLike(deflateBlock, 4),
		jsonLike(1<<15+7, 5),
	}
}

// deflateAll compresses msgs as the messages of one stream, with Flush
// after each, writing each in pieces of random size, and returns each
// message's output.
func deflateAll(t testing.TB, d *deflater, msgs [][]byte, rng *rand.Rand) [][]byte {
	var outs [][]byte
	for _, m := range msgs {
		var out bytes.Buffer
		d.dst = &out
		for p := m; len(p) > 0; {
			n := min(len(p), 1+rng.Intn(3*deflateBlock/2))
			if k, err := d.Write(p[:n]); k != n || err != nil {
				t.Fatalf("Write: %d, %v", k, err)
			}
			p = p[n:]
		}
		if err := d.Flush(); err != nil {
			t.Fatal(err)
		}
		if !bytes.HasSuffix(out.Bytes(), deflateTail) {
			t.Fatalf("output does not end with a sync flush: % x", out.Bytes()[max(0, out.Len()-8):])
		}
		outs = append(outs, out.Bytes())
	}
	return outs
}

// TestDeflaterRoundTrip compresses a stream of messages with context
// takeover and without it, at every window size, and checks that
// compress/flate and tinflate (with the history the peer keeps) give them
// back, that no back-reference reaches beyond the window, and that what
// compresses does.
func TestDeflaterRoundTrip(t *testing.T) {
	msgs := deflaterInputs()
	for bits := 8; bits <= 15; bits++ {
		for _, noContext := range []bool{false, true} {
			t.Run(fmt.Sprintf("%d/noContext=%v", bits, noContext), func(t *testing.T) {
				rng := rand.New(rand.NewSource(int64(bits)))
				d := newDeflater(nil, bits)
				var outs [][]byte
				if noContext {
					for _, m := range msgs {
						d.Reset(nil)
						outs = append(outs, deflateAll(t, d, [][]byte{m}, rng)...)
					}
				} else {
					outs = deflateAll(t, d, msgs, rng)
				}
				var hist []byte
				var stream []byte
				for i, m := range msgs {
					if noContext {
						hist = nil
					}
					res, err := tinflate(outs[i], hist)
					if err != nil || !bytes.Equal(res.out, m) {
						t.Fatalf("message %d (%d bytes): tinflate gave %d bytes, %v", i, len(m), len(res.out), err)
					}
					if res.maxDist > 1<<bits {
						t.Fatalf("message %d: a back-reference reaches %d bytes, beyond the window of %d", i, res.maxDist, 1<<bits)
					}
					hist = append(hist, m...)
					hist = hist[max(0, len(hist)-1<<bits):]
					if len(m) >= 1000 && bytes.Count(m, m[:1]) > len(m)/2 && len(outs[i]) > len(m)/10 {
						t.Errorf("message %d: %d bytes of runs compressed to %d", i, len(m), len(outs[i]))
					}
					stream = append(stream, outs[i]...)
				}
				if noContext {
					return
				}
				// compress/flate reads the whole stream at once.
				want := bytes.Join(msgs, nil)
				got := make([]byte, len(want))
				if _, err := io.ReadFull(flate.NewReader(bytes.NewReader(stream)), got); err != nil || !bytes.Equal(got, want) {
					t.Fatalf("compress/flate: %v, equal %v", err, bytes.Equal(got, want))
				}
			})
		}
	}
}

// TestDeflaterDict checks that ResetDict's history is referred to, within
// the window.
func TestDeflaterDict(t *testing.T) {
	dict := jsonLike(8000, 7)
	msg := dict[3000:4000]
	for _, bits := range []int{9, 12, 15} {
		d := newDeflater(nil, bits)
		var out bytes.Buffer
		d.ResetDict(&out, dict)
		d.Write(msg)
		d.Flush()
		win := dict[max(0, len(dict)-1<<bits):]
		res, err := tinflate(out.Bytes(), win)
		if err != nil || !bytes.Equal(res.out, msg) {
			t.Fatalf("bits %d: %v", bits, err)
		}
		if res.maxDist > 1<<bits {
			t.Fatalf("bits %d: distance %d beyond the window", bits, res.maxDist)
		}
		if bits == 15 && out.Len() > 100 {
			t.Errorf("a message in the history took %d bytes", out.Len())
		}
	}
}

// TestHuffLengths checks the code lengths against what a Huffman code must
// be: complete (the Kraft sum is exactly one), no longer than the limit,
// more frequent symbols never longer, and optimal when the limit does not
// bind (compared with a plain Huffman construction).
func TestHuffLengths(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	limited := 0
	for iter := range 3000 {
		n := 2 + rng.Intn(285)
		maxBits := 15
		if iter%3 == 0 {
			n = 2 + rng.Intn(18)
			maxBits = 7
		}
		freq := make([]int32, n)
		for i := range freq {
			switch rng.Intn(4) {
			case 0:
			case 1:
				freq[i] = 1 << rng.Intn(16) // skewed, to make the limit bind
			default:
				freq[i] = int32(1 + rng.Intn(100))
			}
		}
		var c huffCode
		var sc huffScratch
		c.build(freq, maxBits, &sc)
		lengths := c.len[:n]
		var count [16]uint16
		for _, l := range lengths {
			count[l]++
		}
		kraft, used, cost := 0, 0, 0
		for i, l := range lengths {
			if int(l) > maxBits {
				t.Fatalf("length %d over %d", l, maxBits)
			}
			if freq[i] > 0 && l == 0 {
				t.Fatalf("symbol %d occurs but has no code", i)
			}
			if l > 0 {
				kraft += 1 << (maxBits - int(l))
				used++
			}
			cost += int(freq[i]) * int(l)
			for j, l2 := range lengths {
				if freq[j] > freq[i] && freq[i] > 0 && l2 > l {
					t.Fatalf("symbol %d (freq %d) has %d bits, more than %d (freq %d)", j, freq[j], l2, l, freq[i])
				}
			}
		}
		// The canonical codes: no code a prefix of another.
		for i, l := range lengths {
			for j, l2 := range lengths {
				if i != j && l > 0 && l2 >= l && c.code[j]&(1<<l-1) == c.code[i] {
					t.Fatalf("code of %d (%b, %d bits) is a prefix of %d's (%b, %d bits)", i, c.code[i], l, j, c.code[j], l2)
				}
			}
		}
		if used >= 2 && kraft != 1<<maxBits {
			t.Fatalf("incomplete or over-subscribed code: Kraft sum %d/%d", kraft, 1<<maxBits)
		}
		opt, longest := huffmanCost(freq)
		if longest <= maxBits && cost != opt {
			t.Fatalf("cost %d, optimal %d", cost, opt)
		}
		if longest > maxBits {
			limited++
		}
	}
	if limited == 0 {
		t.Fatal("the length limit never came into play")
	}
	t.Logf("the limit came into play in %d codes", limited)
}

// huffmanCost is the cost of an optimal prefix code for freq, by merging
// the two least frequent nodes until one is left, and its longest code.
func huffmanCost(freq []int32) (cost, longest int) {
	type node struct{ w, depth int }
	var nodes []node
	for _, f := range freq {
		if f > 0 {
			nodes = append(nodes, node{int(f), 0})
		}
	}
	if len(nodes) < 2 {
		for _, n := range nodes {
			cost = n.w // a code of one bit
		}
		return cost, 1
	}
	for len(nodes) > 1 {
		// The two smallest.
		for k := range 2 {
			m := k
			for i := k; i < len(nodes); i++ {
				if nodes[i].w < nodes[m].w {
					m = i
				}
			}
			nodes[k], nodes[m] = nodes[m], nodes[k]
		}
		a, b := nodes[0], nodes[1]
		cost += a.w + b.w
		nodes = append(nodes[2:], node{a.w + b.w, max(a.depth, b.depth) + 1})
	}
	return cost, nodes[0].depth
}

// BenchmarkDeflater compresses one message per op, on its own (Reset
// before each) and with the history of the ones before, with our deflater
// and with klauspost/compress at level 1, which it replaces; it reports
// the compressed size as a share of the input.
func BenchmarkDeflater(b *testing.B) {
	for _, size := range []int{128, 1024, 16 << 10, 64 << 10} {
		for _, kind := range []string{"mixed", "records"} {
			msgs := [][]byte{jsonLike(size, 1), jsonLike(size, 2), jsonLike(size, 3), jsonLike(size, 4)}
			if kind == "records" {
				msgs = [][]byte{jsonRecords(size, 1), jsonRecords(size, 2), jsonRecords(size, 3), jsonRecords(size, 4)}
			}
			for _, context := range []bool{false, true} {
				for _, enc := range []string{"ours", "klauspost"} {
					name := fmt.Sprintf("size=%d/%s/context=%v/%s", size, kind, context, enc)
					b.Run(name, func(b *testing.B) {
						var out countWriter
						var w compressor
						if enc == "ours" {
							w = newDeflater(&out, 15)
						} else {
							w = newKlauspost(&out, 1)
						}
						b.SetBytes(int64(size))
						b.ReportAllocs()
						b.ResetTimer()
						for i := range b.N {
							if !context {
								w.Reset(&out)
							}
							w.Write(msgs[i%len(msgs)])
							w.Flush()
						}
						b.ReportMetric(float64(out)/float64(b.N*size), "ratio")
					})
				}
			}
		}
	}
}

// jsonRecords returns n bytes of a JSON array of small records with the
// same keys and varying values, as a feed sends.
func jsonRecords(n int, seed int64) []byte {
	rng := rand.New(rand.NewSource(seed))
	names := []string{"alpha", "bravo", "charlie", "delta", "echo", "foxtrot"}
	b := []byte("[")
	for i := 0; len(b) < n; i++ {
		b = fmt.Appendf(b, `{"id":%d,"user":"%s_%d","price":%.4f,"qty":%d,"side":"%s"},`,
			i, names[rng.Intn(len(names))], rng.Intn(1000), 100+rng.Float64()*10, rng.Intn(500),
			[]string{"buy", "sell"}[rng.Intn(2)])
	}
	return b[:n]
}

type countWriter int

func (c *countWriter) Write(p []byte) (int, error) {
	*c += countWriter(len(p))
	return len(p), nil
}

// FuzzDeflater compresses arbitrary messages, written in arbitrary pieces,
// with a window of 8 to 15 bits and with or without context takeover, and
// checks what the peer would do with them: compress/flate gives each back
// (after the ones before it, with context takeover), and no back-reference
// reaches beyond the window (tinflate).
func FuzzDeflater(f *testing.F) {
	f.Add([]byte("\x0f\x00hello hello hello hello"))
	f.Add(append([]byte{0x17, 0x10}, jsonLike(3000, 1)...))
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
		d := newDeflater(nil, bits)
		var stream []byte
		var hist []byte
		for i, m := range msgs {
			var out bytes.Buffer
			if context {
				d.dst = &out
			} else {
				d.Reset(&out)
				hist = nil
			}
			for p := m; len(p) > 0; {
				n := min(len(p), chunk)
				d.Write(p[:n])
				p = p[n:]
			}
			if err := d.Flush(); err != nil {
				t.Fatal(err)
			}
			res, err := tinflate(out.Bytes(), hist)
			if err != nil || !bytes.Equal(res.out, m) {
				t.Fatalf("message %d of %d bytes: tinflate: %v", i, len(m), err)
			}
			if res.maxDist > 1<<bits {
				t.Fatalf("message %d: a back-reference of %d bytes in a window of %d", i, res.maxDist, 1<<bits)
			}
			hist = append(hist, m...)
			hist = hist[max(0, len(hist)-1<<bits):]
			if !context {
				got, err := io.ReadAll(flate.NewReader(io.MultiReader(&out, bytes.NewReader([]byte{1, 0, 0, 0xff, 0xff}))))
				if err != nil || !bytes.Equal(got, m) {
					t.Fatalf("message %d: compress/flate: %v", i, err)
				}
			}
			stream = append(stream, out.Bytes()...)
		}
		if context {
			want := bytes.Join(msgs, nil)
			got := make([]byte, len(want))
			if _, err := io.ReadFull(flate.NewReader(bytes.NewReader(stream)), got); err != nil || !bytes.Equal(got, want) {
				t.Fatalf("compress/flate on the whole stream: %v", err)
			}
		}
	})
}
