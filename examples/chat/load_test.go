package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/f30c7f75/websocket"
)

// Load test sizes: members in the room, of whom senders each send
// perSender messages (within the flood limit's burst).
const (
	loadMembers   = 2000
	loadSenders   = 20
	loadPerSender = floodBurst
)

// startServerProcess builds the chat command and runs it on a free
// loopback port, so that its memory can be measured apart from the
// clients'. It returns the base URL and the process ID.
func startServerProcess(t *testing.T, args ...string) (string, int) {
	t.Helper()
	goBin := requirePeer(t, "go")
	dir := t.TempDir()
	bin := filepath.Join(dir, "chat")
	build := exec.Command(goBin, "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	cmd := exec.Command(bin, append([]string{"-addr", addr}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		ok := sc.Scan() && strings.Contains(sc.Text(), "serving")
		ready <- ok
		for sc.Scan() {
		}
	}()
	select {
	case ok := <-ready:
		if !ok {
			cmd.Wait()
			t.Fatalf("chat server did not start: %s", stderr.String())
		}
	case <-time.After(waitLimit):
		t.Fatal("chat server did not start in time")
	}
	return "http://" + addr, cmd.Process.Pid
}

// procMemory returns the resident and peak resident memory of process
// pid, from /proc.
func procMemory(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	var parts []string
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") || strings.HasPrefix(line, "VmHWM:") {
			parts = append(parts, strings.Join(strings.Fields(line), " "))
		}
	}
	return strings.Join(parts, ", ")
}

// loadMember is one simulated member: it counts every chat message it
// receives by the message's number.
type loadMember struct {
	conn  *websocket.Conn
	me    Member
	got   []int32 // times message i arrived
	total atomic.Int32
	err   error
	done  chan struct{} // closed when the reader returns
}

// TestLoad puts loadMembers members in one room on a server process and
// has loadSenders of them send loadPerSender messages each: every message
// must reach every member exactly once. It reports the delivery rate and
// the server's memory.
func TestLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("load test skipped in -short mode")
	}
	base, pid := startServerProcess(t)
	wsBase := "ws" + strings.TrimPrefix(base, "http")
	const msgs = loadSenders * loadPerSender
	start := time.Now()

	members := make([]*loadMember, loadMembers)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	var joinErr atomic.Value
	for i := range members {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			m, err := dialLoadMember(wsBase, i, msgs)
			if err != nil {
				joinErr.CompareAndSwap(nil, err)
				return
			}
			members[i] = m
		}()
	}
	wg.Wait()
	if err := joinErr.Load(); err != nil {
		t.Fatalf("joining: %v", err)
	}
	for _, m := range members {
		t.Cleanup(func() { m.conn.CloseNow() })
	}
	joined := time.Since(start)
	t.Logf("%d members joined in %v; server memory: %s", loadMembers, joined.Round(time.Millisecond), procMemory(pid))

	sendStart := time.Now()
	for s := range loadSenders {
		go func() {
			m := members[s*(loadMembers/loadSenders)]
			for k := range loadPerSender {
				p, _ := json.Marshal(inbound{Type: "message", Text: "load " + strconv.Itoa(s*loadPerSender+k)})
				if err := m.conn.WriteMessage(context.Background(), websocket.MessageText, p); err != nil {
					t.Errorf("sender %d: %v", s, err)
					return
				}
			}
		}()
	}
	// Wait for every member to count every message.
	for i, m := range members {
		for m.total.Load() < msgs {
			select {
			case <-m.done:
				t.Fatalf("member %d stopped after %d of %d messages: %v", i, m.total.Load(), msgs, m.err)
			case <-time.After(10 * time.Millisecond): // polling, not timing
			}
		}
	}
	elapsed := time.Since(sendStart)
	mem := procMemory(pid)

	// One more message, sent after all were delivered: any duplicate
	// would have been queued before it, so once it arrives the counts are
	// final.
	end, _ := json.Marshal(inbound{Type: "message", Text: "end"})
	if err := members[0].conn.WriteMessage(context.Background(), websocket.MessageText, end); err != nil {
		t.Fatal(err)
	}
	for i, m := range members {
		<-m.done
		if m.err != nil {
			t.Fatalf("member %d: %v", i, m.err)
		}
		for k, n := range m.got {
			if n != 1 {
				t.Fatalf("member %d got message %d %d times, want once", i, k, n)
			}
		}
	}
	deliveries := float64(msgs * loadMembers)
	t.Logf("%d messages to %d members: %.0f deliveries in %v, %.0f deliveries/s; server memory: %s",
		msgs, loadMembers, deliveries, elapsed.Round(time.Millisecond), deliveries/elapsed.Seconds(), mem)
}

// dialLoadMember joins the load room as member i and starts counting the
// messages numbered below msgs that it receives, until the "end" message.
func dialLoadMember(wsBase string, i, msgs int) (*loadMember, error) {
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, wsBase+"/ws/load?name=m"+strconv.Itoa(i), nil)
	if err != nil {
		return nil, fmt.Errorf("member %d: %w", i, err)
	}
	_, msg, err := conn.ReadMessage(ctx, nil)
	if err != nil {
		conn.CloseNow()
		return nil, fmt.Errorf("member %d: reading welcome: %w", i, err)
	}
	var welcome struct { // the member list is skipped, not decoded
		Type string
		You  *Member
	}
	if err := json.Unmarshal(msg, &welcome); err != nil || welcome.Type != "welcome" || welcome.You == nil {
		conn.CloseNow()
		return nil, fmt.Errorf("member %d: first event %.100s, want a welcome", i, msg)
	}
	m := &loadMember{conn: conn, me: *welcome.You, got: make([]int32, msgs), done: make(chan struct{})}
	go m.read()
	return m, nil
}

var (
	joinPrefix    = []byte(`{"type":"join"`)
	messagePrefix = []byte(`{"type":"message"`)
)

func (m *loadMember) read() {
	defer close(m.done)
	var buf []byte
	for {
		_, msg, err := m.conn.ReadMessage(context.Background(), buf)
		if err != nil {
			m.err = err
			return
		}
		buf = msg
		if bytes.HasPrefix(msg, joinPrefix) {
			continue
		}
		if !bytes.HasPrefix(msg, messagePrefix) {
			m.err = fmt.Errorf("unexpected event %.100s", msg)
			return
		}
		var ev Event
		if err := json.Unmarshal(msg, &ev); err != nil {
			m.err = err
			return
		}
		if ev.Text == "end" {
			return
		}
		k, err := strconv.Atoi(strings.TrimPrefix(ev.Text, "load "))
		if err != nil || k < 0 || k >= len(m.got) {
			m.err = fmt.Errorf("unexpected message %q", ev.Text)
			return
		}
		m.got[k]++
		m.total.Add(1)
	}
}
