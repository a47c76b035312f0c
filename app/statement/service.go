// Package statement holds the use cases of statements: citizens and public
// bodies submit them while a phase is open, staff record those that arrive
// by letter, everyone can verify a receipt, and the agency weighs them.
package statement

import (
	"context"
	"crypto/hmac"
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
	"beteiligungsportal/app/mail"
	"beteiligungsportal/domain"
	"beteiligungsportal/domain/account"
	daudit "beteiligungsportal/domain/audit"
	"beteiligungsportal/domain/file"
	"beteiligungsportal/domain/geo"
	org "beteiligungsportal/domain/organisation"
	"beteiligungsportal/domain/procedure"
	"beteiligungsportal/domain/statement"
)

// Store persists statements.
type Store interface {
	// NextNumber takes the procedure's next receipt number; its counter stays
	// locked until the transaction ends.
	NextNumber(ctx context.Context, procedureID uuid.UUID) (code string, seq int, err error)
	// Insert stores a statement; a concurrent insert with the same key makes
	// it return an error for which IsKeyRace is true.
	Insert(ctx context.Context, s statement.Statement, key, requestDigest string) error
	// Receive takes the procedure's next number, if the procedure still has
	// version (else statement.ErrProcedureChanged), and stores the online
	// statement that build makes with it, its confirmation mail (nil: none)
	// and audit entry, all in one transaction of its own (or of the
	// repositories' one); a key race as with Insert. build may be called
	// more than once; the statement of its last call is the one stored.
	Receive(ctx context.Context, procedureID uuid.UUID, version int, key, requestDigest string,
		build func(code string, seq int) (statement.Statement, *mail.Message, daudit.Entry, error)) error
	ByIdempotencyKey(ctx context.Context, procedureID uuid.UUID, key string) (statement.Statement, string, error)
	Get(ctx context.Context, procedureID, id uuid.UUID, lock bool) (statement.Statement, error)
	ByNumber(ctx context.Context, number string, lock bool) (statement.Statement, error)
	SaveWeighing(ctx context.Context, list ...statement.Statement) error
	List(ctx context.Context, f statement.Filter) (statement.Page, error)
	SimilarPairs(ctx context.Context, procedureID uuid.UUID, threshold float64) ([][2]uuid.UUID, error)
	// SetGroups records mass-statement groups (statement → group) and clears
	// the others.
	SetGroups(ctx context.Context, procedureID uuid.UUID, groups map[uuid.UUID]uuid.UUID) error
	Count(ctx context.Context, procedureID uuid.UUID) (int, error)
	// OrganisationNames names the public bodies statements speak for.
	OrganisationNames(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]string, error)
}

// Procedures reads procedures.
type Procedures interface {
	Get(ctx context.Context, id uuid.UUID) (procedure.Procedure, error)
	// GetByRef finds a procedure by the reference a URL gives: its ID or its slug.
	GetByRef(ctx context.Context, ref string) (procedure.Procedure, error)
}

// Documents lists a procedure's documents (a statement may refer to one).
type Documents interface {
	List(ctx context.Context, procedureID uuid.UUID) ([]procedure.Document, error)
}

// Repos are the stores a use case works with inside one transaction.
type Repos struct {
	Statements Store
	Procedures Procedures
	Documents  Documents
	Audit      audit.Writer
	Mail       mail.Outbox
	// Organisations checks the public bodies statements are recorded for.
	Organisations Organisations
}

// Organisations reads organisations.
type Organisations interface {
	Get(ctx context.Context, id uuid.UUID) (org.Organisation, error)
}

// TxRunner runs fn with repositories bound to one transaction (InTx), to the
// database without one (Read), or to one read-only transaction that sees a
// single consistent snapshot (Snapshot).
type TxRunner interface {
	InTx(ctx context.Context, fn func(ctx context.Context, r Repos) error) error
	Read(ctx context.Context, fn func(ctx context.Context, r Repos) error) error
	Snapshot(ctx context.Context, fn func(ctx context.Context, r Repos) error) error
}

