package geo

import (
	"math/big"
	"math/rand/v2"
	"testing"
)

func TestCmpProductsIsExact(t *testing.T) {
	t.Parallel()
	const lim = 3_600_000_000 // largest coordinate difference in grid units
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func() int64 {
		switch rng.IntN(4) {
		case 0:
			return lim - rng.Int64N(3)
		case 1:
			return -lim + rng.Int64N(3)
		case 2:
			return rng.Int64N(5) - 2
		}
		return rng.Int64N(2*lim+1) - lim
	}
	for range 100_000 {
		a, b, c, d := pick(), pick(), pick(), pick()
		if rng.IntN(8) == 0 { // equal products
			c, d = b, a
		}
		want := new(big.Int).Sub(new(big.Int).Mul(big.NewInt(a), big.NewInt(b)), new(big.Int).Mul(big.NewInt(c), big.NewInt(d))).Sign()
		if got := cmpProducts(a, b, c, d); got != want {
			t.Fatalf("cmpProducts(%d, %d, %d, %d): got %v, want %v", a, b, c, d, got, want)
		}
	}
}

func TestGridRoundTrip(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	for range 100_000 {
		g := gridPoint{rng.Int64N(3_600_000_001) - 1_800_000_000, rng.Int64N(1_800_000_001) - 900_000_000}
		p := fromGrid(g)
		if got := toGrid(p); got != g {
			t.Fatalf("toGrid(fromGrid(%v)): got %v, want %v", g, got, g)
		}
		if got := round(p); got != p {
			t.Fatalf("round(%v): got %v, want %v", p, got, p)
		}
	}
}

func TestSegmentRelations(t *testing.T) {
	t.Parallel()
	pt := func(x, y int64) gridPoint { return gridPoint{x, y} }
	tests := []struct {
		name           string
		p1, p2, q1, q2 gridPoint
		want           bool
	}{
		{"crossing", pt(0, 0), pt(2, 2), pt(0, 2), pt(2, 0), true},
		{"touching at an end", pt(0, 0), pt(2, 2), pt(2, 2), pt(3, 0), true},
		{"end on the other segment", pt(0, 0), pt(4, 0), pt(2, 0), pt(2, 3), true},
		{"collinear overlapping", pt(0, 0), pt(4, 0), pt(3, 0), pt(6, 0), true},
		{"collinear apart", pt(0, 0), pt(2, 0), pt(3, 0), pt(6, 0), false},
		{"parallel", pt(0, 0), pt(4, 0), pt(0, 1), pt(4, 1), false},
		{"would cross if longer", pt(0, 0), pt(1, 1), pt(0, 4), pt(4, 0), false},
		{"one unit apart at the limits", pt(-1_800_000_000, -900_000_000), pt(1_800_000_000, 900_000_000),
			pt(-1_800_000_000, -899_999_999), pt(1_799_999_998, 900_000_000), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := intersects(tt.p1, tt.p2, tt.q1, tt.q2); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			if got := intersects(tt.q2, tt.q1, tt.p1, tt.p2); got != tt.want {
				t.Errorf("swapped: got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestTurnsBack(t *testing.T) {
	t.Parallel()
	pt := func(x, y int64) gridPoint { return gridPoint{x, y} }
	tests := []struct {
		name    string
		a, b, c gridPoint
		want    bool
	}{
		{"straight on", pt(0, 0), pt(1, 0), pt(2, 0), false},
		{"back", pt(0, 0), pt(2, 0), pt(1, 0), true},
		{"back past the start", pt(0, 0), pt(2, 0), pt(-1, 0), true},
		{"left turn", pt(0, 0), pt(1, 0), pt(1, 1), false},
		{"sharp right turn", pt(0, 0), pt(2, 0), pt(0, -1), false},
	}
	for _, tt := range tests {
		if got := turnsBack(tt.a, tt.b, tt.c); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

// bruteCrossings is crossings without the sweep: every pair of edges.
func bruteCrossings(rings [][]gridPoint) string {
	var segs []segment
	for r, g := range rings {
		for k := 0; k+1 < len(g); k++ {
			segs = append(segs, segment{a: g[k], b: g[k+1], ring: r, k: k, n: len(g) - 1})
		}
	}
	found := ""
	for i := range segs {
		for j := i + 1; j < len(segs); j++ {
			switch code := conflict(&segs[i], &segs[j]); code {
			case CodeRingSelfIntersects:
				return code
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

func TestSweepMatchesBruteForce(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(5, 6))
	// A small grid makes touching, collinear and repeated vertices common.
	randomRing := func(w, h int64) []gridPoint {
		n := 3 + rng.IntN(6)
		g := make([]gridPoint, 0, n+1)
		for len(g) < n {
			v := gridPoint{rng.Int64N(w), rng.Int64N(h)}
			if len(g) == 0 || g[len(g)-1] != v {
				g = append(g, v)
			}
		}
		if g[n-1] == g[0] {
			g[n-1].x++
		}
		return append(g, g[0])
	}
	counts := map[string]int{}
	for range 50_000 {
		rings := [][]gridPoint{randomRing(6, 6)}
		for range rng.IntN(3) {
			rings = append(rings, randomRing(6, 6))
		}
		want := bruteCrossings(rings)
		if got := crossings(rings); got != want {
			t.Fatalf("crossings(%v): got %q, want %q", rings, got, want)
		}
		counts[want]++
	}
	for _, code := range []string{"", CodeRingSelfIntersects, CodeHoleOutside, CodeHolesOverlap} {
		if counts[code] == 0 {
			t.Errorf("no random case produced %q; the test does not cover it", code)
		}
	}
}
