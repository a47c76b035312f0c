package procedure

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"

	"beteiligungsportal/app/audit"
	"beteiligungsportal/app/filetype"
	"beteiligungsportal/domain/account"
	"beteiligungsportal/domain/file"
	"beteiligungsportal/domain/procedure"
)

// DocumentStore persists document metadata; the bytes are in the file store.
type DocumentStore interface {
	List(ctx context.Context, procedureID uuid.UUID) ([]procedure.Document, error)
	Get(ctx context.Context, procedureID, id uuid.UUID) (procedure.Document, error)
	Insert(ctx context.Context, d procedure.Document) error
	Save(ctx context.Context, docs ...procedure.Document) error
	Delete(ctx context.Context, id uuid.UUID) error
}

// Upload is a file sent by an agency.
type Upload struct {
	Kind     procedure.DocumentKind // for a replacement: ignored, the old one's kind
	Title    string
	FileName string
	Size     int64 // as announced by the client; the stored size must match
	Content  io.Reader
}

// AddDocument stores an upload as a new document of the procedure.
func (s *Service) AddDocument(ctx context.Context, p account.Principal, procID uuid.UUID, up Upload) (procedure.Document, error) {
	return s.upload(ctx, p, procID, uuid.Nil, up)
}

// ReplaceDocument stores an upload as the new version of document oldID; the
// old version stays downloadable, marked superseded.
func (s *Service) ReplaceDocument(ctx context.Context, p account.Principal, procID, oldID uuid.UUID, up Upload) (procedure.Document, error) {
	return s.upload(ctx, p, procID, oldID, up)
}

// upload checks what it can before storing the bytes (so that a refused
// upload costs no storage), stores them, and then records the document under
// the procedure's lock, checking everything again. Bytes whose record fails
// are removed; a crash in between leaves an unreferenced object, never a
// record without bytes.
func (s *Service) upload(ctx context.Context, p account.Principal, procID, oldID uuid.UUID, up Upload) (procedure.Document, error) {
	action := "document.add"
	if oldID != uuid.Nil {
		action = "document.replace"
	}
	contentType, content, err := filetype.Sniff(up.Content)
	if err != nil {
		return procedure.Document{}, fmt.Errorf("%s: read upload: %w", action, err)
	}
	in := procedure.DocumentInput{ID: uuid.Must(uuid.NewV7()), Kind: up.Kind, Title: up.Title,
		FileName: file.CleanName(up.FileName, "dokument"), ContentType: contentType, Size: up.Size}
	in.StorageKey = fmt.Sprintf("procedures/%s/documents/%s", procID, in.ID)

	// Before storing: may p change this procedure's documents, and does the
	// upload fit its type, size and limits?
	err = s.tx.Read(ctx, func(ctx context.Context, r Repos) error {
		pr, docs, old, err := s.loadForDocuments(ctx, r, p, procID, oldID, false)
		if err != nil {
			return err
		}
		if old != nil {
			in.Kind = old.Kind
		}
		return procedure.CheckUpload(&pr, docs, in, s.limits, s.now())
	})
	if err != nil {
		return procedure.Document{}, fmt.Errorf("%s: %w", action, err)
	}

	obj, err := s.files.Put(ctx, in.StorageKey, content, up.Size, contentType)
	if err != nil {
		if errors.Is(err, file.ErrSizeMismatch) {
			return procedure.Document{}, fmt.Errorf("%s: %w: %w", action, procedure.ErrDocumentTooLarge, err)
		}
		return procedure.Document{}, fmt.Errorf("%s: store: %w", action, err)
	}
	in.Size, in.SHA256 = obj.Size, obj.SHA256

	var doc procedure.Document
	err = s.tx.InTx(ctx, func(ctx context.Context, r Repos) error {
		pr, docs, old, err := s.loadForDocuments(ctx, r, p, procID, oldID, true)
		if err != nil {
			return err
		}
		now := s.now()
		details := map[string]any{"document_id": in.ID, "file_name": in.FileName, "content_type": in.ContentType,
			"size": in.Size, "sha256": in.SHA256}
		if old == nil {
			doc, err = procedure.AddDocument(&pr, docs, in, p.Account.ID, s.limits, now)
			if err == nil {
				err = r.Documents.Insert(ctx, doc)
			}
		} else {
			details["replaces"] = old.ID
			doc, err = procedure.ReplaceDocument(&pr, docs, old, in, p.Account.ID, s.limits, now)
			if err == nil {
				err = r.Documents.Insert(ctx, doc)
			}
			if err == nil {
				err = r.Documents.Save(ctx, *old)
			}
		}
		if err != nil {
			return err
		}
		details["kind"], details["title"] = doc.Kind, doc.Title
		return audit.Record(ctx, r.Audit, p, pr.OrganisationID, action, "procedure", pr.ID.String(), details)
	})
	if err != nil {
		s.removeFile(ctx, in.StorageKey)
		return procedure.Document{}, fmt.Errorf("%s: %w", action, err)
	}
	return doc, nil
}

