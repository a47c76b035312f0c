// Package geo holds the geometry of the map: the area a procedure covers and the
// place a statement or defect report refers to.
//
// Geometries are GeoJSON (RFC 7946) in WGS84 longitude/latitude. Parsing and the
// constructors validate a geometry and bring it into a canonical form: positions
// rounded to 7 decimals (about 1 cm), altitude dropped, repeated consecutive
// positions removed, outer rings counterclockwise and holes clockwise. Every rule
// is checked on the canonical form, so what MarshalGeoJSON stores parses back to
// the same Area.
//
// Rings must have at least four positions, be closed, enclose an area and not
// cross or touch themselves; holes must lie strictly inside their outer ring and
// apart from each other. Touching at a single point, which the OGC Simple
// Features rules allow, is refused too. The polygons of a MultiPolygon are not
// checked against each other.
//
// Calculations are planar in degrees of longitude and latitude. That is exact for
// the topology rules (they run on integer coordinates) and good enough for
// centroids and bounding boxes of municipal areas.
package geo

import (
	"math"

	"beteiligungsportal/domain"
)

// Limits for one geometry. They keep parsing and validation cheap enough for a
// public endpoint.
const (
	MaxBytes     = 1 << 20 // raw GeoJSON input
	MaxPositions = 10_000  // positions in all rings together
)

// Field is the input field that ParseArea and the Area constructors name in
// their validation errors.
const Field = "area"

// Message codes of the validation errors of this package. The web layer
// translates them.
const (
	CodeTooLarge           = "geo.too_large"
	CodeTypeUnsupported    = "geo.type_unsupported"
	CodeMalformed          = "geo.malformed"
	CodeEmpty              = "geo.empty"
	CodeOutOfRange         = "geo.coordinates_out_of_range"
	CodeRingTooShort       = "geo.ring_too_short"
	CodeRingNotClosed      = "geo.ring_not_closed"
	CodeRingDegenerate     = "geo.ring_degenerate"
	CodeRingSelfIntersects = "geo.ring_self_intersects"
	CodeHoleOutside        = "geo.hole_outside"
	CodeHolesOverlap       = "geo.holes_overlap"
	CodeBBoxMalformed      = "geo.bbox_malformed"
	CodeBBoxInvalid        = "geo.bbox_invalid"
)

// invalid returns a validation error for one field.
func invalid(field, code string) error {
	var v domain.ValidationError
	v.Add(field, code)
	return &v
}

// Point is a position in WGS84: longitude east, latitude north, in degrees.
type Point struct {
	Lon, Lat float64
}

// Polygon is a list of closed rings (first position equals last): the first is
// the outer boundary, the others are holes.
type Polygon [][]Point

// MultiPolygon is a list of polygons.
type MultiPolygon []Polygon

// Kind names the geometry an Area holds, as GeoJSON spells its type.
type Kind string

// Kinds of areas. The zero Kind is an unset area.
const (
	KindPoint        Kind = "Point"
	KindPolygon      Kind = "Polygon"
	KindMultiPolygon Kind = "MultiPolygon"
)

// Area is a validated, canonical geometry: a point, a polygon or a multipolygon.
// The zero Area is unset; its methods report nothing inside it.
type Area struct {
	kind  Kind
	point Point
	polys MultiPolygon // exactly one polygon for KindPolygon
}

// NewPointArea checks p and returns it, rounded to 7 decimals, as an area.
func NewPointArea(p Point) (Area, error) {
	return newArea(KindPoint, p, nil)
}

// NewPolygonArea validates p like ParseArea and returns it as an area in
// canonical form. p is not modified.
func NewPolygonArea(p Polygon) (Area, error) {
	return newArea(KindPolygon, Point{}, MultiPolygon{p})
}

// NewMultiPolygonArea validates m like ParseArea and returns it as an area in
// canonical form. m is not modified.
func NewMultiPolygonArea(m MultiPolygon) (Area, error) {
	return newArea(KindMultiPolygon, Point{}, m)
}

// newArea checks and canonicalises a geometry. polys is not modified.
func newArea(kind Kind, p Point, polys MultiPolygon) (Area, error) {
	if kind == KindPoint {
		if !inRange(p) {
			return Area{}, invalid(Field, CodeOutOfRange)
		}
		return Area{kind: kind, point: round(p)}, nil
	}
	n := 0
	for _, poly := range polys {
		for _, ring := range poly {
			n += len(ring)
		}
	}
	if n > MaxPositions {
		return Area{}, invalid(Field, CodeTooLarge)
	}
	if len(polys) == 0 {
		return Area{}, invalid(Field, CodeEmpty)
	}
	for _, poly := range polys {
		if len(poly) == 0 {
			return Area{}, invalid(Field, CodeEmpty)
		}
		for _, ring := range poly {
			for _, q := range ring {
				if !inRange(q) {
					return Area{}, invalid(Field, CodeOutOfRange)
				}
			}
		}
	}
	out := make(MultiPolygon, len(polys))
	for i, poly := range polys {
		canon, code := canonicalPolygon(poly)
		if code != "" {
			return Area{}, invalid(Field, code)
		}
		out[i] = canon
	}
	return Area{kind: kind, polys: out}, nil
}

