package postgres

import (
	"encoding/base64"
	"errors"
	"math"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"beteiligungsportal/domain/defect"
	"beteiligungsportal/domain/procedure"
)

var fuzzSorts = []procedure.Sort{"", procedure.SortNewest, procedure.SortDeadline, procedure.SortRelevance}

// FuzzDecodeCursor: a catalogue cursor from a client is either refused with
// ErrBadCursor or names this sort order, a procedure and, for relevance, a
// tier and a time; what it accepts encodes to a cursor it reads back alike.
func FuzzDecodeCursor(f *testing.F) {
	id := uuid.MustParse("0190a6c4-1d2e-7c3b-9a1e-2f3e4d5c6b7a")
	at := time.Date(2026, 11, 23, 9, 30, 0, 123456000, time.UTC)
	for _, c := range []cursor{{Sort: "newest", Time: at, ID: id}, {Sort: "deadline", Time: at, ID: id},
		{Sort: "relevance", Time: at, Rank: 2, ID: id}, {Sort: "relevance", Time: at, Rank: 0.5, ID: id},
		{Sort: "relevance", Rank: 1, ID: id}, {Sort: "newest"}, {Sort: "deadline", ID: id}} {
		f.Add(c.encode(), uint8(0))
		f.Add(c.encode(), uint8(3))
	}
	for _, s := range []string{"", "e30", "bnVsbA", "!!!", "eyJzIjoibmV3ZXN0IiwiaSI6MX0", "eyJzIjoicmVsZXZhbmNlIiwiciI6MWUzMDl9",
		base64.RawURLEncoding.EncodeToString([]byte(`{"s":"relevance","t":"2026-01-01T00:00:00Z","r":-0,"i":"0190a6c4-1d2e-7c3b-9a1e-2f3e4d5c6b7a"}`)),
		base64.RawURLEncoding.EncodeToString([]byte(`{"s":"newest","t":"0000-01-01T00:00:00Z","i":"0190a6c4-1d2e-7c3b-9a1e-2f3e4d5c6b7a"}`)),
		base64.StdEncoding.EncodeToString([]byte(`{"s":"newest","i":"0190a6c4-1d2e-7c3b-9a1e-2f3e4d5c6b7a"}`))} {
		f.Add(s, uint8(1))
		f.Add(s, uint8(3))
	}
	f.Fuzz(func(t *testing.T, s string, sortIndex uint8) {
		sort := fuzzSorts[int(sortIndex)%len(fuzzSorts)]
		c, err := decodeCursor(s, sort)
		if err != nil {
			if err != ErrBadCursor || c != (cursor{}) {
				t.Fatalf("decodeCursor(%q, %s) = %+v, %v; want ErrBadCursor", s, sort, c, err)
			}
			return
		}
		if c.Sort != string(sort) || c.ID == uuid.Nil {
			t.Fatalf("decodeCursor(%q, %s) = %+v: another order or no procedure", s, sort, c)
		}
		if sort == procedure.SortRelevance && (c.Time.IsZero() || c.Rank != math.Trunc(c.Rank) || c.Rank < tierSpelled || c.Rank > tierTitle) {
			t.Fatalf("decodeCursor(%q, %s) = %+v: not a tier and time", s, sort, c)
		}
		again, err := decodeCursor(c.encode(), sort)
		if err != nil || again.Sort != c.Sort || again.ID != c.ID || again.Rank != c.Rank || !again.Time.Equal(c.Time) {
			t.Fatalf("decodeCursor(%q, %s) = %+v, which reads back as %+v, %v", s, sort, c, again, err)
		}
	})
}

// FuzzCursorRoundTrip: every cursor the catalogue issues reads back as
// itself, and never for another sort order.
func FuzzCursorRoundTrip(f *testing.F) {
	f.Add(uint8(1), int64(1_795_000_000_000_000), uint8(2), []byte("0123456789abcdef"))
	f.Add(uint8(3), int64(0), uint8(0), []byte{})
	f.Add(uint8(2), int64(-62_135_596_800_000_000), uint8(1), []byte{1})
	f.Fuzz(func(t *testing.T, sortIndex uint8, micros int64, rank uint8, idBytes []byte) {
		sort := fuzzSorts[1+int(sortIndex)%(len(fuzzSorts)-1)]
		var id uuid.UUID
		copy(id[:], idBytes)
		if id == uuid.Nil {
			id[15] = 1
		}
		// Times as PostgreSQL stores them: microseconds, UTC, years 1 to 9999.
		at := time.UnixMicro(micros).UTC()
		if at.Year() < 1 || at.Year() > 9999 {
			return
		}
		c := cursor{Sort: string(sort), Time: at, ID: id}
		if sort == procedure.SortRelevance {
			c.Rank = float64(int(rank) % (tierTitle + 1))
			if at.IsZero() {
				c.Time = c.Time.Add(time.Microsecond)
			}
		}
		got, err := decodeCursor(c.encode(), sort)
		if err != nil || got.Sort != c.Sort || got.ID != c.ID || got.Rank != c.Rank || !got.Time.Equal(c.Time) {
			t.Fatalf("cursor %+v reads back as %+v, %v", c, got, err)
		}
		for _, other := range fuzzSorts {
			if other != sort {
				if _, err := decodeCursor(c.encode(), other); err != ErrBadCursor {
					t.Fatalf("cursor %+v read for sort %q: %v", c, other, err)
				}
			}
		}
	})
}

