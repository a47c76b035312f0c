package main

import (
	"context"
	"errors"
	"fmt"

	appstmt "beteiligungsportal/app/statement"
	"beteiligungsportal/domain"
	"beteiligungsportal/domain/statement"
)

// demoStatements are submitted to the demo procedures that are open now, so
// the weighing views have something to show: ordinary statements and a small
// mass statement.
var demoStatements = []struct {
	slug, name, email, text string
}{
	{"bebauungsplan-42-am-muehlgraben", "Erika Mustermann", "erika@demo.example",
		"Die geplante Zufahrt über die Mühlgrabenstraße führt den Verkehr an der Grundschule vorbei. Ich bitte, die Erschließung über die Hauptstraße zu prüfen."},
	{"bebauungsplan-42-am-muehlgraben", "Max Muster", "",
		"Wir lehnen die Fällung der Pappelreihe am Mühlgraben ab. Die Bäume sind Lebensraum für Fledermäuse und prägen das Ortsbild. Freundliche Grüße"},
	{"bebauungsplan-42-am-muehlgraben", "Lena Beispiel", "",
		"Wir lehnen die Fällung der Pappelreihe am Mühlgraben ab. Die Bäume sind Lebensraum für Fledermäuse und prägen das Ortsbild. Viele Grüße"},
	{"gehoelzschutzsatzung-freiberg", "", "",
		"Obstbäume in Kleingärten sollten von der Satzung ausgenommen bleiben."},
}

// seedStatements submits the demo statements where a public phase is open.
// Each has a fixed idempotency key, so loading the demo again adds none.
func seedStatements(ctx context.Context, svc services) (int, error) {
	created := 0
	for i, d := range demoStatements {
		in := statement.Input{Text: d.text, PrivacyVersion: svc.statements.PrivacyVersion(),
			Submitter: statement.Submitter{Name: d.name, Email: d.email}}
		rec, err := svc.statements.Submit(ctx, nil, d.slug, appstmt.Submission{Input: in, IdempotencyKey: fmt.Sprintf("demo-%d", i)})
		switch {
		case errors.Is(err, domain.ErrClosed) || errors.Is(err, domain.ErrNotFound):
			continue // not open today (or not loaded)
		case err != nil:
			return created, fmt.Errorf("%s: %s", d.slug, describe(err))
		case !rec.Replayed:
			created++
		}
	}
	return created, nil
}
