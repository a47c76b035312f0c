package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/schema"

	"beteiligungsportal/domain/audit"
	"beteiligungsportal/domain/geo"
	"beteiligungsportal/domain/mail"
	"beteiligungsportal/domain/statement"
)

type statementRow struct {
	bun.BaseModel `bun:"table:statements,alias:s"`

	ID               uuid.UUID `bun:"id,pk,type:uuid"`
	ProcedureID      uuid.UUID `bun:"procedure_id,type:uuid"`
	PhaseID          uuid.UUID `bun:"phase_id,type:uuid"`
	Number           string    `bun:"number"`
	Seq              int       `bun:"seq"`
	Channel          string    `bun:"channel"`
	Kind             string    `bun:"kind"`
	OnBehalfOf       uuid.UUID `bun:"on_behalf_of,type:uuid,nullzero"`
	AccountID        uuid.UUID `bun:"account_id,type:uuid,nullzero"`
	SubmitterName    string    `bun:"submitter_name"`
	SubmitterAddress string    `bun:"submitter_address"`
	SubmitterEmail   string    `bun:"submitter_email"`
	Text             string    `bun:"text"`
	DocumentID       uuid.UUID `bun:"document_id,type:uuid,nullzero"`
	Section          string    `bun:"section"`
	LocationLon      *float64  `bun:"location_lon"`
	LocationLat      *float64  `bun:"location_lat"`
	OutsideArea      bool      `bun:"outside_area"`
	PrivacyVersion   string    `bun:"privacy_version"`
	Digest           string    `bun:"digest"`
	ReceivedAt       time.Time `bun:"received_at"`
	Timely           bool      `bun:"timely"`
	WithdrawnAt      time.Time `bun:"withdrawn_at,nullzero"`
	IdempotencyKey   string    `bun:"idempotency_key,nullzero"`
	RequestDigest    string    `bun:"request_digest,nullzero"`
	Status           string    `bun:"status"`
	Topics           []string  `bun:"topics,array"`
	Answer           string    `bun:"answer"`
	Decision         string    `bun:"decision"`
	Priority         string    `bun:"priority"`
	GroupID          uuid.UUID `bun:"group_id,type:uuid,nullzero"`
	Version          int       `bun:"version"`
}

type attachmentRow struct {
	bun.BaseModel `bun:"table:statement_attachments,alias:sa"`

	ID          uuid.UUID `bun:"id,pk,type:uuid"`
	StatementID uuid.UUID `bun:"statement_id,type:uuid"`
	Position    int       `bun:"position"`
	FileName    string    `bun:"file_name"`
	ContentType string    `bun:"content_type"`
	Size        int64     `bun:"size"`
	SHA256      string    `bun:"sha256"`
	StorageKey  string    `bun:"storage_key"`
}

func statementRowFrom(s statement.Statement, key, requestDigest string) statementRow {
	r := statementRow{ID: s.ID, ProcedureID: s.ProcedureID, PhaseID: s.PhaseID, Number: s.Number, Seq: s.Seq,
		Channel: string(s.Channel), Kind: string(s.Kind), OnBehalfOf: s.OnBehalfOf, AccountID: s.AccountID,
		SubmitterName: s.Submitter.Name, SubmitterAddress: s.Submitter.Address, SubmitterEmail: s.Submitter.Email,
		Text: s.Text, DocumentID: s.DocumentID, Section: s.Section, OutsideArea: s.OutsideArea,
		PrivacyVersion: s.PrivacyVersion, Digest: s.Digest, ReceivedAt: utc(s.ReceivedAt), Timely: s.Timely,
		WithdrawnAt: utc(s.WithdrawnAt), IdempotencyKey: key, RequestDigest: requestDigest,
		Status: string(s.Status), Topics: s.Topics, Answer: s.Answer, Decision: string(s.Decision),
		Priority: s.Priority, GroupID: s.GroupID, Version: s.Version}
	if s.Location != nil {
		r.LocationLon, r.LocationLat = &s.Location.Lon, &s.Location.Lat
	}
	if r.Topics == nil {
		r.Topics = []string{}
	}
	return r
}

