package dialog

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
	"strings"
	"time"

	"github.com/google/uuid"
	"golang.org/x/text/unicode/norm"

	"beteiligungsportal/app/audit"
	"beteiligungsportal/app/filetype"
	"beteiligungsportal/app/photo"
	"beteiligungsportal/domain"
	"beteiligungsportal/domain/account"
	"beteiligungsportal/domain/dialog"
	"beteiligungsportal/domain/file"
	"beteiligungsportal/domain/geo"
	"beteiligungsportal/domain/procedure"
)

// Config are the settings of dialogs.
type Config struct {
	Secret []byte // derives participant keys, e-mail hashes and report fingerprints
	// ConfirmFor is how long a confirmation code is valid (default 48 hours).
	ConfirmFor time.Duration
	// MaxAttachment bounds the one file of a contribution (default 8 MiB).
	MaxAttachment int64
	MaxPixels     int
}

// Service implements the dialog use cases.
type Service struct {
	tx    TxRunner
	files file.Store
	cfg   Config
	log   *slog.Logger
	now   func() time.Time
}

// NewService returns a Service.
func NewService(tx TxRunner, files file.Store, cfg Config, log *slog.Logger, now func() time.Time) *Service {
	if cfg.ConfirmFor <= 0 {
		cfg.ConfirmFor = 48 * time.Hour
	}
	if cfg.MaxAttachment <= 0 {
		cfg.MaxAttachment = 8 << 20
	}
	if cfg.MaxPixels <= 0 {
		cfg.MaxPixels = 25_000_000
	}
	return &Service{tx: tx, files: files, cfg: cfg, log: log, now: now}
}

// MaxAttachment is the largest file a contribution may carry.
func (s *Service) MaxAttachment() int64 { return s.cfg.MaxAttachment }

// Caller is who acts: a signed-in account, a participant's key from the
// e-mail confirmation, both or neither.
type Caller struct {
	Principal *account.Principal
	Token     string
}

// View is a dialog with what its reader needs around it.
type View struct {
	Procedure procedure.Procedure
	Settings  dialog.Settings
	Open      bool
	// Staff: the reader is staff of the agency and sees the unpublished summary.
	Staff bool
	// Moderator: the reader may moderate.
	Moderator bool
}

// procedure finds a published dialog by ID or slug; staff of its
// organisation also find it as a draft.
func (s *Service) procedure(ctx context.Context, r Repos, ref string, p *account.Principal) (procedure.Procedure, error) {
	pr, err := r.Procedures.GetByRef(ctx, ref)
	if err != nil {
		return pr, err
	}
	if pr.IsDraft() && (p == nil || !p.CanSeeInternals(pr.OrganisationID)) {
		return pr, procedure.ErrNotFound
	}
	if pr.Type != procedure.TypeDialog {
		return pr, dialog.ErrNotDialog
	}
	return pr, nil
}

// canModerate: org admins, editors and moderators of the dialog's organisation.
func canModerate(p *account.Principal, pr *procedure.Procedure) bool {
	return p != nil && p.CanWeighStatements(pr.OrganisationID)
}

// Get returns the dialog's public page data.
func (s *Service) Get(ctx context.Context, p *account.Principal, ref string) (View, error) {
	var v View
	err := s.tx.Read(ctx, func(ctx context.Context, r Repos) error {
		pr, err := s.procedure(ctx, r, ref, p)
		if err != nil {
			return err
		}
		set, err := r.Dialogs.Settings(ctx, pr.ID)
		if err != nil {
			return err
		}
		v = View{Procedure: pr, Settings: set, Open: len(pr.OpenPhases(s.now())) > 0,
			Staff: p != nil && p.CanSeeInternals(pr.OrganisationID), Moderator: canModerate(p, &pr)}
		return nil
	})
	if err != nil {
		return View{}, fmt.Errorf("get dialog: %w", err)
	}
	return v, nil
}

// Configure saves the agency's settings of a dialog (org admins and editors).
func (s *Service) Configure(ctx context.Context, p account.Principal, ref string, in dialog.SettingsInput) (View, error) {
	v, err := s.changeSettings(ctx, p, ref, "dialog.configure", func(set *dialog.Settings) (map[string]any, error) {
		if err := set.Apply(in, s.now()); err != nil {
			return nil, err
		}
		topics := make([]string, len(set.Topics))
		for i, t := range set.Topics {
			topics[i] = t.Name
		}
		return map[string]any{"identity": set.Identity, "moderation": set.Moderation, "topics": topics}, nil
	})
	if err != nil {
		return View{}, fmt.Errorf("configure dialog: %w", err)
	}
	return v, nil
}

