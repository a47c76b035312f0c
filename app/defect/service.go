package defect

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"golang.org/x/text/unicode/norm"

	"beteiligungsportal/app/audit"
	"beteiligungsportal/app/filetype"
	"beteiligungsportal/app/photo"
	"beteiligungsportal/domain"
	"beteiligungsportal/domain/account"
	"beteiligungsportal/domain/defect"
	"beteiligungsportal/domain/file"
	"beteiligungsportal/domain/geo"
	"beteiligungsportal/domain/procedure"
)

// Config are the settings of defect reporting.
type Config struct {
	Secret []byte // derives submitter tokens and support fingerprints
	Photos defect.PhotoLimits
	// IsKeyRace tells the store's error for a concurrent insert with the
	// same idempotency key.
	IsKeyRace func(error) bool
}

// Service implements the defect reporting use cases.
type Service struct {
	tx    TxRunner
	files file.Store
	cfg   Config
	log   *slog.Logger
	now   func() time.Time
}

// NewService returns a Service.
func NewService(tx TxRunner, files file.Store, cfg Config, log *slog.Logger, now func() time.Time) *Service {
	if cfg.Photos.MaxPixels == 0 {
		cfg.Photos.MaxPixels = 50_000_000
	}
	return &Service{tx: tx, files: files, cfg: cfg, log: log, now: now}
}

// Limits returns the photo limits.
func (s *Service) Limits() defect.PhotoLimits { return s.cfg.Photos }

// Upload is a photo as sent.
type Upload struct {
	FileName string
	Size     int64
	Content  io.Reader
}

// Submission is a report with its photos.
type Submission struct {
	Input          defect.Input
	Photos         []Upload
	IdempotencyKey string
	Source         defect.Source
	ClientID       uuid.UUID
}

// Receipt is what the submitter gets: the report and its secret token.
type Receipt struct {
	Report   defect.Report
	Token    string
	Replayed bool
}

// View is a report with what readers need around it.
type View struct {
	Report    defect.Report
	Category  defect.Category
	Procedure procedure.Procedure
	Agency    string // the responsible organisation's name
	Events    []defect.Event
	// DuplicateOf is the public ID of the report this one duplicates.
	DuplicateOf string
	// Originals are the public IDs of the reports that steps to "duplicate"
	// in Events named, by internal ID.
	Originals map[uuid.UUID]string
	// Internal: the reader is staff of an organisation that runs or received
	// the report and sees e-mail, internal notes and hidden content.
	Internal bool
}

func eventOriginals(events []defect.Event) []uuid.UUID {
	var ids []uuid.UUID
	for _, e := range events {
		if e.DuplicateOf != uuid.Nil {
			ids = append(ids, e.DuplicateOf)
		}
	}
	return ids
}

type replay struct{ r defect.Report }

func (replay) Error() string { return "replay" }

