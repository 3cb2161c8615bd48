package websocket

import "encoding/binary"

// utf8Validator checks a byte stream for UTF-8 validity a piece at a time, so
// that a text message can be rejected at the frame holding its first invalid
// byte (RFC 6455 section 8.1) even when a code point is split across frames.
// The zero value is ready at the start of a stream.
type utf8Validator struct {
	need   uint8 // continuation bytes still expected
	lo, hi byte  // the range the next continuation byte must fall in
}

// write validates p as the continuation of the stream and reports whether
// the stream is still a prefix of valid UTF-8.
func (v *utf8Validator) write(p []byte) bool {
	need, lo, hi := v.need, v.lo, v.hi
	i := 0
	for i < len(p) {
		if need == 0 {
			// ASCII fast path, eight bytes at a time.
			for len(p)-i >= 8 && binary.LittleEndian.Uint64(p[i:])&0x8080808080808080 == 0 {
				i += 8
			}
			if i == len(p) {
				break
			}
			c := p[i]
			i++
			if c < 0x80 {
				continue
			}
			// Table 3-7 of the Unicode Standard: the lead byte fixes how
			// many continuation bytes follow and the range of the first.
			lo, hi = 0x80, 0xbf
			switch {
			case c >= 0xc2 && c <= 0xdf:
				need = 1
			case c == 0xe0:
				need, lo = 2, 0xa0 // no overlong three-byte forms
			case c >= 0xe1 && c <= 0xec, c == 0xee, c == 0xef:
				need = 2
			case c == 0xed:
				need, hi = 2, 0x9f // no surrogates
			case c == 0xf0:
				need, lo = 3, 0x90 // no overlong four-byte forms
			case c >= 0xf1 && c <= 0xf3:
				need = 3
			case c == 0xf4:
				need, hi = 3, 0x8f // nothing above U+10FFFF
			default:
				return false
			}
			continue
		}
		c := p[i]
		if c < lo || c > hi {
			return false
		}
		i++
		need--
		lo, hi = 0x80, 0xbf
	}
	v.need, v.lo, v.hi = need, lo, hi
	return true
}

// complete reports whether the stream ends on a code point boundary.
func (v *utf8Validator) complete() bool { return v.need == 0 }

// validUTF8 reports whether p is entirely valid UTF-8.
func validUTF8(p []byte) bool {
	var v utf8Validator
	return v.write(p) && v.complete()
}
