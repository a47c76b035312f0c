package postgres

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/uptrace/bun"

	"beteiligungsportal/domain/defect"
	"beteiligungsportal/domain/geo"
)

type defectCategoryRow struct {
	bun.BaseModel `bun:"table:defect_categories,alias:dc"`

	ID          uuid.UUID `bun:"id,pk,type:uuid"`
	ProcedureID uuid.UUID `bun:"procedure_id,type:uuid"`
	Code        string    `bun:"code"`
	Name        string    `bun:"name"`
	Description string    `bun:"description"`
	GroupName   string    `bun:"group_name"`
	Unit        string    `bun:"unit"`
	Keywords    string    `bun:"keywords"`
	Active      bool      `bun:"active"`
	Position    int       `bun:"position"`
	CreatedAt   time.Time `bun:"created_at"`
}

func (r defectCategoryRow) toDomain() defect.Category {
	return defect.Category{ID: r.ID, ProcedureID: r.ProcedureID, Code: r.Code, Name: r.Name, Description: r.Description,
		Group: r.GroupName, Unit: r.Unit, Keywords: r.Keywords, Active: r.Active, Position: r.Position, CreatedAt: r.CreatedAt}
}

func defectCategoryRowFrom(c defect.Category) defectCategoryRow {
	return defectCategoryRow{ID: c.ID, ProcedureID: c.ProcedureID, Code: c.Code, Name: c.Name, Description: c.Description,
		GroupName: c.Group, Unit: c.Unit, Keywords: c.Keywords, Active: c.Active, Position: c.Position, CreatedAt: utc(c.CreatedAt)}
}

type defectReportRow struct {
	bun.BaseModel `bun:"table:defect_reports,alias:dr"`

	ID             uuid.UUID `bun:"id,pk,type:uuid"`
	Number         int64     `bun:"number"`
	PublicID       string    `bun:"public_id"`
	ProcedureID    uuid.UUID `bun:"procedure_id,type:uuid"`
	OrganisationID uuid.UUID `bun:"organisation_id,type:uuid"`
	CategoryID     uuid.UUID `bun:"category_id,type:uuid"`
	Description    string    `bun:"description"`
	Lon            float64   `bun:"lon"`
	Lat            float64   `bun:"lat"`
	Address        string    `bun:"address"`
	Email          string    `bun:"email"`
	MediaURL       string    `bun:"media_url"`
	Status         string    `bun:"status"`
	StatusNotes    string    `bun:"status_notes"`
	DuplicateOf    uuid.UUID `bun:"duplicate_of,type:uuid,nullzero"`
	ForwardedTo    uuid.UUID `bun:"forwarded_to,type:uuid,nullzero"`
	TextHidden     string    `bun:"text_hidden"`
	Supporters     int       `bun:"supporters"`
	Source         string    `bun:"source"`
	ClientID       uuid.UUID `bun:"client_id,type:uuid,nullzero"`
	TokenHash      string    `bun:"token_hash"`
	IdempotencyKey string    `bun:"idempotency_key,nullzero"`
	RequestDigest  string    `bun:"request_digest,nullzero"`
	CreatedAt      time.Time `bun:"created_at"`
	UpdatedAt      time.Time `bun:"updated_at"`
	Version        int       `bun:"version"`
}

func (r defectReportRow) toDomain() defect.Report {
	return defect.Report{ID: r.ID, Number: r.Number, PublicID: r.PublicID, ProcedureID: r.ProcedureID, OrganisationID: r.OrganisationID,
		CategoryID: r.CategoryID, Description: r.Description, Location: geo.Point{Lon: r.Lon, Lat: r.Lat}, Address: r.Address,
		Email: r.Email, MediaURL: r.MediaURL, Status: defect.Status(r.Status), StatusNotes: r.StatusNotes, DuplicateOf: r.DuplicateOf,
		ForwardedTo: r.ForwardedTo, TextHidden: r.TextHidden, Supporters: r.Supporters, Source: defect.Source(r.Source),
		ClientID: r.ClientID, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, Version: r.Version}
}