// FuzzDecodeReportCursor: a defect list cursor from a client is either refused
// with defect.ErrBadCursor or belongs to this list and order and names a
// report; what it accepts encodes to a cursor it reads back alike.
func FuzzDecodeReportCursor(f *testing.F) {
	at := time.Date(2026, 11, 23, 9, 30, 0, 123456000, time.UTC)
	const org = "o:0190a6c4-1d2e-7c3b-9a1e-2f3e4d5c6b7a"
	for _, c := range []reportCursor{{Sort: reportSort, List: "all", Time: at, Number: 1},
		{Sort: reportSort, List: org, Time: at, Number: math.MaxInt64}, {Sort: reportSort, List: "all", Time: at},
		{Sort: reportSort, List: "all", Number: 7}, {Sort: "newest", List: "all", Time: at, Number: 7}} {
		f.Add(c.encode(), "all")
		f.Add(c.encode(), org)
	}
	for _, s := range []string{"", "e30", "bnVsbA", "%%%", "eyJzIjoiZGVmZWN0czpuZXdlc3QiLCJsIjoiYWxsIiwibiI6LTF9",
		base64.RawURLEncoding.EncodeToString([]byte(`{"s":"defects:newest","l":"all","t":"2026-01-01T00:00:00+01:00","n":1e3}`)),
		base64.RawURLEncoding.EncodeToString([]byte(`{"s":"defects:newest","l":"all","t":"2026-01-01T00:00:00Z","n":1.5}`)),
		base64.RawURLEncoding.EncodeToString([]byte(`{"s":"defects:newest","l":"all","t":"2026-01-01T00:00:00Z","n":9223372036854775808}`))} {
		f.Add(s, "all")
	}
	f.Fuzz(func(t *testing.T, s, list string) {
		c, err := decodeReportCursor(s, list)
		if err != nil {
			if !errors.Is(err, defect.ErrBadCursor) || err != defect.ErrBadCursor || c != (reportCursor{}) {
				t.Fatalf("decodeReportCursor(%q, %q) = %+v, %v; want defect.ErrBadCursor", s, list, c, err)
			}
			return
		}
		if c.Sort != reportSort || c.List != list || c.Time.IsZero() || c.Number < 1 {
			t.Fatalf("decodeReportCursor(%q, %q) = %+v: another list or no report", s, list, c)
		}
		again, err := decodeReportCursor(c.encode(), list)
		if err != nil || again.Sort != c.Sort || again.List != c.List || again.Number != c.Number || !again.Time.Equal(c.Time) {
			t.Fatalf("decodeReportCursor(%q, %q) = %+v, which reads back as %+v, %v", s, list, c, again, err)
		}
	})
}

// FuzzReportCursorRoundTrip: every cursor a defect list issues reads back as
// itself for its list, and is refused for any other.
func FuzzReportCursorRoundTrip(f *testing.F) {
	f.Add("all", int64(1_795_000_000_000_000), int64(1), "p:0190a6c4-1d2e-7c3b-9a1e-2f3e4d5c6b7a")
	f.Add("o:0190a6c4-1d2e-7c3b-9a1e-2f3e4d5c6b7a", int64(-1), int64(math.MaxInt64), "all")
	f.Add("\xff", int64(0), int64(42), "")
	f.Fuzz(func(t *testing.T, list string, micros, number int64, other string) {
		at := time.UnixMicro(micros).UTC()
		// JSON carries only valid UTF-8; lists are ASCII ("all", "p:<uuid>", "o:<uuid>").
		if at.IsZero() || at.Year() < 1 || at.Year() > 9999 || number < 1 || !utf8.ValidString(list) {
			return
		}
		c := reportCursor{Sort: reportSort, List: list, Time: at, Number: number}
		got, err := decodeReportCursor(c.encode(), list)
		if err != nil {
			t.Fatalf("cursor %+v: %v", c, err)
		}
		if !got.Time.Equal(c.Time) || got.Sort != c.Sort || got.List != c.List || got.Number != c.Number {
			t.Fatalf("cursor %+v reads back as %+v", c, got)
		}
		if other != list {
			if _, err := decodeReportCursor(c.encode(), other); err != defect.ErrBadCursor {
				t.Fatalf("cursor of list %q read for list %q: %v", list, other, err)
			}
		}
	})
}