// Config are the settings of statements.
type Config struct {
	Secret         []byte // derives receipt tokens and pseudonyms
	PrivacyVersion string // the privacy notice submitters must consent to
	Attachments    statement.AttachmentLimits
	// IsKeyRace tells the store's error for a concurrent insert with the same
	// idempotency key.
	IsKeyRace func(error) bool
}

// Service implements the statement use cases.
type Service struct {
	tx    TxRunner
	files file.Store
	cfg   Config
	log   *slog.Logger
	now   func() time.Time
	procs *procedureCache
}

// NewService returns a Service.
func NewService(tx TxRunner, files file.Store, cfg Config, log *slog.Logger, now func() time.Time) *Service {
	// A minute bounds how long a procedure nobody submits to stays in memory;
	// staleness is caught by the version check of every write.
	return &Service{tx: tx, files: files, cfg: cfg, log: log, now: now, procs: newProcedureCache(time.Minute, 10_000)}
}

// PrivacyVersion is the version of the privacy notice submitters consent to.
func (s *Service) PrivacyVersion() string { return s.cfg.PrivacyVersion }

// Upload is an attachment as sent.
type Upload struct {
	FileName string
	Size     int64
	Content  io.Reader
}

// Submission is an online statement with its attachments.
type Submission struct {
	Input statement.Input
	Files []Upload
	// IdempotencyKey: a retry with the same key returns the first result.
	IdempotencyKey string
}

// Receipt is what the submitter gets: the statement and the secret token that
// proves they hold the receipt.
type Receipt struct {
	Statement statement.Statement
	Token     string
	// Replayed: this is the answer to an earlier request with the same key.
	Replayed bool
}

// Submit receives an online statement. It returns only after the statement,
// its attachments' records and its confirmation mail are committed; the
// attachments' bytes are stored before.
func (s *Service) Submit(ctx context.Context, author *account.Principal, procIDOrSlug string, sub Submission) (Receipt, error) {
	in := clean(sub.Input)
	a := authorOf(author)
	// A request is compared with an earlier one of the same key by its
	// digest. Only a retry needs it before the files are stored; a new
	// statement's files are hashed once, by the store.
	earlierDigest := func(procID uuid.UUID) (string, error) {
		files, err := fingerprintFiles(sub.Files, nil)
		if err != nil {
			return "", fmt.Errorf("read attachments: %w", err)
		}
		return requestDigest(procID, in, files, a), nil
	}

	// Before storing anything: does the procedure take this statement now?
	// A refusal is only ever given on a fresh read of the procedure.
	pr, cached, err := s.check(ctx, procIDOrSlug, in, a, sub.IdempotencyKey, earlierDigest, true)
	if err != nil && cached && !isReplay(err) {
		pr, _, err = s.check(ctx, procIDOrSlug, in, a, sub.IdempotencyKey, earlierDigest, false)
	}
	var rp replay
	if errors.As(err, &rp) {
		return Receipt{Statement: rp.s, Token: s.token(rp.s.ID), Replayed: true}, nil
	}
	if err != nil {
		return Receipt{}, fmt.Errorf("submit statement: %w", err)
	}

	id := uuid.Must(uuid.NewV7())
	atts, err := s.storeAttachments(ctx, pr.ID, id, sub.Files)
	if err != nil {
		return Receipt{}, fmt.Errorf("submit statement: %w", err)
	}
	in.Attachments = atts
	sums := make([]string, len(atts))
	for i, att := range atts {
		sums[i] = att.SHA256
	}
	files, err := fingerprintFiles(sub.Files, sums)
	if err != nil {
		s.removeFiles(ctx, atts)
		return Receipt{}, fmt.Errorf("submit statement: %w", err)
	}
	reqDigest := requestDigest(pr.ID, in, files, a)

	// Everything that can be done before is done: the transaction takes the
	// number and writes the rest in one statement, so the procedure's counter
	// is locked only while the statement is built and written. A failed write
	// rolls the number back: numbers have no gaps. The number is taken only
	// while the procedure is as checked; if it changed meanwhile, the
	// statement is checked again against the new one.
	// The receipt's token depends on the ID alone: made here, not in the
	// batch writer that every submission of a burst waits for.
	token := s.token(id)
	var st statement.Statement
	for attempt := 1; ; attempt++ {
		err = s.tx.Read(ctx, func(ctx context.Context, r Repos) error {
			return r.Statements.Receive(ctx, pr.ID, pr.Version, sub.IdempotencyKey, reqDigest,
				func(code string, seq int) (statement.Statement, *mail.Message, daudit.Entry, error) {
					built, receipt, entry, err := s.receipt(ctx, author, &pr, id, token, in, a, code, seq)
					st = built
					return built, receipt, entry, err
				})
		})
		if !errors.Is(err, statement.ErrProcedureChanged) || attempt == 3 {
			break
		}
		s.procs.forget(procIDOrSlug)
		if pr, _, err = s.check(ctx, procIDOrSlug, in, a, sub.IdempotencyKey, earlierDigest, false); err != nil {
			break
		}
	}
	if errors.As(err, &rp) {
		s.removeFiles(ctx, atts)
		return Receipt{Statement: rp.s, Token: s.token(rp.s.ID), Replayed: true}, nil
	}
	if err != nil {
		s.removeFiles(ctx, atts)
		if s.cfg.IsKeyRace != nil && s.cfg.IsKeyRace(err) {
			// A concurrent retry with the same key won: answer with its result.
			return s.replayKey(ctx, pr.ID, sub.IdempotencyKey, reqDigest)
		}
		return Receipt{}, fmt.Errorf("submit statement: %w", err)
	}
	return Receipt{Statement: st, Token: token}, nil
}

