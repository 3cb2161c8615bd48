package load

import (
	"bytes"
	"testing"

	"github.com/gobwas/ws"
)

// TestFragments parses the frames Fragments builds: binary then
// continuation opcodes, FIN on the last only, masked payloads of the size
// asked (the last shorter), which together are the message.
func TestFragments(t *testing.T) {
	msg := bytes.Repeat([]byte("0123456789"), 10_000) // 100,000 bytes
	for _, size := range []int{1, 16 << 10, len(msg), 2 * len(msg)} {
		r := bytes.NewReader(Fragments(msg, size))
		var got []byte
		frames := 0
		for r.Len() > 0 {
			h, err := ws.ReadHeader(r)
			if err != nil {
				t.Fatalf("size %d, frame %d: %v", size, frames, err)
			}
			wantOp := ws.OpContinuation
			if frames == 0 {
				wantOp = ws.OpBinary
			}
			p := make([]byte, h.Length)
			r.Read(p)
			ws.Cipher(p, h.Mask, 0)
			got = append(got, p...)
			last := len(got) == len(msg)
			if h.OpCode != wantOp || h.Fin != last || !h.Masked || (!last && int(h.Length) != size) {
				t.Fatalf("size %d, frame %d: %+v", size, frames, h)
			}
			frames++
		}
		if want := (len(msg) + size - 1) / size; frames != want || !bytes.Equal(got, msg) {
			t.Fatalf("size %d: %d frames carrying %d bytes, want %d frames carrying the message", size, frames, len(got), want)
		}
	}
}
