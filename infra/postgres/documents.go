package postgres

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"beteiligungsportal/domain/procedure"
)

type documentRow struct {
	bun.BaseModel `bun:"table:procedure_documents,alias:d"`

	ID           uuid.UUID `bun:"id,pk,type:uuid"`
	ProcedureID  uuid.UUID `bun:"procedure_id,type:uuid"`
	Kind         string    `bun:"kind"`
	Title        string    `bun:"title"`
	FileName     string    `bun:"file_name"`
	ContentType  string    `bun:"content_type"`
	Size         int64     `bun:"size"`
	SHA256       string    `bun:"sha256"`
	StorageKey   string    `bun:"storage_key"`
	Position     int       `bun:"position"`
	Replaces     uuid.UUID `bun:"replaces,type:uuid,nullzero"`
	SupersededBy uuid.UUID `bun:"superseded_by,type:uuid,nullzero"`
	SupersededAt time.Time `bun:"superseded_at,nullzero"`
	UploadedBy   uuid.UUID `bun:"uploaded_by,type:uuid,nullzero"`
	UploadedAt   time.Time `bun:"uploaded_at"`
}

func documentRowFrom(d procedure.Document) documentRow {
	return documentRow{ID: d.ID, ProcedureID: d.ProcedureID, Kind: string(d.Kind), Title: d.Title, FileName: d.FileName,
		ContentType: d.ContentType, Size: d.Size, SHA256: d.SHA256, StorageKey: d.StorageKey, Position: d.Position,
		Replaces: d.Replaces, SupersededBy: d.SupersededBy, SupersededAt: utc(d.SupersededAt),
		UploadedBy: d.UploadedBy, UploadedAt: utc(d.UploadedAt)}
}

func (r documentRow) toDomain() procedure.Document {
	return procedure.Document{ID: r.ID, ProcedureID: r.ProcedureID, Kind: procedure.DocumentKind(r.Kind), Title: r.Title,
		FileName: r.FileName, ContentType: r.ContentType, Size: r.Size, SHA256: r.SHA256, StorageKey: r.StorageKey,
		Position: r.Position, Replaces: r.Replaces, SupersededBy: r.SupersededBy, SupersededAt: utc(r.SupersededAt),
		UploadedBy: r.UploadedBy, UploadedAt: utc(r.UploadedAt)}
}

// Documents is the repository of procedure documents.
type Documents struct{ db bun.IDB }

// NewDocuments returns the repository over db (a pool or a transaction).
func NewDocuments(db bun.IDB) *Documents { return &Documents{db: db} }

// List returns a procedure's documents: current ones by kind and position,
// then superseded ones, newest first.
func (s *Documents) List(ctx context.Context, procedureID uuid.UUID) ([]procedure.Document, error) {
	var rows []documentRow
	if err := s.db.NewSelect().Model(&rows).Where("d.procedure_id = ?", procedureID).
		OrderExpr("d.superseded_by IS NOT NULL, d.kind, d.position, d.uploaded_at DESC, d.id").Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]procedure.Document, len(rows))
	for i, r := range rows {
		out[i] = r.toDomain()
	}
	return out, nil
}

// Get returns one document of a procedure.
func (s *Documents) Get(ctx context.Context, procedureID, id uuid.UUID) (procedure.Document, error) {
	var row documentRow
	if err := s.db.NewSelect().Model(&row).Where("d.procedure_id = ? AND d.id = ?", procedureID, id).Scan(ctx); err != nil {
		return procedure.Document{}, mapErr(err, procedure.ErrDocumentNotFound, nil)
	}
	return row.toDomain(), nil
}

// Insert stores a new document.
func (s *Documents) Insert(ctx context.Context, d procedure.Document) error {
	row := documentRowFrom(d)
	_, err := s.db.NewInsert().Model(&row).Exec(ctx)
	return mapErr(err, procedure.ErrNotFound, nil)
}

// Save stores the changeable fields of documents: position and supersession.
func (s *Documents) Save(ctx context.Context, docs ...procedure.Document) error {
	for _, d := range docs {
		row := documentRowFrom(d)
		res, err := s.db.NewUpdate().Model(&row).Column("position", "superseded_by", "superseded_at").WherePK().Exec(ctx)
		if err != nil {
			return mapErr(err, procedure.ErrDocumentNotFound, nil)
		}
		if err := requireRow(res, procedure.ErrDocumentNotFound); err != nil {
			return err
		}
	}
	return nil
}

// Delete removes a document row.
func (s *Documents) Delete(ctx context.Context, id uuid.UUID) error {
	res, err := s.db.NewDelete().Model((*documentRow)(nil)).Where("id = ?", id).Exec(ctx)
	if err != nil {
		return err
	}
	return requireRow(res, procedure.ErrDocumentNotFound)
}
