package geo

import (
	"cmp"
	"math"
	"slices"
)

// scale is the stored precision: 1e-7 degrees, about 1 cm.
const scale = 1e7

// gridPoint is a position in units of 1e-7 degrees. Topology rules run on these
// integers so that their answers are exact: |x| ≤ 1.8e9 and |y| ≤ 9e8, hence
// every coordinate difference is below 2^32 and every product of two
// differences fits into a uint64.
type gridPoint struct{ x, y int64 }

// toGrid converts a position in range to grid units, rounding to the nearest.
func toGrid(p Point) gridPoint {
	return gridPoint{int64(math.Round(p.Lon * scale)), int64(math.Round(p.Lat * scale))}
}

// fromGrid converts back. toGrid(fromGrid(g)) == g for every g in range.
func fromGrid(g gridPoint) Point {
	return Point{float64(g.x) / scale, float64(g.y) / scale}
}

func sign(v int64) int {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

func abs(v int64) uint64 {
	if v < 0 {
		return uint64(-v)
	}
	return uint64(v)
}

// cmpProducts returns the sign of a*b - c*d without overflow, for factors below
// 2^32 in magnitude.
func cmpProducts(a, b, c, d int64) int {
	s1, s2 := sign(a)*sign(b), sign(c)*sign(d)
	if s1 != s2 {
		return cmp.Compare(s1, s2)
	}
	if s1 == 0 {
		return 0
	}
	return s1 * cmp.Compare(abs(a)*abs(b), abs(c)*abs(d))
}

// orient returns 1 if c lies left of the line a→b, -1 if right, 0 if on it.
func orient(a, b, c gridPoint) int {
	return cmpProducts(b.x-a.x, c.y-a.y, b.y-a.y, c.x-a.x)
}

// between reports whether c, known to be collinear with a and b, lies on the
// segment a–b.
func between(a, b, c gridPoint) bool {
	return min(a.x, b.x) <= c.x && c.x <= max(a.x, b.x) && min(a.y, b.y) <= c.y && c.y <= max(a.y, b.y)
}

// intersects reports whether the segments p1–p2 and q1–q2 have any point in
// common, touching included.
func intersects(p1, p2, q1, q2 gridPoint) bool {
	d1, d2 := orient(q1, q2, p1), orient(q1, q2, p2)
	d3, d4 := orient(p1, p2, q1), orient(p1, p2, q2)
	if d1*d2 < 0 && d3*d4 < 0 {
		return true
	}
	return d1 == 0 && between(q1, q2, p1) ||
		d2 == 0 && between(q1, q2, p2) ||
		d3 == 0 && between(p1, p2, q1) ||
		d4 == 0 && between(p1, p2, q2)
}

// turnsBack reports whether the path a→b→c runs back along itself at b, so that
// the two segments overlap. a≠b and b≠c.
func turnsBack(a, b, c gridPoint) bool {
	// Collinear and the dot product (b-a)·(c-b) is negative.
	return orient(a, b, c) == 0 && cmpProducts(b.x-a.x, c.x-b.x, -(b.y-a.y), c.y-b.y) < 0
}

// locate classifies q against the closed ring: 1 strictly inside, 0 on the
// boundary, -1 outside.
func locate(q gridPoint, ring []Point) int {
	return locateBy(q, len(ring), func(k int) gridPoint { return toGrid(ring[k]) })
}

// locateGrid is locate for a ring already in grid units.
func locateGrid(q gridPoint, ring []gridPoint) int {
	return locateBy(q, len(ring), func(k int) gridPoint { return ring[k] })
}

// locateBy counts, exactly, how often a ray from q towards +x crosses the ring
// of n positions returned by at. Half-open edges make a ray through a vertex
// count once.
func locateBy(q gridPoint, n int, at func(int) gridPoint) int {
	inside := false
	for k := 0; k+1 < n; k++ {
		a, b := at(k), at(k+1)
		o := orient(a, b, q)
		if o == 0 && between(a, b, q) {
			return 0
		}
		// An upward edge is crossed when q lies left of it, a downward edge when
		// q lies right of it.
		if (a.y > q.y) != (b.y > q.y) && (b.y > a.y) == (o > 0) {
			inside = !inside
		}
	}
	if inside {
		return 1
	}
	return -1
}

// counterclockwise reports the winding of a simple closed ring. At the lowest,
// then leftmost vertex the ring turns in its winding direction, and for a
// simple ring the turn there is never straight.
func counterclockwise(ring []gridPoint) bool {
	m := len(ring) - 1 // distinct vertices; ring[m] == ring[0]
	v := 0
	for k := 1; k < m; k++ {
		if ring[k].y < ring[v].y || ring[k].y == ring[v].y && ring[k].x < ring[v].x {
			v = k
		}
	}
	return orient(ring[(v+m-1)%m], ring[v], ring[(v+1)%m]) > 0
}

// canonicalPolygon checks the rings of p, whose positions are in range, and
// returns p rounded, without repeated consecutive positions and wound the
// RFC 7946 way. The code is empty when p is valid. p is not modified.
func canonicalPolygon(p Polygon) (Polygon, string) {
	rings := make([][]gridPoint, len(p))
	for i, ring := range p {
		if len(ring) < 4 {
			return nil, CodeRingTooShort
		}
		if toGrid(ring[0]) != toGrid(ring[len(ring)-1]) {
			return nil, CodeRingNotClosed
		}
		g := make([]gridPoint, 0, len(ring))
		for _, q := range ring {
			v := toGrid(q)
			if len(g) == 0 || g[len(g)-1] != v {
				g = append(g, v)
			}
		}
		if len(g) < 4 || collinear(g) {
			return nil, CodeRingDegenerate
		}
		rings[i] = g
	}
	if code := crossings(rings); code != "" {
		return nil, code
	}
	if code := nesting(rings); code != "" {
		return nil, code
	}
	out := make(Polygon, len(rings))
	for i, g := range rings {
		if counterclockwise(g) != (i == 0) {
			slices.Reverse(g)
		}
		out[i] = make([]Point, len(g))
		for k, v := range g {
			out[i][k] = fromGrid(v)
		}
	}
	return out, ""
}

// collinear reports whether all vertices of the ring lie on one line. g has no
// repeated consecutive vertices.
func collinear(g []gridPoint) bool {
	for _, v := range g[2:] {
		if orient(g[0], g[1], v) != 0 {
			return false
		}
	}
	return true
}

// segment is one edge of a ring within a polygon.
type segment struct {
	a, b gridPoint
	ring int // index of the ring in the polygon, 0 = outer
	k    int // index of the edge in the ring
	n    int // number of edges in the ring
	// Extent along the sweep axis (lo, hi) and across it (lo2, hi2).
	lo, hi, lo2, hi2 int64
}

// crossings finds edges that meet where they must not: within a ring anywhere
// but at the vertex two neighbouring edges share, and between rings at all.
// Edges are swept in order of their lower end along one axis, so only pairs
// whose extents overlap on that axis are compared, and pairs apart on the other
// axis are skipped cheaply. The axis is the one along which edges are shorter
// relative to the polygon's size, so that long parallel edges (a comb) do not
// turn the sweep quadratic. The result is exact either way.
func crossings(rings [][]gridPoint) string {
	var segs []segment
	var sumX, sumY float64
	box := [4]int64{math.MaxInt64, math.MaxInt64, math.MinInt64, math.MinInt64}
	for r, g := range rings {
		for k := 0; k+1 < len(g); k++ {
			a, b := g[k], g[k+1]
			s := segment{a: a, b: b, ring: r, k: k, n: len(g) - 1,
				lo: min(a.x, b.x), hi: max(a.x, b.x), lo2: min(a.y, b.y), hi2: max(a.y, b.y)}
			sumX += float64(s.hi - s.lo)
			sumY += float64(s.hi2 - s.lo2)
			box = [4]int64{min(box[0], s.lo), min(box[1], s.lo2), max(box[2], s.hi), max(box[3], s.hi2)}
			segs = append(segs, s)
		}
	}
	if sumY*float64(box[2]-box[0]) < sumX*float64(box[3]-box[1]) {
		for i := range segs {
			s := &segs[i]
			s.lo, s.hi, s.lo2, s.hi2 = s.lo2, s.hi2, s.lo, s.hi
		}
	}
	slices.SortFunc(segs, func(s, t segment) int { return cmp.Compare(s.lo, t.lo) })
	found := ""
	for i := range segs {
		s := &segs[i]
		for j := i + 1; j < len(segs) && segs[j].lo <= s.hi; j++ {
			t := &segs[j]
			if t.lo2 > s.hi2 || s.lo2 > t.hi2 {
				continue
			}
			switch code := conflict(s, t); code {
			case CodeRingSelfIntersects:
				return code // the most specific finding; no need to go on
			case CodeHoleOutside:
				found = code
			case CodeHolesOverlap:
				if found == "" {
					found = code
				}
			}
		}
	}
	return found
}

// conflict returns the code for two edges that meet where they must not, or "".
func conflict(s, t *segment) string {
	if s.ring != t.ring {
		if !intersects(s.a, s.b, t.a, t.b) {
			return ""
		}
		if s.ring == 0 || t.ring == 0 {
			return CodeHoleOutside
		}
		return CodeHolesOverlap
	}
	if s.k > t.k {
		s, t = t, s
	}
	var meets bool
	switch {
	case t.k == s.k+1: // s ends where t starts
		meets = turnsBack(s.a, s.b, t.b)
	case s.k == 0 && t.k == s.n-1: // t ends where s starts
		meets = turnsBack(t.a, t.b, s.b)
	default:
		meets = intersects(s.a, s.b, t.a, t.b)
	}
	if meets {
		return CodeRingSelfIntersects
	}
	return ""
}

// nesting checks, for rings that do not touch each other, that every hole lies
// inside the outer ring and outside every other hole. Without contact one
// vertex decides for the whole ring.
func nesting(rings [][]gridPoint) string {
	holes := rings[1:]
	for _, h := range holes {
		if locateGrid(h[0], rings[0]) < 0 {
			return CodeHoleOutside
		}
	}
	if len(holes) < 2 {
		return ""
	}
	type box struct{ minX, minY, maxX, maxY int64 }
	boxes := make([]box, len(holes))
	for i, h := range holes {
		b := box{h[0].x, h[0].y, h[0].x, h[0].y}
		for _, v := range h[1:] {
			b = box{min(b.minX, v.x), min(b.minY, v.y), max(b.maxX, v.x), max(b.maxY, v.y)}
		}
		boxes[i] = b
	}
	for i, h := range holes {
		b := boxes[i]
		for j, other := range holes {
			v := other[0]
			if i == j || v.x < b.minX || v.x > b.maxX || v.y < b.minY || v.y > b.maxY {
				continue
			}
			if locateGrid(v, h) > 0 {
				return CodeHolesOverlap
			}
		}
	}
	return ""
}
