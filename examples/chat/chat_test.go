package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/f30c7f75/websocket"
)

// waitLimit bounds every wait in these tests, so that a broken test fails
// instead of hanging. It is a safety net, not a measurement.
const waitLimit = 20 * time.Second

// node is a chat server under test.
type node struct {
	srv  *Server
	hs   *httptest.Server
	dial *websocket.DialOptions // how clients dial it; nil for the defaults
}

// startNode starts a chat server on a loopback port, with broker (nil for
// memory).
func startNode(t testing.TB, broker Broker) *node {
	t.Helper()
	srv := newServer(t, Options{Broker: broker})
	n := &node{srv: srv, hs: httptest.NewServer(srv)}
	t.Cleanup(n.close)
	return n
}

// newServer makes a chat server with opts, allowing it waitLimit to start.
func newServer(t testing.TB, opts Options) *Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	if opts.Events == nil {
		opts.Events = testEvents
	}
	srv, err := NewServer(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

func (n *node) close() {
	n.hs.Close() // no new connections
	n.srv.Close()
}

func (n *node) wsURL(room, name string) string {
	return "ws" + strings.TrimPrefix(n.hs.URL, "http") + "/ws/" + room + "?name=" + url.QueryEscape(name)
}

// chatClient is a chat member driven from Go.
type chatClient struct {
	t    testing.TB
	name string
	conn *websocket.Conn
	me   Member
}

// join connects name to room on n and reads its welcome.
func join(t testing.TB, n *node, room, name string) (*chatClient, Event) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, n.wsURL(room, name), n.dial)
	if err != nil {
		t.Fatalf("%s joining %s: %v", name, room, err)
	}
	c := &chatClient{t: t, name: name, conn: conn}
	t.Cleanup(func() { conn.CloseNow() })
	ev := c.next()
	if ev.Type != "welcome" || ev.You == nil || ev.You.Name != name || ev.Room != room {
		t.Fatalf("%s: first event %+v, want a welcome to %s", name, ev, room)
	}
	c.me = *ev.You
	return c, ev
}

// next reads the next event.
func (c *chatClient) next() Event {
	c.t.Helper()
	ev, err := c.read()
	if err != nil {
		c.t.Fatalf("%s: reading: %v", c.name, err)
	}
	return ev
}

func (c *chatClient) read() (Event, error) {
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	_, msg, err := c.conn.ReadMessage(ctx, nil)
	if err != nil {
		return Event{}, err
	}
	var ev Event
	if err := json.Unmarshal(msg, &ev); err != nil {
		return Event{}, fmt.Errorf("event %q is not JSON: %w", msg, err)
	}
	return ev, nil
}

// expect reads the next event and checks its type and, for notices and
// messages, who it is about and the text.
func (c *chatClient) expect(typ, who, text string) Event {
	c.t.Helper()
	ev := c.next()
	var got string
	switch {
	case ev.Member != nil:
		got = ev.Member.Name
	case ev.From != nil:
		got = ev.From.Name
	}
	if ev.Type != typ || got != who || ev.Text != text {
		c.t.Fatalf("%s: got %+v, want %s about %q with text %q", c.name, ev, typ, who, text)
	}
	return ev
}

func (c *chatClient) sendRaw(typ websocket.MessageType, p []byte) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	if err := c.conn.WriteMessage(ctx, typ, p); err != nil {
		c.t.Fatalf("%s: sending: %v", c.name, err)
	}
}

func (c *chatClient) say(text string) {
	c.t.Helper()
	p, _ := json.Marshal(inbound{Type: "message", Text: text})
	c.sendRaw(websocket.MessageText, p)
}

func (c *chatClient) leave() {
	c.conn.Close(websocket.StatusNormalClosure, "bye")
}

func memberNames(ms []Member) []string {
	var names []string
	for _, m := range ms {
		names = append(names, m.Name)
	}
	slices.Sort(names)
	return names
}