type defectPhotoRow struct {
	bun.BaseModel `bun:"table:defect_photos,alias:dp"`

	ID           uuid.UUID `bun:"id,pk,type:uuid"`
	ReportID     uuid.UUID `bun:"report_id,type:uuid"`
	Position     int       `bun:"position"`
	ContentType  string    `bun:"content_type"`
	Width        int       `bun:"width"`
	Height       int       `bun:"height"`
	Size         int64     `bun:"size"`
	SHA256       string    `bun:"sha256"`
	StorageKey   string    `bun:"storage_key"`
	PreviewKey   string    `bun:"preview_key"`
	PreviewType  string    `bun:"preview_type"`
	HiddenReason string    `bun:"hidden_reason"`
}

type defectEventRow struct {
	bun.BaseModel `bun:"table:defect_events,alias:de"`

	ID            uuid.UUID `bun:"id,pk,type:uuid"`
	ReportID      uuid.UUID `bun:"report_id,type:uuid"`
	At            time.Time `bun:"at"`
	ActorID       uuid.UUID `bun:"actor_id,type:uuid,nullzero"`
	FromStatus    string    `bun:"from_status"`
	ToStatus      string    `bun:"to_status"`
	PublicComment string    `bun:"public_comment"`
	InternalNote  string    `bun:"internal_note"`
	DuplicateOf   uuid.UUID `bun:"duplicate_of,type:uuid,nullzero"`
	ForwardedTo   uuid.UUID `bun:"forwarded_to,type:uuid,nullzero"`
}

type open311ClientRow struct {
	bun.BaseModel `bun:"table:open311_clients,alias:oc"`

	ID        uuid.UUID `bun:"id,pk,type:uuid"`
	Name      string    `bun:"name"`
	KeyHash   string    `bun:"key_hash"`
	CreatedAt time.Time `bun:"created_at"`
	RevokedAt time.Time `bun:"revoked_at,nullzero"`
}

// Defects stores defect categories, reports and Open311 clients.
type Defects struct{ db bun.IDB }

// NewDefects returns the defect store over db.
func NewDefects(db bun.IDB) *Defects { return &Defects{db: db} }

// ErrDefectKeyRace is returned by Insert when another report with the same
// idempotency key committed first.
var ErrDefectKeyRace = errors.New("a defect report with this idempotency key was stored concurrently")

// Categories lists a procedure's categories in their order.
func (s *Defects) Categories(ctx context.Context, procedureID uuid.UUID) ([]defect.Category, error) {
	var rows []defectCategoryRow
	if err := s.db.NewSelect().Model(&rows).Where("dc.procedure_id = ?", procedureID).
		Order("dc.position", "dc.name").Scan(ctx); err != nil {
		return nil, err
	}
	return categoriesOf(rows), nil
}

func categoriesOf(rows []defectCategoryRow) []defect.Category {
	out := make([]defect.Category, len(rows))
	for i, r := range rows {
		out[i] = r.toDomain()
	}
	return out
}

// ActiveCategories lists the active categories of every procedure.
func (s *Defects) ActiveCategories(ctx context.Context) ([]defect.Category, error) {
	var rows []defectCategoryRow
	if err := s.db.NewSelect().Model(&rows).Where("dc.active").Order("dc.procedure_id", "dc.position", "dc.name").Scan(ctx); err != nil {
		return nil, err
	}
	return categoriesOf(rows), nil
}

// CategoriesByID returns the categories with the given IDs.
func (s *Defects) CategoriesByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]defect.Category, error) {
	out := map[uuid.UUID]defect.Category{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []defectCategoryRow
	if err := s.db.NewSelect().Model(&rows).Where("dc.id IN (?)", bun.In(ids)).Scan(ctx); err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.ID] = r.toDomain()
	}
	return out, nil
}

// CategoryByCode finds a category by its service code.
func (s *Defects) CategoryByCode(ctx context.Context, code string) (defect.Category, error) {
	if !utf8.ValidString(code) || strings.IndexByte(code, 0) >= 0 {
		return defect.Category{}, defect.ErrCategoryNotFound // no stored code is like this; the query would fail
	}
	var row defectCategoryRow
	if err := s.db.NewSelect().Model(&row).Where("dc.code = ?", code).Scan(ctx); err != nil {
		return defect.Category{}, mapErr(err, defect.ErrCategoryNotFound, nil)
	}
	return row.toDomain(), nil
}

