package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"beteiligungsportal/domain/procedure"
)

// portalProcess is the portal binary running as its own process, so that a
// test can kill it the hard way.
type portalProcess struct {
	cmd *exec.Cmd
	URL string
}

var buildOnce struct {
	sync.Once
	bin string
	err error
}

// portalBinary builds the portal once per test run.
func portalBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "portal-bin")
		if err != nil {
			buildOnce.err = err
			return
		}
		buildOnce.bin = filepath.Join(dir, "portal")
		out, err := exec.Command("go", "build", "-o", buildOnce.bin, ".").CombinedOutput()
		if err != nil {
			buildOnce.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildOnce.err != nil {
		t.Fatal(buildOnce.err)
	}
	return buildOnce.bin
}

func (e *testEnv) startProcess(t *testing.T) *portalProcess {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return e.startProcessAt(t, addr, testLogWriter())
}

// startProcessAt runs the portal binary on addr with the environment's
// configuration and extra variables (NAME=value), logging to logs, and waits
// until it is ready. It is killed when the test ends.
func (e *testEnv) startProcessAt(t testing.TB, addr string, logs io.Writer, extra ...string) *portalProcess {
	t.Helper()
	cmd := exec.Command(portalBinary(t), "serve")
	cmd.Env = append(os.Environ(),
		"DATABASE_URL="+e.cfg.DatabaseURL, "REDIS_URL="+e.cfg.RedisURL, "PORTAL_SECRET="+string(e.cfg.Secret),
		"PORTAL_ADDR="+addr, "PORTAL_REDIS_PREFIX="+e.cfg.RedisPrefix, "PORTAL_FILE_STORE="+e.cfg.FileStore,
		"PORTAL_LOG_LEVEL=error", "PORTAL_RATE_LIMIT_STATEMENTS=100000", "PORTAL_RATE_LIMIT_API=100000",
		"PORTAL_RATE_LIMIT_STATEMENTS_PROCEDURE=100000")
	cmd.Env = append(cmd.Env, extra...)
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &portalProcess{cmd: cmd, URL: "http://" + addr}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	for range 200 {
		if res, err := http.Get(p.URL + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return p
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("portal process did not become ready")
	return nil
}

func (p *portalProcess) client(t *testing.T) *client {
	return (&testServer{URL: p.URL}).client(t)
}

// Every statement whose 201 reached the client survives the server being
// killed (SIGKILL) in the middle of a burst of submissions: the answer is
// sent only after the commit.
func TestStatementsSurviveAKilledServer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the portal binary")
	}
	env := newEnv(t)
	srv := env.startProcess(t)
	editor := srv.client(t)
	editor.login("freiberg-editor@demo.example")
	today := procedure.Today(time.Now())
	res := mustStatus(t, editor.do("POST", "/api/v1/organisations/"+editor.orgID("Freiberg")+"/procedures", map[string]any{
		"type": "statute", "subtype": "haushaltssatzung", "title": "Haushaltssatzung 2027", "summary": "Entwurf des Haushalts.",
	}), 201, "create")
	path := "/api/v1/procedures/" + decodeProcedure(t, res).ID
	mustStatus(t, editor.do("POST", path+"/phases", map[string]any{"kind": "participation", "audience": "public",
		"start": today.String(), "end": today.AddDays(14).String()}), 201, "phase")
	mustStatus(t, editor.do("POST", path+"/publish", nil), 200, "publish")

	type receipt struct{ number, token, digest string }
	var (
		mu       sync.Mutex
		receipts []receipt
		stop     atomic.Bool
		wg       sync.WaitGroup
	)
	for w := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := srv.client(t)
			c.http.Timeout = 5 * time.Second
			for i := 0; !stop.Load(); i++ {
				body := citizen(fmt.Sprintf("Stellungnahme %d von Schreiber %d", i, w))
				req, _ := http.NewRequest("POST", srv.URL+path+"/statements", strings.NewReader(mustJSON(body)))
				req.Header.Set("Content-Type", "application/json")
				resp, err := c.http.Do(req)
				if err != nil {
					return // the server is gone
				}
				raw, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != 201 {
					continue // a cut-off answer is no acknowledgement
				}
				r := decodeReceipt(t, response{Status: 201, Body: raw})
				mu.Lock()
				receipts = append(receipts, receipt{r.Number, r.Token, r.Digest})
				mu.Unlock()
			}
		}()
	}
	// Kill while submissions are in flight.
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(receipts)
		mu.Unlock()
		if n >= 150 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := srv.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = srv.cmd.Wait()
	stop.Store(true)
	wg.Wait()
	if len(receipts) < 50 {
		t.Fatalf("only %d statements before the kill", len(receipts))
	}

	again := env.startProcess(t)
	anon := again.client(t)
	for _, r := range receipts {
		res := anon.do("POST", "/api/v1/receipts/check", map[string]string{"number": r.number, "token": r.token})
		if res.Status != 200 || res.JSON()["digest"] != r.digest {
			t.Fatalf("statement %s was acknowledged but is lost or changed: %d %s", r.number, res.Status, res.Body)
		}
	}
	t.Logf("%d acknowledged statements all found after SIGKILL", len(receipts))
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}
