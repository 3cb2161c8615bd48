package websocket

// The seeds of FuzzInflate (fuzz_inflate_test.go), and the helpers that
// build their DEFLATE payloads by hand.

import (
	"bytes"
	"slices"
	"testing"
)

// fzdStored returns data as a stored DEFLATE block, not final, and the
// header of the sync flush's empty stored block, whose length is the tail:
// a permessage-deflate payload (as in RFC 7692 section 7.2.3.3).
func fzdStored(data []byte) []byte { return append(fzdStoredBlock(data), 0x00) }

// fzdStoredBlock returns data as a stored block, not final.
func fzdStoredBlock(data []byte) []byte {
	n := len(data)
	return append([]byte{0x00, byte(n), byte(n >> 8), ^byte(n), ^byte(n >> 8)}, data...)
}

// fzdFixed returns a payload of one fixed-Huffman block, sync-flushed, made
// by f.
func fzdFixed(f func(w *tbitWriter)) []byte {
	w := &tbitWriter{}
	w.bits(0, 1) // not final
	w.bits(1, 2) // fixed Huffman codes
	f(w)
	w.literal(256)
	w.bits(0, 3) // the sync flush's empty stored block, whose length is the tail
	w.align()
	return w.out
}

// fzdDynamic writes the header of a dynamic-Huffman block, not final, as
// zeroBomb's: literal 0 and end of block in 2 bits (10 and 11), length
// code 285 (258 bytes) in 1 (0), and distance code 0 (distance 1) in
// distBits bits; 0 makes the distance code empty, for a block of literals
// only (RFC 1951 section 3.2.7).
func fzdDynamic(w *tbitWriter, distBits int) {
	w.bits(0, 1)       // not final
	w.bits(2, 2)       // dynamic Huffman codes
	w.bits(286-257, 5) // HLIT
	w.bits(0, 5)       // HDIST: one distance code
	w.bits(18-4, 4)    // HCLEN
	// Code length code: 0, 1 and 18 in 2 bits, 2 and 17 in 3.
	clen := map[int]uint32{0: 2, 1: 2, 18: 2, 2: 3, 17: 3}
	for _, sym := range tClOrder[:18] {
		w.bits(clen[sym], 3)
	}
	length := func(n int) { // code lengths 0 to 2
		w.code([]uint32{0, 1, 6}[n], []uint{2, 2, 3}[n])
	}
	zeros := func(k int) { // k from 11 to 138
		w.code(2, 2)
		w.bits(uint32(k-11), 7)
	}
	length(2)  // literal 0
	zeros(138) // 1-138
	zeros(117) // 139-255
	length(2)  // 256
	zeros(28)  // 257-284
	length(1)  // 285
	length(distBits)
}

// fzdDynamicPayload returns a payload of blocks made by fzdDynamic, one per
// element of distBits, each holding a literal 0 and then, with match, 258
// bytes from 1 back; and the sync flush.
func fzdDynamicPayload(match bool, distBits ...int) []byte {
	w := &tbitWriter{}
	for _, d := range distBits {
		fzdDynamic(w, d)
		w.code(2, 2) // literal 0
		if match {
			w.bits(0, 2) // length 258, distance code 0 (if there is one)
		}
		w.code(3, 2) // end of block
	}
	w.bits(0, 3)
	w.align()
	return w.out
}

// fzdLiterals returns s as literals of a fixed-Huffman block.
func fzdLiterals(s string) []byte {
	return fzdFixed(func(w *tbitWriter) {
		for i := 0; i < len(s); i++ {
			w.literal(int(s[i]))
		}
	})
}

// fzdCompress compresses msgs with the test's own LZ77 encoder (a window of
// 2^bits bytes, with context takeover), one payload each.
func fzdCompress(bits int, msgs ...string) [][]byte {
	e := &tlz{window: 1 << bits}
	var out [][]byte
	for _, m := range msgs {
		out = append(out, e.compress([]byte(m)))
	}
	return out
}

