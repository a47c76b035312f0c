package export

import (
	"io"
	"time"

	"github.com/xuri/excelize/v2"
)

// XLSX writes a table as an Excel workbook with excelize's stream writer:
// rows go to a buffer that spills to a temporary file beyond 16 MiB, and
// strings are written inline rather than into the shared-strings table, so
// memory stays flat however many rows there are. The workbook is put
// together (zipped) only by WriteTo; Close removes the temporary files.
type XLSX struct {
	f      *excelize.File
	sw     *excelize.StreamWriter
	cols   []Column
	meta   Meta
	styles []int // per column
	date   int
	row    int
	cells  []any
}

// NewXLSX starts a workbook with one worksheet: bold headings in a frozen
// first row, the columns' widths, wrapped text in the long columns.
func NewXLSX(meta Meta, cols []Column) (*XLSX, error) {
	f := excelize.NewFile()
	x := &XLSX{f: f, cols: cols, meta: meta, styles: make([]int, len(cols)), cells: make([]any, len(cols))}
	if err := x.start(); err != nil {
		_ = f.Close()
		return nil, err
	}
	return x, nil
}

func (x *XLSX) start() error {
	f, meta := x.f, x.meta
	sheet := meta.Sheet
	if sheet == "" {
		sheet = "Tabelle1"
	}
	if err := f.SetSheetName(f.GetSheetName(0), sheet); err != nil {
		return err
	}
	if err := f.SetDocProps(&excelize.DocProperties{Title: meta.Title, Subject: meta.Subtitle, Creator: meta.Creator,
		LastModifiedBy: meta.Creator, Language: "de-DE", Created: meta.Created.UTC().Format(time.RFC3339),
		Modified: meta.Created.UTC().Format(time.RFC3339)}); err != nil {
		return err
	}
	top := &excelize.Alignment{Vertical: "top"}
	wrapped := &excelize.Alignment{Vertical: "top", WrapText: true}
	head, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"D9D9D9"}},
		Alignment: wrapped, Border: []excelize.Border{{Type: "bottom", Color: "000000", Style: 1}}})
	if err != nil {
		return err
	}
	plain, err := f.NewStyle(&excelize.Style{Alignment: top})
	if err != nil {
		return err
	}
	wrap, err := f.NewStyle(&excelize.Style{Alignment: wrapped})
	if err != nil {
		return err
	}
	dateFormat := "dd.mm.yyyy hh:mm"
	if x.date, err = f.NewStyle(&excelize.Style{Alignment: top, CustomNumFmt: &dateFormat}); err != nil {
		return err
	}
	if x.sw, err = f.NewStreamWriter(sheet); err != nil {
		return err
	}
	for i, c := range x.cols {
		x.styles[i] = plain
		if c.Wrap {
			x.styles[i] = wrap
		}
		if c.Width > 0 {
			if err := x.sw.SetColWidth(i+1, i+1, c.Width); err != nil {
				return err
			}
		}
	}
	if err := x.sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}}}); err != nil {
		return err
	}
	for i, c := range x.cols {
		x.cells[i] = excelize.Cell{StyleID: head, Value: c.Heading}
	}
	return x.next()
}

func (x *XLSX) next() error {
	x.row++
	cell, err := excelize.CoordinatesToCellName(1, x.row)
	if err != nil {
		return err
	}
	return x.sw.SetRow(cell, x.cells)
}

// Row writes one row; values beyond the columns are ignored. Instants become
// dates of the sheet (shown in their location's wall-clock time), numbers
// numbers, texts are cut to what a cell holds.
func (x *XLSX) Row(vals []any) error {
	for i := range x.cells {
		var v any
		if i < len(vals) {
			v = vals[i]
		}
		switch t := v.(type) {
		case time.Time:
			if t.IsZero() {
				v = ""
				break
			}
			// Spreadsheets know no time zones: the wall clock counts.
			v = time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, time.UTC)
			x.cells[i] = excelize.Cell{StyleID: x.date, Value: v}
			continue
		case string:
			if t == "" {
				v = nil // an empty cell, as for no value
				break
			}
			v = fitCell(t, x.meta.Truncated)
		case int, float64:
			// numbers stay numbers, so the sheet can sum and sort them
		case nil:
			// an empty cell, not an empty text
		default:
			v = text(v)
		}
		x.cells[i] = excelize.Cell{StyleID: x.styles[i], Value: v}
	}
	return x.next()
}

// WriteTo finishes the workbook and writes it to w. A table of all rows
// gets filter buttons in the headings.
func (x *XLSX) WriteTo(w io.Writer) (int64, error) {
	if x.row > 1 {
		last, err := excelize.CoordinatesToCellName(len(x.cols), x.row)
		if err != nil {
			return 0, err
		}
		if err := x.sw.AddTable(&excelize.Table{Range: "A1:" + last, Name: "Tabelle", StyleName: "TableStyleLight1"}); err != nil {
			return 0, err
		}
	}
	if err := x.sw.Flush(); err != nil {
		return 0, err
	}
	return x.f.WriteTo(w)
}

// Rows is how many rows were written, the headings not counted.
func (x *XLSX) Rows() int { return x.row - 1 }

// Close removes the temporary files.
func (x *XLSX) Close() error { return x.f.Close() }
