package procedure

import (
	"testing"
	"time"
)

func d(s string) Date {
	v, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return v
}

func TestPeriodContainsUntilMidnightBerlin(t *testing.T) {
	t.Parallel()
	p := Period{Start: d("2026-08-18"), End: d("2026-09-17")}
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			panic(err)
		}
		return v
	}
	tests := []struct {
		at   string
		want bool
	}{
		{"2026-08-17T21:59:59Z", false}, // 23:59:59 CEST the day before
		{"2026-08-17T22:00:00Z", true},  // 00:00 CEST on the first day
		{"2026-09-17T21:59:59Z", true},  // 23:59:59 CEST on the last day
		{"2026-09-17T22:00:00Z", false}, // 00:00 CEST the day after
	}
	for _, tt := range tests {
		if got := p.Contains(at(tt.at)); got != tt.want {
			t.Errorf("Contains(%s): got %v, want %v", tt.at, got, tt.want)
		}
	}
}

func TestPeriodAcrossDaylightSavingChanges(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		last     Date
		lastUTC  string // last second of the last day, in UTC
		afterUTC string
	}{
		// Clocks go back on 25.10.2026: the last day has 25 hours.
		{"end of summer time", d("2026-10-25"), "2026-10-25T22:59:59Z", "2026-10-25T23:00:00Z"},
		// Clocks go forward on 29.03.2026: the last day has 23 hours.
		{"start of summer time", d("2026-03-29"), "2026-03-29T21:59:59Z", "2026-03-29T22:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := Period{Start: tt.last.AddDays(-30), End: tt.last}
			last, _ := time.Parse(time.RFC3339, tt.lastUTC)
			after, _ := time.Parse(time.RFC3339, tt.afterUTC)
			if !p.Contains(last) || p.Contains(after) {
				t.Fatalf("got %v/%v at %s/%s, want true/false", p.Contains(last), p.Contains(after), tt.lastUTC, tt.afterUTC)
			}
		})
	}
}

func TestDateArithmetic(t *testing.T) {
	t.Parallel()
	if got := (Period{Start: d("2026-03-01"), End: d("2026-03-30")}).Days(); got != 30 {
		t.Errorf("Days: got %d, want 30", got)
	}
	if got := d("2026-01-31").AddMonths(1); got != d("2026-03-03") {
		t.Errorf("AddMonths normalises like AddDate: got %v", got)
	}
	if got := d("2026-10-24").AddDays(2); got != d("2026-10-26") {
		t.Errorf("AddDays across DST: got %v", got)
	}
	if got := d("2028-02-28").AddDays(1); got != d("2028-02-29") {
		t.Errorf("leap day: got %v", got)
	}
	if _, err := ParseDate("2026-02-30"); err == nil {
		t.Error("30 February accepted")
	}
	if got := Today(time.Date(2026, 11, 22, 23, 30, 0, 0, time.UTC)); got != d("2026-11-23") {
		t.Errorf("Today is Berlin's day: got %v", got)
	}
}

func TestPeriodOverlaps(t *testing.T) {
	t.Parallel()
	a := Period{Start: d("2026-05-01"), End: d("2026-05-31")}
	tests := []struct {
		b    Period
		want bool
	}{
		{Period{Start: d("2026-05-31"), End: d("2026-06-30")}, true}, // shares the last day
		{Period{Start: d("2026-06-01"), End: d("2026-06-30")}, false},
		{Period{Start: d("2026-04-01"), End: d("2026-04-30")}, false},
		{Period{Start: d("2026-04-01")}, true}, // open-ended
		{Period{Start: d("2026-06-01")}, false},
	}
	for _, tt := range tests {
		if got := a.Overlaps(tt.b); got != tt.want {
			t.Errorf("Overlaps(%v): got %v, want %v", tt.b, got, tt.want)
		}
		if got := tt.b.Overlaps(a); got != tt.want {
			t.Errorf("symmetric Overlaps(%v): got %v, want %v", tt.b, got, tt.want)
		}
	}
}

// FuzzParseDate: a date from a client either is refused or is a day that
// exists and prints as it was given.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2026-09-17", "2024-02-29", "2025-02-29", "0000-01-01", "9999-12-31", "2026-9-17", "2026-13-01",
		"2026-09-17T00:00:00Z", " 2026-09-17", "+002026-09-17", "-001-01-01", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s)
		if err != nil {
			return
		}
		if d.String() != s {
			t.Fatalf("ParseDate(%q) = %s", s, d)
		}
		if !d.Start().Before(d.End()) || DateOf(d.Start()) != d {
			t.Fatalf("ParseDate(%q) = %s: starts %v, ends %v", s, d, d.Start(), d.End())
		}
	})
}
