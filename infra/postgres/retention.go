package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// The retention job's deletes. Each removes at most limit rows in one short
// statement, so no batch holds its locks for long, and each repeats its
// condition on the row it deletes: a row that changed meanwhile (a draft
// saved or submitted, a mail re-queued) is re-checked by PostgreSQL and kept.
// Several instances may run them at once; a row goes only once.

// SurveysWithDrafts returns the IDs of the surveys that have drafts.
func (s *Surveys) SurveysWithDrafts(ctx context.Context) ([]uuid.UUID, error) {
	var ids []uuid.UUID
	err := s.db.NewRaw(`SELECT DISTINCT survey_id FROM survey_responses WHERE status = 'draft'`).Scan(ctx, &ids)
	if err != nil {
		return nil, fmt.Errorf("surveys with drafts: %w", err)
	}
	return ids, nil
}

// DeleteDrafts deletes up to limit drafts of the survey and returns how many.
func (s *Surveys) DeleteDrafts(ctx context.Context, surveyID uuid.UUID, limit int) (int, error) {
	res, err := s.db.NewRaw(`
		DELETE FROM survey_responses WHERE status = 'draft' AND survey_id = ? AND id IN (
			SELECT id FROM survey_responses WHERE status = 'draft' AND survey_id = ? LIMIT ?)`,
		surveyID, surveyID, limit).Exec(ctx)
	return affected(res, err, "delete drafts")
}

// DeleteIdleDrafts deletes up to limit drafts of any survey last saved before
// the given instant and returns how many.
func (s *Surveys) DeleteIdleDrafts(ctx context.Context, savedBefore time.Time, limit int) (int, error) {
	res, err := s.db.NewRaw(`
		DELETE FROM survey_responses WHERE status = 'draft' AND updated_at < ? AND id IN (
			SELECT id FROM survey_responses WHERE status = 'draft' AND updated_at < ? LIMIT ?)`,
		savedBefore.UTC(), savedBefore.UTC(), limit).Exec(ctx)
	return affected(res, err, "delete idle drafts")
}

// DeleteFinished deletes up to limit mails sent, or given up on, before the
// given instant and returns how many. Queued mail is never touched.
func (o *Outbox) DeleteFinished(ctx context.Context, before time.Time, limit int) (int, error) {
	res, err := o.db.NewRaw(`
		DELETE FROM mail_outbox WHERE status IN ('sent', 'failed') AND coalesce(sent_at, failed_at) < ? AND id IN (
			SELECT id FROM mail_outbox WHERE status IN ('sent', 'failed') AND coalesce(sent_at, failed_at) < ? LIMIT ?)`,
		before.UTC(), before.UTC(), limit).Exec(ctx)
	return affected(res, err, "delete finished mail")
}

func affected(res sql.Result, err error, what string) (int, error) {
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	return int(n), nil
}
