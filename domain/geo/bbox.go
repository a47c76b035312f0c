package geo

import (
	"errors"
	"strconv"
	"strings"
)

// BBox is a rectangle in WGS84, as map clients send their visible section:
// west and south edge first, then east and north. Boxes across the antimeridian
// (MinLon > MaxLon) are not supported.
type BBox struct {
	MinLon, MinLat, MaxLon, MaxLat float64
}

// maxBBoxLen bounds the query string value ParseBBox looks at.
const maxBBoxLen = 200

// ParseBBox parses "minLon,minLat,maxLon,maxLat" from a query string. Errors are
// *domain.ValidationError values for the field "bbox": CodeBBoxMalformed when it
// is not four numbers, CodeOutOfRange for a coordinate outside WGS84 and
// CodeBBoxInvalid when a minimum exceeds its maximum. A box may be a line or a
// point.
func ParseBBox(s string) (BBox, error) {
	const field = "bbox"
	if len(s) > maxBBoxLen {
		return BBox{}, invalid(field, CodeBBoxMalformed)
	}
	parts := strings.Split(s, ",")
	if len(parts) != 4 {
		return BBox{}, invalid(field, CodeBBoxMalformed)
	}
	var v [4]float64
	for i, part := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(part), 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return BBox{}, invalid(field, CodeBBoxMalformed)
		}
		v[i] = f
	}
	b := BBox{v[0], v[1], v[2], v[3]}
	if !inRange(Point{b.MinLon, b.MinLat}) || !inRange(Point{b.MaxLon, b.MaxLat}) {
		return BBox{}, invalid(field, CodeOutOfRange)
	}
	if b.MinLon > b.MaxLon || b.MinLat > b.MaxLat {
		return BBox{}, invalid(field, CodeBBoxInvalid)
	}
	// Normalise -0 so that equal boxes print alike.
	for _, f := range []*float64{&b.MinLon, &b.MinLat, &b.MaxLon, &b.MaxLat} {
		if *f == 0 {
			*f = 0
		}
	}
	return b, nil
}

// String formats b the way ParseBBox reads it.
func (b BBox) String() string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	return f(b.MinLon) + "," + f(b.MinLat) + "," + f(b.MaxLon) + "," + f(b.MaxLat)
}

// Intersects reports whether b and other have at least one point in common;
// boxes that only touch intersect.
func (b BBox) Intersects(other BBox) bool {
	return b.MinLon <= other.MaxLon && other.MinLon <= b.MaxLon &&
		b.MinLat <= other.MaxLat && other.MinLat <= b.MaxLat
}

// Contains reports whether p lies in b, its edges included.
func (b BBox) Contains(p Point) bool {
	return p.Lon >= b.MinLon && p.Lon <= b.MaxLon && p.Lat >= b.MinLat && p.Lat <= b.MaxLat
}
