package main

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/go-pdf/fpdf"

	appproc "beteiligungsportal/app/procedure"
	"beteiligungsportal/domain/account"
	"beteiligungsportal/domain/procedure"
)

// demoPDF renders a one-page A4 PDF with a heading and paragraphs. The core
// fonts speak Windows-1252, which covers German.
func demoPDF(title string, paragraphs []string) []byte {
	pdf := fpdf.New("P", "mm", "A4", "")
	tr := pdf.UnicodeTranslatorFromDescriptor("")
	stamp := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) // same bytes on every run
	pdf.SetCreationDate(stamp)
	pdf.SetModificationDate(stamp)
	pdf.SetTitle(title, true)
	pdf.SetCreator("Beteiligungsportal (Demodaten)", true)
	pdf.AddPage()
	pdf.SetFont("Helvetica", "B", 16)
	pdf.MultiCell(0, 8, tr(title), "", "L", false)
	pdf.Ln(4)
	pdf.SetFont("Helvetica", "", 11)
	for _, p := range paragraphs {
		pdf.MultiCell(0, 6, tr(p), "", "L", false)
		pdf.Ln(2)
	}
	pdf.SetFont("Helvetica", "I", 9)
	pdf.MultiCell(0, 5, tr("Demonstrationsdokument ohne rechtliche Wirkung."), "", "L", false)
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		panic(err) // only fixed demo texts are rendered: an error is a bug
	}
	return buf.Bytes()
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
