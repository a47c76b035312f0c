package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Notifier tells the other instances of the portal, over a Redis channel, that
// something they keep changed (for the shared cache of public answers). Pub/sub
// keeps nothing: an instance that was cut off from Redis learns only that it
// reconnected, and treats that as a change.
type Notifier struct {
	rdb     *redis.Client
	channel string
	self    string // this instance, so that it skips its own messages
	log     *slog.Logger
}

// NewNotifier returns a notifier on channel (e.g. "portal:v1:catalogue").
func NewNotifier(rdb *redis.Client, channel string, log *slog.Logger) *Notifier {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return &Notifier{rdb: rdb, channel: channel, self: hex.EncodeToString(b), log: log}
}

// Publish announces a change.
func (n *Notifier) Publish(ctx context.Context) error {
	return n.rdb.Publish(ctx, n.channel, n.self).Err()
}

// Listen calls changed for every change another instance announces and after
// every (re)subscription, until ctx ends or the client is closed. It calls
// settled once, after the first subscription or the first failure.
func (n *Notifier) Listen(ctx context.Context, changed, settled func()) {
	var once sync.Once
	defer once.Do(settled)
	ps := n.rdb.Subscribe(ctx, n.channel)
	defer ps.Close()
	for {
		msg, err := ps.Receive(ctx)
		switch {
		case ctx.Err() != nil || errors.Is(err, redis.ErrClosed):
			return
		case err != nil:
			once.Do(settled)
			// go-redis reconnects on the next Receive; do not spin meanwhile.
			n.log.Debug("change notifications interrupted", slog.String("channel", n.channel), slog.Any("error", err))
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
		default:
			switch m := msg.(type) {
			case *redis.Subscription: // also after a reconnect: changes may have been missed
				changed()
				once.Do(settled)
			case *redis.Message:
				if m.Payload != n.self {
					changed()
				}
			}
		}
	}
}