// Submit receives a report. Photos are cleaned and stored before the
// transaction; the report, its photos' records, its audit entry and its
// confirmation mail commit together.
func (s *Service) Submit(ctx context.Context, author *account.Principal, procRef string, sub Submission) (Receipt, error) {
	in := clean(sub.Input)
	if sub.Source == "" {
		sub.Source = defect.SourceWeb
	}
	digest := requestDigest(procRef, in, sub)
	var pr procedure.Procedure
	var cat defect.Category
	err := s.tx.Read(ctx, func(ctx context.Context, r Repos) error {
		var err error
		if in.CategoryCode != "" && in.CategoryID == uuid.Nil {
			if cat, err = r.Defects.CategoryByCode(ctx, in.CategoryCode); err != nil {
				return err
			}
			if pr, err = r.Procedures.Get(ctx, cat.ProcedureID); err != nil {
				return err
			}
			if err := checkProcedure(&pr); err != nil {
				return err
			}
		} else {
			if pr, err = s.procedure(ctx, r, procRef); err != nil {
				return err
			}
		}
		if sub.IdempotencyKey != "" {
			if prev, d, err := r.Defects.ByIdempotencyKey(ctx, pr.ID, sub.IdempotencyKey); err == nil {
				if d != digest {
					return defect.ErrKeyReused
				}
				return replay{prev}
			} else if !errors.Is(err, domain.ErrNotFound) {
				return err
			}
		}
		if pr.Status(s.now()) != procedure.StatusOpen {
			return defect.ErrClosed
		}
		if cat.ID == uuid.Nil {
			cats, err := r.Defects.CategoriesByID(ctx, []uuid.UUID{in.CategoryID})
			if err != nil {
				return err
			}
			var ok bool
			if cat, ok = cats[in.CategoryID]; !ok || cat.ProcedureID != pr.ID {
				return &domain.ValidationError{Fields: []domain.FieldError{{Field: "category_id", Code: "defect.category_not_found"}}}
			}
		}
		if !cat.Active {
			return &domain.ValidationError{Fields: []domain.FieldError{{Field: "category_id", Code: "defect.category_inactive"}}}
		}
		var area geo.Area
		if len(pr.AreaGeoJSON) > 0 {
			area, _ = geo.ParseArea(pr.AreaGeoJSON)
		}
		if err := in.Validate(area); err != nil {
			return err
		}
		return defect.CheckPhotoCount(len(sub.Photos), s.cfg.Photos)
	})
	var rp replay
	if errors.As(err, &rp) {
		return Receipt{Report: rp.r, Token: s.token(rp.r.ID), Replayed: true}, nil
	}
	if err != nil {
		return Receipt{}, fmt.Errorf("submit defect report: %w", err)
	}

	id := uuid.Must(uuid.NewV7())
	photos, err := s.storePhotos(ctx, pr.ID, id, sub.Photos)
	if err != nil {
		return Receipt{}, fmt.Errorf("submit defect report: %w", err)
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	rep := defect.Report{ID: id, ProcedureID: pr.ID, OrganisationID: pr.OrganisationID, CategoryID: cat.ID,
		Description: in.Description, Location: *in.Location, Address: in.Address, Email: in.Email, MediaURL: in.MediaURL,
		Status: defect.StatusNew, Source: sub.Source, ClientID: sub.ClientID, Photos: photos,
		CreatedAt: now, UpdatedAt: now, Version: 1}
	token := s.token(id)
	err = s.tx.InTx(ctx, func(ctx context.Context, r Repos) error {
		n, err := r.Defects.NextNumber(ctx)
		if err != nil {
			return err
		}
		rep.Number, rep.PublicID = n, defect.FormatPublicID(n)
		if err := r.Defects.Insert(ctx, rep, sub.IdempotencyKey, digest, hashToken(token)); err != nil {
			return err
		}
		if err := s.confirm(ctx, r, &pr, cat, rep, token); err != nil {
			return err
		}
		return audit.Record(ctx, r.Audit, principalOrNone(author), pr.OrganisationID, "defect.submit", "defect_report", rep.ID.String(),
			map[string]any{"public_id": rep.PublicID, "category": cat.Code, "photos": len(photos), "source": string(rep.Source)})
	})
	if err != nil {
		s.removePhotos(ctx, photos)
		if s.cfg.IsKeyRace != nil && s.cfg.IsKeyRace(err) {
			return s.replayKey(ctx, pr.ID, sub.IdempotencyKey, digest)
		}
		return Receipt{}, fmt.Errorf("submit defect report: %w", err)
	}
	return Receipt{Report: rep, Token: token}, nil
}

func (s *Service) replayKey(ctx context.Context, procID uuid.UUID, key, digest string) (Receipt, error) {
	var rec Receipt
	err := s.tx.Read(ctx, func(ctx context.Context, r Repos) error {
		prev, d, err := r.Defects.ByIdempotencyKey(ctx, procID, key)
		if err != nil {
			return err
		}
		if d != digest {
			return defect.ErrKeyReused
		}
		rec = Receipt{Report: prev, Token: s.token(prev.ID), Replayed: true}
		return nil
	})
	if err != nil {
		return Receipt{}, fmt.Errorf("submit defect report: %w", err)
	}
	return rec, nil
}

// procedure finds a published defect-reporting procedure by ID or slug.
func (s *Service) procedure(ctx context.Context, r Repos, ref string) (procedure.Procedure, error) {
	pr, err := r.Procedures.GetByRef(ctx, ref)
	if err != nil {
		return pr, err
	}
	return pr, checkProcedure(&pr)
}

// staffProcedure resolves ref for work that an organisation's staff may do
// while the procedure is still a draft, such as setting up its categories
// before publishing; to everyone else a draft does not exist.
func (s *Service) staffProcedure(ctx context.Context, r Repos, ref string, p *account.Principal) (procedure.Procedure, error) {
	pr, err := s.procedure(ctx, r, ref)
	if !errors.Is(err, procedure.ErrNotFound) || pr.ID == uuid.Nil || !pr.IsDraft() {
		return pr, err
	}
	if p == nil || !p.CanSeeInternals(pr.OrganisationID) {
		return pr, err
	}
	if pr.Type != procedure.TypeDefectReporting {
		return pr, defect.ErrNotDefectProc
	}
	return pr, nil
}

func checkProcedure(pr *procedure.Procedure) error {
	if pr.IsDraft() {
		return procedure.ErrNotFound
	}
	if pr.Type != procedure.TypeDefectReporting {
		return defect.ErrNotDefectProc
	}
	return nil
}

// clean normalises what people typed: Unicode NFC, LF line ends, trimmed.
func clean(in defect.Input) defect.Input {
	f := func(s string) string {
		s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
		return strings.TrimSpace(norm.NFC.String(s))
	}
	in.Description, in.Address, in.Email, in.MediaURL = f(in.Description), f(in.Address), f(in.Email), strings.TrimSpace(in.MediaURL)
	in.CategoryCode = strings.TrimSpace(in.CategoryCode)
	return in
}

func requestDigest(proc string, in defect.Input, sub Submission) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s", proc, in.CategoryID, in.CategoryCode, in.Description,
		in.Address, in.Email, in.MediaURL, sub.Source, sub.ClientID)
	if in.Location != nil {
		fmt.Fprintf(h, "\x00%v,%v", in.Location.Lon, in.Location.Lat)
	}
	for _, p := range sub.Photos {
		fmt.Fprintf(h, "\x00%s\x00%d", p.FileName, p.Size)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// token is the submitter's secret: derived from the report's ID with the
// instance secret, so a retried request gets the same one.
func (s *Service) token(id uuid.UUID) string {
	m := hmac.New(sha256.New, s.cfg.Secret)
	m.Write([]byte("defect-report\x00"))
	m.Write(id[:])
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(m.Sum(nil)[:16])
}

// hashToken is what the store keeps of a token, to find a report by it.
func hashToken(t string) string {
	t = strings.ToUpper(strings.Join(strings.Fields(t), ""))
	h := sha256.Sum256([]byte(t))
	return hex.EncodeToString(h[:])
}

// storePhotos cleans and stores every photo and its preview; on failure the
// ones stored so far are removed. Only the cleaned bytes are ever stored.
func (s *Service) storePhotos(ctx context.Context, procID, reportID uuid.UUID, ups []Upload) ([]defect.Photo, error) {
	var out []defect.Photo
	fail := func(field string, code string) error {
		s.removePhotos(ctx, out)
		return &domain.ValidationError{Fields: []domain.FieldError{{Field: field, Code: code}}}
	}
	for i, u := range ups {
		field := fmt.Sprintf("photos[%d]", i)
		if s.cfg.Photos.MaxSize > 0 && u.Size > s.cfg.Photos.MaxSize {
			return nil, fail(field, "defect.photo_too_large")
		}
		data, err := photo.ReadAll(u.Content, s.cfg.Photos.MaxSize)
		if errors.Is(err, photo.ErrTooLarge) {
			return nil, fail(field, "defect.photo_too_large")
		} else if err != nil {
			s.removePhotos(ctx, out)
			return nil, err
		}
		ct := filetype.Detect(data[:min(len(data), filetype.HeadSize)])
		res, err := photo.Process(data, ct, photo.Options{MaxPixels: s.cfg.Photos.MaxPixels})
		switch {
		case errors.Is(err, photo.ErrHEIC):
			return nil, fail(field, "defect.photo_heic_unsupported")
		case errors.Is(err, photo.ErrUnsupported):
			return nil, fail(field, "defect.photo_type_unsupported")
		case errors.Is(err, photo.ErrTooLarge):
			return nil, fail(field, "defect.photo_too_many_pixels")
		case errors.Is(err, photo.ErrBroken):
			return nil, fail(field, "defect.photo_broken")
		case err != nil:
			s.removePhotos(ctx, out)
			return nil, err
		}
		p := defect.Photo{ID: uuid.Must(uuid.NewV7()), Position: i, ContentType: res.ContentType, Width: res.Width, Height: res.Height,
			Size: int64(len(res.Data)), PreviewType: res.PreviewType}
		p.StorageKey = fmt.Sprintf("defects/%s/%s/%s", procID, reportID, p.ID)
		p.PreviewKey = p.StorageKey + "-preview"
		obj, err := s.files.Put(ctx, p.StorageKey, bytes.NewReader(res.Data), int64(len(res.Data)), res.ContentType)
		if err != nil {
			s.removePhotos(ctx, out)
			return nil, fmt.Errorf("store photo: %w", err)
		}
		p.SHA256 = obj.SHA256
		if _, err := s.files.Put(ctx, p.PreviewKey, bytes.NewReader(res.Preview), int64(len(res.Preview)), res.PreviewType); err != nil {
			s.removePhotos(ctx, append(out, p))
			return nil, fmt.Errorf("store preview: %w", err)
		}
		out = append(out, p)
	}
	return out, nil
}

func (s *Service) removePhotos(ctx context.Context, list []defect.Photo) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	for _, p := range list {
		for _, k := range []string{p.StorageKey, p.PreviewKey} {
			if err := s.files.Delete(ctx, k); err != nil && !errors.Is(err, file.ErrNotFound) {
				s.log.Warn("file not removed", "key", k, "err", err)
			}
		}
	}
}

