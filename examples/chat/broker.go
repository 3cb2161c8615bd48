package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// A Broker carries a room's events to every node serving the room, and
// keeps the room's member list.
type Broker interface {
	// Publish sends ev to every node, this one included, whose Subscribe
	// handler gets it.
	Publish(ctx context.Context, ev Event) error
	// Subscribe sets the function that receives every published event. It
	// is called once, before the broker is used.
	Subscribe(ctx context.Context, handle func(Event)) error
	// AddMember, RefreshMembers and RemoveMember keep the member list of
	// room; Members returns it, sorted by name.
	AddMember(ctx context.Context, room string, m Member) error
	RefreshMembers(ctx context.Context, room string, ms []Member) error
	RemoveMember(ctx context.Context, room string, m Member) error
	Members(ctx context.Context, room string) ([]Member, error)
	Close() error
}

// memoryBroker is the Broker of a single node.
type memoryBroker struct {
	mu      sync.Mutex
	handle  func(Event)
	members map[string]map[string]Member // room, member ID
}

func newMemoryBroker() *memoryBroker {
	return &memoryBroker{members: make(map[string]map[string]Member)}
}

func (b *memoryBroker) Publish(_ context.Context, ev Event) error {
	b.mu.Lock()
	h := b.handle
	b.mu.Unlock()
	if h != nil {
		h(ev)
	}
	return nil
}

func (b *memoryBroker) Subscribe(_ context.Context, handle func(Event)) error {
	b.mu.Lock()
	b.handle = handle
	b.mu.Unlock()
	return nil
}

func (b *memoryBroker) AddMember(_ context.Context, room string, m Member) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.members[room] == nil {
		b.members[room] = make(map[string]Member)
	}
	b.members[room][m.ID] = m
	return nil
}

func (b *memoryBroker) RefreshMembers(context.Context, string, []Member) error { return nil }

func (b *memoryBroker) RemoveMember(_ context.Context, room string, m Member) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.members[room], m.ID)
	if len(b.members[room]) == 0 {
		delete(b.members, room)
	}
	return nil
}

func (b *memoryBroker) Members(_ context.Context, room string) ([]Member, error) {
	b.mu.Lock()
	ms := make([]Member, 0, len(b.members[room]))
	for _, m := range b.members[room] {
		ms = append(ms, m)
	}
	b.mu.Unlock()
	sortMembers(ms)
	return ms, nil
}

func (b *memoryBroker) Close() error { return nil }

func sortMembers(ms []Member) {
	sort.Slice(ms, func(i, j int) bool {
		if ms[i].Name != ms[j].Name {
			return ms[i].Name < ms[j].Name
		}
		return ms[i].ID < ms[j].ID
	})
}

// Redis keys and channels. Events of every room go out on one channel; a
// room's members are a sorted set scored by when their node last vouched
// for them, so the members of a node that died fall out of the list.
const (
	redisChannel   = "chat:events"
	redisMembers   = "chat:members:" // + room
	memberLifetime = 30 * time.Second
	memberRefresh  = 10 * time.Second
)

// redisBroker shares rooms between nodes through Redis pub/sub.
type redisBroker struct {
	rdb *redis.Client
	sub *redis.PubSub
}

// newRedisBroker connects to the Redis server at url
// (redis://host:port/db).
func newRedisBroker(ctx context.Context, url string) (*redisBroker, error) {
	opts, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("redis URL %q: %w", url, err)
	}
	rdb := redis.NewClient(opts)
	if err := rdb.Ping(ctx).Err(); err != nil {
		rdb.Close()
		return nil, fmt.Errorf("connecting to redis at %s: %w", opts.Addr, err)
	}
	return &redisBroker{rdb: rdb}, nil
}

func (b *redisBroker) Publish(ctx context.Context, ev Event) error {
	p, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	if err := b.rdb.Publish(ctx, redisChannel, p).Err(); err != nil {
		return fmt.Errorf("redis publish: %w", err)
	}
	return nil
}

// Subscribe subscribes and returns once the subscription is in place, so
// that no event published afterwards is missed.
func (b *redisBroker) Subscribe(ctx context.Context, handle func(Event)) error {
	b.sub = b.rdb.Subscribe(ctx, redisChannel)
	if _, err := b.sub.Receive(ctx); err != nil {
		return fmt.Errorf("redis subscribe: %w", err)
	}
	ch := b.sub.Channel(redis.WithChannelSize(4096))
	go func() {
		for msg := range ch {
			var ev Event
			if json.Unmarshal([]byte(msg.Payload), &ev) == nil {
				handle(ev)
			}
		}
	}()
	return nil
}

func memberKey(m Member) string { return m.ID + "\x00" + m.Name }

func (b *redisBroker) AddMember(ctx context.Context, room string, m Member) error {
	return b.RefreshMembers(ctx, room, []Member{m})
}

func (b *redisBroker) RefreshMembers(ctx context.Context, room string, ms []Member) error {
	if len(ms) == 0 {
		return nil
	}
	now := float64(time.Now().UnixMilli())
	zs := make([]redis.Z, len(ms))
	for i, m := range ms {
		zs[i] = redis.Z{Score: now, Member: memberKey(m)}
	}
	key := redisMembers + room
	pipe := b.rdb.TxPipeline()
	pipe.ZAdd(ctx, key, zs...)
	pipe.Expire(ctx, key, memberLifetime)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("redis: adding members: %w", err)
	}
	return nil
}

func (b *redisBroker) RemoveMember(ctx context.Context, room string, m Member) error {
	if err := b.rdb.ZRem(ctx, redisMembers+room, memberKey(m)).Err(); err != nil {
		return fmt.Errorf("redis: removing member: %w", err)
	}
	return nil
}

func (b *redisBroker) Members(ctx context.Context, room string) ([]Member, error) {
	key := redisMembers + room
	stale := time.Now().Add(-memberLifetime).UnixMilli()
	pipe := b.rdb.TxPipeline()
	pipe.ZRemRangeByScore(ctx, key, "-inf", fmt.Sprint(stale))
	all := pipe.ZRange(ctx, key, 0, -1)
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("redis: listing members: %w", err)
	}
	ms := make([]Member, 0, len(all.Val()))
	for _, s := range all.Val() {
		id, name, ok := strings.Cut(s, "\x00")
		if ok {
			ms = append(ms, Member{ID: id, Name: name})
		}
	}
	sortMembers(ms)
	return ms, nil
}

func (b *redisBroker) Close() error {
	if b.sub != nil {
		b.sub.Close()
	}
	return b.rdb.Close()
}
