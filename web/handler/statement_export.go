package handler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"beteiligungsportal/app/i18n"
	appstmt "beteiligungsportal/app/statement"
	"beteiligungsportal/domain/procedure"
	"beteiligungsportal/domain/statement"
	"beteiligungsportal/web/export"
	"beteiligungsportal/web/middleware"
	"beteiligungsportal/web/problem"
	"beteiligungsportal/web/request"
)

// MaxPDFRows bounds the assessment table as PDF: the PDF library holds the
// whole document in memory, about 23 KiB per statement of 1 KB (measured:
// 5,000 statements, 115 MiB live heap, 210 MiB with garbage), while CSV and
// XLSX keep memory flat at any size (docs/benchmarks.md).
const MaxPDFRows = 5000

// ExportCSV sends the assessment table as CSV, streamed while it is read.
func (h *Statements) ExportCSV(c *fiber.Ctx) error { return h.export(c, "csv") }

// ExportXLSX sends the assessment table as an Excel workbook.
func (h *Statements) ExportXLSX(c *fiber.Ctx) error { return h.export(c, "xlsx") }

// ExportPDF sends the assessment table as PDF, for at most MaxPDFRows statements.
func (h *Statements) ExportPDF(c *fiber.Ctx) error { return h.export(c, "pdf") }

// export checks access and parameters before anything is sent, so refusals
// are problem details; afterwards a failure can only cut the download short.
func (h *Statements) export(c *fiber.Ctx, format string) error {
	p, err := middleware.Principal(c)
	if err != nil {
		return err
	}
	id, err := request.ID(c, "id")
	if err != nil {
		return err
	}
	f, err := parseStatementFilter(c)
	if err != nil {
		return err
	}
	f.ProcedureID = id
	pseudonymise, err := boolQuery(c, "pseudonymise")
	if err != nil {
		return err
	}
	req := appstmt.ExportRequest{Filter: f, Pseudonymise: pseudonymise, Format: format}
	if format == "pdf" {
		req.MaxRows = MaxPDFRows
	}
	ctx, cancel := exportContext(c)
	e, err := h.Service.Export(ctx, p, req)
	if err != nil {
		cancel()
		return err
	}
	log := slog.Default().With(slog.String("procedure_id", e.Procedure.ID.String()))
	return sendTable(ctx, cancel, c, newAssessmentTable(e), format, log)
}

func boolQuery(c *fiber.Ctx, name string) (bool, error) {
	switch c.Query(name) {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	}
	return false, &problem.Error{Status: fiber.StatusUnprocessableEntity, Slug: "validation",
		Detail: problemText("detail.validation"),
		Fields: []problem.FieldProblem{{Field: name, Code: "query.bool", Message: problemText("query.bool")}}}
}

// assessmentTable renders an export's rows in German.
type assessmentTable struct {
	e    *appstmt.Export
	cols []export.Column
	vals []any
}

func newAssessmentTable(e *appstmt.Export) *assessmentTable {
	t := func(k string) string { return i18n.T(i18n.Default, k) }
	// Widths in characters suit spreadsheets; a date needs 16 or Excel
	// shows "#####".
	cols := []export.Column{
		{Heading: t("statement.export_col_number"), Width: 20, Keep: "0K7-2026-00017-42"},
		{Heading: t("statement.export_col_received"), Width: 17, Keep: "23.11.2026"},
		{Heading: t("statement.export_col_phase"), Width: 24, Wrap: true},
		{Heading: t("statement.export_col_submitter"), Width: 26, Wrap: true},
		{Heading: t("statement.export_col_text"), Width: 60, Wrap: true},
		{Heading: t("statement.export_col_topics"), Width: 18, Wrap: true},
		{Heading: t("statement.export_col_answer"), Width: 50, Wrap: true},
		{Heading: t("statement.export_col_decision"), Width: 20, Wrap: true},
		{Heading: t("statement.export_col_note"), Width: 20, Wrap: true},
	}
	return &assessmentTable{e: e, cols: cols, vals: make([]any, len(cols))}
}

func (t *assessmentTable) columns() []export.Column { return t.cols }

// rows reads the statements; a PDF over MaxPDFRows is refused before its
// first byte.
func (t *assessmentTable) rows(ctx context.Context, each func([]any) error) (int, error) {
	n, err := t.e.Rows(ctx, func(r appstmt.Row) error { return each(t.values(r)) })
	if errors.Is(err, appstmt.ErrExportTooLarge) {
		msg := i18n.T(i18n.Default, "statement.export_too_large", germanNumber(MaxPDFRows))
		return n, &problem.Error{Status: fiber.StatusUnprocessableEntity, Slug: "validation", Detail: msg, Cause: err,
			Fields: []problem.FieldProblem{{Field: "format", Code: "statement.export_too_large", Message: msg}}}
	}
	return n, err
}

// values are the cells of a row, in the columns' order.
func (t *assessmentTable) values(r appstmt.Row) []any {
	t.vals[0] = r.Number
	t.vals[1] = r.ReceivedAt.In(procedure.Berlin)
	t.vals[2] = stepLabel(t.e.Procedure.Type, r.Phase)
	t.vals[3] = submitterCell(r)
	t.vals[4] = r.Text
	t.vals[5] = strings.Join(r.Topics, "; ")
	t.vals[6] = r.Answer
	t.vals[7] = outcomeLabel(r.Decision)
	t.vals[8] = noteCell(r)
	return t.vals
}

