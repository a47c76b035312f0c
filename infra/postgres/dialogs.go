package postgres

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"beteiligungsportal/domain/dialog"
	"beteiligungsportal/domain/geo"
)

// Dialogs stores dialog procedures' settings, participants, contributions,
// supports, reports and moderation events.
type Dialogs struct{ db bun.IDB }

// NewDialogs returns the dialog store over db.
func NewDialogs(db bun.IDB) *Dialogs { return &Dialogs{db: db} }

type dialogSettingsRow struct {
	bun.BaseModel `bun:"table:dialog_settings"`

	ProcedureID        uuid.UUID    `bun:"procedure_id,pk,type:uuid"`
	Identity           string       `bun:"identity"`
	Moderation         string       `bun:"moderation"`
	Netiquette         string       `bun:"netiquette"`
	Summary            string       `bun:"summary"`
	SummaryPublishedAt bun.NullTime `bun:"summary_published_at"`
	UpdatedAt          time.Time    `bun:"updated_at"`
}

type dialogTopicRow struct {
	bun.BaseModel `bun:"table:dialog_topics"`

	ID          uuid.UUID `bun:"id,pk,type:uuid"`
	ProcedureID uuid.UUID `bun:"procedure_id,type:uuid"`
	Name        string    `bun:"name"`
	Position    int       `bun:"position"`
	Active      bool      `bun:"active"`
}

// Settings returns the dialog's settings with its active topics, or the
// defaults, in one query.
func (s *Dialogs) Settings(ctx context.Context, procedureID uuid.UUID) (dialog.Settings, error) {
	var row struct {
		dialogSettingsRow
		Topics json.RawMessage `bun:"topics"`
	}
	err := s.db.NewRaw(`
		SELECT s.*, (SELECT coalesce(json_agg(json_build_object('id', t.id, 'name', t.name, 'position', t.position)
				ORDER BY t.position), '[]') FROM dialog_topics t WHERE t.procedure_id = s.procedure_id AND t.active) AS topics
		FROM dialog_settings s WHERE s.procedure_id = ?`, procedureID).Scan(ctx, &row)
	if errors.Is(err, sql.ErrNoRows) {
		return dialog.DefaultSettings(procedureID), nil
	}
	if err != nil {
		return dialog.Settings{}, fmt.Errorf("dialog settings: %w", err)
	}
	var topics []struct {
		ID       uuid.UUID `json:"id"`
		Name     string    `json:"name"`
		Position int       `json:"position"`
	}
	if err := json.Unmarshal(row.Topics, &topics); err != nil {
		return dialog.Settings{}, fmt.Errorf("dialog topics: %w", err)
	}
	out := dialog.Settings{ProcedureID: row.ProcedureID, Identity: dialog.Identity(row.Identity),
		Moderation: dialog.Moderation(row.Moderation), Netiquette: row.Netiquette, Summary: row.Summary,
		SummaryPublishedAt: row.SummaryPublishedAt.Time, UpdatedAt: row.UpdatedAt}
	for _, t := range topics {
		out.Topics = append(out.Topics, dialog.Topic{ID: t.ID, Name: t.Name, Position: t.Position})
	}
	return out, nil
}

