package export

import (
	"fmt"
	"io"
	"strings"

	"github.com/signintech/gopdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
)

// PDF writes a table for printing: landscape A4, the headings repeated on
// every page, cells wrapped, a row that does not fit on the rest of a page
// moved to the next one or, when longer than a page, split across pages.
// The Go fonts cover German and most European scripts; characters they lack
// print as spaces.
//
// The PDF library keeps the whole document in memory until WriteTo, so
// memory grows with the rows: callers bound the number of rows.
type PDF struct {
	pdf    gopdf.GoPdf
	meta   Meta
	cols   []Column
	widths []float64 // points
	y      float64
	page   int
	lines  [][]string
	// font is the current font and size; glyphs caches the width of every
	// character measured in it: measuring through the library costs far
	// more than the drawing.
	font   string
	glyphs map[string]map[rune]float64
}

// Layout in points; A4 landscape is 842 × 595.
const (
	pageW, pageH = 842.0, 595.0
	margin       = 28.0
	footerH      = 16.0
	bottom       = pageH - margin - footerH
	fontSize     = 7.5
	leading      = 9.0
	pad          = 2.5
	titleSize    = 12.0
	// minSplit is how many lines of a long row must fit on a page before
	// the row is split there rather than begun on the next one.
	minSplit = 4
)

// NewPDF starts a document with the title on its first page.
func NewPDF(meta Meta, cols []Column) (*PDF, error) {
	p := &PDF{meta: meta, cols: cols, widths: make([]float64, len(cols)), lines: make([][]string, len(cols)),
		glyphs: map[string]map[rune]float64{}}
	p.pdf.Start(gopdf.Config{PageSize: *gopdf.PageSizeA4Landscape})
	p.pdf.SetInfo(gopdf.PdfInfo{Title: meta.Title, Subject: meta.Subtitle, Creator: meta.Creator,
		Producer: meta.Creator, CreationDate: meta.Created})
	if err := p.pdf.AddTTFFontData("regular", goregular.TTF); err != nil {
		return nil, err
	}
	if err := p.pdf.AddTTFFontData("bold", gobold.TTF); err != nil {
		return nil, err
	}
	if err := p.layout(); err != nil {
		return nil, err
	}
	if err := p.newPage(); err != nil {
		return nil, err
	}
	return p, nil
}

// layout shares the page width among the columns by their widths, but
// gives each at least the longest word of its heading and its Keep value,
// so that headings break only between words.
func (p *PDF) layout() error {
	least := make([]float64, len(p.cols))
	measure := func(font, s string, i int) error {
		if err := p.setFont(font, fontSize); err != nil {
			return err
		}
		w, err := p.width(s)
		least[i] = max(least[i], w+2*pad+0.5)
		return err
	}
	for i, c := range p.cols {
		for _, word := range strings.Fields(c.Heading) {
			if err := measure("bold", word, i); err != nil {
				return err
			}
		}
		if c.Keep != "" {
			if err := measure("regular", c.Keep, i); err != nil {
				return err
			}
		}
	}
	// Columns below their least width get it; the others share the rest,
	// until none is below.
	fixed := make([]bool, len(p.cols))
	for changed := true; changed; {
		changed = false
		room, total := pageW-2*margin, 0.0
		for i, c := range p.cols {
			if fixed[i] {
				room -= least[i]
			} else {
				total += max(c.Width, 1)
			}
		}
		for i, c := range p.cols {
			if fixed[i] {
				p.widths[i] = least[i]
				continue
			}
			p.widths[i] = max(room, 0) * max(c.Width, 1) / total
			if p.widths[i] < least[i] {
				fixed[i], changed = true, true
			}
		}
	}
	return nil
}

// Row adds one row; values beyond the columns are ignored.
func (p *PDF) Row(vals []any) error {
	if err := p.setFont("regular", fontSize); err != nil {
		return err
	}
	n := 1
	for i := range p.cols {
		s := ""
		if i < len(vals) {
			s = text(vals[i])
		}
		lines, err := p.wrap(s, p.widths[i]-2*pad)
		if err != nil {
			return err
		}
		p.lines[i] = lines
		n = max(n, len(lines))
	}
	for from := 0; from < n; {
		fit := int((bottom - p.y - 2*pad) / leading)
		rest := n - from
		// A short row that does not fit starts on the next page; a long one
		// is split if enough of it fits here.
		if fit < rest && (fit < minSplit || from == 0 && rest <= p.linesPerPage()/3) {
			if err := p.newPage(); err != nil {
				return err
			}
			if err := p.setFont("regular", fontSize); err != nil {
				return err
			}
			continue
		}
		k := min(rest, fit)
		x := margin
		for i := range p.cols {
			for j := from; j < from+k && j < len(p.lines[i]); j++ {
				p.pdf.SetXY(x+pad, p.y+pad+float64(j-from)*leading)
				if err := p.pdf.Cell(nil, p.lines[i][j]); err != nil {
					return err
				}
			}
			x += p.widths[i]
		}
		p.y += float64(k)*leading + 2*pad
		from += k
		p.rule(0.8)
	}
	return nil
}

// linesPerPage is how many lines of a row fit below the headings.
func (p *PDF) linesPerPage() int {
	return int((bottom - margin - p.headingHeight() - 2*pad) / leading)
}

func (p *PDF) headingHeight() float64 {
	return 2*leading + 2*pad // headings wrap to at most two lines
}

