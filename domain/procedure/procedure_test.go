package procedure

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"beteiligungsportal/domain"
)

// berlin returns the instant of a Berlin wall-clock time.
func berlin(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04:05", s, Berlin)
	if err != nil {
		panic(err)
	}
	return t
}

func bplan(t *testing.T, now time.Time) Procedure {
	t.Helper()
	p, err := New(uuid.New(), uuid.New(), Input{Type: TypeLandUsePlan, Subtype: SubtypeBebauungsplan,
		Title: "Bebauungsplan Nr. 42 „Am Mühlgraben“", Summary: "Wohngebiet am Mühlgraben"}, now)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func phase(kind PhaseKind, aud Audience, start, end string) PhaseInput {
	ph := Phase{Kind: kind, Audience: aud, Period: Period{Start: d(start)}}
	if end != "" {
		ph.Period.End = d(end)
	}
	return PhaseInput{Phase: ph}
}

func fieldCodes(err error) string {
	var ve *domain.ValidationError
	if !errors.As(err, &ve) {
		if err == nil {
			return ""
		}
		return "not a validation error: " + err.Error()
	}
	var parts []string
	for _, f := range ve.Fields {
		parts = append(parts, f.Field+"="+f.Code)
	}
	return strings.Join(parts, " ")
}

func TestScheduleRules(t *testing.T) {
	t.Parallel()
	now := berlin("2026-06-01 10:00:00")
	announced := func(in PhaseInput, on string) PhaseInput { in.AnnouncedOn = d(on); return in }
	invite := func(in PhaseInput, bodies ...uuid.UUID) PhaseInput { in.InvitedBodies = bodies; return in }
	bodyA, bodyB := uuid.New(), uuid.New()
	tests := []struct {
		name   string
		typ    Type
		phases []PhaseInput
		want   string // field=code of the last phase's error, "" for none
	}{
		{"publication of 30 days in a 30-day month", TypeLandUsePlan,
			[]PhaseInput{announced(phase(KindPublication, AudiencePublic, "2026-09-01", "2026-09-30"), "2026-08-20")}, ""},
		{"publication of 30 days is less than a 31-day month", TypeLandUsePlan,
			[]PhaseInput{announced(phase(KindPublication, AudiencePublic, "2026-07-01", "2026-07-30"), "2026-06-20")}, "phases[0].end=procedure.publication_too_short"},
		{"publication of a whole July", TypeLandUsePlan,
			[]PhaseInput{announced(phase(KindPublication, AudiencePublic, "2026-07-01", "2026-07-31"), "2026-06-20")}, ""},
		{"February is a month but not 30 days", TypeLandUsePlan,
			[]PhaseInput{announced(phase(KindPublication, AudiencePublic, "2027-02-01", "2027-02-28"), "2027-01-20")}, "phases[0].end=procedure.publication_too_short"},
		{"publication of 29 days", TypeLandUsePlan,
			[]PhaseInput{announced(phase(KindPublication, AudiencePublic, "2026-09-01", "2026-09-29"), "2026-08-20")}, "phases[0].end=procedure.publication_too_short"},
		{"publication without announcement", TypeLandUsePlan,
			[]PhaseInput{phase(KindPublication, AudiencePublic, "2026-09-01", "2026-10-01")}, "phases[0].announced_on=procedure.announcement_missing"},
		{"announced on the first day is too late", TypeLandUsePlan,
			[]PhaseInput{announced(phase(KindPublication, AudiencePublic, "2026-09-01", "2026-10-01"), "2026-09-01")}, "phases[0].announced_on=procedure.announcement_late"},
		{"regional plan publication needs no announcement date", TypeRegionalPlan,
			[]PhaseInput{phase(KindPublication, AudiencePublic, "2026-09-01", "2026-10-01")}, ""},
		{"early public participation of one week", TypeLandUsePlan,
			[]PhaseInput{phase(KindEarlyPublic, AudiencePublic, "2026-07-01", "2026-07-07")}, ""},
		{"§4(1) is for invited bodies", TypeLandUsePlan,
			[]PhaseInput{phase(KindEarlyAuthorities, AudiencePublic, "2026-07-01", "2026-07-31")}, "phases[0].audience=procedure.audience_fixed"},
		{"public and invited phases may run together", TypeLandUsePlan,
			[]PhaseInput{phase(KindEarlyPublic, AudiencePublic, "2026-07-01", "2026-07-31"), phase(KindEarlyAuthorities, AudienceInvited, "2026-07-01", "2026-07-31")}, ""},
		{"two public phases may not overlap", TypeLandUsePlan,
			[]PhaseInput{phase(KindEarlyPublic, AudiencePublic, "2026-07-01", "2026-07-31"), announced(phase(KindPublication, AudiencePublic, "2026-07-31", "2026-08-31"), "2026-07-20")}, "phases[1].start=procedure.phases_overlap"},
		{"end before start", TypeStatute,
			[]PhaseInput{phase(KindParticipation, AudiencePublic, "2026-07-10", "2026-07-01")}, "phases[0].end=procedure.period_reversed"},
		{"a statute has no §3 phases", TypeStatute,
			[]PhaseInput{phase(KindEarlyPublic, AudiencePublic, "2026-07-01", "2026-07-31")}, "phases[0].kind=procedure.phase_kind_type"},
		{"a plan has no generic phases", TypeLandUsePlan,
			[]PhaseInput{phase(KindParticipation, AudiencePublic, "2026-07-01", "2026-07-31")}, "phases[0].kind=procedure.phase_kind_type"},
		{"unknown kind", TypeStatute,
			[]PhaseInput{phase("hearing", AudiencePublic, "2026-07-01", "2026-07-31")}, "phases[0].kind=procedure.phase_kind_invalid"},
		{"a statute needs an end", TypeStatute,
			[]PhaseInput{phase(KindParticipation, AudiencePublic, "2026-07-01", "")}, "phases[0].end=procedure.end_required"},
		{"defect reporting runs without end", TypeDefectReporting,
			[]PhaseInput{phase(KindParticipation, AudiencePublic, "2026-07-01", "")}, ""},
		// The year 0 failed in PostgreSQL with a 500.
		{"no phase before 2000", TypeDefectReporting,
			[]PhaseInput{phase(KindParticipation, AudiencePublic, "0000-01-01", "")}, "phases[0].start=procedure.date_too_early"},
		{"no announcement before 2000", TypeLandUsePlan,
			[]PhaseInput{announced(phase(KindPublication, AudiencePublic, "2026-09-01", "2026-10-01"), "1999-12-31")}, "phases[0].announced_on=procedure.date_too_early"},
		{"invited bodies only in invited phases", TypeStatute,
			[]PhaseInput{{Phase: Phase{Kind: KindParticipation, Audience: AudiencePublic, Period: Period{Start: d("2026-07-01"), End: d("2026-07-31")}, InvitedBodies: []uuid.UUID{uuid.New()}}}}, "phases[0].invited_bodies=procedure.invite_public_phase"},
		{"repeated participation may address bodies", TypeLandUsePlan,
			[]PhaseInput{phase(KindRepeated, AudienceInvited, "2026-07-01", "2026-07-14")}, ""},
		{"a body is invited once", TypeStatute,
			[]PhaseInput{invite(phase(KindParticipation, AudienceInvited, "2026-07-01", "2026-07-31"), bodyA, bodyB, bodyA, bodyB, bodyA)},
			"phases[0].invited_bodies[2]=duplicate phases[0].invited_bodies[3]=duplicate phases[0].invited_bodies[4]=duplicate"},
		{"the same body in two phases", TypeStatute,
			[]PhaseInput{invite(phase(KindParticipation, AudienceInvited, "2026-07-01", "2026-07-31"), bodyA),
				invite(phase(KindParticipation, AudienceInvited, "2026-09-01", "2026-09-30"), bodyA, bodyB)}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sub := Subtypes[tt.typ][0]
			p, err := New(uuid.New(), uuid.New(), Input{Type: tt.typ, Subtype: sub, Title: "T", Summary: "S"}, now)
			if err != nil {
				t.Fatal(err)
			}
			var last error
			for _, ph := range tt.phases {
				_, last = p.SetPhase(ph, uuid.Nil, now)
			}
			if got := fieldCodes(last); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// A procedure walks through every status as the clock passes the Berlin dates.
func TestStatusFollowsTheClock(t *testing.T) {
	t.Parallel()
	clock := berlin("2026-06-01 09:00:00")
	p := bplan(t, clock)
	early := phase(KindEarlyPublic, AudiencePublic, "2026-06-15", "2026-06-30")
	pub := phase(KindPublication, AudiencePublic, "2026-09-01", "2026-09-30")
	pub.AnnouncedOn = d("2026-08-20")
	for _, ph := range []PhaseInput{early, pub} {
		if _, err := p.SetPhase(ph, uuid.Nil, clock); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		at   string
		do   func(now time.Time) error
		want Status
	}{
		{"2026-06-01 09:00:00", nil, StatusDraft},
		{"2026-06-01 10:00:00", p.Publish, StatusAnnounced},
		{"2026-06-14 23:59:59", nil, StatusAnnounced},
		{"2026-06-15 00:00:00", nil, StatusOpen},
		{"2026-06-30 23:59:59", nil, StatusOpen},
		{"2026-07-01 00:00:00", nil, StatusAnnounced}, // between the rounds, the next is announced
		{"2026-09-01 00:00:00", nil, StatusOpen},
		{"2026-09-30 23:59:59", nil, StatusOpen},
		{"2026-10-01 00:00:00", nil, StatusEvaluation},
		{"2026-12-01 10:00:00", func(now time.Time) error { return p.Conclude("Der Plan wurde am 30.11. beschlossen.", now) }, StatusConcluded},
		{"2027-06-01 10:00:00", p.Archive, StatusArchived},
	}
	for _, s := range steps {
		now := berlin(s.at)
		if s.do != nil {
			if err := s.do(now); err != nil {
				t.Fatalf("%s: %v", s.at, err)
			}
		}
		if got := p.Status(now); got != s.want {
			t.Fatalf("%s: got %s, want %s", s.at, got, s.want)
		}
	}
}

func TestLifecycleActionsNeedTheRightStatus(t *testing.T) {
	t.Parallel()
	now := berlin("2026-06-01 09:00:00")
	p := bplan(t, now)
	if err := p.Publish(now); fieldCodes(err) != "phases=procedure.no_phases" {
		t.Fatalf("publish without phases: got %v", err)
	}
	if _, err := p.SetPhase(phase(KindEarlyPublic, AudiencePublic, "2026-06-01", "2026-06-30"), uuid.Nil, now); err != nil {
		t.Fatal(err)
	}
	if err := p.Conclude("x", now); !errors.Is(err, ErrNotEvaluation) {
		t.Fatalf("conclude a draft: got %v", err)
	}
	if err := p.CanDelete(); err != nil {
		t.Fatalf("delete a draft: %v", err)
	}
	if err := p.Publish(now); err != nil {
		t.Fatal(err)
	}
	if err := p.Publish(now); !errors.Is(err, ErrNotDraft) {
		t.Fatalf("publish twice: got %v", err)
	}
	if err := p.CanDelete(); !errors.Is(err, ErrNotDraft) {
		t.Fatalf("delete a published procedure: got %v", err)
	}
	if err := p.CloseEarly("  ", now); fieldCodes(err) != "reason=procedure.reason_required" {
		t.Fatalf("close without reason: got %v", err)
	}
	if err := p.CloseEarly("Planung wird eingestellt.", now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got := p.Status(now.Add(2 * time.Hour)); got != StatusEvaluation {
		t.Fatalf("after closing early: got %s", got)
	}
	if p.ClosedReason != "Planung wird eingestellt." {
		t.Fatalf("reason not stored: %q", p.ClosedReason)
	}
	if _, err := p.SetPhase(phase(KindEarlyPublic, AudiencePublic, "2026-07-01", "2026-07-30"), uuid.Nil, now.Add(3*time.Hour)); !errors.Is(err, ErrClosedEarly) {
		t.Fatalf("schedule after closing early: got %v", err)
	}
	if err := p.Archive(now); !errors.Is(err, ErrNotConcluded) {
		t.Fatalf("archive before conclusion: got %v", err)
	}
	if err := p.Conclude("<script>alert(1)</script>", now.Add(4*time.Hour)); fieldCodes(err) != "result=procedure.html_not_allowed" {
		t.Fatalf("script in result: got %v", err)
	}
}

// Once published, what has begun is history: only its end may move, shortening
// or reopening with a stored reason.
func TestPublishedScheduleKeepsThePast(t *testing.T) {
	t.Parallel()
	created := berlin("2026-05-01 09:00:00")
	setup := func(t *testing.T) (*Procedure, Phase, Phase) {
		p, err := New(uuid.New(), uuid.New(), Input{Type: TypeStatute, Subtype: SubtypeGehoelzschutzsatzung, Title: "Gehölzschutzsatzung", Summary: "Entwurf"}, created)
		if err != nil {
			t.Fatal(err)
		}
		past, err := p.SetPhase(phase(KindParticipation, AudiencePublic, "2026-05-04", "2026-05-20"), uuid.Nil, created)
		if err != nil {
			t.Fatal(err)
		}
		running, err := p.SetPhase(phase(KindParticipation, AudiencePublic, "2026-06-01", "2026-06-30"), uuid.Nil, created)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Publish(created); err != nil {
			t.Fatal(err)
		}
		return &p, past, running
	}
	now := berlin("2026-06-10 12:00:00")
	editor := uuid.New()
	tests := []struct {
		name    string
		change  func(past, running Phase) PhaseInput
		want    string
		changes int // period changes recorded
	}{
		{"extend the running period", func(_, r Phase) PhaseInput { r.Period.End = d("2026-07-15"); return PhaseInput{Phase: r} }, "", 1},
		{"shorten without reason", func(_, r Phase) PhaseInput { r.Period.End = d("2026-06-20"); return PhaseInput{Phase: r} }, "reason=procedure.reason_required", 0},
		{"shorten with reason", func(_, r Phase) PhaseInput {
			r.Period.End = d("2026-06-20")
			return PhaseInput{Phase: r, Reason: "Fehler in der Bekanntmachung"}
		}, "", 1},
		{"end it yesterday", func(_, r Phase) PhaseInput {
			r.Period.End = d("2026-06-09")
			return PhaseInput{Phase: r, Reason: "x"}
		}, "phases[1].end=procedure.past_period", 0},
		{"move the start of a running phase", func(_, r Phase) PhaseInput { r.Period.Start = d("2026-06-05"); return PhaseInput{Phase: r} }, "phases[1].start=procedure.past_period", 0},
		{"rewrite a past period", func(p, _ Phase) PhaseInput { p.Period.End = d("2026-05-25"); return PhaseInput{Phase: p, Reason: "x"} }, "phases[0].end=procedure.past_period", 0},
		{"move an ended period's end within the past", func(p, _ Phase) PhaseInput { p.Period.End = d("2026-05-31"); return PhaseInput{Phase: p} }, "phases[0].end=procedure.past_period", 0},
		{"add a phase in the past", func(_, _ Phase) PhaseInput {
			return phase(KindParticipation, AudienceInvited, "2026-06-01", "2026-06-30")
		}, "phases[2].start=procedure.past_period", 0},
		{"add a phase from today", func(_, _ Phase) PhaseInput {
			return phase(KindParticipation, AudienceInvited, "2026-06-10", "2026-06-30")
		}, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, past, running := setup(t)
			before := append([]Phase(nil), p.Phases...)
			_, err := p.SetPhase(tt.change(past, running), editor, now)
			if got := fieldCodes(err); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
			if len(p.PeriodChanges) != tt.changes {
				t.Fatalf("period changes: got %d, want %d", len(p.PeriodChanges), tt.changes)
			}
			if tt.changes == 1 && (p.PeriodChanges[0].By != editor || p.PeriodChanges[0].OldEnd != d("2026-06-30")) {
				t.Fatalf("change record: %+v", p.PeriodChanges[0])
			}
			if err != nil && len(p.Phases) != len(before) {
				t.Fatal("a refused change altered the schedule")
			}
		})
	}

	t.Run("reopen an ended period with reason", func(t *testing.T) {
		t.Parallel()
		p, past, _ := setup(t)
		past.Period.End = d("2026-06-15")
		// It would overlap the running public phase: refused for that, not for the past.
		_, err := p.SetPhase(PhaseInput{Phase: past, Reason: "Unterlagen waren unvollständig"}, editor, now)
		if got := fieldCodes(err); got != "phases[1].start=procedure.phases_overlap" {
			t.Fatalf("got %q", got)
		}
	})
	t.Run("remove phases", func(t *testing.T) {
		t.Parallel()
		p, past, running := setup(t)
		if err := p.RemovePhase(past.ID, now); fieldCodes(err) != "phases[0].start=procedure.past_period" {
			t.Fatalf("remove past phase: got %v", err)
		}
		if err := p.RemovePhase(running.ID, now); fieldCodes(err) != "phases[1].start=procedure.past_period" {
			t.Fatalf("remove running phase: got %v", err)
		}
		future, err := p.SetPhase(phase(KindParticipation, AudiencePublic, "2026-08-01", "2026-08-31"), editor, now)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.RemovePhase(future.ID, now); err != nil {
			t.Fatalf("remove future phase: %v", err)
		}
	})
}

func TestInputRules(t *testing.T) {
	t.Parallel()
	ok := Input{Type: TypeStatute, Subtype: SubtypeHaushaltssatzung, Title: "Haushaltssatzung 2027", Summary: "Entwurf"}
	tests := []struct {
		name   string
		change func(*Input)
		want   string
	}{
		{"valid", func(*Input) {}, ""},
		{"subtype of another type", func(in *Input) { in.Subtype = SubtypeBebauungsplan }, "subtype=procedure.subtype_invalid"},
		{"unknown type", func(in *Input) { in.Type = "referendum" }, "type=procedure.type_invalid"},
		{"missing title", func(in *Input) { in.Title = " " }, "title=required"},
		{"script in description", func(in *Input) { in.Description = "Siehe <script>alert(1)</script>" }, "description=procedure.html_not_allowed"},
		{"javascript link", func(in *Input) { in.Description = "[Plan](javascript:alert(1))" }, "description=procedure.html_not_allowed"},
		{"markdown is fine", func(in *Input) {
			in.Description = "## Ziele\n\n* Wohnen < 3 Geschosse\n* [Plan](https://example.org/plan.pdf)"
		}, ""},
		{"bad slug", func(in *Input) { in.Slug = "Haushalt 2027" }, "slug=procedure.slug_invalid"},
		// /procedures/{id} reads a UUID as an ID, so such a slug could never be found.
		{"slug that is a UUID", func(in *Input) { in.Slug = "01a207ab-c931-743c-abf1-b74570050ec4" }, "slug=procedure.slug_uuid"},
		{"slug that is a UUID without hyphens", func(in *Input) { in.Slug = "01a207abc931743cabf1b74570050ec4" }, "slug=procedure.slug_uuid"},
		{"slug that only looks a bit like a UUID", func(in *Input) { in.Slug = "01a207ab-c931-743c-abf1-b74570050ec4-2027" }, ""},
		{"bad contact e-mail", func(in *Input) { in.Contact.Email = "stadt at x" }, "contact.email=email"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := ok
			tt.change(&in)
			_, err := New(uuid.New(), uuid.New(), in, time.Now())
			if got := fieldCodes(err); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSlugify(t *testing.T) {
	t.Parallel()
	id := uuid.MustParse("01a207ab-c931-743c-abf1-b74570050ec4")
	tests := map[string]string{
		"Bebauungsplan Nr. 42 „Am Mühlgraben“": "bebauungsplan-nr-42-am-muehlgraben-050ec4",
		"Gehölzschutzsatzung der Stadt Döbeln": "gehoelzschutzsatzung-der-stadt-doebeln-050ec4",
		"!!!":                                  "verfahren-050ec4",
	}
	for in, want := range tests {
		if got := Slugify(in, id); got != want {
			t.Errorf("Slugify(%q): got %q, want %q", in, got, want)
		}
	}
	// A long title is cut so that the slug stays within the 80 characters the
	// rules (and the URL) allow.
	long := Slugify(strings.Repeat("Gehölzschutzsatzung ", 20), id)
	if len(long) > 80 || !slugPattern.MatchString(long) || !strings.HasSuffix(long, "-050ec4") {
		t.Errorf("Slugify(long title) = %q (%d characters)", long, len(long))
	}
	// A title made of a UUID's groups never yields a slug that reads as an ID.
	for _, title := range []string{
		id.String(), strings.ReplaceAll(id.String(), "-", ""), strings.ReplaceAll(id.String(), "-", " "),
		id.String()[:30], strings.ReplaceAll(id.String(), "-", "")[:26], "01a207ab c931 743c abf1 b745",
	} {
		s := Slugify(title, id)
		if _, err := uuid.Parse(s); err == nil {
			t.Errorf("Slugify(%q) = %q, which parses as a UUID", title, s)
		}
		if !slugPattern.MatchString(s) {
			t.Errorf("Slugify(%q) = %q, which is no valid slug", title, s)
		}
	}
}

// A published procedure keeps at least one phase: without one it would stay
// announced for ever. Drafts may drop their only phase.
func TestPublishedProcedureKeepsAPhase(t *testing.T) {
	t.Parallel()
	created := berlin("2026-05-01 09:00:00")
	now := berlin("2026-05-10 12:00:00")
	tests := []struct {
		name    string
		publish bool
		phases  []PhaseInput
		remove  int // index of the phase to remove
		want    error
	}{
		{"the only phase of a draft", false,
			[]PhaseInput{phase(KindParticipation, AudiencePublic, "2026-06-01", "2026-06-30")}, 0, nil},
		{"one of two future phases", true,
			[]PhaseInput{phase(KindParticipation, AudiencePublic, "2026-06-01", "2026-06-30"),
				phase(KindParticipation, AudiencePublic, "2026-08-01", "2026-08-31")}, 1, nil},
		{"the future phase next to a running one", true,
			[]PhaseInput{phase(KindParticipation, AudiencePublic, "2026-05-04", "2026-05-20"),
				phase(KindParticipation, AudiencePublic, "2026-08-01", "2026-08-31")}, 1, nil},
		{"the only phase of a published procedure", true,
			[]PhaseInput{phase(KindParticipation, AudiencePublic, "2026-06-01", "2026-06-30")}, 0, ErrLastPhase},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := New(uuid.New(), uuid.New(), Input{Type: TypeStatute, Subtype: SubtypeGehoelzschutzsatzung, Title: "Gehölzschutzsatzung", Summary: "Entwurf"}, created)
			if err != nil {
				t.Fatal(err)
			}
			for _, ph := range tt.phases {
				if _, err := p.SetPhase(ph, uuid.Nil, created); err != nil {
					t.Fatal(err)
				}
			}
			if tt.publish {
				if err := p.Publish(created); err != nil {
					t.Fatal(err)
				}
			}
			version := p.Version
			err = p.RemovePhase(p.Phases[tt.remove].ID, now)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			switch {
			case err != nil && (len(p.Phases) != len(tt.phases) || p.Version != version):
				t.Fatal("a refused removal altered the procedure")
			case err != nil && !errors.Is(err, domain.ErrConflict):
				t.Fatalf("got %v, want a conflict", err)
			case err == nil && len(p.Phases) != len(tt.phases)-1:
				t.Fatalf("phases: got %d, want %d", len(p.Phases), len(tt.phases)-1)
			}
		})
	}
}

// Field paths name a phase by its place in the schedule as the client read it
// (the order of the start days), a new phase last, a changed one at its old place,
// even when the change moves it elsewhere.
func TestPhaseErrorsNameTheClientsIndex(t *testing.T) {
	t.Parallel()
	now := berlin("2026-05-01 09:00:00")
	long := strings.Repeat("x", maxShort+1)
	tests := []struct {
		name   string
		change func(first, second Phase) PhaseInput
		want   string
	}{
		{"a new phase that would sort first", func(_, _ Phase) PhaseInput {
			return phase(KindParticipation, AudiencePublic, "2026-06-10", "2026-06-01")
		}, "phases[2].end=procedure.period_reversed"},
		{"a new phase overlapping the first", func(_, _ Phase) PhaseInput {
			return phase(KindParticipation, AudiencePublic, "2026-06-20", "2026-07-05")
		}, "phases[2].start=procedure.phases_overlap"},
		{"the second phase moved before the first", func(_, s Phase) PhaseInput {
			s.Period = Period{Start: d("2026-06-10"), End: d("2026-06-01")}
			return PhaseInput{Phase: s}
		}, "phases[1].end=procedure.period_reversed"},
		{"the first phase moved after the second", func(f, _ Phase) PhaseInput {
			f.Period, f.Title = Period{Start: d("2026-10-01"), End: d("2026-10-31")}, long
			return PhaseInput{Phase: f}
		}, "phases[0].title=too_long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := New(uuid.New(), uuid.New(), Input{Type: TypeStatute, Subtype: SubtypeHaushaltssatzung, Title: "Haushaltssatzung", Summary: "Entwurf"}, now)
			if err != nil {
				t.Fatal(err)
			}
			first, err := p.SetPhase(phase(KindParticipation, AudiencePublic, "2026-07-01", "2026-07-31"), uuid.Nil, now)
			if err != nil {
				t.Fatal(err)
			}
			second, err := p.SetPhase(phase(KindParticipation, AudiencePublic, "2026-09-01", "2026-09-30"), uuid.Nil, now)
			if err != nil {
				t.Fatal(err)
			}
			_, err = p.SetPhase(tt.change(first, second), uuid.Nil, now)
			if got := fieldCodes(err); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
			if p.Phases[0].ID != first.ID || p.Phases[1].ID != second.ID || len(p.Phases) != 2 {
				t.Fatal("a refused change altered the schedule")
			}
		})
	}
	t.Run("the schedule stays in the order of the start days", func(t *testing.T) {
		t.Parallel()
		p, err := New(uuid.New(), uuid.New(), Input{Type: TypeStatute, Subtype: SubtypeHaushaltssatzung, Title: "Haushaltssatzung", Summary: "Entwurf"}, now)
		if err != nil {
			t.Fatal(err)
		}
		for i, start := range []string{"2026-09-01", "2026-07-01", "2026-08-01", "2026-07-01"} {
			aud := AudiencePublic
			if i == 3 {
				aud = AudienceInvited // the same start as a public phase
			}
			if _, err := p.SetPhase(phase(KindParticipation, aud, start, start), uuid.Nil, now); err != nil {
				t.Fatal(err)
			}
		}
		var got []string
		for _, ph := range p.Phases {
			got = append(got, ph.Period.Start.String())
		}
		if want := "2026-07-01 2026-07-01 2026-08-01 2026-09-01"; strings.Join(got, " ") != want {
			t.Fatalf("got %v, want %s", got, want)
		}
		if p.Phases[0].ID.String() > p.Phases[1].ID.String() {
			t.Fatal("phases with the same start are not in the order of their IDs, as the store returns them")
		}
	})
}