// SaveSettings writes the settings; topics no longer listed become inactive
// and stay with the contributions filed under them.
func (s *Dialogs) SaveSettings(ctx context.Context, set dialog.Settings) error {
	row := dialogSettingsRow{ProcedureID: set.ProcedureID, Identity: string(set.Identity), Moderation: string(set.Moderation),
		Netiquette: set.Netiquette, Summary: set.Summary, SummaryPublishedAt: bun.NullTime{Time: utc(set.SummaryPublishedAt)},
		UpdatedAt: utc(set.UpdatedAt)}
	if _, err := s.db.NewInsert().Model(&row).On("CONFLICT (procedure_id) DO UPDATE").
		Set("identity = EXCLUDED.identity, moderation = EXCLUDED.moderation, netiquette = EXCLUDED.netiquette").
		Set("summary = EXCLUDED.summary, summary_published_at = EXCLUDED.summary_published_at, updated_at = EXCLUDED.updated_at").
		Exec(ctx); err != nil {
		return fmt.Errorf("save dialog settings: %w", err)
	}
	ids := make([]uuid.UUID, 0, len(set.Topics))
	for _, t := range set.Topics {
		ids = append(ids, t.ID)
		tr := dialogTopicRow{ID: t.ID, ProcedureID: set.ProcedureID, Name: t.Name, Position: t.Position, Active: true}
		if _, err := s.db.NewInsert().Model(&tr).On("CONFLICT (id) DO UPDATE").
			Set("name = EXCLUDED.name, position = EXCLUDED.position, active = true").Exec(ctx); err != nil {
			return fmt.Errorf("save dialog topic: %w", err)
		}
	}
	q := s.db.NewUpdate().Table("dialog_topics").Set("active = false").Where("procedure_id = ?", set.ProcedureID)
	if len(ids) > 0 {
		q = q.Where("id NOT IN (?)", bun.In(ids))
	}
	if _, err := q.Exec(ctx); err != nil {
		return fmt.Errorf("retire dialog topics: %w", err)
	}
	return nil
}

type dialogParticipantRow struct {
	bun.BaseModel `bun:"table:dialog_participants"`

	ID          uuid.UUID    `bun:"id,pk,type:uuid"`
	ProcedureID uuid.UUID    `bun:"procedure_id,type:uuid"`
	AccountID   uuid.UUID    `bun:"account_id,type:uuid,nullzero"`
	Pseudonym   string       `bun:"pseudonym"`
	ConfirmedAt bun.NullTime `bun:"confirmed_at"`
	CreatedAt   time.Time    `bun:"created_at"`
}

func (r dialogParticipantRow) toDomain() dialog.Participant {
	return dialog.Participant{ID: r.ID, ProcedureID: r.ProcedureID, AccountID: r.AccountID, Pseudonym: r.Pseudonym,
		ConfirmedAt: r.ConfirmedAt.Time, CreatedAt: r.CreatedAt}
}

const participantColumns = "id, procedure_id, account_id, pseudonym, confirmed_at, created_at"

// RequestConfirmation stores a pending confirmation for the address. A
// participant who confirmed before keeps its pseudonym.
func (s *Dialogs) RequestConfirmation(ctx context.Context, p dialog.Participant, emailHash, email, confirmHash string, expires time.Time) (dialog.Participant, error) {
	var row dialogParticipantRow
	err := s.db.NewRaw(`
		INSERT INTO dialog_participants (id, procedure_id, email_hash, email, pseudonym, confirm_hash, confirm_expires_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (procedure_id, email_hash) DO UPDATE SET
			email = EXCLUDED.email, confirm_hash = EXCLUDED.confirm_hash, confirm_expires_at = EXCLUDED.confirm_expires_at,
			pseudonym = CASE WHEN dialog_participants.confirmed_at IS NULL THEN EXCLUDED.pseudonym ELSE dialog_participants.pseudonym END
		RETURNING `+participantColumns,
		p.ID, p.ProcedureID, emailHash, email, p.Pseudonym, confirmHash, utc(expires), utc(p.CreatedAt)).Scan(ctx, &row)
	if err != nil {
		return dialog.Participant{}, fmt.Errorf("request dialog confirmation: %w", err)
	}
	return row.toDomain(), nil
}

// Confirm confirms the participant of a pending, unexpired code, forgets
// its address and sets its key.
func (s *Dialogs) Confirm(ctx context.Context, confirmHash string, tokenOf func(uuid.UUID) string, now time.Time) (dialog.Participant, error) {
	var row dialogParticipantRow
	err := s.db.NewRaw(`
		UPDATE dialog_participants SET confirmed_at = coalesce(confirmed_at, ?), email = NULL, confirm_hash = NULL,
			confirm_expires_at = NULL
		WHERE confirm_hash = ? AND confirm_expires_at > ?
		RETURNING `+participantColumns, utc(now), confirmHash, utc(now)).Scan(ctx, &row)
	if err != nil {
		return dialog.Participant{}, mapErr(err, dialog.ErrTokenInvalid, nil)
	}
	if _, err := s.db.NewRaw(`UPDATE dialog_participants SET token_hash = ? WHERE id = ?`, tokenOf(row.ID), row.ID).Exec(ctx); err != nil {
		return dialog.Participant{}, fmt.Errorf("store participant key: %w", err)
	}
	return row.toDomain(), nil
}

