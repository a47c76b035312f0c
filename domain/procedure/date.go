package procedure

import (
	"fmt"
	"time"
	_ "time/tzdata" // the law counts days in Europe/Berlin wherever the server runs
)

// Berlin is the time zone in which participation periods are counted.
var Berlin = mustLoad("Europe/Berlin")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err) // embedded by time/tzdata: cannot fail
	}
	return loc
}

// Date is a calendar day as the law counts it, without a time of day or zone.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ParseDate reads YYYY-MM-DD and refuses days that do not exist.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("not a date: %q", s)
	}
	return DateOf(t), nil
}

// DateOf returns the calendar day of t as it is in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// Today returns the day that now falls on in Berlin.
func Today(now time.Time) Date { return DateOf(now.In(Berlin)) }

// IsZero reports whether the date is unset.
func (d Date) IsZero() bool { return d == Date{} }

// String formats the date as YYYY-MM-DD.
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// German formats the date as Germans write it, e.g. 17.09.2026.
func (d Date) German() string { return fmt.Sprintf("%02d.%02d.%04d", d.Day, d.Month, d.Year) }

// Start returns the first instant of the day in Berlin (00:00 local time).
func (d Date) Start() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, Berlin) }

// End returns the first instant after the day in Berlin: a period "until 17.09."
// accepts everything before 18.09. 00:00 local time, across daylight-saving changes.
func (d Date) End() time.Time { return d.AddDays(1).Start() }

// AddDays returns the date n calendar days later (earlier for negative n).
func (d Date) AddDays(n int) Date {
	return DateOf(time.Date(d.Year, d.Month, d.Day+n, 12, 0, 0, 0, time.UTC))
}

// AddMonths returns the date n months later, normalised like time.AddDate.
func (d Date) AddMonths(n int) Date {
	return DateOf(time.Date(d.Year, d.Month+time.Month(n), d.Day, 12, 0, 0, 0, time.UTC))
}

// Before reports whether d is an earlier day than o.
func (d Date) Before(o Date) bool { return d.Start().Before(o.Start()) }

// After reports whether d is a later day than o.
func (d Date) After(o Date) bool { return o.Before(d) }

// DaysUntil returns the number of calendar days from d to o (negative when o is earlier).
func (d Date) DaysUntil(o Date) int {
	a := time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC)
	b := time.Date(o.Year, o.Month, o.Day, 12, 0, 0, 0, time.UTC)
	return int(b.Sub(a).Hours() / 24)
}

// Period is a participation period of whole days, both ends inclusive. An open
// end (zero End) runs until the agency closes it, as defect reporting does.
type Period struct {
	Start Date
	End   Date
}

// OpenEnded reports whether the period has no end date.
func (p Period) OpenEnded() bool { return p.End.IsZero() }

// Days returns the number of days the period lasts, both ends counted; 0 when open-ended.
func (p Period) Days() int {
	if p.OpenEnded() {
		return 0
	}
	return p.Start.DaysUntil(p.End) + 1
}

// Contains reports whether the instant t falls inside the period.
func (p Period) Contains(t time.Time) bool {
	if t.Before(p.Start.Start()) {
		return false
	}
	return p.OpenEnded() || t.Before(p.End.End())
}

// Overlaps reports whether two periods share at least one day.
func (p Period) Overlaps(o Period) bool {
	aEnd, bEnd := p.End, o.End
	if p.OpenEnded() {
		aEnd = Date{9999, 12, 31}
	}
	if o.OpenEnded() {
		bEnd = Date{9999, 12, 31}
	}
	return !aEnd.Before(o.Start) && !bEnd.Before(p.Start)
}
