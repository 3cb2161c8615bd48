package websocket

import (
	"os"
	"sync"
	"syscall"
)

// epoll waits for sockets to become readable, for an EventLoop.
type epoll struct {
	fd     int
	wake   [2]int // a pipe: writing to wake[1] ends run
	closed sync.Once
}

func newEpoll() (*epoll, error) {
	fd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	p := &epoll{fd: fd}
	if err := syscall.Pipe2(p.wake[:], syscall.O_CLOEXEC|syscall.O_NONBLOCK); err != nil {
		syscall.Close(fd)
		return nil, os.NewSyscallError("pipe2", err)
	}
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: -1, Pad: -1}
	if err := syscall.EpollCtl(fd, syscall.EPOLL_CTL_ADD, p.wake[0], &ev); err != nil {
		p.closeFDs()
		return nil, os.NewSyscallError("epoll_ctl", err)
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
	for {
		n, err := syscall.EpollWait(p.fd, events[:], -1)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return
		}
		for _, ev := range events[:n] {
			if ev.Fd == -1 && ev.Pad == -1 {
				p.closeFDs()
				return
			}
			ready(uint64(uint32(ev.Fd)) | uint64(uint32(ev.Pad))<<32)
		}
	}
}

// close ends run, which then closes the descriptors.
func (p *epoll) close() {
	syscall.Write(p.wake[1], []byte{0})
}

func (p *epoll) closeFDs() {
	p.closed.Do(func() {
		syscall.Close(p.fd)
		syscall.Close(p.wake[0])
		syscall.Close(p.wake[1])
	})
}