// ParticipantByToken finds a confirmed participant of the dialog by its key.
func (s *Dialogs) ParticipantByToken(ctx context.Context, procedureID uuid.UUID, tokenHash string) (dialog.Participant, error) {
	var row dialogParticipantRow
	err := s.db.NewSelect().Model(&row).Where("procedure_id = ? AND token_hash = ? AND confirmed_at IS NOT NULL", procedureID, tokenHash).Scan(ctx)
	return row.toDomain(), mapErr(err, dialog.ErrNotFound, nil)
}

// ParticipantByAccount finds an account's participant of the dialog.
func (s *Dialogs) ParticipantByAccount(ctx context.Context, procedureID, accountID uuid.UUID) (dialog.Participant, error) {
	var row dialogParticipantRow
	err := s.db.NewSelect().Model(&row).Where("procedure_id = ? AND account_id = ?", procedureID, accountID).Scan(ctx)
	return row.toDomain(), mapErr(err, dialog.ErrNotFound, nil)
}

// InsertParticipant adds an account's participant; one inserted meanwhile wins.
func (s *Dialogs) InsertParticipant(ctx context.Context, p dialog.Participant) (dialog.Participant, error) {
	row := dialogParticipantRow{ID: p.ID, ProcedureID: p.ProcedureID, AccountID: p.AccountID, Pseudonym: p.Pseudonym,
		ConfirmedAt: bun.NullTime{Time: utc(p.ConfirmedAt)}, CreatedAt: utc(p.CreatedAt)}
	if _, err := s.db.NewInsert().Model(&row).On("CONFLICT (procedure_id, account_id) DO NOTHING").Exec(ctx); err != nil {
		return dialog.Participant{}, fmt.Errorf("insert dialog participant: %w", err)
	}
	return s.ParticipantByAccount(ctx, p.ProcedureID, p.AccountID)
}

type dialogContributionRow struct {
	bun.BaseModel `bun:"table:dialog_contributions,alias:dc"`

	ID            uuid.UUID       `bun:"id,pk,type:uuid"`
	ProcedureID   uuid.UUID       `bun:"procedure_id,type:uuid"`
	ParentID      uuid.UUID       `bun:"parent_id,type:uuid,nullzero"`
	RootID        uuid.UUID       `bun:"root_id,type:uuid"`
	Depth         int             `bun:"depth"`
	ParticipantID uuid.UUID       `bun:"participant_id,type:uuid,nullzero"`
	AgencyAuthor  uuid.UUID       `bun:"agency_author,type:uuid,nullzero"`
	TopicID       uuid.UUID       `bun:"topic_id,type:uuid,nullzero"`
	Title         string          `bun:"title"`
	Body          string          `bun:"body"`
	Lon           sql.NullFloat64 `bun:"lon"`
	Lat           sql.NullFloat64 `bun:"lat"`
	Attachment    json.RawMessage `bun:"attachment,type:jsonb,nullzero"`
	State         string          `bun:"state"`
	HiddenReason  string          `bun:"hidden_reason"`
	Official      bool            `bun:"official"`
	ClosedAt      bun.NullTime    `bun:"closed_at"`
	ClosedReason  string          `bun:"closed_reason"`
	Supporters    int             `bun:"supporters"`
	Replies       int             `bun:"replies"`
	CreatedAt     time.Time       `bun:"created_at"`
	UpdatedAt     time.Time       `bun:"updated_at"`
	// Read only, joined.
	Pseudonym string `bun:"pseudonym,scanonly"`
	TopicName string `bun:"topic_name,scanonly"`
}

type attachmentJSON struct {
	ID          uuid.UUID `json:"id"`
	FileName    string    `json:"file_name"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`
	StorageKey  string    `json:"storage_key"`
}

