package survey

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"beteiligungsportal/app/audit"
	"beteiligungsportal/domain/account"
	"beteiligungsportal/domain/procedure"
	"beteiligungsportal/domain/survey"
)

// csvWriter writes records with every text cell neutralised.
type csvWriter struct{ *csv.Writer }

func (w csvWriter) Write(rec []string) error {
	for i, v := range rec {
		rec[i] = neutralise(v)
	}
	return w.Writer.Write(rec)
}

// neutralise keeps a spreadsheet from running a cell as a formula (CSV
// injection): free-text answers are anyone's text, and "=HYPERLINK(…)" in
// them must stay text. Cells starting with =, +, -, @, tab or carriage
// return get a leading apostrophe, as OWASP recommends; numbers (a negative
// one starts with "-") stay numbers.
func neutralise(v string) string {
	if v == "" || !strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return v
	}
	if _, err := strconv.ParseFloat(strings.Replace(v, ",", ".", 1), 64); err == nil {
		return v
	}
	return "'" + v
}

// newCSV starts a CSV file as German spreadsheets open it without asking:
// UTF-8 with a byte order mark, semicolons, CRLF line ends.
func newCSV(w io.Writer) (csvWriter, error) {
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return csvWriter{}, err
	}
	cw := csv.NewWriter(w)
	cw.Comma = ';'
	cw.UseCRLF = true
	return csvWriter{cw}, nil
}

// ExportResponses writes the raw responses as CSV, one row per submitted
// response and one stable column per question or option (see
// survey.Columns), for the organisation's staff.
func (s *Service) ExportResponses(ctx context.Context, p account.Principal, procID uuid.UUID, w io.Writer) error {
	err := s.tx.Read(ctx, func(ctx context.Context, r Repos) error {
		pr, err := staffProcedure(ctx, r, p, procID, p.CanSeeInternals)
		if err != nil {
			return err
		}
		sv, err := r.Surveys.Get(ctx, pr.ID)
		if err != nil {
			return err
		}
		if err := audit.Record(ctx, r.Audit, p, pr.OrganisationID, "survey.export", "procedure", pr.ID.String(), map[string]any{"kind": "responses"}); err != nil {
			return err
		}
		cw, err := newCSV(w)
		if err != nil {
			return err
		}
		cols := survey.Columns(&sv.Questionnaire)
		head := []string{"response_id", "submitted_at"}
		for _, c := range cols {
			head = append(head, c.Name)
		}
		if err := cw.Write(head); err != nil {
			return err
		}
		err = r.Surveys.EachResponse(ctx, pr.ID, func(resp survey.Response) error {
			row := append([]string{resp.ID.String(), resp.SubmittedAt.In(procedure.Berlin).Format(time.DateTime)},
				survey.Values(cols, resp.Answers)...)
			return cw.Write(row)
		})
		if err != nil {
			return err
		}
		cw.Flush()
		return cw.Error()
	})
	if err != nil {
		return fmt.Errorf("export survey responses: %w", err)
	}
	return nil
}

// ExportResults writes the staff's aggregates as CSV: one row per question
// and option, matrix item or point of a scale, with count, percent and the
// statistics that apply.
func (s *Service) ExportResults(ctx context.Context, p account.Principal, procID uuid.UUID, f *survey.Filter, w io.Writer) error {
	res, err := s.Results(ctx, &p, procID.String(), f)
	if err != nil {
		return err
	}
	if !res.Staff {
		return fmt.Errorf("export survey results: %w", procedure.ErrNotFound)
	}
	cw, err := newCSV(w)
	if err != nil {
		return err
	}
	num := func(v float64) string { return survey.FormatNumber(round(v)) }
	_ = cw.Write([]string{"question", "title", "part", "label", "value", "count", "percent", "mean", "median", "min", "max", "mean_rank", "score"})
	_ = cw.Write([]string{"", "Antworten insgesamt", "", "", "", strconv.Itoa(res.Responses), "", "", "", "", "", "", ""})
	for _, q := range res.Questions {
		_ = cw.Write([]string{q.Key, q.Title, "", "", "", strconv.Itoa(q.Respondents), "", "", "", "", "", "", ""})
		stat := func(st *survey.StatResult) []string {
			if st == nil {
				return []string{"", "", "", ""}
			}
			return []string{num(st.Mean), num(st.Median), num(st.Min), num(st.Max)}
		}
		if q.Stats != nil {
			_ = cw.Write(append([]string{q.Key, q.Title, "stats", "", "", strconv.Itoa(q.Stats.N), ""}, append(stat(q.Stats), "", "")...))
		}
		for _, pt := range q.Points {
			_ = cw.Write([]string{q.Key, q.Title, "point", "", strconv.Itoa(pt.Value), strconv.Itoa(pt.Count), num(pt.Percent), "", "", "", "", "", ""})
		}
		for _, o := range q.Options {
			row := []string{q.Key, q.Title, o.Key, o.Label, "", strconv.Itoa(o.Count), ""}
			switch q.Kind {
			case survey.KindSingle, survey.KindMultiple:
				row[6] = num(o.Percent)
				row = append(row, "", "", "", "", "", "")
			case survey.KindRanking:
				row = append(row, "", "", "", "", num(o.MeanRank), num(o.Score))
			default:
				row = append(row, append(stat(o.Stats), "", "")...)
			}
			_ = cw.Write(row)
			for _, pt := range o.Points {
				_ = cw.Write([]string{q.Key, q.Title, o.Key, o.Label, strconv.Itoa(pt.Value), strconv.Itoa(pt.Count), num(pt.Percent), "", "", "", "", "", ""})
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// round keeps two decimals, enough for percentages and means in a table.
func round(v float64) float64 { return math.Round(v*100) / 100 }
