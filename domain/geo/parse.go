package geo

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
)

// ParseArea parses a GeoJSON geometry object of type Point, Polygon or
// MultiPolygon, or a Feature whose geometry is one of them, and returns it
// validated and in canonical form. Members other than "type", "coordinates" and
// "geometry" are ignored. Errors are *domain.ValidationError values for the
// field "area" with one of the Code constants.
func ParseArea(raw []byte) (Area, error) {
	if len(raw) > MaxBytes {
		return Area{}, invalid(Field, CodeTooLarge)
	}
	return parseObject(raw, true)
}

// parseObject parses a geometry, or a Feature when feature is true.
func parseObject(raw []byte, feature bool) (Area, error) {
	// A map rather than a struct: GeoJSON member names are case-sensitive.
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		return Area{}, invalid(Field, CodeMalformed)
	}
	var typ string
	if err := json.Unmarshal(obj["type"], &typ); err != nil || typ == "" {
		return Area{}, invalid(Field, CodeMalformed)
	}
	kind := Kind(typ)
	if typ == "Feature" && feature {
		g, ok := obj["geometry"]
		if !ok {
			return Area{}, invalid(Field, CodeMalformed)
		}
		if string(bytes.TrimSpace(g)) == "null" {
			return Area{}, invalid(Field, CodeEmpty)
		}
		return parseObject(g, false)
	}
	if kind != KindPoint && kind != KindPolygon && kind != KindMultiPolygon {
		return Area{}, invalid(Field, CodeTypeUnsupported)
	}
	c, ok := obj["coordinates"]
	if !ok {
		return Area{}, invalid(Field, CodeMalformed)
	}
	r := coordReader{s: c}
	var (
		p     Point
		polys MultiPolygon
		err   error
	)
	switch kind {
	case KindPoint:
		p, err = r.position()
	case KindPolygon:
		var poly Polygon
		poly, err = r.polygon()
		polys = MultiPolygon{poly}
	case KindMultiPolygon:
		polys, err = r.multiPolygon()
	}
	r.skipSpace()
	if err == nil && r.i != len(r.s) {
		err = invalid(Field, CodeMalformed)
	}
	if err != nil {
		return Area{}, err
	}
	return newArea(kind, p, polys)
}

// coordReader reads a GeoJSON coordinates array. It counts positions as it
// goes, so that an input with too many is refused without building all of
// them. The input is known to be valid JSON (json.Unmarshal checked it), which
// keeps this scanner small: it only has to tell arrays from numbers and refuse
// everything else.
type coordReader struct {
	s     []byte
	i     int
	count int
}

func (r *coordReader) skipSpace() {
	for r.i < len(r.s) && (r.s[r.i] == ' ' || r.s[r.i] == '\t' || r.s[r.i] == '\n' || r.s[r.i] == '\r') {
		r.i++
	}
}

// list reads a JSON array whose elements item reads.
func (r *coordReader) list(item func() error) error {
	r.skipSpace()
	if r.i >= len(r.s) || r.s[r.i] != '[' {
		return invalid(Field, CodeMalformed)
	}
	r.i++
	r.skipSpace()
	if r.i < len(r.s) && r.s[r.i] == ']' {
		r.i++
		return nil
	}
	for {
		if err := item(); err != nil {
			return err
		}
		r.skipSpace()
		if r.i >= len(r.s) {
			return invalid(Field, CodeMalformed)
		}
		r.i++
		switch r.s[r.i-1] {
		case ',':
		case ']':
			return nil
		default:
			return invalid(Field, CodeMalformed)
		}
	}
}

// number reads a JSON number. Numbers too large for a float64 become infinite
// and fail the range check later.
func (r *coordReader) number() (float64, error) {
	r.skipSpace()
	start := r.i
	for r.i < len(r.s) && strings.IndexByte("+-.eE0123456789", r.s[r.i]) >= 0 {
		r.i++
	}
	f, err := strconv.ParseFloat(string(r.s[start:r.i]), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, invalid(Field, CodeMalformed)
	}
	return f, nil
}

// position reads [lon, lat] or [lon, lat, altitude]; the altitude is dropped.
func (r *coordReader) position() (Point, error) {
	var v [3]float64
	n := 0
	err := r.list(func() error {
		if n == len(v) {
			return invalid(Field, CodeMalformed)
		}
		f, err := r.number()
		v[n] = f
		n++
		return err
	})
	if err != nil {
		return Point{}, err
	}
	if n < 2 {
		return Point{}, invalid(Field, CodeMalformed)
	}
	r.count++
	if r.count > MaxPositions {
		return Point{}, invalid(Field, CodeTooLarge)
	}
	return Point{v[0], v[1]}, nil
}

func (r *coordReader) ring() ([]Point, error) {
	var ring []Point
	err := r.list(func() error {
		p, err := r.position()
		ring = append(ring, p)
		return err
	})
	return ring, err
}

func (r *coordReader) polygon() (Polygon, error) {
	var poly Polygon
	err := r.list(func() error {
		ring, err := r.ring()
		poly = append(poly, ring)
		return err
	})
	return poly, err
}

func (r *coordReader) multiPolygon() (MultiPolygon, error) {
	var m MultiPolygon
	err := r.list(func() error {
		poly, err := r.polygon()
		m = append(m, poly)
		return err
	})
	return m, err
}
