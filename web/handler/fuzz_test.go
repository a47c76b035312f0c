package handler

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"beteiligungsportal/domain"
	"beteiligungsportal/web/middleware"
	"beteiligungsportal/web/problem"
)

// FuzzParseRange: parseRange never panics, a range it accepts lies within the
// file and is not empty, and an unsatisfiable answer only comes for a range
// that really starts beyond the end (or asks for nothing of it).
func FuzzParseRange(f *testing.F) {
	for _, s := range []struct {
		h    string
		size int64
	}{
		{"bytes=0-499", 1000}, {"bytes=500-", 1000}, {"bytes=-500", 1000}, {"bytes=-0", 1000},
		{"bytes=0-0", 1}, {"bytes=999-", 1000}, {"bytes=1000-", 1000}, {"bytes=0-", 0}, {"bytes=-1", 0},
		{"bytes=0-9223372036854775807", 1000}, {"bytes=-9223372036854775808", 1000}, {"bytes=9223372036854775807-", math.MaxInt64},
		{"bytes=0-1,5-6", 1000}, {"items=0-1", 1000}, {"bytes=5-4", 1000}, {"bytes= 1-2 ", 10}, {"bytes=-", 10},
		{"bytes=+1-2", 10}, {"bytes=1--2", 10}, {"bytes=0x1-2", 10}, {"bytes=", 10}, {"", 10},
	} {
		f.Add(s.h, s.size)
	}
	f.Fuzz(func(t *testing.T, h string, size int64) {
		if size < 0 {
			size = -(size + 1) // sizes of stored files are never negative
		}
		start, length, ok, satisfiable := parseRange(h, size)
		if ok && !satisfiable {
			t.Fatalf("parseRange(%q, %d): ok but not satisfiable", h, size)
		}
		if !ok {
			if start != 0 || length != 0 {
				t.Fatalf("parseRange(%q, %d) = %d, %d for an ignored range", h, size, start, length)
			}
			if !satisfiable && !strings.HasPrefix(h, "bytes=") {
				t.Fatalf("parseRange(%q, %d): another unit is unsatisfiable", h, size)
			}
			return
		}
		if start < 0 || length < 1 || start >= size || length > size-start {
			t.Fatalf("parseRange(%q, %d) = start %d, length %d: outside the file", h, size, start, length)
		}
		// The Content-Range the handler writes names the same bytes.
		if last := start + length - 1; last < start || last >= size {
			t.Fatalf("parseRange(%q, %d): last byte %d outside the file", h, size, last)
		}
	})
}

// FuzzConditionalHeaders: the If-None-Match and If-Range checks never panic,
// the exact entity tag always matches, and a header without our tag (or *)
// never does, so a stale client never gets a 304 or a partial body of other
// bytes.
func FuzzConditionalHeaders(f *testing.F) {
	const etag = `"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"`
	for _, s := range []string{etag, "W/" + etag, "*", `"other", ` + etag, `"other"`, `W/"x", W/"y"`, "", ",,,",
		etag[:10], etag + "x", " " + etag + " ", "Wed, 21 Oct 2015 07:28:00 GMT"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		if !middleware.ETagMatches(etag, etag) || !ifRangeMatches("", etag) || !ifRangeMatches(etag, etag) {
			t.Fatal("the current entity tag does not match")
		}
		if ifRangeMatches(header, etag) && header != "" && header != etag {
			t.Fatalf("If-Range %q matches %s", header, etag)
		}
		if middleware.ETagMatches(header, etag) && !strings.Contains(header, etag) && !strings.Contains(header, "*") {
			t.Fatalf("If-None-Match %q matches %s", header, etag)
		}
		if middleware.ETagMatches(header, `""`) && !strings.Contains(header, `""`) && !strings.Contains(header, "*") {
			t.Fatalf("If-None-Match %q matches the empty tag", header)
		}
	})
}

// queryApp serves one route per query parser of this package; each answers
// 200 with an empty JSON object when the parser accepts the query and the
// parser's error otherwise, rendered by the server's error handler.
func queryApp() *fiber.App {
	app := fiber.New(fiber.Config{ErrorHandler: problem.Handler(slog.New(slog.NewTextHandler(io.Discard, nil)),
		func(*fiber.Ctx) string { return "" }, nil)})
	ok := func(c *fiber.Ctx, err error) error {
		if err != nil {
			return err
		}
		return c.JSON(fiber.Map{})
	}
	app.Get("/defects", func(c *fiber.Ctx) error { _, err := parseDefectFilter(c, 100); return ok(c, err) })
	app.Get("/procedures", func(c *fiber.Ctx) error { _, err := parseFilter(c, 100); return ok(c, err) })
	app.Get("/statements", func(c *fiber.Ctx) error { _, err := parseStatementFilter(c); return ok(c, err) })
	app.Get("/export", func(c *fiber.Ctx) error { _, err := boolQuery(c, "pseudonymise"); return ok(c, err) })
	app.Get("/results", func(c *fiber.Ctx) error { _, err := surveyFilter(c); return ok(c, err) })
	return app
}