func (r statementRow) toDomain() statement.Statement {
	s := statement.Statement{ID: r.ID, ProcedureID: r.ProcedureID, PhaseID: r.PhaseID, Number: r.Number, Seq: r.Seq,
		Channel: statement.Channel(r.Channel), Kind: statement.SubmitterKind(r.Kind), OnBehalfOf: r.OnBehalfOf,
		AccountID: r.AccountID, Submitter: statement.Submitter{Name: r.SubmitterName, Address: r.SubmitterAddress, Email: r.SubmitterEmail},
		Text: r.Text, DocumentID: r.DocumentID, Section: r.Section, OutsideArea: r.OutsideArea,
		PrivacyVersion: r.PrivacyVersion, Digest: r.Digest, ReceivedAt: utc(r.ReceivedAt), Timely: r.Timely,
		WithdrawnAt: utc(r.WithdrawnAt), Status: statement.Status(r.Status), Topics: r.Topics, Answer: r.Answer,
		Decision: statement.Decision(r.Decision), Priority: r.Priority, GroupID: r.GroupID, Version: r.Version}
	if r.LocationLon != nil && r.LocationLat != nil {
		s.Location = &geo.Point{Lon: *r.LocationLon, Lat: *r.LocationLat}
	}
	return s
}

// Statements is the statement repository.
type Statements struct {
	db     bun.IDB
	intake *Intake
}

// NewStatements returns the repository over db (a pool or a transaction).
func NewStatements(db bun.IDB) *Statements { return &Statements{db: db} }

// Through makes Receive on the pool write through the intake, together with
// the submissions that arrive at the same time; inside a transaction it has
// no effect.
func (s *Statements) Through(intake *Intake) *Statements { s.intake = intake; return s }

// ErrIdempotencyRace is returned by Insert when another request with the same
// idempotency key committed first; the caller reads that one.
var ErrIdempotencyRace = errors.New("a statement with this idempotency key was stored concurrently")

// nextNumberSQL moves a procedure's counter on and answers its code (empty
// for the first statement, whose transaction draws it) and the new number.
// The code of a new row is NULL, not the empty string: the column is unique,
// and two rows with the same placeholder would make their transactions wait
// for each other.
const nextNumberSQL = `
		INSERT INTO statement_counters (procedure_id, code, last)
		VALUES (?, NULL, 1)
		ON CONFLICT (procedure_id) DO UPDATE SET last = statement_counters.last + 1
		RETURNING coalesce(code, ''), last`

// receiveNumberSQL is nextNumberSQL for a statement checked against one
// version of the procedure: no row when the procedure has another version.
const receiveNumberSQL = `
		INSERT INTO statement_counters (procedure_id, code, last)
		SELECT ?0, NULL, 1 WHERE EXISTS (SELECT FROM procedures WHERE id = ?0 AND version = ?1)
		ON CONFLICT (procedure_id) DO UPDATE SET last = statement_counters.last + 1
		RETURNING coalesce(code, ''), last`

// NextNumber hands out the procedure's code and next running number. The
// counter row stays locked until the transaction ends, so numbers have no
// gaps unless a transaction rolls back.
func (s *Statements) NextNumber(ctx context.Context, procedureID uuid.UUID) (string, int, error) {
	return s.nextNumberOf(ctx, procedureID, -1)
}

// nextNumberOf is NextNumber, for a version of the procedure unless it is -1.
func (s *Statements) nextNumberOf(ctx context.Context, procedureID uuid.UUID, version int) (string, int, error) {
	var code string
	var last int
	var err error
	if version < 0 {
		err = s.db.NewRaw(nextNumberSQL, procedureID).Scan(ctx, &code, &last)
	} else if err = s.db.NewRaw(receiveNumberSQL, procedureID, version).Scan(ctx, &code, &last); errors.Is(err, sql.ErrNoRows) {
		return "", 0, statement.ErrProcedureChanged
	}
	if err != nil {
		return "", 0, err
	}
	if code == "" {
		var n int64
		if err := s.db.NewRaw(`SELECT nextval('statement_code_seq')`).Scan(ctx, &n); err != nil {
			return "", 0, err
		}
		code = statement.ProcedureCode(n)
		if _, err := s.db.NewRaw(`UPDATE statement_counters SET code = ? WHERE procedure_id = ?`, code, procedureID).Exec(ctx); err != nil {
			return "", 0, err
		}
	}
	return code, last, nil
}