// InsertCategory stores a new category.
func (s *Defects) InsertCategory(ctx context.Context, c defect.Category) error {
	row := defectCategoryRowFrom(c)
	_, err := s.db.NewInsert().Model(&row).Exec(ctx)
	return mapErr(err, defect.ErrCategoryNotFound, defect.ErrCodeTaken)
}

// UpdateCategory changes a category.
func (s *Defects) UpdateCategory(ctx context.Context, c defect.Category) error {
	row := defectCategoryRowFrom(c)
	res, err := s.db.NewUpdate().Model(&row).Column("code", "name", "description", "group_name", "unit", "keywords", "active", "position").
		WherePK().Exec(ctx)
	if err != nil {
		return mapErr(err, defect.ErrCategoryNotFound, defect.ErrCodeTaken)
	}
	return requireRow(res, defect.ErrCategoryNotFound)
}

// NextNumber hands out the next running number of reports.
func (s *Defects) NextNumber(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.NewRaw(`SELECT nextval('defect_report_number_seq')`).Scan(ctx, &n)
	return n, err
}

// Insert stores a report and its photos.
func (s *Defects) Insert(ctx context.Context, r defect.Report, key, requestDigest, tokenHash string) error {
	row := defectReportRow{ID: r.ID, Number: r.Number, PublicID: r.PublicID, ProcedureID: r.ProcedureID, OrganisationID: r.OrganisationID,
		CategoryID: r.CategoryID, Description: r.Description, Lon: r.Location.Lon, Lat: r.Location.Lat, Address: r.Address,
		Email: r.Email, MediaURL: r.MediaURL, Status: string(r.Status), StatusNotes: r.StatusNotes, Source: string(r.Source),
		ClientID: r.ClientID, TokenHash: tokenHash, IdempotencyKey: key, RequestDigest: requestDigest,
		CreatedAt: utc(r.CreatedAt), UpdatedAt: utc(r.UpdatedAt), Version: r.Version}
	if _, err := s.db.NewInsert().Model(&row).Exec(ctx); err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == uniqueViolation && strings.Contains(pgErr.ConstraintName, "idempotency") {
			return ErrDefectKeyRace
		}
		return mapErr(err, defect.ErrNotFound, nil)
	}
	if len(r.Photos) == 0 {
		return nil
	}
	rows := make([]defectPhotoRow, len(r.Photos))
	for i, p := range r.Photos {
		rows[i] = photoRowFrom(r.ID, p)
	}
	_, err := s.db.NewInsert().Model(&rows).Exec(ctx)
	return err
}

func photoRowFrom(report uuid.UUID, p defect.Photo) defectPhotoRow {
	return defectPhotoRow{ID: p.ID, ReportID: report, Position: p.Position, ContentType: p.ContentType, Width: p.Width,
		Height: p.Height, Size: p.Size, SHA256: p.SHA256, StorageKey: p.StorageKey, PreviewKey: p.PreviewKey,
		PreviewType: p.PreviewType, HiddenReason: p.HiddenReason}
}

func (s *Defects) withPhotos(ctx context.Context, rows []defectReportRow) ([]defect.Report, error) {
	out := make([]defect.Report, len(rows))
	if len(rows) == 0 {
		return out, nil
	}
	ids := make([]uuid.UUID, len(rows))
	index := map[uuid.UUID]int{}
	for i, r := range rows {
		out[i] = r.toDomain()
		ids[i] = r.ID
		index[r.ID] = i
	}
	var photos []defectPhotoRow
	if err := s.db.NewSelect().Model(&photos).Where("dp.report_id IN (?)", bun.In(ids)).Order("dp.report_id", "dp.position").Scan(ctx); err != nil {
		return nil, err
	}
	for _, p := range photos {
		i := index[p.ReportID]
		out[i].Photos = append(out[i].Photos, defect.Photo{ID: p.ID, Position: p.Position, ContentType: p.ContentType,
			Width: p.Width, Height: p.Height, Size: p.Size, SHA256: p.SHA256, StorageKey: p.StorageKey,
			PreviewKey: p.PreviewKey, PreviewType: p.PreviewType, HiddenReason: p.HiddenReason})
	}
	return out, nil
}

