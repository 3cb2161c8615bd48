// Package payload makes the messages the benchmarks send.
package payload

import (
	"fmt"
	"math/rand/v2"
)

// JSON returns n bytes of JSON-like text: an array of small records with
// repeating keys and varying values, the kind of message
// permessage-deflate is meant for. The same n gives the same bytes.
func JSON(n int) []byte { return jsonSeeded(n, 0) }

// JSONSet returns k different messages of n bytes each, like JSON's: a
// stream of similar but not identical messages, so that compression with
// context takeover is not measured on a message repeated verbatim.
func JSONSet(n, k int) [][]byte {
	msgs := make([][]byte, k)
	for i := range msgs {
		msgs[i] = jsonSeeded(n, uint64(i))
	}
	return msgs
}

func jsonSeeded(n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(uint64(n), 42+seed))
	words := []string{"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"}
	b := make([]byte, 0, n+256)
	b = append(b, '[')
	for i := 0; len(b) < n; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		b = fmt.Appendf(b, `{"id":%d,"user":"%s_%d","score":%.3f,"active":%t,"tags":["%s","%s"]}`,
			i, words[rng.IntN(len(words))], rng.IntN(10000), rng.Float64()*100, rng.IntN(2) == 0,
			words[rng.IntN(len(words))], words[rng.IntN(len(words))])
	}
	return b[:n]
}
