package main

import (
	"fmt"
	"log/slog"
	"net"
	netmail "net/mail"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"beteiligungsportal/infra/password"
	"beteiligungsportal/infra/smtp"
)

// config is the service's configuration, read once from the environment.
type config struct {
	// PasswordCost are the argon2id parameters for new password hashes; not
	// an environment variable (zero: password.Default). Tests make it cheap.
	PasswordCost password.Params
	// NoPublicCache switches the shared cache of public answers off; not an
	// environment variable, for benchmarks that compare.
	NoPublicCache bool

	DatabaseURL     string
	RedisURL        string
	Addr            string
	BaseURL         *url.URL
	Secret          []byte
	TrustedProxies  []string
	BodyLimit       int
	RequestTimeout  time.Duration
	WriteTimeout    time.Duration
	ShutdownTimeout time.Duration
	DrainDelay      time.Duration // how long /readyz is 503 before the server stops accepting
	SessionTTL      time.Duration
	RateLimitAPI    int // requests per minute per client IP
	RateLimitLogin  int // login attempts per minute per account and IP
	RedisPrefix     string
	DBMaxConns      int
	LogLevel        slog.Level
	SMTPURL         string // empty: mail stays queued until it is set
	MailFrom        string // sender address of every mail
	FileStore       string // file:DIR or s3://…, see infra/storage.Parse
	DocumentMaxSize int    // bytes per procedure document
	DocumentsMax    int    // bytes of documents per procedure, old versions included
	// Statements.
	PrivacyVersion          string // version of the privacy notice submitters consent to
	PrivacyURL              string
	StatementAttachments    int // files per statement
	StatementAttachmentSize int // bytes per file
	RateLimitStatements     int // statements per hour and client IP
	RateLimitStatementsProc int // statements per minute and procedure
	// Retention.
	SurveyDraftRetention time.Duration // drafts not saved for this long are deleted
	SurveyDraftGrace     time.Duration // drafts of an ended survey are deleted this long after its end
	MailRetention        time.Duration // sent and failed mails are deleted this long after
}

// envVar documents one variable; the README's table is the same list.
type envVar struct {
	name, def string
	parse     func(c *config, v string) error
}

