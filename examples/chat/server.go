package main

import (
	"context"
	"crypto/rand"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/f30c7f75/websocket"
)

//go:embed static
var staticFiles embed.FS

// Options configures a chat Server.
type Options struct {
	// Broker shares rooms with other nodes; nil keeps them in memory.
	Broker Broker
	// PingInterval is how often connections are pinged; zero means 30 s.
	PingInterval time.Duration
	// QueueSize is each connection's outgoing queue; zero means 256.
	QueueSize int
	// Logf, when set, is told of each WebSocket as it opens: its room,
	// its member and the HTTP version it came over.
	Logf func(format string, args ...any)
	// Events, when set, reads the connections instead of a goroutine
	// each, and pings them from timers instead of KeepAlive's goroutine:
	// an idle member then costs no goroutine.
	Events *websocket.EventLoop
}

// Server is a chat node: it serves the page and the WebSocket endpoint,
// and broadcasts each room's events to the room's members connected here.
type Server struct {
	broker  Broker
	opts    Options
	mux     *http.ServeMux
	ctx     context.Context // ends when the server closes
	cancel  context.CancelFunc
	handles sync.WaitGroup

	mu    sync.Mutex
	rooms map[string]map[string]*client // room, member ID
	done  bool
}

// client is one WebSocket connection to a room.
type client struct {
	Member
	room string
	conn *websocket.Conn
	out  *websocket.SendQueue

	// The IDs of the members its welcome listed, sorted, for a while after
	// it: a join notice for one of them, published by another node before
	// the welcome but arriving after it, is not news. Guarded by Server.mu.
	welcomed      []string
	welcomedUntil time.Time

	// Until its welcome is queued, the events delivered to the room wait
	// here (non-nil) to follow it. Guarded by Server.mu.
	early []Event

	// The timer of the next ping, with an EventLoop.
	pingMu       sync.Mutex
	pinger       *time.Timer
	pingsStopped bool

	// Flood control, by the reader of the connection.
	limiter  *limiter
	dropped  int // messages dropped for flooding, with no floodCalm pause since
	lastDrop time.Time
}

// staleJoinWindow is how long a client's welcome list is kept to recognise
// join notices that were in flight when it was made.
const staleJoinWindow = 10 * time.Second

// skips reports whether ev is not for cl: its own join notice, or a stale
// one. Server.mu is held.
func (cl *client) skips(ev Event, now time.Time) bool {
	return ev.Type == "join" && ev.Member != nil && (ev.Member.ID == cl.ID || cl.staleJoin(ev, now))
}

// staleJoin reports whether ev, a join notice, is about a member cl's
// welcome already listed.
func (cl *client) staleJoin(ev Event, now time.Time) bool {
	if cl.welcomed == nil {
		return false
	}
	if now.After(cl.welcomedUntil) {
		cl.welcomed = nil
		return false
	}
	_, found := slices.BinarySearch(cl.welcomed, ev.Member.ID)
	return found
}

var roomName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

// NewServer makes a node and subscribes it to its broker's events.
func NewServer(ctx context.Context, opts Options) (*Server, error) {
	if opts.Broker == nil {
		opts.Broker = newMemoryBroker()
	}
	if opts.PingInterval <= 0 {
		opts.PingInterval = 30 * time.Second
	}
	if opts.QueueSize <= 0 {
		opts.QueueSize = 256
	}
	s := &Server{broker: opts.Broker, opts: opts, rooms: make(map[string]map[string]*client)}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	if err := s.broker.Subscribe(ctx, s.deliver); err != nil {
		return nil, err
	}
	static, _ := fs.Sub(staticFiles, "static")
	s.mux = http.NewServeMux()
	s.mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	s.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/room/lobby", http.StatusFound)
	})
	s.mux.HandleFunc("GET /room/{room}", s.servePage)
	s.mux.HandleFunc("GET /ws/{room}", s.serveWS)
	s.mux.HandleFunc("CONNECT /ws/{room}", s.serveWS) // WebSockets over HTTP/2 (RFC 8441)
	go s.refreshMembers()
	return s, nil
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

func (s *Server) servePage(w http.ResponseWriter, r *http.Request) {
	if !roomName.MatchString(r.PathValue("room")) {
		http.Error(w, "room names are 1 to 32 letters, digits, '-' or '_'", http.StatusNotFound)
		return
	}
	page, err := staticFiles.ReadFile("static/index.html")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(page)
}

