package websocket

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestStatusCodeValidAll checks StatusCode.Valid for every code from 0 to
// 5000 against RFC 6455 section 7.4: 0–999 are not used; of 1000–2999 (the
// protocol's range) 1000–1003 and 1007–1011 are defined for sending, 1004 is
// reserved, 1005, 1006 and 1015 "MUST NOT be set as a status code in a Close
// control frame", and 1012–1014 have since been registered with IANA;
// 3000–4999 belong to libraries, frameworks and applications (section
// 7.4.2); nothing above 4999 is defined.
func TestStatusCodeValidAll(t *testing.T) {
	for c := 0; c <= 5000; c++ {
		want := (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1014) || (c >= 3000 && c <= 4999)
		if got := StatusCode(c).Valid(); got != want {
			t.Errorf("StatusCode(%d).Valid() = %v, want %v", c, got, want)
		}
	}
	for _, c := range []StatusCode{5001, 9999, 65535} {
		if c.Valid() {
			t.Errorf("StatusCode(%d).Valid() = true, want false", uint16(c))
		}
	}
	// The named constants sit where section 7.4.1 puts them.
	for _, tt := range []struct {
		c    StatusCode
		want uint16
	}{
		{StatusNormalClosure, 1000}, {StatusGoingAway, 1001}, {StatusProtocolError, 1002},
		{StatusUnsupportedData, 1003}, {StatusNoStatusReceived, 1005}, {StatusAbnormalClosure, 1006},
		{StatusInvalidFramePayloadData, 1007}, {StatusPolicyViolation, 1008}, {StatusMessageTooBig, 1009},
		{StatusMandatoryExtension, 1010}, {StatusInternalError, 1011}, {StatusTLSHandshake, 1015},
	} {
		if uint16(tt.c) != tt.want {
			t.Errorf("%v = %d, want %d", tt.c, uint16(tt.c), tt.want)
		}
	}
}

// TestClosePayloadEncoding checks the layout of section 5.5.1: a two-byte
// big-endian status code followed by the UTF-8 reason, appended to what the
// buffer already holds; a code of 0 makes an empty payload.
func TestClosePayloadEncoding(t *testing.T) {
	tests := []struct {
		code   StatusCode
		reason string
		want   []byte
	}{
		{StatusNormalClosure, "", []byte{0x03, 0xe8}},
		{StatusNormalClosure, "bye", []byte{0x03, 0xe8, 'b', 'y', 'e'}},
		{StatusGoingAway, "κ", []byte{0x03, 0xe9, 0xce, 0xba}},
		{4999, "x", []byte{0x13, 0x87, 'x'}},
		{0, "", nil},
		{0, "ignored without a code", nil},
	}
	for _, tt := range tests {
		if got := AppendClosePayload(nil, tt.code, tt.reason); !bytes.Equal(got, tt.want) {
			t.Errorf("AppendClosePayload(nil, %d, %q) = % x, want % x", uint16(tt.code), tt.reason, got, tt.want)
		}
		prefix := []byte{0xaa, 0xbb}
		if got := AppendClosePayload(prefix[:2:2], tt.code, tt.reason); !bytes.Equal(got, utCat(prefix, tt.want)) {
			t.Errorf("AppendClosePayload(% x, %d, %q) = % x, want % x", prefix, uint16(tt.code), tt.reason, got, utCat(prefix, tt.want))
		}
	}
}

// TestClosePayloadRoundTrip checks that ParseClosePayload returns the code
// and reason AppendClosePayload encoded, for every valid code.
func TestClosePayloadRoundTrip(t *testing.T) {
	reasons := []string{
		"",
		"bye",
		"κόσμε € 😀",
		strings.Repeat("r", MaxCloseReason),
		strings.Repeat("r", MaxCloseReason-2) + "é",
		strings.Repeat("r", MaxCloseReason-4) + "😀",
	}
	for c := 0; c <= 65535; c++ {
		code := StatusCode(c)
		if !code.Valid() {
			continue
		}
		for _, reason := range reasons {
			p := AppendClosePayload(nil, code, reason)
			if len(p) > MaxControlPayload {
				t.Fatalf("code %d reason of %d bytes: payload of %d bytes, more than a control frame carries", c, len(reason), len(p))
			}
			gotCode, gotReason, err := ParseClosePayload(p)
			if err != nil || gotCode != code || gotReason != reason {
				t.Errorf("ParseClosePayload(AppendClosePayload(%d, %q)) = %d, %q, %v", c, reason, uint16(gotCode), gotReason, err)
			}
		}
	}
	// An empty payload is a close frame without a code (section 7.1.5:
	// "If this Close control frame contains no status code, _The
	// WebSocket Connection Close Code_ is considered to be 1005").
	code, reason, err := ParseClosePayload(nil)
	if err != nil || code != StatusNoStatusReceived || reason != "" {
		t.Errorf("ParseClosePayload(empty) = %d, %q, %v; want 1005, \"\", nil", uint16(code), reason, err)
	}
	code, reason, err = ParseClosePayload(AppendClosePayload(nil, 0, "x"))
	if err != nil || code != StatusNoStatusReceived || reason != "" {
		t.Errorf("ParseClosePayload(AppendClosePayload(0, \"x\")) = %d, %q, %v; want 1005, \"\", nil", uint16(code), reason, err)
	}
}

