package websocket_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"sync"

	"github.com/f30c7f75/websocket"
)

// broadcast sends payload to every member's queue, framing it once.
func broadcast(queues []*websocket.SendQueue, payload []byte) error {
	pm, err := websocket.NewPreparedMessage(websocket.MessageText, payload)
	if err != nil {
		return err
	}
	for _, q := range queues { // one SendQueue per member
		q.Send(pm) // ErrQueueFull, ErrSlowConsumer or the connection's error
	}
	return nil
}

// ExampleNewSendQueue broadcasts to every member of a room: each
// connection has a SendQueue, whose goroutine writes what is queued, so
// that a slow member delays no one; a member whose queue fills is dropped
// (1008), or its messages are, as SendQueueOptions.Full says.
func ExampleNewSendQueue() {
	var (
		mu     sync.Mutex
		queues []*websocket.SendQueue
		joined = make(chan struct{})
	)
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		q := websocket.NewSendQueue(c, &websocket.SendQueueOptions{Size: 128})
		defer q.Close()
		mu.Lock()
		queues = append(queues, q)
		mu.Unlock()
		joined <- struct{}{}
		for { // read until the member leaves; pongs and closes are handled here
			if _, _, err := c.ReadMessage(r.Context(), nil); err != nil {
				return
			}
		}
	}))
	defer s.Close()

	ctx := context.Background()
	var members []*websocket.Conn
	for range 3 {
		c, _, err := websocket.Dial(ctx, wsURL(s, "/room"), nil)
		if err != nil {
			log.Fatal(err)
		}
		defer c.CloseNow()
		members = append(members, c)
		<-joined
	}

	mu.Lock()
	err := broadcast(queues, []byte("hello, room"))
	mu.Unlock()
	if err != nil {
		log.Fatal(err)
	}
	for i, c := range members {
		_, msg, err := c.ReadMessage(ctx, nil)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("member %d: %s\n", i, msg)
	}
	// Output:
	// member 0: hello, room
	// member 1: hello, room
	// member 2: hello, room
}
