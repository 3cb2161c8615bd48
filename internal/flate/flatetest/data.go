package flatetest

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand"
)

// JSONLike returns n bytes of text resembling a JSON feed, compressible as
// real traffic is; the same seed gives the same text.
func JSONLike(n int, seed int64) []byte {
	rng := rand.New(rand.NewSource(seed))
	var b bytes.Buffer
	for b.Len() < n {
		fmt.Fprintf(&b, `{"id":%d,"user":"user%03d","price":%d.%02d,"side":"%s","tags":["a","b"]},`,
			rng.Intn(1e6), rng.Intn(200), rng.Intn(1000), rng.Intn(100), []string{"buy", "sell"}[rng.Intn(2)])
	}
	return b.Bytes()[:n]
}

// RandomBytes returns n random bytes: incompressible, and unlikely to hold
// any 3-byte string twice, so that the only matches a compressor finds in
// data built from them are the repetitions a test puts there.
func RandomBytes(n int, seed int64) []byte {
	b := make([]byte, n)
	rand.New(rand.NewSource(seed)).Read(b)
	return b
}

// MixedBinary returns n bytes of binary data, partly random and partly
// repeated runs, compressible by about half.
func MixedBinary(n int, seed int64) []byte {
	rng := rand.New(rand.NewSource(seed))
	b := make([]byte, 0, n)
	for len(b) < n {
		if len(b) > 64 && rng.Intn(2) == 0 {
			start := rng.Intn(len(b) - 32)
			k := 8 + rng.Intn(24)
			b = append(b, b[start:start+k]...)
		} else {
			for i := 0; i < 16; i++ {
				b = append(b, byte(rng.Intn(256)))
			}
		}
	}
	return b[:n]
}

// StoredBlocks encodes msg as DEFLATE stored blocks of up to size bytes,
// none final, ending with the empty stored block of a sync flush.
func StoredBlocks(msg []byte, size int) []byte {
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