func principalOrNone(p *account.Principal) account.Principal {
	if p == nil {
		return account.Principal{}
	}
	return *p
}

// canRead: staff of the procedure's organisation or of the one it was
// forwarded to (any role).
func canRead(p *account.Principal, r *defect.Report) bool {
	if p == nil {
		return false
	}
	_, a := p.RoleIn(r.OrganisationID)
	_, b := p.RoleIn(r.ForwardedTo)
	return a || (r.ForwardedTo != uuid.Nil && b)
}

// canWork: org admins and editors of the organisation responsible now.
func canWork(p account.Principal, r *defect.Report) bool {
	return p.CanEditProcedures(r.Responsible())
}

// canModerate: org admins, editors and moderators of the procedure's
// organisation or of the responsible one.
func canModerate(p account.Principal, r *defect.Report) bool {
	return p.CanWeighStatements(r.OrganisationID) || p.CanWeighStatements(r.Responsible())
}

// Categories lists a procedure's categories: active ones for the public,
// all for its staff.
func (s *Service) Categories(ctx context.Context, p *account.Principal, procRef string) (procedure.Procedure, []defect.Category, error) {
	var pr procedure.Procedure
	var cats []defect.Category
	err := s.tx.Read(ctx, func(ctx context.Context, r Repos) error {
		var err error
		if pr, err = s.staffProcedure(ctx, r, procRef, p); err != nil {
			return err
		}
		all, err := r.Defects.Categories(ctx, pr.ID)
		if err != nil {
			return err
		}
		staff := p != nil && p.CanSeeInternals(pr.OrganisationID)
		for _, c := range all {
			if c.Active || staff {
				cats = append(cats, c)
			}
		}
		return nil
	})
	if err != nil {
		return pr, nil, fmt.Errorf("list categories: %w", err)
	}
	return pr, cats, nil
}

