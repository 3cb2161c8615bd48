package websocket_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/f30c7f75/websocket"
)

// ExampleConn_NextWriter streams a message too large to hold in memory at
// once: the writer sends a frame each time its 16 KiB buffer fills, and the
// reader hands over the payload as it arrives, whatever the frames.
func ExampleConn_NextWriter() {
	sums := make(chan string, 1)
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		c.SetReadLimit(-1) // no limit: the message is not held whole
		_, msg, err := c.NextReader(r.Context())
		if err != nil {
			log.Fatal(err)
		}
		h := sha256.New()
		n, err := io.Copy(h, msg)
		if err != nil {
			log.Fatal(err)
		}
		sums <- fmt.Sprintf("%d bytes, sha256 %x", n, h.Sum(nil)[:4])
	}))
	defer s.Close()

	ctx := context.Background()
	c, _, err := websocket.Dial(ctx, wsURL(s, "/"), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.CloseNow()
	w, err := c.NextWriter(ctx, websocket.MessageBinary)
	if err != nil {
		log.Fatal(err)
	}
	// 64 MiB of zeros, from a reader; twice the default read limit.
	if _, err := io.Copy(w, io.LimitReader(zeros{}, 64<<20)); err != nil {
		log.Fatal(err)
	}
	if err := w.Close(); err != nil { // sends the final frame
		log.Fatal(err)
	}
	fmt.Println(<-sums)
	// Output: 67108864 bytes, sha256 3b6a07d0
}

// zeros is an endless stream of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// reading is what a sensor reports.
type reading struct {
	Sensor string  `json:"sensor"`
	Value  float64 `json:"value"`
}

// Example_json sends and receives JSON, one value per text message: the
// encoder writes into the message's writer, and the decoder reads from the
// message's reader, so that no message is held whole twice.
func Example_json() {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		c.SetReadLimit(4 << 10) // a JSON value larger than this fails the connection (1009)
		ctx := r.Context()
		for {
			_, msg, err := c.NextReader(ctx)
			if err != nil {
				return
			}
			var in reading
			if err := json.NewDecoder(msg).Decode(&in); err != nil {
				c.Close(websocket.StatusUnsupportedData, "not a reading")
				return
			}
			in.Value *= 2
			if err := writeJSON(ctx, c, in); err != nil {
				return
			}
		}
	}))
	defer s.Close()

	ctx := context.Background()
	c, _, err := websocket.Dial(ctx, wsURL(s, "/"), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.CloseNow()
	if err := writeJSON(ctx, c, reading{Sensor: "t1", Value: 21.5}); err != nil {
		log.Fatal(err)
	}
	_, msg, err := c.NextReader(ctx)
	if err != nil {
		log.Fatal(err)
	}
	var back reading
	if err := json.NewDecoder(msg).Decode(&back); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%+v\n", back)

	// A message that is not a reading gets the connection closed with 1003.
	if err := c.WriteMessage(ctx, websocket.MessageText, []byte("{")); err != nil {
		log.Fatal(err)
	}
	_, _, err = c.ReadMessage(ctx, nil)
	fmt.Println(websocket.CloseStatus(err))
	// Output:
	// {Sensor:t1 Value:43}
	// 1003 (unsupported data)
}

// writeJSON sends v as one text message.
func writeJSON(ctx context.Context, c *websocket.Conn, v any) error {
	w, err := c.NextWriter(ctx, websocket.MessageText)
	if err != nil {
		return err
	}
	if err := json.NewEncoder(w).Encode(v); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}

// ExampleStreamConn runs a line protocol over a WebSocket: StreamConn makes
// the connection a net.Conn carrying a byte stream in binary messages, for
// code written for TCP (here a bufio.Scanner and fmt.Fprintf).
func ExampleStreamConn() {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		nc := websocket.StreamConn(r.Context(), c, websocket.MessageBinary)
		defer nc.Close()
		lines := bufio.NewScanner(nc)
		for lines.Scan() {
			fmt.Fprintf(nc, "%s\n", strings.ToUpper(lines.Text()))
		}
	}))
	defer s.Close()

	ctx := context.Background()
	c, _, err := websocket.Dial(ctx, wsURL(s, "/"), nil)
	if err != nil {
		log.Fatal(err)
	}
	nc := websocket.StreamConn(ctx, c, websocket.MessageBinary)
	defer nc.Close() // a close frame with 1000; the server's reads end with io.EOF
	replies := bufio.NewReader(nc)
	for _, line := range []string{"hello", "stream"} {
		fmt.Fprintf(nc, "%s\n", line)
		reply, err := replies.ReadString('\n')
		if err != nil {
			log.Fatal(err)
		}
		fmt.Print(reply)
	}
	// Output:
	// HELLO
	// STREAM
}
