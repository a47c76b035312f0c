package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"beteiligungsportal/domain/geo"
	"beteiligungsportal/domain/procedure"
)

type procedureRow struct {
	bun.BaseModel `bun:"table:procedures,alias:p"`

	ID             uuid.UUID       `bun:"id,pk,type:uuid"`
	OrganisationID uuid.UUID       `bun:"organisation_id,type:uuid"`
	Slug           string          `bun:"slug"`
	Type           string          `bun:"type"`
	Subtype        string          `bun:"subtype"`
	Title          string          `bun:"title"`
	Summary        string          `bun:"summary"`
	Description    string          `bun:"description"`
	LegalBasis     string          `bun:"legal_basis"`
	ContactName    string          `bun:"contact_name"`
	ContactEmail   string          `bun:"contact_email"`
	ContactPhone   string          `bun:"contact_phone"`
	ContactAddress string          `bun:"contact_address"`
	AGS            string          `bun:"ags,nullzero"`
	Area           json.RawMessage `bun:"area,type:jsonb,nullzero"`
	// StatementFields is {"name":…,"address":…,"email":…} with field rules.
	StatementFields statementFieldsJSON `bun:"statement_fields,type:jsonb"`
	MinLon          *float64            `bun:"min_lon"`
	MinLat          *float64            `bun:"min_lat"`
	MaxLon          *float64            `bun:"max_lon"`
	MaxLat          *float64            `bun:"max_lat"`
	PublishedAt     time.Time           `bun:"published_at,nullzero"`
	ClosedAt        time.Time           `bun:"closed_at,nullzero"`
	ClosedReason    string              `bun:"closed_reason"`
	ConcludedAt     time.Time           `bun:"concluded_at,nullzero"`
	Result          string              `bun:"result"`
	ArchivedAt      time.Time           `bun:"archived_at,nullzero"`
	CreatedAt       time.Time           `bun:"created_at"`
	UpdatedAt       time.Time           `bun:"updated_at"`
	Version         int                 `bun:"version"`
	Participation   string              `bun:"participation"`
	PhaseEnds       string              `bun:"phase_ends"`

	// Computed by catalogue queries for ordering and the cursor.
	Deadline time.Time `bun:"deadline,scanonly,nullzero"`
	Rank     float64   `bun:"rank,scanonly"`
	// The schedule as JSON, when a single procedure is read (scheduleColumns).
	Schedule json.RawMessage `bun:"schedule,scanonly"`
	Changes  json.RawMessage `bun:"changes,scanonly"`
}

type phaseRow struct {
	bun.BaseModel `bun:"table:procedure_phases,alias:ph"`

	ID          uuid.UUID `bun:"id,pk,type:uuid"`
	ProcedureID uuid.UUID `bun:"procedure_id,type:uuid"`
	Kind        string    `bun:"kind"`
	Audience    string    `bun:"audience"`
	Title       string    `bun:"title"`
	StartDate   string    `bun:"start_date,type:date"`
	EndDate     string    `bun:"end_date,type:date,nullzero"`
	StartsAt    time.Time `bun:"starts_at"`
	EndsAt      time.Time `bun:"ends_at,nullzero"`
	AnnouncedOn string    `bun:"announced_on,type:date,nullzero"`
}

type invitationRow struct {
	bun.BaseModel `bun:"table:procedure_invitations,alias:pi"`

	PhaseID        uuid.UUID `bun:"phase_id,pk,type:uuid"`
	OrganisationID uuid.UUID `bun:"organisation_id,pk,type:uuid"`
}

type periodChangeRow struct {
	bun.BaseModel `bun:"table:procedure_period_changes,alias:pc"`

	ID          int64     `bun:"id,pk,autoincrement"`
	ProcedureID uuid.UUID `bun:"procedure_id,type:uuid"`
	PhaseID     uuid.UUID `bun:"phase_id,type:uuid"`
	OldEnd      string    `bun:"old_end,type:date,nullzero"`
	NewEnd      string    `bun:"new_end,type:date,nullzero"`
	Reason      string    `bun:"reason"`
	ChangedBy   uuid.UUID `bun:"changed_by,type:uuid,nullzero"`
	ChangedAt   time.Time `bun:"changed_at"`
}

func dateString(d procedure.Date) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}

