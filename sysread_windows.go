package websocket

import "syscall"

// sysRead is never called on Windows, whose sockets the package reads only
// through net.Conn (rawReads is false); it exists for the build.
func sysRead(fd uintptr, p []byte) (int, error) { return syscall.Read(syscall.Handle(fd), p) }

// rawReads is false: a Windows socket's syscall.RawConn does not wait for
// readability as readFresh needs.
const rawReads = false
