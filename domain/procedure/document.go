package procedure

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"beteiligungsportal/domain"
)

// DocumentKind says what a document is for.
type DocumentKind string

// Document kinds.
const (
	// DocumentMaterial is what the agency lays out for participation: plan
	// drawings, explanatory report, environmental report, expert opinions.
	DocumentMaterial DocumentKind = "material"
	// DocumentResult is published with the outcome: the decision, the
	// assessment of the statements, the final plan.
	DocumentResult DocumentKind = "result"
)

// Valid reports whether k is a known kind.
func (k DocumentKind) Valid() bool { return k == DocumentMaterial || k == DocumentResult }

// Document errors.
var (
	ErrDocumentNotFound      = domain.NewRule(domain.ErrNotFound, "document.not_found")
	ErrDocumentType          = domain.NewRule(domain.ErrInvalid, "document.type_not_allowed")
	ErrDocumentTooLarge      = domain.NewRule(domain.ErrInvalid, "document.too_large")
	ErrDocumentEmpty         = domain.NewRule(domain.ErrInvalid, "document.empty")
	ErrDocumentsFull         = domain.NewRule(domain.ErrConflict, "document.procedure_limit")
	ErrDocumentSuperseded    = domain.NewRule(domain.ErrConflict, "document.superseded")
	ErrDocumentsLocked       = domain.NewRule(domain.ErrConflict, "document.locked")
	ErrResultTooEarly        = domain.NewRule(domain.ErrConflict, "document.result_too_early")
	ErrDocumentDeletePublic  = domain.NewRule(domain.ErrConflict, "document.delete_published")
	ErrDocumentOrderMismatch = domain.NewRule(domain.ErrInvalid, "document.order_mismatch")
)

// DocumentTypes are the media types an agency may upload, detected from the
// content: PDF, common images and office files (OOXML, OpenDocument and the
// old binary formats many agencies still produce).
var DocumentTypes = map[string]string{
	"application/pdf": "pdf",
	"image/png":       "png",
	"image/jpeg":      "jpg",
	"image/webp":      "webp",
	"image/tiff":      "tif",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document":   "docx",
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":         "xlsx",
	"application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
	"application/vnd.oasis.opendocument.text":                                   "odt",
	"application/vnd.oasis.opendocument.spreadsheet":                            "ods",
	"application/vnd.oasis.opendocument.presentation":                           "odp",
	"application/msword":            "doc",
	"application/vnd.ms-excel":      "xls",
	"application/vnd.ms-powerpoint": "ppt",
}

// DocumentLimits bound what one procedure may hold.
type DocumentLimits struct {
	MaxFileSize int64 // bytes per file
	MaxTotal    int64 // bytes per procedure, superseded versions included
	MaxCount    int   // files per procedure, superseded versions included
}

// Document is a file published with a procedure. Documents are never
// rewritten: a replacement is a new document, and the old one stays
// downloadable, marked as superseded, so that what was laid out can be proven.
type Document struct {
	ID           uuid.UUID
	ProcedureID  uuid.UUID
	Kind         DocumentKind
	Title        string
	FileName     string
	ContentType  string
	Size         int64
	SHA256       string
	StorageKey   string
	Position     int       // order among the current documents of its kind, from 1
	Replaces     uuid.UUID // the version this one superseded, if any
	SupersededBy uuid.UUID
	SupersededAt time.Time
	UploadedBy   uuid.UUID
	UploadedAt   time.Time
}

// Current reports whether the document is the latest version.
func (d Document) Current() bool { return d.SupersededBy == uuid.Nil }

const maxDocumentTitle = 300

// DocumentInput is an upload after its bytes were stored.
type DocumentInput struct {
	ID          uuid.UUID
	Kind        DocumentKind
	Title       string // empty: the file name
	FileName    string
	ContentType string // detected from the content
	Size        int64
	SHA256      string
	StorageKey  string
}

// CheckUpload validates what is known before the bytes are stored: the
// detected type, the size and the procedure's limits and state. AddDocument
// checks it again under the procedure's lock.
func CheckUpload(p *Procedure, docs []Document, in DocumentInput, limits DocumentLimits, now time.Time) error {
	var v domain.ValidationError
	if !in.Kind.Valid() {
		v.Add("kind", "document.kind_invalid")
	}
	if utf8.RuneCountInString(in.Title) > maxDocumentTitle {
		v.Add("title", "too_long")
	}
	if rawHTML.MatchString(in.Title) {
		v.Add("title", "procedure.html_not_allowed")
	}
	if err := v.Err(); err != nil {
		return err
	}
	if err := canChangeDocuments(p, in.Kind, now); err != nil {
		return err
	}
	if _, ok := DocumentTypes[in.ContentType]; !ok {
		return ErrDocumentType
	}
	switch {
	case in.Size == 0:
		return ErrDocumentEmpty
	case in.Size > limits.MaxFileSize:
		return ErrDocumentTooLarge
	}
	var total int64
	for _, d := range docs {
		total += d.Size
	}
	if len(docs) >= limits.MaxCount || total+in.Size > limits.MaxTotal {
		return ErrDocumentsFull
	}
	return nil
}