// escapeQuery keeps a fuzzed query's structure (&, =, %) and escapes what
// cannot stand in a request line.
func escapeQuery(raw string) string {
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		if c := raw[i]; c <= ' ' || c >= 0x7f || c == '#' {
			fmt.Fprintf(&b, "%%%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// FuzzQueryFilters: no query string makes a list filter answer 500; every
// refusal is problem details with a 4xx status.
func FuzzQueryFilters(f *testing.F) {
	for _, s := range []string{
		"", "category=0190a6c4-1d2e-7c3b-9a1e-2f3e4d5c6b7a,x&status=open,closed,new&bbox=13.3,52.4,13.5,52.6&from=2026-01-01&to=2026-12-31T23:59:59Z&limit=100&cursor=abc",
		"status=bogus&from=2026-02-30&to=yesterday&limit=0", "limit=101", "limit=-1", "limit=99999999999999999999",
		"bbox=200,0,0,0", "bbox=NaN,NaN,NaN,NaN", "bbox=1,2,3", "type=bauleitplanung,unknown&status=open,draft&organisation=x&ags=0911300&open=maybe",
		"q=" + strings.Repeat("ä", 201), "sort=relevance&q=Radweg", "sort=sideways",
		"phase=nope&group=0190a6c4-1d2e-7c3b-9a1e-2f3e4d5c6b7a&status=weighed&submitter_kind=robot&channel=fax",
		"has_attachments=true&timely=false&withdrawn=yes&topic=%00&q=%FF%FE&cursor=-5&limit=abc",
		"pseudonymise=true", "pseudonymise=TRUE", "filter=mode:car", "filter=:", "filter=mode", "filter=a:b:c",
		"%", "a=%zz", "&&&==", "status=%2C%2C", "from=0000-01-01&to=9999-12-31", "from=0001-01-01&to=9999-12-31T23:59:59-01:00",
	} {
		f.Add(s)
	}
	app := queryApp()
	f.Fuzz(func(t *testing.T, raw string) {
		q := escapeQuery(raw)
		if len(q) > 3000 {
			return // over Fiber's header buffer: refused with 431 before any handler
		}
		for _, path := range []string{"/defects", "/procedures", "/statements", "/export", "/results"} {
			req := httptest.NewRequest(http.MethodGet, path, nil)
			req.URL.RawQuery = q
			resp, err := app.Test(req, -1)
			if err != nil {
				t.Fatalf("%s?%s: %v", path, q, err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			switch {
			case resp.StatusCode == fiber.StatusOK:
				continue
			case resp.StatusCode >= 500:
				t.Fatalf("%s?%s: status %d: %s", path, q, resp.StatusCode, body)
			case resp.StatusCode < 400:
				t.Fatalf("%s?%s: status %d", path, q, resp.StatusCode)
			}
			if ct := resp.Header.Get(fiber.HeaderContentType); !strings.HasPrefix(ct, problem.ContentType) {
				t.Fatalf("%s?%s: status %d with content type %q", path, q, resp.StatusCode, ct)
			}
			var p problem.Problem
			if err := json.Unmarshal(body, &p); err != nil || p.Status != resp.StatusCode || p.Type == "" {
				t.Fatalf("%s?%s: not problem details: %s", path, q, body)
			}
		}
	})
}

// FuzzRadiusBox: the Open311 lat/long/radius extension gives a finite box
// around the point, within the world, or refuses.
func FuzzRadiusBox(f *testing.F) {
	for _, s := range [][3]string{
		{"52.52", "13.40", ""}, {"52.52", "13.40", "100000"}, {"89", "180", "100000"}, {"-89", "-180", "1"},
		{"90", "0", ""}, {"0", "181", ""}, {"NaN", "13.4", ""}, {"52.5", "NaN", ""}, {"52.5", "13.4", "NaN"},
		{"Inf", "0", ""}, {"0", "0", "+Inf"}, {"0", "0", "0"}, {"0", "0", "-1"}, {"0x1p-2", "1e1", "1e5"}, {"", "", ""},
	} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, lat, lon, radius string) {
		b, ok := radiusBox(lat, lon, radius)
		if !ok {
			return
		}
		for _, v := range []float64{b.MinLon, b.MinLat, b.MaxLon, b.MaxLat} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("radiusBox(%q, %q, %q) = %+v: not finite", lat, lon, radius, b)
			}
		}
		if b.MinLon < -180 || b.MaxLon > 180 || b.MinLat < -90 || b.MaxLat > 90 || b.MinLon > b.MaxLon || b.MinLat > b.MaxLat {
			t.Fatalf("radiusBox(%q, %q, %q) = %+v: not a box within the world", lat, lon, radius, b)
		}
		la, _ := strconv.ParseFloat(lat, 64)
		lo, _ := strconv.ParseFloat(lon, 64)
		if la < b.MinLat || la > b.MaxLat || lo < b.MinLon || lo > b.MaxLon {
			t.Fatalf("radiusBox(%q, %q, %q) = %+v: the point lies outside", lat, lon, radius, b)
		}
	})
}

// FuzzSplitFormat: an Open311 file name is split at its last dot, and only
// json and xml are formats.
func FuzzSplitFormat(f *testing.F) {
	for _, s := range []string{"requests.json", "requests.xml", "x.y.json", "x.JSON", "x.", ".json", "json", "", "a.b/c.xml"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		name, format, ok := splitFormat(s)
		if ok != (format == formatJSON || format == formatXML) {
			t.Fatalf("splitFormat(%q) = %q, %q, %v", s, name, format, ok)
		}
		if format != "" && name+"."+format != s || format == "" && ok {
			t.Fatalf("splitFormat(%q) = %q, %q: not a split of the name", s, name, format)
		}
	})
}