// SetSummary saves the summary of the results and publishes or withdraws it.
func (s *Service) SetSummary(ctx context.Context, p account.Principal, ref, text string, publish bool) (View, error) {
	v, err := s.changeSettings(ctx, p, ref, "dialog.summary", func(set *dialog.Settings) (map[string]any, error) {
		if err := set.SetSummary(clean(text), publish, s.now()); err != nil {
			return nil, err
		}
		return map[string]any{"published": publish}, nil
	})
	if err != nil {
		return View{}, fmt.Errorf("dialog summary: %w", err)
	}
	return v, nil
}

// changeSettings changes a dialog's settings for the agency (org admins and
// editors) and records the change as action with change's details.
func (s *Service) changeSettings(ctx context.Context, p account.Principal, ref, action string,
	change func(*dialog.Settings) (map[string]any, error)) (View, error) {
	var v View
	err := s.tx.InTx(ctx, func(ctx context.Context, r Repos) error {
		pr, err := s.procedure(ctx, r, ref, &p)
		if err != nil {
			return err
		}
		if !p.CanEditProcedures(pr.OrganisationID) {
			return dialog.ErrForbidden
		}
		set, err := r.Dialogs.Settings(ctx, pr.ID)
		if err != nil {
			return err
		}
		details, err := change(&set)
		if err != nil {
			return err
		}
		if err := r.Dialogs.SaveSettings(ctx, set); err != nil {
			return err
		}
		if err := audit.Record(ctx, r.Audit, p, pr.OrganisationID, action, "procedure", pr.ID.String(), details); err != nil {
			return err
		}
		v = View{Procedure: pr, Settings: set, Open: len(pr.OpenPhases(s.now())) > 0, Staff: true, Moderator: canModerate(&p, &pr)}
		return nil
	})
	return v, err
}

// clean normalises what people typed: Unicode NFC, LF line ends, trimmed.
func clean(s string) string {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	return strings.TrimSpace(norm.NFC.String(s))
}

func (s *Service) mac(purpose string, parts ...[]byte) []byte {
	m := hmac.New(sha256.New, s.cfg.Secret)
	m.Write([]byte(purpose + "\x00"))
	for _, p := range parts {
		m.Write(p)
		m.Write([]byte{0})
	}
	return m.Sum(nil)
}

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// participantToken is a participant's key: derived from its ID, so a second
// confirmation (another device) yields the same key.
func (s *Service) participantToken(id uuid.UUID) string {
	return b32.EncodeToString(s.mac("dialog-participant", id[:])[:20])
}

func hashToken(t string) string {
	h := sha256.Sum256([]byte(strings.ToUpper(strings.TrimSpace(t))))
	return hex.EncodeToString(h[:])
}

func (s *Service) emailHash(procID uuid.UUID, email string) string {
	return hex.EncodeToString(s.mac("dialog-email", procID[:], []byte(account.NormalizeEmail(email))))
}

// pseudonymFor is the pseudonym of a participant who chose none.
func pseudonymFor(id uuid.UUID) string {
	sum := sha256.Sum256(id[:])
	return text("dialog.pseudonym_default", b32.EncodeToString(sum[:])[:5])
}

// RequestConfirmation starts the double opt-in for an e-mail address: it
// queues a mail with a confirmation code. The answer is the same whether the
// address took part before or not.
func (s *Service) RequestConfirmation(ctx context.Context, ref, email, pseudonym string) error {
	email, pseudonym = strings.TrimSpace(email), clean(pseudonym)
	var v domain.ValidationError
	if err := dialog.CheckEmail(email); err != nil {
		v.Add("email", "dialog.email_invalid")
	}
	if pseudonym != "" && dialog.CheckPseudonym(pseudonym) != nil {
		v.Add("pseudonym", "dialog.pseudonym_invalid")
	}
	if err := v.Err(); err != nil {
		return err
	}
	err := s.tx.InTx(ctx, func(ctx context.Context, r Repos) error {
		pr, err := s.procedure(ctx, r, ref, nil)
		if err != nil {
			return err
		}
		set, err := r.Dialogs.Settings(ctx, pr.ID)
		if err != nil {
			return err
		}
		if set.Identity != dialog.IdentityEmail {
			return dialog.ErrAccountRequired
		}
		if pr.Status(s.now()) != procedure.StatusOpen && pr.Status(s.now()) != procedure.StatusAnnounced {
			return dialog.ErrClosed
		}
		now := s.now()
		code := newCode()
		part := dialog.Participant{ID: uuid.Must(uuid.NewV7()), ProcedureID: pr.ID, Pseudonym: pseudonym, CreatedAt: now}
		if part.Pseudonym == "" {
			part.Pseudonym = pseudonymFor(part.ID)
		}
		part, err = r.Dialogs.RequestConfirmation(ctx, part, s.emailHash(pr.ID, email), email, hashToken(code), now.Add(s.cfg.ConfirmFor))
		if err != nil {
			return err
		}
		return r.Mail.Enqueue(ctx, confirmationMail(email, pr.Title, part.Pseudonym, code, now.Add(s.cfg.ConfirmFor)))
	})
	if err != nil {
		return fmt.Errorf("request dialog confirmation: %w", err)
	}
	return nil
}

