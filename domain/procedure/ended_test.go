package procedure

import (
	"testing"
	"time"
)

func TestParticipationEnd(t *testing.T) {
	t.Parallel()
	published := berlin("2026-09-01 09:00:00")
	period := func(start, end string) Phase {
		ph := Phase{Kind: KindParticipation, Audience: AudiencePublic, Period: Period{Start: d(start)}}
		if end != "" {
			ph.Period.End = d(end)
		}
		return ph
	}
	october := period("2026-10-01", "2026-10-31")
	tests := []struct {
		name string
		p    Procedure
		now  string // Berlin wall-clock time
		want string // Berlin wall-clock time; "" for none
	}{
		{"draft", Procedure{Phases: []Phase{october}}, "2026-12-01 00:00:00", ""},
		{"to come", Procedure{PublishedAt: published, Phases: []Phase{october}}, "2026-09-30 23:59:59", ""},
		{"last minute", Procedure{PublishedAt: published, Phases: []Phase{october}}, "2026-10-31 23:59:59", ""},
		{"ended at midnight", Procedure{PublishedAt: published, Phases: []Phase{october}}, "2026-11-01 00:00:00", "2026-11-01 00:00:00"},
		{"ended in summer time", Procedure{PublishedAt: published, Phases: []Phase{period("2026-10-01", "2026-10-24")}},
			"2026-11-20 12:00:00", "2026-10-25 00:00:00"},
		{"between phases", Procedure{PublishedAt: published, Phases: []Phase{period("2026-09-01", "2026-09-10"), october}},
			"2026-09-20 12:00:00", ""},
		{"last of two phases", Procedure{PublishedAt: published, Phases: []Phase{october, period("2026-09-01", "2026-09-10")}},
			"2026-11-20 12:00:00", "2026-11-01 00:00:00"},
		{"closed early", Procedure{PublishedAt: published, Phases: []Phase{october}, ClosedAt: berlin("2026-10-10 15:30:00")},
			"2026-10-10 15:30:00", "2026-10-10 15:30:00"},
		{"open-ended", Procedure{PublishedAt: published, Phases: []Phase{period("2026-10-01", "")}}, "2027-06-01 00:00:00", ""},
		{"open-ended, closed", Procedure{PublishedAt: published, Phases: []Phase{period("2026-10-01", "")}, ClosedAt: berlin("2026-12-24 12:00:00")},
			"2027-06-01 00:00:00", "2026-12-24 12:00:00"},
		{"concluded", Procedure{PublishedAt: published, Phases: []Phase{october}, ConcludedAt: berlin("2026-11-15 10:00:00")},
			"2026-11-20 12:00:00", "2026-11-01 00:00:00"},
		{"archived", Procedure{PublishedAt: published, Phases: []Phase{october}, ConcludedAt: berlin("2026-11-15 10:00:00"),
			ArchivedAt: berlin("2026-11-16 10:00:00")}, "2026-11-20 12:00:00", "2026-11-01 00:00:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := tt.p.ParticipationEnd(berlin(tt.now))
			var want time.Time
			if tt.want != "" {
				want = berlin(tt.want)
			}
			if !got.Equal(want) {
				t.Fatalf("got %v, want %v", got.In(Berlin), want)
			}
		})
	}
}