// canChangeDocuments: material may change until the procedure is concluded;
// results belong to the evaluation and the conclusion; an archive is closed.
func canChangeDocuments(p *Procedure, kind DocumentKind, now time.Time) error {
	switch s := p.Status(now); {
	case s == StatusArchived:
		return ErrDocumentsLocked
	case kind == DocumentMaterial && s == StatusConcluded:
		return ErrDocumentsLocked
	case kind == DocumentResult && s != StatusEvaluation && s != StatusConcluded:
		return ErrResultTooEarly
	}
	return nil
}

// AddDocument appends a new document at the end of its kind's list.
func AddDocument(p *Procedure, docs []Document, in DocumentInput, by uuid.UUID, limits DocumentLimits, now time.Time) (Document, error) {
	if err := CheckUpload(p, docs, in, limits, now); err != nil {
		return Document{}, err
	}
	d := newDocument(p, in, by, now)
	for _, o := range docs {
		if o.Current() && o.Kind == d.Kind && o.Position >= d.Position {
			d.Position = o.Position + 1
		}
	}
	if d.Position == 0 {
		d.Position = 1
	}
	return d, nil
}

// ReplaceDocument makes in the new version of old, at old's place; old stays
// stored and is marked superseded. The caller saves both.
func ReplaceDocument(p *Procedure, docs []Document, old *Document, in DocumentInput, by uuid.UUID, limits DocumentLimits, now time.Time) (Document, error) {
	if !old.Current() {
		return Document{}, ErrDocumentSuperseded
	}
	in.Kind = old.Kind
	if strings.TrimSpace(in.Title) == "" {
		in.Title = old.Title
	}
	if err := CheckUpload(p, docs, in, limits, now); err != nil {
		return Document{}, err
	}
	d := newDocument(p, in, by, now)
	d.Position, d.Replaces = old.Position, old.ID
	old.SupersededBy, old.SupersededAt, old.Position = d.ID, d.UploadedAt, 0
	return d, nil
}

func newDocument(p *Procedure, in DocumentInput, by uuid.UUID, now time.Time) Document {
	title := strings.TrimSpace(in.Title)
	if title == "" {
		title = in.FileName
	}
	return Document{ID: in.ID, ProcedureID: p.ID, Kind: in.Kind, Title: title, FileName: in.FileName,
		ContentType: in.ContentType, Size: in.Size, SHA256: in.SHA256, StorageKey: in.StorageKey,
		UploadedBy: by, UploadedAt: now.UTC()}
}

// ReorderDocuments sets the order of the current documents of one kind; order
// must name each of them exactly once. It returns the documents whose
// position changed.
func ReorderDocuments(p *Procedure, docs []Document, kind DocumentKind, order []uuid.UUID, now time.Time) ([]Document, error) {
	if err := canChangeDocuments(p, kind, now); err != nil {
		return nil, err
	}
	var current []uuid.UUID
	for _, d := range docs {
		if d.Current() && d.Kind == kind {
			current = append(current, d.ID)
		}
	}
	sorted := slices.Clone(order)
	slices.SortFunc(sorted, func(a, b uuid.UUID) int { return strings.Compare(a.String(), b.String()) })
	slices.SortFunc(current, func(a, b uuid.UUID) int { return strings.Compare(a.String(), b.String()) })
	if !slices.Equal(sorted, current) {
		return nil, ErrDocumentOrderMismatch
	}
	var changed []Document
	for _, d := range docs {
		if i := slices.Index(order, d.ID); i >= 0 && d.Position != i+1 {
			d.Position = i + 1
			changed = append(changed, d)
		}
	}
	return changed, nil
}

// CanDeleteDocument: only a draft's documents can be deleted; once published
// a document can only be replaced, so that what citizens saw stays provable.
func CanDeleteDocument(p *Procedure) error {
	if !p.IsDraft() {
		return ErrDocumentDeletePublic
	}
	return nil
}