func (r dialogContributionRow) toDomain() dialog.Contribution {
	c := dialog.Contribution{ID: r.ID, ProcedureID: r.ProcedureID, ParentID: r.ParentID, RootID: r.RootID, Depth: r.Depth,
		ParticipantID: r.ParticipantID, Pseudonym: r.Pseudonym, AgencyAuthor: r.AgencyAuthor, TopicID: r.TopicID,
		TopicName: r.TopicName, Title: r.Title, Body: r.Body, State: dialog.State(r.State), HiddenReason: r.HiddenReason,
		Official: r.Official, ClosedAt: r.ClosedAt.Time, ClosedReason: r.ClosedReason, Supporters: r.Supporters,
		Replies: r.Replies, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	if r.Lon.Valid && r.Lat.Valid {
		c.Location = &geo.Point{Lon: r.Lon.Float64, Lat: r.Lat.Float64}
	}
	if len(r.Attachment) > 0 {
		var a attachmentJSON
		if json.Unmarshal(r.Attachment, &a) == nil {
			c.Attachment = &dialog.Attachment{ID: a.ID, FileName: a.FileName, ContentType: a.ContentType, Size: a.Size,
				SHA256: a.SHA256, StorageKey: a.StorageKey}
		}
	}
	return c
}

func dialogContributionRowFrom(c dialog.Contribution) dialogContributionRow {
	r := dialogContributionRow{ID: c.ID, ProcedureID: c.ProcedureID, ParentID: c.ParentID, RootID: c.RootID, Depth: c.Depth,
		ParticipantID: c.ParticipantID, AgencyAuthor: c.AgencyAuthor, TopicID: c.TopicID, Title: c.Title, Body: c.Body,
		State: string(c.State), HiddenReason: c.HiddenReason, Official: c.Official, ClosedAt: bun.NullTime{Time: utc(c.ClosedAt)},
		ClosedReason: c.ClosedReason, Supporters: c.Supporters, Replies: c.Replies, CreatedAt: utc(c.CreatedAt), UpdatedAt: utc(c.UpdatedAt)}
	if c.Location != nil {
		r.Lon = sql.NullFloat64{Float64: c.Location.Lon, Valid: true}
		r.Lat = sql.NullFloat64{Float64: c.Location.Lat, Valid: true}
	}
	if a := c.Attachment; a != nil {
		r.Attachment, _ = json.Marshal(attachmentJSON{ID: a.ID, FileName: a.FileName, ContentType: a.ContentType, Size: a.Size,
			SHA256: a.SHA256, StorageKey: a.StorageKey})
	}
	return r
}

// contributionSelect reads contributions with their pseudonym and topic name.
func (s *Dialogs) contributionSelect(rows any) *bun.SelectQuery {
	return s.db.NewSelect().Model(rows).ColumnExpr("dc.*").
		ColumnExpr("coalesce(dp.pseudonym, '') AS pseudonym, coalesce(dt.name, '') AS topic_name").
		Join("LEFT JOIN dialog_participants AS dp ON dp.id = dc.participant_id").
		Join("LEFT JOIN dialog_topics AS dt ON dt.id = dc.topic_id")
}

// Insert stores a contribution; a published reply counts in its thread.
func (s *Dialogs) Insert(ctx context.Context, c dialog.Contribution) error {
	row := dialogContributionRowFrom(c)
	if _, err := s.db.NewInsert().Model(&row).Exec(ctx); err != nil {
		return fmt.Errorf("insert dialog contribution: %w", err)
	}
	if !c.IsRoot() && c.State == dialog.StatePublished {
		return s.AdjustReplies(ctx, c.RootID, 1)
	}
	return nil
}

// Get returns a contribution; lock holds its row until the transaction ends.
func (s *Dialogs) Get(ctx context.Context, id uuid.UUID, lock bool) (dialog.Contribution, error) {
	var row dialogContributionRow
	q := s.contributionSelect(&row).Where("dc.id = ?", id)
	if lock {
		q = q.For("UPDATE OF dc")
	}
	err := q.Scan(ctx)
	return row.toDomain(), mapErr(err, dialog.ErrNotFound, nil)
}

// Save writes the state, moderation and text columns of c.
func (s *Dialogs) Save(ctx context.Context, c dialog.Contribution) error {
	row := dialogContributionRowFrom(c)
	_, err := s.db.NewUpdate().Model(&row).
		Column("title", "body", "lon", "lat", "attachment", "state", "hidden_reason", "official", "closed_at", "closed_reason", "updated_at").
		WherePK().Exec(ctx)
	if err != nil {
		return fmt.Errorf("save dialog contribution: %w", err)
	}
	return nil
}

// Delete removes a contribution that has no replies.
func (s *Dialogs) Delete(ctx context.Context, id uuid.UUID) error {
	_, err := s.db.NewDelete().Table("dialog_contributions").Where("id = ?", id).Exec(ctx)
	return mapErr(err, dialog.ErrNotFound, nil)
}

// HasReplies reports whether anything replies to the contribution.
func (s *Dialogs) HasReplies(ctx context.Context, id uuid.UUID) (bool, error) {
	return s.db.NewSelect().Table("dialog_contributions").Where("parent_id = ?", id).Exists(ctx)
}

// AdjustReplies moves the count of published replies of a thread.
func (s *Dialogs) AdjustReplies(ctx context.Context, rootID uuid.UUID, delta int) error {
	_, err := s.db.NewRaw(`UPDATE dialog_contributions SET replies = greatest(replies + ?, 0) WHERE id = ?`, delta, rootID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("count dialog replies: %w", err)
	}
	return nil
}

// maxThread bounds one thread as read; a thread is three levels deep, so
// this is a very long discussion.
const maxThread = 5000

// Thread returns every contribution of a thread, oldest first.
func (s *Dialogs) Thread(ctx context.Context, rootID uuid.UUID) ([]dialog.Contribution, error) {
	var rows []dialogContributionRow
	if err := s.contributionSelect(&rows).Where("dc.root_id = ?", rootID).
		OrderExpr("dc.depth = 0 DESC, dc.created_at, dc.id").Limit(maxThread).Scan(ctx); err != nil {
		return nil, fmt.Errorf("dialog thread: %w", err)
	}
	out := make([]dialog.Contribution, len(rows))
	for i, r := range rows {
		out[i] = r.toDomain()
	}
	return out, nil
}

// threadCursor is the position after the last thread of a page, bound to
// the dialog and the order.
type threadCursor struct {
	List  string    `json:"l"`
	Sort  string    `json:"s"`
	Count int       `json:"c"`
	Time  time.Time `json:"t"`
	ID    uuid.UUID `json:"i"`
}

func (c threadCursor) encode() string {
	raw, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(raw)
}

func decodeThreadCursor(s, list string, sort dialog.Sort) (threadCursor, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	var c threadCursor
	if err != nil || json.Unmarshal(raw, &c) != nil || c.List != list || c.Sort != string(sort) || c.Time.IsZero() || c.ID == uuid.Nil {
		return threadCursor{}, dialog.ErrBadCursor
	}
	return c, nil
}

// Threads returns a page of published threads. Each order walks its partial
// index from the cursor; counts that change between pages may move a
// thread across the page boundary, as in any live ranking.
func (s *Dialogs) Threads(ctx context.Context, f dialog.Filter) (dialog.Page, error) {
	list := f.ProcedureID.String() + "/" + f.TopicID.String()
	var after *threadCursor
	if f.Cursor != "" {
		c, err := decodeThreadCursor(f.Cursor, list, f.Sort)
		if err != nil {
			return dialog.Page{}, err
		}
		after = &c
	}
	var rows []dialogContributionRow
	q := s.contributionSelect(&rows).Where("dc.procedure_id = ? AND dc.parent_id IS NULL AND dc.state = 'published'", f.ProcedureID)
	if f.TopicID != uuid.Nil {
		q = q.Where("dc.topic_id = ?", f.TopicID)
	}
	var count string
	switch f.Sort {
	case dialog.SortSupported:
		count = "dc.supporters"
	case dialog.SortDiscussed:
		count = "dc.replies"
	}
	if count != "" {
		if after != nil {
			q = q.Where("("+count+", dc.created_at, dc.id) < (?, ?, ?)", after.Count, after.Time, after.ID)
		}
		q = q.OrderExpr(count + " DESC, dc.created_at DESC, dc.id DESC")
	} else {
		if after != nil {
			q = q.Where("(dc.created_at, dc.id) < (?, ?)", after.Time, after.ID)
		}
		q = q.OrderExpr("dc.created_at DESC, dc.id DESC")
	}
	if err := q.Limit(int64(f.Limit + 1)).Scan(ctx); err != nil {
		return dialog.Page{}, fmt.Errorf("dialog threads: %w", err)
	}
	var page dialog.Page
	if len(rows) > f.Limit {
		last := rows[f.Limit-1]
		rows = rows[:f.Limit]
		c := threadCursor{List: list, Sort: string(f.Sort), Time: last.CreatedAt.UTC(), ID: last.ID}
		switch f.Sort {
		case dialog.SortSupported:
			c.Count = last.Supporters
		case dialog.SortDiscussed:
			c.Count = last.Replies
		}
		page.NextCursor = c.encode()
	}
	page.Items = make([]dialog.Contribution, len(rows))
	for i, r := range rows {
		page.Items[i] = r.toDomain()
	}
	return page, nil
}

// Pending returns contributions waiting for a moderator, oldest first.
func (s *Dialogs) Pending(ctx context.Context, procedureID uuid.UUID, limit int) ([]dialog.Contribution, error) {
	var rows []dialogContributionRow
	if err := s.contributionSelect(&rows).Where("dc.procedure_id = ? AND dc.state = 'pending'", procedureID).
		OrderExpr("dc.created_at, dc.id").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("pending dialog contributions: %w", err)
	}
	out := make([]dialog.Contribution, len(rows))
	for i, r := range rows {
		out[i] = r.toDomain()
	}
	return out, nil
}

