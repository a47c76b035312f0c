package handler

import (
	"fmt"
	"io"
	"mime"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	appproc "beteiligungsportal/app/procedure"
	"beteiligungsportal/domain"
	"beteiligungsportal/domain/account"
	"beteiligungsportal/domain/procedure"
	"beteiligungsportal/web/middleware"
	"beteiligungsportal/web/problem"
	"beteiligungsportal/web/request"
)

type documentResponse struct {
	ID           string     `json:"id"`
	Kind         string     `json:"kind"`
	Title        string     `json:"title"`
	FileName     string     `json:"file_name"`
	ContentType  string     `json:"content_type"`
	Size         int64      `json:"size"`
	SHA256       string     `json:"sha256"`
	Position     int        `json:"position"`
	Current      bool       `json:"current"`
	Replaces     *string    `json:"replaces"`
	SupersededBy *string    `json:"superseded_by"`
	SupersededAt *time.Time `json:"superseded_at"`
	UploadedAt   time.Time  `json:"uploaded_at"`
	URL          string     `json:"url"`
}

func optID(id uuid.UUID) *string {
	if id == uuid.Nil {
		return nil
	}
	s := id.String()
	return &s
}

func documentFrom(d procedure.Document) documentResponse {
	return documentResponse{ID: d.ID.String(), Kind: string(d.Kind), Title: d.Title, FileName: d.FileName,
		ContentType: d.ContentType, Size: d.Size, SHA256: d.SHA256, Position: d.Position, Current: d.Current(),
		Replaces: optID(d.Replaces), SupersededBy: optID(d.SupersededBy), SupersededAt: optTime(d.SupersededAt),
		UploadedAt: d.UploadedAt, URL: fmt.Sprintf("/api/v1/procedures/%s/documents/%s/file", d.ProcedureID, d.ID)}
}

func documentsFrom(docs []procedure.Document) []documentResponse {
	out := make([]documentResponse, len(docs))
	for i, d := range docs {
		out[i] = documentFrom(d)
	}
	return out
}

// AddDocument uploads a document (multipart/form-data: file, kind, title).
func (h *Procedures) AddDocument(c *fiber.Ctx) error {
	return h.upload(c, uuid.Nil)
}

// ReplaceDocument uploads a new version of the document in the path.
func (h *Procedures) ReplaceDocument(c *fiber.Ctx) error {
	oldID, err := request.ID(c, "doc")
	if err != nil {
		return err
	}
	return h.upload(c, oldID)
}

func (h *Procedures) upload(c *fiber.Ctx, oldID uuid.UUID) error {
	p, err := middleware.Principal(c)
	if err != nil {
		return err
	}
	id, err := request.ID(c, "id")
	if err != nil {
		return err
	}
	if mt, _, _ := mime.ParseMediaType(c.Get(fiber.HeaderContentType)); mt != fiber.MIMEMultipartForm {
		return problem.New(fiber.StatusUnsupportedMediaType, "unsupported_media_type", "detail.multipart_expected")
	}
	fh, err := c.FormFile("file")
	if err != nil {
		return &domain.ValidationError{Fields: []domain.FieldError{{Field: "file", Code: "required"}}}
	}
	f, err := fh.Open()
	if err != nil {
		return fmt.Errorf("open upload: %w", err)
	}
	defer f.Close()
	kind := procedure.DocumentKind(strings.Clone(c.FormValue("kind", string(procedure.DocumentMaterial))))
	up := appproc.Upload{Kind: kind, Title: strings.Clone(c.FormValue("title")), FileName: strings.Clone(fh.Filename),
		Size: fh.Size, Content: f}
	var doc procedure.Document
	if oldID == uuid.Nil {
		doc, err = h.Service.AddDocument(c.UserContext(), p, id, up)
	} else {
		doc, err = h.Service.ReplaceDocument(c.UserContext(), p, id, oldID, up)
	}
	if err != nil {
		return err
	}
	c.Location(documentFrom(doc).URL)
	return c.Status(fiber.StatusCreated).JSON(documentFrom(doc))
}

type reorderRequest struct {
	Kind  string   `json:"kind" validate:"required,oneof=material result"`
	Order []string `json:"order" validate:"required,max=500,dive,uuid"`
}

// ReorderDocuments sets the order of the current documents of one kind.
func (h *Procedures) ReorderDocuments(c *fiber.Ctx) error {
	p, err := middleware.Principal(c)
	if err != nil {
		return err
	}
	id, err := request.ID(c, "id")
	if err != nil {
		return err
	}
	var req reorderRequest
	if err := h.Validator.JSON(c, &req); err != nil {
		return err
	}
	order := make([]uuid.UUID, len(req.Order))
	for i, s := range req.Order {
		order[i] = uuid.MustParse(s) // validated above
	}
	docs, err := h.Service.ReorderDocuments(c.UserContext(), p, id, procedure.DocumentKind(req.Kind), order)
	if err != nil {
		return err
	}
	return c.JSON(list[documentResponse]{Items: documentsFrom(docs)})
}

