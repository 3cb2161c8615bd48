// Package xconnect, imported for its side effect, lets net/http's HTTP/2
// server accept WebSockets (RFC 8441), as GODEBUG=http2xconnect=1 in the
// environment does, without the environment variable:
//
//	import _ "github.com/f30c7f75/websocket/xconnect"
//
// net/http decides once, as it is initialized, from the GODEBUG environment
// variable; a //go:debug directive cannot carry the setting, which Go does
// not know by that name. Go initializes the packages a program imports in
// the order of their import paths, each after its own imports (the
// language specification, "Package initialization", since Go 1.21), and
// this package imports only os and strings, so its initialization adds the
// setting to GODEBUG before net/http reads it. An explicit
// http2xconnect=0 in the environment is left as it is.
package xconnect

import (
	"os"
	"strings"
)

func init() {
	godebug := os.Getenv("GODEBUG")
	if strings.Contains(godebug, "http2xconnect=") {
		return // set either way by whoever started the program
	}
	if godebug != "" {
		godebug += ","
	}
	os.Setenv("GODEBUG", godebug+"http2xconnect=1")
}