// loadForDocuments loads the procedure (locked if lock), checks that p may
// change it, and loads its documents and, if oldID is set, that document.
func (s *Service) loadForDocuments(ctx context.Context, r Repos, p account.Principal, procID, oldID uuid.UUID, lock bool) (
	pr procedure.Procedure, docs []procedure.Document, old *procedure.Document, err error) {
	if lock {
		pr, err = r.Procedures.GetForUpdate(ctx, procID)
	} else {
		pr, err = r.Procedures.Get(ctx, procID)
	}
	if err != nil {
		return pr, nil, nil, err
	}
	if err := canChange(p, pr); err != nil {
		return pr, nil, nil, err
	}
	if docs, err = r.Documents.List(ctx, procID); err != nil {
		return pr, nil, nil, err
	}
	if oldID != uuid.Nil {
		for i := range docs {
			if docs[i].ID == oldID {
				old = &docs[i]
			}
		}
		if old == nil {
			return pr, nil, nil, procedure.ErrDocumentNotFound
		}
	}
	return pr, docs, old, nil
}

// ReorderDocuments sets the order of the current documents of one kind.
func (s *Service) ReorderDocuments(ctx context.Context, p account.Principal, procID uuid.UUID, kind procedure.DocumentKind, order []uuid.UUID) ([]procedure.Document, error) {
	var out []procedure.Document
	err := s.tx.InTx(ctx, func(ctx context.Context, r Repos) error {
		pr, docs, _, err := s.loadForDocuments(ctx, r, p, procID, uuid.Nil, true)
		if err != nil {
			return err
		}
		changed, err := procedure.ReorderDocuments(&pr, docs, kind, order, s.now())
		if err != nil {
			return err
		}
		if err := r.Documents.Save(ctx, changed...); err != nil {
			return err
		}
		if out, err = r.Documents.List(ctx, procID); err != nil {
			return err
		}
		return audit.Record(ctx, r.Audit, p, pr.OrganisationID, "document.reorder", "procedure", pr.ID.String(),
			map[string]any{"kind": kind, "order": order})
	})
	if err != nil {
		return nil, fmt.Errorf("document.reorder: %w", err)
	}
	return out, nil
}

// DeleteDocument removes a document of a draft, and then its bytes.
func (s *Service) DeleteDocument(ctx context.Context, p account.Principal, procID, docID uuid.UUID) error {
	var doc procedure.Document
	err := s.tx.InTx(ctx, func(ctx context.Context, r Repos) error {
		pr, _, old, err := s.loadForDocuments(ctx, r, p, procID, docID, true)
		if err != nil {
			return err
		}
		if err := procedure.CanDeleteDocument(&pr); err != nil {
			return err
		}
		doc = *old
		if err := r.Documents.Delete(ctx, docID); err != nil {
			return err
		}
		return audit.Record(ctx, r.Audit, p, pr.OrganisationID, "document.delete", "procedure", pr.ID.String(),
			map[string]any{"document_id": doc.ID, "file_name": doc.FileName, "sha256": doc.SHA256})
	})
	if err != nil {
		return fmt.Errorf("document.delete: %w", err)
	}
	s.removeFile(ctx, doc.StorageKey)
	return nil
}

// Documents returns the documents of a procedure that the caller obtained
// through Get, which decided whether the caller may see it.
func (s *Service) Documents(ctx context.Context, pr procedure.Procedure) (docs []procedure.Document, err error) {
	err = s.tx.Read(ctx, func(ctx context.Context, r Repos) error {
		docs, err = r.Documents.List(ctx, pr.ID)
		return err
	})
	return docs, err
}

// OpenDocument opens a document for download. Anyone may download the
// documents of published procedures, superseded versions included; a draft's
// documents only its organisation's staff. The caller closes the reader; ctx
// must live until then.
func (s *Service) OpenDocument(ctx context.Context, p *account.Principal, idOrSlug string, docID uuid.UUID) (procedure.Procedure, procedure.Document, file.Reader, error) {
	pr, err := s.Get(ctx, p, idOrSlug)
	if err != nil {
		return pr, procedure.Document{}, nil, err
	}
	var doc procedure.Document
	err = s.tx.Read(ctx, func(ctx context.Context, r Repos) error {
		doc, err = r.Documents.Get(ctx, pr.ID, docID)
		return err
	})
	if err != nil {
		return pr, procedure.Document{}, nil, err
	}
	rd, _, err := s.files.Open(ctx, doc.StorageKey)
	if errors.Is(err, file.ErrNotFound) {
		// The record outlived its bytes (a restored database, a lost volume):
		// an operator must know, the user gets a plain 404.
		s.log.Error("document bytes missing", "document_id", doc.ID, "key", doc.StorageKey)
		return pr, procedure.Document{}, nil, procedure.ErrDocumentNotFound
	}
	if err != nil {
		return pr, procedure.Document{}, nil, fmt.Errorf("open document %s: %w", doc.ID, err)
	}
	return pr, doc, rd, nil
}

// removeFile deletes bytes that no record refers to any more. A failure is
// logged, not returned: the record's change is what counts, and an
// unreferenced object costs only space.
func (s *Service) removeFile(ctx context.Context, key string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := s.files.Delete(ctx, key); err != nil {
		s.log.Warn("file not removed", "key", key, "err", err)
	}
}
