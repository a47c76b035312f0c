package main

import (
	"bytes"
	"context"
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

func TestServeStopsCleanlyWhenSignalled(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, prefix := testenv.Redis(t)
	vars := map[string]string{
		"DATABASE_URL": testenv.DatabaseURL(t), "REDIS_URL": testenv.Env(t, "REDIS_URL"),
		"PORTAL_SECRET": strings.Repeat("k", 40), "PORTAL_ADDR": addr, "PORTAL_REDIS_PREFIX": prefix,
		"PORTAL_LOG_LEVEL": "error",
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve"}, envFunc(vars), nil, &bytes.Buffer{}) }()
	ready := false
	for range 100 {
		if res, err := http.Get("http://" + addr + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				ready = true
				break
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !ready {
		t.Fatal("server did not become ready")
	}
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