func parseDate(s string) procedure.Date {
	if s == "" {
		return procedure.Date{}
	}
	if len(s) > 10 {
		s = s[:10] // the driver may hand back a timestamp text for a date
	}
	d, _ := procedure.ParseDate(s) // written by this package: always valid
	return d
}

func procedureRowFrom(p procedure.Procedure) procedureRow {
	r := procedureRow{
		ID: p.ID, OrganisationID: p.OrganisationID, Slug: p.Slug, Type: string(p.Type), Subtype: string(p.Subtype),
		Title: p.Title, Summary: p.Summary, Description: p.Description, LegalBasis: p.LegalBasis,
		ContactName: p.Contact.Name, ContactEmail: p.Contact.Email, ContactPhone: p.Contact.Phone, ContactAddress: p.Contact.Address,
		AGS: p.AGS, Area: json.RawMessage(p.AreaGeoJSON),
		PublishedAt: p.PublishedAt, ClosedAt: p.ClosedAt, ClosedReason: p.ClosedReason,
		ConcludedAt: p.ConcludedAt, Result: p.Result, ArchivedAt: p.ArchivedAt,
		CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt, Version: p.Version,
		StatementFields: statementFieldsJSON(p.StatementFields),
	}
	if p.StatementFields == (procedure.StatementFields{}) {
		r.StatementFields = statementFieldsJSON(procedure.DefaultStatementFields())
	}
	r.Participation, r.PhaseEnds = scheduleColumns(p)
	if len(p.AreaGeoJSON) > 0 {
		// The area was validated on the way in; the box serves bounding-box filters.
		if a, err := geo.ParseArea(p.AreaGeoJSON); err == nil {
			minLon, minLat, maxLon, maxLat := a.BBox()
			r.MinLon, r.MinLat, r.MaxLon, r.MaxLat = &minLon, &minLat, &maxLon, &maxLat
		}
	}
	return r
}

func (r procedureRow) toDomain() procedure.Procedure {
	p := procedure.Procedure{
		ID: r.ID, OrganisationID: r.OrganisationID, Slug: r.Slug, Type: procedure.Type(r.Type), Subtype: procedure.Subtype(r.Subtype),
		Title: r.Title, Summary: r.Summary, Description: r.Description, LegalBasis: r.LegalBasis,
		Contact: procedure.Contact{Name: r.ContactName, Email: r.ContactEmail, Phone: r.ContactPhone, Address: r.ContactAddress},
		AGS:     r.AGS, PublishedAt: utc(r.PublishedAt), ClosedAt: utc(r.ClosedAt), ClosedReason: r.ClosedReason,
		ConcludedAt: utc(r.ConcludedAt), Result: r.Result, ArchivedAt: utc(r.ArchivedAt),
		CreatedAt: utc(r.CreatedAt), UpdatedAt: utc(r.UpdatedAt), Version: r.Version,
	}
	if len(r.Area) > 0 {
		p.AreaGeoJSON = []byte(r.Area)
	}
	p.StatementFields = procedure.StatementFields(r.StatementFields)
	return p
}

// statementFieldsJSON stores procedure.StatementFields with lower-case keys.
type statementFieldsJSON procedure.StatementFields

func (f statementFieldsJSON) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]procedure.FieldRule{"name": f.Name, "address": f.Address, "email": f.Email})
}

func (f *statementFieldsJSON) UnmarshalJSON(b []byte) error {
	var m map[string]procedure.FieldRule
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*f = statementFieldsJSON{Name: m["name"], Address: m["address"], Email: m["email"]}
	return nil
}

// scheduleColumns renders the schedule as a tstzmultirange of the periods (cut at
// an early close) and a sorted array of the phases' ends, in PostgreSQL's text forms.
func scheduleColumns(p procedure.Procedure) (participation, ends string) {
	const layout = "2006-01-02 15:04:05Z07:00"
	var ranges, endList []string
	var endTimes []time.Time
	for _, ph := range p.Phases {
		from := ph.Period.Start.Start().UTC()
		var to time.Time
		if !ph.Period.OpenEnded() {
			to = ph.Period.End.End().UTC()
			endTimes = append(endTimes, to)
		}
		if !p.ClosedAt.IsZero() {
			if !from.Before(p.ClosedAt) {
				continue
			}
			if to.IsZero() || to.After(p.ClosedAt) {
				to = p.ClosedAt.UTC()
			}
		}
		upper := ""
		if !to.IsZero() {
			upper = `"` + to.Format(layout) + `"`
		}
		ranges = append(ranges, `["`+from.Format(layout)+`",`+upper+`)`)
	}
	slices.SortFunc(endTimes, time.Time.Compare)
	for _, e := range endTimes {
		endList = append(endList, `"`+e.Format(layout)+`"`)
	}
	return "{" + strings.Join(ranges, ",") + "}", "{" + strings.Join(endList, ",") + "}"
}