var envVars = []envVar{
	{"DATABASE_URL", "", urlVar(func(c *config) *string { return &c.DatabaseURL }, "postgres", "postgresql")},
	{"REDIS_URL", "", urlVar(func(c *config) *string { return &c.RedisURL }, "redis", "rediss", "unix")},
	{"PORTAL_ADDR", ":8080", func(c *config, v string) error {
		if _, _, err := net.SplitHostPort(v); err != nil {
			return fmt.Errorf("must be host:port or :port, got %q", v)
		}
		c.Addr = v
		return nil
	}},
	{"PORTAL_BASE_URL", "http://localhost:8080", func(c *config, v string) error {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("must be an absolute http(s) URL, got %q", v)
		}
		c.BaseURL = u
		return nil
	}},
	{"PORTAL_SECRET", "", func(c *config, v string) error {
		if len(v) < 32 {
			return fmt.Errorf("is required and must be at least 32 characters (e.g. `head -c 48 /dev/urandom | base64`)")
		}
		c.Secret = []byte(v)
		return nil
	}},
	{"PORTAL_TRUSTED_PROXIES", "", func(c *config, v string) error {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p == "" {
				continue
			}
			if net.ParseIP(p) == nil {
				if _, _, err := net.ParseCIDR(p); err != nil {
					return fmt.Errorf("must be a comma-separated list of IPs or CIDR ranges, got %q", p)
				}
			}
			c.TrustedProxies = append(c.TrustedProxies, p)
		}
		return nil
	}},
	{"PORTAL_BODY_LIMIT", "10MiB", func(c *config, v string) error {
		n, err := parseSize(v)
		if err != nil || n < 1024 {
			return fmt.Errorf("must be a size of at least 1KiB such as 10MiB or 1048576, got %q", v)
		}
		c.BodyLimit = n
		return nil
	}},
	{"PORTAL_REQUEST_TIMEOUT", "15s", durationVar(func(c *config) *time.Duration { return &c.RequestTimeout })},
	{"PORTAL_WRITE_TIMEOUT", "60s", durationVar(func(c *config) *time.Duration { return &c.WriteTimeout })},
	{"PORTAL_SHUTDOWN_TIMEOUT", "30s", durationVar(func(c *config) *time.Duration { return &c.ShutdownTimeout })},
	{"PORTAL_DRAIN_DELAY", "0s", func(c *config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 || d > 5*time.Minute {
			return fmt.Errorf("must be a duration from 0s to 5m such as 5s, got %q", v)
		}
		c.DrainDelay = d
		return nil
	}},
	{"PORTAL_SESSION_TTL", "8h", durationVar(func(c *config) *time.Duration { return &c.SessionTTL })},
	{"PORTAL_RATE_LIMIT_API", "600", intVar(func(c *config) *int { return &c.RateLimitAPI })},
	{"PORTAL_RATE_LIMIT_LOGIN", "5", intVar(func(c *config) *int { return &c.RateLimitLogin })},
	{"PORTAL_REDIS_PREFIX", "portal:v1:", func(c *config, v string) error { c.RedisPrefix = v; return nil }},
	{"PORTAL_DB_MAX_CONNS", "20", intVar(func(c *config) *int { return &c.DBMaxConns })},
	{"SMTP_URL", "", func(c *config, v string) error {
		if v == "" {
			return nil // optional: without it, mail is queued and sent once it is set
		}
		if _, err := smtp.ParseURL(v); err != nil {
			return err
		}
		c.SMTPURL = v
		return nil
	}},
	{"PORTAL_MAIL_FROM", "Beteiligungsportal <noreply@localhost>", func(c *config, v string) error {
		if _, err := netmail.ParseAddress(v); err != nil || strings.ContainsAny(v, "\r\n") {
			return fmt.Errorf("must be one e-mail address such as \"Beteiligungsportal <noreply@example.org>\", got %q", v)
		}
		c.MailFrom = v
		return nil
	}},
	{"PORTAL_FILE_STORE", "file:.data/files", func(c *config, v string) error {
		if !strings.HasPrefix(v, "file:") && !strings.HasPrefix(v, "s3://") {
			return fmt.Errorf("must be file:DIRECTORY or s3://KEY:SECRET@HOST/BUCKET")
		}
		c.FileStore = v
		return nil
	}},
	{"PORTAL_DOCUMENT_MAX_SIZE", "50MiB", sizeVar(func(c *config) *int { return &c.DocumentMaxSize })},
	{"PORTAL_PROCEDURE_DOCUMENTS_MAX", "1GiB", sizeVar(func(c *config) *int { return &c.DocumentsMax })},
	{"PORTAL_PRIVACY_NOTICE_VERSION", "2026-11-01", func(c *config, v string) error {
		if len(v) > 100 {
			return fmt.Errorf("must be at most 100 characters")
		}
		c.PrivacyVersion = v
		return nil
	}},
	{"PORTAL_PRIVACY_NOTICE_URL", "/datenschutz", func(c *config, v string) error { c.PrivacyURL = v; return nil }},
	{"PORTAL_STATEMENT_ATTACHMENTS", "5", intVar(func(c *config) *int { return &c.StatementAttachments })},
	{"PORTAL_STATEMENT_ATTACHMENT_MAX_SIZE", "10MiB", sizeVar(func(c *config) *int { return &c.StatementAttachmentSize })},
	{"PORTAL_RATE_LIMIT_STATEMENTS", "60", intVar(func(c *config) *int { return &c.RateLimitStatements })},
	{"PORTAL_RATE_LIMIT_STATEMENTS_PROCEDURE", "300", intVar(func(c *config) *int { return &c.RateLimitStatementsProc })},
	{"PORTAL_SURVEY_DRAFT_RETENTION", "90d", periodVar(func(c *config) *time.Duration { return &c.SurveyDraftRetention })},
	{"PORTAL_SURVEY_DRAFT_GRACE", "7d", periodVar(func(c *config) *time.Duration { return &c.SurveyDraftGrace })},
	{"PORTAL_MAIL_RETENTION", "30d", periodVar(func(c *config) *time.Duration { return &c.MailRetention })},
	{"PORTAL_LOG_LEVEL", "info", func(c *config, v string) error {
		if err := c.LogLevel.UnmarshalText([]byte(v)); err != nil {
			return fmt.Errorf("must be debug, info, warn or error, got %q", v)
		}
		return nil
	}},
}

// loadConfig reads the environment. The error names the first bad variable in one
// line and never echoes a secret's value.
func loadConfig(getenv func(string) string, need map[string]bool) (config, error) {
	var c config
	for _, ev := range envVars {
		v := strings.TrimSpace(getenv(ev.name))
		if v == "" {
			if ev.def == "" && need != nil && !need[ev.name] {
				continue
			}
			v = ev.def
		}
		if err := ev.parse(&c, v); err != nil {
			return config{}, fmt.Errorf("%s %v", ev.name, err)
		}
	}
	return c, nil
}

