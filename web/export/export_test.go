package export

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/xuri/excelize/v2"
)

var testCols = []Column{{Heading: "Nr.", Width: 10}, {Heading: "Eingang", Width: 16}, {Heading: "Text", Width: 60, Wrap: true}}

func TestNeutralise(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"},
		{"+49 351 123", "'+49 351 123"},
		{"-1+2", "'-1+2"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tTab", "'\tTab"},
		{"\rCR", "'\rCR"},
		{"Grüße =1+1", "Grüße =1+1"},
		{"", ""},
	} {
		if got := neutralise(tc.in); got != tc.want {
			t.Errorf("neutralise(%q): got %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestCSV(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	w, err := NewCSV(&buf, testCols)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 10, 5, 14, 0, 0, 0, time.UTC)
	if err := w.Row([]any{"A-1", at, "Zeile 1\nZeile 2; mit Semikolon"}); err != nil {
		t.Fatal(err)
	}
	if err := w.Row([]any{"A-2", time.Time{}, "=1+1"}); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	raw := buf.String()
	body, ok := strings.CutPrefix(raw, "\uFEFF")
	if !ok {
		t.Fatalf("no byte order mark: %q", raw[:10])
	}
	r := csv.NewReader(strings.NewReader(body))
	r.Comma = ';'
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"Nr.", "Eingang", "Text"}, {"A-1", "05.10.2026 14:00", "Zeile 1\nZeile 2; mit Semikolon"}, {"A-2", "", "'=1+1"}}
	if len(recs) != len(want) {
		t.Fatalf("got %d records, want %d: %q", len(recs), len(want), recs)
	}
	for i := range want {
		for j := range want[i] {
			if recs[i][j] != want[i][j] {
				t.Errorf("record %d field %d: got %q, want %q", i, j, recs[i][j], want[i][j])
			}
		}
	}
}

func TestFitCell(t *testing.T) {
	t.Parallel()
	marker := " […]"
	for _, tc := range []struct {
		name string
		in   string
	}{
		{"ascii", strings.Repeat("a", 40000)},
		{"umlauts", strings.Repeat("ü", 40000)},
		{"outside the BMP", strings.Repeat("😀", 20000)},
	} {
		got := fitCell(tc.in, marker)
		if n := len(utf16.Encode([]rune(got))); n > cellLimit || n < cellLimit-1 {
			t.Errorf("%s: %d UTF-16 units, want at most %d and close to it", tc.name, n, cellLimit)
		}
		if !strings.HasSuffix(got, marker) {
			t.Errorf("%s: no marker", tc.name)
		}
	}
	if short := "kurz"; fitCell(short, marker) != short {
		t.Errorf("a short text was changed")
	}
}

func TestXLSX(t *testing.T) {
	t.Parallel()
	x, err := NewXLSX(Meta{Title: "Abwägungstabelle – Test", Sheet: "Abwägungstabelle", Truncated: " […]"}, testCols)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	at := time.Date(2026, 10, 5, 14, 0, 0, 0, time.UTC)
	long := strings.Repeat("x", 40000)
	for _, row := range [][]any{{"A-1", at, "=1+1"}, {"A-2", time.Time{}, long}} {
		if err := x.Row(row); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if _, err := x.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("Abwägungstabelle")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0][0] != "Nr." || rows[1][0] != "A-1" || rows[1][1] != "05.10.2026 14:00" || rows[1][2] != "=1+1" {
		t.Fatalf("rows: %q", rows[:min(len(rows), 2)])
	}
	if f, _ := f.GetCellFormula("Abwägungstabelle", "C2"); f != "" {
		t.Errorf("text became a formula: %q", f)
	}
	if !strings.HasSuffix(rows[2][2], " […]") || utf16Len(rows[2][2]) > cellLimit {
		t.Errorf("long text not cut with marker: %d characters", utf16Len(rows[2][2]))
	}
	panes, err := f.GetPanes("Abwägungstabelle")
	if err != nil || !panes.Freeze || panes.YSplit != 1 {
		t.Errorf("header row not frozen: %+v %v", panes, err)
	}
}

func TestPDFSplitsLongRowsAcrossPages(t *testing.T) {
	t.Parallel()
	p, err := NewPDF(Meta{Title: "Abwägungstabelle – Test", Subtitle: "Stand: heute", PageLabel: "Seite %d"}, testCols)
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("Die Lindenallee braucht einen sicheren Radweg. ", 2000) + strings.Repeat("ü", 500)
	for _, row := range [][]any{{"A-1", time.Now(), "kurz"}, {"A-2", time.Now(), long}, {"A-3", time.Time{}, "\t=1+1 😀"}} {
		if err := p.Row(row); err != nil {
			t.Fatal(err)
		}
	}
	if p.Pages() < 5 {
		t.Fatalf("a text of 100,000 characters fills %d pages, want several", p.Pages())
	}
	var buf bytes.Buffer
	if _, err := p.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte("%PDF-")) {
		t.Fatalf("not a PDF: %q", buf.Bytes()[:8])
	}
}

// TestNumbers: numbers are numbers in a workbook and German decimals in CSV,
// and a negative number is not mistaken for a formula.
func TestNumbers(t *testing.T) {
	t.Parallel()
	cols := []Column{{Heading: "Frage"}, {Heading: "Anzahl"}, {Heading: "Mittelwert"}, {Heading: "Leer"}}
	row := []any{"-3 Punkte", -3, 2.75, ""}

	var buf bytes.Buffer
	w, err := NewCSV(&buf, cols)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Row(row); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Split(buf.String(), "\r\n")[1], "'-3 Punkte;-3;2,75;"; got != want {
		t.Errorf("CSV row: got %q, want %q", got, want)
	}

	x, err := NewXLSX(Meta{Sheet: "Ergebnisse"}, cols)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if err := x.Row(row); err != nil {
		t.Fatal(err)
	}
	buf.Reset()
	if _, err := x.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// A number cell has no type attribute (numeric is the default); an empty
	// text is an empty cell, not a text of no characters.
	for cell, want := range map[string]excelize.CellType{"A2": excelize.CellTypeInlineString, "B2": excelize.CellTypeUnset,
		"C2": excelize.CellTypeUnset, "D2": excelize.CellTypeUnset} {
		if got, err := f.GetCellType("Ergebnisse", cell); err != nil || got != want {
			t.Errorf("%s: type %v (%v), want %v", cell, got, err, want)
		}
	}
	for cell, want := range map[string]string{"B2": "-3", "C2": "2.75"} {
		if v, _ := f.GetCellValue("Ergebnisse", cell, excelize.Options{RawCellValue: true}); v != want {
			t.Errorf("%s = %q, want %s", cell, v, want)
		}
	}
}