// checkConversation runs a conversation between clients joined on nodes
// (one per client, possibly the same): the welcome to the newcomer only,
// join notices to the others, messages to all, leaving announced.
func checkConversation(t *testing.T, nodes []*node) {
	room := "talk"
	names := []string{"ann", "bob", "cy"}
	var clients []*chatClient
	for i, name := range names {
		c, welcome := join(t, nodes[i%len(nodes)], room, name)
		if got, want := memberNames(welcome.Members), names[:i+1]; !slices.Equal(got, want) {
			t.Fatalf("%s's welcome lists %v, want %v", name, got, want)
		}
		for _, old := range clients {
			old.expect("join", name, "")
		}
		clients = append(clients, c)
	}
	for i, c := range clients {
		text := fmt.Sprintf("hello from %s, #%d", c.name, i)
		c.say(text)
		for _, r := range clients {
			ev := r.expect("message", c.name, text)
			if ev.From.ID != c.me.ID || ev.Room != room {
				t.Fatalf("%s got message %+v, want it from %s in %s", r.name, ev, c.me.ID, room)
			}
		}
	}
	clients[1].leave()
	clients[0].expect("leave", "bob", "")
	clients[2].expect("leave", "bob", "")
	// Nobody got anything else: a message now is the next event for both.
	clients[2].say("after bob")
	clients[0].expect("message", "cy", "after bob")
	clients[2].expect("message", "cy", "after bob")
}

// TestConversation checks the room protocol on one node in memory.
func TestConversation(t *testing.T) {
	n := startNode(t, nil)
	checkConversation(t, []*node{n})
}

// TestRoomsAreSeparate checks that events stay in their room.
func TestRoomsAreSeparate(t *testing.T) {
	n := startNode(t, nil)
	a, _ := join(t, n, "red", "ann")
	b, w := join(t, n, "blue", "bob")
	if got := memberNames(w.Members); !slices.Equal(got, []string{"bob"}) {
		t.Fatalf("blue's members %v, want only bob", got)
	}
	b.say("in blue")
	b.expect("message", "bob", "in blue")
	a.say("in red")
	a.expect("message", "ann", "in red") // not bob's join, not bob's message
}

// TestBadInput checks each kind of bad input: an error event or a close
// with the right code for the sender, and nothing at all for the others.
func TestBadInput(t *testing.T) {
	n := startNode(t, nil)
	by, _ := join(t, n, "room", "bystander")
	bad, _ := join(t, n, "room", "bad")
	by.expect("join", "bad", "")

	cases := []struct {
		msg  string
		want string // in the error
	}{
		{"not json", "not a JSON object"},
		{`["an array"]`, "not a JSON object"},
		{`{"text": "no type"}`, `no "type"`},
		{`{"type": "shout", "text": "hi"}`, `unknown message type "shout"`},
		{`{"type": "message", "text": "   "}`, "empty"},
		{`{"type": "message", "text": "` + strings.Repeat("é", maxText+1) + `"}`, "more than 1000"},
	}
	for _, tc := range cases {
		bad.sendRaw(websocket.MessageText, []byte(tc.msg))
		ev := bad.next()
		if ev.Type != "error" || !strings.Contains(ev.Error, tc.want) {
			t.Fatalf("sending %.40q: got %+v, want an error saying %q", tc.msg, ev, tc.want)
		}
	}
	// The connection still works, and the bystander saw none of it.
	bad.say("fine now")
	bad.expect("message", "bad", "fine now")
	by.expect("message", "bad", "fine now")

	closes := []struct {
		name string
		send func(c *chatClient)
		code websocket.StatusCode
	}{
		{"binary", func(c *chatClient) { c.sendRaw(websocket.MessageBinary, []byte(`{"type":"message","text":"x"}`)) }, websocket.StatusUnsupportedData},
		{"too large", func(c *chatClient) {
			c.sendRaw(websocket.MessageText, []byte(`{"type":"message","text":"`+strings.Repeat("x", maxFrame)+`"}`))
		}, websocket.StatusMessageTooBig},
		{"flooding", func(c *chatClient) {
			for i := range floodBurst + floodClose + 50 {
				p, _ := json.Marshal(inbound{Type: "message", Text: "flood " + strconv.Itoa(i)})
				if c.conn.WriteMessage(context.Background(), websocket.MessageText, p) != nil {
					return // closed by the server already
				}
			}
		}, websocket.StatusPolicyViolation},
	}
	for _, tc := range closes {
		c, _ := join(t, n, "room", tc.name)
		by.expect("join", tc.name, "")
		bad.expect("join", tc.name, "")
		tc.send(c)
		var err error
		flood, dropped := 0, 0
		for err == nil {
			var ev Event
			ev, err = c.read()
			switch {
			case err != nil:
			case ev.Type == "message":
				flood++
			case ev.Type == "error" && strings.Contains(ev.Error, "slow down"):
				dropped++
			default:
				t.Fatalf("%s: got %+v before the close", tc.name, ev)
			}
		}
		if got := websocket.CloseStatus(err); got != tc.code {
			t.Fatalf("%s: connection ended with %v, want close code %v", tc.name, err, tc.code)
		}
		if tc.name == "flooding" && dropped == 0 {
			t.Fatalf("flooding: %d messages went through and none was refused", flood)
		}
		// The others see the flood that got through, the same for both,
		// then the leave.
		var seen []int
		for _, o := range []*chatClient{by, bad} {
			k := 0
			for {
				ev := o.next()
				if ev.Type == "leave" && ev.Member.Name == tc.name {
					break
				}
				if ev.Type != "message" || ev.From.Name != tc.name {
					t.Fatalf("%s: got %+v, want %s's message or leave", o.name, ev, tc.name)
				}
				k++
			}
			seen = append(seen, k)
		}
		if seen[0] != seen[1] || seen[0] < flood {
			t.Fatalf("%s: the others saw %v of its messages; it saw %d of its own", tc.name, seen, flood)
		}
	}
	by.say("still here")
	by.expect("message", "bystander", "still here")
	bad.expect("message", "bystander", "still here")
}

