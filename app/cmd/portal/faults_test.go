//go:build faults

// The fault runs of `make faults`: three portal processes behind HAProxy
// (infra/haproxy/local.cfg) on loopback, on a PostgreSQL and Redis of their
// own that the runs stop and start. Each run prints its figures; none is part
// of `make test`, because they stop shared servers and take minutes.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"beteiligungsportal/infra/postgres"
	"beteiligungsportal/infra/redis"
	"beteiligungsportal/infra/testenv"
)

// load submits statements through the balancer from workers, each with its own
// Idempotency-Key, and retries a failed one with the same key as a browser
// form would, until it is acknowledged.
type load struct {
	url, path string
	name      string // starts every key, so that no run replays another's
	mu        sync.Mutex
	statuses  map[string]int // first answer of each submission: status or "network error"
	answers   map[string]int // every answer, retries included
	acked     map[string]string
	retried   int
	latencies []time.Duration
	keys      atomic.Int64
	stop      atomic.Bool
	wg        sync.WaitGroup
}

func startLoad(t *testing.T, url, path string, workers int) *load {
	l := &load{url: url, path: path, name: strings.ReplaceAll(t.Name(), "/", "-"),
		statuses: map[string]int{}, answers: map[string]int{}, acked: map[string]string{}}
	for range workers {
		l.wg.Go(func() {
			hc := &http.Client{Timeout: 20 * time.Second}
			for !l.stop.Load() {
				key := fmt.Sprintf("%s-%d", l.name, l.keys.Add(1))
				l.submit(t, hc, key)
			}
		})
	}
	return l
}

