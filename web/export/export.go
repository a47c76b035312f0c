// Package export writes tables for download as CSV, XLSX and PDF files: the
// assessment table (Abwägungstabelle) of a procedure's statements and other
// lists that agencies take into spreadsheets or print for a council. Rows
// are written one at a time; the CSV and XLSX writers keep memory flat
// however many rows there are, the PDF writer does not (see PDF).
package export

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// Column is one column of a table.
type Column struct {
	Heading string
	// Width is the column's width in characters of a spreadsheet's default
	// font; PDFs share the page width among the columns in this proportion.
	Width float64
	// Wrap breaks long text into lines (always done in PDFs).
	Wrap bool
	// Keep is a value that a PDF's column must show on one line, such as a
	// receipt number; the longest word of Heading is kept whole too.
	Keep string
}

// Meta describes the file around the table.
type Meta struct {
	Title    string // the document's title
	Subtitle string // a line under the title in PDFs, the subject in XLSX
	Sheet    string // the worksheet's name in XLSX, at most 31 characters
	Creator  string
	Created  time.Time
	// PageLabel numbers the pages of a PDF, with one %d for the number.
	PageLabel string
	// Truncated is appended to texts cut to what a spreadsheet cell holds.
	Truncated string
}

// dateLayout is how CSV and PDF show instants; German Excel reads it as a date.
const dateLayout = "02.01.2006 15:04"

// text is a cell's value as text. A row's values are strings; time.Time,
// shown as date and time of day as the time's location has them (callers
// convert to Europe/Berlin), the zero time as an empty cell; or numbers (int,
// float64), written with a decimal comma as German spreadsheets read them.
func text(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case time.Time:
		if !v.IsZero() {
			return v.Format(dateLayout)
		}
	case int:
		return strconv.Itoa(v)
	case float64:
		return strings.Replace(strconv.FormatFloat(v, 'f', -1, 64), ".", ",", 1)
	}
	return ""
}

// cellLimit is how many UTF-16 code units a spreadsheet cell holds (Excel's
// limit; excelize cuts longer texts silently).
const cellLimit = 32767

// fitCell cuts s to the cell limit and appends marker when it was too long,
// at a character boundary.
func fitCell(s, marker string) string {
	if len(s) <= cellLimit { // bytes ≥ UTF-16 units for any string
		return s
	}
	if utf16Len(s) <= cellLimit {
		return s
	}
	room := cellLimit - utf16Len(marker)
	units := 0
	for i, r := range s { // invalid UTF-8 comes as U+FFFD, one unit
		n := utf16.RuneLen(r)
		if units+n > room {
			return s[:i] + marker
		}
		units += n
	}
	return s
}

func utf16Len(s string) int {
	n := 0
	for len(s) > 0 {
		r, size := utf8.DecodeRuneInString(s)
		s = s[size:]
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}