// check reads the procedure (from the cache if useCache and cached there:
// hit) and checks the statement against it; an earlier request with the same
// key is a replay if its digest is the one reqDigest gives.
func (s *Service) check(ctx context.Context, idOrSlug string, in statement.Input, a statement.Author,
	key string, reqDigest func(procID uuid.UUID) (string, error), useCache bool) (pr procedure.Procedure, hit bool, err error) {
	err = s.tx.Read(ctx, func(ctx context.Context, r Repos) error {
		if useCache {
			pr, hit = s.procs.get(idOrSlug)
		}
		if !hit {
			var err error
			if pr, err = getProcedure(ctx, r, idOrSlug); err != nil {
				return err
			}
			s.procs.put(idOrSlug, pr)
		}
		if key != "" {
			if prev, digest, err := r.Statements.ByIdempotencyKey(ctx, pr.ID, key); err == nil {
				// By the procedure's ID: a retry may name it by slug.
				this, err := reqDigest(pr.ID)
				if err != nil {
					return err
				}
				if digest != this {
					return statement.ErrKeyReused
				}
				return replay{prev}
			} else if !errors.Is(err, domain.ErrNotFound) {
				return err
			}
		}
		var docs []procedure.Document
		if in.DocumentID != uuid.Nil { // only a reference to a document needs them
			var err error
			if docs, err = r.Documents.List(ctx, pr.ID); err != nil {
				return err
			}
		}
		if err := in.Validate(pr.StatementFields, s.cfg.PrivacyVersion, docs); err != nil {
			return err
		}
		_, _, err := statement.ChoosePhase(&pr, in, a, s.now())
		return err
	})
	return pr, hit, err
}

// receipt makes the statement with its number, its confirmation mail and its
// audit entry, at the time of receipt.
func (s *Service) receipt(ctx context.Context, author *account.Principal, pr *procedure.Procedure, id uuid.UUID, token string,
	in statement.Input, a statement.Author, code string, seq int) (statement.Statement, *mail.Message, daudit.Entry, error) {
	now := s.now().UTC().Truncate(time.Microsecond) // as PostgreSQL keeps it, so the digest can be recomputed
	ph, kind, err := statement.ChoosePhase(pr, in, a, now)
	if err != nil {
		return statement.Statement{}, nil, daudit.Entry{}, err
	}
	st := newStatement(id, pr, ph, in, kind, a.AccountID, statement.ChannelOnline, now)
	st.Seq, st.Number = seq, statement.FormatReceipt(code, localYear(now), seq)
	st.Timely = true // accepted only while the phase is open
	st.Digest = statement.ComputeDigest(st)
	var receipt *mail.Message
	if st.Submitter.Email != "" {
		m := receiptMail(pr.Title, st, token)
		receipt = &m
	}
	entry := audit.NewEntry(ctx, principalOrNone(author), pr.OrganisationID, "statement.submit", "statement", st.ID.String(),
		map[string]any{"number": st.Number, "phase_id": st.PhaseID, "digest": st.Digest, "attachments": len(st.Attachments)})
	return st, receipt, entry, nil
}

