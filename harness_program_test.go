package websocket

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// The harness's programs: the choices a fuzzer's input or a seed makes,
// the actors and their operations, and the messages they send, each tagged
// with its stream, number, type and size so that a reader can tell what
// it got.

// hChoices draws the program's decisions from the fuzzer's bytes, then
// from a generator seeded with them.
type hChoices struct {
	data []byte
	rng  *rand.Rand
}

func newChoices(data []byte) *hChoices {
	h := fnv.New64a()
	h.Write(data)
	return &hChoices{data: data, rng: rand.New(rand.NewPCG(h.Sum64(), 0x5eed))}
}

func (c *hChoices) byte() byte {
	if len(c.data) > 0 {
		b := c.data[0]
		c.data = c.data[1:]
		return b
	}
	return byte(c.rng.Uint32())
}

// intn returns a number in [0, n).
func (c *hChoices) intn(n int) int {
	if n <= 256 {
		return int(c.byte()) % n
	}
	v := uint32(c.byte()) | uint32(c.byte())<<8 | uint32(c.byte())<<16 | uint32(c.byte())<<24
	return int(v % uint32(n))
}

// chance is true with probability p percent.
func (c *hChoices) chance(p int) bool { return c.intn(100) < p }

// Transports.
const (
	hAcceptConn = iota // loopback TCP, AcceptConn
	hAccept            // loopback TCP, Accept behind net/http
	hHTTP2             // an h2c stream, Accept behind net/http
	hTransports
)

var hTransportNames = [hTransports]string{"acceptconn", "accept", "h2c"}

// hProgram is one run of the harness.
type hProgram struct {
	transport    int
	z            *CompressionOptions
	limit        [2]int64 // each side's read limit; 0 for the default
	setLimit     [2]bool
	frags        [2]int // each side's fragment limit; 0 for the default
	closeTimeout [2]time.Duration
	actors       []*hActor
	finalCloser  int // the side that closes in the end
}

// Sides: 0 is the client, 1 the server.
var hSideNames = [2]string{"client", "server"}

type hRole int

const (
	hWriter hRole = iota
	hTiny         // writes messages shorter than a tag, in order
	hQueue        // sends through a SendQueue
	hReader
	hChaos
)

type hActor struct {
	side   int
	role   hRole
	stream int // for writers: the stream their messages carry
	ops    []hOp
	queue  SendQueueOptions
}

type hOpKind int

const (
	opWriteMessage hOpKind = iota
	opNextWriter
	opWritePrepared
	opReadMessage
	opNextReader
	opSetReadLimit
	opSetFragmentLimit
	opOnPing
	opSetWriteCompression
	opPing
	opKeepAlive
	opReadDeadline
	opWriteDeadline
	opClose
	opCloseInvalid
	opCloseNow
	opPause
)

type hOp struct {
	kind    hOpKind
	size    int
	typ     MessageType
	ctx     int           // 0: background; 1: cancelled; 2: times out after d
	d       time.Duration // for ctx 2, deadlines, pauses, KeepAlive's interval
	piece   int           // NextWriter's write size, NextReader's read size
	misuse  bool          // use the handle after it is over
	abandon bool          // NextReader: leave the message after its tag
	reuse   bool          // ReadMessage: into the previous payload
	n       int64
	code    StatusCode
	reason  string
}

// hTagLen is the length of a tagged message's tag: '#', the type, the
// stream (2 hex digits), the sequence number (6) and the size (8), '.'.
const hTagLen = 19

func (c *hChoices) size(min int) int {
	switch c.intn(20) {
	case 0:
		return min
	case 1, 2, 3, 4, 5, 6:
		return min + c.intn(100)
	case 7, 8, 9, 10:
		return min + c.intn(4000)
	case 11, 12:
		return writeBufSize - 8 + c.intn(16) // around a NextWriter frame
	case 13:
		return largeFrame - 8 + c.intn(16) // around a large frame's split
	case 14, 15:
		return smallFrame - 4 + c.intn(8)
	case 16:
		return 100_000 + c.intn(300_000)
	case 17:
		if c.chance(30) {
			return 1<<20 + c.intn(100)
		}
		return min + c.intn(30000)
	}
	return min + c.intn(1000)
}

func (c *hChoices) ctxMode(op *hOp) {
	switch c.intn(20) {
	case 0:
		op.ctx = 1
	case 1, 2, 3, 4:
		op.ctx = 2
		op.d = []time.Duration{0, 10 * time.Microsecond, 200 * time.Microsecond, time.Millisecond, 5 * time.Millisecond}[c.intn(5)]
	}
}