func fzInflateSeeds() []fzSeed {
	const (
		apiReuse     = 1
		apiReadAll   = 2
		apiPieces    = 3
		client       = 4
		noContext    = 8
		closeAtEnd   = 0x80
		eofWithData  = 0x2000
		measure      = 0x4000
		defaultLimit = 0xffff
	)
	bitsMode := func(bits int) uint16 { return uint16(bits-8) << 4 }
	bufMode := func(sel int) uint16 { return uint16(sel) << 8 } // buffer 0, 5, limit, 64 KiB + 1; piece 1, 7, 100, 5000
	chunkMode := func(sel int) uint16 { return uint16(sel) << 10 }
	const (
		text       = 1
		plain      = 2
		frames2    = 1 << 2
		frames3    = 2 << 2
		frames4    = 3 << 2
		pings      = 0x10
		abandon    = 0x20
		rsv1Cont   = 0x40
		emptyFinal = 0x80
	)
	// lay describes a message: the length of its payload, its flags and
	// where its frames split it (see fzdLayout).
	lay := func(n int, flags, cut byte) []byte { return []byte{byte(n >> 8), byte(n), flags, cut} }
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	// layMsgs lays out payloads, one message each, with the same flags.
	layMsgs := func(flags byte, payloads ...[]byte) (all, layout []byte) {
		for _, p := range payloads {
			all = append(all, p...)
			layout = append(layout, lay(len(p), flags, 0)...)
		}
		return all, layout
	}

	var seeds []fzSeed
	// add adds a seed whose messages must read as ok messages then, when
	// codes are given, a failure with one of them.
	add := func(name string, payloads, layout []byte, limit, mode uint16, ok int, codes ...StatusCode) {
		seeds = append(seeds, fzSeed{
			name: name,
			args: []any{payloads, layout, limit, mode},
			check: func(t *testing.T) {
				msgs := fzdLayout(payloads, layout)
				wants := fzdRefMessages(msgs, int(limit), 8+int(mode>>4&7), mode&noContext != 0)
				n := 0
				for n < len(wants) && wants[n].ok {
					n++
				}
				var gotCodes []StatusCode
				if n < len(wants) {
					gotCodes = wants[n].codes
				}
				if n != ok || !slices.Equal(gotCodes, codes) {
					t.Errorf("the reference reads %d messages then fails with one of %v, want %d then %v", n, gotCodes, ok, codes)
				}
			},
		})
	}

	// RFC 7692 section 7.2.3: "Hello" in each of its forms.
	hello := []byte{0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}
	helloAgain := []byte{0xf2, 0x00, 0x11, 0x00, 0x00}
	stored := []byte{0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00}
	bfinal := []byte{0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00}
	twoBlocks := []byte{0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07, 0x00}
	emptyFragment := []byte{0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00, 0x00, 0xff, 0xff, 0x00}
	add("rfc-one-block", hello, lay(0, text, 0), defaultLimit, 0, 1)
	add("rfc-one-block-client", hello, lay(0, text, 0), defaultLimit, client, 1)
	add("rfc-fragmented", hello, lay(0, text|frames3, 0xb5), defaultLimit, 0, 1) // f2 48 | cd c9 c9 | 07 00
	add("rfc-sharing-window", cat(hello, helloAgain), cat(lay(len(hello), text, 0), lay(0, text, 0)), defaultLimit, 0, 2)
	add("rfc-sharing-window-client-bytewise", cat(hello, helloAgain), cat(lay(len(hello), text, 0), lay(0, text, 0)), defaultLimit, client|chunkMode(1)|apiPieces, 2)
	add("rfc-sharing-window-no-context", cat(hello, helloAgain), cat(lay(len(hello), text, 0), lay(0, text, 0)), defaultLimit, noContext, 1, StatusInvalidFramePayloadData)
	add("rfc-sharing-window-plain-between", cat(hello, []byte("plain"), helloAgain), cat(lay(len(hello), text, 0), lay(5, text|plain, 0), lay(0, text, 0)), defaultLimit, 0, 3)
	add("rfc-stored", stored, nil, defaultLimit, 0, 1)
	add("rfc-bfinal", bfinal, nil, defaultLimit, apiReadAll, 1)
	add("rfc-bfinal-then-junk", cat(bfinal, []byte("junk after the final block")), nil, defaultLimit, 0, 1)
	add("rfc-bfinal-then-context", cat(bfinal, helloAgain), cat(lay(len(bfinal), text, 0), lay(0, text, 0)), defaultLimit, 0, 2)
	add("rfc-two-blocks", twoBlocks, lay(0, text|frames2, 0x06), defaultLimit, 0, 1)
	add("rfc-empty-fragment", emptyFragment, lay(0, text|frames2, 0x0e), defaultLimit, apiPieces|bufMode(1), 1) // ... 00 ff ff | 00

	// Empty messages.
	add("empty-payload", nil, lay(0, text, 0), defaultLimit, 0, 1)
	add("empty-payload-fragmented", nil, lay(0, 0|frames4|emptyFinal, 0), defaultLimit, apiReadAll, 1)
	add("empty-0x00", []byte{0x00}, nil, defaultLimit, 0, 1)
	add("empty-messages", []byte{0x00, 0x00, 0x02, 0x00}, cat(lay(1, 0, 0), lay(0, text, 0), lay(1, 0, 0), lay(2, text, 0)), 0, apiReuse, 4)
	add("empty-stored", fzdStored(nil), nil, 0, 0, 1)

	// Read limits.
	zeros := func(n int) []byte { return zeroBomb(n) }
	add("limit-exact", zeros(4096), nil, 4096, 0, 1)
	add("limit-exact-reuse-exact-buffer", zeros(4096), nil, 4096, apiReuse|bufMode(2), 1)
	add("limit-exact-nextreader", zeros(4096), nil, 4096, apiPieces|bufMode(3), 1)
	add("limit-one-over", zeros(4097), nil, 4096, 0, 0, StatusMessageTooBig)
	add("limit-zero-hello", hello, nil, 0, 0, 0, StatusMessageTooBig)
	add("limit-max", zeros(65535), nil, 65535, apiReuse|bufMode(3), 1)
	add("bomb", zeros(16<<20), nil, 1000, 0, 0, StatusMessageTooBig)
	add("bomb-text", zeros(16<<20), lay(0, text, 0), 1000, apiReadAll, 0, StatusMessageTooBig)
	add("bomb-after-messages", cat(hello, helloAgain, zeros(1<<20)), cat(lay(len(hello), text, 0), lay(len(helloAgain), text, 0), lay(0, 0, 0)), 60000, closeAtEnd, 2, StatusMessageTooBig)
	add("bomb-fragmented-pings", zeros(1<<20), lay(0, frames4|pings, 0x9a), 65535, chunkMode(5), 0, StatusMessageTooBig)
	add("memory-bomb", zeros(16<<20), nil, 65535, measure, 0, StatusMessageTooBig)
	add("memory-bomb-nextreader", zeros(16<<20), nil, 65535, measure|apiReadAll, 0, StatusMessageTooBig)
	add("memory-64k", zeros(65535), nil, 65535, measure, 1)
	add("memory-64k-reuse", cat(zeros(65535), zeros(65535)), cat(lay(len(zeros(65535)), 0, 0), lay(0, 0, 0)), 65535, measure|apiReuse, 2)
	add("memory-64k-pieces", zeros(65535), nil, 65535, measure|apiPieces|bufMode(3), 1)
	// Larger than the limit compressed, but not inflated: the message, or
	// 1009 (fzdRefMessages allows both).
	add("compressed-larger-than-limit", cat(bfinal, bytes.Repeat([]byte{0xff}, 3000)), nil, 2000, 0, 1)
	add("compressed-far-larger-than-limit", cat(bfinal, bytes.Repeat([]byte{0xff}, 5000)), nil, 2000, apiReadAll, 1)

	// An empty distance code (RFC 1951 section 3.2.7) is for blocks of
	// literals only; a match in such a block is corrupt data. (Found by
	// fuzzing: github.com/klauspost/compress decodes the distance with the
	// table of an earlier block, or of an earlier message through its
	// pooled decompressors: its huffmanDecoder.init returns early for an
	// empty code without clearing the lookup table it keeps across blocks
	// and Reset. compress/flate and tinflate find the data corrupt, and so
	// does the package's own inflater. With klauspost's decompressor the
	// first two seeds with a match failed only after other seeds had
	// left a table in the pool; the one with both blocks always failed.)
	distCode, noDistCode := fzdDynamicPayload(true, 1), fzdDynamicPayload(true, 0)
	add("empty-distance-code-literals", fzdDynamicPayload(false, 1, 0), nil, defaultLimit, 0, 1)
	add("empty-distance-code-match", noDistCode, nil, defaultLimit, 0, 0, StatusInvalidFramePayloadData)
	add("distance-code-then-empty-distance-code", fzdDynamicPayload(true, 1, 0), nil, defaultLimit, 0, 0, StatusInvalidFramePayloadData)
	add("distance-code-then-empty-distance-code-next-message", cat(distCode, noDistCode), cat(lay(len(distCode), 0, 0), lay(0, 0, 0)), defaultLimit, 0, 1, StatusInvalidFramePayloadData)

	// A dynamic block whose code-length code is incomplete (its lengths
	// fill 127 of 128 slots): corrupt, as zlib and compress/flate hold.
	// (Found by fuzzing: tinflate, the reference's check, accepted it.)
	add("incomplete-code-length-code", []byte("\xec\xc0A\t0z\x00\xc0\xa0\xf5O\xbd\"20"), []byte("0"), 65535, 95, 0, StatusInvalidFramePayloadData)

	// A final dynamic block cut inside its code lengths, whose rest either
	// empty final block completes into a block with no output. (Found by
	// fuzzing: the reference's test for a block boundary took it for one.)
	add("truncated-in-code-lengths", []byte("\xd5\xc01\t\x00\x00\x00\xc0\xa0\xf5'A 21"), []byte("0"), 65515, 16208, 0, StatusInvalidFramePayloadData)

	// Not DEFLATE, or not all of it.
	add("corrupt-reserved-block-type", []byte{0x07, 0x00}, nil, defaultLimit, 0, 0, StatusInvalidFramePayloadData)
	add("corrupt-stored-length", []byte{0x00, 0x05, 0x00, 0x00, 0x00, 'H', 'e', 'l', 'l', 'o'}, nil, defaultLimit, 0, 0, StatusInvalidFramePayloadData)
	add("corrupt-distance-before-start", fzdFixed(func(w *tbitWriter) { w.match(3, 1) }), nil, defaultLimit, 0, 0, StatusInvalidFramePayloadData)
	add("corrupt-after-message", cat(hello, []byte{0xff, 0xff, 0xff}), cat(lay(len(hello), 0, 0), lay(3, 0, 0)), defaultLimit, closeAtEnd|client, 1, StatusInvalidFramePayloadData)
	add("corrupt-text", []byte("Hello, this is not compressed"), lay(0, text, 0), defaultLimit, 0, 0, StatusInvalidFramePayloadData)
	jsonPayload := fzdCompress(15, string(jsonLike(3000, 1)))[0]
	add("compressed-json", jsonPayload, lay(0, text|frames4|pings, 0x3c), defaultLimit, apiPieces|bufMode(2), 1)
	add("truncated-1", jsonPayload[:len(jsonPayload)-1], lay(0, text, 0), defaultLimit, 0, 0, StatusInvalidFramePayloadData)
	add("truncated-2", jsonPayload[:len(jsonPayload)-2], lay(0, text, 0), defaultLimit, 0, 0, StatusInvalidFramePayloadData)
	add("truncated-half", jsonPayload[:len(jsonPayload)/2], lay(0, text, 0), defaultLimit, apiReadAll, 0, StatusInvalidFramePayloadData)
	add("truncated-hello", hello[:4], lay(0, text, 0), defaultLimit, 0, 0, StatusInvalidFramePayloadData)
	add("truncated-stored", stored[:8], nil, defaultLimit, 0, 0, StatusInvalidFramePayloadData)
	// Cut inside a stored block four bytes short: the tail completes the
	// block and the stream ends at a block boundary, with 00 00 ff ff as
	// the last four bytes of the message.
	add("stored-completed-by-tail", fzdStored([]byte("Hello"))[:6], nil, defaultLimit, 0, 1)
	add("stored-missing-5", fzdStored([]byte("Hello"))[:5], nil, defaultLimit, 0, 0, StatusInvalidFramePayloadData)
	// A final stored block of 7 bytes of which the payload holds 1: the
	// tail gives 4 more and the stream ends 2 short. (Found by fuzzing:
	// the package appends its own empty final block, 03 00, after the
	// tail, and here those two bytes complete the stored block, so it
	// returned a message ending in 00 00 ff ff 03 00.) The same 6 and 5
	// bytes short; 4 short, the tail completes the block.
	add("final-stored-6-short", []byte{0x31, 0x07, 0x00, 0xf8, 0xff, '0'}, []byte("0"), defaultLimit, 0, 0, StatusInvalidFramePayloadData)
	add("final-stored-5-short", []byte{0x01, 0x06, 0x00, 0xf9, 0xff, '0'}, nil, defaultLimit, apiPieces|client, 0, StatusInvalidFramePayloadData)
	add("final-stored-4-short", []byte{0x01, 0x05, 0x00, 0xfa, 0xff, '0'}, nil, defaultLimit, 0, 1)
	// A stored block of 255 bytes of which the peer sent 1: truncated
	// (1007), not too big, under a limit of 2. (Found by fuzzing: the
	// package's 03 00 became message data and took it past the limit, so
	// it failed with 1009.)
	add("stored-truncated-limit-2", []byte{0x30, 0xff}, []byte("0"), 2, closeAtEnd|bitsMode(9), 0, StatusInvalidFramePayloadData)
	// A fixed-Huffman block that the payload and the tail leave inside a
	// match. (Found by fuzzing: with the package's 03 00 appended the
	// input runs out while github.com/klauspost/compress v1.18.4 reads a
	// match's extra bits, where it reports io.EOF rather than
	// io.ErrUnexpectedEOF, and the package took the 121 bytes inflated so
	// far for a whole message.)
	add("truncated-in-match", []byte("280a\xff"), []byte("0"), 65459, closeAtEnd|chunkMode(2), 0, StatusInvalidFramePayloadData)
	// A final fixed-Huffman block that the payload and the tail leave
	// unfinished. (Found by fuzzing: compress/flate read the package's own
	// empty final block, then given to any reader at the end of the tail,
	// as the rest of the peer's block, and the stream ended cleanly with
	// one byte made of the tail's bits.)
	add("final-block-runs-past-tail", []byte("2\al"), []byte("0"), 65430, 6296, 0, StatusInvalidFramePayloadData)
	add("truncated-in-match-plain-mode", []byte("280a\xff"), nil, defaultLimit, 0, 0, StatusInvalidFramePayloadData)
	add("stored-missing-3", fzdStored([]byte("Hello"))[:7], nil, defaultLimit, 0, 0, StatusInvalidFramePayloadData)

	// UTF-8 inside compressed text.
	add("utf8-valid", fzdLiterals("κόσμε 𝄞 € \U0010ffff"), lay(0, text, 0), defaultLimit, 0, 1)
	add("utf8-invalid", fzdLiterals("κόσμε\xed\xa0\x80"), lay(0, text, 0), defaultLimit, 0, 0, StatusInvalidFramePayloadData)
	add("utf8-invalid-binary", fzdLiterals("κόσμε\xed\xa0\x80"), nil, defaultLimit, 0, 1)
	add("utf8-truncated", fzdLiterals("κόσμε\xce"), lay(0, text, 0), defaultLimit, apiPieces, 0, StatusInvalidFramePayloadData)
	add("utf8-split-across-blocks", cat(fzdStoredBlock([]byte("κ\xcf")), fzdStored([]byte("\x8cσμε"))), lay(0, text, 0), defaultLimit, 0, 1)
	add("utf8-split-across-messages", cat(fzdStored([]byte("κ\xcf")), fzdStored([]byte("\x8cσμε"))), cat(lay(len(fzdStored([]byte("κ\xcf"))), text, 0), lay(0, text, 0)), defaultLimit, 0, 0, StatusInvalidFramePayloadData)
	add("utf8-invalid-and-over-limit", fzdLiterals("ab\xffcdefgh"), lay(0, text, 0), 4, 0, 0, StatusMessageTooBig, StatusInvalidFramePayloadData)
	add("utf8-invalid-after-limit", fzdLiterals("abcdefgh\xff"), lay(0, text, 0), 4, 0, 0, StatusMessageTooBig)
	add("utf8-plain-invalid", []byte("a\xffb"), lay(0, text|plain, 0), defaultLimit, 0, 0, StatusInvalidFramePayloadData)

	// Context takeover and the window.
	ctx := fzdCompress(15, "The quick brown fox jumps over the lazy dog. ", "The quick brown fox jumps over the lazy cat. ", "the lazy dog, the lazy cat, the quick fox")
	ctxAll, ctxLayout := layMsgs(text, ctx...)
	add("context", ctxAll, ctxLayout, defaultLimit, 0, 3)
	add("context-nextreader-abandon", ctxAll, cat(lay(len(ctx[0]), text|abandon, 0), lay(len(ctx[1]), text|abandon, 0), lay(0, text, 0)), defaultLimit, apiPieces|bufMode(1), 3)
	add("context-reuse-buffer", ctxAll, ctxLayout, defaultLimit, apiReuse|bufMode(1)|closeAtEnd, 3)
	add("context-lost-without-takeover", ctxAll, ctxLayout, defaultLimit, noContext, 1, StatusInvalidFramePayloadData)
	// A window of 8 bits: the package keeps 512 bytes (zlib's 9 bits), so a
	// reference 500 bytes back into the previous message resolves and one
	// 520 bytes back does not.
	back := func(dist int) []byte { return fzdFixed(func(w *tbitWriter) { w.match(10, dist) }) }
	first := fzdStored(utPayload(600))
	add("window-8-bits-500-back", cat(first, back(500)), cat(lay(len(first), 0, 0), lay(0, 0, 0)), defaultLimit, bitsMode(8), 2)
	add("window-8-bits-520-back", cat(first, back(520)), cat(lay(len(first), 0, 0), lay(0, 0, 0)), defaultLimit, bitsMode(8), 1, StatusInvalidFramePayloadData)
	add("window-9-bits-512-back", cat(first, back(512)), cat(lay(len(first), 0, 0), lay(0, 0, 0)), defaultLimit, bitsMode(9)|apiReadAll, 2)
	first5000, first40000 := fzdStored(utPayload(5000)), fzdStored(utPayload(40000))
	add("window-12-bits-4096-back", cat(first5000, back(4096)), cat(lay(len(first5000), 0, 0), lay(0, 0, 0)), defaultLimit, bitsMode(12), 2)
	add("window-12-bits-4097-back", cat(first5000, back(4097)), cat(lay(len(first5000), 0, 0), lay(0, 0, 0)), defaultLimit, bitsMode(12), 1, StatusInvalidFramePayloadData)
	add("window-15-bits-32768-back", cat(first40000, back(32768)), cat(lay(len(first40000), 0, 0), lay(0, 0, 0)), defaultLimit, bitsMode(15)|client, 2)
	abc, def := fzdStored([]byte("abc")), fzdStored([]byte("def"))
	add("window-small-messages", cat(abc, def, back(6)), cat(lay(len(abc), 0, 0), lay(len(def), 0, 0), lay(0, 0, 0)), defaultLimit, bitsMode(8)|apiPieces, 3)
	aj := fzdStored([]byte("abcdefghij"))
	add("window-plain-not-in-context", cat(aj, []byte("0123456789"), back(10)), cat(lay(len(aj), 0, 0), lay(10, plain, 0), lay(0, 0, 0)), defaultLimit, 0, 3)
	add("window-failed-abandoned-message", cat(hello, helloAgain), cat(lay(len(hello), text|abandon, 0), lay(0, text, 0)), defaultLimit, apiReadAll|bufMode(0), 2)

	// Framing of compressed messages (RFC 7692 section 6.1).
	add("rsv1-continuation", hello, lay(0, text|frames2|rsv1Cont, 0x04), defaultLimit, 0, 0, StatusProtocolError)
	add("rsv1-empty-continuation", hello, lay(0, text|emptyFinal|rsv1Cont, 0), defaultLimit, 0, 0, StatusProtocolError)
	add("rsv1-continuation-plain", []byte("Hello"), lay(0, text|plain|frames2|rsv1Cont, 0x04), defaultLimit, 0, 0, StatusProtocolError)
	add("pings-between-fragments", twoBlocks, lay(0, text|frames4|pings|emptyFinal, 0xa3), defaultLimit, closeAtEnd|chunkMode(2), 1)
	add("eof-with-data", ctxAll, ctxLayout, defaultLimit, eofWithData|chunkMode(4)|client, 3)
	add("many-messages", bytes.Repeat(hello, 16), bytes.Repeat(lay(len(hello), text, 0), 16), defaultLimit, bitsMode(9)|noContext|chunkMode(6), 16)
	return seeds
}