// FuzzIdempotencyKey: an Idempotency-Key header is accepted only as short,
// valid UTF-8 without control characters (it is stored as text), and any
// other is refused with problem details, never a 500 from the database.
func FuzzIdempotencyKey(f *testing.F) {
	for _, s := range []string{"", "0190a6c4-1d2e-7c3b-9a1e-2f3e4d5c6b7a", strings.Repeat("k", 200), strings.Repeat("k", 201),
		"schlüssel", "\xff\xfe", "a\x00b", "a\tb", "\x7f", "\u0085", "ab\u200bcd"} {
		f.Add(s)
	}
	app := fiber.New(fiber.Config{ErrorHandler: problem.Handler(slog.New(slog.NewTextHandler(io.Discard, nil)),
		func(*fiber.Ctx) string { return "" }, nil)})
	app.Post("/submit", func(c *fiber.Ctx) error {
		key, err := idempotencyKey(c)
		if err != nil {
			return err
		}
		return c.Send([]byte(key))
	})
	f.Fuzz(func(t *testing.T, key string) {
		if strings.ContainsAny(key, "\r\n") || len(key) > 2000 {
			return // cannot be sent in a header, or over Fiber's header buffer (431 before any handler)
		}
		req := httptest.NewRequest(http.MethodPost, "/submit", nil)
		req.Header["Idempotency-Key"] = []string{key}
		resp, err := app.Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != fiber.StatusOK {
			if resp.StatusCode != fiber.StatusUnprocessableEntity && resp.StatusCode != fiber.StatusBadRequest ||
				!strings.HasPrefix(resp.Header.Get(fiber.HeaderContentType), problem.ContentType) {
				t.Fatalf("key %q: status %d, %s", key, resp.StatusCode, body)
			}
			return
		}
		if got := string(body); len(got) > maxIdempotencyKey || !utf8.ValidString(got) || strings.ContainsFunc(got, unicode.IsControl) {
			t.Fatalf("key %q accepted as %q", key, got)
		}
	})
}

// FuzzParseTimes: the date and time fields of filters and of statements
// received on paper never panic; a day read as the end of a range is not
// before the same day read as its start, and refusals are validation errors.
func FuzzParseTimes(f *testing.F) {
	for _, s := range []string{"2026-11-23", "2026-11-23T09:30:00Z", "2026-11-23T09:30:00+01:00", "2026-11-23T09:30", "2026-11-23 09:30",
		"2026-11-23T09:30:05", "2026-03-29T02:30", "2026-02-30", "9999-12-31", "", "yesterday",
		// Year 0 and 10000 (in UTC) failed in PostgreSQL or in JSON with a 500.
		"0000-01-01", "0001-01-01", "0001-01-01T00:30", "0001-01-01T00:30:00+01:00", "9999-12-31T23:59:59-23:59"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		from, errFrom := parseDateOrTime(s, false)
		to, errTo := parseDateOrTime(s, true)
		if errFrom == nil && errTo == nil && to.Before(from) {
			t.Fatalf("parseDateOrTime(%q) = %v .. %v", s, from, to)
		}
		// Whatever is accepted can be stored and written as JSON (the first
		// day of year 1 in Berlin begins in year 0, so it is no start).
		for _, x := range []struct {
			t   time.Time
			err error
		}{{from, errFrom}, {to, errTo}} {
			if x.err != nil {
				continue
			}
			if _, err := json.Marshal(x.t); err != nil || !storable(x.t) {
				t.Fatalf("parseDateOrTime(%q) = %v: %v", s, x.t, err)
			}
		}
		at, err := parseReceivedAt(s)
		if err != nil && !errors.Is(err, domain.ErrInvalid) {
			t.Fatalf("parseReceivedAt(%q): %v", s, err)
		}
		if err == nil && !storable(at) {
			t.Fatalf("parseReceivedAt(%q) = %v: PostgreSQL has no such year", s, at)
		}
	})
}
