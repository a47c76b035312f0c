package redis

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"

	fiberredis "github.com/gofiber/storage/redis/v3"
	"github.com/redis/go-redis/v9"
)

// SessionStore is the storage behind Fiber's session middleware. It wraps the
// official Fiber Redis storage, built from the shared client so that an
// unreachable Redis cannot make start-up panic, and adds three things:
//   - keys are HMAC-SHA256 of the session ID under the instance secret, so a Redis
//     dump or key listing yields no usable session cookie;
//   - keys carry a prefix, so the portal shares a Redis with others safely;
//   - Reset and Close do nothing: the wrapped storage would FLUSHDB and close the
//     shared client.
type SessionStore struct {
	s       *fiberredis.Storage
	breaker *Breaker
	secret  []byte
	prefix  string
}

// ErrSessionsUnavailable means Redis could not be asked about a session.
var ErrSessionsUnavailable = errors.New("session store unavailable")

// NewSessionStore returns the store on c.
func NewSessionStore(c *redis.Client, breaker *Breaker, secret []byte, prefix string) *SessionStore {
	return &SessionStore{s: fiberredis.NewFromConnection(c), breaker: breaker, secret: secret, prefix: prefix}
}

func (s *SessionStore) key(id string) string {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte(id))
	return s.prefix + hex.EncodeToString(m.Sum(nil))
}

func (s *SessionStore) call(fn func(ctx context.Context) error) error {
	if s.breaker.Open() {
		return ErrSessionsUnavailable
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	err := fn(ctx)
	s.breaker.Record(err)
	if err != nil {
		return errors.Join(ErrSessionsUnavailable, err)
	}
	return nil
}

// Get returns the session data, or nil when there is none.
func (s *SessionStore) Get(id string) (val []byte, err error) {
	if id == "" {
		return nil, nil
	}
	err = s.call(func(ctx context.Context) (err error) {
		val, err = s.s.GetWithContext(ctx, s.key(id))
		return err
	})
	return val, err
}

// Set stores session data for exp.
func (s *SessionStore) Set(id string, val []byte, exp time.Duration) error {
	if id == "" {
		return nil
	}
	return s.call(func(ctx context.Context) error { return s.s.SetWithContext(ctx, s.key(id), val, exp) })
}

// Delete removes a session: the server-side half of logging out.
func (s *SessionStore) Delete(id string) error {
	if id == "" {
		return nil
	}
	return s.call(func(ctx context.Context) error { return s.s.DeleteWithContext(ctx, s.key(id)) })
}

// Reset does nothing; see the type's comment.
func (s *SessionStore) Reset() error { return nil }

// Close does nothing; the shared client is closed by its owner.
func (s *SessionStore) Close() error { return nil }
