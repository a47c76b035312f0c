package geo

import (
	"math"
	"testing"
)

func mustParse(t *testing.T, raw string) Area {
	t.Helper()
	a, err := ParseArea([]byte(raw))
	if err != nil {
		t.Fatalf("ParseArea(%s): got %v, want nil", raw, err)
	}
	return a
}

func TestContainsFreiberg(t *testing.T) {
	t.Parallel()
	a := mustParse(t, freiberg)
	// Brand-Erbisdorf, south of Freiberg, as a second polygon.
	multi := mustParse(t, `{"type":"MultiPolygon","coordinates":[[`+freibergOuter+`,`+freibergHole+`],[`+
		square(13.31, 50.85, 13.34, 50.87)+`]]}`)
	tests := []struct {
		name      string
		p         Point
		want      bool
		wantMulti bool
	}{
		{"railway station", Point{13.3385, 50.9103}, true, true},
		{"west of the old town", Point{13.32, 50.92}, true, true},
		{"Obermarkt, in the hole", Point{13.3425, 50.9188}, false, false},
		{"on the hole's edge", Point{13.34, 50.915}, true, true},
		{"on a corner of the hole", Point{13.35, 50.925}, true, true},
		{"on an outer vertex", Point{13.3, 50.89}, true, true},
		{"on an outer edge", Point{13.315, 50.885}, true, true},
		{"just inside the northern edge", Point{13.36, 50.948}, true, true},
		{"just outside the northern edge", Point{13.36, 50.949}, false, false},
		{"level with a vertex, outside", Point{13.29, 50.92}, false, false},
		{"level with a vertex, inside", Point{13.31, 50.92}, true, true},
		{"Brand-Erbisdorf", Point{13.325, 50.86}, false, true},
		{"Dresden", Point{13.7373, 51.0504}, false, false},
		{"Chemnitz", Point{12.9214, 50.8278}, false, false},
		{"NaN", Point{math.NaN(), 50.92}, false, false},
		{"out of range", Point{13.32, 95}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := a.Contains(tt.p); got != tt.want {
				t.Errorf("polygon: got %v, want %v", got, tt.want)
			}
			if got := multi.Contains(tt.p); got != tt.wantMulti {
				t.Errorf("multipolygon: got %v, want %v", got, tt.wantMulti)
			}
		})
	}
}