func utc(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC()
}

// Procedures is the procedure repository.
type Procedures struct{ db bun.IDB }

// NewProcedures returns the repository over db (a pool or a transaction).
func NewProcedures(db bun.IDB) *Procedures { return &Procedures{db: db} }

// Get returns one procedure with its schedule.
func (s *Procedures) Get(ctx context.Context, id uuid.UUID) (procedure.Procedure, error) {
	return s.getOne(ctx, s.db.NewSelect().Where("p.id = ?", id))
}

// GetByRef returns one procedure by the reference a URL gives: its ID or,
// where ref is no UUID, its slug.
func (s *Procedures) GetByRef(ctx context.Context, ref string) (procedure.Procedure, error) {
	if id, err := uuid.Parse(ref); err == nil {
		return s.Get(ctx, id)
	}
	return s.GetBySlug(ctx, ref)
}

// GetBySlug returns one procedure by its URL name.
func (s *Procedures) GetBySlug(ctx context.Context, slug string) (procedure.Procedure, error) {
	return s.getOne(ctx, s.db.NewSelect().Where("p.slug = ?", slug))
}

// GetForUpdate returns one procedure and locks its row for the transaction.
func (s *Procedures) GetForUpdate(ctx context.Context, id uuid.UUID) (procedure.Procedure, error) {
	return s.getOne(ctx, s.db.NewSelect().Where("p.id = ?", id).For("UPDATE"))
}

func (s *Procedures) getOne(ctx context.Context, q *bun.SelectQuery) (procedure.Procedure, error) {
	var row procedureRow
	if err := q.Model(&row).ColumnExpr("?TableColumns").ColumnExpr(schedulesJSON).Scan(ctx); err != nil {
		return procedure.Procedure{}, mapErr(err, procedure.ErrNotFound, nil)
	}
	return row.withScheduleJSON()
}

// schedulesJSON reads a procedure's phases with their invitations and its
// period changes in the procedure's own query: one round trip instead of four.
const schedulesJSON = `(SELECT coalesce(json_agg(json_build_object(
		'id', ph.id, 'kind', ph.kind, 'audience', ph.audience, 'title', ph.title,
		'start_date', ph.start_date, 'end_date', ph.end_date, 'announced_on', ph.announced_on,
		'invited', (SELECT coalesce(json_agg(pi.organisation_id ORDER BY pi.organisation_id), '[]')
			FROM procedure_invitations pi WHERE pi.phase_id = ph.id))
		ORDER BY ph.starts_at, ph.id), '[]')
	FROM procedure_phases ph WHERE ph.procedure_id = p.id) AS schedule,
	(SELECT coalesce(json_agg(json_build_object(
		'phase_id', pc.phase_id, 'old_end', pc.old_end, 'new_end', pc.new_end, 'reason', pc.reason,
		'changed_by', pc.changed_by, 'changed_at', pc.changed_at) ORDER BY pc.id), '[]')
	FROM procedure_period_changes pc WHERE pc.procedure_id = p.id) AS changes`

type phaseJSON struct {
	ID          uuid.UUID   `json:"id"`
	Kind        string      `json:"kind"`
	Audience    string      `json:"audience"`
	Title       string      `json:"title"`
	StartDate   string      `json:"start_date"`
	EndDate     string      `json:"end_date"`
	AnnouncedOn string      `json:"announced_on"`
	Invited     []uuid.UUID `json:"invited"`
}

type periodChangeJSON struct {
	PhaseID   uuid.UUID  `json:"phase_id"`
	OldEnd    string     `json:"old_end"`
	NewEnd    string     `json:"new_end"`
	Reason    string     `json:"reason"`
	ChangedBy *uuid.UUID `json:"changed_by"`
	ChangedAt time.Time  `json:"changed_at"`
}