// Receive takes the procedure's next number, if the procedure still has the
// version the statement was checked against (else ErrProcedureChanged), and
// stores the statement that build makes with it, with its confirmation mail
// (nil: none) and audit entry, in one transaction; a failed write rolls the
// number back, so numbers have no gaps. On the pool it sends two messages,
// "BEGIN; take the number" and "store everything; COMMIT": two round trips,
// and the counter row stays locked for one of them and for build. Through an
// intake, that transaction also stores the submissions that arrived with this
// one. Inside a transaction the statements go one by one. build may be called
// again when a batch is rolled back; the statement of its last call is stored.
func (s *Statements) Receive(ctx context.Context, procedureID uuid.UUID, version int, key, requestDigest string,
	build func(code string, seq int) (statement.Statement, *mail.Message, audit.Entry, error)) error {
	db, ok := s.db.(*bun.DB)
	if !ok {
		code, seq, err := s.nextNumberOf(ctx, procedureID, version)
		if err != nil {
			return err
		}
		st, receipt, entry, err := build(code, seq)
		if err != nil {
			return err
		}
		q, err := receivedQuery(s.db, []received{{st, key, requestDigest, receipt, entry}})
		if err != nil {
			return err
		}
		if _, err := q.Exec(ctx); err != nil {
			return insertError(err)
		}
		return nil
	}
	if s.intake != nil {
		err := s.intake.receive(ctx, &arrival{procedureID: procedureID, version: version, key: key,
			requestDigest: requestDigest, build: build})
		if !errors.Is(err, errWriteAlone) {
			return err
		}
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(driverConn any) error {
		pg := driverConn.(*stdlib.Conn).Conn().PgConn()
		err := receiveOn(ctx, pg, db.QueryGen(), procedureID, version, func(code string, seq int) ([]byte, error) {
			st, receipt, entry, err := build(code, seq)
			if err != nil {
				return nil, err
			}
			q, err := receivedQuery(db, []received{{st, key, requestDigest, receipt, entry}})
			if err != nil {
				return nil, err
			}
			return q.AppendQuery(db.QueryGen(), nil)
		})
		if err != nil && pg.TxStatus() != 'I' && !pg.IsClosed() {
			// Whatever failed, the connection goes back to the pool clean (a
			// connection left in a transaction is discarded by the driver).
			_, _ = pg.Exec(context.WithoutCancel(ctx), "ROLLBACK").ReadAll()
		}
		return err
	})
}

// receiveOn runs Receive's transaction on one connection; insert is the
// statement that stores everything with the number.
func receiveOn(ctx context.Context, pg *pgconn.PgConn, gen schema.QueryGen, procedureID uuid.UUID, version int,
	insert func(code string, seq int) ([]byte, error)) error {
	res, err := pg.Exec(ctx, "BEGIN; "+gen.FormatQuery(receiveNumberSQL, procedureID, version)).ReadAll()
	if err != nil {
		return err
	}
	if len(res) == 2 && len(res[1].Rows) == 0 {
		return statement.ErrProcedureChanged
	}
	if len(res) != 2 || len(res[1].Rows) != 1 || len(res[1].Rows[0]) != 2 {
		return fmt.Errorf("take statement number: unexpected answer")
	}
	code := string(res[1].Rows[0][0])
	seq, err := strconv.Atoi(string(res[1].Rows[0][1]))
	if err != nil {
		return fmt.Errorf("take statement number: %w", err)
	}
	if code == "" { // the procedure's first statement
		if code, err = drawProcedureCode(ctx, pg, gen, procedureID); err != nil {
			return err
		}
	}
	q, err := insert(code, seq)
	if err != nil {
		return err
	}
	if _, err := pg.Exec(ctx, string(q)+"; COMMIT").ReadAll(); err != nil {
		return insertError(err)
	}
	return nil
}