// SaveCategory creates (id zero) or changes a category; org admins and
// editors of the procedure's organisation may.
func (s *Service) SaveCategory(ctx context.Context, p account.Principal, procRef string, id uuid.UUID, in defect.CategoryInput) (defect.Category, error) {
	in.Name, in.Description, in.Group, in.Unit, in.Keywords = strings.TrimSpace(in.Name), strings.TrimSpace(in.Description),
		strings.TrimSpace(in.Group), strings.TrimSpace(in.Unit), strings.TrimSpace(in.Keywords)
	var c defect.Category
	err := s.tx.InTx(ctx, func(ctx context.Context, r Repos) error {
		pr, err := s.staffProcedure(ctx, r, procRef, &p)
		if err != nil {
			return err
		}
		if !p.CanEditProcedures(pr.OrganisationID) {
			return defect.ErrForbidden
		}
		if err := in.Validate(); err != nil {
			return err
		}
		action := "defect.category_create"
		if id == uuid.Nil {
			c = defect.Category{ID: uuid.Must(uuid.NewV7()), ProcedureID: pr.ID, CreatedAt: s.now().UTC()}
		} else {
			cats, err := r.Defects.CategoriesByID(ctx, []uuid.UUID{id})
			if err != nil {
				return err
			}
			var ok bool
			if c, ok = cats[id]; !ok || c.ProcedureID != pr.ID {
				return defect.ErrCategoryNotFound
			}
			action = "defect.category_update"
		}
		c.Code, c.Name, c.Description, c.Group, c.Unit, c.Keywords, c.Active, c.Position =
			in.Code, in.Name, in.Description, in.Group, in.Unit, in.Keywords, in.Active, in.Position
		if id == uuid.Nil {
			err = r.Defects.InsertCategory(ctx, c)
		} else {
			err = r.Defects.UpdateCategory(ctx, c)
		}
		if err != nil {
			return err
		}
		return audit.Record(ctx, r.Audit, p, pr.OrganisationID, action, "defect_category", c.ID.String(),
			map[string]any{"code": c.Code, "name": c.Name, "active": c.Active})
	})
	if err != nil {
		return defect.Category{}, fmt.Errorf("save category: %w", err)
	}
	return c, nil
}