// TestRejectsBadRoomAndName checks the HTTP answers before the upgrade.
func TestRejectsBadRoomAndName(t *testing.T) {
	n := startNode(t, nil)
	for _, tc := range []struct {
		path string
		code int
	}{
		{"/ws/bad%20room?name=ann", http.StatusNotFound},
		{"/ws/" + strings.Repeat("r", 33) + "?name=ann", http.StatusNotFound},
		{"/ws/ok?name=", http.StatusBadRequest},
		{"/ws/ok?name=" + strings.Repeat("n", maxName+1), http.StatusBadRequest},
		{"/ws/ok?name=%07bell", http.StatusBadRequest},
		{"/room/bad.room", http.StatusNotFound},
		{"/room/fine", http.StatusOK},
		{"/static/chat.js", http.StatusOK},
	} {
		resp, err := http.Get(n.hs.URL + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.code {
			t.Errorf("GET %s: %d, want %d", tc.path, resp.StatusCode, tc.code)
		}
	}
}

// requirePeer finds a program the test needs. Where it is missing the test
// is skipped, unless CI_REQUIRE_PEERS is set, when it fails.
func requirePeer(t testing.TB, names ...string) string {
	t.Helper()
	for _, name := range names {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := fmt.Sprintf("%s not found on PATH (apt-get install %s)", names[0], names[0])
	if os.Getenv("CI_REQUIRE_PEERS") != "" {
		t.Fatal(msg + "; CI_REQUIRE_PEERS is set, so this is a failure")
	}
	t.Skip(msg + "; skipped (set CI_REQUIRE_PEERS to make this a failure)")
	return ""
}

// freePort returns a loopback port nobody listens on at the moment.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startRedis starts a redis-server of its own on a free loopback port,
// without persistence, and returns its URL.
func startRedis(t testing.TB) string {
	t.Helper()
	bin := requirePeer(t, "redis-server")
	port := freePort(t)
	dir := t.TempDir()
	cmd := exec.Command(bin, "--bind", "127.0.0.1", "--port", strconv.Itoa(port),
		"--save", "", "--appendonly", "no", "--dir", dir, "--logfile", filepath.Join(dir, "redis.log"))
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting redis-server: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	u := fmt.Sprintf("redis://127.0.0.1:%d/0", port)
	deadline := time.Now().Add(waitLimit)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		b, err := newRedisBroker(ctx, u)
		cancel()
		if err == nil {
			b.Close()
			return u
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "redis.log"))
			t.Fatalf("redis-server did not come up: %v\n%s", err, log)
		}
		time.Sleep(50 * time.Millisecond) // waiting for it to listen
	}
}

// redisNodes starts two chat nodes sharing rooms through a redis-server of
// the test's own.
func redisNodes(t testing.TB) []*node {
	u := startRedis(t)
	var nodes []*node
	for range 2 {
		ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
		b, err := newRedisBroker(ctx, u)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		n := startNode(t, b)
		t.Cleanup(func() { b.Close() })
		nodes = append(nodes, n)
	}
	return nodes
}