type replay struct{ s statement.Statement }

func (replay) Error() string { return "replay" }

func isReplay(err error) bool { var rp replay; return errors.As(err, &rp) }

func (s *Service) replayKey(ctx context.Context, procID uuid.UUID, key, reqDigest string) (Receipt, error) {
	var rec Receipt
	err := s.tx.Read(ctx, func(ctx context.Context, r Repos) error {
		prev, digest, err := r.Statements.ByIdempotencyKey(ctx, procID, key)
		if err != nil {
			return err
		}
		if digest != reqDigest {
			return statement.ErrKeyReused
		}
		rec = Receipt{Statement: prev, Token: s.token(prev.ID), Replayed: true}
		return nil
	})
	if err != nil {
		return Receipt{}, fmt.Errorf("submit statement: %w", err)
	}
	return rec, nil
}

func getProcedure(ctx context.Context, r Repos, idOrSlug string) (procedure.Procedure, error) {
	pr, err := r.Procedures.GetByRef(ctx, idOrSlug)
	if err == nil && pr.IsDraft() {
		err = procedure.ErrNotFound // drafts take no statements and are not disclosed
	}
	return pr, err
}

func newStatement(id uuid.UUID, pr *procedure.Procedure, ph procedure.Phase, in statement.Input, kind statement.SubmitterKind,
	accountID uuid.UUID, ch statement.Channel, at time.Time) statement.Statement {
	st := statement.Statement{ID: id, ProcedureID: pr.ID, PhaseID: ph.ID, Channel: ch, Kind: kind, OnBehalfOf: in.OnBehalfOf,
		AccountID: accountID, Submitter: in.Submitter, Text: in.Text, DocumentID: in.DocumentID, Section: in.Section,
		Location: in.Location, PrivacyVersion: in.PrivacyVersion, Attachments: in.Attachments, ReceivedAt: at,
		Status: statement.StatusReceived, Topics: []string{}, Version: 1}
	if in.Location != nil && len(pr.AreaGeoJSON) > 0 {
		if area, err := geo.ParseArea(pr.AreaGeoJSON); err == nil && area.Kind() != geo.KindPoint {
			st.OutsideArea = !area.Contains(*in.Location)
		}
	}
	return st
}

// clean normalises what people typed: Unicode NFC (so that the digest does
// not depend on how a keyboard composed "ü"), LF line ends, trimmed fields.
func clean(in statement.Input) statement.Input {
	f := func(s string) string {
		s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
		return strings.TrimSpace(norm.NFC.String(s))
	}
	in.Text, in.Section = f(in.Text), f(in.Section)
	in.Submitter = statement.Submitter{Name: f(in.Submitter.Name), Address: f(in.Submitter.Address), Email: f(in.Submitter.Email)}
	return in
}