// stepKeys and lawKeys name the legal steps; the BauGB paragraphs are
// named for land-use plans only, regional plans follow the ROG.
var (
	stepKeys = map[procedure.PhaseKind]string{
		procedure.KindEarlyPublic:      "statement.step_early_public",
		procedure.KindEarlyAuthorities: "statement.step_early_authorities",
		procedure.KindPublication:      "statement.step_publication",
		procedure.KindAuthorities:      "statement.step_authorities",
		procedure.KindRepeated:         "statement.step_repeated",
		procedure.KindParticipation:    "statement.step_participation",
	}
	lawKeys = map[procedure.PhaseKind]string{
		procedure.KindEarlyPublic:      "statement.law_early_public",
		procedure.KindEarlyAuthorities: "statement.law_early_authorities",
		procedure.KindPublication:      "statement.law_publication",
		procedure.KindAuthorities:      "statement.law_authorities",
		procedure.KindRepeated:         "statement.law_repeated",
	}
	outcomeKeys = map[statement.Decision]string{
		statement.DecisionFollowed:        "statement.outcome_followed",
		statement.DecisionAlreadyFollowed: "statement.outcome_already_followed",
		statement.DecisionNotFollowed:     "statement.outcome_not_followed",
		statement.DecisionNoted:           "statement.outcome_noted",
	}
	channelKeys = map[statement.Channel]string{
		statement.ChannelLetter:   "statement.export_channel_letter",
		statement.ChannelEmail:    "statement.export_channel_email",
		statement.ChannelFax:      "statement.export_channel_fax",
		statement.ChannelInPerson: "statement.export_channel_in_person",
	}
)

// stepLabel names a phase by its legal step, e.g. "Veröffentlichung (§ 3
// Abs. 2 BauGB)", and by its own title if it has one.
func stepLabel(typ procedure.Type, ph procedure.Phase) string {
	key, ok := stepKeys[ph.Kind]
	if ph.ID == uuid.Nil || !ok {
		return problemText("statement.step_unknown")
	}
	label := problemText(key)
	if law, ok := lawKeys[ph.Kind]; ok && typ == procedure.TypeLandUsePlan {
		label += " (" + problemText(law) + ")"
	}
	if title := strings.TrimSpace(ph.Title); title != "" && title != label {
		label += ": " + title
	}
	return label
}

func outcomeLabel(d statement.Decision) string {
	if key, ok := outcomeKeys[d]; ok {
		return problemText(key)
	}
	return string(d)
}

// submitterCell is the pseudonym, or the body, name, address and e-mail
// given, one per line.
func submitterCell(r appstmt.Row) string {
	if r.Pseudonymised {
		return r.Submitter.Name
	}
	var parts []string
	for _, s := range []string{r.Body, r.Submitter.Name, r.Submitter.Address, r.Submitter.Email} {
		if s = strings.TrimSpace(s); s != "" {
			parts = append(parts, s)
		}
	}
	if len(parts) == 0 {
		return problemText("statement.export_no_submitter")
	}
	return strings.Join(parts, "\n")
}

// noteCell says what the council must know besides the text: a withdrawal,
// a late arrival, a way in other than the portal, attachments.
func noteCell(r appstmt.Row) string {
	var notes []string
	if !r.WithdrawnAt.IsZero() {
		notes = append(notes, i18n.T(i18n.Default, "statement.export_withdrawn", r.WithdrawnAt.In(procedure.Berlin).Format("02.01.2006")))
	}
	if !r.Timely {
		notes = append(notes, problemText("statement.export_late"))
	}
	if key, ok := channelKeys[r.Channel]; ok {
		notes = append(notes, problemText(key))
	}
	switch {
	case r.Attachments == 1:
		notes = append(notes, problemText("statement.export_attachment"))
	case r.Attachments > 1:
		notes = append(notes, i18n.T(i18n.Default, "statement.export_attachments", r.Attachments))
	}
	return strings.Join(notes, "; ")
}

func (t *assessmentTable) meta() export.Meta {
	pr := t.e.Procedure
	at := t.e.At.In(procedure.Berlin)
	sub := i18n.T(i18n.Default, "statement.export_as_of", at.Format("02.01.2006, 15:04"))
	if t.e.Pseudonymised {
		sub += " · " + problemText("statement.export_pseudonymised")
	}
	return export.Meta{Title: problemText("statement.export_title") + " – " + pr.Title, Subtitle: sub,
		Sheet: problemText("statement.export_title"), Creator: "Beteiligungsportal", Created: t.e.At,
		PageLabel: problemText("statement.export_page"), Truncated: problemText("statement.export_truncated")}
}

// fileName is German, such as abwaegungstabelle-lindenallee-2026-11-23.
func (t *assessmentTable) fileName() string {
	name := t.e.Procedure.Slug
	if name == "" {
		name = t.e.Procedure.ID.String()
	}
	return fmt.Sprintf("abwaegungstabelle-%s-%s", name, t.e.At.In(procedure.Berlin).Format("2006-01-02"))
}

// germanNumber writes n with dots between thousands, as in "5.000".
func germanNumber(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "." + s[i:]
	}
	return s
}