// received is a statement ready to be stored, with its idempotency key and
// request digest, its confirmation mail (nil: none) and its audit entry.
type received struct {
	st                 statement.Statement
	key, requestDigest string
	receipt            *mail.Message
	entry              audit.Entry
}

// receivedQuery stores received statements, their attachments, confirmation
// mails and audit entries in one statement.
func receivedQuery(db bun.IDB, items []received) (*bun.InsertQuery, error) {
	rows := make([]statementRow, 0, len(items))
	var atts []attachmentRow
	var mails []outboxRow
	entries := make([]auditRow, 0, len(items))
	for _, it := range items {
		rows = append(rows, statementRowFrom(it.st, it.key, it.requestDigest))
		atts = append(atts, attachmentRows(it.st)...)
		if it.receipt != nil {
			m, err := outboxRowFrom(*it.receipt)
			if err != nil {
				return nil, err
			}
			mails = append(mails, m)
		}
		entries = append(entries, auditRowFrom(it.entry))
	}
	q := db.NewInsert().With("statements", db.NewInsert().Model(&rows))
	if len(atts) > 0 {
		q = q.With("attachments", db.NewInsert().Model(&atts))
	}
	if len(mails) > 0 {
		q = q.With("receipts", db.NewInsert().Model(&mails).ExcludeColumn("attempts"))
	}
	return q.Model(&entries).ExcludeColumn("id"), nil
}

func attachmentRows(st statement.Statement) []attachmentRow {
	rows := make([]attachmentRow, len(st.Attachments))
	for i, a := range st.Attachments {
		rows[i] = attachmentRow{ID: a.ID, StatementID: st.ID, Position: i + 1, FileName: a.FileName,
			ContentType: a.ContentType, Size: a.Size, SHA256: a.SHA256, StorageKey: a.StorageKey}
	}
	return rows
}

func insertError(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == uniqueViolation && strings.Contains(pgErr.ConstraintName, "idempotency") {
		return ErrIdempotencyRace
	}
	return mapErr(err, statement.ErrNotFound, nil)
}

// Insert stores a received statement with its attachments.
func (s *Statements) Insert(ctx context.Context, st statement.Statement, key, requestDigest string) error {
	row := statementRowFrom(st, key, requestDigest)
	if _, err := s.db.NewInsert().Model(&row).Exec(ctx); err != nil {
		return insertError(err)
	}
	if len(st.Attachments) == 0 {
		return nil
	}
	rows := attachmentRows(st)
	_, err := s.db.NewInsert().Model(&rows).Exec(ctx)
	return err
}

// ByIdempotencyKey returns the statement stored under a key and the digest of
// the request that created it.
func (s *Statements) ByIdempotencyKey(ctx context.Context, procedureID uuid.UUID, key string) (statement.Statement, string, error) {
	var row statementRow
	if err := s.db.NewSelect().Model(&row).
		Where("s.procedure_id = ? AND s.idempotency_key = ?", procedureID, key).Scan(ctx); err != nil {
		return statement.Statement{}, "", mapErr(err, statement.ErrNotFound, nil)
	}
	list, err := s.withAttachments(ctx, []statementRow{row})
	if err != nil {
		return statement.Statement{}, "", err
	}
	return list[0], row.RequestDigest, nil
}

// Get returns one statement of a procedure; lock locks it for the transaction.
func (s *Statements) Get(ctx context.Context, procedureID, id uuid.UUID, lock bool) (statement.Statement, error) {
	q := s.db.NewSelect().Where("s.procedure_id = ? AND s.id = ?", procedureID, id)
	if lock {
		q = q.For("UPDATE")
	}
	return s.one(ctx, q)
}

// ByNumber returns the statement with a receipt number, locked if lock.
func (s *Statements) ByNumber(ctx context.Context, number string, lock bool) (statement.Statement, error) {
	q := s.db.NewSelect().Where("s.number = ?", number)
	if lock {
		q = q.For("UPDATE")
	}
	return s.one(ctx, q)
}

