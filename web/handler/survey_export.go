package handler

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/gofiber/fiber/v2"

	"beteiligungsportal/app/i18n"
	appsurvey "beteiligungsportal/app/survey"
	"beteiligungsportal/domain/procedure"
	"beteiligungsportal/domain/survey"
	"beteiligungsportal/web/export"
	"beteiligungsportal/web/middleware"
	"beteiligungsportal/web/request"
)

// ExportResponsesCSV sends the raw responses as CSV, streamed while read.
func (h *Surveys) ExportResponsesCSV(c *fiber.Ctx) error { return h.exportResponses(c, "csv") }

// ExportResponsesXLSX sends the raw responses as an Excel workbook.
func (h *Surveys) ExportResponsesXLSX(c *fiber.Ctx) error { return h.exportResponses(c, "xlsx") }

// ExportResultsCSV sends the aggregates as CSV (with ?filter= like the results).
func (h *Surveys) ExportResultsCSV(c *fiber.Ctx) error { return h.exportResults(c, "csv") }

// ExportResultsXLSX sends the aggregates as an Excel workbook.
func (h *Surveys) ExportResultsXLSX(c *fiber.Ctx) error { return h.exportResults(c, "xlsx") }

func (h *Surveys) exportResponses(c *fiber.Ctx, format string) error {
	p, err := middleware.Principal(c)
	if err != nil {
		return err
	}
	id, err := request.ID(c, "id")
	if err != nil {
		return err
	}
	ctx, cancel := exportContext(c)
	e, err := h.Service.ExportResponses(ctx, p, id)
	if err != nil {
		cancel()
		return err
	}
	log := slog.Default().With(slog.String("procedure_id", id.String()), slog.String("export", "survey_responses"))
	return sendTable(ctx, cancel, c, newResponsesTable(e), format, log)
}

func (h *Surveys) exportResults(c *fiber.Ctx, format string) error {
	p, err := middleware.Principal(c)
	if err != nil {
		return err
	}
	id, err := request.ID(c, "id")
	if err != nil {
		return err
	}
	f, err := surveyFilter(c)
	if err != nil {
		return err
	}
	ctx, cancel := exportContext(c)
	res, err := h.Service.ExportResults(ctx, p, id, f)
	if err != nil {
		cancel()
		return err
	}
	log := slog.Default().With(slog.String("procedure_id", id.String()), slog.String("export", "survey_results"))
	return sendTable(ctx, cancel, c, &resultsTable{e: res}, format, log)
}

// surveyFileName is e.g. umfrage-antworten-radverkehr-2026-11-23.
func surveyFileName(kind string, pr procedure.Procedure, at time.Time) string {
	name := pr.Slug
	if name == "" {
		name = pr.ID.String()
	}
	return fmt.Sprintf("umfrage-%s-%s-%s", kind, name, at.In(procedure.Berlin).Format("2006-01-02"))
}

func surveyMeta(titleKey, sheetKey string, pr procedure.Procedure, at time.Time, sub string) export.Meta {
	asOf := i18n.T(i18n.Default, "survey.export_as_of", at.In(procedure.Berlin).Format("02.01.2006, 15:04"))
	if sub != "" {
		asOf += " · " + sub
	}
	return export.Meta{Title: problemText(titleKey) + ": " + pr.Title, Subtitle: asOf, Sheet: problemText(sheetKey),
		Creator: "Beteiligungsportal", Created: at, PageLabel: problemText("statement.export_page"),
		Truncated: problemText("survey.export_truncated")}
}

// responsesTable is one row per submitted response and one column per
// question or option, named by the questionnaire's keys so that a later
// export lines up with an earlier one.
type responsesTable struct {
	e    *appsurvey.ResponsesExport
	cols []export.Column
	vals []any
}

func newResponsesTable(e *appsurvey.ResponsesExport) *responsesTable {
	cols := []export.Column{
		{Heading: problemText("survey.export_col_response"), Width: 38},
		{Heading: problemText("survey.export_col_submitted"), Width: 17},
	}
	for _, c := range e.Columns {
		cols = append(cols, export.Column{Heading: c.Name, Width: max(12, float64(len(c.Name))+2)})
	}
	return &responsesTable{e: e, cols: cols, vals: make([]any, len(cols))}
}

func (t *responsesTable) columns() []export.Column { return t.cols }