// EachContribution streams every contribution, thread by thread (threads in
// the order they started), each thread's contributions oldest first.
func (s *Dialogs) EachContribution(ctx context.Context, procedureID uuid.UUID, fn func(dialog.Contribution) error) error {
	rows, err := s.db.QueryContext(ctx, `
		SELECT dc.id, dc.procedure_id, dc.parent_id, dc.root_id, dc.depth, dc.participant_id, dc.agency_author, dc.topic_id,
			dc.title, dc.body, dc.lon, dc.lat, dc.attachment, dc.state, dc.hidden_reason, dc.official, dc.closed_at,
			dc.closed_reason, dc.supporters, dc.replies, dc.created_at, dc.updated_at,
			coalesce(dp.pseudonym, ''), coalesce(dt.name, '')
		FROM dialog_contributions AS dc
		JOIN dialog_contributions AS root ON root.id = dc.root_id
		LEFT JOIN dialog_participants AS dp ON dp.id = dc.participant_id
		LEFT JOIN dialog_topics AS dt ON dt.id = dc.topic_id
		WHERE dc.procedure_id = ?
		ORDER BY root.created_at, dc.root_id, dc.depth = 0 DESC, dc.created_at, dc.id`, procedureID)
	if err != nil {
		return fmt.Errorf("export dialog: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r dialogContributionRow
		var parent, participant, author, topic uuid.NullUUID
		var attachment []byte
		if err := rows.Scan(&r.ID, &r.ProcedureID, &parent, &r.RootID, &r.Depth, &participant, &author, &topic,
			&r.Title, &r.Body, &r.Lon, &r.Lat, &attachment, &r.State, &r.HiddenReason, &r.Official, &r.ClosedAt,
			&r.ClosedReason, &r.Supporters, &r.Replies, &r.CreatedAt, &r.UpdatedAt, &r.Pseudonym, &r.TopicName); err != nil {
			return fmt.Errorf("export dialog: %w", err)
		}
		r.ParentID, r.ParticipantID, r.AgencyAuthor, r.TopicID = parent.UUID, participant.UUID, author.UUID, topic.UUID
		r.Attachment = attachment
		if err := fn(r.toDomain()); err != nil {
			return err
		}
	}
	return rows.Err()
}

// AddSupport records a support once. The count moves in the same
// statement's row lock, so concurrent supports all count, each once.
func (s *Dialogs) AddSupport(ctx context.Context, contributionID, participantID uuid.UUID, at time.Time) (bool, int, error) {
	var res struct {
		Added      bool `bun:"added"`
		Supporters int  `bun:"supporters"`
	}
	err := s.db.NewRaw(`
		WITH ins AS (
			INSERT INTO dialog_supports (contribution_id, participant_id, created_at) VALUES (?, ?, ?)
			ON CONFLICT DO NOTHING RETURNING contribution_id
		), upd AS (
			UPDATE dialog_contributions SET supporters = supporters + 1 WHERE id IN (SELECT contribution_id FROM ins)
			RETURNING supporters
		)
		SELECT EXISTS (SELECT 1 FROM upd) AS added,
			coalesce((SELECT supporters FROM upd), (SELECT supporters FROM dialog_contributions WHERE id = ?)) AS supporters`,
		contributionID, participantID, utc(at), contributionID).Scan(ctx, &res)
	if err != nil {
		return false, 0, fmt.Errorf("add dialog support: %w", err)
	}
	return res.Added, res.Supporters, nil
}

// RemoveSupport withdraws a support.
func (s *Dialogs) RemoveSupport(ctx context.Context, contributionID, participantID uuid.UUID) (bool, int, error) {
	var res struct {
		Removed    bool `bun:"removed"`
		Supporters int  `bun:"supporters"`
	}
	err := s.db.NewRaw(`
		WITH del AS (
			DELETE FROM dialog_supports WHERE contribution_id = ? AND participant_id = ? RETURNING contribution_id
		), upd AS (
			UPDATE dialog_contributions SET supporters = greatest(supporters - 1, 0) WHERE id IN (SELECT contribution_id FROM del)
			RETURNING supporters
		)
		SELECT EXISTS (SELECT 1 FROM upd) AS removed,
			coalesce((SELECT supporters FROM upd), (SELECT supporters FROM dialog_contributions WHERE id = ?)) AS supporters`,
		contributionID, participantID, contributionID).Scan(ctx, &res)
	if err != nil {
		return false, 0, fmt.Errorf("remove dialog support: %w", err)
	}
	return res.Removed, res.Supporters, nil
}

// Supported tells which of the contributions the participant supports.
func (s *Dialogs) Supported(ctx context.Context, participantID uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]bool, error) {
	var got []uuid.UUID
	if err := s.db.NewRaw(`SELECT contribution_id FROM dialog_supports WHERE participant_id = ? AND contribution_id IN (?)`,
		participantID, bun.In(ids)).Scan(ctx, &got); err != nil {
		return nil, fmt.Errorf("dialog supports: %w", err)
	}
	out := make(map[uuid.UUID]bool, len(got))
	for _, id := range got {
		out[id] = true
	}
	return out, nil
}