func (l *load) submit(t *testing.T, hc *http.Client, key string) {
	body := mustJSON(citizen("Stellungnahme " + key))
	for attempt := 0; ; attempt++ {
		start := time.Now()
		req, _ := http.NewRequest("POST", l.url+l.path+"/statements", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", key)
		res, err := hc.Do(req)
		outcome := "network error"
		var raw []byte
		if err == nil {
			raw, err = io.ReadAll(res.Body)
			res.Body.Close()
			outcome = strconv.Itoa(res.StatusCode)
			if err != nil {
				outcome = "cut off"
			}
		}
		l.mu.Lock()
		l.answers[outcome]++
		if attempt == 0 {
			l.statuses[outcome]++
		} else if attempt == 1 {
			l.retried++
		}
		if outcome == "201" {
			l.latencies = append(l.latencies, time.Since(start))
			l.acked[key] = decodeReceipt(t, response{Status: 201, Body: raw}).Number
		}
		l.mu.Unlock()
		if outcome == "201" || attempt > 300 {
			return
		}
		if outcome != "503" && outcome != "502" && outcome != "504" && outcome != "network error" && outcome != "cut off" {
			t.Errorf("submission %s: %s %s", key, outcome, raw)
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// finish stops the workers (letting each finish its submission) and reports.
func (l *load) finish() (acked map[string]string, summary string) {
	l.stop.Store(true)
	l.wg.Wait()
	histogram := func(m map[string]int) string {
		var parts []string
		for k, v := range m {
			parts = append(parts, fmt.Sprintf("%s×%d", k, v))
		}
		slices.Sort(parts)
		return strings.Join(parts, " ")
	}
	slices.Sort(l.latencies)
	p := func(q float64) time.Duration {
		if len(l.latencies) == 0 {
			return 0
		}
		return l.latencies[int(q*float64(len(l.latencies)-1))].Round(100 * time.Microsecond)
	}
	return l.acked, fmt.Sprintf("%d submissions, first answers %s; %d retried with the same key, all answers %s; %d acknowledged; 201 latency p50 %v p99 %v",
		l.keys.Load(), histogram(l.statuses), l.retried, histogram(l.answers), len(l.acked), p(0.5), p(0.99))
}

// verify checks against the database that every acknowledged statement
// exists under its number and that no submission was stored twice.
func verify(t *testing.T, db *bun.DB, procedureID string, acked map[string]string) string {
	t.Helper()
	ctx := context.Background()
	numbers := make([]string, 0, len(acked))
	for _, n := range acked {
		numbers = append(numbers, n)
	}
	var found int
	if err := db.NewRaw(`SELECT count(*) FROM statements WHERE number = ANY(?)`, pgdialect.Array(numbers)).Scan(ctx, &found); err != nil {
		t.Fatal(err)
	}
	var duplicates, total int
	if err := db.NewRaw(`SELECT count(*) FROM (SELECT text FROM statements WHERE procedure_id = ? GROUP BY text HAVING count(*) > 1) d`,
		procedureID).Scan(ctx, &duplicates); err != nil {
		t.Fatal(err)
	}
	if err := db.NewRaw(`SELECT count(*) FROM statements WHERE procedure_id = ?`, procedureID).Scan(ctx, &total); err != nil {
		t.Fatal(err)
	}
	if found != len(acked) {
		t.Errorf("LOST: %d of %d acknowledged statements are not in the database", len(acked)-found, len(acked))
	}
	if duplicates != 0 {
		t.Errorf("DUPLICATES: %d submissions were stored more than once", duplicates)
	}
	return fmt.Sprintf("%d of %d acknowledged found, %d duplicates, %d stored in all", found, len(acked), duplicates, total)
}

func report(t *testing.T, name, format string, args ...any) {
	t.Helper()
	fmt.Printf("fault %-22s "+format+"\n", append([]any{name + ":"}, args...)...)
}

// servicesProfile names the project-local services the runs may stop and
// start (infra/dev/services.sh).
func servicesProfile() string {
	if p := os.Getenv("PORTAL_SERVICES_PROFILE"); p != "" {
		return p
	}
	return "faults"
}

func servicesUp(t *testing.T) {
	t.Helper()
	cmd := exec.Command("../../../infra/dev/services.sh", "up", servicesProfile())
	// A preset URL makes the script leave its service alone.
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); !slices.Contains([]string{"DATABASE_URL", "REDIS_URL", "SMTP_URL", "PORTAL_TEST_MAILPIT_URL", "PORTAL_TEST_S3_URL"}, name) {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("services up: %v\n%s", err, out)
	}
}

func TestFaults(t *testing.T) {
	// The runs' own Redis clients would report every failed dial while Redis is down.
	redis.LogTo(slog.New(slog.NewTextHandler(io.Discard, nil)))
	env := newEnv(t)
	admin, err := postgres.Open(testenv.Env(t, "DATABASE_URL"), postgres.PoolConfig{MaxOpen: 2, MaxIdle: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	db, err := postgres.Open(env.cfg.DatabaseURL, postgres.PoolConfig{MaxOpen: 2, MaxIdle: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c := startCluster(t, env, 3)
	editor := (&testServer{URL: c.LB}).client(t)
	editor.login("freiberg-editor@demo.example")
	id := openPlan(t, editor)
	path := "/api/v1/procedures/" + id
	fmt.Printf("fault runs: 3 instances behind HAProxy at %s, logs in %s\n", c.LB, c.logDir)

	t.Run("rolling restart", func(t *testing.T) {
		l := startLoad(t, c.LB, path, 8)
		time.Sleep(2 * time.Second)
		for i := range c.procs {
			start := time.Now()
			_ = c.procs[i].cmd.Process.Signal(syscall.SIGTERM)
			_ = c.procs[i].cmd.Wait()
			stopped := time.Since(start)
			c.start(i)
			report(t, "rolling restart", "instance %d stopped %v after SIGTERM (2 s drain) and is back", i+1, stopped.Round(10*time.Millisecond))
			time.Sleep(3 * time.Second) // the balancer's rise: two checks a second apart
		}
		acked, summary := l.finish()
		report(t, "rolling restart", "%s", summary)
		report(t, "rolling restart", "%s", verify(t, db, id, acked))
		if l.statuses["201"] != int(l.keys.Load()) {
			t.Errorf("restarts cost first answers other than 201: %v", l.statuses)
		}
	})

	t.Run("SIGKILL in a burst", func(t *testing.T) {
		l := startLoad(t, c.LB, path, 16)
		time.Sleep(3 * time.Second)
		// Kill it while the balancer has requests open on it.
		var open int
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
			if open = c.inFlight(1); open >= 2 {
				break
			}
		}
		killed := c.procs[1]
		_ = killed.cmd.Process.Kill()
		_ = killed.cmd.Wait()
		time.Sleep(5 * time.Second)
		acked, summary := l.finish()
		report(t, "SIGKILL in a burst", "instance 2 killed with %d requests open on it (HAProxy's count)", open)
		report(t, "SIGKILL in a burst", "%s", summary)
		report(t, "SIGKILL in a burst", "%s", verify(t, db, id, acked))
		c.start(1)
		time.Sleep(3 * time.Second)
	})

	t.Run("Redis stopped for 20 s", func(t *testing.T) {
		rdb := goredis.NewClient(mustRedisOptions(t, env.cfg.RedisURL))
		defer rdb.Close()
		l := startLoad(t, c.LB, path, 8)
		time.Sleep(2 * time.Second)
		warnsBefore := c.logLines("rate limiter unavailable")
		_ = rdb.Shutdown(context.Background()).Err() // the connection closes: no answer
		stoppedAt := time.Now()
		login := map[string]string{"email": "freiberg-admin@demo.example", "password": DemoPassword}
		logins := map[int]int{}
		for time.Since(stoppedAt) < 20*time.Second {
			res := (&testServer{URL: c.LB}).client(t).do("POST", "/api/v1/auth/login", login)
			logins[res.Status]++
			if res.Status != 503 {
				t.Errorf("login with Redis down: %d %s", res.Status, res.Body)
			}
			time.Sleep(500 * time.Millisecond)
		}
		during, _ := l.snapshot()
		servicesUp(t)
		recovered := waitUntil(t, "logins work again", 30*time.Second, func() bool {
			return (&testServer{URL: c.LB}).client(t).do("POST", "/api/v1/auth/login", login).Status == 200
		})
		acked, summary := l.finish()
		report(t, "Redis stopped for 20 s", "%s", summary)
		report(t, "Redis stopped for 20 s", "%d statements acknowledged while Redis was down; logins during the outage by status %v; a login works %v after Redis answers again, portal not restarted",
			during, logins, recovered.Round(10*time.Millisecond))
		report(t, "Redis stopped for 20 s", "%d warnings \"rate limiter unavailable\" logged (limits failed open)", c.logLines("rate limiter unavailable")-warnsBefore)
		report(t, "Redis stopped for 20 s", "%s", verify(t, db, id, acked))
		if during == 0 {
			t.Error("no statement was accepted while Redis was down")
		}
	})

	t.Run("PostgreSQL restarted", func(t *testing.T) {
		l := startLoad(t, c.LB, path, 8)
		time.Sleep(2 * time.Second)
		var dataDir string
		if err := admin.NewRaw("SHOW data_directory").Scan(context.Background(), &dataDir); err != nil {
			t.Fatal(err)
		}
		pidLine, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
		if err != nil {
			t.Fatal(err)
		}
		pid, err := strconv.Atoi(strings.SplitN(string(pidLine), "\n", 2)[0])
		if err != nil {
			t.Fatal(err)
		}
		_ = syscall.Kill(pid, syscall.SIGINT) // fast shutdown: sessions are ended, transactions rolled back
		downAt := time.Now()
		waitUntil(t, "PostgreSQL stops", 30*time.Second, func() bool { return syscall.Kill(pid, 0) != nil })
		stopped := time.Since(downAt)
		_, statusesBefore := l.snapshot()
		time.Sleep(5 * time.Second)
		during, statuses := l.snapshot()
		servicesUp(t)
		upAt := time.Now()
		recovered := waitUntil(t, "statements are accepted again", 60*time.Second, func() bool {
			n, _ := l.snapshot()
			return n > during
		})
		acked, summary := l.finish()
		report(t, "PostgreSQL restarted", "stopped within %v; down %v; first 201 %v after it was started again, portal not restarted",
			stopped.Round(10*time.Millisecond), time.Since(downAt).Round(100*time.Millisecond)-time.Since(upAt).Round(100*time.Millisecond), recovered.Round(10*time.Millisecond))
		report(t, "PostgreSQL restarted", "first answers until the stop %v, until the restart %v", statusesBefore, statuses)
		report(t, "PostgreSQL restarted", "%s", summary)
		report(t, "PostgreSQL restarted", "%s", verify(t, db, id, acked))
		if statuses["500"] > 0 {
			t.Errorf("%d answers 500 while PostgreSQL was down", statuses["500"])
		}
	})

	t.Run("500 idle connections", func(t *testing.T) {
		measure := func(url string) (p50, p99 time.Duration, failed int) {
			hc := &http.Client{Timeout: 10 * time.Second}
			var ds []time.Duration
			for range 300 {
				start := time.Now()
				res, err := hc.Get(url + "/api/v1/organisations")
				if err != nil {
					failed++
					continue
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != 200 {
					failed++
					continue
				}
				ds = append(ds, time.Since(start))
			}
			slices.Sort(ds)
			if len(ds) == 0 {
				return 0, 0, failed
			}
			return ds[len(ds)/2].Round(10 * time.Microsecond), ds[len(ds)*99/100].Round(10 * time.Microsecond), failed
		}
		direct := c.procs[0].URL
		b50, b99, _ := measure(c.LB)
		d50, d99, _ := measure(direct)
		var conns []net.Conn
		for _, target := range []string{strings.TrimPrefix(c.LB, "http://"), strings.TrimPrefix(direct, "http://")} {
			for range 500 {
				conn, err := net.Dial("tcp", target)
				if err != nil {
					t.Fatalf("idle connection %d: %v", len(conns), err)
				}
				// Half a request line, never finished: the slowest kind of idle.
				_, _ = conn.Write([]byte("GET /api/v1/organisations HTTP/1.1\r\nHost: x\r\n"))
				conns = append(conns, conn)
			}
		}
		defer func() {
			for _, conn := range conns {
				conn.Close()
			}
		}()
		i50, i99, ifailed := measure(c.LB)
		j50, j99, jfailed := measure(direct)
		report(t, "500 idle connections", "through the balancer p50 %v p99 %v without, p50 %v p99 %v with 500 idle (%d of 300 failed)", b50, b99, i50, i99, ifailed)
		report(t, "500 idle connections", "to one instance directly p50 %v p99 %v without, p50 %v p99 %v with 500 idle (%d of 300 failed)", d50, d99, j50, j99, jfailed)
		if ifailed+jfailed > 0 {
			t.Errorf("%d requests failed beside idle connections", ifailed+jfailed)
		}
	})
}

// snapshot returns how many statements are acknowledged so far and the first
// answers by status.
func (l *load) snapshot() (int, map[string]int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	statuses := make(map[string]int, len(l.statuses))
	for k, v := range l.statuses {
		statuses[k] = v
	}
	return len(l.acked), statuses
}

func mustRedisOptions(t *testing.T, url string) *goredis.Options {
	t.Helper()
	opt, err := goredis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	return opt
}
