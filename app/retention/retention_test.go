package retention_test

import (
	"testing"
	"time"

	"beteiligungsportal/app/retention"
	"beteiligungsportal/domain/procedure"
)

func berlin(s string) time.Time {
	t, err := time.ParseInLocation(time.DateTime, s, procedure.Berlin)
	if err != nil {
		panic(err)
	}
	return t
}

func TestRetentionDraftsExpired(t *testing.T) {
	t.Parallel()
	survey := func(end string, closed string) *procedure.Procedure {
		p := &procedure.Procedure{Type: procedure.TypeSurvey, PublishedAt: berlin("2026-09-01 09:00:00"),
			Phases: []procedure.Phase{{Kind: procedure.KindParticipation, Audience: procedure.AudiencePublic,
				Period: procedure.Period{Start: procedure.Date{Year: 2026, Month: 10, Day: 1}}}}}
		if end != "" {
			p.Phases[0].Period.End, _ = procedure.ParseDate(end)
		}
		if closed != "" {
			p.ClosedAt = berlin(closed)
		}
		return p
	}
	week := retention.Config{DraftGrace: 7 * 24 * time.Hour}
	tests := []struct {
		name string
		cfg  retention.Config
		p    *procedure.Procedure
		now  string
		want bool
	}{
		{"still open", week, survey("2026-10-31", ""), "2026-10-31 23:59:59", false},
		{"ended, within the grace period", week, survey("2026-10-31", ""), "2026-11-07 23:59:59", false},
		{"grace period over", week, survey("2026-10-31", ""), "2026-11-08 00:00:00", true},
		{"default grace of seven days", retention.Config{}, survey("2026-10-31", ""), "2026-11-08 00:00:00", true},
		{"longer grace", retention.Config{DraftGrace: 30 * 24 * time.Hour}, survey("2026-10-31", ""), "2026-11-08 00:00:00", false},
		{"closed early counts from the close", week, survey("2026-10-31", "2026-10-10 12:00:00"), "2026-10-17 12:00:00", true},
		{"open-ended never expires", week, survey("", ""), "2030-01-01 00:00:00", false},
		{"open-ended, closed", week, survey("", "2027-03-01 08:00:00"), "2027-03-08 08:00:00", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.cfg.DraftsExpired(tt.p, berlin(tt.now)); got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}