// cleanName checks a user name and trims it.
func cleanName(name string) (string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", errors.New("a name is required")
	case !utf8.ValidString(name):
		return "", errors.New("the name is not UTF-8")
	case utf8.RuneCountInString(name) > maxName:
		return "", fmt.Errorf("names are at most %d characters", maxName)
	case strings.IndexFunc(name, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0:
		return "", errors.New("the name has characters that cannot be shown")
	}
	return name, nil
}

func newID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (s *Server) serveWS(w http.ResponseWriter, r *http.Request) {
	room := r.PathValue("room")
	if !roomName.MatchString(room) {
		http.Error(w, "room names are 1 to 32 letters, digits, '-' or '_'", http.StatusNotFound)
		return
	}
	name, err := cleanName(r.URL.Query().Get("name"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	if s.done {
		s.mu.Unlock()
		http.Error(w, "the server is shutting down", http.StatusServiceUnavailable)
		return
	}
	s.handles.Add(1) // under mu, so never after Close has begun to wait
	s.mu.Unlock()
	served := false // by s.opts.Events, which finishes the connection
	defer func() {
		if !served {
			s.handles.Done()
		}
	}()
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		Compression: &websocket.CompressionOptions{ServerNoContextTakeover: true, Threshold: 512},
	})
	if err != nil {
		return // Accept has answered with an HTTP error
	}
	defer func() {
		if !served {
			conn.CloseNow()
		}
	}()
	conn.SetReadLimit(maxFrame)
	if s.opts.Logf != nil {
		ext := conn.Extensions()
		if ext != "" {
			ext = ", with " + ext
		}
		s.opts.Logf("chat: %s joins %s over %s%s", name, room, r.Proto, ext)
	}
	cl := &client{
		Member:  Member{ID: newID(), Name: name},
		room:    room,
		conn:    conn,
		out:     websocket.NewSendQueue(conn, &websocket.SendQueueOptions{Size: s.opts.QueueSize, Full: websocket.CloseTryAgainLater, WriteTimeout: 10 * time.Second}),
		limiter: newLimiter(floodRate, floodBurst),
	}
	defer func() {
		if !served {
			cl.out.Close()
		}
	}()
	if s.opts.Events == nil {
		go conn.KeepAlive(s.ctx, s.opts.PingInterval, s.opts.PingInterval/2)
	}

	if err := s.join(cl); err != nil {
		if errors.Is(err, errClosing) {
			conn.Close(websocket.StatusServiceRestart, "server restarting")
		} else {
			conn.Close(websocket.StatusInternalError, "could not join the room")
		}
		return
	}
	if s.opts.Events != nil {
		if err := s.opts.Events.Serve(conn, &loopClient{s: s, cl: cl}); err == nil {
			served = true
			cl.pingLater(s)
			return
		}
	}
	defer s.leave(cl)
	s.readLoop(cl)
}

// loopClient is the handler of a client's connection that an EventLoop
// reads.
type loopClient struct {
	s  *Server
	cl *client
}

func (h *loopClient) OnMessage(_ *websocket.Conn, typ websocket.MessageType, msg []byte) {
	h.s.handle(h.cl, typ, msg)
}

func (h *loopClient) OnClose(conn *websocket.Conn, _ error) {
	h.cl.stopPings()
	h.s.leave(h.cl)
	h.cl.out.Close()
	conn.CloseNow()
	h.s.handles.Done()
}

// pingLater pings cl's connection after the ping interval, from a timer,
// and again after each pong; a pong late by half the interval closes it
// with 1011, as KeepAlive does.
func (cl *client) pingLater(s *Server) {
	interval := s.opts.PingInterval
	cl.pingMu.Lock()
	defer cl.pingMu.Unlock()
	if cl.pingsStopped {
		return
	}
	cl.pinger = time.AfterFunc(interval, func() {
		ctx, cancel := context.WithTimeout(s.ctx, interval/2)
		defer cancel()
		if _, err := cl.conn.Ping(ctx); err != nil {
			if s.ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
				cl.conn.Close(websocket.StatusInternalError, "no pong")
			}
			return
		}
		cl.pingLater(s)
	})
}

