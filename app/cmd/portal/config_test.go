package main

import (
	"strings"
	"testing"
	"time"
)

func TestLoadConfig(t *testing.T) {
	t.Parallel()
	valid := map[string]string{
		"DATABASE_URL":  "postgres://portal@127.0.0.1:5432/portal",
		"REDIS_URL":     "redis://127.0.0.1:6379/0",
		"PORTAL_SECRET": strings.Repeat("s", 32),
	}
	tests := []struct {
		name    string
		set     map[string]string
		wantErr string // the start of the one line the operator reads
	}{
		{"defaults", nil, ""},
		{"missing database", map[string]string{"DATABASE_URL": ""}, "DATABASE_URL is required"},
		{"missing redis", map[string]string{"REDIS_URL": ""}, "REDIS_URL is required"},
		{"mysql database", map[string]string{"DATABASE_URL": "mysql://root:geheim@db/portal"}, "DATABASE_URL must be a URL starting with postgres://"},
		{"garbage database URL", map[string]string{"DATABASE_URL": "postgres://user:pa%zz@db"}, "DATABASE_URL must be a URL"},
		{"redis host without scheme", map[string]string{"REDIS_URL": "localhost:6379"}, "REDIS_URL must be a URL starting with redis://"},
		{"missing secret", map[string]string{"PORTAL_SECRET": ""}, "PORTAL_SECRET is required"},
		{"short secret", map[string]string{"PORTAL_SECRET": "short"}, "PORTAL_SECRET is required and must be at least 32"},
		{"bad address", map[string]string{"PORTAL_ADDR": "8080"}, "PORTAL_ADDR must be host:port"},
		{"relative base URL", map[string]string{"PORTAL_BASE_URL": "/portal"}, "PORTAL_BASE_URL must be an absolute"},
		{"ftp base URL", map[string]string{"PORTAL_BASE_URL": "ftp://x"}, "PORTAL_BASE_URL must be an absolute"},
		{"bad proxy", map[string]string{"PORTAL_TRUSTED_PROXIES": "10.0.0.0/8, nonsense"}, `PORTAL_TRUSTED_PROXIES must be a comma-separated list of IPs or CIDR ranges, got "nonsense"`},
		{"good proxies", map[string]string{"PORTAL_TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.1"}, ""},
		{"bad body limit", map[string]string{"PORTAL_BODY_LIMIT": "lots"}, "PORTAL_BODY_LIMIT must be a size"},
		{"tiny body limit", map[string]string{"PORTAL_BODY_LIMIT": "10"}, "PORTAL_BODY_LIMIT must be a size"},
		{"body limit in MiB", map[string]string{"PORTAL_BODY_LIMIT": "25MiB"}, ""},
		{"bad timeout", map[string]string{"PORTAL_REQUEST_TIMEOUT": "15"}, "PORTAL_REQUEST_TIMEOUT must be a positive duration"},
		{"negative rate", map[string]string{"PORTAL_RATE_LIMIT_API": "-1"}, "PORTAL_RATE_LIMIT_API must be a positive whole number"},
		{"bad log level", map[string]string{"PORTAL_LOG_LEVEL": "loud"}, "PORTAL_LOG_LEVEL must be debug"},
		{"retention in days", map[string]string{"PORTAL_SURVEY_DRAFT_RETENTION": "180d"}, ""},
		{"retention as duration", map[string]string{"PORTAL_MAIL_RETENTION": "36h"}, ""},
		{"retention without unit", map[string]string{"PORTAL_MAIL_RETENTION": "30"}, "PORTAL_MAIL_RETENTION must be a positive period"},
		{"zero grace", map[string]string{"PORTAL_SURVEY_DRAFT_GRACE": "0d"}, "PORTAL_SURVEY_DRAFT_GRACE must be a positive period"},
		{"negative retention", map[string]string{"PORTAL_SURVEY_DRAFT_RETENTION": "-5d"}, "PORTAL_SURVEY_DRAFT_RETENTION must be a positive period"},
		{"huge retention", map[string]string{"PORTAL_SURVEY_DRAFT_RETENTION": "99999999999d"}, "PORTAL_SURVEY_DRAFT_RETENTION must be a positive period"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{}
			for k, v := range valid {
				env[k] = v
			}
			for k, v := range tt.set {
				env[k] = v
			}
			cfg, err := loadConfig(func(k string) string { return env[k] }, needAll)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("got %v, want no error", err)
				}
				if cfg.Addr != ":8080" || cfg.BaseURL.String() != "http://localhost:8080" {
					t.Fatalf("defaults: got addr %q base %q", cfg.Addr, cfg.BaseURL)
				}
				if tt.set == nil && (cfg.SurveyDraftRetention != 90*24*time.Hour || cfg.SurveyDraftGrace != 7*24*time.Hour || cfg.MailRetention != 30*24*time.Hour) {
					t.Fatalf("retention defaults: got %v, %v, %v", cfg.SurveyDraftRetention, cfg.SurveyDraftGrace, cfg.MailRetention)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
				t.Fatalf("got %v, want error starting %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "\n") || strings.Contains(err.Error(), strings.Repeat("s", 32)) || strings.Contains(err.Error(), "geheim") {
				t.Fatalf("error must be one line without secrets: %q", err)
			}
		})
	}
}

func TestMigrateNeedsOnlyTheDatabase(t *testing.T) {
	t.Parallel()
	_, err := loadConfig(func(k string) string {
		if k == "DATABASE_URL" {
			return "postgres://x@127.0.0.1/x"
		}
		return ""
	}, needDB)
	if err != nil {
		t.Fatalf("got %v, want migrate to start without Redis or secret", err)
	}
}

func TestParseSize(t *testing.T) {
	t.Parallel()
	tests := map[string]int{"512": 512, "64KiB": 64 << 10, "10MiB": 10 << 20, "10MB": 10_000_000, "1GiB": 1 << 30, "3 KiB": 3 << 10}
	for in, want := range tests {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q): got %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "KiB", "-1", "1.5MiB", "99999GiB"} {
		if _, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q): want error", in)
		}
	}
}

func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"10MiB", "1", "GiB", "-5KB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parseSize(s)
		if err == nil && n < 0 {
			t.Fatalf("parseSize(%q) = %d", s, n)
		}
	})
}
