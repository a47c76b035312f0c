package defect

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"beteiligungsportal/domain"
	"beteiligungsportal/domain/geo"
)

func TestWorkflowTransitions(t *testing.T) {
	t.Parallel()
	allowed := map[[2]Status]bool{}
	for from, tos := range transitions {
		for _, to := range tos {
			allowed[[2]Status{from, to}] = true
		}
	}
	for _, from := range Statuses {
		for _, to := range Statuses {
			want := allowed[[2]Status{from, to}]
			if got := CanFollow(from, to); got != want {
				t.Errorf("%s → %s: got %v, want %v", from, to, got, want)
			}
		}
	}
	for _, closed := range []Status{StatusResolved, StatusRejected, StatusDuplicate} {
		if !closed.Closed() {
			t.Errorf("%s should be closed", closed)
		}
		for _, to := range Statuses {
			if CanFollow(closed, to) {
				t.Errorf("closed %s may not become %s", closed, to)
			}
		}
	}
	if CanFollow(StatusNew, StatusResolved) {
		t.Error("a new report must be acknowledged before it is resolved")
	}
}

func TestApply(t *testing.T) {
	t.Parallel()
	org, other := uuid.New(), uuid.New()
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	base := func() Report {
		return Report{ID: uuid.New(), ProcedureID: uuid.New(), OrganisationID: org, Status: StatusNew, Version: 1}
	}
	t.Run("acknowledge records the event and the public comment", func(t *testing.T) {
		r := base()
		ev, err := r.Apply(Change{To: StatusAcknowledged, PublicComment: " Danke. ", InternalNote: "intern"}, nil, uuid.Nil, now)
		if err != nil || r.Status != StatusAcknowledged || r.StatusNotes != "Danke." || r.Version != 2 || ev.From != StatusNew || ev.InternalNote != "intern" {
			t.Fatalf("got %v %+v %+v", err, r, ev)
		}
	})
	tests := []struct {
		name   string
		change Change
		orig   func(r Report) *Report
		want   error
	}{
		{"unknown status", Change{To: "gone"}, nil, domain.ErrInvalid},
		{"skip to resolved", Change{To: StatusResolved, PublicComment: "x"}, nil, ErrTransition},
		{"reject without reason", Change{To: StatusRejected}, nil, domain.ErrInvalid},
		{"duplicate without original", Change{To: StatusDuplicate}, nil, domain.ErrInvalid},
		{"duplicate of itself", Change{To: StatusDuplicate, DuplicateOf: uuid.New()}, func(r Report) *Report { return &r }, domain.ErrInvalid},
		{"duplicate across procedures", Change{To: StatusDuplicate, DuplicateOf: uuid.New()}, func(r Report) *Report {
			o := Report{ID: uuid.New(), ProcedureID: uuid.New()}
			return &o
		}, domain.ErrInvalid},
		{"forward without target", Change{To: StatusForwarded}, nil, domain.ErrInvalid},
		{"forward to itself", Change{To: StatusForwarded, ForwardTo: org}, nil, domain.ErrInvalid},
		{"stale version", Change{To: StatusAcknowledged, Version: 7}, nil, ErrStale},
		{"comment too long", Change{To: StatusAcknowledged, PublicComment: strings.Repeat("x", MaxComment+1)}, nil, domain.ErrInvalid},
		{"forward", Change{To: StatusForwarded, ForwardTo: other}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := base()
			var orig *Report
			if tt.orig != nil {
				orig = tt.orig(r)
			}
			_, err := r.Apply(tt.change, orig, uuid.Nil, now)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("got %v", err)
				}
				if r.Responsible() != other {
					t.Errorf("responsible: got %v, want %v", r.Responsible(), other)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if r.Status != StatusNew || r.Version != 1 {
				t.Errorf("a refused change altered the report: %+v", r)
			}
		})
	}
}