// needAll asks loadConfig for every variable; commands that need fewer pass their own set.
var needAll map[string]bool

// needDB is what commands working on the database alone need.
var needDB = map[string]bool{"DATABASE_URL": true}

// urlVar accepts a URL with one of the schemes; the error never echoes the
// value, which may hold a password.
func urlVar(field func(*config) *string, schemes ...string) func(*config, string) error {
	return func(c *config, v string) error {
		if v == "" {
			return fmt.Errorf("is required: a %s:// URL", schemes[0])
		}
		u, err := url.Parse(v)
		if err != nil || !slices.Contains(schemes, u.Scheme) {
			return fmt.Errorf("must be a URL starting with %s://", schemes[0])
		}
		*field(c) = v
		return nil
	}
}

func durationVar(field func(*config) *time.Duration) func(*config, string) error {
	return func(c *config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return fmt.Errorf("must be a positive duration such as 15s or 8h, got %q", v)
		}
		*field(c) = d
		return nil
	}
}

// periodVar reads a retention period: whole days such as 90d, or a Go
// duration such as 36h (time.ParseDuration knows no days).
func periodVar(field func(*config) *time.Duration) func(*config, string) error {
	return func(c *config, v string) error {
		var d time.Duration
		var err error
		if days, ok := strings.CutSuffix(v, "d"); ok {
			var n int
			n, err = strconv.Atoi(days)
			d = time.Duration(n) * 24 * time.Hour
			if n > 100*365 {
				err = fmt.Errorf("too long")
			}
		} else {
			d, err = time.ParseDuration(v)
		}
		if err != nil || d <= 0 {
			return fmt.Errorf("must be a positive period such as 30d or 36h, got %q", v)
		}
		*field(c) = d
		return nil
	}
}

func intVar(field func(*config) *int) func(*config, string) error {
	return func(c *config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return fmt.Errorf("must be a positive whole number, got %q", v)
		}
		*field(c) = n
		return nil
	}
}

func sizeVar(field func(*config) *int) func(*config, string) error {
	return func(c *config, v string) error {
		n, err := parseSize(v)
		if err != nil || n < 1024 {
			return fmt.Errorf("must be a size of at least 1KiB such as 50MiB, got %q", v)
		}
		*field(c) = n
		return nil
	}
}

// parseSize reads sizes such as 512, 64KiB, 10MiB, 10MB, 1GiB.
func parseSize(v string) (int, error) {
	units := []struct {
		suffix string
		mult   int
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1000}, {"MB", 1000 * 1000}, {"GB", 1000 * 1000 * 1000}, {"B", 1}}
	mult := 1
	for _, u := range units {
		if strings.HasSuffix(v, u.suffix) {
			v, mult = strings.TrimSpace(strings.TrimSuffix(v, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > (1<<31-1)/mult {
		return 0, fmt.Errorf("bad size")
	}
	return n * mult, nil
}

// logValue prints the effective configuration with secrets masked.
func (c config) logValue() slog.Value {
	return slog.GroupValue(
		slog.String("database_url", maskURL(c.DatabaseURL)),
		slog.String("redis_url", maskURL(c.RedisURL)),
		slog.String("addr", c.Addr),
		slog.String("base_url", c.BaseURL.String()),
		slog.String("secret", "***"),
		slog.Any("trusted_proxies", c.TrustedProxies),
		slog.Int("body_limit", c.BodyLimit),
		duration("request_timeout", c.RequestTimeout),
		duration("write_timeout", c.WriteTimeout),
		duration("session_ttl", c.SessionTTL),
		slog.Int("rate_limit_api", c.RateLimitAPI),
		slog.Int("rate_limit_login", c.RateLimitLogin),
		slog.String("file_store", maskURL(c.FileStore)),
		slog.String("smtp_url", maskURL(c.SMTPURL)),
		slog.String("mail_from", c.MailFrom),
		slog.Int("document_max_size", c.DocumentMaxSize),
		slog.Int("procedure_documents_max", c.DocumentsMax),
		duration("survey_draft_retention", c.SurveyDraftRetention),
		duration("survey_draft_grace", c.SurveyDraftGrace),
		duration("mail_retention", c.MailRetention),
	)
}

func maskURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "***"
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "***")
		}
	}
	return u.String()
}

// duration logs a period as people write it ("1h30m0s"); slog's JSON handler
// would write nanoseconds.
func duration(key string, d time.Duration) slog.Attr { return slog.String(key, d.String()) }
