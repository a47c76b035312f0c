// Command portal is the Beteiligungsportal service: one binary that serves the
// API and runs the operator's tasks (migrations, demo data, first admin).
package main

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	goredis "github.com/redis/go-redis/v9"
	"github.com/uptrace/bun"

	appaccount "beteiligungsportal/app/account"
	appaudit "beteiligungsportal/app/audit"
	appdefect "beteiligungsportal/app/defect"
	appdialog "beteiligungsportal/app/dialog"
	apporg "beteiligungsportal/app/organisation"
	appproc "beteiligungsportal/app/procedure"
	appstmt "beteiligungsportal/app/statement"
	"beteiligungsportal/domain/procedure"
	"beteiligungsportal/domain/statement"
	"beteiligungsportal/infra/password"
	"beteiligungsportal/infra/postgres"
	"beteiligungsportal/infra/redis"
	"beteiligungsportal/infra/storage"
	"beteiligungsportal/migrations"
	"beteiligungsportal/web"
	"beteiligungsportal/web/handler"
	"beteiligungsportal/web/middleware"
)

const usage = `usage: portal <command>

commands:
  serve            serve the API (refuses to start on an outdated schema)
  migrate          apply pending database migrations
  migrate status   list migrations and whether they are applied
  seed-demo        load demo organisations and staff once (idempotent)
  create-admin     create an instance administrator:
                   portal create-admin --email a@b.de [--name "Ada Admin"]
                   (password read from stdin when piped, otherwise generated and printed once)
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "portal:", err)
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprint(os.Stderr, usage)
			os.Exit(2)
		}
		os.Exit(1)
	}
}

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 {
		return usageError{"no command given"}
	}
	switch cmd := args[0]; cmd {
	case "serve":
		cfg, err := loadConfig(getenv, needAll)
		if err != nil {
			return fmt.Errorf("configuration: %w", err)
		}
		return serve(ctx, cfg)
	case "migrate":
		cfg, err := loadConfig(getenv, needDB)
		if err != nil {
			return fmt.Errorf("configuration: %w", err)
		}
		if len(args) > 1 && args[1] == "status" {
			return migrateStatus(ctx, cfg, stdout)
		}
		if len(args) > 1 {
			return usageError{"unknown migrate argument " + args[1]}
		}
		return migrateUp(ctx, cfg, stdout)
	case "seed-demo":
		cfg, err := loadConfig(getenv, needDB)
		if err != nil {
			return fmt.Errorf("configuration: %w", err)
		}
		return seedDemo(ctx, cfg, stdout)
	case "create-admin":
		cfg, err := loadConfig(getenv, needDB)
		if err != nil {
			return fmt.Errorf("configuration: %w", err)
		}
		return createAdmin(ctx, cfg, args[1:], stdin, stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		return usageError{"unknown command " + cmd}
	}
}

func newLogger(level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}

// openDB connects and waits up to 30 s for the server, so that a service started
// together with its database does not fail on the first try.
func openDB(ctx context.Context, cfg config) (*bun.DB, error) {
	maxConns := cfg.DBMaxConns
	if maxConns == 0 {
		maxConns = 20
	}
	db, err := postgres.Open(cfg.DatabaseURL, postgres.PoolConfig{MaxOpen: maxConns, MaxIdle: maxConns, MaxLifetime: 30 * time.Minute})
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err = postgres.Ping(pctx, db)
		cancel()
		if err == nil {
			return db, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			db.Close()
			return nil, fmt.Errorf("PostgreSQL at DATABASE_URL is not reachable: %w", err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func migrateUp(ctx context.Context, cfg config, out io.Writer) error {
	db, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	applied, err := postgres.Migrate(ctx, db, migrations.Migrations)
	for _, name := range applied {
		fmt.Fprintln(out, "applied", name)
	}
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintln(out, "database is up to date")
	}
	return nil
}

func migrateStatus(ctx context.Context, cfg config, out io.Writer) error {
	db, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	states, err := postgres.MigrationStatus(ctx, db, migrations.Migrations)
	if err != nil {
		return err
	}
	for _, s := range states {
		status := "pending"
		switch {
		case !s.Known:
			status = "applied, unknown to this binary"
		case s.Applied:
			status = "applied"
		}
		fmt.Fprintf(out, "%-40s %s\n", s.Name+"_"+s.Comment, status)
	}
	return postgres.CheckSchema(ctx, db, migrations.Migrations)
}

// services are the use cases wired over one database.
type services struct {
	accounts      *appaccount.Service
	organisations *apporg.Service
	audit         *appaudit.Service
	procedures    *appproc.Service
	statements    *appstmt.Service
	surveys       *surveyService
	defects       *appdefect.Service
	dialogs       *appdialog.Service
	files         storage.Store
	intake        *postgres.Intake
}

// maxDocuments bounds the files of one procedure, old versions included: a
// large plan has a few dozen.
const maxDocuments = 500

// uploadOverhead is room for a multipart upload's headers and form fields
// beside the file itself.
const uploadOverhead = 64 << 10

// systemClock is the clock of the use cases. PostgreSQL keeps microseconds;
// truncating here makes a response right after a write show the same instant as
// every later read.
func systemClock() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// newServices wires the use cases over db and the file store of cfg.
func newServices(cfg config, db *bun.DB, log *slog.Logger, now func() time.Time) (services, error) {
	files, err := storage.Parse(cfg.FileStore)
	if err != nil {
		return services{}, fmt.Errorf("PORTAL_FILE_STORE: %w", err)
	}
	orgRunner := postgres.NewRunner(db, func(idb bun.IDB) apporg.Repos {
		return apporg.Repos{Organisations: postgres.NewOrganisations(idb), Audit: postgres.NewAudit(idb)}
	})
	accRunner := postgres.NewRunner(db, func(idb bun.IDB) appaccount.Repos {
		return appaccount.Repos{Accounts: postgres.NewAccounts(idb), Organisations: postgres.NewOrganisations(idb), Audit: postgres.NewAudit(idb)}
	})
	procRunner := postgres.NewRunner(db, func(idb bun.IDB) appproc.Repos {
		return appproc.Repos{Procedures: postgres.NewProcedures(idb), Documents: postgres.NewDocuments(idb),
			Organisations: postgres.NewOrganisations(idb), Audit: postgres.NewAudit(idb)}
	})
	// Submissions that arrive together are written in one transaction.
	intake := postgres.NewIntake(db)
	stmtRunner := postgres.NewRunner(db, func(idb bun.IDB) appstmt.Repos {
		return appstmt.Repos{Statements: postgres.NewStatements(idb).Through(intake), Procedures: postgres.NewProcedures(idb),
			Documents: postgres.NewDocuments(idb), Audit: postgres.NewAudit(idb), Mail: postgres.NewOutbox(idb),
			Organisations: postgres.NewOrganisations(idb)}
	})
	accounts, err := appaccount.NewService(accRunner, password.New(cmp.Or(cfg.PasswordCost, password.Default)), now)
	if err != nil {
		return services{}, err
	}
	limits := procedure.DocumentLimits{MaxFileSize: int64(cfg.DocumentMaxSize), MaxTotal: int64(cfg.DocumentsMax), MaxCount: maxDocuments}
	return services{
		files:         files,
		intake:        intake,
		accounts:      accounts,
		organisations: apporg.NewService(orgRunner, now),
		audit:         appaudit.NewService(postgres.NewAudit(db)),
		procedures:    appproc.NewService(procRunner, files, limits, log, now),
		statements: appstmt.NewService(stmtRunner, files, appstmt.Config{
			Secret: cfg.Secret, PrivacyVersion: cfg.PrivacyVersion,
			Attachments: statement.AttachmentLimits{MaxCount: cfg.StatementAttachments, MaxSize: int64(cfg.StatementAttachmentSize)},
			IsKeyRace:   func(err error) bool { return errors.Is(err, postgres.ErrIdempotencyRace) },
		}, log, now),
		surveys: newSurveyService(cfg, db, log, now),
		defects: newDefectService(cfg, db, files, log, now),
		dialogs: newDialogService(cfg, db, files, log, now),
	}, nil
}

func serve(ctx context.Context, cfg config) error {
	log := newLogger(cfg.LogLevel)
	slog.SetDefault(log)
	redis.LogTo(log)
	tuneGC(os.Getenv, log)
	db, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := postgres.CheckSchema(ctx, db, migrations.Migrations); err != nil {
		return err
	}
	rdb, err := redis.Open(cfg.RedisURL)
	if err != nil {
		return fmt.Errorf("REDIS_URL: %w", err)
	}
	defer rdb.Close()
	if err := redis.Ping(ctx, rdb); err != nil {
		// Not fatal: sessions and limits degrade as designed until Redis is back.
		log.Warn("redis not reachable at start", slog.Any("error", err))
	}
	var draining atomic.Bool
	app, err := newApp(cfg, log, db, rdb, systemClock, draining.Load)
	if err != nil {
		return err
	}
	mailer, err := newMailWorker(cfg, db, log, time.Second)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("PORTAL_ADDR %s: cannot listen (is another portal already running?): %w", cfg.Addr, err)
	}
	// Deferred after db.Close, so it runs before: the worker stops (finishing
	// the mail in flight) before the database closes.
	stopMail := startMailWorker(ctx, mailer)
	defer stopMail()
	stopRetention := startBackground(ctx, newRetention(cfg, db, log, systemClock).Run)
	defer stopRetention()
	stopSearchIndex := startSearchIndexer(ctx, db, log)
	defer stopSearchIndex()
	log.Info("portal serving", slog.String("addr", ln.Addr().String()), slog.Any("config", cfg.logValue()))
	errc := make(chan error, 1)
	go func() { errc <- app.Listener(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	if cfg.DrainDelay > 0 {
		// Still serving: the balancer sees /readyz fail and moves new requests
		// to other instances before this one stops accepting.
		draining.Store(true)
		log.Info("draining: /readyz answers 503 before the server stops accepting", slog.Duration("delay", cfg.DrainDelay))
		select {
		case <-time.After(cfg.DrainDelay):
		case err := <-errc:
			return err
		}
	}
	log.Info("shutting down: finishing in-flight requests", slog.Duration("timeout", cfg.ShutdownTimeout))
	if err := app.ShutdownWithTimeout(cfg.ShutdownTimeout); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	stopMail()
	stopRetention()
	stopSearchIndex()
	log.Info("portal stopped")
	return nil
}

// newApp wires the use cases and adapters into the HTTP app: the composition root.
// draining (may be nil) reports that the instance is about to stop.
func newApp(cfg config, log *slog.Logger, db *bun.DB, rdb *goredis.Client, now func() time.Time, draining func() bool) (*fiber.App, error) {
	svc, err := newServices(cfg, db, log, now)
	if err != nil {
		return nil, err
	}
	checks := []handler.Check{
		{Name: "postgres", Ping: func(ctx context.Context) error { return postgres.Ping(ctx, db) }},
		{Name: "redis", Ping: func(ctx context.Context) error { return redis.Ping(ctx, rdb) }, Degrades: true},
	}
	if s3, ok := svc.files.(*storage.S3); ok {
		checks = append(checks, handler.Check{Name: "files", Ping: s3.Check, Degrades: true})
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewDBStatsCollector(db.DB, "portal"))
	for numbers, count := range map[string]func(postgres.IntakeCounts) int64{
		"expected": func(c postgres.IntakeCounts) int64 { return c.Expected },
		"missed":   func(c postgres.IntakeCounts) int64 { return c.Missed },
		"taken":    func(c postgres.IntakeCounts) int64 { return c.Taken },
	} {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name:        "portal_statement_batches_total",
			Help:        "Batches of statements written, by how they took their receipt numbers.",
			ConstLabels: prometheus.Labels{"numbers": numbers},
		}, func() float64 { return float64(count(svc.intake.Counts())) }))
	}
	breaker := redis.NewBreaker(2 * time.Second)
	return web.New(web.Config{
		BaseURL: cfg.BaseURL, TrustedProxies: cfg.TrustedProxies, BodyLimit: cfg.BodyLimit,
		UploadLimit:         max(cfg.DocumentMaxSize, cfg.StatementAttachments*cfg.StatementAttachmentSize) + uploadOverhead,
		RateLimitStatements: cfg.RateLimitStatements, RateLimitStatementsProc: cfg.RateLimitStatementsProc,
		PrivacyURL:     cfg.PrivacyURL,
		RequestTimeout: cfg.RequestTimeout, WriteTimeout: cfg.WriteTimeout, SessionTTL: cfg.SessionTTL,
		RateLimitAPI: cfg.RateLimitAPI, RateLimitLogin: cfg.RateLimitLogin,
		PublicCache: middleware.SharedCacheConfig{Off: cfg.NoPublicCache},
	}, web.Deps{
		Log: log, Accounts: svc.accounts, Organisations: svc.organisations, Audit: svc.audit, Procedures: svc.procedures,
		Statements:     svc.statements,
		Surveys:        svc.surveys,
		Defects:        defectDeps(cfg, svc),
		Dialogs:        dialogDeps(cfg, svc),
		Limiter:        limiter{redis.NewLimiter(rdb, breaker, cfg.RedisPrefix+"rl:")},
		SessionStorage: redis.NewSessionStore(rdb, breaker, cfg.Secret, cfg.RedisPrefix+"sess:"),
		Checks:         checks,
		Draining:       draining,
		Unavailable:    postgres.IsUnavailable,
		Registry:       reg,
		// Every instance keeps the public catalogue in memory; a change on one
		// reaches the others over Redis.
		CatalogueChanges: redis.NewNotifier(rdb, cfg.RedisPrefix+"catalogue", log),
	})
}

func createAdmin(ctx context.Context, cfg config, args []string, stdin io.Reader, out io.Writer) error {
	fs := flag.NewFlagSet("create-admin", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	email := fs.String("email", "", "e-mail address of the administrator")
	name := fs.String("name", "Administrator", "display name")
	if err := fs.Parse(args); err != nil {
		return usageError{"create-admin: " + err.Error()}
	}
	if *email == "" {
		return usageError{"create-admin: --email is required"}
	}
	var pw string
	if f, ok := stdin.(*os.File); !ok || !isTerminal(f) {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("create-admin: read password: %w", err)
		}
		pw = strings.TrimRight(line, "\r\n")
	}
	db, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := postgres.CheckSchema(ctx, db, migrations.Migrations); err != nil {
		return err
	}
	svc, err := newServices(cfg, db, slog.Default(), systemClock)
	if err != nil {
		return err
	}
	a, generated, err := svc.accounts.CreateInstanceAdmin(ctx, *email, *name, pw)
	if err != nil {
		return fmt.Errorf("create-admin: %s", describe(err))
	}
	fmt.Fprintf(out, "created instance administrator %s (%s)\n", a.Email, a.ID)
	if pw == "" {
		fmt.Fprintf(out, "password (shown once): %s\n", generated)
	}
	return nil
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// limiter is the Redis limiter as the web layer's MultiLimiter.
type limiter struct{ *redis.Limiter }

func (l limiter) AllowEach(ctx context.Context, limits []middleware.Limit) ([]middleware.Verdict, error) {
	asks := make([]redis.Limit, len(limits))
	for i, lim := range limits {
		asks[i] = redis.Limit{Key: lim.Key, Rate: lim.Rate, Burst: lim.Burst, Period: lim.Period}
	}
	verdicts, err := l.Limiter.AllowEach(ctx, asks)
	out := make([]middleware.Verdict, len(verdicts))
	for i, v := range verdicts {
		out[i] = middleware.Verdict{Allowed: v.Allowed, Remaining: v.Remaining, RetryAfter: v.RetryAfter}
	}
	return out, err
}
