package main

// The chat protocol: every WebSocket message is a text message holding one
// JSON object with a "type" field.
//
// From a client to the server:
//
//	{"type": "message", "text": "hello"}   // say something to the room
//
// From the server to a client:
//
//	{"type": "welcome", "room": "lobby", "you": {"id": "…", "name": "ann"}, "members": [{"id": "…", "name": "ann"}]}
//	{"type": "join",    "room": "lobby", "member": {"id": "…", "name": "bob"}, "time": "2026-01-02T15:04:05Z"}
//	{"type": "leave",   "room": "lobby", "member": {"id": "…", "name": "bob"}, "time": "…"}
//	{"type": "members", "room": "lobby", "members": [{"id": "…", "name": "ann"}, …]}
//	{"type": "message", "room": "lobby", "from": {"id": "…", "name": "ann"}, "text": "hello", "time": "…"}
//	{"type": "error",   "error": "message text is longer than 1000 characters"}
//
// The welcome goes to the newcomer alone, the join notice to everyone else
// in the room. Bad input that the server can answer (not JSON, an unknown
// type, an empty or too long text, messages dropped for flooding) gets an
// error message and the connection carries on; a message that is binary
// (1003), larger than maxFrame bytes (1009) or part of a flood that goes on
// (1008) closes the connection with that status code.

import "time"

// Limits on what a client may send.
const (
	maxFrame   = 4096 // bytes in one WebSocket message from a client
	maxText    = 1000 // characters in a chat message
	maxName    = 32   // characters in a user name
	floodRate  = 5    // messages a second a client may keep sending
	floodBurst = 10   // messages a client may send at once
	floodClose = 20   // messages dropped for flooding, with no pause of floodCalm, before the connection is closed
	floodCalm  = 5 * time.Second
)

// Member is a user in a room. ID is unique; names need not be.
type Member struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// inbound is a message from a client.
type inbound struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// Event is a message from the server; which fields are set depends on Type.
type Event struct {
	Type    string    `json:"type"`
	Room    string    `json:"room,omitempty"`
	You     *Member   `json:"you,omitempty"`
	Member  *Member   `json:"member,omitempty"`
	From    *Member   `json:"from,omitempty"`
	Members []Member  `json:"members,omitempty"`
	Text    string    `json:"text,omitempty"`
	Time    time.Time `json:"time,omitzero"`
	Error   string    `json:"error,omitempty"`
}