// requestDigest identifies a request's content, to tell a retry (same key,
// same content) from a reused key.
func requestDigest(proc uuid.UUID, in statement.Input, files []string, a statement.Author) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00", proc, in.PhaseID, in.OnBehalfOf,
		in.Text, in.DocumentID, in.Section, in.Submitter.Name, in.Submitter.Address, in.Submitter.Email, in.PrivacyVersion, a.AccountID)
	if in.Location != nil {
		fmt.Fprintf(h, "%v,%v", in.Location.Lon, in.Location.Lat)
	}
	for _, f := range files {
		fmt.Fprintf(h, "\x00%s", f)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// fingerprintFiles names each upload by name, size and, where the content can
// be read twice (uploads are files on disk or in memory), its SHA-256, so a
// retry that carries a different file is not taken for the first request.
// The sums of the stored files are given in order once they are stored;
// before that (nil) the content is read here.
func fingerprintFiles(files []Upload, sums []string) ([]string, error) {
	out := make([]string, len(files))
	for i, f := range files {
		out[i] = fmt.Sprintf("%s\x00%d", f.FileName, f.Size)
		rs, ok := f.Content.(io.ReadSeeker)
		if !ok {
			continue
		}
		if sums != nil {
			out[i] += "\x00" + sums[i]
			continue
		}
		h := sha256.New()
		if _, err := io.Copy(h, rs); err != nil {
			return nil, err
		}
		if _, err := rs.Seek(0, io.SeekStart); err != nil {
			return nil, err
		}
		out[i] += "\x00" + hex.EncodeToString(h.Sum(nil))
	}
	return out, nil
}

func authorOf(p *account.Principal) statement.Author {
	if p == nil {
		return statement.Author{}
	}
	a := statement.Author{AccountID: p.Account.ID}
	for _, m := range p.Memberships {
		if m.Role == account.RoleOrgAdmin || m.Role == account.RoleEditor {
			a.Bodies = append(a.Bodies, m.OrganisationID)
		}
	}
	return a
}

func principalOrNone(p *account.Principal) account.Principal {
	if p == nil {
		return account.Principal{}
	}
	return *p
}

// localYear is the year of t in Germany, for receipt numbers.
func localYear(t time.Time) int { return t.In(procedure.Berlin).Year() }

// token is the secret that proves a submitter holds a receipt: derived from
// the statement's ID with the instance secret, so it need not be stored and a
// retried request gets the same one. 128 bits, base32 for reading aloud.
func (s *Service) token(id uuid.UUID) string {
	m := hmac.New(sha256.New, s.cfg.Secret)
	m.Write([]byte("statement-receipt\x00"))
	m.Write(id[:])
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(m.Sum(nil)[:16])
}

func (s *Service) validToken(id uuid.UUID, token string) bool {
	t := strings.ToUpper(strings.Join(strings.Fields(token), ""))
	return hmac.Equal([]byte(t), []byte(s.token(id)))
}

// storeAttachments checks and stores the files before the statement is
// recorded; on any failure the ones stored so far are removed.
func (s *Service) storeAttachments(ctx context.Context, procID, stID uuid.UUID, files []Upload) ([]statement.Attachment, error) {
	var out []statement.Attachment
	for i, f := range files {
		ct, content, err := filetype.Sniff(f.Content)
		if err != nil {
			s.removeFiles(ctx, out)
			return nil, err
		}
		a := statement.Attachment{ID: uuid.Must(uuid.NewV7()), FileName: file.CleanName(f.FileName, "anlage"), ContentType: ct, Size: f.Size}
		if err := statement.CheckAttachment(a, i, s.cfg.Attachments); err != nil {
			s.removeFiles(ctx, out)
			return nil, err
		}
		a.StorageKey = attachmentKey(procID, stID, a.ID)
		obj, err := s.files.Put(ctx, a.StorageKey, content, f.Size, ct)
		if err != nil {
			s.removeFiles(ctx, out)
			return nil, fmt.Errorf("store attachment: %w", err)
		}
		a.SHA256 = obj.SHA256
		out = append(out, a)
	}
	return out, nil
}

// attachmentKey names an attachment's object: below its procedure, named by
// statement and attachment. Not a directory per statement: in the local store
// that cost every upload a mkdir and a sync of the directory's parent.
func attachmentKey(procID, stID, attID uuid.UUID) string {
	return fmt.Sprintf("statements/%s/%s-%s", procID, stID, attID)
}

func (s *Service) removeFiles(ctx context.Context, atts []statement.Attachment) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	for _, a := range atts {
		if err := s.files.Delete(ctx, a.StorageKey); err != nil {
			s.log.Warn("file not removed", "key", a.StorageKey, "err", err)
		}
	}
}
