// Package flate encodes and decodes DEFLATE streams (RFC 1951) the way
// permessage-deflate (RFC 7692) uses them: each message is the next piece
// of a stream, ended with a sync flush, and arrives whole before it is
// inflated.
//
// A Writer has a single compression level, a fast one like
// compress/flate's BestSpeed, and a window of 2^MinWindowBits to
// 2^MaxWindowBits bytes: no back-reference reaches further back than the
// window, so a peer that asked for a smaller window than 32 KiB can inflate
// the output. Flush ends what was written with a sync flush, an empty
// stored block whose last four bytes are 00 00 ff ff. A Writer never writes
// a final block.
//
// A Reader inflates a stream held in memory, whole or in segments, after a
// dictionary of up to 32 KiB. It gives exactly the bytes compress/flate
// gives for the same input and dictionary, and where compress/flate finds
// the input corrupt, a Reader reports ErrCorrupt. As its input is all
// there is, a Reader also says where the stream ends, which compress/flate
// leaves to more input: after the final block, what follows being ignored,
// or, as a sync flush leaves a stream, with a stored block that is not
// final and ends exactly at the end of the input. Input that stops
// anywhere else is cut short: ErrTruncated, where compress/flate would ask
// for more. An input of no bytes is an empty stream.
package flate