func (s *Statements) one(ctx context.Context, q *bun.SelectQuery) (statement.Statement, error) {
	var row statementRow
	if err := q.Model(&row).Scan(ctx); err != nil {
		return statement.Statement{}, mapErr(err, statement.ErrNotFound, nil)
	}
	list, err := s.withAttachments(ctx, []statementRow{row})
	if err != nil {
		return statement.Statement{}, err
	}
	return list[0], nil
}

func (s *Statements) withAttachments(ctx context.Context, rows []statementRow) ([]statement.Statement, error) {
	out := make([]statement.Statement, len(rows))
	if len(rows) == 0 {
		return out, nil
	}
	ids := make([]uuid.UUID, len(rows))
	index := map[uuid.UUID]int{}
	for i, r := range rows {
		out[i], ids[i], index[r.ID] = r.toDomain(), r.ID, i
	}
	var atts []attachmentRow
	if err := s.db.NewSelect().Model(&atts).Where("sa.statement_id IN (?)", bun.In(ids)).
		OrderExpr("sa.statement_id, sa.position").Scan(ctx); err != nil {
		return nil, err
	}
	for _, a := range atts {
		i := index[a.StatementID]
		out[i].Attachments = append(out[i].Attachments, statement.Attachment{ID: a.ID, FileName: a.FileName,
			ContentType: a.ContentType, Size: a.Size, SHA256: a.SHA256, StorageKey: a.StorageKey})
	}
	return out, nil
}

// SaveWeighing stores the weighing columns and the withdrawal of statements
// whose version is still the one read; it bumps the version.
func (s *Statements) SaveWeighing(ctx context.Context, list ...statement.Statement) error {
	for _, st := range list {
		row := statementRowFrom(st, "", "")
		res, err := s.db.NewUpdate().Model(&row).
			Column("status", "topics", "answer", "decision", "priority", "withdrawn_at").
			Set("version = version + 1").
			Where("id = ? AND version = ?", st.ID, st.Version).Exec(ctx)
		if err != nil {
			return mapErr(err, statement.ErrNotFound, nil)
		}
		if err := requireRow(res, statement.ErrVersionChanged); err != nil {
			return err
		}
	}
	return nil
}

// List returns a page of a procedure's statements in receipt order.
func (s *Statements) List(ctx context.Context, f statement.Filter) (statement.Page, error) {
	q := s.listQuery(f)
	if words := strings.TrimSpace(f.Text); words != "" {
		q = searchStatements(s.db, func() *bun.SelectQuery { return s.listQuery(f) }, f.ProcedureID, f.Limit+1, words)
	}
	var rows []statementRow
	if err := q.OrderExpr("s.seq").Limit(int64(f.Limit+1)).Scan(ctx, &rows); err != nil {
		return statement.Page{}, err
	}
	var page statement.Page
	if len(rows) > f.Limit {
		rows = rows[:f.Limit]
		page.NextCursor = strconv.Itoa(rows[len(rows)-1].Seq)
	}
	items, err := s.withAttachments(ctx, rows)
	page.Items = items
	return page, err
}

// listQuery selects a procedure's statements that pass a filter's conditions
// other than its search words.
func (s *Statements) listQuery(f statement.Filter) *bun.SelectQuery {
	q := s.db.NewSelect().Model((*statementRow)(nil)).
		Where("s.procedure_id = ?", f.ProcedureID)
	if f.PhaseID != uuid.Nil {
		q = q.Where("s.phase_id = ?", f.PhaseID)
	}
	if f.Status != "" {
		q = q.Where("s.status = ?", f.Status)
	}
	if f.Topic != "" {
		q = q.Where("? = ANY (s.topics)", f.Topic)
	}
	if f.Kind != "" {
		q = q.Where("s.kind = ?", f.Kind)
	}
	if f.Channel != "" {
		q = q.Where("s.channel = ?", f.Channel)
	}
	if f.GroupID != uuid.Nil {
		q = q.Where("s.group_id = ?", f.GroupID)
	}
	if f.HasAttachments != nil {
		exists := "EXISTS (SELECT 1 FROM statement_attachments sa WHERE sa.statement_id = s.id)"
		if !*f.HasAttachments {
			exists = "NOT " + exists
		}
		q = q.Where(exists)
	}
	if f.Timely != nil {
		q = q.Where("s.timely = ?", *f.Timely)
	}
	if f.Withdrawn != nil {
		if *f.Withdrawn {
			q = q.Where("s.withdrawn_at IS NOT NULL")
		} else {
			q = q.Where("s.withdrawn_at IS NULL")
		}
	}
	if f.AfterSeq > 0 {
		q = q.Where("s.seq > ?", f.AfterSeq)
	}
	return q
}

