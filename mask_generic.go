//go:build !amd64 || purego

package websocket

// maskBulk masks a prefix of b, whose length is a multiple of 8, with the
// key k (rotated to apply to b[0]) and returns that length.
func maskBulk(b []byte, k uint32) int { return maskWords(b, k) }