func (s *Defects) one(ctx context.Context, q *bun.SelectQuery) (defect.Report, error) {
	var row defectReportRow
	if err := q.Model(&row).Scan(ctx); err != nil {
		return defect.Report{}, mapErr(err, defect.ErrNotFound, nil)
	}
	list, err := s.withPhotos(ctx, []defectReportRow{row})
	if err != nil {
		return defect.Report{}, err
	}
	return list[0], nil
}

// ByIdempotencyKey returns the report stored under a key and its request digest.
func (s *Defects) ByIdempotencyKey(ctx context.Context, procedureID uuid.UUID, key string) (defect.Report, string, error) {
	var row defectReportRow
	if err := s.db.NewSelect().Model(&row).Where("dr.procedure_id = ? AND dr.idempotency_key = ?", procedureID, key).Scan(ctx); err != nil {
		return defect.Report{}, "", mapErr(err, defect.ErrNotFound, nil)
	}
	list, err := s.withPhotos(ctx, []defectReportRow{row})
	if err != nil {
		return defect.Report{}, "", err
	}
	return list[0], row.RequestDigest, nil
}

// ByPublicID finds a report by its public ID, locked for update when lock.
func (s *Defects) ByPublicID(ctx context.Context, publicID string, lock bool) (defect.Report, error) {
	q := s.db.NewSelect().Where("dr.public_id = ?", publicID)
	if lock {
		q = q.For("UPDATE")
	}
	return s.one(ctx, q)
}

// Get finds a report by ID.
func (s *Defects) Get(ctx context.Context, id uuid.UUID) (defect.Report, error) {
	return s.one(ctx, s.db.NewSelect().Where("dr.id = ?", id))
}

// ByTokenHash finds a report by its submitter's token hash.
func (s *Defects) ByTokenHash(ctx context.Context, hash string) (defect.Report, error) {
	return s.one(ctx, s.db.NewSelect().Where("dr.token_hash = ?", hash))
}

// Save writes the changeable columns of r and its photos' moderation.
func (s *Defects) Save(ctx context.Context, r defect.Report) error {
	res, err := s.db.NewUpdate().Table("defect_reports").
		Set("email = ?", r.Email).Set("status = ?", string(r.Status)).Set("status_notes = ?", r.StatusNotes).
		Set("duplicate_of = ?", nullUUID(r.DuplicateOf)).Set("forwarded_to = ?", nullUUID(r.ForwardedTo)).
		Set("text_hidden = ?", r.TextHidden).Set("updated_at = ?", utc(r.UpdatedAt)).Set("version = ?", r.Version).
		Where("id = ? AND version = ?", r.ID, r.Version-1).Exec(ctx)
	if err != nil {
		return mapErr(err, defect.ErrNotFound, nil)
	}
	if err := requireRow(res, defect.ErrStale); err != nil {
		return err
	}
	for _, p := range r.Photos {
		if _, err := s.db.NewUpdate().Table("defect_photos").Set("hidden_reason = ?", p.HiddenReason).
			Where("id = ? AND report_id = ?", p.ID, r.ID).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

func nullUUID(id uuid.UUID) any {
	if id == uuid.Nil {
		return nil
	}
	return id
}

// AddEvent records a status change.
func (s *Defects) AddEvent(ctx context.Context, e defect.Event) error {
	row := defectEventRow{ID: e.ID, ReportID: e.ReportID, At: utc(e.At), ActorID: e.ActorID, FromStatus: string(e.From),
		ToStatus: string(e.To), PublicComment: e.PublicComment, InternalNote: e.InternalNote, DuplicateOf: e.DuplicateOf,
		ForwardedTo: e.ForwardedTo}
	_, err := s.db.NewInsert().Model(&row).Exec(ctx)
	return mapErr(err, defect.ErrNotFound, nil)
}

// Events lists a report's status changes, oldest first.
func (s *Defects) Events(ctx context.Context, reportID uuid.UUID) ([]defect.Event, error) {
	var rows []defectEventRow
	if err := s.db.NewSelect().Model(&rows).Where("de.report_id = ?", reportID).Order("de.at", "de.id").Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]defect.Event, len(rows))
	for i, r := range rows {
		out[i] = defect.Event{ID: r.ID, ReportID: r.ReportID, At: r.At, ActorID: r.ActorID, From: defect.Status(r.FromStatus),
			To: defect.Status(r.ToStatus), PublicComment: r.PublicComment, InternalNote: r.InternalNote,
			DuplicateOf: r.DuplicateOf, ForwardedTo: r.ForwardedTo}
	}
	return out, nil
}