// newCode is a confirmation code: 128 random bits in base32, in groups of four.
func newCode() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	c := b32.EncodeToString(b)
	var out []string
	for len(c) > 4 {
		out = append(out, c[:4])
		c = c[4:]
	}
	return strings.Join(append(out, c), "-")
}

// Session is what a confirmed participant gets: the key for later requests.
type Session struct {
	Participant dialog.Participant
	Token       string
}

// Confirm completes the double opt-in with the code from the mail.
func (s *Service) Confirm(ctx context.Context, code string) (Session, error) {
	code = strings.ReplaceAll(strings.ReplaceAll(strings.TrimSpace(code), "-", ""), " ", "")
	if code == "" || len(code) > 64 {
		return Session{}, dialog.ErrTokenInvalid
	}
	// The stored hash is of the code as issued, with its dashes.
	var grouped []string
	for len(code) > 4 {
		grouped = append(grouped, code[:4])
		code = code[4:]
	}
	code = strings.Join(append(grouped, code), "-")
	var out Session
	err := s.tx.InTx(ctx, func(ctx context.Context, r Repos) error {
		p, err := r.Dialogs.Confirm(ctx, hashToken(code), func(id uuid.UUID) string { return hashToken(s.participantToken(id)) }, s.now())
		if err != nil {
			return err
		}
		out = Session{Participant: p, Token: s.participantToken(p.ID)}
		return nil
	})
	if err != nil {
		return Session{}, fmt.Errorf("confirm dialog participant: %w", err)
	}
	return out, nil
}

// participant finds who is acting in the dialog. With create, an account
// takes part on its first contribution under the pseudonym (or a generated
// one); a key from the e-mail confirmation is checked.
func (s *Service) participant(ctx context.Context, r Repos, pr *procedure.Procedure, set *dialog.Settings, who Caller, pseudonym string, create bool) (dialog.Participant, error) {
	if who.Token != "" && set.Identity == dialog.IdentityEmail {
		p, err := r.Dialogs.ParticipantByToken(ctx, pr.ID, hashToken(who.Token))
		if errors.Is(err, dialog.ErrNotFound) {
			return p, dialog.ErrParticipantToken
		}
		return p, err
	}
	if who.Principal == nil {
		if set.Identity == dialog.IdentityAccount {
			return dialog.Participant{}, dialog.ErrAccountRequired
		}
		return dialog.Participant{}, dialog.ErrParticipantToken
	}
	acc := who.Principal.Account.ID
	p, err := r.Dialogs.ParticipantByAccount(ctx, pr.ID, acc)
	if !errors.Is(err, dialog.ErrNotFound) || !create {
		return p, err
	}
	pseudonym = clean(pseudonym)
	if pseudonym != "" {
		if err := dialog.CheckPseudonym(pseudonym); err != nil {
			return p, err
		}
	}
	now := s.now()
	p = dialog.Participant{ID: uuid.Must(uuid.NewV7()), ProcedureID: pr.ID, AccountID: acc, Pseudonym: pseudonym,
		ConfirmedAt: now, CreatedAt: now}
	if p.Pseudonym == "" {
		p.Pseudonym = pseudonymFor(p.ID)
	}
	return r.Dialogs.InsertParticipant(ctx, p)
}

// Upload is a contribution's file as sent.
type Upload struct {
	FileName string
	Size     int64
	Content  io.Reader
}