// Get returns a report; staff of the organisations involved see it whole.
func (s *Service) Get(ctx context.Context, p *account.Principal, publicID string) (View, error) {
	var v View
	err := s.tx.Read(ctx, func(ctx context.Context, r Repos) error {
		rep, err := r.Defects.ByPublicID(ctx, publicID, false)
		if err != nil {
			return err
		}
		views, err := s.views(ctx, r, []defect.Report{rep})
		if err != nil {
			return err
		}
		v = views[0]
		if v.Events, err = r.Defects.Events(ctx, rep.ID); err != nil {
			return err
		}
		v.Internal = canRead(p, &rep)
		v.Originals = map[uuid.UUID]string{}
		for _, id := range append([]uuid.UUID{rep.DuplicateOf}, eventOriginals(v.Events)...) {
			if _, done := v.Originals[id]; done || id == uuid.Nil {
				continue
			}
			if o, err := r.Defects.Get(ctx, id); err == nil {
				v.Originals[id] = o.PublicID
			}
		}
		v.DuplicateOf = v.Originals[rep.DuplicateOf]
		return nil
	})
	if err != nil {
		return View{}, fmt.Errorf("get defect report: %w", err)
	}
	return v, nil
}

// views adds categories, procedures and agency names to reports.
func (s *Service) views(ctx context.Context, r Repos, reps []defect.Report) ([]View, error) {
	ids := make([]uuid.UUID, 0, len(reps))
	for _, rep := range reps {
		if !slices.Contains(ids, rep.CategoryID) {
			ids = append(ids, rep.CategoryID)
		}
	}
	cats, err := r.Defects.CategoriesByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	procs := map[uuid.UUID]procedure.Procedure{}
	names := map[uuid.UUID]string{}
	out := make([]View, len(reps))
	for i, rep := range reps {
		pr, ok := procs[rep.ProcedureID]
		if !ok {
			if pr, err = r.Procedures.Get(ctx, rep.ProcedureID); err != nil {
				return nil, err
			}
			procs[pr.ID] = pr
		}
		org := rep.Responsible()
		name, ok := names[org]
		if !ok {
			o, err := r.Organisations.Get(ctx, org)
			if err != nil && !errors.Is(err, domain.ErrNotFound) {
				return nil, err
			}
			name, names[org] = o.Name, o.Name
		}
		out[i] = View{Report: rep, Category: cats[rep.CategoryID], Procedure: pr, Agency: name}
	}
	return out, nil
}

// Page sizes of the report lists.
const (
	DefaultPage = 20   // a list page when the caller names no size
	MaxPage     = 100  // the largest list page
	MaxMapPage  = 1000 // the largest (and default) page of the map layer and of Open311
)

// Page is one page of reports, the newest first.
type Page struct {
	Items      []View
	NextCursor string // "" on the last page
}

// List returns a page of the public reports of a procedure (procRef "" for
// every defect-reporting procedure), DefaultPage reports unless f names up to
// MaxPage.
func (s *Service) List(ctx context.Context, procRef string, f defect.Filter) (Page, error) {
	if f.Limit <= 0 || f.Limit > MaxPage {
		f.Limit = DefaultPage
	}
	return s.list(ctx, procRef, f)
}

// ListMap is List with pages of up to MaxMapPage, for the map layer and for
// Open311, which lists without cursors.
func (s *Service) ListMap(ctx context.Context, procRef string, f defect.Filter) (Page, error) {
	if f.Limit <= 0 || f.Limit > MaxMapPage {
		f.Limit = MaxMapPage
	}
	return s.list(ctx, procRef, f)
}

