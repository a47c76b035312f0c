package export

import (
	"encoding/csv"
	"io"
	"strings"
)

// CSV writes a table as German Excel opens it with a double click: UTF-8
// with a byte order mark, since without one Excel assumes the Windows code
// page and garbles umlauts; and semicolons between fields, since with German
// regional settings Excel's list separator is ";" (the comma is the decimal
// separator) and a comma-separated file would land in one column.
type CSV struct {
	w   *csv.Writer
	rec []string
}

// NewCSV writes the byte order mark and the heading row to w.
func NewCSV(w io.Writer, cols []Column) (*CSV, error) {
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return nil, err
	}
	c := &CSV{w: csv.NewWriter(w), rec: make([]string, len(cols))}
	c.w.Comma = ';'
	c.w.UseCRLF = true // what Excel writes, and RFC 4180
	for i, col := range cols {
		c.rec[i] = neutralise(col.Heading)
	}
	return c, c.w.Write(c.rec)
}

// Row writes one row; values beyond the columns are ignored. Only texts are
// neutralised: a negative number stays a number.
func (c *CSV) Row(vals []any) error {
	for i := range c.rec {
		c.rec[i] = ""
		if i < len(vals) {
			c.rec[i] = text(vals[i])
			if _, ok := vals[i].(string); ok {
				c.rec[i] = neutralise(c.rec[i])
			}
		}
	}
	return c.w.Write(c.rec)
}

// Flush writes what is buffered and reports any error of earlier writes.
func (c *CSV) Flush() error {
	c.w.Flush()
	return c.w.Error()
}

// neutralise keeps a spreadsheet from running a cell as a formula (CSV or
// formula injection): a statement is anyone's text, and "=HYPERLINK(...)"
// or "@SUM(...)" in it must stay text. Cells starting with =, +, -, @, tab
// or carriage return get a leading apostrophe, as OWASP recommends.
func neutralise(s string) string {
	if s != "" && strings.IndexByte("=+-@\t\r", s[0]) >= 0 {
		return "'" + s
	}
	return s
}