// Contribution is a new thread or reply with its optional file.
type Contribution struct {
	Input     dialog.Input
	Pseudonym string // for an account's first contribution
	File      *Upload
}

// Contribute adds a thread or a reply while the dialog is open. The file is
// stored before the transaction and removed again if it fails.
func (s *Service) Contribute(ctx context.Context, who Caller, ref string, sub Contribution) (dialog.Contribution, error) {
	in := sub.Input
	in.Title, in.Body = clean(in.Title), clean(in.Body)
	var out dialog.Contribution
	var stored *dialog.Attachment
	err := s.tx.InTx(ctx, func(ctx context.Context, r Repos) error {
		pr, err := s.procedure(ctx, r, ref, who.Principal)
		if err != nil {
			return err
		}
		if len(pr.OpenPhases(s.now())) == 0 {
			return dialog.ErrClosed
		}
		set, err := r.Dialogs.Settings(ctx, pr.ID)
		if err != nil {
			return err
		}
		var parent, root *dialog.Contribution
		if in.ParentID != uuid.Nil {
			pc, err := r.Dialogs.Get(ctx, in.ParentID, false)
			if errors.Is(err, dialog.ErrNotFound) || err == nil && pc.ProcedureID != pr.ID {
				return &domain.ValidationError{Fields: []domain.FieldError{{Field: "parent_id", Code: "dialog.parent_not_found"}}}
			} else if err != nil {
				return err
			}
			parent = &pc
			root = &pc
			if !pc.IsRoot() {
				// The thread's root row is locked: a reply and the closing
				// of its thread are ordered.
				rc, err := r.Dialogs.Get(ctx, pc.RootID, true)
				if err != nil {
					return err
				}
				root = &rc
			} else if rc, err := r.Dialogs.Get(ctx, pc.ID, true); err == nil {
				parent, root = &rc, &rc
			} else {
				return err
			}
		}
		var area geo.Area
		if len(pr.AreaGeoJSON) > 0 {
			area, _ = geo.ParseArea(pr.AreaGeoJSON)
		}
		if err := in.Validate(parent != nil, area, &set); err != nil {
			return err
		}
		if parent != nil {
			if err := dialog.CanReply(parent, root); err != nil {
				return err
			}
		}
		part, err := s.participant(ctx, r, &pr, &set, who, sub.Pseudonym, true)
		if err != nil {
			return err
		}
		c, err := dialog.NewContribution(pr.ID, parent, root, part.ID, in, set.Moderation, s.now())
		if err != nil {
			return err
		}
		c.Pseudonym = part.Pseudonym
		if sub.File != nil {
			if stored, err = s.storeFile(ctx, pr.ID, c.ID, sub.File); err != nil {
				return err
			}
			c.Attachment = stored
		}
		if err := r.Dialogs.Insert(ctx, c); err != nil {
			return err
		}
		out = c
		return nil
	})
	if err != nil {
		if stored != nil {
			s.removeFile(ctx, stored.StorageKey)
		}
		return dialog.Contribution{}, fmt.Errorf("contribute to dialog: %w", err)
	}
	return out, nil
}

// storeFile stores a contribution's file: photos cleaned of their metadata
// (location, camera), PDFs as sent.
func (s *Service) storeFile(ctx context.Context, procID, id uuid.UUID, u *Upload) (*dialog.Attachment, error) {
	fail := func(code string) error {
		return &domain.ValidationError{Fields: []domain.FieldError{{Field: "file", Code: code}}}
	}
	if u.Size > s.cfg.MaxAttachment {
		return nil, fail("dialog.file_too_large")
	}
	data, err := photo.ReadAll(u.Content, s.cfg.MaxAttachment)
	if errors.Is(err, photo.ErrTooLarge) {
		return nil, fail("dialog.file_too_large")
	} else if err != nil {
		return nil, err
	}
	ct := filetype.Detect(data[:min(len(data), filetype.HeadSize)])
	name := file.CleanName(u.FileName, "anhang")
	switch ct {
	case "application/pdf":
	case "image/jpeg", "image/png", "image/webp":
		res, err := photo.Process(data, ct, photo.Options{MaxPixels: s.cfg.MaxPixels})
		switch {
		case errors.Is(err, photo.ErrTooLarge):
			return nil, fail("dialog.file_too_many_pixels")
		case errors.Is(err, photo.ErrBroken):
			return nil, fail("dialog.file_broken")
		case err != nil:
			return nil, fail("dialog.file_type")
		}
		data, ct = res.Data, res.ContentType
	default:
		return nil, fail("dialog.file_type")
	}
	a := &dialog.Attachment{ID: uuid.Must(uuid.NewV7()), FileName: name, ContentType: ct, Size: int64(len(data))}
	a.StorageKey = fmt.Sprintf("dialogs/%s/%s/%s", procID, id, a.ID)
	obj, err := s.files.Put(ctx, a.StorageKey, bytes.NewReader(data), int64(len(data)), ct)
	if err != nil {
		return nil, fmt.Errorf("store dialog file: %w", err)
	}
	a.SHA256 = obj.SHA256
	return a, nil
}

