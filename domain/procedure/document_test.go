package procedure

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"beteiligungsportal/domain"
)

var testLimits = DocumentLimits{MaxFileSize: 1000, MaxTotal: 2500, MaxCount: 4}

// planAt returns a procedure with one public phase in June 2026, published
// unless draft, and in the given end state ("", "closed", "concluded", "archived").
func planAt(draft bool, state string) *Procedure {
	p := &Procedure{ID: uuid.New(), Type: TypeStatute, Phases: []Phase{{ID: uuid.New(), Kind: KindParticipation,
		Audience: AudiencePublic, Period: Period{Start: d("2026-06-01"), End: d("2026-06-30")}}}}
	if !draft {
		p.PublishedAt = berlin("2026-05-01 10:00:00")
	}
	switch state {
	case "concluded":
		p.ConcludedAt = berlin("2026-08-01 10:00:00")
	case "archived":
		p.ConcludedAt, p.ArchivedAt = berlin("2026-08-01 10:00:00"), berlin("2026-09-01 10:00:00")
	}
	return p
}

func upload(kind DocumentKind, size int64) DocumentInput {
	return DocumentInput{ID: uuid.New(), Kind: kind, FileName: "plan.pdf", ContentType: "application/pdf", Size: size,
		SHA256: strings.Repeat("a", 64), StorageKey: "k/" + uuid.NewString()}
}

