package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"beteiligungsportal/infra/password"
	"beteiligungsportal/infra/postgres"
	"beteiligungsportal/infra/redis"
	"beteiligungsportal/infra/testenv"
)

// testEnv is one test's database and Redis namespace; servers started from it
// share both, like instances behind a load balancer.
type testEnv struct {
	t   testing.TB
	cfg config
	// clock, when set, is the use cases' clock of servers started afterwards.
	clock func() time.Time
}

// newEnv creates a migrated database with the demo data and a Redis namespace.
func newEnv(t testing.TB) *testEnv {
	t.Helper()
	if _, ok := t.(*testing.B); ok {
		tuneGC(os.Getenv, slog.New(slog.DiscardHandler)) // benchmarks measure the server as serve runs it
	}
	_, prefix := testenv.Redis(t)
	cfg, err := loadConfig(func(name string) string {
		switch name {
		case "DATABASE_URL":
			return testenv.DatabaseURL(t)
		case "REDIS_URL":
			return testenv.Env(t, "REDIS_URL")
		case "PORTAL_SECRET":
			return "test-secret-test-secret-test-secret-0123"
		case "PORTAL_REDIS_PREFIX":
			return prefix
		case "PORTAL_ADDR":
			return "127.0.0.1:0"
		case "PORTAL_FILE_STORE":
			return "file:" + t.TempDir()
		case "SMTP_URL":
			return testenv.SMTPURL(t)
		}
		return ""
	}, needAll)
	if err != nil {
		t.Fatal(err)
	}
	// Hashing at production cost takes most of a second under the race
	// detector; the tests are about the portal, not about argon2id.
	cfg.PasswordCost = password.Params{Memory: 64, Time: 1, Threads: 1}
	if err := seed(context.Background(), cfg, io.Discard, false); err != nil {
		t.Fatalf("seed: %v", err)
	}
	return &testEnv{t: t, cfg: cfg}
}

// testServer is one running portal instance on a loopback port.
type testServer struct {
	URL string
	app *fiber.App
}

// start runs a portal instance on a free port until the test ends; change may
// adjust its configuration first.
func (e *testEnv) start(change ...func(*config)) *testServer {
	t := e.t
	t.Helper()
	cfg := e.cfg
	for _, f := range change {
		f(&cfg)
	}
	db, err := postgres.Open(cfg.DatabaseURL, postgres.PoolConfig{MaxOpen: 10, MaxIdle: 10})
	if err != nil {
		t.Fatal(err)
	}
	rdb, err := redis.Open(cfg.RedisURL)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(keptForFailure(t), &slog.HandlerOptions{Level: slog.LevelWarn}))
	redisLogOnce.Do(func() { redis.LogTo(log) })
	clock := e.clock
	if clock == nil {
		clock = systemClock
	}
	app, err := newApp(cfg, log, db, rdb, clock, nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = app.Listener(ln) }()
	// Each instance sends mail like a served one, polling often so that tests
	// waiting for a mail are quick.
	mailer, err := newMailWorker(cfg, db, log, 100*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	stopMail := startMailWorker(context.Background(), mailer)
	stopSearchIndex := startSearchIndexer(context.Background(), db, log)
	t.Cleanup(func() {
		_ = app.ShutdownWithTimeout(5 * time.Second)
		stopMail()
		stopSearchIndex()
		rdb.Close()
		db.Close()
	})
	return &testServer{URL: "http://" + ln.Addr().String(), app: app}
}

var redisLogOnce sync.Once

// keptForFailure returns the log of a server that the test shows only if it
// fails (a 500 is explained there), or os.Stderr when all logs are asked for.
func keptForFailure(t testing.TB) io.Writer {
	if os.Getenv("PORTAL_TEST_LOG") != "" {
		return os.Stderr
	}
	w := &lockedBuffer{}
	t.Cleanup(func() { // registered before the server's: runs after its shutdown
		if t.Failed() && w.Len() > 0 {
			t.Logf("server log (warnings and errors):\n%s", w.String())
		}
	})
	return w
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) Len() int { b.mu.Lock(); defer b.mu.Unlock(); return b.buf.Len() }