func (c *hChoices) msgType() MessageType {
	if c.chance(50) {
		return MessageText
	}
	return MessageBinary
}

// genProgram derives a program from c.
func genProgram(c *hChoices) *hProgram {
	p := &hProgram{transport: c.intn(hTransports)}
	if c.chance(50) {
		z := &CompressionOptions{
			ServerNoContextTakeover: c.chance(50),
			ClientNoContextTakeover: c.chance(50),
		}
		if c.chance(50) {
			z.ServerMaxWindowBits = 8 + c.intn(8)
		}
		if c.chance(50) {
			z.ClientMaxWindowBits = 8 + c.intn(8)
		}
		if c.chance(20) {
			z.Level = c.intn(10)
		}
		if c.chance(30) {
			z.Threshold = []int{1, 20, 100, 5000}[c.intn(4)]
		}
		p.z = z
	}
	for side := 0; side < 2; side++ {
		switch c.intn(12) {
		case 0:
			p.limit[side], p.setLimit[side] = -1, true
		case 1:
			p.limit[side], p.setLimit[side] = math.MaxInt64, true
		case 2:
			p.limit[side], p.setLimit[side] = []int64{0, 1, hTagLen - 1, hTagLen}[c.intn(4)], true
		case 3:
			p.limit[side], p.setLimit[side] = int64(hTagLen+c.intn(70000)), true
		}
		switch c.intn(10) {
		case 0:
			p.frags[side] = []int{-1, 1, 2, 3}[c.intn(4)]
		case 1:
			p.frags[side] = 2 + c.intn(20)
		}
		if c.chance(15) {
			p.closeTimeout[side] = time.Duration(1+c.intn(200)) * time.Millisecond
		}
		stream := side * 16
		for i := 0; i < 1+c.intn(3); i++ {
			p.actors = append(p.actors, genWriter(c, side, hWriter, stream))
			stream++
		}
		if c.chance(40) {
			p.actors = append(p.actors, genWriter(c, side, hTiny, stream))
			stream++
		}
		if c.chance(40) {
			a := genWriter(c, side, hQueue, stream)
			a.queue = SendQueueOptions{Size: []int{1, 2, 8, 64, 0, -1, math.MaxInt}[c.intn(7)], Full: FullPolicy(c.intn(3))}
			if c.chance(30) {
				a.queue.WriteTimeout = []time.Duration{-1, time.Millisecond, 50 * time.Millisecond}[c.intn(3)]
			}
			p.actors = append(p.actors, a)
		}
		p.actors = append(p.actors, genReader(c, side), genChaos(c, side))
	}
	p.finalCloser = c.intn(2)
	return p
}

func genWriter(c *hChoices, side int, role hRole, stream int) *hActor {
	a := &hActor{side: side, role: role, stream: stream}
	for i := 0; i < 1+c.intn(12); i++ {
		op := hOp{kind: hOpKind(c.intn(3)), typ: c.msgType()}
		switch role {
		case hTiny:
			op.size = c.intn(hTagLen)
		default:
			op.size = c.size(hTagLen)
		}
		if role == hQueue {
			op.kind = opWritePrepared
		}
		c.ctxMode(&op)
		op.piece = []int{1, 7, 100, 1000, writeBufSize, writeBufSize + 1, 70000}[c.intn(7)]
		op.misuse = c.chance(30)
		a.ops = append(a.ops, op)
	}
	return a
}

func genReader(c *hChoices, side int) *hActor {
	a := &hActor{side: side, role: hReader}
	for i := 0; i < 1+c.intn(20); i++ {
		op := hOp{kind: opReadMessage + hOpKind(c.intn(2))}
		c.ctxMode(&op)
		op.piece = []int{1, 3, 64, 1000, 5000, 70000}[c.intn(6)]
		op.abandon = c.chance(15)
		op.reuse = c.chance(60)
		op.misuse = c.chance(30)
		a.ops = append(a.ops, op)
	}
	return a
}