func TestCheckUpload(t *testing.T) {
	docs := []Document{{ID: uuid.New(), Kind: DocumentMaterial, Size: 1000, Position: 1}, {ID: uuid.New(), Kind: DocumentMaterial, Size: 1000, SupersededBy: uuid.New()}}
	during, after := berlin("2026-06-10 12:00:00"), berlin("2026-07-10 12:00:00")
	withType := func(ct string) DocumentInput { in := upload(DocumentMaterial, 10); in.ContentType = ct; return in }
	for _, tc := range []struct {
		name string
		p    *Procedure
		docs []Document
		in   DocumentInput
		now  time.Time
		want error // nil, a rule error, or errInvalidSentinel for a validation error
	}{
		{"material to a draft", planAt(true, ""), nil, upload(DocumentMaterial, 10), during, nil},
		{"material while open", planAt(false, ""), docs, upload(DocumentMaterial, 400), during, nil},
		{"material in evaluation", planAt(false, ""), docs, upload(DocumentMaterial, 10), after, nil},
		{"material once concluded", planAt(false, "concluded"), nil, upload(DocumentMaterial, 10), after, ErrDocumentsLocked},
		{"anything once archived", planAt(false, "archived"), nil, upload(DocumentResult, 10), after, ErrDocumentsLocked},
		{"result while open", planAt(false, ""), nil, upload(DocumentResult, 10), during, ErrResultTooEarly},
		{"result to a draft", planAt(true, ""), nil, upload(DocumentResult, 10), after, ErrResultTooEarly},
		{"result in evaluation", planAt(false, ""), nil, upload(DocumentResult, 10), after, nil},
		{"result once concluded", planAt(false, "concluded"), nil, upload(DocumentResult, 10), after, nil},
		{"empty file", planAt(true, ""), nil, upload(DocumentMaterial, 0), during, ErrDocumentEmpty},
		{"file at the limit", planAt(true, ""), nil, upload(DocumentMaterial, 1000), during, nil},
		{"file over the limit", planAt(true, ""), nil, upload(DocumentMaterial, 1001), during, ErrDocumentTooLarge},
		{"total counts old versions", planAt(false, ""), docs, upload(DocumentMaterial, 501), during, ErrDocumentsFull},
		{"count limit", planAt(true, ""), append(docs, docs...), upload(DocumentMaterial, 1), during, ErrDocumentsFull},
		{"html", planAt(true, ""), nil, withType("text/html"), during, ErrDocumentType},
		{"zip", planAt(true, ""), nil, withType("application/zip"), during, ErrDocumentType},
		{"docx", planAt(true, ""), nil, withType("application/vnd.openxmlformats-officedocument.wordprocessingml.document"), during, nil},
		{"unknown kind", planAt(true, ""), nil, upload("other", 10), during, errValidation},
		{"script in title", planAt(true, ""), nil, func() DocumentInput { in := upload(DocumentMaterial, 10); in.Title = "<script>x</script>"; return in }(), during, errValidation},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckUpload(tc.p, tc.docs, tc.in, testLimits, tc.now)
			switch {
			case tc.want == errValidation:
				if !isValidation(err) {
					t.Fatalf("got %v, want a validation error", err)
				}
			case !errors.Is(err, tc.want) && !(tc.want == nil && err == nil):
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

var errValidation = errors.New("validation")

func isValidation(err error) bool {
	var v *domain.ValidationError
	return errors.As(err, &v)
}

func TestAddReplaceReorder(t *testing.T) {
	p := planAt(true, "")
	now := berlin("2026-05-10 09:00:00")
	by := uuid.New()
	var docs []Document
	for range 3 {
		doc, err := AddDocument(p, docs, upload(DocumentMaterial, 10), by, testLimits, now)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, doc)
	}
	if docs[0].Position != 1 || docs[2].Position != 3 || docs[0].Title != "plan.pdf" || docs[0].UploadedBy != by {
		t.Fatalf("positions and defaults: %+v", docs)
	}
	res, err := AddDocument(p, docs, upload(DocumentResult, 10), by, testLimits, now)
	if !errors.Is(err, ErrResultTooEarly) {
		t.Fatalf("result in a draft: %v %+v", err, res)
	}

	docs[1].Title = "Begründung"
	v2, err := ReplaceDocument(p, docs, &docs[1], upload(DocumentResult, 10), by, testLimits, now)
	if err != nil {
		t.Fatal(err)
	}
	if v2.Kind != DocumentMaterial || v2.Position != 2 || v2.Replaces != docs[1].ID || v2.Title != "Begründung" {
		t.Fatalf("new version takes the old one's kind, place and title: %+v", v2)
	}
	if docs[1].Current() || docs[1].SupersededBy != v2.ID || docs[1].Position != 0 || !docs[1].SupersededAt.Equal(v2.UploadedAt) {
		t.Fatalf("old version not superseded: %+v", docs[1])
	}
	if _, err := ReplaceDocument(p, docs, &docs[1], upload(DocumentMaterial, 10), by, testLimits, now); !errors.Is(err, ErrDocumentSuperseded) {
		t.Fatalf("replacing a superseded version: %v", err)
	}
	docs = append(docs, v2)

	for _, tc := range []struct {
		name  string
		order []uuid.UUID
		ok    bool
	}{
		{"all current, new order", []uuid.UUID{v2.ID, docs[2].ID, docs[0].ID}, true},
		{"missing one", []uuid.UUID{v2.ID, docs[0].ID}, false},
		{"a superseded one", []uuid.UUID{v2.ID, docs[2].ID, docs[0].ID, docs[1].ID}, false},
		{"twice", []uuid.UUID{v2.ID, docs[2].ID, docs[0].ID, docs[0].ID}, false},
		{"unknown", []uuid.UUID{v2.ID, docs[2].ID, uuid.New()}, false},
	} {
		changed, err := ReorderDocuments(p, docs, DocumentMaterial, tc.order, now)
		if tc.ok != (err == nil) {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if tc.ok && (len(changed) != 3 || changed[0].ID != docs[0].ID || changed[0].Position != 3) {
			t.Fatalf("%s: changed %+v", tc.name, changed)
		}
	}

	if err := CanDeleteDocument(p); err != nil {
		t.Fatalf("a draft's document: %v", err)
	}
	if err := CanDeleteDocument(planAt(false, "")); !errors.Is(err, ErrDocumentDeletePublic) {
		t.Fatalf("a published procedure's document: %v", err)
	}
}
