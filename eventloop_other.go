//go:build !linux

package websocket

import "errors"

// epoll stands for a poller where there is none: an EventLoop then reads
// each connection from a goroutine of its own.
type epoll struct{}

func newEpoll() (*epoll, error)               { return nil, errors.ErrUnsupported }
func (*epoll) watch(fd int, key uint64) error { return errors.ErrUnsupported }
func (*epoll) run(ready func(key uint64))     {}
func (*epoll) close()                         {}