func (b *lockedBuffer) String() string { b.mu.Lock(); defer b.mu.Unlock(); return b.buf.String() }

// testLogWriter keeps server logs out of the test output unless asked for.
func testLogWriter() io.Writer {
	if os.Getenv("PORTAL_TEST_LOG") != "" {
		return os.Stderr
	}
	return io.Discard
}

// client is a browser-like API client with its own cookie jar and CSRF token.
type client struct {
	t    testing.TB
	base string
	http *http.Client
	csrf string
}

func (s *testServer) client(t testing.TB) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: s.URL, http: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
}

// on returns a client for another server that shares this client's cookies, as a
// browser does when a load balancer switches instances.
func (c *client) on(s *testServer) *client {
	jar, _ := cookiejar.New(nil)
	from, _ := url.Parse(c.base)
	to, _ := url.Parse(s.URL)
	jar.SetCookies(to, c.http.Jar.Cookies(from))
	return &client{t: c.t, base: s.URL, http: &http.Client{Jar: jar, Timeout: 30 * time.Second}, csrf: c.csrf}
}

// response is a decoded answer.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into a map.
func (r response) JSON() map[string]any {
	var m map[string]any
	_ = json.Unmarshal(r.Body, &m)
	return m
}

// do sends a request; body is JSON-encoded unless it is a string or []byte sent
// as is. The CSRF token is sent when the client has one.
func (c *client) do(method, path string, body any, headers ...string) response {
	c.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, c.base+path, r)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return response{Status: res.StatusCode, Header: res.Header, Body: raw}
}

// login signs in and fetches the CSRF token, as a browser client would.
func (c *client) login(email string) {
	c.t.Helper()
	res := c.do("POST", "/api/v1/auth/login", map[string]string{"email": email, "password": DemoPassword})
	if res.Status != 200 {
		c.t.Fatalf("login %s: status %d: %s", email, res.Status, res.Body)
	}
	me := c.do("GET", "/api/v1/me", nil)
	tok, _ := me.JSON()["csrf_token"].(string)
	if tok == "" {
		c.t.Fatalf("no csrf_token in /me: %s", me.Body)
	}
	c.csrf = tok
}

// orgID returns the ID of the demo organisation with the given name part.
func (c *client) orgID(name string) string {
	c.t.Helper()
	res := c.do("GET", "/api/v1/organisations", nil)
	var body struct {
		Items []struct{ ID, Name string }
	}
	if err := json.Unmarshal(res.Body, &body); err != nil {
		c.t.Fatal(err)
	}
	for _, o := range body.Items {
		if strings.Contains(o.Name, name) {
			return o.ID
		}
	}
	c.t.Fatalf("no organisation named like %q", name)
	return ""
}

// wantProblem checks status and problem+json shape and returns the problem.
func wantProblem(t *testing.T, res response, status int, slug string) map[string]any {
	t.Helper()
	if res.Status != status {
		t.Fatalf("status: got %d, want %d; body %s", res.Status, status, res.Body)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Fatalf("content type: got %q, want application/problem+json", ct)
	}
	p := res.JSON()
	if got := p["type"]; got != "urn:beteiligungsportal:problem:"+slug {
		t.Fatalf("type: got %v, want %s; body %s", got, slug, res.Body)
	}
	if p["title"] == "" || p["detail"] == "" || p["status"] != float64(status) {
		t.Fatalf("incomplete problem: %s", res.Body)
	}
	if res.Header.Get("X-Request-ID") == "" || p["request_id"] != res.Header.Get("X-Request-ID") {
		t.Fatalf("request id missing or different: header %q body %v", res.Header.Get("X-Request-ID"), p["request_id"])
	}
	return p
}
