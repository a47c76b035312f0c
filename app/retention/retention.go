// Package retention deletes personal data the portal no longer needs: survey
// drafts nobody will submit, sent or failed mail with its addresses and
// texts, and dialog participants' e-mail addresses that were never confirmed. Every serving instance runs it in the background; its deletes are
// plain and idempotent, so instances running it at once only share the work.
package retention

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"

	"beteiligungsportal/app/audit"
	"beteiligungsportal/domain/account"
	"beteiligungsportal/domain/procedure"
)

// Drafts is the survey drafts' side of the store. Deletes remove at most
// limit rows each and return how many they removed.
type Drafts interface {
	// SurveysWithDrafts returns the IDs of the surveys that have drafts.
	SurveysWithDrafts(ctx context.Context) ([]uuid.UUID, error)
	// DeleteDrafts deletes drafts of one survey.
	DeleteDrafts(ctx context.Context, surveyID uuid.UUID, limit int) (int, error)
	// DeleteIdleDrafts deletes drafts of any survey last saved before savedBefore.
	DeleteIdleDrafts(ctx context.Context, savedBefore time.Time, limit int) (int, error)
}

// Procedures reads procedures.
type Procedures interface {
	Get(ctx context.Context, id uuid.UUID) (procedure.Procedure, error)
}

// Mail is the outbox's side of the store.
type Mail interface {
	// DeleteFinished deletes mails sent or given up on before the instant,
	// never queued ones.
	DeleteFinished(ctx context.Context, before time.Time, limit int) (int, error)
}

// Dialogs is the dialog participants' side of the store.
type Dialogs interface {
	// DeleteExpiredConfirmations deletes participants whose e-mail address
	// was never confirmed and whose code expired before the instant.
	DeleteExpiredConfirmations(ctx context.Context, before time.Time, limit int) (int, error)
}

// Lock lets one instance at a time run the job.
type Lock interface {
	// TryLock takes the lock without waiting; ok is false while another
	// instance holds it. release gives it back; a crashed holder loses it.
	TryLock(ctx context.Context) (release func(), ok bool, err error)
}

// Repos are the stores the job works with, each on the pool: a batch is its
// own short transaction.
type Repos struct {
	Drafts     Drafts
	Procedures Procedures
	Mail       Mail
	Dialogs    Dialogs
	Audit      audit.Writer
	// Lock, when set, keeps instances from running the job at the same
	// time: each would do part of the work and audit its own summary.
	Lock Lock
}

// Config is the retention policy and the job's pace; zero fields take the
// defaults.
type Config struct {
	// DraftIdle: drafts not saved for this long are deleted (default 90 days).
	DraftIdle time.Duration
	// DraftGrace: drafts of a survey are deleted this long after its
	// participation ended for good (default 7 days), a margin for an agency
	// that adds another phase.
	DraftGrace time.Duration
	// Mail: sent and failed mails are deleted this long after they were sent
	// or given up on (default 30 days).
	Mail time.Duration
	// Interval between runs (default 1 h).
	Interval time.Duration
	// Batch is the most rows one statement deletes (default 1000).
	Batch int
}

// Defaults of Config.
const (
	DefaultDraftIdle  = 90 * 24 * time.Hour
	DefaultDraftGrace = 7 * 24 * time.Hour
	DefaultMail       = 30 * 24 * time.Hour
)

func (c Config) withDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.DraftIdle, DefaultDraftIdle)
	def(&c.DraftGrace, DefaultDraftGrace)
	def(&c.Mail, DefaultMail)
	def(&c.Interval, time.Hour)
	if c.Batch <= 0 {
		c.Batch = 1000
	}
	return c
}

// DraftsExpired reports whether the drafts of the survey pr may go at now:
// its participation ended for good at least the grace period ago. Until then
// a participant may still come back, or the agency add a phase.
func (c Config) DraftsExpired(pr *procedure.Procedure, now time.Time) bool {
	end := pr.ParticipationEnd(now)
	return !end.IsZero() && !now.Before(end.Add(c.withDefaults().DraftGrace))
}

// Report is what one run deleted.
type Report struct {
	// Skipped: another instance was running the job, this one did nothing.
	Skipped           bool
	EndedSurveyDrafts int // drafts of surveys that ended
	IdleDrafts        int // drafts not saved for DraftIdle
	Mails             int // sent and failed mails
	// DialogConfirmations: e-mail addresses of dialog participants that
	// were never confirmed (a confirmed address is forgotten at once).
	DialogConfirmations int
}

// Total is the number of rows deleted.
func (r Report) Total() int {
	return r.EndedSurveyDrafts + r.IdleDrafts + r.Mails + r.DialogConfirmations
}

// Service runs the retention job.
type Service struct {
	repos Repos
	cfg   Config
	log   *slog.Logger
	now   func() time.Time
}

// NewService returns the job over repos.
func NewService(repos Repos, cfg Config, log *slog.Logger, now func() time.Time) *Service {
	return &Service{repos: repos, cfg: cfg.withDefaults(), log: log, now: now}
}

