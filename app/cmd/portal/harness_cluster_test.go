package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"beteiligungsportal/domain/procedure"
)

// balancedCluster is portal processes behind HAProxy with the repository's
// configuration (infra/haproxy/local.cfg), on loopback.
type balancedCluster struct {
	t      testing.TB
	env    *testEnv
	LB     string // the balancer's URL
	Stats  string // its stats page
	addrs  []string
	procs  []*portalProcess
	logDir string
	extra  []string // more NAME=value for every instance
}

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// haproxyPath is the haproxy binary: HAPROXY (make faults sets it, having
// installed HAProxy when it was missing), else the one on PATH or Debian's.
func haproxyPath() (string, error) {
	if p := os.Getenv("HAPROXY"); p != "" {
		return exec.LookPath(p)
	}
	if p, err := exec.LookPath("haproxy"); err == nil {
		return p, nil
	}
	if _, err := os.Stat("/usr/sbin/haproxy"); err == nil {
		return "/usr/sbin/haproxy", nil
	}
	return "", errors.New("haproxy not found: install the Debian package haproxy (make faults and make run-cluster do)")
}

// startCluster runs n portal processes (1 to 3) and HAProxy in front of them;
// with fewer than three, the balancer's three server lines share them.
func startCluster(t testing.TB, env *testEnv, n int, extra ...string) *balancedCluster {
	t.Helper()
	haproxy, err := haproxyPath()
	if err != nil {
		t.Fatal(err)
	}
	// The logs outlive a failed test: they are what explains it.
	logDir, err := os.MkdirTemp("", "portal-cluster-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if !t.Failed() {
			_ = os.RemoveAll(logDir)
		}
	})
	c := &balancedCluster{t: t, env: env, logDir: logDir, extra: extra}
	for range n {
		c.addrs = append(c.addrs, freeAddr(t))
	}
	c.procs = make([]*portalProcess, n)
	for i := range c.procs {
		c.start(i)
	}
	lb := freeAddr(t)
	cfg, err := filepath.Abs("../../../infra/haproxy/local.cfg")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(haproxy, "-db", "-f", cfg)
	stats := freeAddr(t)
	c.Stats = "http://" + stats
	cmd.Env = append(os.Environ(), "LB_ADDR="+lb, "LB_STATS_ADDR="+stats,
		"PORTAL_1="+c.addrs[0], "PORTAL_2="+c.addrs[1%n], "PORTAL_3="+c.addrs[2%n])
	cmd.Dir = filepath.Dir(cfg)
	logs, err := os.Create(filepath.Join(c.logDir, "haproxy.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Signal(syscall.SIGTERM); _ = cmd.Wait(); logs.Close() })
	c.LB = "http://" + lb
	waitUntil(t, "the balancer serves", 20*time.Second, func() bool {
		res, err := http.Get(c.LB + "/readyz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == 200
	})
	return c
}

// start runs instance i on its fixed address.
func (c *balancedCluster) start(i int) {
	c.t.Helper()
	logs, err := os.OpenFile(filepath.Join(c.logDir, fmt.Sprintf("portal-%d.log", i+1)), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { logs.Close() })
	c.procs[i] = c.env.startProcessAt(c.t, c.addrs[i], logs, append([]string{
		"PORTAL_LOG_LEVEL=warn", "PORTAL_DRAIN_DELAY=2s", "PORTAL_TRUSTED_PROXIES=127.0.0.1"}, c.extra...)...)
}

// logLines counts the lines of every instance's log that contain s.
func (c *balancedCluster) logLines(s string) int {
	n := 0
	for i := range c.procs {
		raw, _ := os.ReadFile(filepath.Join(c.logDir, fmt.Sprintf("portal-%d.log", i+1)))
		n += bytes.Count(raw, []byte(s))
	}
	return n
}

func waitUntil(t testing.TB, what string, limit time.Duration, ok func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !ok() {
		if time.Since(start) > limit {
			t.Fatalf("%s: not within %v", what, limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return time.Since(start)
}

// openPlan creates a published statute open for statements today and returns
// its ID.
func openPlan(t testing.TB, c *client) string {
	t.Helper()
	today := procedure.Today(time.Now())
	res := mustStatus(t, c.do("POST", "/api/v1/organisations/"+c.orgID("Freiberg")+"/procedures", map[string]any{
		"type": "statute", "subtype": "haushaltssatzung", "title": "Haushaltssatzung 2027", "summary": "Entwurf des Haushalts.",
	}), 201, "create")
	id := decodeProcedure(t, res).ID
	path := "/api/v1/procedures/" + id
	mustStatus(t, c.do("POST", path+"/phases", map[string]any{"kind": "participation", "audience": "public",
		"start": today.String(), "end": today.AddDays(14).String()}), 201, "phase")
	mustStatus(t, c.do("POST", path+"/publish", nil), 200, "publish")
	return id
}

// inFlight is the number of requests HAProxy has open on instance i (its
// stats' scur), -1 when the stats cannot be read.
func (c *balancedCluster) inFlight(i int) int {
	res, err := http.Get(c.Stats + "/;csv")
	if err != nil {
		return -1
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	for _, line := range strings.Split(string(raw), "\n") {
		f := strings.Split(line, ",")
		if len(f) > 4 && f[0] == "portal" && f[1] == fmt.Sprintf("portal%d", i+1) {
			n, err := strconv.Atoi(f[4])
			if err != nil {
				return -1
			}
			return n
		}
	}
	return -1
}
