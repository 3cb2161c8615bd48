//go:build !js

package websocket

import (
	"context"
	"errors"
)

// openPageSocket opens a web page's WebSocket, which only GOOS=js has.
func openPageSocket(context.Context, string, []string, *bridge) (pageSocket, string, string, error) {
	return nil, "", "", errors.ErrUnsupported
}