// firstRun is the pause before the first run after start: the service comes
// up first, and instances started together spread their runs (jitter).
const firstRun = time.Minute

// Run deletes expired data shortly after start and then about every Interval
// until ctx ends.
func (s *Service) Run(ctx context.Context) {
	wait := firstRun + jitter(firstRun)
	for {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		if _, err := s.RunOnce(ctx); err != nil && ctx.Err() == nil {
			// Nothing is lost: the next run deletes what this one left.
			s.log.Error("retention run failed", slog.Any("error", err))
		}
		wait = s.cfg.Interval - s.cfg.Interval/10 + jitter(s.cfg.Interval/5)
	}
}

func jitter(d time.Duration) time.Duration { return time.Duration(rand.Int64N(int64(d) + 1)) }

// RunOnce deletes what is expired now and reports how much. A failing rule
// does not stop the others; their errors are returned together. When it
// deleted anything it writes one summary entry to the audit trail, without
// an actor (the system acts) and at instance level.
func (s *Service) RunOnce(ctx context.Context) (Report, error) {
	if s.repos.Lock != nil {
		release, ok, err := s.repos.Lock.TryLock(ctx)
		if err != nil {
			return Report{}, fmt.Errorf("retention lock: %w", err)
		}
		if !ok {
			s.log.Debug("retention: another instance is running the job")
			return Report{Skipped: true}, nil
		}
		defer release()
	}
	now := s.now()
	var rep Report
	var errs []error
	n, err := s.endedSurveyDrafts(ctx, now)
	rep.EndedSurveyDrafts, errs = n, append(errs, err)
	n, err = s.drain(ctx, func(ctx context.Context, limit int) (int, error) {
		return s.repos.Drafts.DeleteIdleDrafts(ctx, now.Add(-s.cfg.DraftIdle), limit)
	})
	rep.IdleDrafts, errs = n, append(errs, err)
	n, err = s.drain(ctx, func(ctx context.Context, limit int) (int, error) {
		return s.repos.Mail.DeleteFinished(ctx, now.Add(-s.cfg.Mail), limit)
	})
	rep.Mails, errs = n, append(errs, err)
	if s.repos.Dialogs != nil {
		n, err = s.drain(ctx, func(ctx context.Context, limit int) (int, error) {
			return s.repos.Dialogs.DeleteExpiredConfirmations(ctx, now, limit)
		})
		rep.DialogConfirmations, errs = n, append(errs, err)
	}

	attrs := []any{slog.Int("survey_drafts_ended", rep.EndedSurveyDrafts), slog.Int("survey_drafts_idle", rep.IdleDrafts),
		slog.Int("mails", rep.Mails), slog.Int("dialog_confirmations", rep.DialogConfirmations)}
	if rep.Total() == 0 {
		s.log.Debug("retention: nothing to delete")
		return rep, errors.Join(errs...)
	}
	s.log.Info("retention: deleted expired personal data", attrs...)
	err = audit.Record(ctx, s.repos.Audit, account.Principal{}, uuid.Nil, "retention.delete", "", "", map[string]any{
		"survey_drafts_ended": rep.EndedSurveyDrafts, "survey_drafts_idle": rep.IdleDrafts, "mails": rep.Mails,
		"dialog_confirmations": rep.DialogConfirmations,
	})
	return rep, errors.Join(append(errs, err)...)
}

// endedSurveyDrafts deletes the drafts of surveys whose participation ended
// more than the grace period ago. The rule is the domain's, in Go; the
// surveys with drafts are few, as drafts go with their survey.
func (s *Service) endedSurveyDrafts(ctx context.Context, now time.Time) (int, error) {
	ids, err := s.repos.Drafts.SurveysWithDrafts(ctx)
	if err != nil {
		return 0, err
	}
	total := 0
	var errs []error
	for _, id := range ids {
		pr, err := s.repos.Procedures.Get(ctx, id)
		if errors.Is(err, procedure.ErrNotFound) {
			continue // deleted meanwhile, and its drafts with it
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("survey %s: %w", id, err))
			continue
		}
		if !s.cfg.DraftsExpired(&pr, now) {
			continue
		}
		n, err := s.drain(ctx, func(ctx context.Context, limit int) (int, error) {
			return s.repos.Drafts.DeleteDrafts(ctx, id, limit)
		})
		total += n
		if err != nil {
			errs = append(errs, err)
		}
		if ctx.Err() != nil {
			break
		}
	}
	return total, errors.Join(errs...)
}

// drain repeats a bounded delete until a batch comes back short.
func (s *Service) drain(ctx context.Context, del func(ctx context.Context, limit int) (int, error)) (int, error) {
	total := 0
	for {
		n, err := del(ctx, s.cfg.Batch)
		total += n
		if err != nil || n < s.cfg.Batch {
			return total, err
		}
		if err := ctx.Err(); err != nil {
			return total, err
		}
	}
}
