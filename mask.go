package websocket

import "encoding/binary"

// Mask XORs b in place with the masking key as RFC 6455 section 5.3
// describes, starting at position pos of the key (the number of payload bytes
// already masked, or that number modulo 4). It returns the position for the
// bytes that follow b, so a payload can be masked in pieces:
//
//	pos := Mask(key, 0, payload[:10])
//	pos = Mask(key, pos, payload[10:])
//
// Masking is its own inverse: the same call unmasks.
func Mask(key [4]byte, pos int, b []byte) int {
	pos &= 3
	if len(b) < 8 {
		for i := range b {
			b[i] ^= key[(pos+i)&3]
		}
		return (pos + len(b)) & 3
	}
	// Rotate the key so that its first byte applies to b[0]; then mask in
	// bulk (with assembly where there is some), and finish the rest a word
	// and then a byte at a time.
	k := binary.LittleEndian.Uint32(key[:])
	k = k>>(8*pos) | k<<(32-8*pos)
	i := 0
	if len(b) >= 64 {
		i = maskBulk(b, k)
	}
	k64 := uint64(k) | uint64(k)<<32
	for ; len(b)-i >= 8; i += 8 {
		binary.LittleEndian.PutUint64(b[i:], binary.LittleEndian.Uint64(b[i:])^k64)
	}
	// i is a multiple of 8, so the key lines up with pos again.
	for ; i < len(b); i++ {
		b[i] ^= key[(pos+i)&3]
	}
	return (pos + len(b)) & 3
}

// maskWords masks b in pure Go, 32 bytes at a time, with the key k
// (rotated to apply to b[0]); it returns how many bytes it masked, a
// multiple of 32.
func maskWords(b []byte, k uint32) int {
	k64 := uint64(k) | uint64(k)<<32
	i := 0
	for ; len(b)-i >= 32; i += 32 {
		w := b[i : i+32 : i+32]
		binary.LittleEndian.PutUint64(w[0:], binary.LittleEndian.Uint64(w[0:])^k64)
		binary.LittleEndian.PutUint64(w[8:], binary.LittleEndian.Uint64(w[8:])^k64)
		binary.LittleEndian.PutUint64(w[16:], binary.LittleEndian.Uint64(w[16:])^k64)
		binary.LittleEndian.PutUint64(w[24:], binary.LittleEndian.Uint64(w[24:])^k64)
	}
	return i
}
