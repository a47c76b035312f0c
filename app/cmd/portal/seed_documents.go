package main

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/signintech/gopdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"

	appproc "beteiligungsportal/app/procedure"
	"beteiligungsportal/domain/account"
	"beteiligungsportal/domain/procedure"
)

// demoPDF renders a one-page A4 PDF with a heading and wrapped paragraphs,
// in the Go fonts, which cover German.
func demoPDF(title string, paragraphs []string) []byte {
	const left, width, bottom = 56.0, 483.0, 780.0 // points on A4 (595×842)
	pdf := gopdf.GoPdf{}
	pdf.Start(gopdf.Config{PageSize: *gopdf.PageSizeA4})
	pdf.SetInfo(gopdf.PdfInfo{Title: title, Creator: "Beteiligungsportal (Demodaten)",
		CreationDate: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
	must := func(err error) {
		if err != nil {
			panic(err) // only fixed demo texts and the embedded fonts are used: an error is a bug
		}
	}
	must(pdf.AddTTFFontData("regular", goregular.TTF))
	must(pdf.AddTTFFontData("bold", gobold.TTF))
	pdf.AddPage()
	pdf.SetXY(left, 60)
	write := func(font string, size, leading float64, text string) {
		must(pdf.SetFont(font, "", size))
		lines, err := pdf.SplitTextWithWordWrap(text, width)
		must(err)
		for _, line := range lines {
			if pdf.GetY() > bottom {
				return // one page is enough for a demo
			}
			pdf.SetX(left)
			must(pdf.Cell(nil, line))
			pdf.Br(leading)
		}
		pdf.Br(leading / 2)
	}
	write("bold", 16, 22, title)
	for _, p := range paragraphs {
		write("regular", 11, 15, p)
	}
	write("regular", 9, 12, "Demonstrationsdokument ohne rechtliche Wirkung.")
	out, err := pdf.GetBytesPdfReturnErr()
	must(err)
	return out
}

type demoDocument struct {
	title, file string
	paragraphs  []string
}

// demoMaterial is what each type of procedure lays out.
func demoMaterial(d demoProcedure) []demoDocument {
	intro := d.title + ": " + d.sum
	switch d.typ {
	case procedure.TypeLandUsePlan:
		return []demoDocument{
			{"Planzeichnung (Entwurf)", "planzeichnung-entwurf.pdf", []string{intro, "Teil A – Planzeichnung mit Festsetzungen zu Art und Maß der baulichen Nutzung, überbaubaren Grundstücksflächen und Verkehrsflächen."}},
			{"Begründung", "begruendung.pdf", []string{intro, "Anlass und Ziele der Planung, Auswirkungen auf Umwelt, Verkehr und Infrastruktur, Abwägung der öffentlichen und privaten Belange."}},
			{"Umweltbericht", "umweltbericht.pdf", []string{intro, "Bestandsaufnahme und Bewertung der Schutzgüter Mensch, Tiere und Pflanzen, Boden, Wasser, Klima und Luft, Landschaft sowie Kultur- und Sachgüter."}},
		}
	case procedure.TypeRegionalPlan:
		return []demoDocument{
			{"Planentwurf mit Karten", "planentwurf.pdf", []string{intro, "Ziele und Grundsätze der Raumordnung mit Festlegungskarten."}},
			{"Umweltbericht", "umweltbericht.pdf", []string{intro, "Strategische Umweltprüfung des Planentwurfs."}},
		}
	case procedure.TypeStatute:
		return []demoDocument{{"Satzungsentwurf", "satzungsentwurf.pdf", []string{intro, "§ 1 Geltungsbereich. § 2 Regelungen. § 3 Inkrafttreten."}}}
	case procedure.TypeSurvey, procedure.TypeDialog:
		return []demoDocument{{"Informationsblatt", "informationsblatt.pdf", []string{intro, "Worum es geht, wie Sie mitmachen und was mit den Ergebnissen geschieht."}}}
	}
	return nil
}

// seedDocuments uploads the demo documents of one kind to a procedure.
func seedDocuments(ctx context.Context, svc services, as account.Principal, p procedure.Procedure, kind procedure.DocumentKind, docs []demoDocument) error {
	for _, d := range docs {
		content := demoPDF(d.title, d.paragraphs)
		_, err := svc.procedures.AddDocument(ctx, as, p.ID, appproc.Upload{Kind: kind, Title: d.title, FileName: d.file,
			Size: int64(len(content)), Content: bytes.NewReader(content)})
		if err != nil {
			return fmt.Errorf("%s document %s: %s", p.Slug, d.file, describe(err))
		}
	}
	return nil
}

// demoResult is published with concluded procedures.
func demoResult(d demoProcedure) []demoDocument {
	return []demoDocument{{"Abwägungsergebnis und Beschluss", "beschluss.pdf", []string{d.title,
		"Der Rat hat die eingegangenen Stellungnahmen geprüft und abgewogen. Das Ergebnis wurde den Einsendern mitgeteilt."}}}
}
