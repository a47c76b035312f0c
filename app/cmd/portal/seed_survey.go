package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/uptrace/bun"

	appsurvey "beteiligungsportal/app/survey"
	"beteiligungsportal/domain"
	"beteiligungsportal/domain/survey"
	"beteiligungsportal/infra/postgres"
)

// demoSurveySlug is the demo survey procedure that gets a questionnaire.
const demoSurveySlug = "umfrage-mobilitaet-grimma"

func demoOptions(pairs ...string) []survey.Option {
	var out []survey.Option
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, survey.Option{Key: pairs[i], Label: pairs[i+1]})
	}
	return out
}

// demoQuestionnaire asks about mobility in Grimma with one question of
// every kind and a condition.
func demoQuestionnaire() survey.Questionnaire {
	max := 2000.0
	zero := 0.0
	return survey.Questionnaire{Sections: []survey.Section{
		{Key: "wege", Title: "Ihre Wege in Grimma", Questions: []survey.Question{
			{Key: "verkehrsmittel", Kind: survey.KindSingle, Title: "Wie sind Sie in Grimma meistens unterwegs?", Required: true, Other: true,
				Options: demoOptions("auto", "Auto", "rad", "Fahrrad", "bus", "Bus und Bahn", "fuss", "zu Fuß")},
			{Key: "km_woche", Kind: survey.KindNumber, Title: "Wie viele Kilometer fahren Sie pro Woche mit dem Auto?",
				Min: &zero, Max: &max, Integer: true, Condition: &survey.Condition{Question: "verkehrsmittel", AnyOf: []string{"auto"}}},
			{Key: "wuensche", Kind: survey.KindMultiple, Title: "Was sollte die Stadt vor allem verbessern? (höchstens zwei)", MaxSelect: 2,
				Options: demoOptions("radwege", "Radwege", "takt", "dichterer Bustakt", "parken", "Parkplätze", "gehwege", "Gehwege")},
			{Key: "zufriedenheit", Kind: survey.KindScale, Title: "Wie zufrieden sind Sie insgesamt mit dem Verkehr in Grimma?", Required: true,
				ScaleMin: 1, ScaleMax: 5, MinLabel: "gar nicht zufrieden", MaxLabel: "sehr zufrieden"},
			{Key: "bewertung", Kind: survey.KindMatrix, Title: "Wie bewerten Sie …", ScaleMin: 1, ScaleMax: 5, MinLabel: "schlecht", MaxLabel: "gut",
				Items: demoOptions("strassen", "den Zustand der Straßen", "radnetz", "das Radwegenetz", "bus", "das Busangebot")},
			{Key: "prioritaeten", Kind: survey.KindRanking, Title: "Bringen Sie die Ziele in eine Reihenfolge (wichtigstes zuerst).",
				Options: demoOptions("sicherheit", "Verkehrssicherheit", "klima", "Klimaschutz", "erreichbarkeit", "Erreichbarkeit der Innenstadt")},
		}},
		{Key: "weiteres", Title: "Weitere Hinweise und Angaben zu Ihrer Person",
			Description: "Die Angaben zur Person sind freiwillig und dienen nur der Auswertung.", Questions: []survey.Question{
				{Key: "ort", Kind: survey.KindShortText, Title: "Welche Stelle in Grimma ist für Sie besonders problematisch?"},
				{Key: "hinweise", Kind: survey.KindLongText, Title: "Was möchten Sie uns noch mitteilen?"},
				{Key: "seit", Kind: survey.KindDate, Title: "Seit wann wohnen Sie in Grimma?"},
				{Key: "alter", Kind: survey.KindSingle, Title: "Wie alt sind Sie?", Demographic: true,
					Options: demoOptions("u30", "unter 30", "u65", "30 bis 64", "ue65", "65 und älter")},
			}},
	}}
}

// seedSurvey gives the demo survey its questionnaire and some demo
// responses, once. The procedure is already published, so the questionnaire
// goes straight to the store (the use case allows changes only to drafts).
func seedSurvey(ctx context.Context, cfg config, db *bun.DB) (int, error) {
	procs := postgres.NewProcedures(db)
	pr, err := procs.GetBySlug(ctx, demoSurveySlug)
	if errors.Is(err, domain.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	store := postgres.NewSurveys(db)
	if _, err := store.Get(ctx, pr.ID); err == nil {
		return 0, nil // already there
	} else if !errors.Is(err, survey.ErrNoQuestionnaire) {
		return 0, err
	}
	qn := demoQuestionnaire()
	if err := qn.Validate(); err != nil {
		return 0, fmt.Errorf("demo questionnaire: %w", err)
	}
	sv := survey.Survey{ProcedureID: pr.ID, Questionnaire: qn, Settings: survey.Settings{Threshold: survey.DefaultThreshold},
		UpdatedAt: time.Now().UTC(), Version: 1}
	if err := store.Save(ctx, sv); err != nil {
		return 0, err
	}
	created := 1
	svc := newSurveyService(cfg, db, slog.Default(), systemClock)
	rnd := rand.New(rand.NewPCG(2035, 1))
	pick := func(keys ...string) string { return keys[rnd.IntN(len(keys))] }
	for range 40 {
		mode := pick("auto", "auto", "rad", "bus", "fuss")
		a := map[string]any{"verkehrsmittel": mode, "zufriedenheit": 1 + rnd.IntN(5),
			"wuensche":     []string{pick("radwege", "takt", "parken", "gehwege")},
			"bewertung":    map[string]int{"strassen": 1 + rnd.IntN(5), "radnetz": 1 + rnd.IntN(5), "bus": 1 + rnd.IntN(5)},
			"prioritaeten": []string{"sicherheit", "erreichbarkeit", "klima"},
			"alter":        pick("u30", "u65", "u65", "ue65")}
		if mode == "auto" {
			a["km_woche"] = 20 + rnd.IntN(300)
		}
		answers := map[string]json.RawMessage{}
		for k, v := range a {
			answers[k], _ = json.Marshal(v)
		}
		_, err := svc.Submit(ctx, nil, demoSurveySlug, appsurvey.Submission{Answers: answers})
		if errors.Is(err, domain.ErrClosed) {
			break // not open today
		}
		if err != nil {
			return created, fmt.Errorf("demo response: %s", describe(err))
		}
		created++
	}
	return created, nil
}