// ParsePoint checks a position entered in a form and returns it rounded like
// stored geometries. Errors name the fields "lon" and "lat".
func ParsePoint(lon, lat float64) (Point, error) {
	var v domain.ValidationError
	if !validLon(lon) {
		v.Add("lon", CodeOutOfRange)
	}
	if !validLat(lat) {
		v.Add("lat", CodeOutOfRange)
	}
	if err := v.Err(); err != nil {
		return Point{}, err
	}
	return round(Point{lon, lat}), nil
}

// Kind returns which geometry a holds, or "" for the zero Area.
func (a Area) Kind() Kind { return a.kind }

// IsZero reports whether a is unset.
func (a Area) IsZero() bool { return a.kind == "" }

// Point returns the position of a point area, or the zero Point for other kinds.
func (a Area) Point() Point { return a.point }

// Polygons returns a copy of the polygons of a polygon area (one) or
// multipolygon area, or nil for other kinds.
func (a Area) Polygons() MultiPolygon {
	if a.polys == nil {
		return nil
	}
	out := make(MultiPolygon, len(a.polys))
	for i, poly := range a.polys {
		out[i] = make(Polygon, len(poly))
		for j, ring := range poly {
			out[i][j] = append([]Point(nil), ring...)
		}
	}
	return out
}

// BBox returns the smallest rectangle around a. It is all zeros for the zero Area.
func (a Area) BBox() (minLon, minLat, maxLon, maxLat float64) {
	b := a.Bounds()
	return b.MinLon, b.MinLat, b.MaxLon, b.MaxLat
}

// Bounds returns the smallest rectangle around a as a BBox, for example to test
// it against a map section with Intersects.
func (a Area) Bounds() BBox {
	switch a.kind {
	case KindPoint:
		return BBox{a.point.Lon, a.point.Lat, a.point.Lon, a.point.Lat}
	case KindPolygon, KindMultiPolygon:
		b := BBox{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
		for _, poly := range a.polys {
			for _, q := range poly[0] { // holes lie inside the outer ring
				b.MinLon = math.Min(b.MinLon, q.Lon)
				b.MinLat = math.Min(b.MinLat, q.Lat)
				b.MaxLon = math.Max(b.MaxLon, q.Lon)
				b.MaxLat = math.Max(b.MaxLat, q.Lat)
			}
		}
		return b
	}
	return BBox{}
}

// Within reports whether a lies completely inside b (its boundary included).
// The zero Area is within nothing.
func (a Area) Within(b BBox) bool {
	if a.IsZero() {
		return false
	}
	r := a.Bounds()
	return r.MinLon >= b.MinLon && r.MinLat >= b.MinLat && r.MaxLon <= b.MaxLon && r.MaxLat <= b.MaxLat
}

// Centroid returns the centre of mass of a: the point itself, or the
// area-weighted centroid of all polygons with their holes left out. It may lie
// outside a concave polygon; use it to place a label or centre a map, not as a
// position inside the area. The zero Area has the zero Point.
func (a Area) Centroid() Point {
	switch a.kind {
	case KindPoint:
		return a.point
	case KindPolygon, KindMultiPolygon:
		// Shoelace sums relative to one vertex, so that large coordinates do not
		// cancel out the small differences that matter. Holes run clockwise and
		// subtract themselves.
		ref := a.polys[0][0][0]
		var sa, sx, sy float64
		for _, poly := range a.polys {
			for _, ring := range poly {
				for k := 0; k+1 < len(ring); k++ {
					x0, y0 := ring[k].Lon-ref.Lon, ring[k].Lat-ref.Lat
					x1, y1 := ring[k+1].Lon-ref.Lon, ring[k+1].Lat-ref.Lat
					c := x0*y1 - x1*y0
					sa += c
					sx += (x0 + x1) * c
					sy += (y0 + y1) * c
				}
			}
		}
		if sa <= 0 { // cannot happen for a valid area; stay defined anyway
			b := a.Bounds()
			return Point{(b.MinLon + b.MaxLon) / 2, (b.MinLat + b.MaxLat) / 2}
		}
		return Point{ref.Lon + sx/(3*sa), ref.Lat + sy/(3*sa)}
	}
	return Point{}
}

// Contains reports whether p lies in a: on a point area's position, or inside
// or on the boundary of one of its polygons and not strictly inside a hole. p is
// compared at the stored precision of 7 decimals. Invalid positions are never
// contained.
func (a Area) Contains(p Point) bool {
	if !inRange(p) {
		return false
	}
	q := toGrid(p)
	switch a.kind {
	case KindPoint:
		return q == toGrid(a.point)
	case KindPolygon, KindMultiPolygon:
		for _, poly := range a.polys {
			if locate(q, poly[0]) < 0 {
				continue
			}
			inHole := false
			for _, hole := range poly[1:] {
				if locate(q, hole) > 0 {
					inHole = true
					break
				}
			}
			if !inHole {
				return true
			}
		}
	}
	return false
}

func validLon(v float64) bool { return v >= -180 && v <= 180 } // false for NaN
func validLat(v float64) bool { return v >= -90 && v <= 90 }

func inRange(p Point) bool { return validLon(p.Lon) && validLat(p.Lat) }

// round rounds p to the stored precision. p must be in range.
func round(p Point) Point { return fromGrid(toGrid(p)) }
