package middleware

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/singleflight"
)

// Notifier carries "the catalogue changed" between the instances of a portal.
type Notifier interface {
	// Publish tells the other instances.
	Publish(ctx context.Context) error
	// Listen calls changed for every change another instance publishes, and
	// whenever it (re)connects, since changes may have been missed meanwhile;
	// it returns when ctx ends or the connection is closed for good. It calls
	// settled once, when the first subscription stands or has failed.
	Listen(ctx context.Context, changed, settled func())
}

// SharedCacheConfig are the settings of a SharedCache.
type SharedCacheConfig struct {
	// TTL bounds an entry's life in memory; it also bounds how late an
	// instance sees a change while the Notifier cannot reach it.
	TTL time.Duration
	// MaxAge and StaleWhileRevalidate are what browsers and proxies are told
	// for anonymous answers.
	MaxAge, StaleWhileRevalidate time.Duration
	// MaxBytes bounds the memory of the bodies kept.
	MaxBytes int
	Now      func() time.Time
	// Horizon is the next instant at which answers change by the clock alone
	// (a phase opens or ends); nothing is kept or promised beyond it.
	Horizon  func(now time.Time) time.Time
	Notifier Notifier // nil: a single instance
	// Off keeps nothing in memory (validators and headers stay): for
	// measuring what the cache saves.
	Off      bool
	Log      *slog.Logger
	Registry prometheus.Registerer // nil: no metrics
}

// SharedCache answers the public reads of anonymous visitors (catalogue,
// procedure, documents, feeds) from memory and answers conditional requests
// with 304. Only answers that their handler marked public (MarkPublic) and
// that succeeded are kept, and only from requests without a session: staff
// answers are never shared, and they are sent as private.
//
// The stock Fiber cache keeps every status code, answers hits without ETag
// handling and cannot be invalidated, hence this one.
type SharedCache struct {
	cfg     SharedCacheConfig
	gen     atomic.Uint64 // bumped by every change; entries of older generations are dead
	mu      sync.RWMutex
	entries map[string]*cachedAnswer
	bytes   int
	flight  singleflight.Group
	results *prometheus.CounterVec
	settled chan struct{} // closed once the first subscription stands or failed
	settle  sync.Once
}

type cachedAnswer struct {
	gen      uint64
	made     time.Time // valid from here (a clock set back does not revive old answers)
	expires  time.Time
	modified time.Time // when the answer was made: its Last-Modified
	etag     string
	ctype    string
	body     []byte
}

const localPublic = "public_answer"

// MarkPublic says that the answer the handler is about to send is the same for
// every reader and may be kept and shared.
func MarkPublic(c *fiber.Ctx) { c.Locals(localPublic, true) }

// NewSharedCache returns a cache; Listen makes it follow other instances.
func NewSharedCache(cfg SharedCacheConfig) *SharedCache {
	s := &SharedCache{cfg: cfg, entries: map[string]*cachedAnswer{}, settled: make(chan struct{})}
	s.results = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "portal_shared_cache_requests_total",
		Help: "Anonymous public reads by cache result (hit, miss, bypass).",
	}, []string{"result"})
	if cfg.Registry != nil {
		cfg.Registry.MustRegister(s.results)
	}
	return s
}

// Listen follows the changes other instances publish until ctx ends.
func (s *SharedCache) Listen(ctx context.Context) {
	settled := func() { s.settle.Do(func() { close(s.settled) }) }
	if s.cfg.Notifier == nil {
		settled()
		return
	}
	s.cfg.Notifier.Listen(ctx, s.drop, settled)
}

// Settled is closed once Listen hears other instances' changes, or knows it
// cannot yet. An instance that serves before that keeps answers that the first
// subscription then drops: wait for it before taking requests.
func (s *SharedCache) Settled() <-chan struct{} { return s.settled }

// Invalidate drops every entry here and tells the other instances. Publishing
// does not hold up the request: until it arrives, other instances keep their
// entries for at most TTL.
func (s *SharedCache) Invalidate() {
	s.drop()
	if s.cfg.Notifier == nil {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := s.cfg.Notifier.Publish(ctx); err != nil {
			s.cfg.Log.Warn("catalogue change not published to other instances; they catch up within the cache TTL",
				slog.Any("error", err), slog.Duration("ttl", s.cfg.TTL))
		}
	}()
}

func (s *SharedCache) drop() {
	s.gen.Add(1)
	s.mu.Lock()
	clear(s.entries)
	s.bytes = 0
	s.mu.Unlock()
}

// Invalidates is the middleware of the routes that change what the catalogue
// shows: after a successful change, every instance forgets its answers.
func (s *SharedCache) Invalidates() fiber.Handler {
	return func(c *fiber.Ctx) error {
		err := c.Next()
		if err == nil && c.Response().StatusCode() < fiber.StatusBadRequest {
			s.Invalidate()
		}
		return err
	}
}