// AddEvent records a moderation act.
func (s *Dialogs) AddEvent(ctx context.Context, e dialog.Event) error {
	_, err := s.db.NewRaw(`INSERT INTO dialog_moderation_events (id, contribution_id, action, reason, actor_id, at) VALUES (?, ?, ?, ?, ?, ?)`,
		e.ID, e.ContributionID, string(e.Action), e.Reason, nullUUID(e.ActorID), utc(e.At)).Exec(ctx)
	if err != nil {
		return fmt.Errorf("dialog moderation event: %w", err)
	}
	return nil
}

type dialogReportRow struct {
	bun.BaseModel `bun:"table:dialog_reports"`

	ID             uuid.UUID    `bun:"id,pk,type:uuid"`
	ContributionID uuid.UUID    `bun:"contribution_id,type:uuid"`
	ProcedureID    uuid.UUID    `bun:"procedure_id,type:uuid"`
	Reason         string       `bun:"reason"`
	Note           string       `bun:"note"`
	Fingerprint    string       `bun:"fingerprint"`
	CreatedAt      time.Time    `bun:"created_at"`
	ResolvedAt     bun.NullTime `bun:"resolved_at"`
	ResolvedBy     uuid.UUID    `bun:"resolved_by,type:uuid,nullzero"`
	Resolution     string       `bun:"resolution"`
}