func (s *Service) removeFile(ctx context.Context, key string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := s.files.Delete(ctx, key); err != nil {
		s.log.Warn("file not removed", slog.String("key", key), slog.Any("error", err))
	}
}

// ThreadsView is a page of threads for one reader.
type ThreadsView struct {
	Page dialog.Page
	// Supported: the contributions on the page the reader supports.
	Supported map[uuid.UUID]bool
}

// MaxPage is the largest page of threads.
const MaxPage = 100

// Threads lists the published threads of a dialog.
func (s *Service) Threads(ctx context.Context, who Caller, ref string, f dialog.Filter) (ThreadsView, error) {
	if f.Limit <= 0 || f.Limit > MaxPage {
		f.Limit = 20
	}
	if f.Sort == "" {
		f.Sort = dialog.SortNewest
	}
	var out ThreadsView
	err := s.tx.Read(ctx, func(ctx context.Context, r Repos) error {
		pr, err := s.procedure(ctx, r, ref, who.Principal)
		if err != nil {
			return err
		}
		f.ProcedureID = pr.ID
		if out.Page, err = r.Dialogs.Threads(ctx, f); err != nil {
			return err
		}
		out.Supported, err = s.supported(ctx, r, &pr, who, out.Page.Items)
		return err
	})
	if err != nil {
		return ThreadsView{}, fmt.Errorf("list dialog threads: %w", err)
	}
	return out, nil
}