func (r procedureRow) withScheduleJSON() (procedure.Procedure, error) {
	p := r.toDomain()
	var phases []phaseJSON
	var changes []periodChangeJSON
	if err := json.Unmarshal(r.Schedule, &phases); err != nil {
		return procedure.Procedure{}, fmt.Errorf("read schedule of procedure %s: %w", r.ID, err)
	}
	if err := json.Unmarshal(r.Changes, &changes); err != nil {
		return procedure.Procedure{}, fmt.Errorf("read period changes of procedure %s: %w", r.ID, err)
	}
	for _, ph := range phases {
		var invited []uuid.UUID
		if len(ph.Invited) > 0 {
			invited = ph.Invited
		}
		p.Phases = append(p.Phases, procedure.Phase{
			ID: ph.ID, Kind: procedure.PhaseKind(ph.Kind), Audience: procedure.Audience(ph.Audience), Title: ph.Title,
			Period:      procedure.Period{Start: parseDate(ph.StartDate), End: parseDate(ph.EndDate)},
			AnnouncedOn: parseDate(ph.AnnouncedOn), InvitedBodies: invited,
		})
	}
	for _, c := range changes {
		var by uuid.UUID
		if c.ChangedBy != nil {
			by = *c.ChangedBy
		}
		p.PeriodChanges = append(p.PeriodChanges, procedure.PeriodChange{
			PhaseID: c.PhaseID, OldEnd: parseDate(c.OldEnd), NewEnd: parseDate(c.NewEnd),
			Reason: c.Reason, By: by, At: c.ChangedAt.UTC()})
	}
	return p, nil
}

// withSchedules converts rows and loads their phases and invitations (and, for
// single procedures, the period changes) in one query each.
func (s *Procedures) withSchedules(ctx context.Context, rows []procedureRow, changes bool) ([]procedure.Procedure, error) {
	out := make([]procedure.Procedure, len(rows))
	if len(rows) == 0 {
		return out, nil
	}
	ids := make([]uuid.UUID, len(rows))
	index := make(map[uuid.UUID]int, len(rows))
	for i, r := range rows {
		out[i] = r.toDomain()
		ids[i] = r.ID
		index[r.ID] = i
	}
	var phases []phaseRow
	if err := s.db.NewSelect().Model(&phases).Where("ph.procedure_id IN (?)", bun.In(ids)).
		OrderExpr("ph.starts_at, ph.id").Scan(ctx); err != nil {
		return nil, err
	}
	phaseIDs := make([]uuid.UUID, len(phases))
	for i, ph := range phases {
		phaseIDs[i] = ph.ID
	}
	invited := map[uuid.UUID][]uuid.UUID{}
	if len(phaseIDs) > 0 {
		var inv []invitationRow
		if err := s.db.NewSelect().Model(&inv).Where("pi.phase_id IN (?)", bun.In(phaseIDs)).
			OrderExpr("pi.organisation_id").Scan(ctx); err != nil {
			return nil, err
		}
		for _, x := range inv {
			invited[x.PhaseID] = append(invited[x.PhaseID], x.OrganisationID)
		}
	}
	for _, ph := range phases {
		i := index[ph.ProcedureID]
		out[i].Phases = append(out[i].Phases, procedure.Phase{
			ID: ph.ID, Kind: procedure.PhaseKind(ph.Kind), Audience: procedure.Audience(ph.Audience), Title: ph.Title,
			Period:      procedure.Period{Start: parseDate(ph.StartDate), End: parseDate(ph.EndDate)},
			AnnouncedOn: parseDate(ph.AnnouncedOn), InvitedBodies: invited[ph.ID],
		})
	}
	if changes {
		var pcs []periodChangeRow
		if err := s.db.NewSelect().Model(&pcs).Where("pc.procedure_id IN (?)", bun.In(ids)).OrderExpr("pc.id").Scan(ctx); err != nil {
			return nil, err
		}
		for _, c := range pcs {
			i := index[c.ProcedureID]
			out[i].PeriodChanges = append(out[i].PeriodChanges, procedure.PeriodChange{
				PhaseID: c.PhaseID, OldEnd: parseDate(c.OldEnd), NewEnd: parseDate(c.NewEnd),
				Reason: c.Reason, By: c.ChangedBy, At: c.ChangedAt.UTC()})
		}
	}
	return out, nil
}

