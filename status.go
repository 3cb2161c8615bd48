package websocket

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"strconv"
	"unicode/utf8"
)

// This file holds how a connection ends, as RFC 6455 section 7.4 names it:
// the status codes of close frames, the payload that carries them (section
// 5.5.1), and the errors that report an end: a close frame from the peer
// (CloseError), this side failing the connection (ProtocolError), and this
// side having closed it (ErrClosed).

// A StatusCode is the status code of a close frame (RFC 6455 section 7.4).
type StatusCode uint16

// Status codes from RFC 6455 section 7.4.1 and the IANA registry. 1005, 1006
// and 1015 are never sent; they describe how a connection ended.
const (
	StatusNormalClosure           StatusCode = 1000
	StatusGoingAway               StatusCode = 1001
	StatusProtocolError           StatusCode = 1002
	StatusUnsupportedData         StatusCode = 1003
	StatusNoStatusReceived        StatusCode = 1005 // a close frame without a code
	StatusAbnormalClosure         StatusCode = 1006 // the connection ended without a close frame
	StatusInvalidFramePayloadData StatusCode = 1007
	StatusPolicyViolation         StatusCode = 1008
	StatusMessageTooBig           StatusCode = 1009
	StatusMandatoryExtension      StatusCode = 1010
	StatusInternalError           StatusCode = 1011
	StatusServiceRestart          StatusCode = 1012
	StatusTryAgainLater           StatusCode = 1013
	StatusBadGateway              StatusCode = 1014
	StatusTLSHandshake            StatusCode = 1015 // the TLS handshake failed
)

var statusNames = map[StatusCode]string{
	StatusNormalClosure:           "normal closure",
	StatusGoingAway:               "going away",
	StatusProtocolError:           "protocol error",
	StatusUnsupportedData:         "unsupported data",
	StatusNoStatusReceived:        "no status received",
	StatusAbnormalClosure:         "abnormal closure",
	StatusInvalidFramePayloadData: "invalid frame payload data",
	StatusPolicyViolation:         "policy violation",
	StatusMessageTooBig:           "message too big",
	StatusMandatoryExtension:      "mandatory extension",
	StatusInternalError:           "internal error",
	StatusServiceRestart:          "service restart",
	StatusTryAgainLater:           "try again later",
	StatusBadGateway:              "bad gateway",
	StatusTLSHandshake:            "TLS handshake",
}

func (s StatusCode) String() string {
	if name, ok := statusNames[s]; ok {
		return strconv.Itoa(int(s)) + " (" + name + ")"
	}
	return strconv.Itoa(int(s))
}

// Valid reports whether s may appear in a close frame on the wire: the codes
// section 7.4.1 defines for sending (1000–1003, 1007–1011), those IANA has
// since registered (1012–1014), and the ranges 3000–4999 left to
// applications.
func (s StatusCode) Valid() bool {
	switch {
	case s >= 1000 && s <= 1003, s >= 1007 && s <= 1014:
		return true
	case s >= 3000 && s <= 4999:
		return true
	}
	return false
}

// MaxCloseReason is the longest close reason that fits in a control frame:
// 125 bytes less the two of the status code.
const MaxCloseReason = MaxControlPayload - 2

// CloseError is the error a read returns once the connection has closed.
// Code and Reason are those of the peer's close frame; a close frame without
// a code reads as StatusNoStatusReceived, and a connection that ended without
// any close frame as StatusAbnormalClosure, with the transport error in Err.
type CloseError struct {
	Code   StatusCode
	Reason string
	Err    error // why the connection ended abnormally, when Code is 1006
}

func (e *CloseError) Error() string {
	s := "websocket: closed: " + e.Code.String()
	if e.Reason != "" {
		s += " " + strconv.Quote(e.Reason)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *CloseError) Unwrap() error { return e.Err }

// CloseStatus returns the status code that ended the connection, as err
// tells it: the code of the CloseError in err's chain (the peer's, or 1006),
// or the code of the ProtocolError with which this side failed the
// connection. It returns 0 if err carries neither.
func CloseStatus(err error) StatusCode {
	var ce *CloseError
	if errors.As(err, &ce) {
		return ce.Code
	}
	var pe *ProtocolError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return 0
}

// A ProtocolError reports that the peer broke RFC 6455 (or exceeded a limit),
// so this side failed the connection, sending a close frame with Code.
type ProtocolError struct {
	Code StatusCode // the status code sent to the peer
	Msg  string     // what was wrong
}

func (e *ProtocolError) Error() string {
	return fmt.Sprintf("websocket: failed the connection with %v: %s", e.Code, e.Msg)
}

func protocolErr(code StatusCode, format string, args ...any) *ProtocolError {
	return &ProtocolError{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// AppendClosePayload appends the payload of a close frame carrying code and
// reason to b (section 5.5.1): the code as two big-endian bytes, then the
// reason. A code of 0 makes an empty payload, which the peer reads as
// StatusNoStatusReceived. The reason is cut at a UTF-8 boundary to
// MaxCloseReason bytes so the frame stays a valid control frame.
func AppendClosePayload(b []byte, code StatusCode, reason string) []byte {
	if code == 0 {
		return b
	}
	b = binary.BigEndian.AppendUint16(b, uint16(code))
	if len(reason) > MaxCloseReason {
		n := MaxCloseReason
		for n > 0 && !utf8.RuneStart(reason[n]) {
			n--
		}
		reason = reason[:n]
	}
	return append(b, reason...)
}

// ParseClosePayload decodes a received close frame's payload. An empty
// payload gives StatusNoStatusReceived. It returns a *ProtocolError for a
// payload section 5.5.1 forbids: one byte long, a code that may not be sent
// (StatusProtocolError), or a reason that is not UTF-8
// (StatusInvalidFramePayloadData).
func ParseClosePayload(p []byte) (StatusCode, string, error) {
	switch {
	case len(p) == 0:
		return StatusNoStatusReceived, "", nil
	case len(p) == 1:
		return 0, "", protocolErr(StatusProtocolError, "close frame payload of 1 byte")
	case len(p) > MaxControlPayload:
		return 0, "", protocolErr(StatusProtocolError, "close frame payload of %d bytes", len(p))
	}
	code := StatusCode(binary.BigEndian.Uint16(p))
	if !code.Valid() {
		return 0, "", protocolErr(StatusProtocolError, "invalid close code %d", uint16(code))
	}
	if !validUTF8(p[2:]) {
		return 0, "", protocolErr(StatusInvalidFramePayloadData, "close reason is not valid UTF-8")
	}
	return code, string(p[2:]), nil
}

// ErrClosed is returned by operations on a connection after it has been
// closed by this side. It wraps net.ErrClosed.
var ErrClosed = fmt.Errorf("websocket: connection closed: %w", net.ErrClosed)

// errCloseSent is returned by writes after this side has sent its close frame.
var errCloseSent = fmt.Errorf("websocket: close frame already sent: %w", net.ErrClosed)