// Handler serves GET requests: from memory when it can, and with validators
// and caching headers for every answer marked public. It must run after
// Authenticate.
func (s *SharedCache) Handler() fiber.Handler {
	return func(c *fiber.Ctx) error {
		if c.Method() != fiber.MethodGet {
			return c.Next()
		}
		if _, err := Principal(c); err == nil {
			if err := c.Next(); err != nil {
				return err
			}
			if public(c) {
				s.results.WithLabelValues("bypass").Inc()
				s.answer(c, answerOf(c, time.Time{}), "private, no-cache")
			}
			return nil
		}
		now := s.cfg.Now()
		if s.cfg.Off {
			if err := c.Next(); err != nil {
				return err
			}
			if public(c) {
				s.answer(c, answerOf(c, now), s.publicControl(now))
			}
			return nil
		}
		key := c.Path() + "?" + string(c.Request().URI().QueryString())
		if e := s.lookup(key, now); e != nil {
			s.results.WithLabelValues("hit").Inc()
			s.answer(c, e, s.publicControl(now))
			return nil
		}
		// Concurrent misses of one key wait for a single handler run.
		gen := s.gen.Load()
		leader := false
		v, err, _ := s.flight.Do(strconv.FormatUint(gen, 10)+" "+key, func() (any, error) {
			leader = true
			if err := c.Next(); err != nil {
				return nil, err
			}
			if !public(c) {
				return nil, nil
			}
			e := answerOf(c, now)
			s.store(key, e, gen, now)
			return e, nil
		})
		e, _ := v.(*cachedAnswer)
		if !leader && e == nil {
			// The leader's answer was not shareable (an error, a draft): make our own.
			if err := c.Next(); err != nil {
				return err
			}
			if !public(c) {
				return nil
			}
			e = answerOf(c, now)
		}
		if err != nil && leader {
			return err
		}
		if e == nil {
			return nil
		}
		s.results.WithLabelValues("miss").Inc()
		s.answer(c, e, s.publicControl(now))
		return nil
	}
}

func public(c *fiber.Ctx) bool {
	ok, _ := c.Locals(localPublic).(bool)
	return ok && c.Response().StatusCode() == fiber.StatusOK
}

func answerOf(c *fiber.Ctx, now time.Time) *cachedAnswer {
	body := append([]byte(nil), c.Response().Body()...)
	sum := sha256.Sum256(body)
	return &cachedAnswer{body: body, ctype: string(c.Response().Header.ContentType()), modified: now.UTC().Truncate(time.Second),
		etag: `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`}
}

func (s *SharedCache) lookup(key string, now time.Time) *cachedAnswer {
	s.mu.RLock()
	e := s.entries[key]
	s.mu.RUnlock()
	if e == nil || e.gen != s.gen.Load() || now.Before(e.made) || !now.Before(e.expires) {
		return nil
	}
	return e
}

func (s *SharedCache) store(key string, e *cachedAnswer, gen uint64, now time.Time) {
	if len(e.body) > s.cfg.MaxBytes/16 {
		return // one answer must not crowd out the others
	}
	e.gen, e.made = gen, now
	e.expires = now.Add(s.cfg.TTL)
	if h := s.cfg.Horizon(now); h.Before(e.expires) {
		e.expires = h
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if gen != s.gen.Load() {
		return // changed while the handler ran: this answer may be old
	}
	if old := s.entries[key]; old != nil {
		s.bytes -= len(old.body)
	}
	// Over budget (e.g. many different searches): drop arbitrary entries, map
	// order is random enough to keep this fair.
	for k, old := range s.entries {
		if s.bytes+len(e.body) <= s.cfg.MaxBytes {
			break
		}
		delete(s.entries, k)
		s.bytes -= len(old.body)
	}
	s.entries[key] = e
	s.bytes += len(e.body)
}

// publicControl tells browsers and proxies how long an anonymous answer stays
// fresh: short, and never past the horizon, so that a phase that ends at
// midnight is not shown as open after it.
func (s *SharedCache) publicControl(now time.Time) string {
	left := s.cfg.Horizon(now).Sub(now)
	maxAge := min(s.cfg.MaxAge, left)
	stale := min(s.cfg.StaleWhileRevalidate, left-maxAge)
	return "public, max-age=" + strconv.Itoa(int(maxAge.Seconds())) +
		", stale-while-revalidate=" + strconv.Itoa(int(max(stale, 0).Seconds()))
}

// answer sends e with its validators, or 304 when the request's validators
// match (If-None-Match first, If-Modified-Since only without it, RFC 9110 13.2.2).
func (s *SharedCache) answer(c *fiber.Ctx, e *cachedAnswer, cacheControl string) {
	c.Set(fiber.HeaderETag, e.etag)
	c.Set(fiber.HeaderCacheControl, cacheControl)
	if !e.modified.IsZero() {
		c.Set(fiber.HeaderLastModified, e.modified.Format(http.TimeFormat))
	}
	if notModified(c, e) {
		c.Response().ResetBody()
		c.Status(fiber.StatusNotModified)
		return
	}
	c.Status(fiber.StatusOK)
	c.Set(fiber.HeaderContentType, e.ctype)
	c.Response().SetBodyRaw(e.body)
}

func notModified(c *fiber.Ctx, e *cachedAnswer) bool {
	if match := c.Get(fiber.HeaderIfNoneMatch); match != "" {
		return ETagMatches(match, e.etag)
	}
	if since := c.Get(fiber.HeaderIfModifiedSince); since != "" && !e.modified.IsZero() {
		t, err := http.ParseTime(since)
		return err == nil && !e.modified.After(t)
	}
	return false
}

// ETagMatches tells whether an If-None-Match header names etag (weak
// comparison, RFC 9110 13.1.2) or is "*".
func ETagMatches(header, etag string) bool {
	for _, part := range strings.Split(header, ",") {
		part = strings.TrimSpace(part)
		if part == "*" || part == etag || part == "W/"+etag {
			return true
		}
	}
	return false
}