func (cl *client) stopPings() {
	cl.pingMu.Lock()
	defer cl.pingMu.Unlock()
	cl.pingsStopped = true
	if cl.pinger != nil {
		cl.pinger.Stop()
	}
}

var errClosing = errors.New("the server is closing")

// join welcomes cl, adds it to its room and tells the others. cl is in
// the room before the member list is read, so that every member who joins
// later is in the list or reaches cl with a join notice; what the room
// hears before the welcome is queued waits in cl.early and follows it.
func (s *Server) join(cl *client) error {
	ctx, cancel := context.WithTimeout(s.ctx, 5*time.Second)
	defer cancel()
	if err := s.broker.AddMember(ctx, cl.room, cl.Member); err != nil {
		return err
	}
	s.mu.Lock()
	if s.done {
		s.mu.Unlock()
		s.broker.RemoveMember(ctx, cl.room, cl.Member)
		return errClosing
	}
	if s.rooms[cl.room] == nil {
		s.rooms[cl.room] = make(map[string]*client)
	}
	cl.early = []Event{}
	s.rooms[cl.room][cl.ID] = cl
	s.mu.Unlock()
	members, err := s.broker.Members(ctx, cl.room)
	if err != nil {
		s.remove(cl)
		s.broker.RemoveMember(ctx, cl.room, cl.Member)
		return err
	}
	me := cl.Member
	s.mu.Lock()
	// Queued under mu: whatever deliver sends cl from now on comes after.
	send(cl, Event{Type: "welcome", Room: cl.room, You: &me, Members: members})
	cl.welcomed = make([]string, 0, len(members))
	for _, m := range members {
		cl.welcomed = append(cl.welcomed, m.ID)
	}
	slices.Sort(cl.welcomed)
	now := time.Now()
	cl.welcomedUntil = now.Add(staleJoinWindow)
	for _, ev := range cl.early {
		if !cl.skips(ev, now) {
			send(cl, ev)
		}
	}
	cl.early = nil
	s.mu.Unlock()
	return s.broker.Publish(ctx, Event{Type: "join", Room: cl.room, Member: &me, Time: time.Now().UTC()})
}

// remove takes cl out of its room.
func (s *Server) remove(cl *client) {
	s.mu.Lock()
	delete(s.rooms[cl.room], cl.ID)
	if len(s.rooms[cl.room]) == 0 {
		delete(s.rooms, cl.room)
	}
	s.mu.Unlock()
}

// leave removes cl from its room and tells the others.
func (s *Server) leave(cl *client) {
	s.remove(cl)
	// The server may be closing: leaving still has to reach the others.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s.broker.RemoveMember(ctx, cl.room, cl.Member)
	me := cl.Member
	s.broker.Publish(ctx, Event{Type: "leave", Room: cl.room, Member: &me, Time: time.Now().UTC()})
}

// readLoop handles what cl sends until its connection ends.
func (s *Server) readLoop(cl *client) {
	var buf []byte
	for {
		typ, msg, err := cl.conn.ReadMessage(s.ctx, buf)
		if err != nil {
			return // the library has sent 1009 for an oversized message
		}
		buf = msg
		if !s.handle(cl, typ, msg) {
			return
		}
	}
}

// handle handles a message cl sent, and reports whether cl may send more.
func (s *Server) handle(cl *client, typ websocket.MessageType, msg []byte) bool {
	if typ != websocket.MessageText {
		cl.closeAfterFlush(websocket.StatusUnsupportedData, "messages are JSON text")
		return false
	}
	var in inbound
	if err := json.Unmarshal(msg, &in); err != nil {
		send(cl, Event{Type: "error", Error: "the message is not a JSON object: " + err.Error()})
		return true
	}
	switch in.Type {
	case "message":
	case "":
		send(cl, Event{Type: "error", Error: `the message has no "type"`})
		return true
	default:
		send(cl, Event{Type: "error", Error: fmt.Sprintf("unknown message type %q", in.Type)})
		return true
	}
	text := strings.TrimSpace(in.Text)
	switch n := utf8.RuneCountInString(text); {
	case n == 0:
		send(cl, Event{Type: "error", Error: "the message text is empty"})
		return true
	case n > maxText:
		send(cl, Event{Type: "error", Error: fmt.Sprintf("the message text is %d characters, more than %d", n, maxText)})
		return true
	}
	now := time.Now()
	if now.Sub(cl.lastDrop) > floodCalm {
		cl.dropped = 0
	}
	if !cl.limiter.allow(now) {
		cl.dropped++
		cl.lastDrop = now
		if cl.dropped >= floodClose {
			cl.closeAfterFlush(websocket.StatusPolicyViolation, "flooding")
			return false
		}
		send(cl, Event{Type: "error", Error: fmt.Sprintf("slow down: at most %d messages a second; message dropped", floodRate)})
		return true
	}
	me := cl.Member
	ev := Event{Type: "message", Room: cl.room, From: &me, Text: text, Time: time.Now().UTC()}
	if err := s.broker.Publish(s.ctx, ev); err != nil {
		send(cl, Event{Type: "error", Error: "the message could not be sent; try again"})
	}
	return true
}