// supported tells which of cs the caller supports; nothing for a caller
// who does not take part.
func (s *Service) supported(ctx context.Context, r Repos, pr *procedure.Procedure, who Caller, cs []dialog.Contribution) (map[uuid.UUID]bool, error) {
	if (who.Token == "" && who.Principal == nil) || len(cs) == 0 {
		return nil, nil
	}
	set, err := r.Dialogs.Settings(ctx, pr.ID)
	if err != nil {
		return nil, err
	}
	part, err := s.participant(ctx, r, pr, &set, who, "", false)
	if err != nil {
		return nil, nil // a reader without (valid) participation just sees no marks
	}
	ids := make([]uuid.UUID, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	return r.Dialogs.Supported(ctx, part.ID, ids)
}

// ThreadView is one thread: its root and every reply, oldest first, each
// pointing to its parent.
type ThreadView struct {
	Procedure procedure.Procedure
	Items     []dialog.Contribution
	Supported map[uuid.UUID]bool
	// Moderator: the reader sees hidden and pending texts.
	Moderator bool
	// Own: the contributions the caller wrote.
	Own    map[uuid.UUID]bool
	Agency string
}

// Thread returns the thread a contribution belongs to. The public sees
// hidden and deleted contributions as placeholders and pending ones not at
// all (except their authors); a thread whose root is hidden or pending is
// not public.
func (s *Service) Thread(ctx context.Context, who Caller, id uuid.UUID) (ThreadView, error) {
	var out ThreadView
	err := s.tx.Read(ctx, func(ctx context.Context, r Repos) error {
		c, err := r.Dialogs.Get(ctx, id, false)
		if err != nil {
			return err
		}
		pr, err := s.procedure(ctx, r, c.ProcedureID.String(), who.Principal)
		if err != nil {
			return dialog.ErrNotFound
		}
		out.Procedure, out.Moderator = pr, canModerate(who.Principal, &pr)
		items, err := r.Dialogs.Thread(ctx, c.RootID)
		if err != nil {
			return err
		}
		out.Own = map[uuid.UUID]bool{}
		set, err := r.Dialogs.Settings(ctx, pr.ID)
		if err != nil {
			return err
		}
		if who.Token != "" || who.Principal != nil {
			if part, err := s.participant(ctx, r, &pr, &set, who, "", false); err == nil {
				for _, it := range items {
					if it.ParticipantID == part.ID {
						out.Own[it.ID] = true
					}
				}
			}
		}
		if !out.Moderator {
			root := items[0]
			if root.State == dialog.StateHidden && !out.Own[root.ID] || root.State == dialog.StatePending && !out.Own[root.ID] {
				return dialog.ErrNotFound
			}
			kept := items[:0]
			for _, it := range items {
				if it.State == dialog.StatePending && !out.Own[it.ID] {
					continue
				}
				kept = append(kept, it)
			}
			items = kept
		}
		out.Items = items
		if out.Supported, err = s.supported(ctx, r, &pr, who, items); err != nil {
			return err
		}
		if org, err := r.Organisations.Get(ctx, pr.OrganisationID); err == nil {
			out.Agency = org.Name
		}
		return nil
	})
	if err != nil {
		return ThreadView{}, fmt.Errorf("get dialog thread: %w", err)
	}
	return out, nil
}

// Support records the caller's support of a contribution, once; it returns
// the count. Supporting again changes nothing. The checks read; the vote is
// one statement, atomic by itself, so no transaction is held open around it.
func (s *Service) Support(ctx context.Context, who Caller, id uuid.UUID, on bool) (int, error) {
	var n int
	err := s.tx.Read(ctx, func(ctx context.Context, r Repos) error {
		c, err := r.Dialogs.Get(ctx, id, false)
		if err != nil {
			return err
		}
		pr, err := s.procedure(ctx, r, c.ProcedureID.String(), who.Principal)
		if err != nil {
			return dialog.ErrNotFound
		}
		if len(pr.OpenPhases(s.now())) == 0 {
			return dialog.ErrClosed
		}
		set, err := r.Dialogs.Settings(ctx, pr.ID)
		if err != nil {
			return err
		}
		part, err := s.participant(ctx, r, &pr, &set, who, "", true)
		if err != nil {
			return err
		}
		if on {
			if c.State != dialog.StatePublished {
				return dialog.ErrNotPublished
			}
			if c.ParticipantID == part.ID {
				return dialog.ErrOwnSupport
			}
			_, n, err = r.Dialogs.AddSupport(ctx, c.ID, part.ID, s.now())
		} else {
			_, n, err = r.Dialogs.RemoveSupport(ctx, c.ID, part.ID)
		}
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("support dialog contribution: %w", err)
	}
	return n, nil
}

// Report queues a report of a contribution for the moderators. who
// identifies the reporter (e.g. the client's IP address) so that one
// person's repeated reports count once.
func (s *Service) Report(ctx context.Context, id uuid.UUID, reason dialog.ReportReason, note, who string) error {
	err := s.tx.InTx(ctx, func(ctx context.Context, r Repos) error {
		c, err := r.Dialogs.Get(ctx, id, false)
		if err != nil {
			return err
		}
		if _, err := s.procedure(ctx, r, c.ProcedureID.String(), nil); err != nil {
			return dialog.ErrNotFound
		}
		if c.State != dialog.StatePublished {
			return dialog.ErrNotPublished
		}
		rep, err := dialog.NewReport(&c, reason, clean(note), s.now())
		if err != nil {
			return err
		}
		_, err = r.Dialogs.InsertReport(ctx, rep, hex.EncodeToString(s.mac("dialog-report", c.ID[:], []byte(who))))
		return err
	})
	if err != nil {
		return fmt.Errorf("report dialog contribution: %w", err)
	}
	return nil
}

// Moderate applies a moderator's action to a contribution, records it as a
// moderation event and in the audit trail with its reason, and resolves the
// contribution's open reports when it hides it.
func (s *Service) Moderate(ctx context.Context, p account.Principal, id uuid.UUID, a dialog.Action, reason string) (dialog.Contribution, error) {
	var out dialog.Contribution
	err := s.tx.InTx(ctx, func(ctx context.Context, r Repos) error {
		c, err := r.Dialogs.Get(ctx, id, true)
		if err != nil {
			return err
		}
		pr, err := s.procedure(ctx, r, c.ProcedureID.String(), &p)
		if err != nil {
			return dialog.ErrNotFound
		}
		if !canModerate(&p, &pr) {
			return dialog.ErrForbidden
		}
		wasPublic := c.State == dialog.StatePublished
		ev, err := c.Moderate(a, clean(reason), p.Account.ID, s.now())
		if err != nil {
			return err
		}
		if err := r.Dialogs.Save(ctx, c); err != nil {
			return err
		}
		if !c.IsRoot() && wasPublic != (c.State == dialog.StatePublished) {
			delta := 1
			if wasPublic {
				delta = -1
			}
			if err := r.Dialogs.AdjustReplies(ctx, c.RootID, delta); err != nil {
				return err
			}
		}
		if err := r.Dialogs.AddEvent(ctx, ev); err != nil {
			return err
		}
		if a == dialog.ActionHide {
			if err := r.Dialogs.ResolveReports(ctx, c.ID, p.Account.ID, "hidden", s.now()); err != nil {
				return err
			}
		}
		if err := audit.Record(ctx, r.Audit, p, pr.OrganisationID, "dialog."+string(a), "dialog_contribution", c.ID.String(),
			map[string]any{"reason": ev.Reason, "procedure_id": pr.ID.String()}); err != nil {
			return err
		}
		out = c
		return nil
	})
	if err != nil {
		return dialog.Contribution{}, fmt.Errorf("moderate dialog contribution: %w", err)
	}
	return out, nil
}

// Answer adds the agency's official answer to a contribution: a published
// reply by a moderator, marked official, also in a closed thread.
func (s *Service) Answer(ctx context.Context, p account.Principal, parentID uuid.UUID, body string) (dialog.Contribution, error) {
	body = clean(body)
	var out dialog.Contribution
	err := s.tx.InTx(ctx, func(ctx context.Context, r Repos) error {
		parent, err := r.Dialogs.Get(ctx, parentID, true)
		if err != nil {
			return err
		}
		pr, err := s.procedure(ctx, r, parent.ProcedureID.String(), &p)
		if err != nil {
			return dialog.ErrNotFound
		}
		if !canModerate(&p, &pr) {
			return dialog.ErrForbidden
		}
		if err := (dialog.Input{Body: body}).Validate(true, geo.Area{}, nil); err != nil {
			return err
		}
		if parent.State != dialog.StatePublished {
			return dialog.ErrNotPublished
		}
		if parent.Depth >= dialog.MaxDepth {
			return &domain.ValidationError{Fields: []domain.FieldError{{Field: "parent_id", Code: "dialog.too_deep"}}}
		}
		now := s.now()
		c := dialog.Contribution{ID: uuid.Must(uuid.NewV7()), ProcedureID: pr.ID, ParentID: parent.ID, RootID: parent.RootID,
			Depth: parent.Depth + 1, AgencyAuthor: p.Account.ID, Body: body, State: dialog.StatePublished, Official: true,
			CreatedAt: now, UpdatedAt: now}
		if err := r.Dialogs.Insert(ctx, c); err != nil {
			return err
		}
		if err := r.Dialogs.AddEvent(ctx, dialog.Event{ID: uuid.Must(uuid.NewV7()), ContributionID: c.ID,
			Action: "answer", ActorID: p.Account.ID, At: now}); err != nil {
			return err
		}
		if err := audit.Record(ctx, r.Audit, p, pr.OrganisationID, "dialog.answer", "dialog_contribution", c.ID.String(),
			map[string]any{"parent_id": parent.ID.String(), "procedure_id": pr.ID.String()}); err != nil {
			return err
		}
		out = c
		return nil
	})
	if err != nil {
		return dialog.Contribution{}, fmt.Errorf("answer dialog contribution: %w", err)
	}
	return out, nil
}

// Delete removes the caller's own contribution: entirely, or as a "deleted
// by its author" placeholder when it has replies. Its file goes with it.
func (s *Service) Delete(ctx context.Context, who Caller, id uuid.UUID) (removed bool, err error) {
	var key string
	err = s.tx.InTx(ctx, func(ctx context.Context, r Repos) error {
		c, err := r.Dialogs.Get(ctx, id, true)
		if err != nil {
			return err
		}
		pr, err := s.procedure(ctx, r, c.ProcedureID.String(), who.Principal)
		if err != nil {
			return dialog.ErrNotFound
		}
		set, err := r.Dialogs.Settings(ctx, pr.ID)
		if err != nil {
			return err
		}
		part, err := s.participant(ctx, r, &pr, &set, who, "", false)
		if errors.Is(err, dialog.ErrNotFound) || err == nil && part.ID != c.ParticipantID {
			return dialog.ErrNotAuthor
		} else if err != nil {
			return err
		}
		if c.State == dialog.StateDeleted {
			return dialog.ErrNotFound
		}
		if c.Attachment != nil {
			key = c.Attachment.StorageKey
		}
		has, err := r.Dialogs.HasReplies(ctx, c.ID)
		if err != nil {
			return err
		}
		wasPublic := c.State == dialog.StatePublished
		if removed = c.DeleteByAuthor(has, s.now()); removed {
			err = r.Dialogs.Delete(ctx, c.ID)
		} else {
			err = r.Dialogs.Save(ctx, c)
		}
		if err != nil {
			return err
		}
		if !c.IsRoot() && wasPublic {
			return r.Dialogs.AdjustReplies(ctx, c.RootID, -1)
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("delete dialog contribution: %w", err)
	}
	if key != "" {
		s.removeFile(ctx, key)
	}
	return removed, nil
}

// ModerationQueue is what waits for the moderators of a dialog.
type ModerationQueue struct {
	Pending []dialog.Contribution
	Reports []dialog.Report
}

// Queue returns the pending contributions and the open (or, with all, every)
// report of a dialog for its moderators.
func (s *Service) Queue(ctx context.Context, p account.Principal, ref string, all bool) (ModerationQueue, error) {
	var out ModerationQueue
	err := s.tx.Read(ctx, func(ctx context.Context, r Repos) error {
		pr, err := s.procedure(ctx, r, ref, &p)
		if err != nil {
			return err
		}
		if !canModerate(&p, &pr) {
			return dialog.ErrForbidden
		}
		if out.Pending, err = r.Dialogs.Pending(ctx, pr.ID, 500); err != nil {
			return err
		}
		out.Reports, err = r.Dialogs.Reports(ctx, pr.ID, !all, 500)
		return err
	})
	if err != nil {
		return ModerationQueue{}, fmt.Errorf("dialog moderation queue: %w", err)
	}
	return out, nil
}

// ResolveReport closes a report as dismissed (the contribution stays) or as
// handled.
func (s *Service) ResolveReport(ctx context.Context, p account.Principal, id uuid.UUID, resolution string) (dialog.Report, error) {
	if resolution != "dismissed" && resolution != "handled" {
		return dialog.Report{}, &domain.ValidationError{Fields: []domain.FieldError{{Field: "resolution", Code: "dialog.resolution_invalid"}}}
	}
	var out dialog.Report
	err := s.tx.InTx(ctx, func(ctx context.Context, r Repos) error {
		rep, err := r.Dialogs.GetReport(ctx, id)
		if err != nil {
			return err
		}
		pr, err := s.procedure(ctx, r, rep.ProcedureID.String(), &p)
		if err != nil {
			return dialog.ErrNotFound
		}
		if !canModerate(&p, &pr) {
			return dialog.ErrForbidden
		}
		if !rep.ResolvedAt.IsZero() {
			return dialog.ErrReportResolved
		}
		rep.ResolvedAt, rep.ResolvedBy, rep.Resolution = s.now(), p.Account.ID, resolution
		if err := r.Dialogs.ResolveReport(ctx, rep); err != nil {
			return err
		}
		if err := audit.Record(ctx, r.Audit, p, pr.OrganisationID, "dialog.report_resolve", "dialog_report", rep.ID.String(),
			map[string]any{"resolution": resolution, "contribution_id": rep.ContributionID.String()}); err != nil {
			return err
		}
		out = rep
		return nil
	})
	if err != nil {
		return dialog.Report{}, fmt.Errorf("resolve dialog report: %w", err)
	}
	return out, nil
}

// File opens a contribution's file for a reader who may see the contribution.
func (s *Service) File(ctx context.Context, p *account.Principal, id uuid.UUID) (dialog.Attachment, file.Reader, file.Object, error) {
	var a dialog.Attachment
	err := s.tx.Read(ctx, func(ctx context.Context, r Repos) error {
		c, err := r.Dialogs.Get(ctx, id, false)
		if err != nil {
			return err
		}
		pr, err := s.procedure(ctx, r, c.ProcedureID.String(), p)
		if err != nil {
			return dialog.ErrNotFound
		}
		if c.Attachment == nil || c.State != dialog.StatePublished && !canModerate(p, &pr) {
			return dialog.ErrNotFound
		}
		a = *c.Attachment
		return nil
	})
	if err != nil {
		return a, nil, file.Object{}, fmt.Errorf("dialog file: %w", err)
	}
	rd, obj, err := s.files.Open(ctx, a.StorageKey)
	if err != nil {
		return a, nil, file.Object{}, fmt.Errorf("dialog file: %w", err)
	}
	return a, rd, obj, nil
}
