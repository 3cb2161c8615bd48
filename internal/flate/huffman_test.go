package flate

import (
	"math/rand"
	"testing"
)

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