// utWantProtocolError checks that err is a *ProtocolError with code.
func utWantProtocolError(t *testing.T, what string, err error, code StatusCode) {
	t.Helper()
	var pe *ProtocolError
	if !errors.As(err, &pe) {
		t.Errorf("%s: error %v (%T), want a *ProtocolError with code %d", what, err, err, uint16(code))
		return
	}
	if pe.Code != code {
		t.Errorf("%s: ProtocolError code %d, want %d (%v)", what, uint16(pe.Code), uint16(code), err)
	}
}

// TestParseClosePayloadErrors checks the payloads section 5.5.1 forbids: a
// one-byte body (the code takes two), a code that may not be sent (section
// 7.4; failing with 1002), a reason that is not UTF-8 (section 8.1; failing
// with 1007), and a body longer than the 125 bytes of a control frame
// (section 5.5).
func TestParseClosePayloadErrors(t *testing.T) {
	for _, b := range []byte{0x00, 0x03, 0xe8, 0xff} {
		_, _, err := ParseClosePayload([]byte{b})
		utWantProtocolError(t, fmt.Sprintf("1-byte payload %#x", b), err, StatusProtocolError)
	}

	for _, c := range []uint16{0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535} {
		for _, reason := range []string{"", "why"} {
			p := []byte{byte(c >> 8), byte(c)}
			p = append(p, reason...)
			_, _, err := ParseClosePayload(p)
			utWantProtocolError(t, fmt.Sprintf("code %d reason %q", c, reason), err, StatusProtocolError)
		}
	}

	for _, reason := range []string{
		"\xff",
		"bye\xc3",          // truncated
		"\xc0\xaf",         // overlong
		"\xed\xa0\x80",     // surrogate
		"\xf4\x90\x80\x80", // above U+10FFFF
		"ok\x80ok",         // lone continuation
	} {
		p := append([]byte{0x03, 0xe8}, reason...)
		_, _, err := ParseClosePayload(p)
		utWantProtocolError(t, fmt.Sprintf("reason % x", reason), err, StatusInvalidFramePayloadData)
	}

	long := append([]byte{0x03, 0xe8}, strings.Repeat("x", MaxCloseReason+1)...)
	_, _, err := ParseClosePayload(long)
	utWantProtocolError(t, "126-byte payload", err, StatusProtocolError)
	if _, _, err := ParseClosePayload(long[:MaxControlPayload]); err != nil {
		t.Errorf("125-byte payload: %v", err)
	}
}

// utCutReason is the reference cut: the longest prefix of s of at most max
// bytes that ends between two runes.
func utCutReason(s string, max int) string {
	n := 0
	for _, r := range s {
		k := utf8.RuneLen(r)
		if n+k > max {
			break
		}
		n += k
	}
	return s[:n]
}

// TestAppendClosePayloadTruncates checks that a reason too long for a
// control frame (section 5.5: payloads of at most 125 bytes, less 2 for the
// code) is cut to MaxCloseReason bytes at a UTF-8 boundary, so that the
// close frame stays valid and its reason stays UTF-8 (section 5.5.1).
func TestAppendClosePayloadTruncates(t *testing.T) {
	a := func(n int) string { return strings.Repeat("a", n) }
	tests := []struct {
		reason  string
		wantLen int
	}{
		{a(123), 123},
		{a(124), 123},
		{a(500), 123},
		{a(121) + "é", 123},            // ends exactly at 123
		{a(122) + "é", 122},            // é at bytes 122–123
		{a(122) + "é" + a(5), 122},     // and more after it
		{a(120) + "€", 123},            // ends exactly at 123
		{a(121) + "€", 121},            // € at bytes 121–123
		{a(122) + "€", 122},            // € at bytes 122–124
		{a(120) + "€" + "b", 123},      // the cut falls after the €
		{a(119) + "😀", 123},            // ends exactly at 123
		{a(120) + "😀", 120},            // 😀 at bytes 120–123
		{a(121) + "😀", 121},            // 😀 at bytes 121–124
		{a(122) + "😀", 122},            // 😀 at bytes 122–125
		{a(123) + "😀", 123},            // 😀 just after the limit
		{strings.Repeat("é", 70), 122}, // 2-byte runes throughout
		{strings.Repeat("€", 50), 123}, // 3-byte runes throughout
		{strings.Repeat("😀", 40), 120}, // 4-byte runes throughout
		{"x" + strings.Repeat("😀", 40), 121},
		{"xy" + strings.Repeat("😀", 40), 122},
		{"xyz" + strings.Repeat("😀", 40), 123},
	}
	for _, tt := range tests {
		want := utCutReason(tt.reason, MaxCloseReason)
		if len(want) != tt.wantLen {
			t.Fatalf("table: reason of %d bytes cuts to %d bytes, table says %d", len(tt.reason), len(want), tt.wantLen)
		}
		p := AppendClosePayload(nil, StatusGoingAway, tt.reason)
		if len(p) > MaxControlPayload {
			t.Errorf("reason of %d bytes: payload of %d bytes, more than %d", len(tt.reason), len(p), MaxControlPayload)
		}
		if len(p) < 2 {
			t.Errorf("reason of %d bytes: payload % x has no code", len(tt.reason), p)
			continue
		}
		got := string(p[2:])
		if got != want {
			t.Errorf("reason of %d bytes cut to %d bytes (ending % x), want %d bytes (ending % x)",
				len(tt.reason), len(got), utTail(got), len(want), utTail(want))
		}
		if !utf8.ValidString(got) {
			t.Errorf("reason of %d bytes cut into invalid UTF-8 ending % x", len(tt.reason), utTail(got))
		}
		code, reason, err := ParseClosePayload(p)
		if err != nil || code != StatusGoingAway || reason != want {
			t.Errorf("reason of %d bytes: ParseClosePayload = %d, %d bytes, %v", len(tt.reason), uint16(code), len(reason), err)
		}
	}
}

