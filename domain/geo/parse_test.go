package geo

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"beteiligungsportal/domain"
)

// fieldCode returns "field:code" of a single-field validation error, "" for nil
// and the error text for anything else.
func fieldCode(err error) string {
	if err == nil {
		return ""
	}
	var ve *domain.ValidationError
	if !errors.As(err, &ve) || len(ve.Fields) != 1 {
		return "unexpected error: " + err.Error()
	}
	return ve.Fields[0].Field + ":" + ve.Fields[0].Code
}

// ring writes lon,lat pairs as a GeoJSON ring.
func ring(coords ...float64) string {
	parts := make([]string, 0, len(coords)/2)
	for i := 0; i+1 < len(coords); i += 2 {
		parts = append(parts, fmt.Sprintf("[%v,%v]", coords[i], coords[i+1]))
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// polygon writes a GeoJSON Polygon of the given rings.
func polygon(rings ...string) string {
	return `{"type":"Polygon","coordinates":[` + strings.Join(rings, ",") + `]}`
}

// square is the closed ring of the axis-parallel square from (x0,y0) to (x1,y1),
// counterclockwise.
func square(x0, y0, x1, y1 float64) string {
	return ring(x0, y0, x1, y0, x1, y1, x0, y1, x0, y0)
}

// circle is a closed counterclockwise ring of n distinct vertices plus the
// closing position around Freiberg.
func circle(n int) string {
	coords := make([]float64, 0, 2*(n+1))
	for i := 0; i <= n; i++ {
		a := 2 * math.Pi * float64(i%n) / float64(n)
		coords = append(coords, 13.35+0.05*math.Cos(a), 50.915+0.03*math.Sin(a))
	}
	return ring(coords...)
}

// Freiberg, Saxony: a rough outline of the town and a hole around the old town.
var (
	freibergOuter = ring(
		13.300, 50.890, 13.330, 50.880, 13.370, 50.882, 13.400, 50.895, 13.398, 50.925,
		13.385, 50.950, 13.350, 50.948, 13.320, 50.940, 13.302, 50.920, 13.300, 50.890)
	freibergHole = ring(13.335, 50.915, 13.335, 50.925, 13.350, 50.925, 13.350, 50.915, 13.335, 50.915)
	freiberg     = polygon(freibergOuter, freibergHole)
)

func TestParseAreaRules(t *testing.T) {
	t.Parallel()
	point := func(coords string) string { return `{"type":"Point","coordinates":` + coords + `}` }
	// A U-shaped outer ring: open at the top between x=2 and x=4.
	u := ring(0, 0, 6, 0, 6, 6, 4, 6, 4, 2, 2, 2, 2, 6, 0, 6, 0, 0)
	tests := []struct {
		name string
		raw  string
		want string // field:code, "" when valid
	}{
		// Valid input.
		{"point", point("[13.34,50.91]"), ""},
		{"point with altitude", point("[13.34,50.91,412.5]"), ""},
		{"point on the limits", point("[-180,90]"), ""},
		{"point with exponent", point("[1.334e1,5091e-2]"), ""},
		{"polygon", polygon(freibergOuter), ""},
		{"polygon with hole", freiberg, ""},
		{"clockwise polygon", polygon(ring(0, 0, 0, 1, 1, 1, 1, 0, 0, 0)), ""},
		{"concave polygon", polygon(u), ""},
		{"closed at the stored precision", polygon(ring(13.3, 50.9, 13.4, 50.9, 13.4, 51, 13.30000001, 50.9)), ""},
		{"repeated positions", polygon(ring(0, 0, 1, 0, 1, 0, 1, 1, 0, 1, 0, 0, 0, 0)), ""},
		{"two separate holes", polygon(square(0, 0, 10, 10), square(1, 1, 2, 2), square(3, 3, 4, 4)), ""},
		{"hole in a concave polygon", polygon(u, square(0.5, 0.5, 5.5, 1.5)), ""},
		{"multipolygon", `{"type":"MultiPolygon","coordinates":[[` + square(0, 0, 1, 1) + `],[` + square(2, 2, 3, 3) + `]]}`, ""},
		{"feature", `{"type":"Feature","properties":{"name":"Freiberg"},"geometry":` + freiberg + `}`, ""},
		{"foreign members ignored", `{"type":"Point","bbox":[1,2,1,2],"crs":null,"coordinates":[13.34,50.91]}`, ""},
		{"10,000 positions", polygon(circle(MaxPositions - 1)), ""},

		// Size.
		{"more than 1 MiB", point("[13.34,50.91]") + strings.Repeat(" ", MaxBytes), "area:geo.too_large"},
		{"10,001 positions", polygon(circle(MaxPositions)), "area:geo.too_large"},
		{"10,001 positions over several rings", polygon(circle(MaxPositions-5), square(13.34, 50.91, 13.35, 50.92)), "area:geo.too_large"},

		// Type.
		{"line string", `{"type":"LineString","coordinates":[[0,0],[1,1]]}`, "area:geo.type_unsupported"},
		{"multi point", `{"type":"MultiPoint","coordinates":[[0,0]]}`, "area:geo.type_unsupported"},
		{"geometry collection", `{"type":"GeometryCollection","geometries":[]}`, "area:geo.type_unsupported"},
		{"feature collection", `{"type":"FeatureCollection","features":[]}`, "area:geo.type_unsupported"},
		{"feature in a feature", `{"type":"Feature","geometry":{"type":"Feature","geometry":` + point("[0,0]") + `}}`, "area:geo.type_unsupported"},
		{"type names are case-sensitive", `{"type":"point","coordinates":[0,0]}`, "area:geo.type_unsupported"},

		// Malformed.
		{"not JSON", `{"type":"Point",`, "area:geo.malformed"},
		{"empty input", ``, "area:geo.malformed"},
		{"null", `null`, "area:geo.malformed"},
		{"array", `[13.34,50.91]`, "area:geo.malformed"},
		{"trailing data", point("[13.34,50.91]") + "x", "area:geo.malformed"},
		{"no type", `{"coordinates":[0,0]}`, "area:geo.malformed"},
		{"type not a string", `{"type":1,"coordinates":[0,0]}`, "area:geo.malformed"},
		{"member names are case-sensitive", `{"Type":"Point","coordinates":[0,0]}`, "area:geo.malformed"},
		{"no coordinates", `{"type":"Point"}`, "area:geo.malformed"},
		{"null coordinates", `{"type":"Point","coordinates":null}`, "area:geo.malformed"},
		{"numbers as strings", point(`["13.34","50.91"]`), "area:geo.malformed"},
		{"null in a position", point("[null,50.91]"), "area:geo.malformed"},
		{"one number", point("[13.34]"), "area:geo.malformed"},
		{"four numbers", point("[13.34,50.91,400,1]"), "area:geo.malformed"},
		{"point with polygon coordinates", point("[" + square(0, 0, 1, 1) + "]"), "area:geo.malformed"},
		{"polygon with point coordinates", `{"type":"Polygon","coordinates":[0,0]}`, "area:geo.malformed"},
		{"polygon nested too deep", `{"type":"Polygon","coordinates":[[[[0,0]]]]}`, "area:geo.malformed"},
		{"object in coordinates", `{"type":"Polygon","coordinates":[{"0":[0,0]}]}`, "area:geo.malformed"},
		{"feature without geometry", `{"type":"Feature","properties":{}}`, "area:geo.malformed"},

		// Empty.
		{"polygon without rings", `{"type":"Polygon","coordinates":[]}`, "area:geo.empty"},
		{"multipolygon without polygons", `{"type":"MultiPolygon","coordinates":[]}`, "area:geo.empty"},
		{"multipolygon with an empty polygon", `{"type":"MultiPolygon","coordinates":[[` + square(0, 0, 1, 1) + `],[]]}`, "area:geo.empty"},
		{"feature with null geometry", `{"type":"Feature","geometry":null}`, "area:geo.empty"},

		// Coordinates.
		{"longitude above 180", point("[180.1,50]"), "area:geo.coordinates_out_of_range"},
		{"longitude just below -180", point("[-180.0000001,50]"), "area:geo.coordinates_out_of_range"},
		{"latitude below -90", point("[13,-90.5]"), "area:geo.coordinates_out_of_range"},
		{"number beyond float64", point("[1e400,50]"), "area:geo.coordinates_out_of_range"},
		{"projected coordinates (UTM)", point("[385000,5640000]"), "area:geo.coordinates_out_of_range"},
		{"vertex out of range", polygon(ring(0, 0, 1, 0, 1, 91, 0, 0)), "area:geo.coordinates_out_of_range"},

		// Rings.
		{"ring of three positions", polygon(ring(0, 0, 1, 0, 0, 0)), "area:geo.ring_too_short"},
		{"ring without positions", `{"type":"Polygon","coordinates":[[]]}`, "area:geo.ring_too_short"},
		{"hole of three positions", polygon(square(0, 0, 4, 4), ring(1, 1, 2, 1, 1, 1)), "area:geo.ring_too_short"},
		{"open ring", polygon(ring(0, 0, 1, 0, 1, 1, 0, 1)), "area:geo.ring_not_closed"},
		{"open by 1e-7", polygon(ring(13.3, 50.9, 13.4, 50.9, 13.4, 51, 13.3000001, 50.9)), "area:geo.ring_not_closed"},
		{"open hole", polygon(square(0, 0, 4, 4), ring(1, 1, 2, 1, 2, 2, 1, 2)), "area:geo.ring_not_closed"},
		{"one position four times", polygon(ring(1, 1, 1, 1, 1, 1, 1, 1)), "area:geo.ring_degenerate"},
		{"there and back", polygon(ring(0, 0, 1, 1, 0, 0, 0, 0)), "area:geo.ring_degenerate"},
		{"collinear", polygon(ring(0, 0, 1, 0, 2, 0, 0, 0)), "area:geo.ring_degenerate"},
		{"smaller than the stored precision", polygon(ring(0, 0, 0.00000001, 0, 0.00000001, 0.00000001, 0, 0)), "area:geo.ring_degenerate"},
		{"degenerate hole", polygon(square(0, 0, 4, 4), ring(1, 1, 2, 2, 3, 3, 1, 1)), "area:geo.ring_degenerate"},
		{"bow tie", polygon(ring(0, 0, 1, 1, 1, 0, 0, 1, 0, 0)), "area:geo.ring_self_intersects"},
		{"figure eight through one vertex", polygon(ring(0, 0, 1, 1, 2, 0, 2, 2, 1, 1, 0, 2, 0, 0)), "area:geo.ring_self_intersects"},
		{"vertex on another edge", polygon(ring(0, 0, 4, 0, 4, 4, 2, 0, 0, 4, 0, 0)), "area:geo.ring_self_intersects"},
		{"spike", polygon(ring(0, 0, 4, 0, 4, 2, 6, 2, 4, 2, 4, 4, 0, 4, 0, 0)), "area:geo.ring_self_intersects"},
		{"spike at the first position", polygon(ring(6, 2, 4, 2, 4, 4, 0, 4, 0, 0, 4, 0, 4, 2, 6, 2)), "area:geo.ring_self_intersects"},
		{"edges overlap", polygon(ring(0, 0, 4, 0, 4, 1, 2, 1, 2, 0, 1, 0, 1, -1, 0, -1, 0, 0)), "area:geo.ring_self_intersects"},
		{"self-intersecting hole", polygon(square(0, 0, 4, 4), ring(1, 1, 2, 2, 2, 1, 1, 2, 1, 1)), "area:geo.ring_self_intersects"},
		{"crossing in a large ring", largeCrossingRing(), "area:geo.ring_self_intersects"},

		// Holes.
		{"hole outside", polygon(square(0, 0, 1, 1), square(2, 2, 3, 3)), "area:geo.hole_outside"},
		{"hole around the outer ring", polygon(square(1, 1, 2, 2), square(0, 0, 3, 3)), "area:geo.hole_outside"},
		{"hole crosses the outer ring", polygon(square(0, 0, 2, 2), square(1, 1, 3, 3)), "area:geo.hole_outside"},
		{"hole touches the outer ring", polygon(square(0, 0, 4, 4), ring(0, 0, 2, 1, 1, 2, 0, 0)), "area:geo.hole_outside"},
		{"hole equals the outer ring", polygon(square(0, 0, 4, 4), square(0, 0, 4, 4)), "area:geo.hole_outside"},
		{"hole across the gap of a U", polygon(u, ring(1, 4, 5, 4, 5, 5, 1, 5, 1, 4)), "area:geo.hole_outside"},
		{"holes cross", polygon(square(0, 0, 10, 10), square(1, 1, 3, 3), square(2, 2, 4, 4)), "area:geo.holes_overlap"},
		{"holes touch", polygon(square(0, 0, 10, 10), square(1, 1, 2, 2), square(2, 2, 3, 3)), "area:geo.holes_overlap"},
		{"hole in a hole", polygon(square(0, 0, 10, 10), square(1, 1, 8, 8), square(2, 2, 3, 3)), "area:geo.holes_overlap"},
		{"hole around a hole", polygon(square(0, 0, 10, 10), square(2, 2, 3, 3), square(1, 1, 8, 8)), "area:geo.holes_overlap"},
		{"rules apply in a multipolygon", `{"type":"MultiPolygon","coordinates":[[` + square(0, 0, 1, 1) + `],[` + ring(0, 0, 1, 1, 1, 0, 0, 1, 0, 0) + `]]}`, "area:geo.ring_self_intersects"},
		{"rules apply in a feature", `{"type":"Feature","geometry":` + point("[200,0]") + `}`, "area:geo.coordinates_out_of_range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, err := ParseArea([]byte(tt.raw))
			if got := fieldCode(err); got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			if err != nil {
				if !errors.Is(err, domain.ErrInvalid) {
					t.Errorf("errors.Is(err, domain.ErrInvalid): got false, want true")
				}
				if !a.IsZero() {
					t.Errorf("area on error: got %v, want the zero Area", a)
				}
			}
		})
	}
}

// largeCrossingRing is a ring of about 2,000 positions, a zigzag line closed by
// edges that cut through it.
func largeCrossingRing() string {
	const n = 1998
	coords := []float64{13.3, 50.9}
	for i := 1; i < n; i++ {
		coords = append(coords, 13.3+0.0001*float64(i), 50.9+0.00001*float64(i%2))
	}
	coords = append(coords, 13.3+0.0001*float64(n-1), 51.0, 13.35, 50.89, 13.3, 50.9)
	return polygon(ring(coords...))
}

func TestParseAreaCanonicalForm(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		raw  string
		want string
	}{
		{"point rounded to 7 decimals, altitude dropped",
			`{"type":"Point","coordinates":[13.342512345,50.918845678,400]}`,
			`{"type":"Point","coordinates":[13.3425123,50.9188457]}`},
		{"negative zero",
			`{"type":"Point","coordinates":[-0.0,-0.00000001]}`,
			`{"type":"Point","coordinates":[0,0]}`},
		{"exponents and member order",
			`{"coordinates":[1.3e1,5.09E+1],"type":"Point"}`,
			`{"type":"Point","coordinates":[13,50.9]}`},
		{"clockwise outer ring turned counterclockwise",
			polygon(ring(0, 0, 0, 1, 1, 1, 1, 0, 0, 0)),
			`{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}`},
		{"counterclockwise hole turned clockwise",
			polygon(square(0, 0, 4, 4), square(1, 1, 2, 2)),
			`{"type":"Polygon","coordinates":[[[0,0],[4,0],[4,4],[0,4],[0,0]],[[1,1],[1,2],[2,2],[2,1],[1,1]]]}`},
		{"repeated positions removed",
			polygon(ring(0, 0, 0, 0, 1, 0, 1, 0.00000001, 1, 1, 0, 1, 0, 0)),
			`{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}`},
		{"feature becomes its geometry",
			`{"type":"Feature","id":7,"properties":null,"geometry":{"type":"Point","coordinates":[13.34,50.91]}}`,
			`{"type":"Point","coordinates":[13.34,50.91]}`},
		{"multipolygon",
			`{"type":"MultiPolygon","coordinates":[[` + square(0, 0, 1, 1) + `],[` + ring(2, 2, 2, 3, 3, 3, 3, 2, 2, 2) + `]]}`,
			`{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,1],[0,0]]],[[[2,2],[3,2],[3,3],[2,3],[2,2]]]]}`},
		{"no exponent for small numbers",
			polygon(ring(0.0000001, 0.0000001, 0.0000003, 0.0000001, 0.0000003, 0.0000003, 0.0000001, 0.0000001)),
			`{"type":"Polygon","coordinates":[[[0.0000001,0.0000001],[0.0000003,0.0000001],[0.0000003,0.0000003],[0.0000001,0.0000001]]]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, err := ParseArea([]byte(tt.raw))
			if err != nil {
				t.Fatalf("ParseArea: got %v, want nil", err)
			}
			if got := string(a.MarshalGeoJSON()); got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			assertRoundTrip(t, a)
		})
	}
}

// assertRoundTrip checks that the stored form of a parses back to a.
func assertRoundTrip(t *testing.T, a Area) {
	t.Helper()
	out := a.MarshalGeoJSON()
	b, err := ParseArea(out)
	if err != nil {
		t.Fatalf("ParseArea(%s): got %v, want nil", out, err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("round trip of %s: got %v, want %v", out, b, a)
	}
	if again := b.MarshalGeoJSON(); !bytes.Equal(again, out) {
		t.Fatalf("second marshal: got %s, want %s", again, out)
	}
}

func TestRoundTripOfRealisticAreas(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		raw  string
	}{
		{"Freiberg with hole", freiberg},
		{"circle of 10,000 positions", polygon(circle(MaxPositions - 1))},
		{"irrational coordinates", polygon(circle(7))},
		{"multipolygon", `{"type":"MultiPolygon","coordinates":[[` + freibergOuter + `,` + freibergHole + `],[` + square(13.31, 50.85, 13.34, 50.87) + `]]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, err := ParseArea([]byte(tt.raw))
			if err != nil {
				t.Fatalf("ParseArea: got %v, want nil", err)
			}
			assertRoundTrip(t, a)
		})
	}
}