// DeleteDocument removes a document of a draft.
func (h *Procedures) DeleteDocument(c *fiber.Ctx) error {
	p, err := middleware.Principal(c)
	if err != nil {
		return err
	}
	id, err := request.ID(c, "id")
	if err != nil {
		return err
	}
	docID, err := request.ID(c, "doc")
	if err != nil {
		return err
	}
	if err := h.Service.DeleteDocument(c.UserContext(), p, id, docID); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// ListDocuments lists a procedure's documents, superseded versions last.
func (h *Procedures) ListDocuments(c *fiber.Ctx) error {
	viewer := optionalPrincipal(c)
	pr, err := h.Service.Get(c.UserContext(), viewer, strings.Clone(c.Params("id")))
	if err != nil {
		return err
	}
	docs, err := h.Service.Documents(c.UserContext(), pr)
	if err != nil {
		return err
	}
	out := list[documentResponse]{Items: documentsFrom(docs)}
	if pr.IsDraft() {
		return c.JSON(out)
	}
	return publicJSON(c, out)
}

// DownloadDocument sends a document's bytes with its type and name, a strong
// ETag from its SHA-256, and single byte ranges (RFC 9110 §14), so large plans
// can be resumed and PDF viewers can fetch pages.
func (h *Procedures) DownloadDocument(c *fiber.Ctx) error {
	viewer := optionalPrincipal(c)
	docID, err := request.ID(c, "doc")
	if err != nil {
		return err
	}
	ctx, cancel := downloadContext(c)
	pr, doc, rd, err := h.Service.OpenDocument(ctx, viewer, strings.Clone(c.Params("id")), docID)
	if err != nil {
		cancel()
		return err
	}
	body := newStreamBody(c, rd, cancel)
	handedOver := false
	defer func() {
		if !handedOver {
			_ = body.Close()
		}
	}()

	etag := `"` + doc.SHA256 + `"`
	c.Set(fiber.HeaderETag, etag)
	c.Set(fiber.HeaderAcceptRanges, "bytes")
	c.Set(fiber.HeaderContentType, doc.ContentType)
	c.Set(fiber.HeaderContentDisposition, contentDisposition(doc))
	if !pr.IsDraft() {
		// A document's bytes never change under its ID (a new version gets a
		// new ID), and a published procedure's documents are never deleted.
		c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	}
	if match := c.Get(fiber.HeaderIfNoneMatch); match != "" && middleware.ETagMatches(match, etag) {
		return c.SendStatus(fiber.StatusNotModified)
	}

	start, length, status := int64(0), doc.Size, fiber.StatusOK
	if rng := c.Get(fiber.HeaderRange); rng != "" && ifRangeMatches(c.Get(fiber.HeaderIfRange), etag) {
		s, n, ok, satisfiable := parseRange(rng, doc.Size)
		switch {
		case !satisfiable:
			c.Set(fiber.HeaderContentRange, "bytes */"+strconv.FormatInt(doc.Size, 10))
			return problem.New(fiber.StatusRequestedRangeNotSatisfiable, "range_not_satisfiable", "detail.range_not_satisfiable")
		case ok:
			start, length, status = s, n, fiber.StatusPartialContent
			c.Set(fiber.HeaderContentRange, fmt.Sprintf("bytes %d-%d/%d", s, s+n-1, doc.Size))
		}
	}
	if start > 0 {
		if _, err := rd.Seek(start, io.SeekStart); err != nil {
			return fmt.Errorf("seek document %s: %w", doc.ID, err)
		}
	}
	body.r = io.LimitReader(rd, length)
	c.Status(status)
	c.Response().SetBodyStream(body, int(length))
	handedOver = true
	return nil
}

// contentDisposition shows PDFs and images in the browser and offers other
// files for saving, with the original name (RFC 6266, RFC 8187 for non-ASCII).
func contentDisposition(d procedure.Document) string {
	disp := "attachment"
	if d.ContentType == "application/pdf" || strings.HasPrefix(d.ContentType, "image/") {
		disp = "inline"
	}
	return contentDispositionFor(disp, d.FileName)
}

// contentDispositionFor names a file for the browser, in ASCII and in UTF-8.
func contentDispositionFor(disp, name string) string {
	ascii := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' || r == '%' {
			return '_'
		}
		return r
	}, name)
	return fmt.Sprintf(`%s; filename="%s"; filename*=UTF-8''%s`, disp, ascii, url.PathEscape(name))
}

// parseRange reads one "bytes=" range against size. ok is false for a header
// that should be ignored (another unit, several ranges, a malformed one: the
// whole file is sent); satisfiable is false when the range lies beyond the end.
func parseRange(h string, size int64) (start, length int64, ok, satisfiable bool) {
	spec, found := strings.CutPrefix(h, "bytes=")
	if !found || strings.Contains(spec, ",") {
		return 0, 0, false, true
	}
	first, last, found := strings.Cut(strings.TrimSpace(spec), "-")
	if !found {
		return 0, 0, false, true
	}
	if first == "" { // suffix: the last N bytes
		n, err := strconv.ParseInt(last, 10, 64)
		if err != nil || n < 0 {
			return 0, 0, false, true
		}
		if n == 0 || size == 0 {
			return 0, 0, false, false
		}
		n = min(n, size)
		return size - n, n, true, true
	}
	s, err := strconv.ParseInt(first, 10, 64)
	if err != nil || s < 0 {
		return 0, 0, false, true
	}
	if s >= size {
		return 0, 0, false, false
	}
	e := size - 1
	if last != "" {
		if e, err = strconv.ParseInt(last, 10, 64); err != nil || e < s {
			return 0, 0, false, true
		}
		e = min(e, size-1)
	}
	return s, e - s + 1, true, true
}

// ifRangeMatches: a Range applies only if If-Range is absent or names the
// current entity tag (dates are not used: our validator is the ETag).
func ifRangeMatches(ifRange, etag string) bool {
	return ifRange == "" || ifRange == etag
}

func optionalPrincipal(c *fiber.Ctx) *account.Principal {
	if p, err := middleware.Principal(c); err == nil {
		return &p
	}
	return nil
}
