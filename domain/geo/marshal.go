package geo

import "strconv"

// MarshalGeoJSON returns a as a GeoJSON geometry object in canonical form, for
// storage: members "type" and "coordinates" in this order, no whitespace, at
// most 7 decimals and never an exponent. ParseArea of the result returns a
// again. The zero Area gives nil.
func (a Area) MarshalGeoJSON() []byte {
	var b []byte
	switch a.kind {
	case KindPoint:
		b = append(b, `{"type":"Point","coordinates":`...)
		b = appendPosition(b, a.point)
	case KindPolygon:
		b = append(b, `{"type":"Polygon","coordinates":`...)
		b = appendPolygon(b, a.polys[0])
	case KindMultiPolygon:
		b = append(b, `{"type":"MultiPolygon","coordinates":[`...)
		for i, poly := range a.polys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendPolygon(b, poly)
		}
		b = append(b, ']')
	default:
		return nil
	}
	return append(b, '}')
}

func appendPolygon(b []byte, poly Polygon) []byte {
	b = append(b, '[')
	for i, ring := range poly {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		for k, p := range ring {
			if k > 0 {
				b = append(b, ',')
			}
			b = appendPosition(b, p)
		}
		b = append(b, ']')
	}
	return append(b, ']')
}

// appendPosition writes the shortest decimal that reads back as the same
// float64; for values rounded to 7 decimals that has at most 7 decimals.
func appendPosition(b []byte, p Point) []byte {
	b = append(b, '[')
	b = strconv.AppendFloat(b, p.Lon, 'f', -1, 64)
	b = append(b, ',')
	b = strconv.AppendFloat(b, p.Lat, 'f', -1, 64)
	return append(b, ']')
}