func (s *Service) list(ctx context.Context, procRef string, f defect.Filter) (Page, error) {
	var out Page
	err := s.tx.Read(ctx, func(ctx context.Context, r Repos) error {
		f.Organisation = uuid.Nil
		if procRef != "" {
			pr, err := s.procedure(ctx, r, procRef)
			if err != nil {
				return err
			}
			f.ProcedureID = pr.ID
		}
		page, err := r.Defects.List(ctx, f)
		if err != nil {
			return err
		}
		out.NextCursor = page.NextCursor
		out.Items, err = s.views(ctx, r, page.Items)
		return err
	})
	if err != nil {
		return Page{}, fmt.Errorf("list defect reports: %w", err)
	}
	return out, nil
}

// ListForOrganisation returns a page of the reports an organisation runs or
// received, whole, for its staff; page sizes as for List.
func (s *Service) ListForOrganisation(ctx context.Context, p account.Principal, org uuid.UUID, f defect.Filter) (Page, error) {
	if _, ok := p.RoleIn(org); !ok {
		return Page{}, defect.ErrForbidden
	}
	if f.Limit <= 0 || f.Limit > MaxPage {
		f.Limit = DefaultPage
	}
	f.Organisation, f.ProcedureID = org, uuid.Nil
	var out Page
	err := s.tx.Read(ctx, func(ctx context.Context, r Repos) error {
		page, err := r.Defects.List(ctx, f)
		if err != nil {
			return err
		}
		out.NextCursor = page.NextCursor
		if out.Items, err = s.views(ctx, r, page.Items); err != nil {
			return err
		}
		for i := range out.Items {
			out.Items[i].Internal = true
		}
		return nil
	})
	if err != nil {
		return Page{}, fmt.Errorf("list defect reports: %w", err)
	}
	return out, nil
}

// Change moves a report in the workflow; org admins and editors of the
// responsible organisation may. The submitter is told by mail.
func (s *Service) Change(ctx context.Context, p account.Principal, publicID string, c defect.Change, duplicateOf string) (View, error) {
	var v View
	err := s.tx.InTx(ctx, func(ctx context.Context, r Repos) error {
		rep, err := r.Defects.ByPublicID(ctx, publicID, true)
		if err != nil {
			return err
		}
		if !canWork(p, &rep) {
			return defect.ErrForbidden
		}
		var original *defect.Report
		if c.To == defect.StatusDuplicate && duplicateOf != "" {
			o, err := r.Defects.ByPublicID(ctx, duplicateOf, false)
			if err != nil && !errors.Is(err, domain.ErrNotFound) {
				return err
			}
			if err == nil {
				original, c.DuplicateOf = &o, o.ID
			} else {
				return &domain.ValidationError{Fields: []domain.FieldError{{Field: "duplicate_of", Code: "defect.duplicate_of_invalid"}}}
			}
		}
		if c.To == defect.StatusForwarded && c.ForwardTo != uuid.Nil {
			if _, err := r.Organisations.Get(ctx, c.ForwardTo); errors.Is(err, domain.ErrNotFound) {
				return &domain.ValidationError{Fields: []domain.FieldError{{Field: "forward_to", Code: "defect.forward_to_invalid"}}}
			} else if err != nil {
				return err
			}
		}
		before := rep.Responsible()
		ev, err := rep.Apply(c, original, p.Account.ID, s.now().UTC().Truncate(time.Microsecond))
		if err != nil {
			return err
		}
		if err := r.Defects.Save(ctx, rep); err != nil {
			return err
		}
		if err := r.Defects.AddEvent(ctx, ev); err != nil {
			return err
		}
		views, err := s.views(ctx, r, []defect.Report{rep})
		if err != nil {
			return err
		}
		v = views[0]
		v.Internal = true
		if v.Events, err = r.Defects.Events(ctx, rep.ID); err != nil {
			return err
		}
		if err := s.notify(ctx, r, v, ev); err != nil {
			return err
		}
		details := map[string]any{"public_id": rep.PublicID, "from": string(ev.From), "to": string(ev.To),
			"public_comment": ev.PublicComment, "internal_note": ev.InternalNote}
		if ev.DuplicateOf != uuid.Nil {
			details["duplicate_of"] = ev.DuplicateOf.String()
		}
		if ev.ForwardedTo != uuid.Nil {
			details["forwarded_to"] = ev.ForwardedTo.String()
		}
		return audit.Record(ctx, r.Audit, p, before, "defect.status_change", "defect_report", rep.ID.String(), details)
	})
	if err != nil {
		return View{}, fmt.Errorf("change defect report: %w", err)
	}
	return v, nil
}

