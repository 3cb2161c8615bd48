package xconnect_test

import _ "github.com/f30c7f75/websocket/xconnect"

import (
	"fmt"

	"github.com/f30c7f75/websocket"
)

// Example: a program that imports the package serves WebSockets over
// HTTP/2 from net/http's server, with no GODEBUG in its environment.
func Example() {
	fmt.Println(websocket.HTTP2ExtendedConnect())
	// Output: true
}