func TestParsePoint(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		lon, lat float64
		want     Point
		wantErr  []string // field:code
	}{
		{"Freiberg", 13.3425, 50.9188, Point{13.3425, 50.9188}, nil},
		{"rounded", 13.342512345, 50.918845678, Point{13.3425123, 50.9188457}, nil},
		{"limits", -180, 90, Point{-180, 90}, nil},
		{"longitude out of range", 181, 50, Point{}, []string{"lon:geo.coordinates_out_of_range"}},
		{"latitude out of range", 13, -91, Point{}, []string{"lat:geo.coordinates_out_of_range"}},
		{"both", math.NaN(), math.Inf(1), Point{}, []string{"lon:geo.coordinates_out_of_range", "lat:geo.coordinates_out_of_range"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParsePoint(tt.lon, tt.lat)
			var codes []string
			var ve *domain.ValidationError
			if errors.As(err, &ve) {
				for _, f := range ve.Fields {
					codes = append(codes, f.Field+":"+f.Code)
				}
			} else if err != nil {
				t.Fatalf("got %v, want a *domain.ValidationError", err)
			}
			if !reflect.DeepEqual(codes, tt.wantErr) {
				t.Fatalf("errors: got %v, want %v", codes, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestConstructorsApplyTheRules(t *testing.T) {
	t.Parallel()
	sq := []Point{{0, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}
	tests := []struct {
		name string
		new  func() (Area, error)
		want string
	}{
		{"point", func() (Area, error) { return NewPointArea(Point{13.34, 50.91}) }, ""},
		{"NaN point", func() (Area, error) { return NewPointArea(Point{math.NaN(), 50.91}) }, "area:geo.coordinates_out_of_range"},
		{"polygon", func() (Area, error) { return NewPolygonArea(Polygon{sq}) }, ""},
		{"infinite vertex", func() (Area, error) {
			return NewPolygonArea(Polygon{{{0, 0}, {math.Inf(1), 0}, {1, 1}, {0, 0}}})
		}, "area:geo.coordinates_out_of_range"},
		{"empty polygon", func() (Area, error) { return NewPolygonArea(nil) }, "area:geo.empty"},
		{"multipolygon", func() (Area, error) { return NewMultiPolygonArea(MultiPolygon{{sq}}) }, ""},
		{"empty multipolygon", func() (Area, error) { return NewMultiPolygonArea(nil) }, "area:geo.empty"},
		{"open ring", func() (Area, error) { return NewMultiPolygonArea(MultiPolygon{{sq[:4]}}) }, "area:geo.ring_not_closed"},
		{"too many positions", func() (Area, error) {
			return NewPolygonArea(Polygon{make([]Point, MaxPositions+1)})
		}, "area:geo.too_large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := tt.new()
			if got := fieldCode(err); got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestConstructorsDoNotShareMemory(t *testing.T) {
	t.Parallel()
	in := Polygon{{{0, 0}, {0, 1}, {1, 1}, {1, 0}, {0, 0}}} // clockwise: rewound
	a, err := NewPolygonArea(in)
	if err != nil {
		t.Fatalf("got %v, want nil", err)
	}
	if got, want := in[0][1], (Point{0, 1}); got != want {
		t.Errorf("input changed: got %v, want %v", got, want)
	}
	polys := a.Polygons()
	polys[0][0][1] = Point{5, 5}
	if got, want := a.Polygons()[0][0][1], (Point{1, 0}); got != want {
		t.Errorf("area changed through Polygons: got %v, want %v", got, want)
	}
}