// utTail returns the last few bytes of s.
func utTail(s string) []byte {
	return []byte(s[max(0, len(s)-6):])
}

// TestCloseErrorText checks that CloseError and ProtocolError read well:
// the code, its name, and the reason, message or cause.
func TestCloseErrorText(t *testing.T) {
	cause := io.ErrUnexpectedEOF
	tests := []struct {
		err  error
		want []string
	}{
		{&CloseError{Code: StatusNormalClosure, Reason: "bye"}, []string{"websocket", "1000", "normal closure", "bye"}},
		{&CloseError{Code: StatusGoingAway}, []string{"websocket", "1001", "going away"}},
		{&CloseError{Code: 4321, Reason: "app says no"}, []string{"4321", "app says no"}},
		{&CloseError{Code: StatusAbnormalClosure, Err: cause}, []string{"1006", "abnormal closure", cause.Error()}},
		{&CloseError{Code: StatusNoStatusReceived}, []string{"1005", "no status received"}},
		{&ProtocolError{Code: StatusProtocolError, Msg: "reserved opcode 0x3"}, []string{"websocket", "1002", "protocol error", "reserved opcode 0x3"}},
		{&ProtocolError{Code: StatusInvalidFramePayloadData, Msg: "bad text"}, []string{"1007", "invalid frame payload data", "bad text"}},
		{&ProtocolError{Code: StatusMessageTooBig, Msg: "too big"}, []string{"1009", "message too big", "too big"}},
	}
	for _, tt := range tests {
		s := tt.err.Error()
		for _, w := range tt.want {
			if !strings.Contains(s, w) {
				t.Errorf("%#v.Error() = %q, want it to contain %q", tt.err, s, w)
			}
		}
		// No formatting accidents: missing verbs or raw struct dumps.
		for _, bad := range []string{"%!", "&{", "<nil>"} {
			if strings.Contains(s, bad) {
				t.Errorf("%#v.Error() = %q contains %q", tt.err, s, bad)
			}
		}
		if strings.Contains(s, "\n") {
			t.Errorf("%#v.Error() = %q spans lines", tt.err, s)
		}
	}
	// A CloseError's cause is reachable through errors.Is.
	if ce := (&CloseError{Code: StatusAbnormalClosure, Err: cause}); !errors.Is(ce, cause) {
		t.Errorf("errors.Is(%v, %v) = false", ce, cause)
	}
}

// TestCloseStatusWrapped checks that CloseStatus finds a *CloseError
// however deeply it is wrapped, and reports 0 when there is none.
func TestCloseStatusWrapped(t *testing.T) {
	ce := &CloseError{Code: StatusGoingAway, Reason: "restart"}
	tests := []struct {
		name string
		err  error
		want StatusCode
	}{
		{"nil", nil, 0},
		{"plain", errors.New("x"), 0},
		{"eof", io.EOF, 0},
		{"protocol error", &ProtocolError{Code: StatusProtocolError, Msg: "m"}, StatusProtocolError},
		{"direct", ce, StatusGoingAway},
		{"wrapped", fmt.Errorf("read: %w", ce), StatusGoingAway},
		{"wrapped twice", fmt.Errorf("outer: %w", fmt.Errorf("inner: %w", ce)), StatusGoingAway},
		{"joined", errors.Join(errors.New("other"), ce), StatusGoingAway},
		{"not wrapped with %v", fmt.Errorf("read: %v", ce), 0},
		{"no status", fmt.Errorf("x: %w", &CloseError{Code: StatusNoStatusReceived}), StatusNoStatusReceived},
		{"application code", fmt.Errorf("x: %w", &CloseError{Code: 4000}), 4000},
	}
	for _, tt := range tests {
		if got := CloseStatus(tt.err); got != tt.want {
			t.Errorf("%s: CloseStatus(%v) = %d, want %d", tt.name, tt.err, uint16(got), uint16(tt.want))
		}
	}
	// A wrapped CloseError is still reachable with errors.As.
	var got *CloseError
	if !errors.As(fmt.Errorf("w: %w", ce), &got) || got != ce {
		t.Errorf("errors.As did not find the wrapped *CloseError")
	}
}