// Moderate hides or shows a report's text and photos; the originals stay for
// staff.
func (s *Service) Moderate(ctx context.Context, p account.Principal, publicID string, m defect.Moderation) (View, error) {
	var v View
	err := s.tx.InTx(ctx, func(ctx context.Context, r Repos) error {
		rep, err := r.Defects.ByPublicID(ctx, publicID, true)
		if err != nil {
			return err
		}
		if !canModerate(p, &rep) {
			return defect.ErrForbidden
		}
		if err := rep.Moderate(m, s.now().UTC().Truncate(time.Microsecond)); err != nil {
			return err
		}
		if err := r.Defects.Save(ctx, rep); err != nil {
			return err
		}
		views, err := s.views(ctx, r, []defect.Report{rep})
		if err != nil {
			return err
		}
		v = views[0]
		v.Internal = true
		if v.Events, err = r.Defects.Events(ctx, rep.ID); err != nil {
			return err
		}
		details := map[string]any{"public_id": rep.PublicID}
		if m.TextReason != nil {
			details["text_reason"] = *m.TextReason
		}
		if len(m.Photos) > 0 {
			ph := map[string]string{}
			for id, reason := range m.Photos {
				ph[id.String()] = reason
			}
			details["photos"] = ph
		}
		return audit.Record(ctx, r.Audit, p, rep.Responsible(), "defect.moderate", "defect_report", rep.ID.String(), details)
	})
	if err != nil {
		return View{}, fmt.Errorf("moderate defect report: %w", err)
	}
	return v, nil
}