func (r dialogReportRow) toDomain() dialog.Report {
	return dialog.Report{ID: r.ID, ContributionID: r.ContributionID, ProcedureID: r.ProcedureID, Reason: dialog.ReportReason(r.Reason),
		Note: r.Note, CreatedAt: r.CreatedAt, ResolvedAt: r.ResolvedAt.Time, ResolvedBy: r.ResolvedBy, Resolution: r.Resolution}
}

// InsertReport queues a report; the same fingerprint's repeat is dropped.
func (s *Dialogs) InsertReport(ctx context.Context, r dialog.Report, fingerprint string) (bool, error) {
	row := dialogReportRow{ID: r.ID, ContributionID: r.ContributionID, ProcedureID: r.ProcedureID, Reason: string(r.Reason),
		Note: r.Note, Fingerprint: fingerprint, CreatedAt: utc(r.CreatedAt)}
	res, err := s.db.NewInsert().Model(&row).On("CONFLICT (contribution_id, fingerprint) DO NOTHING").Exec(ctx)
	n, aerr := affected(res, err, "insert dialog report")
	return n == 1, aerr
}

// Reports lists a dialog's reports, oldest first; open only with open.
func (s *Dialogs) Reports(ctx context.Context, procedureID uuid.UUID, open bool, limit int) ([]dialog.Report, error) {
	var rows []dialogReportRow
	q := s.db.NewSelect().Model(&rows).Where("procedure_id = ?", procedureID)
	if open {
		q = q.Where("resolved_at IS NULL")
	}
	if err := q.Order("created_at", "id").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("dialog reports: %w", err)
	}
	out := make([]dialog.Report, len(rows))
	for i, r := range rows {
		out[i] = r.toDomain()
	}
	return out, nil
}

