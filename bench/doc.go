// Package bench compares github.com/f30c7f75/websocket with
// gorilla/websocket, coder/websocket, gobwas/ws and lxzan/gws: in-process
// benchmarks in this package's tests, and an echo server (cmd/echoserver)
// driven over loopback by a load client (cmd/load) from run.sh. See
// README.md. Nothing here is imported by the websocket module itself.
package bench