// Support records a "me too" from one client (identified by a keyed hash of
// what the caller passes, e.g. its IP address) once per report.
func (s *Service) Support(ctx context.Context, publicID, who string) (int, error) {
	var n int
	err := s.tx.InTx(ctx, func(ctx context.Context, r Repos) error {
		rep, err := r.Defects.ByPublicID(ctx, publicID, true)
		if err != nil {
			return err
		}
		if rep.Status.Closed() {
			return defect.ErrOwnSupport
		}
		m := hmac.New(sha256.New, s.cfg.Secret)
		m.Write([]byte("defect-support\x00"))
		m.Write(rep.ID[:])
		m.Write([]byte(who))
		if err := r.Defects.AddSupport(ctx, rep.ID, hex.EncodeToString(m.Sum(nil)), s.now().UTC()); err != nil {
			return err
		}
		n = rep.Supporters + 1
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("support defect report: %w", err)
	}
	return n, nil
}

// PhotoFile opens a report's photo (or its preview). Hidden photos are
// served to staff only.
func (s *Service) PhotoFile(ctx context.Context, p *account.Principal, publicID string, photoID uuid.UUID, preview bool) (defect.Photo, file.Reader, file.Object, error) {
	var ph defect.Photo
	err := s.tx.Read(ctx, func(ctx context.Context, r Repos) error {
		rep, err := r.Defects.ByPublicID(ctx, publicID, false)
		if err != nil {
			return err
		}
		for _, x := range rep.Photos {
			if x.ID == photoID && (!x.Hidden() || canRead(p, &rep)) {
				ph = x
				return nil
			}
		}
		return defect.ErrNotFound
	})
	if err != nil {
		return ph, nil, file.Object{}, fmt.Errorf("open photo: %w", err)
	}
	key := ph.StorageKey
	if preview {
		key = ph.PreviewKey
	}
	rd, obj, err := s.files.Open(ctx, key)
	if err != nil {
		return ph, nil, file.Object{}, fmt.Errorf("open photo: %w", err)
	}
	return ph, rd, obj, nil
}

// ByToken finds the report a submitter's token belongs to.
func (s *Service) ByToken(ctx context.Context, token string) (defect.Report, error) {
	var rep defect.Report
	err := s.tx.Read(ctx, func(ctx context.Context, r Repos) error {
		var err error
		rep, err = r.Defects.ByTokenHash(ctx, hashToken(token))
		if errors.Is(err, domain.ErrNotFound) {
			return defect.ErrTokenInvalid
		}
		return err
	})
	return rep, err
}

// Unsubscribe removes the submitter's e-mail address, given the token.
func (s *Service) Unsubscribe(ctx context.Context, publicID, token string) error {
	return s.tx.InTx(ctx, func(ctx context.Context, r Repos) error {
		rep, err := r.Defects.ByPublicID(ctx, publicID, true)
		if err != nil {
			return err
		}
		if !hmac.Equal([]byte(hashToken(token)), []byte(hashToken(s.token(rep.ID)))) {
			return defect.ErrTokenInvalid
		}
		rep.Email = ""
		rep.Version++
		if err := r.Defects.Save(ctx, rep); err != nil {
			return err
		}
		return audit.Record(ctx, r.Audit, account.Principal{}, rep.OrganisationID, "defect.unsubscribe", "defect_report", rep.ID.String(), nil)
	})
}

// Services lists what Open311 calls services: the active categories of all
// published defect-reporting procedures, with their procedures.
func (s *Service) Services(ctx context.Context) ([]defect.Category, map[uuid.UUID]procedure.Procedure, error) {
	var out []defect.Category
	procs := map[uuid.UUID]procedure.Procedure{}
	err := s.tx.Read(ctx, func(ctx context.Context, r Repos) error {
		cats, err := r.Defects.ActiveCategories(ctx)
		if err != nil {
			return err
		}
		for _, c := range cats {
			pr, ok := procs[c.ProcedureID]
			if !ok {
				if pr, err = r.Procedures.Get(ctx, c.ProcedureID); err != nil {
					return err
				}
				procs[pr.ID] = pr
			}
			if checkProcedure(&pr) == nil {
				out = append(out, c)
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("list services: %w", err)
	}
	return out, procs, nil
}

// ClientByKey returns the active Open311 client holding key.
func (s *Service) ClientByKey(ctx context.Context, key string) (Client, error) {
	var c Client
	err := s.tx.Read(ctx, func(ctx context.Context, r Repos) error {
		var err error
		c, err = r.Defects.ClientByKeyHash(ctx, hashKey(key))
		return err
	})
	if err != nil || !c.RevokedAt.IsZero() {
		return Client{}, defect.ErrForbidden
	}
	return c, nil
}

func hashKey(k string) string {
	h := sha256.Sum256([]byte("open311-key\x00" + k))
	return hex.EncodeToString(h[:])
}

// KeyFingerprint is a non-secret name of an API key, for rate limits.
func KeyFingerprint(k string) string { return hashKey(k)[:24] }

// IssueKey creates an Open311 client and returns its key, shown only once;
// instance admins may.
func (s *Service) IssueKey(ctx context.Context, p account.Principal, name string) (Client, string, error) {
	name = strings.TrimSpace(name)
	if !p.IsInstanceAdmin() {
		return Client{}, "", defect.ErrForbidden
	}
	if name == "" || len(name) > 200 {
		return Client{}, "", &domain.ValidationError{Fields: []domain.FieldError{{Field: "name", Code: "defect.client_name_invalid"}}}
	}
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	key := "o311_" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
	c := Client{ID: uuid.Must(uuid.NewV7()), Name: name, CreatedAt: s.now().UTC()}
	err := s.tx.InTx(ctx, func(ctx context.Context, r Repos) error {
		if err := r.Defects.InsertClient(ctx, c, hashKey(key)); err != nil {
			return err
		}
		return audit.Record(ctx, r.Audit, p, uuid.Nil, "defect.open311_key_issue", "open311_client", c.ID.String(), map[string]any{"name": name})
	})
	if err != nil {
		return Client{}, "", fmt.Errorf("issue key: %w", err)
	}
	return c, key, nil
}

// Clients lists the Open311 clients; instance admins may.
func (s *Service) Clients(ctx context.Context, p account.Principal) ([]Client, error) {
	if !p.IsInstanceAdmin() {
		return nil, defect.ErrForbidden
	}
	var out []Client
	err := s.tx.Read(ctx, func(ctx context.Context, r Repos) error {
		var err error
		out, err = r.Defects.Clients(ctx)
		return err
	})
	return out, err
}

// RevokeKey ends a client's access; instance admins may.
func (s *Service) RevokeKey(ctx context.Context, p account.Principal, id uuid.UUID) error {
	if !p.IsInstanceAdmin() {
		return defect.ErrForbidden
	}
	return s.tx.InTx(ctx, func(ctx context.Context, r Repos) error {
		if err := r.Defects.RevokeClient(ctx, id, s.now().UTC()); err != nil {
			return err
		}
		return audit.Record(ctx, r.Audit, p, uuid.Nil, "defect.open311_key_revoke", "open311_client", id.String(), nil)
	})
}