// GetReport returns one report.
func (s *Dialogs) GetReport(ctx context.Context, id uuid.UUID) (dialog.Report, error) {
	var row dialogReportRow
	err := s.db.NewSelect().Model(&row).Where("id = ?", id).Scan(ctx)
	return row.toDomain(), mapErr(err, dialog.ErrNotFound, nil)
}

// ResolveReport records a resolution unless one was recorded before.
func (s *Dialogs) ResolveReport(ctx context.Context, r dialog.Report) error {
	res, err := s.db.NewRaw(`UPDATE dialog_reports SET resolved_at = ?, resolved_by = ?, resolution = ? WHERE id = ? AND resolved_at IS NULL`,
		utc(r.ResolvedAt), nullUUID(r.ResolvedBy), r.Resolution, r.ID).Exec(ctx)
	n, err := affected(res, err, "resolve dialog report")
	if err == nil && n == 0 {
		return dialog.ErrReportResolved
	}
	return err
}

// ResolveReports resolves every open report of a contribution.
func (s *Dialogs) ResolveReports(ctx context.Context, contributionID, by uuid.UUID, resolution string, at time.Time) error {
	_, err := s.db.NewRaw(`UPDATE dialog_reports SET resolved_at = ?, resolved_by = ?, resolution = ? WHERE contribution_id = ? AND resolved_at IS NULL`,
		utc(at), nullUUID(by), resolution, contributionID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("resolve dialog reports: %w", err)
	}
	return nil
}

// DeleteExpiredConfirmations deletes up to limit participants whose e-mail
// address was never confirmed and whose code expired before the instant;
// they wrote nothing, as only confirmed participants write.
func (s *Dialogs) DeleteExpiredConfirmations(ctx context.Context, before time.Time, limit int) (int, error) {
	res, err := s.db.NewRaw(`
		DELETE FROM dialog_participants WHERE confirmed_at IS NULL AND confirm_expires_at < ? AND id IN (
			SELECT id FROM dialog_participants WHERE confirmed_at IS NULL AND confirm_expires_at < ? LIMIT ?)`,
		utc(before), utc(before), limit).Exec(ctx)
	return affected(res, err, "delete expired dialog confirmations")
}
