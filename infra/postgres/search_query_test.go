package postgres

import (
	"reflect"
	"strings"
	"testing"
)

// Staff search reads its query as a web search: words and phrases that must
// occur, -terms that must not, "or" between alternatives.
func TestSearchAlternatives(t *testing.T) {
	w := func(text string) searchTerm { return searchTerm{text: text} }
	not := func(text string) searchTerm { return searchTerm{text: text, negated: true} }
	cases := []struct {
		q    string
		want [][]searchTerm
	}{
		{"Radweg", [][]searchTerm{{w("Radweg")}}},
		{"  muehlgraben\tschulkinder\u00a0", [][]searchTerm{{w("muehlgraben"), w("schulkinder")}}},
		{`"sicheren Radweg" Lindenallee`, [][]searchTerm{{w("sicheren Radweg"), w("Lindenallee")}}},
		{"muehlgraben -radweg", [][]searchTerm{{w("muehlgraben"), not("radweg")}}},
		{`Lärm -"an der Schule"`, [][]searchTerm{{w("Lärm"), not("an der Schule")}}},
		{"Radweg or Hauptstraße Ampel", [][]searchTerm{{w("Radweg")}, {w("Hauptstraße"), w("Ampel")}}},
		{"Radweg OR Ampel", [][]searchTerm{{w("Radweg")}, {w("Ampel")}}},
		{`"or" -or`, [][]searchTerm{{w("or"), not("or")}}}, // quoted or negated: a word
		{"or Radweg or or", [][]searchTerm{{w("Radweg")}}},
		{`"unclosed phrase`, [][]searchTerm{{w("unclosed phrase")}}},
		{`"" - -"" or`, nil},
		{"", nil},
		{"Rad-weg a-b", [][]searchTerm{{w("Rad-weg"), w("a-b")}}},
		{"1 2 3 4 5 6 7 8 9 10", [][]searchTerm{{w("1"), w("2"), w("3"), w("4"), w("5"), w("6"), w("7"), w("8")}}},
	}
	for _, c := range cases {
		if got := searchAlternatives(c.q); !reflect.DeepEqual(got, c.want) {
			t.Errorf("searchAlternatives(%q) = %v, want %v", c.q, got, c.want)
		}
	}
}

// Any query gives at most maxSearchWords terms, none empty, each a piece of
// the query, and a condition with two arguments per term.
func FuzzSearchAlternatives(f *testing.F) {
	for _, q := range []string{"Radweg", `a "b c" -d or -"e" "`, "or or", "-", `""`, "ü\u00a0ß\u2003x"} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, q string) {
		n := 0
		for _, alt := range searchAlternatives(q) {
			if len(alt) == 0 {
				t.Fatalf("%q: an empty alternative", q)
			}
			for _, term := range alt {
				n++
				if strings.TrimSpace(term.text) != term.text || term.text == "" || !strings.Contains(q, term.text) {
					t.Fatalf("%q: term %q", q, term.text)
				}
			}
		}
		if n > maxSearchWords {
			t.Fatalf("%q: %d terms", q, n)
		}
		cond, args := searchMatch(q)
		if len(args) != 2*n || strings.Count(cond, "phraseto_tsquery") != n || (n == 0) != (cond == "FALSE") {
			t.Fatalf("%q: condition %q with %d arguments for %d terms", q, cond, len(args), n)
		}
	})
}