func (t *responsesTable) meta() export.Meta {
	return surveyMeta("survey.export_responses_title", "survey.export_responses_sheet", t.e.Procedure, t.e.At, "")
}

func (t *responsesTable) fileName() string { return surveyFileName("antworten", t.e.Procedure, t.e.At) }

func (t *responsesTable) rows(ctx context.Context, each func([]any) error) (int, error) {
	return t.e.Rows(ctx, func(r survey.Response, cells []any) error {
		t.vals[0] = r.ID.String()
		t.vals[1] = r.SubmittedAt.In(procedure.Berlin)
		copy(t.vals[2:], cells)
		return each(t.vals)
	})
}

// resultsTable is the aggregates as a long table: a row for all responses,
// then per question a row with its respondents, a row for its statistics,
// and a row per option, matrix item or point of a scale.
type resultsTable struct{ e appsurvey.ResultsExport }

var resultColumns = []struct {
	key   string
	width float64
}{
	{"survey.export_col_question", 14}, {"survey.export_col_title", 40}, {"survey.export_col_part", 14},
	{"survey.export_col_label", 24}, {"survey.export_col_value", 10}, {"survey.export_col_count", 10},
	{"survey.export_col_percent", 10}, {"survey.export_col_mean", 11}, {"survey.export_col_median", 10},
	{"survey.export_col_min", 10}, {"survey.export_col_max", 10}, {"survey.export_col_mean_rank", 14},
	{"survey.export_col_score", 11},
}

func (t *resultsTable) columns() []export.Column {
	cols := make([]export.Column, len(resultColumns))
	for i, c := range resultColumns {
		cols[i] = export.Column{Heading: problemText(c.key), Width: c.width, Wrap: i == 1 || i == 3}
	}
	return cols
}

func (t *resultsTable) meta() export.Meta {
	sub := ""
	if f := t.e.Filter; f != nil {
		sub = i18n.T(i18n.Default, "survey.export_filter", f.Question, f.Choice)
	}
	return surveyMeta("survey.export_results_title", "survey.export_results_sheet", t.e.Procedure, t.e.At, sub)
}

func (t *resultsTable) fileName() string { return surveyFileName("ergebnisse", t.e.Procedure, t.e.At) }

func (t *resultsTable) rows(_ context.Context, each func([]any) error) (int, error) {
	n := 0
	emit := func(cells ...any) error {
		row := make([]any, len(resultColumns))
		copy(row, cells)
		n++
		return each(row)
	}
	stats := func(st *survey.StatResult) []any {
		if st == nil || st.Suppressed {
			return []any{nil, nil, nil, nil}
		}
		return []any{round2(st.Mean), round2(st.Median), round2(st.Min), round2(st.Max)}
	}
	if err := emit(nil, problemText("survey.export_total"), nil, nil, nil, t.e.Responses); err != nil {
		return n, err
	}
	for _, q := range t.e.Questions {
		if err := emit(q.Key, q.Title, nil, nil, nil, q.Respondents); err != nil {
			return n, err
		}
		if q.Stats != nil {
			row := append([]any{q.Key, q.Title, nil, problemText("survey.export_stats"), nil, q.Stats.N, nil}, stats(q.Stats)...)
			if err := emit(row...); err != nil {
				return n, err
			}
		}
		for _, pt := range q.Points {
			if err := emit(q.Key, q.Title, nil, nil, pt.Value, pt.Count, round2(pt.Percent)); err != nil {
				return n, err
			}
		}
		for _, o := range q.Options {
			row := []any{q.Key, q.Title, o.Key, optionLabel(o), nil, o.Count, nil}
			switch q.Kind {
			case survey.KindSingle, survey.KindMultiple:
				row[6] = round2(o.Percent)
			case survey.KindRanking:
				row = append(row, nil, nil, nil, nil, round2(o.MeanRank), round2(o.Score))
			default:
				row = append(row, stats(o.Stats)...)
			}
			if err := emit(row...); err != nil {
				return n, err
			}
			for _, pt := range o.Points {
				if err := emit(q.Key, q.Title, o.Key, optionLabel(o), pt.Value, pt.Count, round2(pt.Percent)); err != nil {
					return n, err
				}
			}
		}
	}
	return n, nil
}

// round2 keeps two decimals, enough for percentages and means in a table.
func round2(v float64) float64 { return math.Round(v*100) / 100 }
