package geo

import (
	"strings"
	"testing"
)

func TestParseBBox(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want BBox
		code string // field:code, "" when valid
	}{
		{"Freiberg", "13.30,50.88,13.40,50.95", BBox{13.3, 50.88, 13.4, 50.95}, ""},
		{"spaces around numbers", " 13.3, 50.88 ,13.4 ,50.95 ", BBox{13.3, 50.88, 13.4, 50.95}, ""},
		{"whole world", "-180,-90,180,90", BBox{-180, -90, 180, 90}, ""},
		{"a point", "13.34,50.91,13.34,50.91", BBox{13.34, 50.91, 13.34, 50.91}, ""},
		{"negative zero", "-0,-0,0,0", BBox{}, ""},
		{"empty", "", BBox{}, "bbox:geo.bbox_malformed"},
		{"three numbers", "13.3,50.88,13.4", BBox{}, "bbox:geo.bbox_malformed"},
		{"five numbers", "13.3,50.88,13.4,50.95,1", BBox{}, "bbox:geo.bbox_malformed"},
		{"not a number", "13.3,50.88,east,50.95", BBox{}, "bbox:geo.bbox_malformed"},
		{"empty part", "13.3,,13.4,50.95", BBox{}, "bbox:geo.bbox_malformed"},
		{"semicolons", "13.3;50.88;13.4;50.95", BBox{}, "bbox:geo.bbox_malformed"},
		{"too long", "13.3,50.88,13.4,50.95" + strings.Repeat("0", maxBBoxLen), BBox{}, "bbox:geo.bbox_malformed"},
		{"NaN", "NaN,50.88,13.4,50.95", BBox{}, "bbox:geo.coordinates_out_of_range"},
		{"infinity", "13.3,50.88,+Inf,50.95", BBox{}, "bbox:geo.coordinates_out_of_range"},
		{"beyond float64", "13.3,50.88,1e400,50.95", BBox{}, "bbox:geo.coordinates_out_of_range"},
		{"longitude out of range", "-181,50.88,13.4,50.95", BBox{}, "bbox:geo.coordinates_out_of_range"},
		{"latitude out of range", "13.3,50.88,13.4,90.5", BBox{}, "bbox:geo.coordinates_out_of_range"},
		{"swapped longitudes", "13.4,50.88,13.3,50.95", BBox{}, "bbox:geo.bbox_invalid"},
		{"swapped latitudes", "13.3,50.95,13.4,50.88", BBox{}, "bbox:geo.bbox_invalid"},
		{"across the antimeridian", "170,-20,-170,20", BBox{}, "bbox:geo.bbox_invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseBBox(tt.in)
			if code := fieldCode(err); code != tt.code {
				t.Fatalf("error: got %v, want %v", code, tt.code)
			}
			if got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			if err != nil {
				return
			}
			again, err := ParseBBox(got.String())
			if err != nil || again != got {
				t.Errorf("round trip of %q: got %v (%v), want %v", got.String(), again, err, got)
			}
		})
	}
}

func TestBBoxString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		b    BBox
		want string
	}{
		{BBox{13.3, 50.88, 13.4, 50.95}, "13.3,50.88,13.4,50.95"},
		{BBox{-180, -90, 180, 90}, "-180,-90,180,90"},
		{BBox{0.0000001, 0, 1e-10, 1}, "0.0000001,0,0.0000000001,1"},
	}
	for _, tt := range tests {
		if got := tt.b.String(); got != tt.want {
			t.Errorf("got %v, want %v", got, tt.want)
		}
	}
}

func TestBBoxIntersects(t *testing.T) {
	t.Parallel()
	freiberg := BBox{13.3, 50.88, 13.4, 50.95}
	tests := []struct {
		name  string
		other BBox
		want  bool
	}{
		{"itself", freiberg, true},
		{"inside", BBox{13.33, 50.9, 13.36, 50.92}, true},
		{"around", BBox{12, 50, 15, 52}, true},
		{"overlapping the east", BBox{13.35, 50.9, 13.5, 50.92}, true},
		{"touching an edge", BBox{13.4, 50.9, 13.5, 50.92}, true},
		{"touching a corner", BBox{13.4, 50.95, 13.5, 51}, true},
		{"a point inside", BBox{13.34, 50.91, 13.34, 50.91}, true},
		{"east", BBox{13.41, 50.88, 13.5, 50.95}, false},
		{"north", BBox{13.3, 50.96, 13.4, 51}, false},
		{"south-west", BBox{13.1, 50.7, 13.29, 50.87}, false},
		{"same longitudes, other latitudes", BBox{13.3, 51, 13.4, 51.1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := freiberg.Intersects(tt.other); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			if got := tt.other.Intersects(freiberg); got != tt.want {
				t.Errorf("reversed: got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestBBoxContains(t *testing.T) {
	t.Parallel()
	b := BBox{13.3, 50.88, 13.4, 50.95}
	tests := []struct {
		p    Point
		want bool
	}{
		{Point{13.34, 50.91}, true},
		{Point{13.3, 50.88}, true},
		{Point{13.4, 50.95}, true},
		{Point{13.41, 50.91}, false},
		{Point{13.34, 50.87}, false},
	}
	for _, tt := range tests {
		if got := b.Contains(tt.p); got != tt.want {
			t.Errorf("Contains(%v): got %v, want %v", tt.p, got, tt.want)
		}
	}
}