func genChaos(c *hChoices, side int) *hActor {
	a := &hActor{side: side, role: hChaos}
	n := c.intn(8)
	for i := 0; i < n; i++ {
		op := hOp{kind: opSetReadLimit + hOpKind(c.intn(int(opPause-opSetReadLimit)+1))}
		c.ctxMode(&op)
		switch op.kind {
		case opSetReadLimit:
			op.n = []int64{-1, math.MaxInt64, 2 << 20, 4 << 20}[c.intn(4)] // never below a message
		case opSetFragmentLimit:
			op.n = []int64{-1, math.MaxInt32, 1 << 20}[c.intn(3)]
		case opSetWriteCompression:
			op.misuse = c.chance(50)
		case opKeepAlive:
			op.d = []time.Duration{time.Millisecond, 10 * time.Millisecond, 100 * time.Millisecond}[c.intn(3)]
		case opReadDeadline, opWriteDeadline:
			op.d = []time.Duration{-time.Second, 0, 100 * time.Microsecond, time.Millisecond, 10 * time.Millisecond}[c.intn(5)]
		case opClose, opCloseNow, opCloseInvalid:
			if !c.chance(8) { // most programs run to their end
				op.kind = opPause
			}
			op.code = []StatusCode{StatusNormalClosure, StatusGoingAway, 3000, 4999, 0}[c.intn(5)]
			if op.code != 0 && c.chance(50) {
				op.reason = []string{"bye", "au revoir ☺", strings.Repeat("x", MaxCloseReason+5)}[c.intn(3)]
			}
		}
		if op.kind == opPause {
			op.d = time.Duration(c.intn(3000)) * time.Microsecond
		}
		a.ops = append(a.ops, op)
	}
	return a
}

// hMessage is the content of message seq of stream: a tag naming it, then
// bytes drawn from a generator seeded with it (text: UTF-8 of 1 to 4
// bytes a character). A message shorter than a tag (stream's tiny ones)
// repeats one letter.
func hMessage(stream, seq int, typ MessageType, size int) []byte {
	b := make([]byte, 0, size)
	if size < hTagLen {
		for len(b) < size {
			b = append(b, byte('a'+seq%26))
		}
		return b
	}
	t := byte('b')
	if typ == MessageText {
		t = 't'
	}
	b = fmt.Appendf(b, "#%c%02x%06x%08x.", t, stream, seq&0xffffff, size)
	rng := rand.New(rand.NewPCG(uint64(stream), uint64(seq)))
	for len(b) < size {
		left := size - len(b)
		switch r := rng.IntN(12); {
		case typ == MessageBinary && r < 6:
			b = append(b, byte(rng.Uint32()))
		case typ == MessageBinary && r < 8:
			n := min(left, 1+rng.IntN(40))
			b = append(b, b[len(b)-min(len(b), 1+rng.IntN(200)):][:0]...)
			for range n {
				b = append(b, b[len(b)-1])
			}
		case r < 9 && left >= 2:
			b = append(b, "é"...)
		case r < 10 && left >= 3:
			b = append(b, "☺"...)
		case r < 11 && left >= 4:
			b = append(b, "𝄞"...)
		default:
			b = append(b, byte('a'+rng.IntN(26)))
		}
	}
	return b[:size]
}

// hParseTag names the message m claims to be, from its tag.
func hParseTag(m []byte) (stream, seq, size int, typ MessageType, ok bool) {
	if len(m) < hTagLen || m[0] != '#' || m[hTagLen-1] != '.' {
		return 0, 0, 0, 0, false
	}
	switch m[1] {
	case 't':
		typ = MessageText
	case 'b':
		typ = MessageBinary
	default:
		return 0, 0, 0, 0, false
	}
	s, err1 := strconv.ParseUint(string(m[2:4]), 16, 8)
	q, err2 := strconv.ParseUint(string(m[4:10]), 16, 32)
	z, err3 := strconv.ParseUint(string(m[10:18]), 16, 32)
	if err1 != nil || err2 != nil || err3 != nil {
		return 0, 0, 0, 0, false
	}
	return int(s), int(q), int(z), typ, true
}

func (p *hProgram) describe() string {
	var b strings.Builder
	for _, a := range p.actors {
		fmt.Fprintf(&b, "  %s role %d stream %d queue %+v:", hSideNames[a.side], a.role, a.stream, a.queue)
		for _, op := range a.ops {
			fmt.Fprintf(&b, " {%d %d %v ctx%d %v %d%s%s}", op.kind, op.size, op.typ, op.ctx, op.d, op.piece,
				map[bool]string{true: " misuse"}[op.misuse], map[bool]string{true: " abandon"}[op.abandon])
		}
		b.WriteByte('\n')
	}
	return b.String()
}