// reportOrder is the order of every report list: newest first, the running
// number (unique, public and given out in order) breaking ties.
const reportOrder = "dr.created_at DESC, dr.number DESC"

// reportSort names that order in cursors, so that a cursor of the catalogue
// (or of a later order) is refused rather than misread.
const reportSort = "defects:newest"

// reportCursor is the position after the last report of a page, bound to the
// order and to the list (a procedure's, an organisation's or all reports), and
// encoded like the catalogue's cursors as unpadded base64url JSON.
type reportCursor struct {
	Sort   string    `json:"s"`
	List   string    `json:"l"`
	Time   time.Time `json:"t"`
	Number int64     `json:"n"`
}

func (c reportCursor) encode() string {
	raw, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(raw)
}

func decodeReportCursor(s, list string) (reportCursor, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	var c reportCursor
	if err != nil || json.Unmarshal(raw, &c) != nil || c.Sort != reportSort || c.List != list || c.Time.IsZero() || c.Number < 1 {
		return reportCursor{}, defect.ErrBadCursor
	}
	return c, nil
}

// reportList names the list f selects, for its cursors.
func reportList(f defect.Filter) string {
	switch {
	case f.Organisation != uuid.Nil:
		return "o:" + f.Organisation.String()
	case f.ProcedureID != uuid.Nil:
		return "p:" + f.ProcedureID.String()
	}
	return "all"
}

// maxReportPage bounds a page whatever the caller asks for.
const maxReportPage = 1000

// List returns a page of reports matching f, newest first, after f.Cursor.
// A procedure's list walks the index on (procedure_id, created_at, number)
// from the cursor; an organisation's list merges two such walks, its own
// reports and those forwarded to it.
func (s *Defects) List(ctx context.Context, f defect.Filter) (defect.Page, error) {
	list := reportList(f)
	var after *reportCursor
	if f.Cursor != "" {
		c, err := decodeReportCursor(f.Cursor, list)
		if err != nil {
			return defect.Page{}, err
		}
		after = &c
	}
	limit := f.Limit
	if limit <= 0 || limit > maxReportPage {
		limit = maxReportPage
	}
	need := int64(limit + 1)
	var rows []defectReportRow
	if org := f.Organisation; org != uuid.Nil {
		walk := func(cond string, args ...any) *bun.SelectQuery {
			q := s.db.NewSelect().TableExpr("defect_reports AS dr").ColumnExpr("dr.*").Where(cond, args...)
			return reportConds(q, f, after).OrderExpr(reportOrder).Limit(need)
		}
		own := walk("dr.organisation_id = ?", org)
		received := walk("dr.forwarded_to = ? AND dr.organisation_id <> ?", org, org)
		if err := s.db.NewSelect().Model(&rows).ModelTableExpr("((?) UNION ALL (?)) AS dr", own, received).
			OrderExpr(reportOrder).Limit(need).Scan(ctx); err != nil {
			return defect.Page{}, err
		}
	} else {
		q := reportConds(s.db.NewSelect().Model(&rows), f, after)
		if err := q.OrderExpr(reportOrder).Limit(need).Scan(ctx); err != nil {
			return defect.Page{}, err
		}
	}
	var next string
	if len(rows) > limit {
		last := rows[limit-1]
		rows = rows[:limit]
		next = reportCursor{Sort: reportSort, List: list, Time: last.CreatedAt.UTC(), Number: last.Number}.encode()
	}
	items, err := s.withPhotos(ctx, rows)
	if err != nil {
		return defect.Page{}, err
	}
	return defect.Page{Items: items, NextCursor: next}, nil
}

