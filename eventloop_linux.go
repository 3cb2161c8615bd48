package websocket

import (
	"os"
	"syscall"
)

// epoll waits for sockets to become readable, for an EventLoop. Its own
// descriptor is in Go's poller: run waits there, as a goroutine reading a
// socket does, and asks epoll only for what is ready, so that no thread
// sits blocked in epoll_wait and the runtime wakes once per batch of
// events, not twice.
type epoll struct {
	fd   int
	file *os.File // fd, as Go's poller knows it
	rc   syscall.RawConn
}

func newEpoll() (*epoll, error) {
	fd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	// Non-blocking, os.NewFile puts it in Go's poller.
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return nil, os.NewSyscallError("fcntl", err)
	}
	p := &epoll{fd: fd, file: os.NewFile(uintptr(fd), "epoll")}
	if p.rc, err = p.file.SyscallConn(); err != nil {
		p.file.Close()
		return nil, err
	}
	return p, nil
}

// The events a connection is watched for, edge-triggered: readable, and
// the peer's end of the stream (or an error), which a read then reports.
const watchEvents = syscall.EPOLLIN | syscall.EPOLLRDHUP | 1<<31 // EPOLLET

// watch adds socket fd, reported to run's callback as key.
func (p *epoll) watch(fd int, key uint64) error {
	ev := syscall.EpollEvent{Events: watchEvents, Fd: int32(uint32(key)), Pad: int32(uint32(key >> 32))}
	if err := syscall.EpollCtl(p.fd, syscall.EPOLL_CTL_ADD, fd, &ev); err != nil {
		return os.NewSyscallError("epoll_ctl", err)
	}
	return nil
}

// run calls ready with the key of each socket that becomes readable, until
// close.
func (p *epoll) run(ready func(key uint64)) {
	var events [256]syscall.EpollEvent
	n := 0
	collect := func(fd uintptr) bool {
		for {
			var err error
			n, err = syscall.EpollWait(int(fd), events[:], 0)
			if err != syscall.EINTR {
				// Nothing ready (or an error, which epoll_wait on our own
				// descriptor does not give): wait for Go's poller.
				return n > 0
			}
		}
	}
	for {
		if err := p.rc.Read(collect); err != nil {
			return // closed
		}
		for _, ev := range events[:n] {
			ready(uint64(uint32(ev.Fd)) | uint64(uint32(ev.Pad))<<32)
		}
	}
}

// close ends run and closes the descriptor.
func (p *epoll) close() {
	p.file.Close()
}