func TestInputValidate(t *testing.T) {
	t.Parallel()
	area, err := geo.ParseArea([]byte(`{"type":"Polygon","coordinates":[[[13.11,51.11],[13.13,51.11],[13.13,51.13],[13.11,51.13],[13.11,51.11]]]}`))
	if err != nil {
		t.Fatal(err)
	}
	in := geo.Point{Lon: 13.12, Lat: 51.12}
	out := geo.Point{Lon: 13.34, Lat: 50.91}
	tests := []struct {
		name  string
		input Input
		area  geo.Area
		code  string
	}{
		{"inside", Input{Description: "Lampe ist kaputt.", Location: &in}, area, ""},
		{"no area", Input{Description: "Lampe ist kaputt.", Location: &out}, geo.Area{}, ""},
		{"outside", Input{Description: "Lampe ist kaputt.", Location: &out}, area, "location:defect.location_outside_area"},
		{"no location", Input{Description: "Lampe ist kaputt."}, area, "location:defect.location_required"},
		{"short", Input{Description: "kaputt", Location: &in}, area, "description:defect.description_too_short"},
		{"long", Input{Description: strings.Repeat("ä", MaxDescription+1), Location: &in}, area, "description:defect.description_too_long"},
		{"bad mail", Input{Description: "Lampe ist kaputt.", Location: &in, Email: "nobody"}, area, "email:defect.email_invalid"},
		{"bad media url", Input{Description: "Lampe ist kaputt.", Location: &in, MediaURL: "javascript:alert(1)"}, area, "media_url:defect.media_url_invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.input.Validate(tt.area)
			got := ""
			var ve *domain.ValidationError
			if errors.As(err, &ve) {
				got = ve.Fields[0].Field + ":" + ve.Fields[0].Code
			}
			if got != tt.code {
				t.Errorf("got %v, want %v", got, tt.code)
			}
		})
	}
}

func TestModerate(t *testing.T) {
	t.Parallel()
	ph := uuid.New()
	r := Report{Photos: []Photo{{ID: ph}}, Version: 1}
	reason := "Gesicht"
	if err := r.Moderate(Moderation{TextReason: &reason, Photos: map[uuid.UUID]string{ph: "Kennzeichen"}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if r.TextHidden != "Gesicht" || !r.Photos[0].Hidden() || r.Version != 2 {
		t.Errorf("got %+v", r)
	}
	if err := r.Moderate(Moderation{Photos: map[uuid.UUID]string{uuid.New(): "x"}}, time.Now()); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("unknown photo: got %v", err)
	}
	empty := ""
	_ = r.Moderate(Moderation{TextReason: &empty, Photos: map[uuid.UUID]string{ph: ""}}, time.Now())
	if r.TextHidden != "" || r.Photos[0].Hidden() {
		t.Errorf("showing again: %+v", r)
	}
}

// FuzzInputValidate: a citizen's report (web form or Open311) is checked
// without a panic, refused only with a validation error, and what is
// accepted can be stored: texts of valid UTF-8 without NUL, within bounds.
func FuzzInputValidate(f *testing.F) {
	for _, s := range [][4]string{
		{"Schlagloch vor Hausnummer 12", "Hauptstraße 12", "anna@example.org", "https://example.org/foto.jpg"},
		{"kurz", "", "", ""}, {"Schlagloch\x00 vor Hausnummer 12", "", "", ""}, {"Schlagloch vor Hausnummer 12", "Haupt\xffstraße", "", ""},
		// NUL and invalid UTF-8 were accepted and failed in the database with a 500.
		{"Schlagloch vor Hausnummer 12", "", "a\x00@example.org", ""}, {"Schlagloch vor Hausnummer 12", "", "", "https://x\x00"},
		{strings.Repeat("ä", MaxDescription+1), strings.Repeat("b", MaxAddress+1), "a@b", "ftp://x"},
	} {
		f.Add(s[0], s[1], s[2], s[3], 13.4, 52.5)
	}
	f.Fuzz(func(t *testing.T, description, address, email, mediaURL string, lon, lat float64) {
		in := Input{CategoryCode: "strasse", Description: description, Address: address, Email: email, MediaURL: mediaURL}
		if p, err := geo.ParsePoint(lon, lat); err == nil {
			in.Location = &p
		}
		err := in.Validate(geo.Area{})
		if err != nil {
			var ve *domain.ValidationError
			if !errors.As(err, &ve) || len(ve.Fields) == 0 {
				t.Fatalf("Validate: %v, not a validation error", err)
			}
			return
		}
		for _, s := range []string{in.Description, in.Address, in.Email, in.MediaURL} {
			if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
				t.Fatalf("accepted %q, which PostgreSQL cannot store as text", s)
			}
		}
		if in.Location == nil || utf8.RuneCountInString(strings.TrimSpace(in.Description)) > MaxDescription ||
			utf8.RuneCountInString(in.Address) > MaxAddress || len(in.Email) > MaxEmail {
			t.Fatalf("accepted %+v", in)
		}
	})
}