// reportConds adds f's filters, apart from the organisation, and the
// cursor's position to q over defect_reports AS dr.
func reportConds(q *bun.SelectQuery, f defect.Filter, after *reportCursor) *bun.SelectQuery {
	if f.ProcedureID != uuid.Nil {
		q = q.Where("dr.procedure_id = ?", f.ProcedureID)
	}
	if len(f.IDs) > 0 {
		q = q.Where("dr.public_id IN (?)", bun.In(f.IDs))
	}
	if len(f.CategoryIDs) > 0 {
		q = q.Where("dr.category_id IN (?)", bun.In(f.CategoryIDs))
	}
	if len(f.Statuses) > 0 {
		st := make([]string, len(f.Statuses))
		for i, v := range f.Statuses {
			st[i] = string(v)
		}
		q = q.Where("dr.status IN (?)", bun.In(st))
	}
	if f.BBox != nil {
		q = q.Where("dr.lon BETWEEN ? AND ? AND dr.lat BETWEEN ? AND ?", f.BBox.MinLon, f.BBox.MaxLon, f.BBox.MinLat, f.BBox.MaxLat)
	}
	if !f.From.IsZero() {
		q = q.Where("dr.created_at >= ?", utc(f.From))
	}
	if !f.To.IsZero() {
		q = q.Where("dr.created_at <= ?", utc(f.To))
	}
	if after != nil {
		// One row comparison, which the index serves as a range.
		q = q.Where("(dr.created_at, dr.number) < (?, ?)", after.Time, after.Number)
	}
	return q
}

// AddSupport records one "me too" and counts it.
func (s *Defects) AddSupport(ctx context.Context, reportID uuid.UUID, fingerprint string, at time.Time) error {
	res, err := s.db.NewRaw(`INSERT INTO defect_supports (report_id, fingerprint, at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
		reportID, fingerprint, utc(at)).Exec(ctx)
	if err != nil {
		return err
	}
	if err := requireRow(res, defect.ErrAlreadySupported); err != nil {
		return err
	}
	_, err = s.db.NewRaw(`UPDATE defect_reports SET supporters = supporters + 1 WHERE id = ?`, reportID).Exec(ctx)
	return err
}

// InsertClient stores an Open311 client with its key's hash.
func (s *Defects) InsertClient(ctx context.Context, c defect.Client, keyHash string) error {
	row := open311ClientRow{ID: c.ID, Name: c.Name, KeyHash: keyHash, CreatedAt: utc(c.CreatedAt)}
	_, err := s.db.NewInsert().Model(&row).Exec(ctx)
	return mapErr(err, defect.ErrNotFound, nil)
}

// ClientByKeyHash finds a client by its key's hash.
func (s *Defects) ClientByKeyHash(ctx context.Context, keyHash string) (defect.Client, error) {
	var row open311ClientRow
	if err := s.db.NewSelect().Model(&row).Where("oc.key_hash = ?", keyHash).Scan(ctx); err != nil {
		return defect.Client{}, mapErr(err, defect.ErrNotFound, nil)
	}
	return defect.Client{ID: row.ID, Name: row.Name, CreatedAt: row.CreatedAt, RevokedAt: row.RevokedAt}, nil
}

// Clients lists every client.
func (s *Defects) Clients(ctx context.Context) ([]defect.Client, error) {
	var rows []open311ClientRow
	if err := s.db.NewSelect().Model(&rows).Order("oc.created_at").Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]defect.Client, len(rows))
	for i, r := range rows {
		out[i] = defect.Client{ID: r.ID, Name: r.Name, CreatedAt: r.CreatedAt, RevokedAt: r.RevokedAt}
	}
	return out, nil
}

// RevokeClient ends a client's access.
func (s *Defects) RevokeClient(ctx context.Context, id uuid.UUID, at time.Time) error {
	res, err := s.db.NewUpdate().Table("open311_clients").Set("revoked_at = ?", utc(at)).
		Where("id = ? AND revoked_at IS NULL", id).Exec(ctx)
	if err != nil {
		return err
	}
	return requireRow(res, defect.ErrNotFound)
}