// TestConversationAcrossNodes checks the room protocol with members on two
// nodes joined by Redis.
func TestConversationAcrossNodes(t *testing.T) {
	nodes := redisNodes(t)
	checkConversation(t, nodes)
}

// TestServerCloseSaysRestart checks that a closing server closes its
// connections with 1012, the signal for pages to reconnect.
func TestServerCloseSaysRestart(t *testing.T) {
	n := startNode(t, nil)
	c, _ := join(t, n, "room", "ann")
	go n.srv.Close()
	_, err := c.read()
	if got := websocket.CloseStatus(err); got != websocket.StatusServiceRestart {
		t.Fatalf("read ended with %v, want 1012", err)
	}
}

// TestStaleJoinNoticeSkipped checks that a join notice arriving after a
// newcomer's welcome, about a member that welcome already listed (as one
// published by another node just before can), does not reach the
// newcomer, while the others' notices do.
func TestStaleJoinNoticeSkipped(t *testing.T) {
	n := startNode(t, nil)
	ann, _ := join(t, n, "room", "ann")
	bob, welcome := join(t, n, "room", "bob")
	ann.expect("join", "bob", "")
	if got := memberNames(welcome.Members); !slices.Equal(got, []string{"ann", "bob"}) {
		t.Fatalf("bob's welcome lists %v", got)
	}
	// ann's join notice, late, as if relayed from another node.
	n.srv.deliver(Event{Type: "join", Room: "room", Member: &ann.me, Time: time.Now().UTC()})
	cy, _ := join(t, n, "room", "cy")
	bob.expect("join", "cy", "") // not ann's again
	ann.expect("join", "cy", "")
	cy.say("hi")
	for _, c := range []*chatClient{ann, bob, cy} {
		c.expect("message", "cy", "hi")
	}
}

// gatedBroker is a memory broker whose first Members call waits for open,
// after saying so on reading: a newcomer held between joining the room and
// its welcome.
type gatedBroker struct {
	*memoryBroker
	reading, open chan struct{}
	calls         int
}

func (b *gatedBroker) Members(ctx context.Context, room string) ([]Member, error) {
	b.mu.Lock()
	b.calls++
	first := b.calls == 1
	b.mu.Unlock()
	if first {
		close(b.reading)
		<-b.open
	}
	return b.memoryBroker.Members(ctx, room)
}

// TestEventsBeforeWelcomeFollowIt checks that what a room hears while a
// newcomer's welcome is being made reaches the newcomer after it: a member
// who joins then is in the welcome (and not announced again), and a
// message said then is the next event. The newcomer used to be added to
// the room after its welcome went out, and missed both.
func TestEventsBeforeWelcomeFollowIt(t *testing.T) {
	b := &gatedBroker{memoryBroker: newMemoryBroker(), reading: make(chan struct{}), open: make(chan struct{})}
	n := startNode(t, b)
	type joined struct {
		c       *chatClient
		welcome Event
	}
	annJoined := make(chan joined, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
		defer cancel()
		conn, _, err := websocket.Dial(ctx, n.wsURL("room", "ann"), nil)
		if err != nil {
			annJoined <- joined{}
			return
		}
		c := &chatClient{t: t, name: "ann", conn: conn}
		ev, _ := c.read()
		annJoined <- joined{c, ev}
	}()
	<-b.reading // ann is in the room; its welcome waits for the member list
	bob, _ := join(t, n, "room", "bob")
	bob.say("while ann waits")
	bob.expect("message", "bob", "while ann waits")
	close(b.open)
	j := <-annJoined
	if j.c == nil {
		t.Fatal("ann could not join")
	}
	t.Cleanup(func() { j.c.conn.CloseNow() })
	if j.welcome.Type != "welcome" {
		t.Fatalf("ann's first event is %+v, want its welcome", j.welcome)
	}
	if got := memberNames(j.welcome.Members); !slices.Equal(got, []string{"ann", "bob"}) {
		t.Fatalf("ann's welcome lists %v, want ann and bob", got)
	}
	bob.say("after")
	j.c.expect("message", "bob", "while ann waits")
	j.c.expect("message", "bob", "after")
}
