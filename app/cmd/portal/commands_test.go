package main

import (
	"bytes"
	"context"
	"maps"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"beteiligungsportal/infra/testenv"
)

func envFunc(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestMigrateAndStatusCommands(t *testing.T) {
	ctx := context.Background()
	vars := map[string]string{"DATABASE_URL": testenv.EmptyDatabaseURL(t)}
	var out bytes.Buffer
	err := run(ctx, []string{"migrate", "status"}, envFunc(vars), nil, &out)
	if err == nil || !strings.Contains(err.Error(), "run `portal migrate`") || !strings.Contains(out.String(), "pending") {
		t.Fatalf("status of an empty database: err %v, output %q", err, out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"migrate"}, envFunc(vars), nil, &out); err != nil || !strings.Contains(out.String(), "applied") {
		t.Fatalf("migrate: err %v, output %q", err, out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"migrate"}, envFunc(vars), nil, &out); err != nil || !strings.Contains(out.String(), "up to date") {
		t.Fatalf("migrate again: err %v, output %q", err, out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"migrate", "status"}, envFunc(vars), nil, &out); err != nil || strings.Contains(out.String(), "pending") {
		t.Fatalf("status after migrate: err %v, output %q", err, out.String())
	}
}

func TestServeRefusesOutdatedSchema(t *testing.T) {
	vars := map[string]string{
		"DATABASE_URL": testenv.EmptyDatabaseURL(t), "REDIS_URL": testenv.Env(t, "REDIS_URL"),
		"PORTAL_SECRET": strings.Repeat("k", 40), "PORTAL_ADDR": "127.0.0.1:0",
	}
	err := run(context.Background(), []string{"serve"}, envFunc(vars), nil, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "behind") || !strings.Contains(err.Error(), "portal migrate") {
		t.Fatalf("got %v, want a refusal that says to run portal migrate", err)
	}
}

func TestServeNamesTheBadVariable(t *testing.T) {
	err := run(context.Background(), []string{"serve"}, envFunc(map[string]string{"DATABASE_URL": "postgres://x@127.0.0.1/x", "REDIS_URL": "redis://127.0.0.1:6379"}), nil, &bytes.Buffer{})
	if err == nil || err.Error() != "configuration: PORTAL_SECRET is required and must be at least 32 characters (e.g. `head -c 48 /dev/urandom | base64`)" {
		t.Fatalf("got %v", err)
	}
}

func TestCreateAdminCommand(t *testing.T) {
	ctx := context.Background()
	vars := map[string]string{"DATABASE_URL": testenv.DatabaseURL(t)}
	var out bytes.Buffer
	err := run(ctx, []string{"create-admin", "--email", "Chefin@Land.example", "--name", "Chefin"}, envFunc(vars), strings.NewReader("ein-sehr-geheimes-passwort\n"), &out)
	if err != nil || !strings.Contains(out.String(), "chefin@land.example") || strings.Contains(out.String(), "password") {
		t.Fatalf("with password on stdin: err %v, output %q", err, out.String())
	}
	out.Reset()
	err = run(ctx, []string{"create-admin", "--email", "zweite@land.example"}, envFunc(vars), strings.NewReader(""), &out)
	if err != nil || !strings.Contains(out.String(), "password (shown once): ") {
		t.Fatalf("generated password: err %v, output %q", err, out.String())
	}
	err = run(ctx, []string{"create-admin", "--email", "chefin@land.example"}, envFunc(vars), strings.NewReader("ein-anderes-passwort\n"), &out)
	if err == nil || !strings.Contains(err.Error(), "account.email_taken") {
		t.Fatalf("duplicate: got %v", err)
	}
	err = run(ctx, []string{"create-admin", "--email", "kurz@land.example"}, envFunc(vars), strings.NewReader("kurz\n"), &out)
	if err == nil || !strings.Contains(err.Error(), "password") {
		t.Fatalf("short password: got %v", err)
	}
	if err := run(ctx, []string{"create-admin"}, envFunc(vars), nil, &out); err == nil {
		t.Fatal("missing --email accepted")
	}
}

// startServe runs the serve command with extra variables on a free port until
// cancel is called; done receives what it returned.
func startServe(t *testing.T, extra map[string]string) (addr string, cancel func(), done <-chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr = ln.Addr().String()
	ln.Close()
	_, prefix := testenv.Redis(t)
	vars := map[string]string{
		"DATABASE_URL": testenv.DatabaseURL(t), "REDIS_URL": testenv.Env(t, "REDIS_URL"),
		"PORTAL_SECRET": strings.Repeat("k", 40), "PORTAL_ADDR": addr, "PORTAL_REDIS_PREFIX": prefix,
		"PORTAL_LOG_LEVEL": "error",
	}
	maps.Copy(vars, extra)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- run(ctx, []string{"serve"}, envFunc(vars), nil, &bytes.Buffer{}) }()
	t.Cleanup(cancel)
	for range 100 {
		if res, err := http.Get("http://" + addr + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return addr, cancel, errc
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("server did not become ready")
	return "", nil, nil
}

func TestServeStopsCleanlyWhenSignalled(t *testing.T) {
	_, cancel, done := startServe(t, nil)
	cancel() // what SIGTERM does through signal.NotifyContext
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v after the signal, want nil (exit 0)", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop after the signal")
	}
}

// A rolling restart loses nothing when the balancer learns first: after the
// signal the instance keeps serving for PORTAL_DRAIN_DELAY, but /readyz is
// 503 and responses close their connection, so no new request reuses it.
func TestServeDrainsBeforeStopping(t *testing.T) {
	const delay = 1500 * time.Millisecond
	addr, cancel, done := startServe(t, map[string]string{"PORTAL_DRAIN_DELAY": delay.String()})
	signalled := time.Now()
	cancel()
	var ready *http.Response
	for range 40 {
		res, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			t.Fatalf("readyz while draining: %v", err)
		}
		res.Body.Close()
		if res.StatusCode == 503 {
			ready = res
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if ready == nil || ready.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("readyz while draining: %+v, want 503 problem", ready)
	}
	res, err := http.Get("http://" + addr + "/api/v1/organisations")
	if err != nil {
		t.Fatalf("request while draining was refused: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || !res.Close {
		t.Fatalf("request while draining: status %d, connection close %v; want 200 and close", res.StatusCode, res.Close)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v, want nil", err)
		}
		if waited := time.Since(signalled); waited < delay {
			t.Fatalf("serve stopped after %v, before the drain delay of %v", waited, delay)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop after draining")
	}
}