// closeAfterFlush closes cl's connection with code once what is queued for
// it has gone out, so that it sees the errors that led there.
func (cl *client) closeAfterFlush(code websocket.StatusCode, reason string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	cl.out.Flush(ctx)
	cancel()
	cl.conn.Close(code, reason)
}

// send queues ev for cl alone.
func send(cl *client, ev Event) {
	if pm, err := prepare(ev); err == nil {
		cl.out.Send(pm)
	}
}

func prepare(ev Event) (*websocket.PreparedMessage, error) {
	p, err := json.Marshal(ev)
	if err != nil {
		return nil, err
	}
	return websocket.NewPreparedMessage(websocket.MessageText, p)
}

// deliver broadcasts an event from the broker to the room's members on
// this node: encoded and framed once, queued for each. A join notice skips
// the newcomer, who had the welcome.
func (s *Server) deliver(ev Event) {
	now := time.Now()
	s.mu.Lock()
	room := s.rooms[ev.Room]
	targets := make([]*client, 0, len(room))
	for _, cl := range room {
		switch {
		case cl.early != nil:
			cl.early = append(cl.early, ev) // to follow its welcome
		case !cl.skips(ev, now):
			targets = append(targets, cl)
		}
	}
	s.mu.Unlock()
	if len(targets) == 0 {
		return
	}
	pm, err := prepare(ev)
	if err != nil {
		return
	}
	for _, cl := range targets {
		cl.out.Send(pm) // a queue that fails closes its connection
	}
}

// refreshMembers tells the broker, now and then, that this node's members
// are still here.
func (s *Server) refreshMembers() {
	t := time.NewTicker(memberRefresh)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
		s.mu.Lock()
		byRoom := make(map[string][]Member, len(s.rooms))
		for name, room := range s.rooms {
			for _, cl := range room {
				byRoom[name] = append(byRoom[name], cl.Member)
			}
		}
		s.mu.Unlock()
		for room, ms := range byRoom {
			ctx, cancel := context.WithTimeout(s.ctx, 5*time.Second)
			s.broker.RefreshMembers(ctx, room, ms)
			cancel()
		}
	}
}

// Close closes every connection with 1012 (service restart), so that the
// pages reconnect, and waits for their handlers to finish.
func (s *Server) Close() {
	s.mu.Lock()
	s.done = true
	var all []*client
	for _, room := range s.rooms {
		for _, cl := range room {
			all = append(all, cl)
		}
	}
	s.mu.Unlock()
	var wg sync.WaitGroup
	for _, cl := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl.conn.Close(websocket.StatusServiceRestart, "server restarting")
		}()
	}
	wg.Wait()
	s.cancel()
	s.handles.Wait()
}

// limiter is a token bucket: rate tokens a second, up to burst.
type limiter struct {
	rate, burst float64
	tokens      float64
	last        time.Time
}

func newLimiter(rate, burst int) *limiter {
	return &limiter{rate: float64(rate), burst: float64(burst), tokens: float64(burst)}
}

func (l *limiter) allow(now time.Time) bool {
	if !l.last.IsZero() {
		l.tokens = min(l.burst, l.tokens+now.Sub(l.last).Seconds()*l.rate)
	}
	l.last = now
	if l.tokens < 1 {
		return false
	}
	l.tokens--
	return true
}
