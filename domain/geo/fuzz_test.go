package geo

import (
	"errors"
	"strings"
	"testing"

	"beteiligungsportal/domain"
)

// knownCodes are the codes ParseArea and ParseBBox may report.
var knownCodes = map[string]bool{
	CodeTooLarge: true, CodeTypeUnsupported: true, CodeMalformed: true, CodeEmpty: true,
	CodeOutOfRange: true, CodeRingTooShort: true, CodeRingNotClosed: true, CodeRingDegenerate: true,
	CodeRingSelfIntersects: true, CodeHoleOutside: true, CodeHolesOverlap: true,
	CodeBBoxMalformed: true, CodeBBoxInvalid: true,
}

// checkFieldError fails unless err is a validation error of field with a known code.
func checkFieldError(t *testing.T, err error, field string) {
	t.Helper()
	var ve *domain.ValidationError
	if !errors.As(err, &ve) || len(ve.Fields) != 1 || ve.Fields[0].Field != field || !knownCodes[ve.Fields[0].Code] {
		t.Fatalf("got %v, want one %q field error with a known code", err, field)
	}
}

func FuzzParseArea(f *testing.F) {
	for _, seed := range []string{
		`{"type":"Point","coordinates":[13.34,50.91]}`,
		`{"type":"Point","coordinates":[13.342512345,50.918845678,400]}`,
		freiberg,
		polygon(ring(0, 0, 1, 1, 1, 0, 0, 1, 0, 0)),
		polygon(square(0, 0, 10, 10), square(1, 1, 3, 3), square(2, 2, 4, 4)),
		polygon(ring(0, 0, 4, 0, 4, 2, 6, 2, 4, 2, 4, 4, 0, 4, 0, 0)),
		`{"type":"MultiPolygon","coordinates":[[` + square(0, 0, 1, 1) + `],[` + square(2, 2, 3, 3) + `]]}`,
		`{"type":"Feature","geometry":` + freiberg + `}`,
		`{"type":"Feature","geometry":null}`,
		`{"type":"LineString","coordinates":[[0,0],[1,1]]}`,
		`{"type":"Polygon","coordinates":[[[0,0],[1e-8,0],[1e-8,1e-8],[0,0]]]}`,
		`{"type":"Point","coordinates":[1e400,0]}`,
		`{"type":"Point"`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		a, err := ParseArea(raw)
		if err != nil {
			checkFieldError(t, err, Field)
			if !a.IsZero() {
				t.Fatalf("area on error: got %v, want the zero Area", a)
			}
			return
		}
		if a.IsZero() {
			t.Fatalf("got the zero Area without an error")
		}
		assertRoundTrip(t, a)
		c := a.Centroid()
		minLon, minLat, maxLon, maxLat := a.BBox()
		if !inRange(c) || minLon > maxLon || minLat > maxLat {
			t.Fatalf("got centroid %v and bbox %v,%v,%v,%v, want both in range", c, minLon, minLat, maxLon, maxLat)
		}
		if !a.Within(a.Bounds()) {
			t.Fatalf("Within(Bounds()): got false, want true")
		}
		for _, poly := range a.Polygons() {
			if !a.Contains(poly[0][0]) {
				t.Fatalf("Contains(vertex %v): got false, want true", poly[0][0])
			}
		}
	})
}

func FuzzParseBBox(f *testing.F) {
	for _, seed := range []string{
		"13.30,50.88,13.40,50.95", "-180,-90,180,90", "170,-20,-170,20", "NaN,0,0,0",
		"1e400,0,0,0", "0x1p-2,0,1,1", "-0,-0,0,0", "13.3,,13.4,50.95", " 1 , 2 , 3 , 4 ",
		strings.Repeat("1,", 100),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := ParseBBox(s)
		if err != nil {
			checkFieldError(t, err, "bbox")
			return
		}
		if b.MinLon > b.MaxLon || b.MinLat > b.MaxLat || !inRange(Point{b.MinLon, b.MinLat}) || !inRange(Point{b.MaxLon, b.MaxLat}) {
			t.Fatalf("accepted an invalid box: %v", b)
		}
		again, err := ParseBBox(b.String())
		if err != nil || again != b || again.String() != b.String() {
			t.Fatalf("round trip of %q: got %v (%v), want %v", b.String(), again, err, b)
		}
		if !b.Intersects(b) {
			t.Fatalf("Intersects(itself): got false, want true")
		}
	})
}