func TestContainsPointAndZero(t *testing.T) {
	t.Parallel()
	a, err := NewPointArea(Point{13.3425, 50.9188})
	if err != nil {
		t.Fatalf("got %v, want nil", err)
	}
	tests := []struct {
		name string
		a    Area
		p    Point
		want bool
	}{
		{"same point", a, Point{13.3425, 50.9188}, true},
		{"same at 7 decimals", a, Point{13.342500001, 50.9188}, true},
		{"1e-7 away", a, Point{13.3425001, 50.9188}, false},
		{"zero area", Area{}, Point{}, false},
	}
	for _, tt := range tests {
		if got := tt.a.Contains(tt.p); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestCentroid(t *testing.T) {
	t.Parallel()
	point, _ := NewPointArea(Point{13.34, 50.91})
	tests := []struct {
		name string
		a    Area
		want Point
	}{
		{"point", point, Point{13.34, 50.91}},
		{"square", mustParse(t, polygon(square(0, 0, 2, 2))), Point{1, 1}},
		{"clockwise triangle", mustParse(t, polygon(ring(0, 0, 0, 3, 3, 0, 0, 0))), Point{1, 1}},
		// 16·(2,2) minus 1·(1.5,1.5), divided by 15.
		{"square with hole", mustParse(t, polygon(square(0, 0, 4, 4), square(1, 1, 2, 2))), Point{30.5 / 15, 30.5 / 15}},
		// 1·(0.5,0.5) plus 4·(3,1), divided by 5.
		{"multipolygon weighted by area", mustParse(t, `{"type":"MultiPolygon","coordinates":[[`+square(0, 0, 1, 1)+`],[`+square(2, 0, 4, 2)+`]]}`), Point{2.5, 0.9}},
		{"far from the origin", mustParse(t, polygon(square(179, 89, 180, 90))), Point{179.5, 89.5}},
		{"zero area", Area{}, Point{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := tt.a.Centroid()
			if math.Abs(got.Lon-tt.want.Lon) > 1e-9 || math.Abs(got.Lat-tt.want.Lat) > 1e-9 {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCentroidOfFreibergLiesInside(t *testing.T) {
	t.Parallel()
	a := mustParse(t, polygon(freibergOuter))
	c := a.Centroid()
	if got := a.Contains(c); !got {
		t.Errorf("Contains(%v): got %v, want true", c, got)
	}
	if got := a.Bounds().Contains(c); !got {
		t.Errorf("Bounds().Contains(%v): got %v, want true", c, got)
	}
}

func TestBoundsAndWithin(t *testing.T) {
	t.Parallel()
	saxony := BBox{11.87, 50.17, 15.04, 51.69}
	dresden := BBox{13.57, 50.97, 13.97, 51.18}
	point, _ := NewPointArea(Point{13.34, 50.91})
	tests := []struct {
		name       string
		a          Area
		wantBounds BBox
		inSaxony   bool
		inDresden  bool
	}{
		{"Freiberg", mustParse(t, freiberg), BBox{13.3, 50.88, 13.4, 50.95}, true, false},
		{"point", point, BBox{13.34, 50.91, 13.34, 50.91}, true, false},
		{"Dresden", mustParse(t, polygon(square(13.6, 51, 13.9, 51.1))), BBox{13.6, 51, 13.9, 51.1}, true, true},
		{"across the border", mustParse(t, polygon(square(14.9, 51, 15.1, 51.1))), BBox{14.9, 51, 15.1, 51.1}, false, false},
		{"on the edge of the box", mustParse(t, polygon(square(11.87, 51, 12, 51.69))), BBox{11.87, 51, 12, 51.69}, true, false},
		{"zero area", Area{}, BBox{}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.a.Bounds(); got != tt.wantBounds {
				t.Errorf("Bounds: got %v, want %v", got, tt.wantBounds)
			}
			minLon, minLat, maxLon, maxLat := tt.a.BBox()
			if got := (BBox{minLon, minLat, maxLon, maxLat}); got != tt.wantBounds {
				t.Errorf("BBox: got %v, want %v", got, tt.wantBounds)
			}
			if got := tt.a.Within(saxony); got != tt.inSaxony {
				t.Errorf("Within(Saxony): got %v, want %v", got, tt.inSaxony)
			}
			if got := tt.a.Within(dresden); got != tt.inDresden {
				t.Errorf("Within(Dresden): got %v, want %v", got, tt.inDresden)
			}
		})
	}
}

func TestKindAndAccessors(t *testing.T) {
	t.Parallel()
	point, _ := NewPointArea(Point{13.34, 50.91})
	tests := []struct {
		name      string
		a         Area
		kind      Kind
		point     Point
		polygons  int
		marshalOK bool
	}{
		{"point", point, KindPoint, Point{13.34, 50.91}, 0, true},
		{"polygon", mustParse(t, freiberg), KindPolygon, Point{}, 1, true},
		{"multipolygon", mustParse(t, `{"type":"MultiPolygon","coordinates":[[`+square(0, 0, 1, 1)+`],[`+square(2, 2, 3, 3)+`]]}`), KindMultiPolygon, Point{}, 2, true},
		{"zero", Area{}, "", Point{}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.a.Kind(); got != tt.kind {
				t.Errorf("Kind: got %v, want %v", got, tt.kind)
			}
			if got := tt.a.IsZero(); got != (tt.kind == "") {
				t.Errorf("IsZero: got %v, want %v", got, tt.kind == "")
			}
			if got := tt.a.Point(); got != tt.point {
				t.Errorf("Point: got %v, want %v", got, tt.point)
			}
			if got := len(tt.a.Polygons()); got != tt.polygons {
				t.Errorf("len(Polygons): got %v, want %v", got, tt.polygons)
			}
			if got := tt.a.MarshalGeoJSON() != nil; got != tt.marshalOK {
				t.Errorf("MarshalGeoJSON != nil: got %v, want %v", got, tt.marshalOK)
			}
		})
	}
}

func BenchmarkParseArea10000Positions(b *testing.B) {
	raw := []byte(polygon(circle(MaxPositions - 1)))
	for b.Loop() {
		if _, err := ParseArea(raw); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseAreaComb measures a bad case for the sweep: 2,500 teeth whose
// edges all span most of the x range.
func BenchmarkParseAreaComb(b *testing.B) {
	raw := []byte(polygon(comb(MaxPositions/4 - 1)))
	for b.Loop() {
		if _, err := ParseArea(raw); err != nil {
			b.Fatal(err)
		}
	}
}

// comb is a valid ring of teeth pointing east, 4 positions per tooth.
func comb(teeth int) string {
	const h = 0.00002
	coords := []float64{0, 0}
	for i := range teeth {
		y := float64(i) * 2 * h
		coords = append(coords, 1, y, 1, y+h, 0.01, y+h, 0.01, y+2*h)
	}
	top := float64(teeth) * 2 * h
	coords = append(coords, 0, top, 0, 0)
	return ring(coords...)
}

func TestCombIsValid(t *testing.T) {
	t.Parallel()
	a := mustParse(t, polygon(comb(MaxPositions/4-1)))
	assertRoundTrip(t, a)
	if got := a.Contains(Point{0.5, 0.00001}); !got {
		t.Errorf("Contains(tooth): got %v, want true", got)
	}
	if got := a.Contains(Point{0.5, 0.00003}); got {
		t.Errorf("Contains(gap): got %v, want false", got)
	}
}