// newPage starts a page with the footer and the headings; the first page
// also gets the title.
func (p *PDF) newPage() error {
	p.pdf.AddPage()
	p.page++
	p.y = margin
	if err := p.setFont("regular", fontSize); err != nil {
		return err
	}
	footer := strings.TrimSpace(p.meta.Title)
	p.pdf.SetXY(margin, pageH-margin-leading)
	if err := p.pdf.Cell(nil, footer); err != nil {
		return err
	}
	if p.meta.PageLabel != "" {
		label := fmt.Sprintf(p.meta.PageLabel, p.page)
		w, err := p.width(label)
		if err != nil {
			return err
		}
		p.pdf.SetXY(pageW-margin-w, pageH-margin-leading)
		if err := p.pdf.Cell(nil, label); err != nil {
			return err
		}
	}
	if p.page == 1 {
		if err := p.title(); err != nil {
			return err
		}
	}
	return p.headings()
}

func (p *PDF) title() error {
	if err := p.setFont("bold", titleSize); err != nil {
		return err
	}
	lines, err := p.wrap(p.meta.Title, pageW-2*margin)
	if err != nil {
		return err
	}
	for _, l := range lines {
		p.pdf.SetXY(margin, p.y)
		if err := p.pdf.Cell(nil, l); err != nil {
			return err
		}
		p.y += titleSize * 1.3
	}
	if p.meta.Subtitle != "" {
		if err := p.setFont("regular", fontSize+0.5); err != nil {
			return err
		}
		p.pdf.SetXY(margin, p.y)
		if err := p.pdf.Cell(nil, p.meta.Subtitle); err != nil {
			return err
		}
		p.y += leading
	}
	p.y += leading
	return nil
}

func (p *PDF) headings() error {
	if err := p.setFont("bold", fontSize); err != nil {
		return err
	}
	h := p.headingHeight()
	p.pdf.SetFillColor(217, 217, 217)
	p.pdf.RectFromUpperLeftWithStyle(margin, p.y, pageW-2*margin, h, "F")
	p.pdf.SetFillColor(0, 0, 0) // text is painted with the fill colour
	x := margin
	for i, c := range p.cols {
		lines, err := p.wrap(c.Heading, p.widths[i]-2*pad)
		if err != nil {
			return err
		}
		for j := 0; j < len(lines) && j < 2; j++ {
			p.pdf.SetXY(x+pad, p.y+pad+float64(j)*leading)
			if err := p.pdf.Cell(nil, lines[j]); err != nil {
				return err
			}
		}
		x += p.widths[i]
	}
	p.y += h
	p.rule(0.8)
	return nil
}

// rule draws a line under the current row.
func (p *PDF) rule(width float64) {
	p.pdf.SetLineWidth(width / 2)
	p.pdf.SetStrokeColor(128, 128, 128)
	p.pdf.Line(margin, p.y, pageW-margin, p.y)
}

// wrap breaks s into lines no wider than width in the current font: at its
// line breaks, between words, and within words longer than a line.
func (p *PDF) wrap(s string, width float64) ([]string, error) {
	s = printable(s)
	if s == "" {
		return nil, nil
	}
	space, err := p.width(" ")
	if err != nil {
		return nil, err
	}
	var out []string
	for _, para := range strings.Split(s, "\n") {
		var line strings.Builder
		used := 0.0
		flush := func() {
			out = append(out, line.String())
			line.Reset()
			used = 0
		}
		for _, word := range strings.Split(para, " ") {
			w, err := p.width(word)
			if err != nil {
				return nil, err
			}
			if line.Len() > 0 && used+space+w <= width {
				line.WriteByte(' ')
				line.WriteString(word)
				used += space + w
				continue
			}
			if line.Len() > 0 {
				flush()
			}
			if w <= width {
				line.WriteString(word)
				used = w
				continue
			}
			// A word wider than the column (a URL, a receipt number) is
			// broken, after a hyphen or slash where there is one.
			for _, part := range splitAfter(word, "-/") {
				pw, err := p.width(part)
				if err != nil {
					return nil, err
				}
				if used+pw <= width {
					line.WriteString(part)
					used += pw
					continue
				}
				if line.Len() > 0 {
					flush()
				}
				for _, r := range part {
					rw, err := p.width(string(r))
					if err != nil {
						return nil, err
					}
					if used+rw > width && line.Len() > 0 {
						flush()
					}
					line.WriteRune(r)
					used += rw
				}
			}
		}
		flush()
	}
	return out, nil
}

// splitAfter cuts s after each of the bytes in seps.
func splitAfter(s, seps string) []string {
	var out []string
	for {
		i := strings.IndexAny(s, seps)
		if i < 0 || i == len(s)-1 {
			return append(out, s)
		}
		out = append(out, s[:i+1])
		s = s[i+1:]
	}
}

// printable turns line ends into \n and tabs into spaces and drops other
// control characters, which fonts have no glyphs for.
func printable(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n':
			return r
		case r == '\t' || r == '\r':
			return ' '
		case r < 0x20 || r == 0x7f:
			return -1
		}
		return r
	}, s)
}

func (p *PDF) setFont(name string, size float64) error {
	p.font = fmt.Sprint(name, size)
	return p.pdf.SetFont(name, "", size)
}

// width measures s in the current font as the sum of its characters' widths,
// which is what the library computes too (it does not kern).
func (p *PDF) width(s string) (float64, error) {
	cache := p.glyphs[p.font]
	if cache == nil {
		cache = map[rune]float64{}
		p.glyphs[p.font] = cache
	}
	w := 0.0
	for _, r := range s {
		rw, ok := cache[r]
		if !ok {
			var err error
			if rw, err = p.pdf.MeasureTextWidth(string(r)); err != nil {
				return 0, err
			}
			cache[r] = rw
		}
		w += rw
	}
	return w, nil
}

// Pages is how many pages the document has so far.
func (p *PDF) Pages() int { return p.page }

// WriteTo writes the document to w.
func (p *PDF) WriteTo(w io.Writer) (int64, error) { return p.pdf.WriteTo(w) }