// SimilarPairs returns pairs of a procedure's statements (not withdrawn) whose
// folded texts are at least threshold similar (pg_trgm), for finding mass
// statements. Identical texts are similar 1. It first indexes the
// procedure's statements still queued for search, so in a transaction.
func (s *Statements) SimilarPairs(ctx context.Context, procedureID uuid.UUID, threshold float64) ([][2]uuid.UUID, error) {
	var pairs []struct {
		A uuid.UUID `bun:"a"`
		B uuid.UUID `bun:"b"`
	}
	if err := indexProcedure(ctx, s.db, procedureID); err != nil {
		return nil, err
	}
	// The % operator uses the trigram index; its threshold is set for this
	// transaction only.
	if _, err := s.db.NewRaw("SELECT set_config('pg_trgm.similarity_threshold', ?, true)", fmt.Sprint(threshold)).Exec(ctx); err != nil {
		return nil, err
	}
	err := s.db.NewRaw(`
		SELECT a.id AS a, b.id AS b
		FROM statement_search xa
		JOIN statement_search xb ON xb.procedure_id = xa.procedure_id AND xb.text_plain % xa.text_plain
		JOIN statements a ON a.id = xa.statement_id
		JOIN statements b ON b.id = xb.statement_id AND b.seq > a.seq
		WHERE xa.procedure_id = ? AND a.withdrawn_at IS NULL AND b.withdrawn_at IS NULL
		ORDER BY a.seq, b.seq`, procedureID).Scan(ctx, &pairs)
	if err != nil {
		return nil, err
	}
	out := make([][2]uuid.UUID, len(pairs))
	for i, p := range pairs {
		out[i] = [2]uuid.UUID{p.A, p.B}
	}
	return out, nil
}

// SetGroups records the mass-statement groups of a procedure (statement ID →
// group ID) and clears the group of every statement not in one. Groups are
// not part of the weighing, so versions stay as they are.
func (s *Statements) SetGroups(ctx context.Context, procedureID uuid.UUID, groups map[uuid.UUID]uuid.UUID) error {
	if _, err := s.db.NewRaw(`UPDATE statements SET group_id = NULL WHERE procedure_id = ? AND group_id IS NOT NULL`,
		procedureID).Exec(ctx); err != nil {
		return err
	}
	ids, gids := make([]uuid.UUID, 0, len(groups)), make([]uuid.UUID, 0, len(groups))
	for id, gid := range groups {
		ids, gids = append(ids, id), append(gids, gid)
	}
	if len(ids) == 0 {
		return nil
	}
	_, err := s.db.NewRaw(`
		UPDATE statements s SET group_id = v.gid
		FROM unnest(?::uuid[], ?::uuid[]) AS v(id, gid)
		WHERE s.id = v.id AND s.procedure_id = ?`, pgdialect.Array(ids), pgdialect.Array(gids), procedureID).Exec(ctx)
	return err
}

// Count returns how many statements a procedure has received (withdrawn ones
// included: they were received).
func (s *Statements) Count(ctx context.Context, procedureID uuid.UUID) (int, error) {
	n, err := s.db.NewSelect().Model((*statementRow)(nil)).Where("s.procedure_id = ?", procedureID).Count(ctx)
	return int(n), err
}

// escapeLike makes s match itself literally in a LIKE pattern.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