// Insert stores a new procedure with its schedule.
func (s *Procedures) Insert(ctx context.Context, p procedure.Procedure) error {
	row := procedureRowFrom(p)
	if _, err := s.db.NewInsert().Model(&row).Exec(ctx); err != nil {
		return mapErr(err, procedure.ErrNotFound, procedure.ErrSlugTaken)
	}
	return s.writeSchedule(ctx, p, 0)
}

// Save stores a changed procedure: its row, its whole schedule, and the period
// changes not yet recorded.
func (s *Procedures) Save(ctx context.Context, p procedure.Procedure) error {
	row := procedureRowFrom(p)
	res, err := s.db.NewUpdate().Model(&row).WherePK().ExcludeColumn("created_at").Exec(ctx)
	if err != nil {
		return mapErr(err, procedure.ErrNotFound, procedure.ErrSlugTaken)
	}
	if err := requireRow(res, procedure.ErrNotFound); err != nil {
		return err
	}
	if _, err := s.db.NewDelete().Model((*phaseRow)(nil)).Where("procedure_id = ?", p.ID).Exec(ctx); err != nil {
		return err
	}
	recorded, err := s.db.NewSelect().Model((*periodChangeRow)(nil)).Where("procedure_id = ?", p.ID).Count(ctx)
	if err != nil {
		return err
	}
	return s.writeSchedule(ctx, p, int(recorded))
}

func (s *Procedures) writeSchedule(ctx context.Context, p procedure.Procedure, recordedChanges int) error {
	if len(p.Phases) > 0 {
		phases := make([]phaseRow, len(p.Phases))
		var inv []invitationRow
		for i, ph := range p.Phases {
			phases[i] = phaseRow{ID: ph.ID, ProcedureID: p.ID, Kind: string(ph.Kind), Audience: string(ph.Audience),
				Title: ph.Title, StartDate: ph.Period.Start.String(), EndDate: dateString(ph.Period.End),
				StartsAt: ph.Period.Start.Start().UTC(), AnnouncedOn: dateString(ph.AnnouncedOn)}
			if !ph.Period.OpenEnded() {
				phases[i].EndsAt = ph.Period.End.End().UTC()
			}
			for _, body := range ph.InvitedBodies {
				inv = append(inv, invitationRow{PhaseID: ph.ID, OrganisationID: body})
			}
		}
		if _, err := s.db.NewInsert().Model(&phases).Exec(ctx); err != nil {
			return err
		}
		if len(inv) > 0 {
			if _, err := s.db.NewInsert().Model(&inv).Exec(ctx); err != nil {
				return mapErr(err, procedure.ErrNotFound, nil)
			}
		}
	}
	if recordedChanges < len(p.PeriodChanges) {
		fresh := p.PeriodChanges[recordedChanges:]
		rows := make([]periodChangeRow, len(fresh))
		for i, c := range fresh {
			rows[i] = periodChangeRow{ProcedureID: p.ID, PhaseID: c.PhaseID, OldEnd: dateString(c.OldEnd),
				NewEnd: dateString(c.NewEnd), Reason: c.Reason, ChangedBy: c.By, ChangedAt: c.At}
		}
		if _, err := s.db.NewInsert().Model(&rows).ExcludeColumn("id").Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Delete removes a procedure and its schedule.
func (s *Procedures) Delete(ctx context.Context, id uuid.UUID) error {
	res, err := s.db.NewDelete().Model((*procedureRow)(nil)).Where("id = ?", id).Exec(ctx)
	if err != nil {
		return err
	}
	return requireRow(res, procedure.ErrNotFound)
}

// ListByOrganisation returns every procedure of an organisation, newest first.
func (s *Procedures) ListByOrganisation(ctx context.Context, orgID uuid.UUID) ([]procedure.Procedure, error) {
	var rows []procedureRow
	if err := s.db.NewSelect().Model(&rows).Where("p.organisation_id = ?", orgID).
		OrderExpr("p.created_at DESC, p.id DESC").Limit(500).Scan(ctx); err != nil {
		return nil, err
	}
	return s.withSchedules(ctx, rows, false)
}
