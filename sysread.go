//go:build !windows

package websocket

import "syscall"

// sysRead reads from the socket fd of a syscall.RawConn, without waiting.
func sysRead(fd uintptr, p []byte) (int, error) { return syscall.Read(int(fd), p) }

// rawReads is whether reads may go to the socket through its
// syscall.RawConn (see rawReader).
const rawReads = true
